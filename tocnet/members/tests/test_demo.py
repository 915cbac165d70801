import io

from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import TestCase

from tocnet.accounts.models import User
from tocnet.members.demo import demo_cooperative_create
from tocnet.members.models import Member, Representative, Unit
from tocnet.registers.models import RegisterMembership


def _snapshot() -> list[tuple[str, str, str, str, str]]:
    return list(
        Member.objects.order_by("number").values_list(
            "number", "first_name", "last_name", "unit__abbreviation", "district"
        )
    )


class DemoTestCase(TestCase):
    def test_it_builds_the_requested_cooperative_deterministically(self) -> None:
        result = demo_cooperative_create(members=600, seed=11)
        self.assertEqual(Member.objects.count(), 600)
        self.assertEqual(result.members, 600)
        self.assertEqual(Unit.objects.count(), 90)
        first = _snapshot()
        Representative.objects.all().delete()
        Member.objects.all().delete()
        User.objects.all().delete()
        demo_cooperative_create(members=600, seed=11)
        self.assertEqual(_snapshot(), first)

    def test_it_gives_units_one_representative_per_fifty_members_and_some_none(self) -> None:
        demo_cooperative_create(members=3000, seed=3)
        for unit in Unit.objects.all():
            active = unit.members.filter(status=Member.Status.ACTIVE).count()
            reps = unit.representatives.filter(ended_on__isnull=True).count()
            with self.subTest(unit=unit.abbreviation):
                if unit.abbreviation in {"ศพช.ปน", "ศพช.มค", "มส"} or active == 0:
                    self.assertEqual(reps, 0)
                else:
                    self.assertEqual(reps, max(1, round(active / 50)))
        self.assertEqual(
            set(User.objects.values_list("username", "role")),
            {
                ("staff", "staff"),
                ("agent", "agent"),
                ("assistant", "agent"),
                ("board", "board"),
                ("rep", "representative"),
            },
        )

    def test_the_command_plans_registers_and_refuses_a_full_database(self) -> None:
        out = io.StringIO()
        call_command("demo", members=400, seed=5, stdout=out)
        self.assertIn("400 members", out.getvalue())
        self.assertTrue(RegisterMembership.objects.filter(until__isnull=True).exists())
        with self.assertRaises(CommandError):
            call_command("demo", members=400, stdout=io.StringIO())
        call_command("demo", members=400, if_empty=True, stdout=out)
        self.assertEqual(Member.objects.count(), 400)
