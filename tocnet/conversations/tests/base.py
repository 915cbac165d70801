"""ConversationTestCase: the personas, the fake LINE API, a credit-team staff member."""

from typing import Any

from tocnet.accounts.models import Department, User
from tocnet.conversations.models import Conversation
from tocnet.line import simulate
from tocnet.line.tests.base import LineTestCase

MEMBER_LINE = "U" + "1" * 32


class ConversationTestCase(LineTestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.credit = Department.objects.get(code="credit")
        cls.staff.departments.add(cls.credit)
        cls.welfare_staff = User.objects.create_user(
            "welfare", password="x-long-password-1", role=User.Role.STAFF
        )
        cls.welfare_staff.departments.add(Department.objects.get(code="welfare"))

    def say(self, text: str, user_id: str = MEMBER_LINE) -> dict[str, Any]:
        event = simulate.user_message_event(user_id, text)
        self.post_events([event])
        return event

    def tap(self, data: str, user_id: str = MEMBER_LINE) -> dict[str, Any]:
        event = simulate.postback_event(user_id, data)
        self.post_events([event])
        return event

    def last_quick_replies(self) -> list[dict[str, Any]]:
        body = self.fake.replies()[-1]
        quick = body["messages"][-1].get("quickReply") or {}
        return [item["action"] for item in quick.get("items", [])]

    def conversation(self) -> Conversation:
        return Conversation.objects.get(member=self.in_register)
