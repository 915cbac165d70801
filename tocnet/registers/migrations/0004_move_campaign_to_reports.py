from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('registers', '0003_add_register_deputy'),
    ]

    # Campaign and UnitSubmission now belong to reports (only reports uses them); their
    # tables stay and are renamed by reports.0004, so this removes them from the state only.
    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveField(
                    model_name='unitsubmission',
                    name='campaign',
                ),
                migrations.RemoveField(
                    model_name='unitsubmission',
                    name='submitted_by',
                ),
                migrations.RemoveField(
                    model_name='unitsubmission',
                    name='unit',
                ),
                migrations.DeleteModel(
                    name='Campaign',
                ),
                migrations.DeleteModel(
                    name='UnitSubmission',
                ),
            ],
            database_operations=[],
        ),
    ]
