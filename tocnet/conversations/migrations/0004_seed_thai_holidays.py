"""Thai public holidays 2026-2027 (government offices and the cooperative), with the
substitute days for holidays falling on a weekend. Buddhist holidays follow the lunar calendar:
check them against the cabinet's announcement each year and correct them in the admin
(Conversations › Public holidays); the cabinet also adds special days that belong there."""

import datetime as dt

from django.db import migrations

HOLIDAYS = [
    ("2026-01-01", "วันขึ้นปีใหม่"),
    ("2026-03-03", "วันมาฆบูชา"),
    ("2026-04-06", "วันจักรี"),
    ("2026-04-13", "วันสงกรานต์"),
    ("2026-04-14", "วันสงกรานต์"),
    ("2026-04-15", "วันสงกรานต์"),
    ("2026-05-01", "วันแรงงานแห่งชาติ"),
    ("2026-05-04", "วันฉัตรมงคล"),
    ("2026-05-31", "วันวิสาขบูชา"),
    ("2026-06-01", "ชดเชยวันวิสาขบูชา"),
    ("2026-06-03", "วันเฉลิมพระชนมพรรษาสมเด็จพระนางเจ้าฯ พระบรมราชินี"),
    ("2026-07-28", "วันเฉลิมพระชนมพรรษาพระบาทสมเด็จพระเจ้าอยู่หัว"),
    ("2026-07-29", "วันอาสาฬหบูชา"),
    ("2026-07-30", "วันเข้าพรรษา"),
    ("2026-08-12", "วันแม่แห่งชาติ"),
    ("2026-10-13", "วันนวมินทรมหาราช"),
    ("2026-10-23", "วันปิยมหาราช"),
    ("2026-12-05", "วันพ่อแห่งชาติ"),
    ("2026-12-07", "ชดเชยวันพ่อแห่งชาติ"),
    ("2026-12-10", "วันรัฐธรรมนูญ"),
    ("2026-12-31", "วันสิ้นปี"),
    ("2027-01-01", "วันขึ้นปีใหม่"),
    ("2027-02-20", "วันมาฆบูชา"),
    ("2027-02-22", "ชดเชยวันมาฆบูชา"),
    ("2027-04-06", "วันจักรี"),
    ("2027-04-13", "วันสงกรานต์"),
    ("2027-04-14", "วันสงกรานต์"),
    ("2027-04-15", "วันสงกรานต์"),
    ("2027-05-01", "วันแรงงานแห่งชาติ"),
    ("2027-05-03", "ชดเชยวันแรงงานแห่งชาติ"),
    ("2027-05-04", "วันฉัตรมงคล"),
    ("2027-05-20", "วันวิสาขบูชา"),
    ("2027-06-03", "วันเฉลิมพระชนมพรรษาสมเด็จพระนางเจ้าฯ พระบรมราชินี"),
    ("2027-07-18", "วันอาสาฬหบูชา"),
    ("2027-07-19", "วันเข้าพรรษา"),
    ("2027-07-20", "ชดเชยวันอาสาฬหบูชา"),
    ("2027-07-28", "วันเฉลิมพระชนมพรรษาพระบาทสมเด็จพระเจ้าอยู่หัว"),
    ("2027-08-12", "วันแม่แห่งชาติ"),
    ("2027-10-13", "วันนวมินทรมหาราช"),
    ("2027-10-23", "วันปิยมหาราช"),
    ("2027-10-25", "ชดเชยวันปิยมหาราช"),
    ("2027-12-05", "วันพ่อแห่งชาติ"),
    ("2027-12-06", "ชดเชยวันพ่อแห่งชาติ"),
    ("2027-12-10", "วันรัฐธรรมนูญ"),
    ("2027-12-31", "วันสิ้นปี"),
]


def seed(apps, schema_editor):  # type: ignore[no-untyped-def]
    Holiday = apps.get_model("conversations", "Holiday")
    for day, name in HOLIDAYS:
        Holiday.objects.get_or_create(date=dt.date.fromisoformat(day), defaults={"name": name})


def unseed(apps, schema_editor):  # type: ignore[no-untyped-def]
    Holiday = apps.get_model("conversations", "Holiday")
    Holiday.objects.filter(date__in=[dt.date.fromisoformat(d) for d, _n in HOLIDAYS]).delete()


class Migration(migrations.Migration):
    dependencies = [("conversations", "0003_holidays_rep_may_answer")]

    operations = [migrations.RunPython(seed, unseed)]
