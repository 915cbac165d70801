import io
import json

from django.core.management import CommandError, call_command

from tocnet.conversations import services
from tocnet.conversations.models import Conversation
from tocnet.conversations.reporting import simulate_report
from tocnet.conversations.tests.base import ConversationTestCase


class InboxCommandTestCase(ConversationTestCase):
    def test_it_prints_the_inbox_as_json_in_the_agreed_shape(self) -> None:
        self.say("อยากกู้เงินฉุกเฉิน")
        self.say("เรื่องสวัสดิการ", user_id="U" + "9" * 32)  # unlinked: not in the inbox yet
        out = io.StringIO()
        call_command("inbox", "--json", "--department", "credit", "--status", "open", stdout=out)
        data = json.loads(out.getvalue())
        conversation = Conversation.objects.get(member=self.in_register)
        self.assertEqual(
            data,
            {
                "conversations": [
                    {
                        "id": str(conversation.code),
                        "member": self.in_register.number,
                        "department": "credit",
                        "status": "open",
                        "assigned_to": None,
                        "messages": 1,
                        "waiting_since": conversation.waiting_since.isoformat(),
                    }
                ]
            },
        )
        out = io.StringIO()
        call_command("inbox", "--json", "--status", "solved", stdout=out)
        self.assertEqual(json.loads(out.getvalue()), {"conversations": []})

    def test_it_names_an_unknown_department(self) -> None:
        with self.assertRaisesMessage(CommandError, "ไม่พบฝ่าย"):
            call_command("inbox", "--json", "--department", "loans", stdout=io.StringIO())

    def test_it_reports_the_conversation_a_simulated_message_landed_in(self) -> None:
        event = self.say("สวัสดีครับ")
        lines = simulate_report(event)
        self.assertEqual(len(lines), 1)
        self.assertIn(str(self.conversation().code), lines[0])
        self.assertIn("triage", lines[0])
        services.conversation_route(
            conversation=self.conversation(), department=self.credit, routing="staff", actor="t"
        )
        self.assertIn("สินเชื่อ", simulate_report(event)[0])


class DemoConversationsTestCase(ConversationTestCase):
    def test_it_builds_a_small_knowledge_base_and_conversations_once(self) -> None:
        from tocnet.conversations import selectors
        from tocnet.conversations.demo import QUESTIONS, demo_conversations_create
        from tocnet.conversations.models import Article
        from tocnet.members.tests.factories import make_member

        # members of กพ outside the representative's register, numbered before theirs
        for number in ("000001", "000002", "000003", "000004", "000005", "000006"):
            make_member(unit=self.unit_a, number=number)
        created = demo_conversations_create()
        self.assertEqual(created, Conversation.objects.count())
        self.assertGreaterEqual(Article.objects.count(), 8)
        self.assertEqual(demo_conversations_create(), 0)
        # the demo's representative ("rep") sees on their phone the questions of their
        # register's members (who said yes in LINE), the first one a loan question they answer
        # with the knowledge base's loan articles
        seen = list(selectors.conversation_list_for_user(self.rep_user))
        self.assertEqual([c.member for c in seen], [self.in_register])
        first = seen[-1]
        self.assertEqual(first.department.code if first.department else "", "credit")
        self.assertFalse(selectors.representative_may_answer(first))
        self.assertEqual(selectors.articles_to_share(first)[0].department, first.department)
        # and questions to the teams representatives answer in their own words
        self.assertLessEqual({"welfare", "membership"}, {code for _, code, _, _ in QUESTIONS})
