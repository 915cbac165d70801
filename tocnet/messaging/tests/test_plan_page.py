"""The cost page: its query count does not grow with the audience, and the alternatives counted
while planning equal what their own queries find."""

from __future__ import annotations

import datetime as dt

import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tocnet.line.models import LineFriend
from tocnet.members.models import Member, Phone
from tocnet.messaging.models import Announcement
from tocnet.messaging.planning import Audience, announcement_plan, plan_alternatives
from tocnet.messaging.tests.base import MessagingTestCase
from tocnet.registers.models import RegisterMembership

BANGKOK = dt.timezone(dt.timedelta(hours=7))


@time_machine.travel(dt.datetime(2026, 12, 2, 10, 0, tzinfo=BANGKOK), tick=False)
class CostPageTestCase(MessagingTestCase):
    def _grow(self, n: int) -> None:
        """n more members of กพ.1 (in its verified group), some on SMS, e-mail, LINE 1:1."""
        now = dt.datetime(2026, 12, 1, tzinfo=BANGKOK)
        for i in range(n):
            member = Member.objects.create(
                number=f"3{i:05d}",
                unit=self.unit_a,
                first_name="เพิ่ม",
                last_name=str(i),
                email=f"m{i}@example.com" if i % 3 == 0 else "",
                line_user_id=f"U{i:032d}" if i % 4 == 0 else None,
            )
            if i % 2:
                Phone.objects.create(member=member, raw="0812345678", e164="+66812345678")
            if i % 4 == 0:
                LineFriend.objects.create(line_user_id=member.line_user_id)
            if i % 5:
                RegisterMembership.objects.create(register=self.register, member=member, since=now)

    def _page_queries(self, announcement: Announcement) -> int:
        url = reverse("messaging:detail", args=[announcement.code])
        with CaptureQueriesContext(connection) as ctx:
            response = self.client.get(url)
        self.assertContains(response, 'data-alt="direct"')
        return len(ctx.captured_queries)

    def test_the_cost_page_asks_the_same_number_of_queries_for_any_audience(self) -> None:
        self.login_as(self.staff)
        announcement = self.approved(mode="relay")
        small = self._page_queries(announcement)
        self._grow(40)
        self.assertEqual(self._page_queries(announcement), small)

    def test_the_alternatives_counted_while_planning_match_their_queries(self) -> None:
        self._grow(12)
        for audience in (Audience(), Audience(scope="units", units=(str(self.unit_a.code),))):
            plan = announcement_plan(audience=audience, mode="relay", sms_text="ทดสอบ")
            counted = plan_alternatives(plan, audience)
            plan.reachable_by_sms = plan.linked_friends = None  # the two-query way
            self.assertEqual(counted, plan_alternatives(plan, audience))
            self.assertGreater(counted["all_sms"]["recipients"], 0)
            self.assertGreater(counted["all_direct"]["recipients"], 0)

    def test_the_page_reuses_a_fresh_quota_and_the_send_asks_line_again(self) -> None:
        from django.core.cache import cache

        cache.clear()
        self.login_as(self.staff)
        announcement = self.approved(mode="direct")
        url = reverse("messaging:detail", args=[announcement.code])
        self.client.get(url)
        self.client.get(url)
        self.assertEqual(len(self.fake.requests_to("/v2/bot/message/quota")), 1)
        self.send(announcement)
        self.assertEqual(len(self.fake.requests_to("/v2/bot/message/quota")), 2)
