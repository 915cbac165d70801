"""Keyword routing reads the keywords staff keep per department (Django admin, Departments):
not a code in the program, so a renamed code still routes, a new word routes, none -> triage."""

from django.db import connection
from django.test.utils import CaptureQueriesContext

from tocnet.accounts.models import Department, User
from tocnet.conversations import routing
from tocnet.conversations.models import Conversation
from tocnet.conversations.tests.base import ConversationTestCase


class KeywordRoutingTestCase(ConversationTestCase):
    def edit_in_admin(self, department: Department, **changes: str) -> str:
        """Save the department through its admin page (as staff edit it); the response text."""
        admin = User.objects.create_superuser("root", password="pw-long-enough-1")
        self.client.force_login(admin)
        data = {
            "name": department.name,
            "code": department.code,
            "ordering": str(department.ordering),
            "keywords": department.keywords,
            **changes,
        }
        response = self.client.post(
            f"/admin/accounts/department/{department.pk}/change/", data, follow=True
        )
        self.client.logout()
        return response.content.decode()

    def test_the_migration_seeds_the_keywords_on_the_six_departments(self) -> None:
        seeded = dict(Department.objects.values_list("code", "keywords"))
        self.assertEqual(
            {code for code, keywords in seeded.items() if keywords},
            {"credit", "deposits", "welfare", "membership", "accounting", "management"},
        )
        self.assertIn("สามัญ", self.credit.keywords.splitlines())
        self.assertIn("ผู้รับผลประโยชน์", seeded["membership"].splitlines())

    def test_a_renamed_code_still_routes_loan_questions_to_credit(self) -> None:
        self.edit_in_admin(self.credit, code="loans", name="สินเชื่อและเงินกู้")
        self.credit.refresh_from_db()
        self.assertEqual(self.credit.code, "loans")
        self.say("อยากกู้สามัญต้องใช้ผู้ค้ำกี่คนครับ")
        conversation = self.conversation()
        self.assertEqual((conversation.department, conversation.routing), (self.credit, "keywords"))

    def test_a_keyword_added_by_staff_routes_a_new_word(self) -> None:
        question = "อยากติดโซลาร์เซลล์ที่บ้านครับ"
        self.assertIsNone(routing.department_for(question))
        typed = self.credit.keywords + "\n  โซลาร์เซลล์  \n\nโซลาร์เซลล์\nกู้ ๑๒ งวด\nกู้"
        self.edit_in_admin(self.credit, keywords=typed)
        self.credit.refresh_from_db()
        lines = self.credit.keywords.splitlines()
        # trimmed, repeats dropped, Thai digits folded, a phrase kept whole
        self.assertEqual(lines[-2:], ["โซลาร์เซลล์", "กู้ 12 งวด"])
        self.assertEqual(lines.count("กู้"), 1)
        self.say(question)
        conversation = self.conversation()
        self.assertEqual((conversation.department, conversation.routing), (self.credit, "keywords"))

    def test_a_phrase_matches_its_words_together_with_thai_digits(self) -> None:
        welfare = Department.objects.get(code="welfare")
        self.credit.keywords = "กู้ 12 งวด"
        self.credit.save()
        # "กู้" alone is no longer a credit keyword; the phrase is
        self.assertIsNone(routing.department_for("กู้ได้ไหม"))
        self.assertEqual(routing.department_for("ขอกู้ ๑๒ งวดได้ไหมครับ"), self.credit)
        self.assertNotEqual(routing.department_for("ขอกู้ ๑๒ งวดได้ไหมครับ"), welfare)

    def test_removing_all_keywords_sends_the_question_to_triage(self) -> None:
        self.edit_in_admin(self.credit, keywords="")
        self.credit.refresh_from_db()
        self.assertEqual(self.credit.keywords, "")
        self.say("อยากกู้เงินฉุกเฉินต้องทำอย่างไร")
        conversation = self.conversation()
        self.assertEqual((conversation.department, conversation.routing), (None, ""))
        labels = [a["label"] for a in self.last_quick_replies()]
        self.assertEqual(labels[0], "สินเชื่อ")  # the menu: the member may still choose it

    def test_a_department_whose_keywords_are_only_blank_lines_is_never_chosen(self) -> None:
        self.credit.keywords = "\n \n,"
        self.credit.save()
        self.assertIsNone(routing.department_for("อยากกู้เงินฉุกเฉิน"))

    def test_a_tie_between_two_departments_goes_to_triage(self) -> None:
        welfare = Department.objects.get(code="welfare")
        welfare.keywords = "ผ่อน"  # a credit keyword too
        welfare.save()
        self.credit.keywords = "ผ่อน"
        self.credit.save()
        self.assertIsNone(routing.department_for("ผ่อนได้ไหม"))
        self.credit.keywords = "ผ่อน\nงวด"
        self.credit.save()
        self.assertEqual(routing.department_for("ผ่อนกี่งวด"), self.credit)

    def test_the_member_menu_choice_wins_over_keywords(self) -> None:
        self.say("สวัสดีครับ")
        route = next(
            a for a in self.last_quick_replies() if a["label"] == "สวัสดิการ"
        )  # welfare's button
        self.tap(route["data"])
        self.say("อยากกู้เงินฉุกเฉินด้วย")  # a loan word inside the same conversation
        conversation = self.conversation()
        self.assertEqual(
            (conversation.department.code if conversation.department else "", conversation.routing),
            ("welfare", Conversation.Routing.MEMBER),
        )

    def test_routing_one_message_reads_all_keywords_in_one_query(self) -> None:
        question = "อยากกู้สามัญต้องใช้ผู้ค้ำกี่คนครับ"
        with self.assertNumQueries(1):
            self.assertEqual(routing.department_for(question), self.credit)
        with CaptureQueriesContext(connection) as few:
            self.say(question)
        Conversation.objects.all().delete()
        for i in range(30):
            Department.objects.create(
                code=f"extra{i}", name=f"ฝ่าย {i}", keywords=f"คำ{i}\nวลี {i}\nคำพิเศษ{i}"
            )
        with self.assertNumQueries(1):
            self.assertEqual(routing.department_for(question), self.credit)
        with CaptureQueriesContext(connection) as many:
            self.say(question)
        self.assertEqual(self.conversation().department, self.credit)
        self.assertEqual(len(many), len(few))


class DemoKeywordsTestCase(ConversationTestCase):
    def test_the_demo_questions_route_by_the_seeded_keywords(self) -> None:
        from tocnet.conversations.demo import QUESTIONS

        for question, code, _status, _answer in QUESTIONS:
            routed = routing.department_for(question)
            self.assertEqual(routed.code if routed else None, code, question)
