"""Erasure leaves no identifier of the member in any text column of any model."""

import json
from typing import Any

from django.apps import apps
from django.contrib.admin.models import CHANGE, LogEntry
from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse
from django.utils import timezone

from tocnet.conversations.models import Conversation, Message
from tocnet.core.models import AuditEvent
from tocnet.line.models import GroupMemberSighting, LineFriend, LineGroup, WebhookEvent
from tocnet.members.models import ImportJob, Member, Phone
from tocnet.privacy.models import Channel, Erasure, Method, Purpose
from tocnet.privacy.selectors import member_is_restricted
from tocnet.privacy.services import (
    consent_set,
    data_request_create,
    member_data_collect,
    member_erase,
)
from tocnet.registers.models import RegisterMembership
from tocnet.reports.models import MemberFormReport
from tocnet.testing import BaseTestCase

NATIONAL_ID = "3101700123455"
EMAIL = "somsak.srisuk@example.org"
LINE_ID = "somsak-line-77"
OTHER_NATIONAL_ID = "1100200300400"


def scan_every_text_column(needles: list[str]) -> list[tuple[str, str, int, str]]:
    """(model, field, pk, needle) for every text value holding a needle, in Python (JSON too)."""
    hits = []
    for model in apps.get_models():
        fields = [
            f
            for f in model._meta.concrete_fields
            if isinstance(f, models.CharField | models.TextField | models.JSONField)
        ]
        if not fields:
            continue
        names = [f.attname for f in fields]
        for row in model._default_manager.values_list("pk", *names):
            pk, values = row[0], row[1:]
            for name, value in zip(names, values, strict=True):
                if value in (None, ""):
                    continue
                text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
                lowered = text.lower()
                hits.extend(
                    (model._meta.label, name, pk, n) for n in needles if n.lower() in lowered
                )
    return hits


class MemberDataMixin(BaseTestCase):
    def _fill(self) -> None:
        """The member's data spread over every app, by the real paths where they exist."""
        m = self.in_register
        Member.objects.filter(pk=m.pk).update(
            email=EMAIL, line_id=LINE_ID, national_id=NATIONAL_ID, position="นักวิชาการ"
        )
        Member.objects.filter(pk=self.b_member.pk).update(national_id=OTHER_NATIONAL_ID)
        m.refresh_from_db()
        self.member_user.first_name, self.member_user.last_name = "สมศักดิ์", "ศรีสุข"
        self.member_user.email = EMAIL
        self.member_user.save()
        self.login_as(self.staff)
        self.client.get(reverse("members:member_detail", args=[m.code]))
        response = self.client.post(
            reverse("members:member_contact_edit", args=[m.code]),
            {"phones": "081-000-0002, 02-123-4567", "email": EMAIL, "line_id": LINE_ID},
        )
        self.assertEqual(response.status_code, 302)
        consent_set(
            member=m,
            purpose=Purpose.OFFERS,
            channel=Channel.LINE,
            allowed=True,
            method=Method.REPRESENTATIVE,
            actor=self.rep_user,
            member_statement="คุณสมศักดิ์ ศรีสุข บอกว่ายินดี โทร 0810000002",
        )
        data_request_create(
            member=m,
            kind="erasure",
            via="paper",
            received_on=timezone.localdate(),
            details="นายสมศักดิ์ ศรีสุข ขอให้ลบข้อมูล ติดต่อ " + EMAIL,
            actor=self.staff,
        )
        group = LineGroup.objects.create(group_id="C" + "9" * 32, name="สอ.พช.กพ.1")
        now = timezone.now()
        GroupMemberSighting.objects.create(
            group=group, line_user_id=m.line_user_id, first_seen_at=now, last_seen_at=now
        )
        LineFriend.objects.create(line_user_id=m.line_user_id, step="linked", linked_at=now)
        WebhookEvent.objects.create(
            webhook_event_id="01HXYZ",
            event_type="message",
            line_user_id=m.line_user_id,
            payload={"source": {"userId": m.line_user_id}, "message": {"text": "สมศักดิ์ ศรีสุข"}},
        )
        WebhookEvent.objects.create(
            webhook_event_id="01HXZZ",
            event_type="message",
            line_user_id="U" + "5" * 32,
            payload={"message": {"text": "เบอร์ของสมศักดิ์ 081-000-0002 " + NATIONAL_ID}},
        )
        conversation = Conversation.objects.create(
            member=m, line_user_id=m.line_user_id, opened_at=now, last_message_at=now
        )
        Message.objects.create(
            conversation=conversation,
            direction=Message.Direction.IN,
            text="ผมสมศักดิ์ ศรีสุข ขอถามเรื่องเงินกู้ โทร 0810000002",
            created_at=now,
        )
        MemberFormReport.objects.create(
            member=m, in_group=True, note="สมศักดิ์ย้ายไปอยู่บ้านลูก", reported_at=now
        )
        ImportJob.objects.create(
            kind=ImportJob.Kind.MEMBERS,
            status=ImportJob.Status.COMMITTED,
            file_name="list.xlsx",
            sha256="0" * 64,
            result={"details": [{"row": 4, "name": "นายสมศักดิ์ ศรีสุข", "phone": "0810000002"}]},
        )
        LogEntry.objects.log_actions(
            user_id=self.staff.pk,
            queryset=Member.objects.filter(pk=m.pk),
            action_flag=CHANGE,
            change_message="อีเมล " + EMAIL,
        )

    def _needles(self) -> list[str]:
        return [
            "สมศักดิ์",
            "ศรีสุข",
            "0810000002",
            "081-000-0002",
            "+66810000002",
            "021234567",
            EMAIL,
            LINE_ID,
            self.in_register.line_user_id or "",
            NATIONAL_ID,
        ]


class ErasureTestCase(MemberDataMixin):
    def test_it_leaves_no_identifier_in_any_text_column_and_keeps_the_counts(self) -> None:
        self._fill()
        needles = self._needles()
        before = scan_every_text_column(needles)
        found_in = {label for label, *_rest in before}
        # The fill really spread the data: the scan would notice a hook that does nothing.
        for label in (
            "members.Member",
            "members.Phone",
            "core.AuditEvent",
            "privacy.ConsentChange",
            "privacy.DataRequest",
            "line.WebhookEvent",
            "line.LineFriend",
            "line.GroupMemberSighting",
            "reports.MemberFormReport",
            "conversations.Message",
            "members.ImportJob",
            "admin.LogEntry",
            "accounts.User",
        ):
            self.assertIn(label, found_in)
        counts = {
            "members": Member.objects.count(),
            "memberships": RegisterMembership.objects.count(),
            "events": AuditEvent.objects.count(),
        }

        erasure = member_erase(member=self.in_register, actor=self.staff)

        self.assertEqual(scan_every_text_column(needles), [])
        self.assertEqual(Member.objects.count(), counts["members"])
        self.assertEqual(RegisterMembership.objects.count(), counts["memberships"])
        self.assertGreater(AuditEvent.objects.count(), counts["events"])
        kept = Member.objects.get(pk=self.in_register.pk)
        self.assertEqual(
            (kept.number, kept.unit_id, kept.status), ("100002", self.unit_a.pk, "active")
        )
        self.assertFalse(Phone.objects.filter(member=kept).exists())
        self.assertTrue(member_is_restricted(kept))
        self.member_user.refresh_from_db()
        self.assertFalse(self.member_user.is_active)
        self.assertFalse(self.member_user.has_usable_password())
        self.assertEqual(erasure.member_number, "100002")
        self.assertEqual(erasure.counts["line.links"]["friends"], 1)
        # Other members are untouched.
        b = Member.objects.get(pk=self.b_member.pk)
        self.assertEqual((b.first_name, b.national_id), ("วิชัย", OTHER_NATIONAL_ID))
        self.assertTrue(Phone.objects.filter(member=b).exists())
        self.assertTrue(
            AuditEvent.objects.filter(
                action="privacy.member_erased", target_id=str(kept.code)
            ).exists()
        )

    def test_it_refuses_a_current_representative_and_changes_nothing(self) -> None:
        events = AuditEvent.objects.count()
        with self.assertRaises(ValidationError):
            member_erase(member=self.rep_member, actor=self.staff)
        self.assertFalse(Erasure.objects.exists())
        self.assertEqual(AuditEvent.objects.count(), events)
        self.assertEqual(Member.objects.get(pk=self.rep_member.pk).first_name, "สมชาย")

    def test_it_refuses_a_second_erasure(self) -> None:
        member_erase(member=self.b_member, actor=self.staff)
        with self.assertRaises(ValidationError):
            member_erase(member=self.b_member, actor=self.staff)
        self.assertEqual(Erasure.objects.count(), 1)


class ExportTestCase(MemberDataMixin):
    def test_it_exports_every_kind_of_data(self) -> None:
        self._fill()
        data = member_data_collect(self.in_register)
        sections: dict[str, Any] = {s["name"]: s["rows"] for s in data["sections"]}
        self.assertEqual(sections["members.record"][0]["national_id"], NATIONAL_ID)
        self.assertEqual(sections["members.record"][0]["email"], EMAIL)
        self.assertEqual(
            {p["e164"] for p in sections["members.phones"]}, {"+66810000002", "+6621234567"}
        )
        self.assertEqual(sections["registers.history"][0]["register"], "สอ.พช.กพ.1")
        self.assertEqual(len(sections["line.links"]), 1)
        self.assertEqual(sections["line.sightings"][0]["group"], "สอ.พช.กพ.1")
        self.assertEqual(sections["privacy.consents"][0]["allowed"], True)
        self.assertEqual(len(sections["privacy.requests"]), 1)
        self.assertEqual(sections["reports.form_report"][0]["in_the_group"], True)
        self.assertIn("เงินกู้", sections["conversations.conversations"][0]["messages"][0]["text"])
        self.assertEqual(sections["messaging.deliveries"], [])
        self.assertEqual(sections["accounts.login"][0]["username"], "member")
        actions = [row["action"] for row in sections["core.access_log"]]
        self.assertIn("member.viewed", actions)
        self.assertIn("member.contact_updated", actions)
        # Nothing of another member.
        text = json.dumps(data, ensure_ascii=False)
        for other in ("วิชัย", "ประเสริฐ", OTHER_NATIONAL_ID, "+66812000001"):
            self.assertNotIn(other, text)
