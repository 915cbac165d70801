import datetime as dt

from django.db import IntegrityError, transaction
from django.utils import timezone

from tocnet.members.models import Member, Representative
from tocnet.registers.models import Register, RegisterMembership
from tocnet.testing import BaseTestCase


class ModelInvariantsTestCase(BaseTestCase):
    def test_it_knows_the_76_provincial_offices(self) -> None:
        from tocnet.members.models import Unit

        offices = Unit.objects.filter(kind=Unit.Kind.PROVINCE)
        self.assertEqual(offices.count(), 76)
        self.assertFalse(offices.filter(province="กรุงเทพมหานคร").exists())
        self.assertEqual(offices.get(province="ลำปาง").abbreviation, "ลป")

    def test_it_refuses_a_second_member_with_the_same_number(self) -> None:
        with self.assertRaises(IntegrityError), transaction.atomic():
            Member.objects.create(number="100001", unit=self.unit_b, first_name="ซ้ำ")

    def test_it_allows_one_open_membership_per_member(self) -> None:
        other = Register.objects.create(unit=self.unit_a, number=2, line_group_name="สอ.พช.กพ.2")
        with self.assertRaises(IntegrityError), transaction.atomic():
            RegisterMembership.objects.create(
                register=other, member=self.in_register, since=timezone.now()
            )
        RegisterMembership.objects.filter(member=self.in_register).update(until=timezone.now())
        RegisterMembership.objects.create(
            register=other, member=self.in_register, since=timezone.now()
        )
        self.assertEqual(RegisterMembership.objects.filter(member=self.in_register).count(), 2)

    def test_it_allows_one_register_per_number_and_one_single_group_per_unit(self) -> None:
        with self.assertRaises(IntegrityError), transaction.atomic():
            Register.objects.create(unit=self.unit_a, number=1)
        Register.objects.create(unit=self.unit_b, number=None)
        with self.assertRaises(IntegrityError), transaction.atomic():
            Register.objects.create(unit=self.unit_b, number=None)

    def test_it_keeps_representative_history(self) -> None:
        with self.assertRaises(IntegrityError), transaction.atomic():
            Representative.objects.create(
                member=self.rep_member,
                unit=self.unit_a,
                term_start=dt.date(2018, 1, 1),
                term_end=dt.date(2021, 12, 31),
            )
        self.representative.ended_on = dt.date(2020, 1, 1)
        self.representative.save()
        Representative.objects.create(
            member=self.rep_member,
            unit=self.unit_a,
            term_start=dt.date(2020, 1, 1),
            term_end=dt.date(2021, 12, 31),
        )
        self.assertEqual(self.rep_member.representations.count(), 2)

    def test_it_refuses_a_term_that_ends_before_it_starts(self) -> None:
        with self.assertRaises(IntegrityError), transaction.atomic():
            Representative.objects.create(
                member=self.b_member,
                unit=self.unit_b,
                term_start=dt.date(2021, 1, 1),
                term_end=dt.date(2020, 1, 1),
            )
