"""The TOC-Net drive of B.E. 2564, with the deadline of the cooperative's letter."""

import datetime as dt
import uuid

from django.db import migrations


def create_campaign(apps, schema_editor):
    Campaign = apps.get_model("registers", "Campaign")
    if not Campaign.objects.exists():
        Campaign.objects.create(
            code=uuid.uuid4(),
            name="TOC-Net 2564",
            starts_on=dt.date(2021, 5, 1),
            ends_on=dt.date(2021, 12, 31),
            deadline=dt.date(2021, 6, 15),
            is_current=True,
        )


class Migration(migrations.Migration):
    dependencies = [("registers", "0001_initial")]
    operations = [migrations.RunPython(create_campaign, migrations.RunPython.noop)]
