import datetime as dt
import json

import time_machine
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone

from tocnet.accounts.models import User
from tocnet.core.models import AuditEvent
from tocnet.members.models import Member
from tocnet.privacy.models import Breach, ConsentChange, DataRequest, Erasure, Restriction
from tocnet.testing import PASSWORD, BaseTestCase


class PrivacyPagesTestCase(BaseTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.dpo = User.objects.create_user(username="dpo", password=PASSWORD, role=User.Role.STAFF)
        self.dpo.user_permissions.add(Permission.objects.get(codename="dpo"))

    def test_the_notice_is_public_in_thai_and_english(self) -> None:
        response = self.client.get(reverse("privacy:notice"))
        self.assertContains(response, 'data-notice-version="1"')
        self.assertContains(response, "ประกาศความเป็นส่วนตัว")
        self.client.cookies["django_language"] = "en"
        self.assertContains(self.client.get(reverse("privacy:notice")), "TOC-Net privacy notice")
        self.assertEqual(self.client.get("/privacy/notice/99/").status_code, 404)

    def test_dpo_pages_need_the_dpo_permission(self) -> None:
        urls = [
            reverse("privacy:request_list"),
            reverse("privacy:access_log"),
            reverse("privacy:breach_list"),
            reverse("privacy:member_export", args=[self.in_register.code]),
        ]
        for persona, user in self.personas().items():
            self.login_as(user)
            for url in urls:
                with self.subTest(persona=persona, url=url):
                    self.assertIn(self.client.get(url).status_code, (403, 404))
        self.assertFalse(AuditEvent.objects.filter(action="privacy.member_data_exported").exists())
        self.login_as(self.dpo)
        for url in urls:
            self.assertEqual(self.client.get(url).status_code, 200, url)

    def test_a_representative_records_a_consent_with_the_members_words_in_scope_only(self) -> None:
        self.login_as(self.rep_user)
        url = reverse("privacy:member", args=[self.in_register.code])
        data = {"purpose": "coaching", "channel": "line", "allowed": "1"}
        response = self.client.post(url, data)
        self.assertEqual(response.status_code, 200)
        self.assertFalse(ConsentChange.objects.exists())
        response = self.client.post(url, {**data, "member_statement": "ยินดีให้ติดตาม"})
        self.assertEqual(response.status_code, 302)
        change = ConsentChange.objects.get()
        self.assertEqual((change.method, change.recorded_by), ("representative", self.rep_user))
        page = self.client.get(url)
        self.assertContains(page, 'data-cell="coaching-line" data-allowed="1"')
        other = reverse("privacy:member", args=[self.b_member.code])
        self.assertEqual(self.client.get(other).status_code, 404)
        self.assertEqual(self.client.post(other, data).status_code, 404)

    def test_the_register_counts_thirty_days_and_flags_overdue_requests(self) -> None:
        self.login_as(self.dpo)
        with time_machine.travel(dt.datetime(2026, 11, 1, 3, tzinfo=dt.UTC), tick=False):
            response = self.client.post(
                reverse("privacy:request_list"),
                {
                    "member_number": "100002",
                    "kind": "access",
                    "via": "paper",
                    "received_on": "2026-11-01",
                    "details": "ขอสำเนา",
                },
            )
        self.assertEqual(response.status_code, 302)
        request = DataRequest.objects.get()
        self.assertEqual(request.due_on, dt.date(2026, 12, 1))
        with time_machine.travel(dt.datetime(2026, 12, 2, 3, tzinfo=dt.UTC), tick=False):
            page = self.client.get(reverse("privacy:request_list"))
        self.assertContains(page, f'data-request="{request.code}" data-overdue="1"')
        bad = self.client.post(
            reverse("privacy:request_list"),
            {"member_number": "999", "kind": "access", "via": "paper", "received_on": "2026-11-01"},
        )
        self.assertContains(bad, 'data-errors="member_number"')
        self.assertEqual(DataRequest.objects.count(), 1)

    def test_export_restrict_and_erase_from_the_members_page(self) -> None:
        self.login_as(self.dpo)
        code = self.in_register.code
        response = self.client.get(reverse("privacy:member_export", args=[code]))
        self.assertEqual(json.loads(response.content)["member_number"], "100002")
        xlsx = self.client.get(reverse("privacy:member_export", args=[code]) + "?format=xlsx")
        self.assertTrue(xlsx.content.startswith(b"PK"))
        self.assertEqual(
            AuditEvent.objects.filter(
                action="privacy.member_data_exported", actor=self.dpo
            ).count(),
            2,
        )
        action = reverse("privacy:member_action", args=[code])
        self.client.post(action, {"action": "restrict", "reason": "คำขอระงับ"})
        self.assertTrue(Restriction.objects.filter(member=self.in_register, active=True).exists())
        self.assertContains(
            self.client.get(reverse("privacy:member", args=[code])), "data-restricted"
        )
        self.client.post(action, {"action": "erase", "confirm": "wrong"})
        self.assertFalse(Erasure.objects.exists())
        self.client.post(action, {"action": "erase", "confirm": "100002"})
        self.assertEqual(Member.objects.get(pk=self.in_register.pk).first_name, "ลบข้อมูลแล้ว")

    def test_the_access_log_finds_by_member_and_by_user(self) -> None:
        self.login_as(self.agent)
        self.client.get(reverse("members:member_detail", args=[self.in_register.code]))
        self.login_as(self.dpo)
        by_member = self.client.get(reverse("privacy:access_log"), {"member": "100002"})
        self.assertContains(by_member, 'data-event="member.viewed"')
        by_user = self.client.get(reverse("privacy:access_log"), {"user": "agent"})
        self.assertContains(by_user, 'data-event="member.viewed"')
        nobody = self.client.get(reverse("privacy:access_log"), {"user": "board"})
        self.assertNotContains(nobody, 'data-event="member.viewed"')

    def test_the_access_log_by_member_finds_their_conversations_opened(self) -> None:
        from tocnet.conversations.models import Conversation

        now = timezone.now()
        conversation = Conversation.objects.create(
            member=self.in_register, line_user_id="U" + "1" * 32, opened_at=now, last_message_at=now
        )
        self.login_as(self.staff)
        self.client.get(reverse("conversations:detail", args=[conversation.code]))
        self.login_as(self.dpo)
        page = self.client.get(reverse("privacy:access_log"), {"member": "100002"})
        self.assertContains(page, 'data-event="conversation.viewed"')
        other = self.client.get(reverse("privacy:access_log"), {"member": "200001"})
        self.assertNotContains(other, 'data-event="conversation.viewed"')

    def test_the_breach_register_shows_the_72_hour_clock(self) -> None:
        self.login_as(self.dpo)
        discovered = timezone.now() - dt.timedelta(hours=80)
        late = Breach.objects.create(title="แฟ้มหาย", discovered_at=discovered, risk="risk")
        fresh = Breach.objects.create(
            title="อีเมลส่งผิดคน", discovered_at=timezone.now() - dt.timedelta(hours=10)
        )
        page = self.client.get(reverse("privacy:breach_list"))
        self.assertContains(page, f'data-breach="{late.code}" data-overdue="1"')
        self.assertContains(page, f'data-breach="{fresh.code}" data-overdue="0"')
        response = self.client.post(
            reverse("privacy:breach_list"),
            {"title": "โน้ตบุ๊กหาย", "discovered_at": "2026-12-01T09:00", "risk": "unknown",
             "affected_estimate": "40"},
        )  # fmt: skip
        self.assertEqual(response.status_code, 302)
        self.assertTrue(AuditEvent.objects.filter(action="privacy.breach_recorded").exists())
