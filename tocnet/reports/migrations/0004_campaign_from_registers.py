import datetime
import uuid

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('members', '0003_member_joined_on'),
        ('reports', '0003_report_job_expiry'),
        ('registers', '0004_move_campaign_to_reports'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    # Moved from registers with their rows: take the existing tables into the state, then
    # rename them to this app's names.
    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='Campaign',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('code', models.UUIDField(default=uuid.uuid4, editable=False, unique=True)),
                        ('name', models.CharField(max_length=200, verbose_name='name')),
                        ('starts_on', models.DateField(verbose_name='starts on')),
                        ('ends_on', models.DateField(verbose_name='ends on')),
                        ('deadline', models.DateField(default=datetime.date(2021, 6, 15), verbose_name='submission deadline')),
                        ('is_current', models.BooleanField(default=True, verbose_name='current')),
                    ],
                    options={
                        'db_table': 'registers_campaign',
                        'ordering': ['-starts_on'],
                        'constraints': [models.UniqueConstraint(condition=models.Q(('is_current', True)), fields=('is_current',), name='campaign_one_current')],
                    },
                ),
                migrations.CreateModel(
                    name='UnitSubmission',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('status', models.CharField(choices=[('not_started', 'Not started'), ('in_progress', 'In progress'), ('submitted', 'Submitted')], db_index=True, default='not_started', max_length=12)),
                        ('submitted_role', models.CharField(blank=True, choices=[('agent', 'Coop agent'), ('assistant', 'Assistant agent'), ('representative', 'Representative'), ('management', 'Management department')], max_length=15)),
                        ('submitted_at', models.DateTimeField(blank=True, null=True)),
                        ('updated_at', models.DateTimeField(auto_now=True)),
                        ('campaign', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='submissions', to='reports.campaign')),
                        ('submitted_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='submissions', to=settings.AUTH_USER_MODEL)),
                        ('unit', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='submissions', to='members.unit')),
                    ],
                    options={
                        'db_table': 'registers_unitsubmission',
                        'constraints': [models.UniqueConstraint(fields=('campaign', 'unit'), name='submission_one_per_campaign_unit')],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.AlterModelTable(name='campaign', table=None),
        migrations.AlterModelTable(name='unitsubmission', table=None),
    ]
