import datetime as dt

import time_machine
from django.template.loader import render_to_string
from django.test import RequestFactory

from tocnet.core.models import AuditEvent
from tocnet.line import simulate
from tocnet.line.models import GroupMemberSighting, LineGroup, RegisterCode, WebhookEvent
from tocnet.line.selectors import register_line_stats
from tocnet.line.services.groups import find_code, group_refresh, register_code_ensure
from tocnet.line.tests.base import LineTestCase
from tocnet.members.models import Member
from tocnet.registers.models import Register

REP_LINE = "U" + "a" * 32


class GroupVerificationTestCase(LineTestCase):
    def join(self, name: str, *, count: int = 3) -> LineGroup:
        group_id = simulate.group_id_for(name)
        self.fake.add_group(group_id, name, count=count)
        event = simulate.join_event(group_id)
        self.assertEqual(self.post_events([event]).status_code, 200)
        self.assertEqual(self.status_of(event), WebhookEvent.Status.DONE)
        return LineGroup.objects.get(group_id=group_id)

    def post_code(self, group: LineGroup, user_id: str | None, text: str) -> None:
        self.post_events([simulate.group_message_event(group.group_id, user_id, text)])

    def test_it_attaches_a_group_whose_name_matches_one_register(self) -> None:
        group = self.join("สอ.พช.กพ.1", count=7)
        self.assertEqual(group.status, LineGroup.Status.AWAITING_CODE)
        self.assertEqual(
            (group.register, group.member_count, group.problem), (self.register, 7, "")
        )
        self.register.refresh_from_db()
        self.assertIsNone(self.register.line_group_id)  # not verified until the code
        self.assertIn("สอ.พช.กพ.1", self.reply_texts()[0])

    def test_it_reads_names_as_people_type_them(self) -> None:
        group = self.join("สอ.พช. กพ.๑")
        self.assertEqual(group.register, self.register)

    def test_it_records_why_a_bad_name_is_not_attached(self) -> None:
        cases = {
            "ครอบครัวสุขใจ": LineGroup.Problem.BAD_NAME,
            "สอ.พช.ซซซ.1": LineGroup.Problem.UNKNOWN_UNIT,
            "สอ.พช.กพ.9": LineGroup.Problem.NO_SUCH_REGISTER,
            "สอ.พช.นว.1": LineGroup.Problem.NO_SUCH_REGISTER,
        }
        for name, problem in cases.items():
            with self.subTest(name=name):
                group = self.join(name)
                self.assertEqual(
                    (group.status, group.problem), (LineGroup.Status.UNMATCHED, problem)
                )
                self.assertIsNone(group.register)
                self.assertTrue(group.problem_detail or problem == LineGroup.Problem.BAD_NAME)
        self.assertEqual(LineGroup.objects.get(name="สอ.พช.กพ.9").unit, self.unit_a)
        self.assertEqual(len(self.fake.replies()), len(cases))

    def test_it_records_a_group_line_will_not_describe(self) -> None:
        event = simulate.join_event("Cunknown")  # LINE answers 404 for its summary
        self.post_events([event])
        group = LineGroup.objects.get(group_id="Cunknown")
        self.assertEqual((group.status, group.problem), ("unmatched", "unreadable"))
        self.assertIn("404", group.problem_detail)
        self.assertEqual(self.status_of(event), WebhookEvent.Status.DONE)

    def test_it_refuses_a_register_that_already_has_a_verified_group(self) -> None:
        self.register.line_group_id = "Cverified"
        self.register.save()
        group = self.join("สอ.พช.กพ.1")
        self.assertEqual(group.problem, LineGroup.Problem.REGISTER_TAKEN)
        self.assertEqual(group.status, LineGroup.Status.UNMATCHED)
        # The reply never suggests the name that is taken; with no free register, no example.
        reply = self.reply_texts()[-1]
        self.assertNotIn("เช่น สอ.พช.กพ.1", reply)
        Register.objects.create(unit=self.unit_a, number=2, line_group_name="สอ.พช.กพ.2")
        self.join("สอ.พช.กพ.1")
        self.assertIn("เช่น สอ.พช.กพ.2", self.reply_texts()[-1])

    def test_it_verifies_with_the_representatives_code_end_to_end(self) -> None:
        code = register_code_ensure(register=self.register)
        group = self.join("สอ.พช.กพ.1")
        self.post_code(group, REP_LINE, f"รหัสยืนยัน {code.code.lower()} ครับ")
        group.refresh_from_db()
        self.register.refresh_from_db()
        self.rep_member.refresh_from_db()
        self.rep_user.refresh_from_db()
        self.assertEqual(group.status, LineGroup.Status.VERIFIED)
        self.assertEqual(self.register.line_group_id, group.group_id)
        self.assertEqual(self.rep_member.line_user_id, REP_LINE)
        self.assertEqual(self.rep_user.line_user_id, REP_LINE)
        self.assertIsNotNone(RegisterCode.objects.get(pk=code.pk).used_at)
        self.assertEqual(
            AuditEvent.objects.filter(
                action="line.group_verified", target_id=str(self.register.code)
            ).count(),
            1,
        )
        self.assertEqual(AuditEvent.objects.filter(action="line.member_linked").count(), 1)
        self.assertIn(self.register.line_group_name, self.reply_texts()[-1])
        # The code is one-time: posting it again does nothing more.
        self.post_code(group, REP_LINE, code.code)
        self.assertEqual(AuditEvent.objects.filter(action="line.group_verified").count(), 1)
        # A new code appears only when the register needs one again.
        self.assertEqual(RegisterCode.objects.filter(used_at__isnull=True).count(), 0)

    def test_a_line_user_tied_to_another_account_verifies_without_taking_it(self) -> None:
        self.agent.line_user_id = REP_LINE
        self.agent.save()
        code = register_code_ensure(register=self.register)
        group = self.join("สอ.พช.กพ.1")
        self.post_code(group, REP_LINE, code.code)
        group.refresh_from_db()
        self.rep_user.refresh_from_db()
        self.assertEqual(group.status, LineGroup.Status.VERIFIED)
        self.assertIsNone(self.rep_user.line_user_id)

    def test_it_ignores_a_code_posted_in_a_group_named_for_another_register(self) -> None:
        code = register_code_ensure(register=self.register)
        group = self.join("ครอบครัวสุขใจ")
        self.post_code(group, REP_LINE, code.code)
        group.refresh_from_db()
        self.register.refresh_from_db()
        self.assertEqual(group.status, LineGroup.Status.UNMATCHED)
        self.assertIsNone(self.register.line_group_id)
        self.assertIsNone(RegisterCode.objects.get(pk=code.pk).used_at)
        Member.objects.get(pk=self.rep_member.pk, line_user_id__isnull=True)

    def test_it_checks_the_name_again_when_the_code_arrives(self) -> None:
        code = register_code_ensure(register=self.register)
        group = self.join("สอพช กพ")  # missing number: no such single group
        self.assertEqual(group.status, LineGroup.Status.UNMATCHED)
        self.fake.rename_group(group.group_id, "สอ.พช.กพ.1")
        self.post_code(group, REP_LINE, code.code)
        group.refresh_from_db()
        self.assertEqual(group.status, LineGroup.Status.VERIFIED)

    def test_the_code_outranks_a_bot_link_of_the_representative(self) -> None:
        # Someone who read the representative's number and phone digits on a form linked
        # the representative's member record through the bot first; that must not stop the
        # representative verifying their group, and the link moves to them.
        from tocnet.line.models import LineFriend
        from tocnet.line.services.linking import friend_message

        squatter = "U" + "9" * 32
        friend_message(line_user_id=squatter, text=self.rep_member.number)
        friend_message(line_user_id=squatter, text=self.rep_member.phones.get().last4)
        self.assertEqual(Member.objects.get(pk=self.rep_member.pk).line_user_id, squatter)
        code = register_code_ensure(register=self.register)
        group = self.join("สอ.พช.กพ.1")
        self.post_code(group, REP_LINE, code.code)
        group.refresh_from_db()
        self.rep_user.refresh_from_db()
        self.assertEqual(group.status, LineGroup.Status.VERIFIED)
        self.assertEqual(Member.objects.get(pk=self.rep_member.pk).line_user_id, REP_LINE)
        self.assertEqual(self.rep_user.line_user_id, REP_LINE)
        self.assertEqual(
            LineFriend.objects.get(line_user_id=squatter).step, LineFriend.Step.ASK_NUMBER
        )
        self.assertTrue(AuditEvent.objects.filter(action="line.member_relinked").exists())

    def test_it_refuses_a_code_from_a_line_account_linked_to_someone_else(self) -> None:
        code = register_code_ensure(register=self.register)
        group = self.join("สอ.พช.กพ.1")
        self.post_code(group, self.in_register.line_user_id, code.code)
        self.post_code(group, None, code.code)  # no userId (LINE for desktop without consent)
        group.refresh_from_db()
        self.assertEqual(group.status, LineGroup.Status.AWAITING_CODE)
        self.assertIsNone(RegisterCode.objects.get(pk=code.pk).used_at)

    def test_it_refuses_a_made_up_code(self) -> None:
        group = self.join("สอ.พช.กพ.1")
        self.post_code(group, REP_LINE, "TOC-ZZZZZZ")
        group.refresh_from_db()
        self.assertEqual(group.status, LineGroup.Status.AWAITING_CODE)

    def test_it_keeps_copied_names_unverified_once_one_group_is_verified(self) -> None:
        code = register_code_ensure(register=self.register)
        copy = self.join("สอ.พช.กพ.1")
        self.fake.add_group("Creal", "สอ.พช.กพ.1", count=4)
        self.post_events([simulate.join_event("Creal")])
        real = LineGroup.objects.get(group_id="Creal")
        self.post_code(real, REP_LINE, code.code)
        copy.refresh_from_db()
        self.assertEqual((copy.status, copy.problem), ("unmatched", "register_taken"))
        self.assertEqual(Register.objects.get(pk=self.register.pk).line_group_id, "Creal")

    def verified_group(self) -> LineGroup:
        code = register_code_ensure(register=self.register)
        group = self.join("สอ.พช.กพ.1", count=5)
        self.post_code(group, REP_LINE, code.code)
        group.refresh_from_db()
        self.assertTrue(group.is_verified)
        return group

    def test_it_keeps_a_verified_group_verified_on_a_repeated_join(self) -> None:
        group = self.verified_group()
        self.post_events([simulate.join_event(group.group_id)])
        group.refresh_from_db()
        self.assertTrue(group.is_verified)
        self.assertIn(self.register.line_group_name, self.reply_texts()[-1])

    def test_it_detaches_the_group_when_the_bot_leaves(self) -> None:
        group = self.verified_group()
        self.post_events([simulate.leave_event(group.group_id)])
        group.refresh_from_db()
        self.register.refresh_from_db()
        self.assertEqual(group.status, LineGroup.Status.LEFT)
        self.assertIsNone(self.register.line_group_id)
        self.assertEqual(AuditEvent.objects.filter(action="line.group_detached").count(), 1)

    def test_it_flags_a_rename_and_follows_the_count(self) -> None:
        group = self.verified_group()
        self.fake.rename_group(group.group_id, "ครอบครัวสุขใจ")
        self.fake.set_member_count(group.group_id, 9)
        with time_machine.travel(dt.datetime(2026, 1, 1, tzinfo=dt.UTC)):
            group_refresh(group_id=group.group_id)
        group.refresh_from_db()
        self.assertEqual((group.name, group.member_count), ("ครอบครัวสุขใจ", 9))
        self.assertIn("ครอบครัวสุขใจ", group.drift)
        self.assertTrue(group.is_verified)  # flagged for people, not silently detached
        self.fake.rename_group(group.group_id, "สอ.พช.กพ.1")
        group_refresh(group_id=group.group_id)
        group.refresh_from_db()
        self.assertEqual(group.drift, "")

    def test_it_detaches_a_group_line_no_longer_knows(self) -> None:
        group = self.verified_group()
        del self.fake.groups[group.group_id]
        group_refresh(group_id=group.group_id)
        self.register.refresh_from_db()
        self.assertIsNone(self.register.line_group_id)
        self.assertEqual(LineGroup.objects.get(pk=group.pk).status, LineGroup.Status.LEFT)

    def test_it_follows_who_joins_and_leaves(self) -> None:
        group = self.verified_group()
        member_line = self.in_register.line_user_id
        self.fake.set_member_count(group.group_id, 6)
        self.post_events([simulate.member_joined_event(group.group_id, [member_line, "Ustranger"])])
        stats = register_line_stats([Register.objects.get(pk=self.register.pk)])[self.register.pk]
        self.assertEqual(
            (
                stats.verified,
                stats.group_member_count,
                stats.linked_in_group,
                stats.members_on_register,
            ),
            (True, 6, 2, 2),  # the representative (seen posting the code) and in_register
        )
        self.post_events([simulate.member_left_event(group.group_id, [member_line])])
        stats = register_line_stats([Register.objects.get(pk=self.register.pk)])[self.register.pk]
        self.assertEqual(stats.linked_in_group, 1)
        self.assertFalse(GroupMemberSighting.objects.get(line_user_id=member_line).in_group)

    def test_it_keeps_the_latest_state_when_events_arrive_out_of_order(self) -> None:
        group = self.verified_group()
        joined = simulate.member_joined_event(group.group_id, ["Ulate"])
        left = simulate.member_left_event(group.group_id, ["Ulate"])
        left["timestamp"] = joined["timestamp"] + 60_000  # left a minute after joining
        self.post_events([left])
        self.post_events([joined])  # delivered late
        sighting = GroupMemberSighting.objects.get(line_user_id="Ulate")
        self.assertFalse(sighting.in_group)
        self.assertIsNotNone(sighting.left_at)

    def test_it_counts_stats_in_constant_queries(self) -> None:
        self.verified_group()
        registers = list(Register.objects.all())
        with self.assertNumQueries(2):
            register_line_stats(registers)

    def test_it_shows_the_code_and_who_is_missing_to_the_representative(self) -> None:
        request = RequestFactory().get("/")
        request.user = self.rep_user
        self.join("สอ.พช.กพ.9")
        html = render_to_string(
            "line/includes/register_line_status.html", {"register": self.register}, request=request
        )
        code = RegisterCode.objects.get(register=self.register, used_at__isnull=True)
        self.assertIn(f'data-line-code="{code.code}"', html)
        self.assertIn('data-line-problem="no_such_register"', html)
        self.assertIn('data-line-verified="false"', html)
        self.assertIn(f'data-member="{self.in_register.number}"', html)
        self.assertNotIn(self.a_not_in_register.number, html)
        self.assertNotIn(self.b_member.number, html)
        self.verified_group()
        html = render_to_string(
            "line/includes/register_line_status.html",
            {"register": Register.objects.get(pk=self.register.pk)},
            request=request,
        )
        self.assertIn('data-line-verified="true"', html)
        self.assertNotIn("data-line-code", html)
        self.assertIn(
            f'data-member="{self.in_register.number}" data-line-state="linked_not_seen"', html
        )
        self.assertNotIn(f'data-member="{self.rep_member.number}"', html)  # seen posting the code

    def test_it_shows_the_code_to_the_representative_only(self) -> None:
        for name, user in self.personas().items():
            with self.subTest(persona=name):
                request = RequestFactory().get("/")
                request.user = user
                html = render_to_string(
                    "line/includes/register_line_status.html",
                    {"register": self.register},
                    request=request,
                )
                self.assertEqual("data-line-code=" in html, name == "rep")
                self.assertEqual("data-line-code-hidden" in html, name != "rep")
        self.assertEqual(RegisterCode.objects.count(), 1)


def test_it_finds_codes_however_they_are_typed() -> None:
    assert find_code("รหัส toc-ab23cd นะครับ") == "TOC-AB23CD"
    assert find_code("TOC AB23CD") == "TOC-AB23CD"
    assert find_code("สวัสดีครับ") is None
    assert find_code("TOC-AB2") is None
