"""A successor takes the register: the LINE group waits for the successor's own code."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.utils import timezone

from tocnet.accounts.models import User
from tocnet.core.models import AuditEvent
from tocnet.line import simulate
from tocnet.line.models import LineGroup, RegisterCode, WebhookEvent
from tocnet.line.services.groups import group_refresh, register_code_ensure
from tocnet.line.tests.base import LineTestCase
from tocnet.members.models import Member, Representative
from tocnet.registers.leaders import (
    default_term_end,
    register_merge,
    register_merge_preview,
    register_successor_set,
    register_vacate,
)
from tocnet.registers.models import Register, RegisterMembership
from tocnet.registers.services import register_plan_apply
from tocnet.testing import PASSWORD

REP_LINE = "U" + "a" * 32
NEW_LINE = "U" + "b" * 32


class SuccessorGroupTestCase(LineTestCase):
    def verify_with_first_representative(self) -> LineGroup:
        code = register_code_ensure(register=self.register)
        group_id = simulate.group_id_for("สอ.พช.กพ.1")
        self.fake.add_group(group_id, "สอ.พช.กพ.1", count=3)
        self.post_events([simulate.join_event(group_id)])
        self.post_events([simulate.group_message_event(group_id, REP_LINE, code.code)])
        group = LineGroup.objects.get(group_id=group_id)
        self.assertEqual(group.status, LineGroup.Status.VERIFIED)
        return group

    def test_the_successor_takes_the_register_and_re_verifies_the_group(self) -> None:
        group = self.verify_with_first_representative()
        successor_user = User.objects.create_user(
            username="succ", password=PASSWORD, role=User.Role.REPRESENTATIVE
        )
        Member.objects.filter(pk=self.in_register.pk).update(user=successor_user)
        members_before = set(
            RegisterMembership.objects.filter(
                register=self.register, until__isnull=True
            ).values_list("member_id", flat=True)
        )
        with self.captureOnCommitCallbacks(execute=True):
            rep = register_successor_set(
                register=self.register,
                member=self.in_register,
                actor=self.staff,
                reason="resigned",
            )
        self.register.refresh_from_db()
        group.refresh_from_db()
        self.assertEqual(self.register.representative, rep)
        self.assertEqual(self.register.line_group_name, "สอ.พช.กพ.1")
        self.assertEqual(self.register.line_group_id, group.group_id)
        self.assertEqual(group.status, LineGroup.Status.AWAITING_NEW)
        old = Representative.objects.get(pk=self.representative.pk)
        self.assertIsNotNone(old.ended_on)
        self.assertEqual(old.end_reason, "resigned")
        self.assertEqual(
            set(
                RegisterMembership.objects.filter(
                    register=self.register, until__isnull=True
                ).values_list("member_id", flat=True)
            ),
            members_before,
        )
        # The old representative's page shows no code; the successor's shows a fresh one.
        self.assertEqual(RegisterCode.objects.filter(used_at__isnull=True).count(), 0)
        self.login_as(self.rep_user)
        old_page = self.client.get("/my/register/").content.decode()
        self.assertNotIn("data-line-code=", old_page)
        self.assertNotIn("100002", old_page)  # no longer sees the register's members
        self.login_as(successor_user)
        page = self.client.get("/my/register/").content.decode()
        self.assertIn(f'data-line-awaiting-new="{group.group_id}"', page)
        code = RegisterCode.objects.get(register=self.register, used_at__isnull=True)
        self.assertIn(f'data-line-code="{code.code}"', page)
        # The predecessor posting the new code does not verify; the successor's LINE does.
        self.post_events([simulate.group_message_event(group.group_id, REP_LINE, code.code)])
        group.refresh_from_db()
        self.assertEqual(group.status, LineGroup.Status.AWAITING_NEW)
        self.assertIsNone(RegisterCode.objects.get(pk=code.pk).used_at)
        Member.objects.filter(pk=self.in_register.pk).update(line_user_id=None)
        event = simulate.group_message_event(group.group_id, NEW_LINE, code.code)
        self.post_events([event])
        self.assertEqual(
            WebhookEvent.objects.get(webhook_event_id=event["webhookEventId"]).status,
            WebhookEvent.Status.DONE,
        )
        group.refresh_from_db()
        self.assertEqual(group.status, LineGroup.Status.VERIFIED)
        self.assertEqual(group.verified_by_line_user_id, NEW_LINE)
        self.assertEqual(Member.objects.get(pk=self.in_register.pk).line_user_id, NEW_LINE)
        self.assertTrue(
            AuditEvent.objects.filter(action="line.group_awaiting_new_representative").exists()
        )
        self.assertTrue(AuditEvent.objects.filter(action="register.successor_set").exists())

    def test_a_successor_from_another_unit_or_inactive_is_refused(self) -> None:
        for member in (self.b_member,):
            with self.subTest(member=member.number), self.assertRaises(ValidationError):
                register_successor_set(register=self.register, member=member, actor=self.staff)
        self.register.refresh_from_db()
        self.assertEqual(self.register.representative, self.representative)
        self.assertFalse(AuditEvent.objects.filter(action="register.successor_set").exists())

    def test_a_successor_from_another_register_joins_this_one(self) -> None:
        rep = register_successor_set(
            register=self.register, member=self.a_not_in_register, actor=self.staff
        )
        self.assertEqual(
            RegisterMembership.objects.get(
                member=self.a_not_in_register, until__isnull=True
            ).register,
            self.register,
        )
        # The predecessor's term ended long ago (2021): the successor gets a four-year term.
        self.assertEqual(rep.term_end, default_term_end(timezone.localdate()))

    def test_vacating_ends_the_term_and_keeps_the_group(self) -> None:
        group = self.verify_with_first_representative()
        register_vacate(register=self.register, reason="deceased", actor=self.staff)
        self.register.refresh_from_db()
        group.refresh_from_db()
        self.assertEqual(self.register.representative, self.representative)
        self.assertIsNotNone(self.register.representative.ended_on)  # type: ignore[union-attr]
        self.assertEqual(group.status, LineGroup.Status.VERIFIED)
        with self.assertRaises(ValidationError):
            register_vacate(register=self.register, reason="again", actor=self.staff)

    def test_a_code_posted_for_a_vacant_register_says_it_is_vacant(self) -> None:
        code = register_code_ensure(register=self.register)  # given before the term ended
        register_vacate(register=self.register, reason="resigned", actor=self.staff)
        group_id = simulate.group_id_for("สอ.พช.กพ.1")
        self.fake.add_group(group_id, "สอ.พช.กพ.1", count=3)
        self.post_events([simulate.join_event(group_id)])
        self.post_events([simulate.group_message_event(group_id, REP_LINE, code.code)])
        self.assertIn("ว่าง — ต้องการผู้แทนคนใหม่", self.reply_texts()[-1])
        self.assertIsNone(RegisterCode.objects.get(pk=code.pk).used_at)
        self.assertNotEqual(
            LineGroup.objects.get(group_id=group_id).status, LineGroup.Status.VERIFIED
        )

    def test_the_leaders_page_names_a_successor_and_marks_a_vacancy(self) -> None:
        url = f"/registers/{self.register.code}/leaders/"
        self.login_as(self.agent)
        response = self.client.post(url, {"action": "vacate", "reason": "resigned"})
        self.assertEqual(response.status_code, 302)
        page = self.client.get(url).content.decode()
        self.assertIn('data-state="vacant"', page)
        response = self.client.post(
            url, {"action": "successor", "member_number": "๑๐๐๐๐๒", "reason": "runner-up"}
        )
        self.assertEqual(response.status_code, 302)
        self.register.refresh_from_db()
        self.assertEqual(self.register.representative.member, self.in_register)  # type: ignore[union-attr]
        page = self.client.get(url).content.decode()
        self.assertIn('data-representative="100002"', page)
        self.assertIn('data-history="register.successor_set"', page)
        response = self.client.post(
            url, {"action": "successor", "member_number": "200001", "reason": "x"}
        )
        self.assertEqual(response.status_code, 200)  # another unit's member: a clear error

    def test_a_new_representative_from_the_import_also_re_verifies_the_group(self) -> None:
        group = self.verify_with_first_representative()
        Representative.objects.filter(pk=self.representative.pk).update(
            ended_on=dt.date(2026, 11, 30), end_reason="not in representatives list"
        )
        Representative.objects.create(
            member=self.in_register,
            unit=self.unit_a,
            term_start=dt.date(2026, 12, 1),
            term_end=dt.date(2030, 11, 30),
        )
        # The personas' only register of กพ is numbered 1, so the plan also names it as a
        # single group, a rename of a verified group that staff confirm.
        register_plan_apply(units=[self.unit_a], actor=self.staff, confirm_renames=True)
        self.register.refresh_from_db()
        group.refresh_from_db()
        self.assertEqual(self.register.representative.member, self.in_register)  # type: ignore[union-attr]
        self.assertEqual(group.status, LineGroup.Status.AWAITING_NEW)


class MergedRegisterGroupTestCase(LineTestCase):
    """A vacant register merged into the unit's others takes its LINE group with it into
    retirement: the group stays in LINE (its members still chat there) but is no register's,
    so its id is free for whichever register the group's name and a code later point to."""

    def test_merging_releases_the_verified_group(self) -> None:
        code = register_code_ensure(register=self.register)
        group_id = simulate.group_id_for("สอ.พช.กพ.1")
        self.fake.add_group(group_id, "สอ.พช.กพ.1", count=3)
        self.post_events([simulate.join_event(group_id)])
        self.post_events([simulate.group_message_event(group_id, REP_LINE, code.code)])
        self.assertEqual(LineGroup.objects.get(group_id=group_id).status, "verified")
        other_rep = Representative.objects.create(
            member=self.a_not_in_register,
            unit=self.unit_a,
            term_start=dt.date(2026, 1, 1),
            term_end=dt.date(2029, 12, 31),
        )
        other = Register.objects.create(
            unit=self.unit_a, number=2, representative=other_rep, line_group_name="สอ.พช.กพ.2"
        )
        RegisterMembership.objects.create(
            register=other, member=self.a_not_in_register, since=timezone.now()
        )
        register_vacate(register=self.register, reason="resigned", actor=self.staff)
        moves = register_merge_preview(register=self.register)
        self.assertEqual(len(moves), 2)
        register_merge(register=self.register, actor=self.staff, expected=moves)
        self.register.refresh_from_db()
        group = LineGroup.objects.get(group_id=group_id)
        self.assertIsNotNone(self.register.retired_at)
        self.assertIsNone(self.register.line_group_id)
        self.assertEqual(
            (group.status, group.problem, group.register_id, group.problem_detail),
            (LineGroup.Status.UNMATCHED, LineGroup.Problem.NO_SUCH_REGISTER, None, "สอ.พช.กพ.1"),
        )
        merged = AuditEvent.objects.get(action="register.merged")
        self.assertEqual(merged.changes["line_group_id"], group_id)
        self.assertTrue(AuditEvent.objects.filter(action="line.group_released").exists())
        # The group list shows it as a group without a register, not as a verified one.
        self.login_as(self.staff)
        page = self.client.get("/line/groups/").content.decode()
        self.assertIn('data-status="unmatched" data-problem="no_such_register"', page)
        # Its id can be verified for another register later without a clash.
        Register.objects.filter(pk=other.pk).update(line_group_id=group_id)


class ConfirmedRenameTestCase(LineTestCase):
    """A plan renaming a verified group, confirmed by staff: the verification follows the new
    name. The group stays this register's, flagged until it is renamed in LINE too."""

    def test_the_verification_follows_the_new_name(self) -> None:
        # กพ has one register, its single group สอ.พช.กพ., verified.
        self.register.number = None
        self.register.line_group_name = "สอ.พช.กพ."
        self.register.save()
        code = register_code_ensure(register=self.register)
        group_id = simulate.group_id_for("สอ.พช.กพ.")
        self.fake.add_group(group_id, "สอ.พช.กพ.", count=3)
        self.post_events([simulate.join_event(group_id)])
        self.post_events([simulate.group_message_event(group_id, REP_LINE, code.code)])
        self.assertEqual(LineGroup.objects.get(group_id=group_id).status, "verified")
        # A second representative is elected: the single group becomes สอ.พช.กพ.1.
        Representative.objects.create(
            member=self.a_not_in_register,
            unit=self.unit_a,
            term_start=dt.date(2026, 1, 1),
            term_end=dt.date(2029, 12, 31),
        )
        register_plan_apply(units=[self.unit_a], actor=self.staff, confirm_renames=True)
        self.register.refresh_from_db()
        self.assertEqual(self.register.line_group_name, "สอ.พช.กพ.1")
        self.assertEqual(self.register.line_group_id, group_id)
        group_refresh(group_id=group_id)
        group = LineGroup.objects.get(group_id=group_id)
        self.assertEqual((group.status, group.register_id), ("verified", self.register.pk))
        self.assertIn("สอ.พช.กพ.", group.drift)  # the old name in LINE: flagged, not detached
        self.fake.rename_group(group_id, "สอ.พช.กพ.1")
        group_refresh(group_id=group_id)
        group.refresh_from_db()
        self.assertEqual((group.status, group.drift), ("verified", ""))
