import datetime as dt

from django.core.exceptions import ValidationError
from django.db import connection
from django.http import Http404
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tocnet.core.models import AuditEvent
from tocnet.members.models import Member
from tocnet.members.selectors import get_member_for_user, member_list_for_user
from tocnet.members.tests.factories import make_member
from tocnet.privacy.models import (
    MESSAGE_PURPOSES,
    Channel,
    Consent,
    ConsentChange,
    Method,
    Purpose,
    Restriction,
)
from tocnet.privacy.notice import current_notice
from tocnet.privacy.selectors import (
    Unreachable,
    consent_matrix_for_member,
    member_may_be_messaged,
    member_messageable_q,
    member_not_messageable_ids,
    members_not_messageable,
)
from tocnet.privacy.services import consent_set, member_restrict, member_restriction_lift
from tocnet.testing import BaseTestCase


def _pks(qs: object) -> set[int]:
    return {row["pk"] if isinstance(row, dict) else row.pk for row in qs}  # type: ignore[attr-defined]


class ConsentTestCase(BaseTestCase):
    def test_it_allows_news_by_default_and_offers_only_with_consent(self) -> None:
        everyone = set(Member.objects.values_list("pk", flat=True))
        news_blocked = _pks(member_not_messageable_ids(purpose=Purpose.NEWS, channel=Channel.LINE))
        offers_blocked = _pks(
            member_not_messageable_ids(purpose=Purpose.OFFERS, channel=Channel.LINE)
        )
        self.assertEqual(news_blocked, set())
        self.assertEqual(offers_blocked, everyone)

        consent_set(
            member=self.in_register,
            purpose=Purpose.OFFERS,
            channel=Channel.LINE,
            allowed=True,
            method=Method.LINE,
            actor=self.member_user,
        )
        offers_blocked = _pks(
            member_not_messageable_ids(purpose=Purpose.OFFERS, channel=Channel.LINE)
        )
        self.assertEqual(offers_blocked, everyone - {self.in_register.pk})
        # Consent on LINE says nothing about SMS.
        self.assertFalse(
            member_may_be_messaged(
                member=self.in_register, purpose=Purpose.OFFERS, channel=Channel.SMS
            )
        )
        self.assertTrue(
            member_may_be_messaged(
                member=self.in_register, purpose=Purpose.OFFERS, channel=Channel.LINE
            )
        )

    def test_it_excludes_an_objecting_member_from_news_on_that_channel_only(self) -> None:
        consent_set(
            member=self.b_member,
            purpose=Purpose.NEWS,
            channel=Channel.SMS,
            allowed=False,
            method=Method.PAPER,
            actor=self.staff,
        )
        blocked = members_not_messageable(purpose=Purpose.NEWS, channel=Channel.SMS)
        self.assertEqual(
            [(m.pk, m.privacy_reason) for m in blocked], [(self.b_member.pk, "objected")]
        )
        self.assertEqual(
            _pks(member_not_messageable_ids(purpose=Purpose.NEWS, channel=Channel.LINE)), set()
        )
        reachable = Member.objects.filter(
            member_messageable_q(purpose=Purpose.NEWS, channel=Channel.SMS)
        )
        self.assertNotIn(self.b_member, reachable)
        self.assertIn(self.in_register, reachable)

    def test_it_keeps_every_change_with_who_when_how_and_notice_version(self) -> None:
        for allowed in (True, False):
            consent_set(
                member=self.in_register,
                purpose=Purpose.COACHING,
                channel=Channel.LINE,
                allowed=allowed,
                method=Method.REPRESENTATIVE,
                actor=self.rep_user,
                member_statement="สมาชิกบอกว่ายินดีรับคำแนะนำ",
            )
        consent = Consent.objects.get(member=self.in_register, purpose=Purpose.COACHING)
        self.assertFalse(consent.allowed)
        self.assertEqual(consent.notice_version, current_notice().version)
        changes = list(ConsentChange.objects.filter(member=self.in_register).order_by("id"))
        self.assertEqual([(c.previous, c.allowed) for c in changes], [(None, True), (True, False)])
        self.assertEqual({c.method for c in changes}, {Method.REPRESENTATIVE})
        self.assertEqual({c.recorded_by_id for c in changes}, {self.rep_user.pk})
        self.assertEqual(changes[0].member_statement, "สมาชิกบอกว่ายินดีรับคำแนะนำ")
        self.assertEqual(
            AuditEvent.objects.filter(
                action="privacy.consent_set", target_id=str(self.in_register.code)
            ).count(),
            2,
        )
        blocked = members_not_messageable(purpose=Purpose.COACHING, channel=Channel.LINE)
        reasons = {m.pk: m.privacy_reason for m in blocked}
        self.assertEqual(reasons[self.in_register.pk], Unreachable.OBJECTED)
        self.assertEqual(reasons[self.b_member.pk], Unreachable.NO_CONSENT)

    def test_it_requires_the_members_words_when_a_representative_records(self) -> None:
        with self.assertRaises(ValidationError):
            consent_set(
                member=self.in_register,
                purpose=Purpose.OFFERS,
                channel=Channel.SMS,
                allowed=True,
                method=Method.REPRESENTATIVE,
                actor=self.rep_user,
            )
        self.assertFalse(ConsentChange.objects.exists())
        self.assertFalse(AuditEvent.objects.filter(action="privacy.consent_set").exists())

    def test_it_answers_for_many_members_in_one_query(self) -> None:
        for i in range(40):
            m = make_member(unit=self.unit_b, first_name=f"ทดสอบ{i}")
            if i % 2:
                consent_set(
                    member=m,
                    purpose=Purpose.NEWS,
                    channel=Channel.EMAIL,
                    allowed=False,
                    method=Method.PAPER,
                    actor=self.staff,
                )
        with CaptureQueriesContext(connection) as ctx:
            rows = list(members_not_messageable(purpose=Purpose.NEWS, channel=Channel.EMAIL))
            reachable = list(
                Member.objects.filter(
                    member_messageable_q(purpose=Purpose.NEWS, channel=Channel.EMAIL)
                ).values_list("pk", flat=True)
            )
        self.assertEqual(len(ctx.captured_queries), 2)
        self.assertEqual(len(rows), 20)
        self.assertEqual(len(reachable), Member.objects.count() - 20)

    def test_it_shows_the_default_and_the_explicit_choices(self) -> None:
        consent_set(
            member=self.in_register,
            purpose=Purpose.NEWS,
            channel=Channel.LINE,
            allowed=False,
            method=Method.LINE,
            actor=self.member_user,
        )
        cells = {(c.purpose, c.channel): c for c in consent_matrix_for_member(self.in_register)}
        self.assertEqual(len(cells), 10)
        self.assertFalse(cells[("rep_view", "line")].allowed)  # consent needed, no default
        self.assertFalse(cells[("news", "line")].allowed)
        self.assertTrue(cells[("news", "line")].explicit)
        self.assertTrue(cells[("news", "sms")].allowed)
        self.assertFalse(cells[("news", "sms")].explicit)
        self.assertFalse(cells[("offers", "line")].allowed)


class RestrictionTestCase(BaseTestCase):
    def test_it_hides_a_restricted_member_from_sends_and_search_but_keeps_the_record(self) -> None:
        member_restrict(member=self.in_register, reason="คำขอระงับการใช้ข้อมูล", actor=self.staff)
        for purpose in MESSAGE_PURPOSES:
            for channel in Channel:
                blocked = {
                    m.pk: m.privacy_reason
                    for m in members_not_messageable(purpose=purpose, channel=channel)
                }
                self.assertEqual(blocked[self.in_register.pk], Unreachable.RESTRICTED)
        for user in (self.staff, self.agent, self.rep_user):
            with self.subTest(user=user.username):
                self.assertNotIn(self.in_register, member_list_for_user(user))
                self.assertIn(self.in_register, member_list_for_user(user, include_restricted=True))
        self.login_as(self.staff)
        response = self.client.get(reverse("members:member_list"), {"q": "สมศักดิ์"})
        self.assertEqual(response.status_code, 200)
        self.assertNotContains(response, str(self.in_register.code))
        with self.assertRaises(Http404):
            get_member_for_user(self.staff, self.in_register.code)
        self.assertTrue(Member.objects.filter(pk=self.in_register.pk).exists())
        self.assertEqual(Restriction.objects.get(member=self.in_register).started_by, self.staff)

    def test_it_lifts_a_restriction_and_keeps_its_history(self) -> None:
        member_restrict(member=self.in_register, reason="ตรวจสอบความถูกต้อง", actor=self.staff)
        again = member_restrict(member=self.in_register, reason="ซ้ำ", actor=self.staff)
        self.assertEqual(Restriction.objects.filter(member=self.in_register).count(), 1)
        self.assertTrue(again.active)
        self.assertEqual(member_restriction_lift(member=self.in_register, actor=self.staff), 1)
        self.assertEqual(member_restriction_lift(member=self.in_register, actor=self.staff), 0)
        self.assertIn(self.in_register, member_list_for_user(self.staff))
        restriction = Restriction.objects.get(member=self.in_register)
        self.assertFalse(restriction.active)
        self.assertIsNotNone(restriction.lifted_at)
        self.assertEqual(
            list(
                AuditEvent.objects.filter(target_id=str(self.in_register.code))
                .order_by("id")
                .values_list("action", flat=True)
            ),
            ["privacy.member_restricted", "privacy.member_restriction_lifted"],
        )


class RepresentativeAccessTestCase(BaseTestCase):
    def test_it_is_one_record_per_member_and_not_a_message_purpose(self) -> None:
        consent_set(
            member=self.in_register,
            purpose=Purpose.REPRESENTATIVE,
            channel=Channel.SMS,  # ignored: kept under the LINE channel
            allowed=True,
            method=Method.LINE,
            actor="line-bot",
        )
        record = Consent.objects.get(member=self.in_register)
        self.assertEqual((record.purpose, record.channel), ("rep_view", "line"))
        with self.assertRaises(ValueError):
            member_not_messageable_ids(purpose=Purpose.REPRESENTATIVE, channel=Channel.LINE)

    def test_the_migration_carries_the_bots_combined_answer_over(self) -> None:
        import importlib

        from django.apps import apps

        migration = importlib.import_module(
            "tocnet.privacy.migrations.0003_representative_access_purpose"
        )
        now = timezone.now() - dt.timedelta(days=3)
        base = {"channel": Channel.LINE, "notice_version": "1", "recorded_at": now}
        Consent.objects.create(
            member=self.in_register,
            purpose=Purpose.COACHING,
            allowed=True,
            method=Method.LINE,
            **base,
        )
        Consent.objects.create(
            member=self.b_member,
            purpose=Purpose.COACHING,
            allowed=False,
            method=Method.LINE,
            **base,
        )
        Consent.objects.create(  # on paper: never spoke of conversations
            member=self.a_not_in_register,
            purpose=Purpose.COACHING,
            allowed=True,
            method=Method.PAPER,
            **base,
        )
        migration.carry_over(apps, None)
        migration.carry_over(apps, None)  # twice: nothing doubles
        carried = {
            c.member_id: (c.allowed, c.recorded_at)
            for c in Consent.objects.filter(purpose=Purpose.REPRESENTATIVE)
        }
        self.assertEqual(
            carried,
            {self.in_register.pk: (True, now), self.b_member.pk: (False, now)},
        )
        self.assertEqual(Consent.objects.filter(purpose=Purpose.COACHING).count(), 3)
        change = ConsentChange.objects.get(member=self.in_register, purpose=Purpose.REPRESENTATIVE)
        self.assertEqual((change.created_at, change.previous), (now, None))
