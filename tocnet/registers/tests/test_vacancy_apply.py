"""Approving re-plans with a vacancy, a verified group renamed, deputies, the approval message."""

from __future__ import annotations

import datetime as dt
import re

from django.contrib.messages import get_messages
from django.core.exceptions import ValidationError

from tocnet.accounts.models import User
from tocnet.core.models import AuditEvent
from tocnet.members.importing.services import representative_import_file
from tocnet.members.models import Member, Representative, Unit
from tocnet.members.tests.factories import make_member, make_unit
from tocnet.members.tests.import_builders import xlsx_bytes
from tocnet.registers.leaders import (
    register_deputy_set,
    register_merge_preview,
    representative_terms_renew,
)
from tocnet.registers.models import Register, RegisterMembership
from tocnet.registers.selectors import unit_plan_list
from tocnet.registers.services import RenameNeedsConfirmationError, register_plan_apply
from tocnet.testing import PASSWORD
from tocnet.testing import BaseTestCase as _Base

from .test_plan_apply import make_rep, open_register_of


def _open(register: Register) -> set[int]:
    return set(register.memberships.filter(until__isnull=True).values_list("member_id", flat=True))


class VacancyApplyTestCase(_Base):
    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.unit = make_unit(abbreviation="ทด", kind=Unit.Kind.PROVINCE)
        districts = ["อำเภอเมือง", "อ.นาดี", "บ้านนา"]
        cls.members = [make_member(unit=cls.unit, district=districts[i % 3]) for i in range(150)]
        cls.reps = [make_rep(m) for m in cls.members[:3]]
        cls.agent_of_unit = User.objects.create_user(
            username="agent2", password=PASSWORD, role=User.Role.AGENT
        )
        cls.unit.agent_links.create(user=cls.agent_of_unit)

    def apply(self, **kwargs: object):  # type: ignore[no-untyped-def]
        return register_plan_apply(units=[self.unit], actor=self.staff, **kwargs)

    def test_a_representative_who_leaves_leaves_a_vacant_register(self) -> None:
        self.apply()
        leaving = self.reps[2]
        register = open_register_of(leaving.member)
        name, members = register.line_group_name, _open(register)
        Representative.objects.filter(pk=leaving.pk).update(
            ended_on=dt.date(2026, 11, 30), end_reason="resigned"
        )
        newcomer = make_member(unit=self.unit, district="นาดี")
        result = self.apply()
        register.refresh_from_db()
        self.assertIsNone(register.retired_at)
        self.assertEqual(register.line_group_name, name)
        self.assertEqual(register.representative_id, leaving.pk)  # who led it, kept
        self.assertEqual(_open(register), members)
        self.assertEqual((result.vacant, result.placed, result.moves), (1, 1, 0))
        self.assertNotEqual(open_register_of(newcomer), register)
        self.assertFalse(AuditEvent.objects.filter(action="register.retired").exists())
        self.assertFalse(
            AuditEvent.objects.filter(action="register.updated", target_id=str(register.code))
        )
        plan = unit_plan_list([self.unit]).plans[0]
        self.assertEqual([r.key for r in plan.vacant], [str(register.code)])

    def test_renaming_a_verified_group_needs_staff_confirmation(self) -> None:
        Representative.objects.filter(pk__in=[r.pk for r in self.reps[1:]]).delete()
        self.apply()
        single = Register.objects.get(unit=self.unit)
        self.assertIsNone(single.number)
        Register.objects.filter(pk=single.pk).update(line_group_id="C" + "1" * 32)
        make_rep(self.members[1])
        memberships = RegisterMembership.objects.count()
        for actor, confirm in ((self.staff, False), (self.agent_of_unit, True)):
            with (
                self.subTest(actor=actor.username),
                self.assertRaises(RenameNeedsConfirmationError),
            ):
                register_plan_apply(units=[self.unit], actor=actor, confirm_renames=confirm)
            self.assertEqual(RegisterMembership.objects.count(), memberships)
        self.apply(confirm_renames=True)
        single.refresh_from_db()
        self.assertEqual(single.line_group_name, "สอ.พช.ทด.1")
        self.assertEqual(single.line_group_id, "C" + "1" * 32)  # verification follows
        event = AuditEvent.objects.get(action="register.group_rename_confirmed")
        self.assertEqual(event.changes, {"before": "สอ.พช.ทด.", "after": "สอ.พช.ทด.1"})

    def test_the_page_asks_staff_to_confirm_and_tells_agents_they_cannot(self) -> None:
        Representative.objects.filter(pk__in=[r.pk for r in self.reps[1:]]).delete()
        self.apply()
        Register.objects.filter(unit=self.unit).update(line_group_id="C" + "2" * 32)
        make_rep(self.members[1])
        url = f"/registers/plan/{self.unit.code}/"
        self.login_as(self.staff)
        page = self.client.get(url).content.decode()
        self.assertIn('data-renames="1"', page)
        self.assertIn('name="confirm_renames"', page)
        self.login_as(self.agent_of_unit)
        page = self.client.get(url).content.decode()
        self.assertIn('data-renames="1"', page)
        self.assertNotIn('name="confirm_renames"', page)

    def test_the_approval_message_counts_placed_and_moved(self) -> None:
        self.apply()
        for _i in range(4):
            make_member(unit=self.unit, district="อำเภอเมือง")
        Member.objects.filter(pk=self.members[10].pk).update(status=Member.Status.RESIGNED)
        plan = unit_plan_list([self.unit])
        self.login_as(self.staff)
        response = self.client.post(
            f"/registers/plan/{self.unit.code}/approve/",
            {"fingerprint": plan.fingerprints[plan.plans[0].key]},
        )
        self.assertEqual(response.status_code, 302)
        [message] = [str(m) for m in get_messages(response.wsgi_request)]
        # units 1, placed 4, moved 0, left 1; registers created 0, updated 0, retired 0, vacant 0
        self.assertEqual(re.findall(r"\d+", message), ["1", "4", "0", "1", "0", "0", "0", "0"])
        event = AuditEvent.objects.filter(action="register_plan.applied").latest("pk")
        self.assertEqual(len(event.changes["added"]), 4)
        self.assertEqual(len(event.changes["left"]), 1)

    def test_a_deputy_who_leaves_the_register_is_cleared(self) -> None:
        self.apply()
        register = open_register_of(self.reps[0].member)
        deputy = next(m for m in self.members[3:] if open_register_of(m) == register)
        register_deputy_set(register=register, member=deputy, actor=self.staff)
        Member.objects.filter(pk=deputy.pk).update(status=Member.Status.RESIGNED)
        result = self.apply()
        register.refresh_from_db()
        self.assertIsNone(register.deputy)
        self.assertEqual(result.deputies_cleared, 1)
        self.assertTrue(AuditEvent.objects.filter(action="register.deputy_cleared").exists())

    def test_merge_is_previewed_then_applied_and_audited(self) -> None:
        self.apply()
        leaving = self.reps[2]
        register = open_register_of(leaving.member)
        members = _open(register)
        Representative.objects.filter(pk=leaving.pk).update(ended_on=dt.date(2026, 11, 30))
        url = f"/registers/{register.code}/leaders/"
        self.login_as(self.agent_of_unit)
        page = self.client.get(url + "?merge=preview").content.decode()
        self.assertIn(f'data-moves="{len(members)}"', page)
        self.assertEqual(_open(register), members)  # the preview changes nothing
        self.assertFalse(AuditEvent.objects.filter(action="register.merged").exists())
        moves = register_merge_preview(register=register)
        # Each member by name, with the register they would join; the read is logged.
        for move in moves:
            member = Member.objects.get(number=move.member)
            row = re.search(rf'<tr data-move="{move.member}">(.*?)</tr>', page, re.S)
            assert row is not None, move.member
            self.assertIn(member.full_name, row.group(1))
            self.assertIn(move.to_name, row.group(1))
        for name in {m.to_name for m in moves}:
            count = sum(1 for m in moves if m.to_name == name)
            self.assertRegex(page, rf'data-target="{re.escape(name)}"><b>[^<]+</b>\D*{count}\D')
        access = AuditEvent.objects.get(action="register.merge_previewed")
        self.assertEqual(
            (access.kind, access.actor_id, access.changes),
            (AuditEvent.Kind.ACCESS, self.agent_of_unit.pk, {"members": len(members)}),
        )
        # Another unit's agent sees neither the register nor its members.
        self.login_as(self.agent)
        self.assertEqual(self.client.get(url + "?merge=preview").status_code, 404)
        self.login_as(self.agent_of_unit)
        key = ",".join(f"{m.member}:{m.to_key}" for m in moves)
        stale = self.client.post(url, {"action": "merge", "moves": key + ",1:x"})
        self.assertEqual(stale.status_code, 200)
        self.assertIsNone(Register.objects.get(pk=register.pk).retired_at)
        response = self.client.post(url, {"action": "merge", "moves": key})
        self.assertEqual(response.status_code, 302)
        register.refresh_from_db()
        self.assertIsNotNone(register.retired_at)
        self.assertEqual(_open(register), set())
        others = Register.objects.filter(unit=self.unit, retired_at__isnull=True)
        sizes = [len(_open(r)) for r in others]
        self.assertEqual(sum(sizes), 150)
        self.assertLessEqual(max(sizes) - min(sizes), 2)
        event = AuditEvent.objects.get(action="register.merged")
        self.assertEqual(len(event.changes["moves"]), len(members))
        # The next plan leaves everyone where the merge put them.
        self.assertEqual(unit_plan_list([self.unit]).plans[0].moves, [])

    def test_a_register_with_a_representative_cannot_be_merged(self) -> None:
        self.apply()
        register = open_register_of(self.reps[0].member)
        with self.assertRaises(ValidationError):
            register_merge_preview(register=register)
        page = self.client
        self.login_as(self.staff)
        html = page.get(f"/registers/{register.code}/leaders/?merge=preview").content.decode()
        self.assertNotIn('data-section="merge"', html)

    def test_the_history_shows_every_way_the_leader_changed(self) -> None:
        """Who led it when, also when it changed through the imported list and the plan, not
        only on the leaders page: left out of the list, a new representative seated by the
        plan, re-elected for a new term."""
        self.apply()
        leaving = self.reps[2]
        register = open_register_of(leaving.member)
        others = [r for r in self.reps if r.pk != leaving.pk]

        def import_list(numbers: list[str]) -> None:
            rows = [["เลขทะเบียนสมาชิก", "หน่วยงาน"], *[[n, self.unit.name] for n in numbers]]
            outcome = representative_import_file(
                data=xlsx_bytes({"ผู้แทน": rows}), file_name="ผู้แทน.xlsx", actor=self.staff
            )
            self.assertEqual(outcome.summary["rejected"], [])

        import_list([r.member.number for r in others])  # the office's list without them
        url = f"/registers/{register.code}/leaders/"
        self.login_as(self.staff)
        page = self.client.get(url).content.decode()
        vacated = re.search(r'<li data-history="representative.end">(.*?)</li>', page, re.S)
        assert vacated is not None
        self.assertIn(leaving.member.number, vacated.group(1))
        self.assertIn("ไม่อยู่ในรายชื่อผู้แทนที่นำเข้า", vacated.group(1))
        # The next list names a member of that register; the plan seats them in it.
        newcomer = next(m for m in self.members[3:] if open_register_of(m) == register)
        import_list([*(r.member.number for r in others), newcomer.number])
        self.apply()
        register.refresh_from_db()
        self.assertEqual(register.representative.member, newcomer)  # type: ignore[union-attr]
        page = self.client.get(url).content.decode()
        seated = re.search(r'<li data-history="register.updated">(.*?)</li>', page, re.S)
        assert seated is not None
        self.assertIn(f"{newcomer.number} รับช่วงต่อจาก {leaving.member.number}", seated.group(1))
        representative_terms_renew(
            numbers=[newcomer.number],
            term_start=dt.date(2030, 1, 1),
            term_end=dt.date(2033, 12, 31),
            actor=self.staff,
        )
        page = self.client.get(url).content.decode()
        renewed = re.search(r'<li data-history="representative.term_renewed">(.*?)</li>', page)
        assert renewed is not None
        self.assertIn(f"{newcomer.number} ได้รับเลือกอีกวาระ", renewed.group(1))
        self.assertIn("2576", renewed.group(1))  # 2033 in the Buddhist era
        self.assertEqual(page.count("data-history="), 4)  # and the register's creation
