import datetime as dt
import time
from typing import Any
from unittest import mock

import time_machine
from django.test import override_settings
from django.utils import timezone

from tocnet.core.models import AuditEvent
from tocnet.line import simulate
from tocnet.line.models import WebhookEvent
from tocnet.line.tests.base import LineTestCase
from tocnet.messaging.responses import liff
from tocnet.messaging.responses.line_handlers import on_group_acknowledgement
from tocnet.messaging.responses.models import Ask, PollOption, Response, ResponseLink, Way
from tocnet.messaging.responses.services import (
    ResponseRefused,
    response_link_create,
    response_record,
)
from tocnet.messaging.tests.response_builders import sent_announcement
from tocnet.testing import BaseTestCase

LINKED = "U" + "1" * 32  # BaseTestCase.in_register's LINE account


class ResponseRecordTestCase(BaseTestCase):
    def setUp(self) -> None:
        self.poll = sent_announcement(
            [self.rep_member, self.in_register, self.a_not_in_register],
            kind=Ask.Kind.POLL,
            question="จัดประชุมใหญ่วันไหนดี",
            options=["เสาร์", "อาทิตย์"],
        )
        self.saturday, self.sunday = PollOption.objects.filter(ask__announcement=self.poll)

    def test_it_keeps_one_response_and_the_first_time(self) -> None:
        first = response_record(
            announcement=self.poll, member=self.in_register, way=Way.LIFF, option=self.saturday
        )
        with time_machine.travel(timezone.now() + dt.timedelta(hours=2)):
            second = response_record(
                announcement=self.poll,
                member=self.in_register,
                way=Way.SMS_LINK,
                option=self.sunday,
            )
        self.assertEqual(Response.objects.count(), 1)
        self.assertEqual(second.pk, first.pk)
        self.assertEqual(second.option, self.sunday)
        self.assertEqual(second.way, Way.LIFF)
        self.assertEqual(second.first_at, first.first_at)
        self.assertGreater(second.at, first.at)

    def test_it_refuses_someone_outside_the_audience(self) -> None:
        with self.assertRaises(ResponseRefused) as caught:
            response_record(announcement=self.poll, member=self.b_member, way=Way.LIFF)
        self.assertEqual(caught.exception.reason, "not_in_audience")
        self.assertFalse(Response.objects.exists())
        event = AuditEvent.objects.get(action="responses.refused")
        self.assertEqual(event.changes["reason"], "not_in_audience")

    def test_it_refuses_answers_after_the_poll_closed(self) -> None:
        Ask.objects.filter(announcement=self.poll).update(closes_at=timezone.now())
        with self.assertRaises(ResponseRefused) as caught:
            response_record(
                announcement=self.poll, member=self.in_register, way=Way.LIFF, option=self.sunday
            )
        self.assertEqual(caught.exception.reason, "closed")
        self.assertFalse(Response.objects.exists())

    def test_it_refuses_an_option_of_another_poll(self) -> None:
        other = sent_announcement([self.in_register], kind=Ask.Kind.POLL, options=["ก", "ข"])
        foreign = PollOption.objects.filter(ask__announcement=other).first()
        with self.assertRaises(ResponseRefused):
            response_record(
                announcement=self.poll, member=self.in_register, way=Way.LIFF, option=foreign
            )

    def test_a_representative_mark_never_overwrites_the_member(self) -> None:
        response_record(announcement=self.poll, member=self.in_register, way=Way.GROUP_TEXT)
        with self.assertRaises(ResponseRefused) as caught:
            response_record(
                announcement=self.poll,
                member=self.in_register,
                way=Way.REP_PHONE,
                actor=self.rep_user,
            )
        self.assertEqual(caught.exception.reason, "already_responded")
        self.assertEqual(Response.objects.get().way, Way.GROUP_TEXT)

    def test_the_member_replaces_could_not_reach(self) -> None:
        mark = response_record(
            announcement=self.poll,
            member=self.in_register,
            way=Way.REP_UNREACHABLE,
            note="เบอร์ปิด",
            actor=self.rep_user,
        )
        self.assertIsNone(mark.first_at)
        later = response_record(announcement=self.poll, member=self.in_register, way=Way.LIFF)
        self.assertEqual(later.way, Way.LIFF)
        self.assertIsNotNone(later.first_at)
        self.assertEqual(later.note, "")


class PersonalLinkTestCase(BaseTestCase):
    def setUp(self) -> None:
        self.announcement = sent_announcement([self.a_not_in_register])

    def test_it_acknowledges_through_the_link(self) -> None:
        token = response_link_create(
            announcement=self.announcement, member=self.a_not_in_register, channel="sms"
        )
        page = self.client.get(f"/r/{token}")
        self.assertContains(page, 'data-action="acknowledge"')
        self.assertContains(page, self.announcement.title)
        answer = self.client.post(f"/r/{token}")
        self.assertEqual(answer.status_code, 302)
        response = Response.objects.get()
        self.assertEqual((response.member, response.way), (self.a_not_in_register, Way.SMS_LINK))
        self.assertContains(self.client.get(f"/r/{token}"), 'data-done="true"')

    def test_a_poll_without_a_question_shows_no_empty_question(self) -> None:
        poll = sent_announcement([self.a_not_in_register], kind=Ask.Kind.POLL, options=["ก", "ข"])
        token = response_link_create(
            announcement=poll, member=self.a_not_in_register, channel="sms"
        )
        page = self.client.get(f"/r/{token}")
        self.assertContains(page, 'data-option="2"')
        self.assertNotContains(page, 'class="question"')
        Ask.objects.filter(announcement=poll).update(question="วันไหนสะดวก")
        self.assertContains(self.client.get(f"/r/{token}"), '<p class="question">วันไหนสะดวก</p>')

    def test_it_refuses_forged_and_expired_links(self) -> None:
        token = response_link_create(
            announcement=self.announcement, member=self.a_not_in_register, channel="email"
        )
        forged = token[:-1] + ("a" if token[-1] != "a" else "b")
        self.assertEqual(self.client.post(f"/r/{forged}").status_code, 404)
        ResponseLink.objects.update(expires_at=timezone.now() - dt.timedelta(seconds=1))
        self.assertEqual(self.client.post(f"/r/{token}").status_code, 410)
        self.assertFalse(Response.objects.exists())
        self.assertEqual(AuditEvent.objects.filter(action="responses.link_refused").count(), 2)

    def test_the_same_link_until_it_expires_then_a_new_one(self) -> None:
        first = response_link_create(
            announcement=self.announcement, member=self.a_not_in_register, channel="sms"
        )
        again = response_link_create(
            announcement=self.announcement, member=self.a_not_in_register, channel="sms"
        )
        self.assertEqual(first, again)
        ResponseLink.objects.update(expires_at=timezone.now() - dt.timedelta(seconds=1))
        new = response_link_create(
            announcement=self.announcement, member=self.a_not_in_register, channel="sms"
        )
        self.assertNotEqual(new, first)
        self.assertEqual(self.client.get(f"/r/{first}").status_code, 404)
        self.assertEqual(self.client.get(f"/r/{new}").status_code, 200)


@override_settings(LIFF_ID="1650000000-AbCdEfGh")
class LiffAnswerTestCase(BaseTestCase):
    def open_session(self, sub: str = LINKED) -> None:
        claims = {"sub": sub, "aud": "1650000000", "exp": time.time() + 600}
        with mock.patch.object(liff, "liff_claims_verify", autospec=True, return_value=claims):
            self.client.post("/r/liff/session/", {"id_token": "t"})

    def test_it_answers_a_poll_and_changes_it(self) -> None:
        poll = sent_announcement(
            [self.in_register], kind=Ask.Kind.POLL, question="?", options=["ใช่", "ไม่ใช่"]
        )
        self.open_session()
        url = f"/r/liff/a/{poll.code}/"
        self.assertContains(self.client.get(url), 'data-option="2"')
        self.client.post(url, {"option": "1"})
        self.client.post(url, {"option": "2"})
        response = Response.objects.get()
        self.assertEqual((response.way, response.option.label), (Way.LIFF, "ไม่ใช่"))

    def test_it_refuses_a_member_outside_the_audience(self) -> None:
        announcement = sent_announcement([self.a_not_in_register])
        self.open_session()
        self.assertEqual(self.client.get(f"/r/liff/a/{announcement.code}/").status_code, 403)

    def test_an_unlinked_line_user_is_asked_to_link(self) -> None:
        announcement = sent_announcement([self.in_register])
        self.open_session(sub="U" + "9" * 32)
        response = self.client.get(f"/r/liff/a/{announcement.code}/")
        self.assertRedirects(
            response,
            f"/r/liff/link/?next=/r/liff/a/{announcement.code}/",
            fetch_redirect_response=False,
        )


class GroupAcknowledgementTestCase(BaseTestCase):
    def event(self, text: str, user: str = LINKED, **message: Any) -> dict[str, Any]:
        event = simulate.group_message_event("C" + "a" * 32, user, text)
        event["message"].update(message)
        return event

    def run_handler(self, event: dict[str, Any]) -> list[Any] | None:
        apply = on_group_acknowledgement(event)
        return None if apply is None else apply()

    def test_it_counts_a_typed_acknowledgement(self) -> None:
        announcement = sent_announcement([self.in_register, self.rep_member])
        event = self.event("รับทราบค่ะ 🙏")
        self.assertEqual(self.run_handler(event), [])
        response = Response.objects.get()
        self.assertEqual((response.announcement, response.member), (announcement, self.in_register))
        self.assertEqual((response.way, response.source), (Way.GROUP_TEXT, event["webhookEventId"]))

    def test_it_declines_everything_else(self) -> None:
        sent_announcement([self.in_register])
        self.assertIsNone(on_group_acknowledgement(self.event("ไปกินข้าวกันไหม")))
        self.assertFalse(Response.objects.exists())

    def test_it_counts_a_quote_reply_of_the_card(self) -> None:
        older = sent_announcement([self.in_register], group_message_id="55501")
        sent_announcement([self.in_register], group_message_id="55502")  # the newest
        self.run_handler(self.event("เข้าใจแล้ว", quotedMessageId="55501"))
        response = Response.objects.get()
        self.assertEqual((response.announcement, response.way), (older, Way.GROUP_QUOTE))

    def test_it_acknowledges_the_newest_unanswered_first_then_the_next(self) -> None:
        first = sent_announcement([self.in_register], title="หนึ่ง")
        second = sent_announcement([self.in_register], title="สอง")
        self.run_handler(self.event("รับทราบ"))
        self.run_handler(self.event("รับทราบ"))
        self.assertEqual(
            set(Response.objects.values_list("announcement", flat=True)), {first.pk, second.pk}
        )

    def test_an_unlinked_user_is_invited_and_nothing_counts(self) -> None:
        sent_announcement([self.in_register])
        replies = self.run_handler(self.event("รับทราบ", user="U" + "7" * 32))
        assert replies is not None
        self.assertEqual(len(replies), 1)
        self.assertIn("/r/liff/link/", str(replies[0]))
        self.assertFalse(Response.objects.exists())

    def test_a_repeated_acknowledgement_changes_nothing(self) -> None:
        sent_announcement([self.in_register])
        self.run_handler(self.event("รับทราบ"))
        first = Response.objects.get()
        self.run_handler(self.event("👍"))
        again = Response.objects.get()
        self.assertEqual((again.at, again.source), (first.at, first.source))


class GroupAcknowledgementWebhookTestCase(LineTestCase):
    """Through the real webhook: signature, dedup by webhookEventId, the handler registry."""

    def test_it_counts_once_even_when_redelivered(self) -> None:
        announcement = sent_announcement([self.in_register])
        event = simulate.group_message_event("C" + "b" * 32, LINKED, "รับทราบครับ")
        self.post_events([event])
        redelivered = {**event, "deliveryContext": {"isRedelivery": True}}
        self.post_events([redelivered])
        response = Response.objects.get()
        self.assertEqual((response.announcement, response.way), (announcement, Way.GROUP_TEXT))
        self.assertEqual(self.status_of(event), "done")
        # Nothing of what was said stays on the stored event.
        stored = WebhookEvent.objects.get(webhook_event_id=event["webhookEventId"])
        self.assertNotIn("text", stored.payload["message"])

    def test_other_group_chatter_is_not_kept(self) -> None:
        sent_announcement([self.in_register])
        event = simulate.group_message_event("C" + "b" * 32, LINKED, "พรุ่งนี้ประชุมกี่โมง")
        self.post_events([event])
        self.assertFalse(Response.objects.exists())
        stored = WebhookEvent.objects.get(webhook_event_id=event["webhookEventId"])
        self.assertNotIn("text", stored.payload["message"])

    def test_an_unlinked_user_gets_the_link_invitation(self) -> None:
        sent_announcement([self.in_register])
        self.post_events([simulate.group_message_event("C" + "b" * 32, "U" + "5" * 32, "รับทราบ")])
        self.assertFalse(Response.objects.exists())
        self.assertEqual(len(self.reply_texts()), 1)
        self.assertIn("/r/liff/link/", self.reply_texts()[0])
