"""An announcement's purpose (news, offer, coaching follow-up) and the consents it needs.

News goes to everyone who has not objected on a channel; an offer or a coaching follow-up only
to members with a consent for that purpose on that channel, one by one (a LINE group reaches
everyone in it: never relayed, pushed into a group or broadcast); unreached for want of consent
is its own reason; reminders take only consented channels."""

from __future__ import annotations

import datetime as dt
import io
import json

import time_machine
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.urls import reverse

from tocnet.members.models import Member
from tocnet.messaging import services
from tocnet.messaging.models import Announcement, Channel, Delivery, Reason, Recipient, Relay
from tocnet.messaging.planning import Audience, announcement_plan
from tocnet.messaging.responses.escalation import escalations_advance
from tocnet.messaging.responses.models import Chase, Notice
from tocnet.messaging.tests.base import DIRECT_LINE, GROUP_A, GROUP_B, REP_LINE, MessagingTestCase
from tocnet.messaging.tests.response_builders import sent_announcement
from tocnet.privacy.models import Channel as PrivacyChannel
from tocnet.privacy.models import Method, Purpose
from tocnet.privacy.services import consent_set, member_restrict

BANGKOK = dt.timezone(dt.timedelta(hours=7))
OFFICE_HOURS = dt.datetime(2026, 12, 2, 10, 0, tzinfo=BANGKOK)  # a Wednesday
IN_REGISTER_LINE = "U" + "1" * 32


def run(*args: str) -> dict:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return json.loads(out.getvalue())


@time_machine.travel(OFFICE_HOURS, tick=False)
class PurposeTestCase(MessagingTestCase):
    def consent(self, member: Member, purpose: str, channel: str, allowed: bool = True) -> None:
        consent_set(
            member=member,
            purpose=purpose,
            channel=channel,
            allowed=allowed,
            method=Method.PAPER,
            actor=self.staff,
        )

    def routes(self, purpose: str, mode: str = "relay") -> dict[int, tuple[str, str]]:
        plan = announcement_plan(audience=Audience(), mode=mode, purpose=purpose)
        return {r.member_id: (r.channel, r.reason) for r in plan.members}

    # --- the planner ------------------------------------------------------------------------

    def test_an_offer_takes_only_the_channels_each_member_consented_to(self) -> None:
        # in_register: offers on LINE (and objected to news on LINE: another purpose).
        self.consent(self.in_register, Purpose.OFFERS, PrivacyChannel.LINE)
        self.consent(self.in_register, Purpose.NEWS, PrivacyChannel.LINE, allowed=False)
        # rep_member follows the account but consented to offers by SMS only.
        self.consent(self.rep_member, Purpose.OFFERS, PrivacyChannel.SMS)
        # b_member consented on LINE, has no LINE, and has a mobile without consent.
        self.consent(self.b_member, Purpose.OFFERS, PrivacyChannel.LINE)
        # direct_member refused offers on LINE; consented by SMS but has no mobile.
        self.consent(self.direct_member, Purpose.OFFERS, PrivacyChannel.LINE, allowed=False)
        self.consent(self.direct_member, Purpose.OFFERS, PrivacyChannel.SMS)
        self.consent(self.email_member, Purpose.OFFERS, PrivacyChannel.EMAIL)
        # nobody_member consented by SMS; their only phone is not valid: a contact problem.
        self.consent(self.nobody_member, Purpose.OFFERS, PrivacyChannel.SMS)
        # A restricted member is left out even with a consent.
        self.consent(self.rep_b, Purpose.OFFERS, PrivacyChannel.SMS)
        member_restrict(member=self.rep_b, reason="คำขอระงับ", actor=self.staff)

        plan = announcement_plan(audience=Audience(), mode="relay", purpose="offers")
        routes = {r.member_id: (r.channel, r.reason, r.address) for r in plan.members}
        self.assertEqual(
            routes,
            {
                self.in_register.pk: ("line_direct", "", IN_REGISTER_LINE),
                self.rep_member.pk: ("sms", "", "+66810000001"),
                self.b_member.pk: ("none", "no_consent", ""),
                self.a_not_in_register.pk: ("none", "no_consent", ""),
                self.direct_member.pk: ("none", "no_consent", ""),
                self.email_member.pk: ("email", "", "only-email@example.com"),
                self.nobody_member.pk: ("none", "invalid", ""),
            },
        )
        self.assertEqual(plan.groups, {})
        self.assertEqual(plan.excluded_restricted, 1)
        summary = plan.summary()
        self.assertEqual(summary["purpose"], "offers")
        self.assertEqual(summary["unreachable_reasons"], {"no_consent": 3, "invalid": 1})
        self.assertEqual(summary["line_messages"], 1)  # one 1:1 push, no group

    def test_coaching_asks_for_coaching_consents_not_offer_consents(self) -> None:
        self.consent(self.in_register, Purpose.OFFERS, PrivacyChannel.LINE)
        self.consent(self.direct_member, Purpose.COACHING, PrivacyChannel.LINE)
        self.consent(self.a_not_in_register, Purpose.COACHING, PrivacyChannel.SMS)
        routes = self.routes("coaching")
        self.assertEqual(routes[self.direct_member.pk], ("line_direct", ""))
        self.assertEqual(routes[self.a_not_in_register.pk], ("sms", ""))
        self.assertEqual(routes[self.in_register.pk], ("none", "no_consent"))
        self.assertEqual(routes[self.rep_member.pk], ("none", "no_consent"))
        self.assertEqual(
            announcement_plan(audience=Audience(), mode="relay", purpose="coaching").groups, {}
        )
        with self.assertRaises(ValueError):
            announcement_plan(audience=Audience(), mode="relay", purpose="rep_view")

    def test_news_is_planned_as_before_whatever_the_offer_consents(self) -> None:
        for member in (self.in_register, self.rep_member, self.b_member):
            self.consent(member, Purpose.OFFERS, PrivacyChannel.LINE, allowed=False)
        self.consent(self.a_not_in_register, Purpose.NEWS, PrivacyChannel.SMS, allowed=False)
        plan = announcement_plan(audience=Audience(), mode="relay", purpose="news")
        self.assertEqual(
            plan.channels,
            {"line_group": 4, "line_direct": 1, "sms": 0, "email": 1, "unreachable": 2},
        )
        self.assertEqual(plan.unreachable_reasons, {"objected": 1, "invalid": 1})
        self.assertEqual(set(plan.groups), {self.register.pk, self.register_b.pk})
        self.assertEqual(plan.summary()["purpose"], "news")
        default = announcement_plan(audience=Audience(), mode="relay")
        self.assertEqual(
            [(r.member_id, r.channel, r.reason) for r in default.members],
            [(r.member_id, r.channel, r.reason) for r in plan.members],
        )

    # --- the send ---------------------------------------------------------------------------

    def test_an_offer_is_never_relayed_or_pushed_into_a_group_even_if_all_consented(self) -> None:
        # Everyone in both registers consented to offers on LINE; rep_member could relay.
        for member in (self.rep_member, self.in_register, self.b_member, self.rep_b):
            self.consent(member, Purpose.OFFERS, PrivacyChannel.LINE)
        self.consent(self.b_member, Purpose.OFFERS, PrivacyChannel.SMS)
        announcement = self.send(
            self.approved(purpose=Announcement.Purpose.OFFERS, mode=Announcement.Mode.RELAY)
        )
        self.assertEqual(announcement.state, Announcement.State.SENT)
        self.assertFalse(Relay.objects.filter(announcement=announcement).exists())
        self.assertFalse(
            Delivery.objects.filter(
                announcement=announcement,
                channel__in=(Channel.LINE_GROUP, Channel.LINE_RELAY, Channel.LINE_BROADCAST),
            ).exists()
        )
        reached = self.fake.deliveries_by_recipient()
        self.assertNotIn(GROUP_A, reached)
        self.assertNotIn(GROUP_B, reached)
        self.assertEqual(reached, {REP_LINE: 1, IN_REGISTER_LINE: 1})
        self.assertNotIn(DIRECT_LINE, reached)  # follows the account, no consent
        channels = dict(
            Recipient.objects.filter(announcement=announcement).values_list("member_id", "channel")
        )
        self.assertEqual(channels[self.b_member.pk], Channel.SMS)  # no LINE of their own
        self.assertEqual(channels[self.rep_b.pk], Channel.NONE)  # consented; no LINE, no phone
        self.assertEqual(announcement.plan["purpose"], "offers")
        self.assertEqual(announcement.plan["line_messages"], 2)

    def test_an_offer_or_coaching_is_never_broadcast(self) -> None:
        for purpose in (Announcement.Purpose.OFFERS, Announcement.Purpose.COACHING):
            with self.assertRaises(ValidationError) as caught:
                services.announcement_create(
                    actor=self.staff,
                    title="สินเชื่อใหม่",
                    body="ข้อเสนอ",
                    purpose=purpose,
                    oa_broadcast=True,
                )
            self.assertIn("oa_broadcast", caught.exception.message_dict)
        self.assertFalse(Announcement.objects.exists())
        plan = announcement_plan(
            audience=Audience(), mode="relay", purpose="offers", broadcast=True
        )
        self.assertEqual(plan.broadcast_reach, 0)

    # --- follow-ups -------------------------------------------------------------------------

    def test_reminders_of_an_offer_take_only_consented_channels(self) -> None:
        Member.objects.filter(pk=self.b_member.pk).update(line_user_id="U" + "4" * 32)
        announcement = sent_announcement([self.in_register, self.b_member, self.a_not_in_register])
        Announcement.objects.filter(pk=announcement.pk).update(purpose="offers")
        # a_not_in_register was not reached for want of consent: never followed up.
        Recipient.objects.filter(announcement=announcement, member=self.a_not_in_register).update(
            channel=Channel.NONE, reason=Reason.NO_CONSENT
        )
        # in_register consented by SMS only (news would remind on LINE first);
        # b_member consented on no channel (news would remind on LINE).
        self.consent(self.in_register, Purpose.OFFERS, PrivacyChannel.SMS)
        self.consent(self.b_member, Purpose.OFFERS, PrivacyChannel.EMAIL)
        for hours in (48, 96, 144):  # members', representatives', deputies' deadlines
            with time_machine.travel(OFFICE_HOURS + dt.timedelta(hours=hours), tick=False):
                escalations_advance()
        reminders = {
            n.member_id: n.channel
            for n in Notice.objects.filter(announcement=announcement, stage="reminder")
        }
        self.assertEqual(reminders, {self.in_register.pk: Notice.Channel.SMS})
        # The staff call queue: everyone unanswered who was reached, not the unconsenting one.
        called = set(
            Chase.objects.filter(announcement=announcement, stage=Chase.Stage.STAFF).values_list(
                "member_id", flat=True
            )
        )
        self.assertEqual(called, {self.in_register.pk, self.b_member.pk})

    # --- compose, command line, cost --------------------------------------------------------

    def test_the_compose_page_offers_the_purposes_and_stores_the_choice(self) -> None:
        self.login_as(self.staff)
        page = self.client.get(reverse("messaging:create"))
        self.assertContains(page, 'name="purpose"', count=3)
        self.assertContains(page, "เฉพาะสมาชิกที่ยินยอมรับข้อเสนอ")  # who will receive an offer
        data = {
            "title": "สินเชื่อดอกเบี้ยพิเศษ",
            "body": "ข้อเสนอสำหรับสมาชิก",
            "category": "product",
            "purpose": "offers",
            "mode": "relay",
            "scope": "all",
            "channels": ["line_group", "line_direct", "sms", "email"],
        }
        refused = self.client.post(reverse("messaging:create"), {**data, "oa_broadcast": "on"})
        self.assertEqual(refused.status_code, 200)
        self.assertIn("oa_broadcast", refused.context["form"].errors)
        self.assertFalse(Announcement.objects.exists())
        response = self.client.post(reverse("messaging:create"), data)
        self.assertEqual(response.status_code, 302)
        announcement = Announcement.objects.get()
        self.assertEqual(announcement.purpose, Announcement.Purpose.OFFERS)
        detail = self.client.get(reverse("messaging:detail", args=[announcement.code]))
        self.assertContains(detail, 'data-purpose="offers"')
        self.assertContains(detail, "ข้อเสนอผลิตภัณฑ์หรือบริการ")
        listing = self.client.get(reverse("messaging:list"))
        self.assertContains(listing, 'data-purpose="offers"')

    def test_the_command_takes_a_purpose_and_the_status_names_it(self) -> None:
        self.consent(self.in_register, Purpose.OFFERS, PrivacyChannel.LINE)
        out = run(
            "announce",
            "--title",
            "ข้อเสนอ",
            "--body",
            "x",
            "--purpose",
            "offer",
            "--dry-run",
            "--json",
        )
        self.assertEqual(out["purpose"], "offers")
        self.assertEqual(
            out["channels"],
            {"line_group": 0, "line_direct": 1, "sms": 0, "email": 0, "unreachable": 7},
        )
        self.assertEqual(out["unreachable_reasons"], {"no_consent": 7})
        self.assertEqual(out["line_messages"], 1)
        with self.captureOnCommitCallbacks(execute=True):
            sent = run(
                "announce", "--title", "โค้ช", "--body", "x", "--purpose", "coaching", "--json"
            )
        announcement = Announcement.objects.get(pk=sent["announcement"])
        self.assertEqual(announcement.purpose, Announcement.Purpose.COACHING)
        status = run("announcement_status", str(announcement.pk), "--json")
        self.assertEqual(status["purpose"], "coaching")
        self.assertEqual(status["by_channel"], {"unreachable": {"unreachable": 8}})
        report = run("announcement_report", str(announcement.pk), "--json")
        self.assertEqual(report["purpose"], "coaching")

    def test_the_cost_screen_shows_one_push_per_consenting_member(self) -> None:
        for member in (self.rep_member, self.in_register, self.direct_member):
            self.consent(member, Purpose.OFFERS, PrivacyChannel.LINE)
        self.consent(self.a_not_in_register, Purpose.OFFERS, PrivacyChannel.SMS)
        offer = self.approved(purpose=Announcement.Purpose.OFFERS, mode=Announcement.Mode.RELAY)
        news = self.approved(title="ข่าว", mode=Announcement.Mode.RELAY)
        self.login_as(self.staff)
        page = self.client.get(reverse("messaging:detail", args=[offer.code]))
        self.assertContains(page, 'data-plan="line_group">0')
        self.assertContains(page, 'data-plan="line_direct">3<')
        self.assertContains(page, 'data-plan="line_messages">3<')
        self.assertContains(page, 'data-plan="sms">1 ')
        self.assertContains(page, 'data-consent-note="true"')
        self.assertContains(page, "สมาชิก 3 คนทาง LINE 1:1 = 3 ข้อความ LINE")
        self.assertContains(page, "ไม่ได้ให้ความยินยอมสำหรับวัตถุประสงค์นี้ในช่องทางที่ติดต่อได้: 4")
        self.assertNotContains(page, 'data-alt="relay"')  # no group way to offer it
        news_page = self.client.get(reverse("messaging:detail", args=[news.code]))
        self.assertContains(news_page, 'data-alt="relay"')
        self.assertNotContains(news_page, 'data-consent-note="true"')
        # The same audience as news: the groups, relayed (1 to the representative + 3 pushed).
        self.assertContains(news_page, 'data-plan="line_messages">5 (')
