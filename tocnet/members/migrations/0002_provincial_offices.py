"""A new installation knows the 76 provincial community development offices."""

import uuid

from django.db import migrations
from pythainlp.corpus import provinces

PREFIX = "สำนักงานพัฒนาชุมชนจังหวัด"


def create_offices(apps, schema_editor):
    Unit = apps.get_model("members", "Unit")
    for p in provinces(details=True):
        if p["name_th"] == "กรุงเทพมหานคร":
            continue
        Unit.objects.get_or_create(
            name=PREFIX + p["name_th"],
            defaults={
                "code": uuid.uuid4(),
                "kind": "province",
                "province": p["name_th"],
                "abbreviation": p["abbr_th"],
                "responsible": "agent",
            },
        )


def remove_offices(apps, schema_editor):
    Unit = apps.get_model("members", "Unit")
    Unit.objects.filter(kind="province", members__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("members", "0001_initial")]
    operations = [migrations.RunPython(create_offices, remove_offices)]
