from django.db import migrations

DEPARTMENTS = [
    ("credit", "สินเชื่อ"),
    ("deposits", "เงินฝาก"),
    ("welfare", "สวัสดิการ"),
    ("membership", "สมาชิกและหุ้น"),
    ("accounting", "บัญชี"),
    ("management", "บริหารจัดการ"),
]


def seed(apps, schema_editor):
    Department = apps.get_model("accounts", "Department")
    for position, (code, name) in enumerate(DEPARTMENTS, start=1):
        Department.objects.get_or_create(
            code=code, defaults={"name": name, "ordering": position * 10}
        )


def unseed(apps, schema_editor):
    Department = apps.get_model("accounts", "Department")
    Department.objects.filter(
        code__in=[code for code, _name in DEPARTMENTS], users__isnull=True
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("accounts", "0002_add_department")]

    operations = [migrations.RunPython(seed, unseed)]
