"""Inbox and conversation pages: scoping per persona, query counts, access log, answering."""

import re

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tocnet.accounts.models import Department, User
from tocnet.conversations import selectors, services
from tocnet.conversations.models import Article, Conversation, Message
from tocnet.conversations.tests.base import ConversationTestCase
from tocnet.core.models import AuditEvent
from tocnet.privacy.models import Channel, Consent, Method, Purpose


def make_conversation(member, department=None, **extra) -> Conversation:  # type: ignore[no-untyped-def]
    now = timezone.now()
    return Conversation.objects.create(
        member=member,
        line_user_id=member.line_user_id or "",
        department=department,
        opened_at=now,
        last_message_at=now,
        waiting_since=now,
        due_at=services.due_from(now),
        **extra,
    )


class InboxViewTestCase(ConversationTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.credit_conv = make_conversation(self.in_register, self.credit)
        self.other_conv = make_conversation(self.b_member, self.welfare_staff.departments.get())

    def visible(self, user: User) -> set[str]:
        self.login_as(user)
        response = self.client.get("/conversations/")
        if response.status_code != 200:
            return set()
        return (
            {str(c.code) for c in response.context["page"]} if "page" in response.context else set()
        )

    def test_it_scopes_the_inbox_per_persona(self) -> None:
        Consent.objects.create(
            member=self.in_register,
            purpose=Purpose.REPRESENTATIVE,
            channel=Channel.LINE,
            allowed=True,
            method=Method.LINE,
            notice_version="1",
            recorded_at=timezone.now(),
        )
        manager = User.objects.create_user("boss", role=User.Role.STAFF, is_superuser=True)
        expected = {
            "staff": {str(self.credit_conv.code)},  # credit team
            "welfare": {str(self.other_conv.code)},
            "boss": {str(self.credit_conv.code), str(self.other_conv.code)},
            "agent": {str(self.credit_conv.code)},  # unit กพ only
            "rep": {str(self.credit_conv.code)},  # their register's member, who consented
            "board": set(),
            "member": set(),
        }
        users = {
            "staff": self.staff,
            "welfare": self.welfare_staff,
            "boss": manager,
            "agent": self.agent,
            "rep": self.rep_user,
            "board": self.board,
            "member": self.member_user,
        }
        for name, user in users.items():
            with self.subTest(persona=name):
                self.assertEqual(self.visible(user), expected[name])

    def test_it_hides_members_who_did_not_consent_from_their_representative(self) -> None:
        self.assertEqual(self.visible(self.rep_user), set())
        self.login_as(self.rep_user)
        response = self.client.get(f"/conversations/{self.credit_conv.code}/")
        self.assertEqual(response.status_code, 404)

    def test_it_shows_the_board_counts_only(self) -> None:
        self.login_as(self.board)
        response = self.client.get("/conversations/")
        self.assertContains(response, 'data-count="open"')
        self.assertNotContains(response, self.in_register.first_name)
        self.assertEqual(
            self.client.get(f"/conversations/{self.credit_conv.code}/").status_code, 404
        )

    def test_it_renders_the_inbox_in_constant_queries(self) -> None:
        self.login_as(self.staff)
        with CaptureQueriesContext(connection) as few:
            self.client.get("/conversations/")
        for _ in range(20):
            make_conversation(self.in_register, self.credit, status="solved")
        with CaptureQueriesContext(connection) as many:
            response = self.client.get("/conversations/")
        self.assertEqual(len(response.context["page"]), 21)
        self.assertEqual(len(few), len(many))

    def test_the_inbox_shows_first_reply_and_resolution_against_the_target(self) -> None:
        import datetime as dt
        from zoneinfo import ZoneInfo

        from tocnet.conversations.models import Holiday

        monday = dt.datetime(2026, 11, 16, 9, 0, tzinfo=ZoneInfo("Asia/Bangkok"))
        hour = dt.timedelta(hours=1)

        def opened(first_reply: dt.timedelta | None, solved: dt.timedelta | None) -> str:
            c = Conversation.objects.create(
                member=self.in_register,
                department=self.credit,
                opened_at=monday,
                last_message_at=monday,
                first_reply_at=monday + first_reply if first_reply else None,
                solved_at=monday + solved if solved else None,
                status="solved" if solved else "open",
            )
            return str(c.code)

        quick = opened(2 * hour, 5 * hour)  # target: Tuesday 09:00
        slow = opened(30 * hour, 72 * hour)
        waiting = opened(None, None)
        self.login_as(self.staff)
        html = self.client.get("/conversations/").content.decode()

        def cell(code: str) -> str:
            return html.split(f'data-conversation="{code}"')[1].split("</tr>")[0]

        self.assertIn('data-first-reply="in-time"', cell(quick))
        self.assertIn('data-solved="in-time"', cell(quick))
        self.assertIn("ตอบครั้งแรกหลัง 2", cell(quick))
        self.assertIn("ทันเป้าหมาย", cell(quick))
        self.assertIn('data-first-reply="late"', cell(slow))
        self.assertIn('data-solved="late"', cell(slow))
        self.assertIn("แก้ไขเสร็จหลังจาก 3", cell(slow))
        self.assertNotIn("data-first-reply", cell(waiting))
        fragment = self.client.get("/conversations/", HTTP_HX_REQUEST="true").content.decode()
        self.assertNotIn("<html", fragment)  # the rows alone (htmx), marked the same way
        self.assertIn('data-first-reply="late"', fragment)
        # The target counts working days: a holiday on the Tuesday moves it to Wednesday.
        Holiday.objects.create(date=dt.date(2026, 11, 17), name="วันหยุดพิเศษ")
        html = self.client.get("/conversations/").content.decode()
        self.assertIn('data-first-reply="in-time"', cell(slow))
        self.assertIn('data-solved="late"', cell(slow))

    def test_staff_put_a_saved_answer_of_the_department_in_the_answer(self) -> None:
        from tocnet.conversations.models import SavedAnswer

        ours = SavedAnswer.objects.create(
            department=self.credit, title="ขอเอกสาร", text="ส่งสลิปเงินเดือนมาในแชตนี้ครับ"
        )
        theirs = SavedAnswer.objects.create(
            department=Department.objects.get(code="welfare"), title="รับเรื่อง", text="รับเรื่องแล้ว"
        )
        url = f"/conversations/{self.credit_conv.code}/"
        self.login_as(self.staff)
        page = self.client.get(url)
        self.assertContains(page, f'data-saved-answer="{ours.pk}"')
        self.assertNotContains(page, f'data-saved-answer="{theirs.pk}"')
        put = self.client.post(url, {"action": "answer", "text": "สวัสดีครับ", "insert": ours.pk})
        self.assertEqual(put.status_code, 200)
        self.assertEqual(
            put.context["answer_form"].initial["text"],
            "สวัสดีครับ\n\nส่งสลิปเงินเดือนมาในแชตนี้ครับ",
        )
        self.assertContains(put, "ส่งสลิปเงินเดือนมาในแชตนี้ครับ</textarea>")
        other = self.client.post(url, {"action": "answer", "text": "", "insert": theirs.pk})
        self.assertEqual(other.context["answer_form"].initial["text"], "")  # not their team's
        self.assertFalse(Message.objects.filter(direction="out").exists())  # nothing sent
        empty = self.client.post(url, {"action": "answer", "text": "  "})
        self.assertEqual(empty.status_code, 400)
        self.assertFalse(Message.objects.filter(direction="out").exists())

    def test_it_logs_every_opening_of_a_conversation(self) -> None:
        self.login_as(self.staff)
        self.client.get(f"/conversations/{self.credit_conv.code}/")
        event = AuditEvent.objects.get(action="conversation.viewed")
        self.assertEqual((event.actor, event.kind), (self.staff, AuditEvent.Kind.ACCESS))

    def test_it_refuses_another_departments_conversation(self) -> None:
        self.login_as(self.staff)
        response = self.client.get(f"/conversations/{self.other_conv.code}/")
        self.assertEqual(response.status_code, 404)
        response = self.client.post(
            f"/conversations/{self.other_conv.code}/", {"action": "answer", "text": "x"}
        )
        self.assertEqual(response.status_code, 404)
        self.assertFalse(Message.objects.exists())

    def test_staff_answer_assign_and_solve(self) -> None:
        self.login_as(self.staff)
        url = f"/conversations/{self.credit_conv.code}/"
        with self.captureOnCommitCallbacks(execute=True):
            response = self.client.post(url, {"action": "answer", "text": "ตอบแล้วครับ"})
        self.assertEqual(response.status_code, 302)
        answer = Message.objects.get(direction="out")
        self.assertEqual((answer.author, answer.send_status), (self.staff, "sent"))
        response = self.client.post(
            url,
            {
                "action": "manage",
                "department": self.credit.pk,
                "assigned_to": self.staff.pk,
                "status": "solved",
            },
        )
        self.credit_conv.refresh_from_db()
        self.assertEqual(
            (self.credit_conv.status, self.credit_conv.assigned_to), ("solved", self.staff)
        )
        self.assertIsNotNone(self.credit_conv.solved_at)

    def test_the_representative_cannot_manage_but_can_note(self) -> None:
        Consent.objects.create(
            member=self.in_register,
            purpose=Purpose.REPRESENTATIVE,
            channel=Channel.LINE,
            allowed=True,
            method=Method.LINE,
            notice_version="1",
            recorded_at=timezone.now(),
        )
        self.login_as(self.rep_user)
        url = f"/conversations/{self.credit_conv.code}/"
        self.client.post(url, {"action": "note", "note": "โทรคุยแล้ว"})
        self.assertEqual(Message.objects.get().direction, "note")
        response = self.client.post(url, {"action": "manage", "status": "solved"})
        self.assertEqual(response.status_code, 404)
        response = self.client.get("/conversations/my/")
        self.assertContains(response, str(self.credit_conv.code))

    def test_representatives_browse_the_knowledge_base(self) -> None:
        article = Article.objects.create(
            title="ดอกเบี้ยเงินกู้สามัญ", answer="ร้อยละ 6", department=self.credit
        )
        Article.objects.create(title="ร่าง", answer="-", published=False)
        self.login_as(self.rep_user)
        response = self.client.get("/conversations/kb/?q=ดอกเบี้ย")
        self.assertContains(response, "ดอกเบี้ยเงินกู้สามัญ")
        self.assertNotContains(response, "ร่าง")
        response = self.client.get(f"/conversations/kb/{article.code}/")
        self.assertContains(response, "line.me/R/share")
        self.login_as(self.member_user)
        self.assertEqual(self.client.get("/conversations/kb/").status_code, 404)

    def _consent(self, member=None) -> None:  # type: ignore[no-untyped-def]
        Consent.objects.create(
            member=member or self.in_register,
            purpose=Purpose.REPRESENTATIVE,
            channel=Channel.LINE,
            allowed=True,
            method=Method.LINE,
            notice_version="1",
            recorded_at=timezone.now(),
        )

    def test_the_representative_answers_a_loan_question_only_with_an_article(self) -> None:
        from django.core.exceptions import PermissionDenied

        self._consent()
        article = Article.objects.create(
            title="เอกสารกู้สามัญ", answer="ใช้บัตรประชาชนและสลิปเงินเดือน", department=self.credit
        )
        url = f"/conversations/{self.credit_conv.code}/"
        self.login_as(self.rep_user)
        page = self.client.get(url)
        self.assertContains(page, 'data-rep-may-answer="0"')
        self.assertContains(page, "เงินกู้ เงินฝาก หรือการชำระเงินของสมาชิก")  # why, in Thai
        self.assertContains(page, "หลักเกณฑ์: คำถามถึงฝ่ายสวัสดิการ, สมาชิกและหุ้น")
        self.assertNotContains(page, 'value="answer"')
        self.assertContains(page, 'value="article"')
        self.assertContains(page, f'value="{article.code}"')
        refused = self.client.post(url, {"action": "answer", "text": "ผ่อนได้ครับ"})
        self.assertEqual(refused.status_code, 403)
        self.assertContains(refused, "ผ่อนได้ครับ", status_code=403)  # kept, in the note box
        self.assertFalse(Message.objects.filter(direction="out").exists())
        with self.assertRaises(PermissionDenied):  # the service refuses too
            services.conversation_answer(
                conversation=self.credit_conv, author=self.rep_user, text="x"
            )
        # A bot-matched article does not open free text on a loan question either.
        Conversation.objects.filter(pk=self.credit_conv.pk).update(article=article)
        self.credit_conv.refresh_from_db()
        with self.assertRaises(PermissionDenied):
            services.conversation_answer(
                conversation=self.credit_conv, author=self.rep_user, text="x"
            )
        # The article goes, as the cooperative's words; staff keep the conversation.
        with self.captureOnCommitCallbacks(execute=True):
            sent = self.client.post(url, {"action": "article", "article": str(article.code)})
        self.assertEqual(sent.status_code, 302)
        answer = Message.objects.get(direction="out")
        self.assertEqual(
            (answer.author, answer.text),
            (
                self.rep_user,
                "เอกสารกู้สามัญ\n\nใช้บัตรประชาชนและสลิปเงินเดือน"
                "\n\n— สมชาย ใจดี ผู้แทนสมาชิกของท่าน",  # the member knows who sent it
            ),
        )
        self.credit_conv.refresh_from_db()
        self.assertIsNone(self.credit_conv.assigned_to)
        self.assertIsNotNone(self.credit_conv.first_reply_at)
        # An unpublished article is refused on the page, nothing sent.
        Article.objects.filter(pk=article.pk).update(published=False)
        bad = self.client.post(url, {"action": "article", "article": str(article.code)})
        self.assertEqual(bad.status_code, 400)
        self.assertEqual(Message.objects.filter(direction="out").count(), 1)
        # Staff mark it "the representative may answer" (audited): free text opens.
        self.login_as(self.staff)
        self.client.post(
            url,
            {
                "action": "manage",
                "department": self.credit.pk,
                "status": "open",
                "rep_may_answer": "on",
            },
        )
        self.assertTrue(AuditEvent.objects.filter(action="conversation.rep_may_answer").exists())
        self.login_as(self.rep_user)
        self.assertContains(self.client.get(url), 'data-rep-may-answer="1"')
        with self.captureOnCommitCallbacks(execute=True):
            sent = self.client.post(url, {"action": "answer", "text": "ผ่อนได้ครับ"})
        self.assertEqual(sent.status_code, 302)
        self.assertTrue(
            Message.objects.filter(direction="out", text__startswith="ผ่อนได้ครับ\n\n— ").exists()
        )

    def test_the_representative_answers_welfare_questions_in_their_own_words(self) -> None:
        self._consent()
        welfare = make_conversation(self.in_register, Department.objects.get(code="welfare"))
        self.assertTrue(selectors.representative_may_answer(welfare))
        self.assertFalse(selectors.representative_may_answer(self.credit_conv))
        triage = make_conversation(self.in_register)
        self.assertFalse(selectors.representative_may_answer(triage))  # not sorted yet
        self.login_as(self.rep_user)
        phone = self.client.get("/conversations/my/")
        self.assertContains(phone, "คำถามที่ท่านตอบได้")  # the rule, in Thai
        self.assertContains(phone, "ตอบด้วยคำพูดของท่านเอง: คำถามถึงฝ่ายสวัสดิการ, สมาชิกและหุ้น")
        rows = {
            code: answer
            for code, answer in re.findall(
                r'data-conversation="([^"]+)".*?data-answer="(\w+)"', phone.content.decode(), re.S
            )
        }
        self.assertEqual(
            rows,
            {
                str(welfare.code): "words",
                str(self.credit_conv.code): "article",
                str(triage.code): "article",
            },
        )
        with self.captureOnCommitCallbacks(execute=True):
            sent = self.client.post(
                f"/conversations/{welfare.code}/",
                {"action": "answer", "text": "ส่งใบรับรองแพทย์มาในแชตนี้ได้เลยครับ"},
            )
        self.assertEqual(sent.status_code, 302)
        answer = Message.objects.get(direction="out")
        self.assertEqual(answer.author, self.rep_user)
        self.assertEqual(
            answer.text,
            "ส่งใบรับรองแพทย์มาในแชตนี้ได้เลยครับ\n\n— สมชาย ใจดี ผู้แทนสมาชิกของท่าน",
        )
        # The cooperative changes its rule: the setting names the teams.
        with self.settings(CONVERSATIONS_REP_ANSWER_DEPARTMENTS=["membership"]):
            self.assertFalse(selectors.representative_may_answer(welfare))
            refused = self.client.post(
                f"/conversations/{welfare.code}/", {"action": "answer", "text": "x"}
            )
            self.assertEqual(refused.status_code, 403)

    def test_department_staff_see_triage_and_the_page_count_matches_the_scope(self) -> None:
        triage = make_conversation(self.a_not_in_register)
        make_conversation(self.in_register, self.credit, status="solved")
        self.login_as(self.staff)
        response = self.client.get("/conversations/")
        self.assertContains(response, f'href="/conversations/{triage.code}/"')
        page = response.context["page"]
        self.assertIn(triage, list(page))
        self.assertNotIn(self.other_conv, list(page))
        self.assertEqual(page.paginator.count, 3)  # credit (open, solved) + triage
        solved = self.client.get("/conversations/", {"status": "solved"}).context["page"]
        self.assertEqual(solved.paginator.count, 1)
        triage_only = self.client.get("/conversations/", {"department": "triage"})
        self.assertEqual(triage_only.context["page"].paginator.count, 1)
