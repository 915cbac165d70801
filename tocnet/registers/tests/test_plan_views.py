"""Review and approval pages of the register plan: scoping, approval, stale plans."""

import datetime as dt

from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tocnet.core.models import AuditEvent
from tocnet.members.models import Representative, Unit
from tocnet.members.tests.factories import make_member, make_unit
from tocnet.registers.models import Register, RegisterMembership
from tocnet.registers.selectors import unit_plan_list
from tocnet.testing import BaseTestCase


class PlanViewsTestCase(BaseTestCase):
    def overview(self):
        return self.client.get(reverse("registers:plan_overview"))

    def unit_page(self, unit):
        return self.client.get(reverse("registers:plan_unit", args=[unit.code]))

    def fingerprint(self, unit) -> str:
        cooperative = unit_plan_list([unit])
        return cooperative.fingerprints[str(unit.code)]

    def test_only_staff_and_agents_may_review(self) -> None:
        allowed = {"staff": 200, "agent": 200}
        approve = reverse("registers:plan_approve", args=[self.unit_a.code])
        for name, persona in self.personas().items():
            with self.subTest(persona=name):
                self.login_as(persona)
                self.assertEqual(self.overview().status_code, allowed.get(name, 403))
                self.assertEqual(self.unit_page(self.unit_a).status_code, allowed.get(name, 404))
                if name not in allowed:
                    response = self.client.post(approve, {"fingerprint": "0" * 24})
                    self.assertEqual(response.status_code, 404)
        self.assertFalse(Register.objects.filter(line_group_name="สอ.พช.กพ.").exists())

    def test_staff_see_every_unit_with_its_plan_and_flags(self) -> None:
        self.login_as(self.staff)
        response = self.overview()
        self.assertContains(response, 'data-unit="กพ"')
        self.assertContains(response, 'data-unit="นว"')
        self.assertContains(response, 'data-flag="needs_representative"')
        self.assertContains(response, "สอ.พช.กพ.")
        self.assertContains(response, 'data-state="pending"')

    def test_an_agent_sees_only_their_units(self) -> None:
        self.login_as(self.agent)
        response = self.overview()
        self.assertContains(response, 'data-unit="กพ"')
        self.assertNotContains(response, 'data-unit="นว"')
        self.assertEqual(self.unit_page(self.unit_b).status_code, 404)
        approve = reverse("registers:plan_approve", args=[self.unit_b.code])
        self.assertEqual(self.client.post(approve, {"fingerprint": "0" * 24}).status_code, 404)

    def test_the_unit_page_shows_registers_members_and_is_logged(self) -> None:
        self.login_as(self.staff)
        response = self.unit_page(self.unit_a)
        # One representative: a single group, named without a number.
        self.assertContains(response, 'data-register="สอ.พช.กพ."')
        self.assertContains(response, 'data-size="3"')
        self.assertContains(response, self.a_not_in_register.first_name)
        self.assertContains(response, 'data-moves="none"')
        self.assertNotContains(response, "data-optimal")  # a re-plan keeps members in place
        self.assertTrue(
            AuditEvent.objects.filter(
                action="register_plan.viewed", actor=self.staff, target_id=str(self.unit_a.code)
            ).exists()
        )

    def test_approving_saves_the_plan_as_shown(self) -> None:
        self.login_as(self.agent)
        url = reverse("registers:plan_approve", args=[self.unit_a.code])
        response = self.client.post(url, {"fingerprint": self.fingerprint(self.unit_a)})
        self.assertRedirects(response, reverse("registers:plan_unit", args=[self.unit_a.code]))
        register = Register.objects.get(unit=self.unit_a, retired_at__isnull=True)
        self.assertEqual(register.pk, self.register.pk)  # the existing register carries on
        self.assertEqual((register.number, register.line_group_name), (None, "สอ.พช.กพ."))
        self.assertEqual(
            RegisterMembership.objects.get(member=self.a_not_in_register).register, register
        )
        self.assertTrue(
            AuditEvent.objects.filter(action="register_plan.applied", actor=self.agent).exists()
        )
        self.assertContains(self.unit_page(self.unit_a), 'data-state="approved"')

    def test_a_stale_plan_is_not_approved(self) -> None:
        self.login_as(self.staff)
        url = reverse("registers:plan_approve", args=[self.unit_a.code])
        response = self.client.post(url, {"fingerprint": "0" * 24}, follow=True)
        self.assertContains(response, "msg-error")
        self.assertFalse(RegisterMembership.objects.filter(member=self.a_not_in_register).exists())
        self.assertFalse(AuditEvent.objects.filter(action="register_plan.applied").exists())

    def test_a_malformed_approval_is_refused(self) -> None:
        self.login_as(self.staff)
        url = reverse("registers:plan_approve", args=[self.unit_a.code])
        self.client.post(url, {"fingerprint": "<script>"})
        self.assertFalse(AuditEvent.objects.filter(action="register_plan.applied").exists())

    def test_approve_all_applies_the_units_shown(self) -> None:
        self.login_as(self.staff)
        response = self.client.post(
            reverse("registers:plan_approve_all"),
            {f"fp_{self.unit_a.code}": self.fingerprint(self.unit_a)},
        )
        self.assertRedirects(response, reverse("registers:plan_overview"))
        self.assertTrue(RegisterMembership.objects.filter(member=self.a_not_in_register).exists())
        self.assertNotContains(self.overview(), 'data-state="pending"')

    def test_get_cannot_approve(self) -> None:
        self.login_as(self.staff)
        url = reverse("registers:plan_approve", args=[self.unit_a.code])
        self.assertEqual(self.client.get(url).status_code, 405)

    def test_the_overview_reads_in_a_constant_number_of_queries(self) -> None:
        self.login_as(self.staff)
        self.overview()
        with CaptureQueriesContext(connection) as before:
            self.assertEqual(self.overview().status_code, 200)
        for index in range(3):
            unit = make_unit(abbreviation=f"คท{index}", kind=Unit.Kind.PROVINCE)
            members = [make_member(unit=unit, district=f"อ{i % 3}") for i in range(30)]
            Representative.objects.create(
                member=members[0],
                unit=unit,
                term_start=dt.date(2018, 1, 1),
                term_end=dt.date(2021, 12, 31),
            )
        with CaptureQueriesContext(connection) as after:
            response = self.overview()
        self.assertContains(response, 'data-unit="คท2"')
        self.assertEqual(len(after), len(before))

    def test_a_unit_without_members_has_nothing_to_plan(self) -> None:
        empty = make_unit(abbreviation="วง", kind=Unit.Kind.PROVINCE)
        self.login_as(self.staff)
        response = self.unit_page(empty)
        self.assertEqual(response.status_code, 200)
        self.assertNotContains(response, "data-form=")


class PlanWordingTestCase(BaseTestCase):
    """The plan pages speak to a clerk, with the thresholds the settings hold."""

    @override_settings(REGISTER_MEMBERS_LOW=40, REGISTER_MEMBERS_HIGH=60, REGISTER_SIZE_TOLERANCE=3)
    def test_it_words_the_plan_with_the_settings_values(self) -> None:
        Representative.objects.create(
            member=self.a_not_in_register,
            unit=self.unit_a,
            term_start=dt.date(2018, 1, 1),
            term_end=dt.date(2021, 12, 31),
        )
        self.login_as(self.staff)
        body = self.client.get(reverse("registers:plan_overview")).content.decode()
        self.assertIn('data-limits="3-40-60"', body)
        self.assertIn("ต่างกันไม่เกิน 3 คน", body)
        self.assertIn("ดูแลสมาชิก 40 ถึง 60 คน", body)
        self.assertIn('data-flag="few_members_per_representative"', body)
        self.assertIn("น้อยกว่า 40 คน", body)
        self.assertNotIn("น้อยกว่า 35", body)
        self.assertNotIn("35 ถึง 65", body)
        # a unit without a representative: said plainly, not a red role name
        self.assertIn('data-state="no-representative"', body)
        self.assertIn("ผู้ดูแล: ตัวแทนสหกรณ์", body)
        unit_page = self.client.get(reverse("registers:plan_unit", args=[self.unit_a.code]))
        self.assertContains(unit_page, "อำเภอที่สมาชิกถูกแยกไปอยู่มากกว่าหนึ่งทะเบียน")
        self.assertContains(unit_page, '<span class="district">')
        self.assertContains(unit_page, " คน)</span>")

    def test_it_does_not_flag_a_small_unit_with_one_representative(self) -> None:
        self.login_as(self.staff)
        response = self.client.get(reverse("registers:plan_unit", args=[self.unit_a.code]))
        self.assertEqual(response.status_code, 200)
        self.assertNotContains(response, 'data-flag="few_members_per_representative"')
