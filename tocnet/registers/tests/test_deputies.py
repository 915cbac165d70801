"""Deputies (ผู้ช่วยผู้แทน): named on the page, audited, and scoped exactly to their register."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.utils import timezone

from tocnet.accounts.models import User
from tocnet.core.models import AuditEvent
from tocnet.members.models import Member, Representative
from tocnet.members.selectors import member_list_for_user, unit_list_for_user
from tocnet.registers.leaders import register_deputy_set
from tocnet.registers.models import Register, RegisterMembership
from tocnet.registers.selectors import (
    register_deputy,
    register_deputy_user,
    register_leader_role,
    register_list_for_user,
)
from tocnet.testing import PASSWORD, BaseTestCase


class DeputyTestCase(BaseTestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.deputy_user = User.objects.create_user(
            username="deputy", password=PASSWORD, role=User.Role.REPRESENTATIVE
        )
        Member.objects.filter(pk=cls.in_register.pk).update(user=cls.deputy_user)
        cls.in_register.refresh_from_db()
        # A second register of กพ, led by a.n.other, that the deputy must not see.
        other_rep = Representative.objects.create(
            member=cls.a_not_in_register,
            unit=cls.unit_a,
            term_start=dt.date(2026, 1, 1),
            term_end=dt.date(2029, 12, 31),
        )
        cls.other = Register.objects.create(
            unit=cls.unit_a, number=2, representative=other_rep, line_group_name="สอ.พช.กพ.2"
        )
        RegisterMembership.objects.create(
            register=cls.other, member=cls.a_not_in_register, since=timezone.now()
        )

    def name_deputy(self) -> None:
        register_deputy_set(register=self.register, member=self.in_register, actor=self.staff)

    def test_it_scopes_a_deputy_to_exactly_their_register(self) -> None:
        self.assertEqual(list(register_list_for_user(self.deputy_user)), [])
        self.name_deputy()
        self.assertEqual(
            [r.pk for r in register_list_for_user(self.deputy_user)], [self.register.pk]
        )
        self.assertEqual(
            sorted(member_list_for_user(self.deputy_user).values_list("number", flat=True)),
            ["100001", "100002"],
        )
        self.assertEqual(list(unit_list_for_user(self.deputy_user)), [self.unit_a])
        # The representative still sees the same register, and nothing more.
        self.assertEqual([r.pk for r in register_list_for_user(self.rep_user)], [self.register.pk])

    def test_it_gives_the_deputy_the_representatives_phone_page(self) -> None:
        self.name_deputy()
        self.login_as(self.deputy_user)
        page = self.client.get("/my/register/")
        self.assertEqual(page.status_code, 200)
        body = page.content.decode()
        self.assertIn("100001", body)
        self.assertNotIn("100003", body)  # the other register's member
        self.assertIn('data-you-are="deputy"', body)
        self.assertIn('data-term="ended"', body)  # the representative's term ended in 2021
        self.assertNotIn("data-line-code=", body)  # the one-time code is the representative's

    def test_it_ends_scope_when_the_deputy_is_cleared_or_leaves(self) -> None:
        self.name_deputy()
        register_deputy_set(register=self.register, member=None, actor=self.staff)
        self.assertEqual(list(register_list_for_user(self.deputy_user)), [])
        self.name_deputy()
        Member.objects.filter(pk=self.in_register.pk).update(status=Member.Status.RESIGNED)
        self.assertEqual(list(register_list_for_user(self.deputy_user)), [])
        self.assertEqual(member_list_for_user(self.deputy_user).count(), 0)

    def test_it_offers_selectors_for_escalation(self) -> None:
        self.assertIsNone(register_deputy(self.register))
        self.name_deputy()
        self.register.refresh_from_db()
        self.assertEqual(register_deputy(self.register), self.in_register)
        self.assertEqual(register_deputy_user(self.register), self.deputy_user)
        self.assertEqual(register_leader_role(self.deputy_user, self.register), "deputy")
        self.assertEqual(register_leader_role(self.rep_user, self.register), "representative")
        self.assertEqual(register_leader_role(self.agent, self.register), "")

    def test_it_refuses_a_deputy_outside_the_register_or_the_representative(self) -> None:
        for member in (self.a_not_in_register, self.rep_member, self.b_member):
            with self.subTest(member=member.number), self.assertRaises(ValidationError):
                register_deputy_set(register=self.register, member=member, actor=self.staff)
        self.register.refresh_from_db()
        self.assertIsNone(self.register.deputy)
        self.assertFalse(AuditEvent.objects.filter(action__startswith="register.deputy").exists())

    def test_it_audits_naming_and_is_idempotent(self) -> None:
        self.name_deputy()
        self.name_deputy()
        event = AuditEvent.objects.get(action="register.deputy_set")
        self.assertEqual(event.changes["deputy"], {"before": None, "after": "100002"})

    def test_it_lets_staff_and_the_units_agent_name_a_deputy_on_the_page(self) -> None:
        url = f"/registers/{self.register.code}/leaders/"
        for persona, user in self.personas().items():
            with self.subTest(persona=persona):
                self.login_as(user)
                status = self.client.get(url).status_code
                expected = {"staff": 200, "agent": 200, "rep": 403, "board": 403}
                self.assertEqual(status, expected.get(persona, 404))
        self.login_as(self.agent)
        response = self.client.post(url, {"deputy": "100002"})
        self.assertEqual(response.status_code, 302)
        self.register.refresh_from_db()
        self.assertEqual(self.register.deputy, self.in_register)
        page = self.client.get(url).content.decode()
        self.assertIn('data-deputy="100002"', page)
        self.assertIn('data-deputy-account="1"', page)

    def test_it_shows_a_clear_error_for_a_member_not_offered(self) -> None:
        self.login_as(self.staff)
        url = f"/registers/{self.register.code}/leaders/"
        response = self.client.post(url, {"deputy": "100003"})
        self.assertEqual(response.status_code, 200)
        self.register.refresh_from_db()
        self.assertIsNone(self.register.deputy)

    def test_agent_of_another_unit_gets_404(self) -> None:
        other_register = Register.objects.create(unit=self.unit_b, number=None)
        self.login_as(self.agent)
        response = self.client.get(f"/registers/{other_register.code}/leaders/")
        self.assertEqual(response.status_code, 404)
