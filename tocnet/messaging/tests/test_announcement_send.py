"""Sending: every channel, exactly once at the providers, whatever fails."""

from __future__ import annotations

import datetime as dt
from unittest import mock

import time_machine
from django.core import mail
from django.test import override_settings
from django.utils import timezone

from tocnet.messaging import sending, services
from tocnet.messaging.models import (
    Announcement,
    Channel,
    Delivery,
    DeliveryStatus,
    LineBatch,
    Reason,
    Recipient,
    Relay,
)
from tocnet.messaging.tests.base import DIRECT_LINE, GROUP_A, GROUP_B, REP_LINE, MessagingTestCase

BANGKOK = dt.timezone(dt.timedelta(hours=7))
OFFICE_HOURS = dt.datetime(2026, 12, 2, 10, 0, tzinfo=BANGKOK)  # a Wednesday


def statuses(announcement: Announcement) -> dict[tuple[str, str], int]:
    out: dict[tuple[str, str], int] = {}
    for channel, status in Delivery.objects.filter(announcement=announcement).values_list(
        "channel", "status"
    ):
        out[(channel, status)] = out.get((channel, status), 0) + 1
    return out


@time_machine.travel(OFFICE_HOURS, tick=False)
class AnnouncementSendTestCase(MessagingTestCase):
    def test_it_sends_on_every_channel_once_in_direct_mode(self) -> None:
        announcement = self.send(self.approved())

        self.assertEqual(announcement.state, Announcement.State.SENT)
        self.assertEqual(
            statuses(announcement),
            {
                (Channel.LINE_GROUP, DeliveryStatus.SENT): 2,
                (Channel.LINE_DIRECT, DeliveryStatus.SENT): 1,
                (Channel.SMS, DeliveryStatus.SENT): 1,
                (Channel.EMAIL, DeliveryStatus.SENT): 1,
                (Channel.NONE, DeliveryStatus.UNREACHABLE): 1,
            },
        )
        self.assertEqual(
            self.fake.deliveries_by_recipient(), {GROUP_A: 1, GROUP_B: 1, DIRECT_LINE: 1}
        )
        # A group push costs everyone in the group; a multicast one per user.
        self.assertEqual(self.fake.messages_counted, 2 + 3 + 1)
        self.assertEqual(self.sms.by_number(), {"0810000003": 1})
        self.assertEqual([m.to for m in mail.outbox], [["only-email@example.com"]])
        # Every LINE request carried the retry key saved on its row.
        pushes = self.fake.requests_to("/v2/bot/message/push")
        keys = {str(k) for k in Delivery.objects.values_list("retry_key", flat=True)}
        self.assertTrue(all(r.header("x-line-retry-key") in keys for r in pushes))
        multicast = self.fake.requests_to("/v2/bot/message/multicast")
        self.assertEqual(
            multicast[0].header("x-line-retry-key"), str(LineBatch.objects.get().retry_key)
        )
        # Every member of the audience has a recipient row with the delivery that carries it.
        recipients = dict(
            Recipient.objects.filter(announcement=announcement).values_list(
                "member__number", "channel"
            )
        )
        self.assertEqual(recipients["100002"], Channel.LINE_GROUP)
        self.assertEqual(recipients["100004"], Channel.LINE_DIRECT)
        self.assertEqual(recipients["100003"], Channel.SMS)
        self.assertEqual(recipients["100005"], Channel.EMAIL)
        self.assertEqual(recipients["100006"], Channel.NONE)
        unreachable = Delivery.objects.get(announcement=announcement, channel=Channel.NONE)
        self.assertEqual(unreachable.reason, Reason.INVALID_CONTACT)

    def test_it_retries_a_500_with_the_same_key_and_sends_once(self) -> None:
        self.fake.fail_next(2, status=500, path_prefix="/v2/bot/message/push")
        announcement = self.approved()
        with mock.patch.object(sending, "backoff", return_value=dt.timedelta(0)):
            announcement = self.send(announcement)
        self.assertEqual(announcement.state, Announcement.State.SENT)
        self.assertEqual(self.fake.deliveries_by_recipient()[GROUP_A], 1)
        self.assertEqual(self.fake.deliveries_by_recipient()[GROUP_B], 1)
        tried = Delivery.objects.filter(channel=Channel.LINE_GROUP).values_list(
            "attempts", flat=True
        )
        self.assertEqual(sum(tried), 4)  # two failures, then one success each

    def test_it_treats_409_after_a_timeout_as_sent(self) -> None:
        # LINE accepts the push but the answer never arrives; the retry gets 409.
        self.fake.fail_timeout(1, path_prefix="/v2/bot/message/multicast", after=True)
        announcement = self.approved()
        with mock.patch.object(sending, "backoff", return_value=dt.timedelta(0)):
            announcement = self.send(announcement)
        batch = LineBatch.objects.get(announcement=announcement)
        self.assertEqual(batch.status, DeliveryStatus.SENT)
        self.assertEqual(batch.attempts, 2)
        statuses_seen = [r.status for r in self.fake.requests_to("/v2/bot/message/multicast")]
        self.assertEqual(statuses_seen, [200, 409])
        self.assertEqual(self.fake.deliveries_by_recipient()[DIRECT_LINE], 1)

    def test_it_retries_a_rate_limit_429(self) -> None:
        self.fake.fail_next(1, status=429, path_prefix="/v2/bot/message/multicast")
        announcement = self.approved()
        with mock.patch.object(sending, "backoff", return_value=dt.timedelta(0)):
            announcement = self.send(announcement)
        self.assertEqual(announcement.state, Announcement.State.SENT)
        self.assertEqual(self.fake.deliveries_by_recipient()[DIRECT_LINE], 1)

    @override_settings(ANNOUNCE_SEND_CONCURRENCY=1)  # one request at a time: exactly one
    def test_it_pauses_on_the_monthly_quota_429_without_a_retry_storm(self) -> None:
        self.fake.fail_next(
            1,
            status=429,
            message="You have reached your monthly limit.",
            path_prefix="/v2/bot/message/push",
        )
        announcement = self.send(self.approved())
        self.assertEqual(announcement.state, Announcement.State.PAUSED)
        self.assertIn("quota", announcement.halted_reason)
        sends = [
            r
            for r in self.fake.requests_to("/v2/bot/message/*")
            if not r.path.startswith("/v2/bot/message/quota")
        ]
        self.assertEqual(len(sends), 1)  # stopped at the first refusal
        # Nothing was lost: the LINE rows wait in the queue for a resume.
        self.assertEqual(
            Delivery.objects.filter(
                announcement=announcement, channel=Channel.LINE_GROUP, status=DeliveryStatus.QUEUED
            ).count(),
            2,
        )
        with self.captureOnCommitCallbacks(execute=True):
            services.announcement_resume(announcement=announcement, actor=self.staff)
        announcement.refresh_from_db()
        self.assertEqual(announcement.state, Announcement.State.SENT)
        self.assertEqual(
            self.fake.deliveries_by_recipient(), {GROUP_A: 1, GROUP_B: 1, DIRECT_LINE: 1}
        )

    def test_it_records_a_permanent_4xx_and_does_not_retry(self) -> None:
        self.fake.groups.pop(GROUP_B)  # the bot was removed: LINE answers 400
        announcement = self.send(self.approved())
        failed = Delivery.objects.get(
            announcement=announcement, register=self.register_b, channel=Channel.LINE_GROUP
        )
        self.assertEqual(failed.status, DeliveryStatus.FAILED)
        self.assertEqual(failed.reason, Reason.PERMANENT)
        self.assertEqual(failed.attempts, 1)
        self.assertEqual(announcement.state, Announcement.State.SENT)

    def test_it_marks_an_sms_timeout_unknown_and_never_resends_it(self) -> None:
        self.sms.fail_next(1, status=0, path_prefix="/sms", after=True)
        announcement = self.send(self.approved())
        row = Delivery.objects.get(announcement=announcement, channel=Channel.SMS)
        self.assertEqual(row.status, DeliveryStatus.UNKNOWN)
        self.assertEqual(self.sms.by_number(), {"0810000003": 1})
        with time_machine.travel(OFFICE_HOURS + dt.timedelta(hours=1), tick=False):
            sending.announcement_process(announcement.pk)
        self.assertEqual(self.sms.by_number(), {"0810000003": 1})

    @override_settings(ANNOUNCE_SEND_CONCURRENCY=1)  # one request in flight when killed
    def test_it_resumes_after_a_killed_worker_without_sending_twice(self) -> None:
        announcement = self.approved()
        real = sending._record_sent

        def killed(*args: object, **kwargs: object) -> None:
            raise SystemExit("worker killed")  # after the provider accepted, before the DB

        with (
            mock.patch.object(sending, "_record_sent", side_effect=killed),
            self.assertRaises(SystemExit),
        ):
            self.send(announcement)
        stuck = Delivery.objects.get(status=DeliveryStatus.SENDING)
        self.assertEqual(stuck.channel, Channel.LINE_GROUP)
        self.assertEqual(self.fake.deliveries_by_recipient(), {stuck.address: 1})

        with (
            time_machine.travel(OFFICE_HOURS + dt.timedelta(minutes=10), tick=False),
            mock.patch.object(sending, "_record_sent", side_effect=real),
        ):
            while sending.announcement_process(announcement.pk):
                pass
        announcement.refresh_from_db()
        self.assertEqual(announcement.state, Announcement.State.SENT)
        self.assertEqual(
            self.fake.deliveries_by_recipient(), {GROUP_A: 1, GROUP_B: 1, DIRECT_LINE: 1}
        )
        self.assertIn(409, [r.status for r in self.fake.requests_to("/v2/bot/message/push")])

    def test_a_worker_killed_before_its_sent_marks_are_written_sends_nothing_twice(self) -> None:
        """The sent marks of a run are written in batches: a kill before a batch is written
        leaves its rows "sending"; LINE is retried under its key (409), SMS and e-mail are
        marked unknown, never resent."""
        announcement = self.approved()
        real = sending._record_sent
        calls = {"n": 0}

        def killed_at_the_fourth(*args: object, **kwargs: object) -> None:
            calls["n"] += 1
            if calls["n"] == 4:  # group A, group B, the SMS accepted; the e-mail went out
                raise SystemExit("worker killed")
            real(*args, **kwargs)  # type: ignore[arg-type]

        with (
            mock.patch.object(sending, "_record_sent", side_effect=killed_at_the_fourth),
            self.assertRaises(SystemExit),
        ):
            self.send(announcement)
        stuck = Delivery.objects.filter(status=DeliveryStatus.SENDING)
        self.assertEqual(
            sorted(stuck.values_list("channel", flat=True)),
            [Channel.EMAIL, Channel.LINE_GROUP, Channel.LINE_GROUP, Channel.SMS],
        )
        with time_machine.travel(OFFICE_HOURS + dt.timedelta(minutes=10), tick=False):
            while sending.announcement_process(announcement.pk):
                pass
        announcement.refresh_from_db()
        self.assertEqual(announcement.state, Announcement.State.SENT)
        self.assertEqual(
            self.fake.deliveries_by_recipient(), {GROUP_A: 1, GROUP_B: 1, DIRECT_LINE: 1}
        )
        self.assertEqual(list(self.sms.by_number().values()), [1])
        self.assertEqual(len(mail.outbox), 1)
        states = dict(
            Delivery.objects.filter(announcement=announcement).values_list("channel", "status")
        )
        self.assertEqual(states[Channel.LINE_GROUP], DeliveryStatus.SENT)
        self.assertEqual(states[Channel.SMS], DeliveryStatus.UNKNOWN)
        self.assertEqual(states[Channel.EMAIL], DeliveryStatus.UNKNOWN)

    def test_sent_marks_are_written_in_batches_with_each_rows_message_id(self) -> None:
        announcement = self.send(self.approved())
        rows = Delivery.objects.filter(announcement=announcement, status=DeliveryStatus.SENT)
        sms_row = rows.get(channel=Channel.SMS)
        self.assertEqual(sms_row.provider_message_id, self.sms.messages[0].message_id)
        self.assertTrue(all(r.sent_at for r in rows))
        self.assertEqual(rows.exclude(channel=Channel.LINE_DIRECT).count(), 4)

    def test_it_refuses_a_send_the_quota_cannot_cover_and_sends_nothing(self) -> None:
        self.fake.quota_limit = 100
        self.fake.quota_used = 97
        announcement = self.approved()
        with self.assertRaises(services.AnnouncementError) as refused:
            self.send(announcement)
        self.assertIn("6", str(refused.exception))
        self.assertFalse(Delivery.objects.exists())
        announcement.refresh_from_db()
        self.assertEqual(announcement.state, Announcement.State.APPROVED)
        self.assertEqual(self.fake.requests_to("/v2/bot/message/push"), [])

    def test_it_refuses_a_second_send_of_the_same_announcement(self) -> None:
        announcement = self.send(self.approved())
        with self.assertRaises(services.AnnouncementError):
            services.announcement_send(announcement=announcement, actor=self.staff)
        self.assertEqual(Delivery.objects.filter(channel=Channel.LINE_GROUP).count(), 2)

    def test_it_refuses_an_empty_audience(self) -> None:
        announcement = self.approved(audience={"scope": "units", "units": []})
        with self.assertRaises(services.AnnouncementError):
            self.send(announcement)
        self.assertFalse(Delivery.objects.exists())

    def test_it_cancels_what_is_still_queued(self) -> None:
        announcement = self.approved(mode=Announcement.Mode.RELAY)
        announcement = self.send(announcement)
        self.assertEqual(announcement.state, Announcement.State.SENDING)  # waiting on relays
        services.announcement_cancel(announcement=announcement, actor=self.staff)
        group = Delivery.objects.get(
            announcement=announcement, register=self.register, channel=Channel.LINE_GROUP
        )
        self.assertEqual(group.status, DeliveryStatus.CANCELLED)
        with time_machine.travel(OFFICE_HOURS + dt.timedelta(hours=7), tick=False):
            sending.announcement_process(announcement.pk)
        self.assertNotIn(GROUP_A, self.fake.deliveries_by_recipient())


@time_machine.travel(OFFICE_HOURS, tick=False)
class ConcurrentSendTestCase(MessagingTestCase):
    """A send keeps up to ANNOUNCE_SEND_CONCURRENCY provider requests in flight; claims stay
    conditional per row, so neither the lanes nor a second worker send anything twice."""

    @override_settings(ANNOUNCE_SEND_CONCURRENCY=2)
    def test_it_keeps_the_set_number_of_requests_in_flight_and_no_more(self) -> None:
        self.fake.delay_seconds = 0.5  # each LINE request takes half a second at the fake
        with mock.patch.object(sending.line_client, "TIMEOUT", (1, 5)):
            announcement = self.send(self.approved())
        self.assertEqual(announcement.state, Announcement.State.SENT)
        # Two group pushes and a multicast: two at once (overlapping), never three.
        self.assertEqual(self.fake.messages_in_flight_peak, 2)
        self.assertEqual(
            self.fake.deliveries_by_recipient(), {GROUP_A: 1, GROUP_B: 1, DIRECT_LINE: 1}
        )

    @override_settings(ANNOUNCE_SEND_CONCURRENCY=4)
    def test_two_workers_racing_under_faults_send_every_message_once(self) -> None:
        self.fake.fail_next(1, status=500, path_prefix="/v2/bot/message/push")
        self.fake.fail_timeout(1, path_prefix="/v2/bot/message/multicast", after=True)
        self.sms.fail_next(1, status=500, path_prefix="/sms")
        announcement = self.approved()
        real_claim = sending._claim
        claims: list[tuple[str, type, int, bool]] = []
        worker = ["first"]

        def racing_claim(model: type, pk: int, now: dt.datetime) -> bool:
            if worker[0] == "first" and len(claims) == 3:
                # The first worker has both group pushes and the multicast in flight and has
                # read the SMS row as queued: a second worker runs the whole send meanwhile.
                worker[0] = "second"
                while (
                    next_at := sending.announcement_process(announcement.pk)
                ) and next_at <= timezone.now():
                    pass
                worker[0] = "first again"
            won = real_claim(model, pk, now)
            claims.append((worker[0], model, pk, won))
            return won

        with (
            mock.patch.object(sending, "backoff", return_value=dt.timedelta(0)),
            mock.patch.object(sending, "_claim", side_effect=racing_claim),
        ):
            announcement = self.send(announcement)

        self.assertEqual(announcement.state, Announcement.State.SENT)
        sms_row = Delivery.objects.get(announcement=announcement, channel=Channel.SMS)
        # The race happened: the second worker sent the SMS (no idempotency key at the
        # gateway); the first worker's claim of it found it taken and sent nothing.
        self.assertIn(("second", Delivery, sms_row.pk, True), claims)
        self.assertIn(("first again", Delivery, sms_row.pk, False), claims)
        self.assertEqual(
            self.fake.deliveries_by_recipient(), {GROUP_A: 1, GROUP_B: 1, DIRECT_LINE: 1}
        )
        accepted_keys = [a.retry_key for a in self.fake.accepted]
        self.assertEqual(len(accepted_keys), len(set(accepted_keys)))
        self.assertIn(409, [r.status for r in self.fake.requests_to("/v2/bot/message/multicast")])
        self.assertEqual(self.sms.by_number(), {"0810000003": 1})
        self.assertEqual(len(mail.outbox), 1)
        self.assertEqual(
            set(
                Delivery.objects.filter(announcement=announcement)
                .exclude(channel=Channel.NONE)
                .values_list("status", flat=True)
            ),
            {DeliveryStatus.SENT},
        )

    @override_settings(ANNOUNCE_SEND_CONCURRENCY=4)
    def test_a_quota_429_with_requests_in_flight_pauses_and_loses_nothing(self) -> None:
        self.fake.fail_next(
            1,
            status=429,
            message="You have reached your monthly limit.",
            path_prefix="/v2/bot/message/push",
        )
        announcement = self.send(self.approved())
        self.assertEqual(announcement.state, Announcement.State.PAUSED)
        line_sends = [
            r
            for r in self.fake.requests_to("/v2/bot/message/*")
            if not r.path.startswith("/v2/bot/message/quota")
        ]
        # Only what was already in flight went out (two pushes and the multicast at most),
        # and every answer was written: no row is left "sending".
        self.assertLessEqual(len(line_sends), 3)
        self.assertFalse(
            Delivery.objects.filter(
                announcement=announcement, status=DeliveryStatus.SENDING
            ).exists()
        )
        with self.captureOnCommitCallbacks(execute=True):
            services.announcement_resume(announcement=announcement, actor=self.staff)
        announcement.refresh_from_db()
        self.assertEqual(announcement.state, Announcement.State.SENT)
        self.assertEqual(
            self.fake.deliveries_by_recipient(), {GROUP_A: 1, GROUP_B: 1, DIRECT_LINE: 1}
        )
        self.assertEqual(self.sms.by_number(), {"0810000003": 1})
        self.assertEqual(len(mail.outbox), 1)


class QuietHoursTestCase(MessagingTestCase):
    def test_it_holds_sms_until_nine_in_the_morning(self) -> None:
        night = dt.datetime(2026, 12, 2, 22, 30, tzinfo=BANGKOK)
        with time_machine.travel(night, tick=False):
            announcement = self.send(self.approved())
            row = Delivery.objects.get(announcement=announcement, channel=Channel.SMS)
            self.assertEqual(row.status, DeliveryStatus.QUEUED)
            self.assertEqual(
                timezone.localtime(row.not_before).replace(tzinfo=None),
                dt.datetime(2026, 12, 3, 9, 0),
            )
            self.assertEqual(self.sms.messages, [])
            # LINE and e-mail are not held.
            self.assertEqual(self.fake.deliveries_by_recipient()[GROUP_A], 1)
        with time_machine.travel(dt.datetime(2026, 12, 3, 8, 59, tzinfo=BANGKOK), tick=False):
            sending.announcement_process(announcement.pk)
            self.assertEqual(self.sms.messages, [])
        with time_machine.travel(dt.datetime(2026, 12, 3, 9, 1, tzinfo=BANGKOK), tick=False):
            sending.announcement_process(announcement.pk)
        self.assertEqual(self.sms.by_number(), {"0810000003": 1})
        announcement.refresh_from_db()
        self.assertEqual(announcement.state, Announcement.State.SENT)


@time_machine.travel(OFFICE_HOURS, tick=False)
class RelayTestCase(MessagingTestCase):
    def test_it_pushes_to_the_representative_and_falls_back_for_groups_not_relayed(self) -> None:
        announcement = self.send(self.approved(mode=Announcement.Mode.RELAY))
        # กพ.1's representative follows the account: the card goes to them, not the group.
        self.assertEqual(self.fake.deliveries_by_recipient().get(REP_LINE), 1)
        self.assertNotIn(GROUP_A, self.fake.deliveries_by_recipient())
        # นว.1's representative cannot relay: pushed directly at once.
        self.assertEqual(self.fake.deliveries_by_recipient().get(GROUP_B), 1)
        relay = Relay.objects.get(announcement=announcement)
        self.assertEqual(relay.status, Relay.Status.WAITING)
        card = self.fake.requests_to("/v2/bot/message/push")[0].json["messages"][0]
        labels = [b["action"]["label"] for b in card["contents"]["footer"]["contents"]]
        self.assertIn("ส่งต่อในกลุ่ม", labels)

        with time_machine.travel(OFFICE_HOURS + dt.timedelta(hours=5), tick=False):
            sending.announcement_process(announcement.pk)
        self.assertNotIn(GROUP_A, self.fake.deliveries_by_recipient())
        with time_machine.travel(OFFICE_HOURS + dt.timedelta(hours=6, minutes=1), tick=False):
            sending.announcement_process(announcement.pk)
        self.assertEqual(self.fake.deliveries_by_recipient().get(GROUP_A), 1)
        relay.refresh_from_db()
        self.assertEqual(relay.status, Relay.Status.FALLBACK)
        announcement.refresh_from_db()
        self.assertEqual(announcement.state, Announcement.State.SENT)

    def test_it_skips_the_group_push_when_the_representative_relays(self) -> None:
        announcement = self.send(self.approved(mode=Announcement.Mode.RELAY))
        relay = Relay.objects.get(announcement=announcement)
        self.assertTrue(
            services.relay_forwarded(relay=relay, line_user_id=REP_LINE, method="share")
        )
        # A second report changes nothing.
        self.assertFalse(
            services.relay_forwarded(relay=relay, line_user_id=REP_LINE, method="share")
        )
        group = Delivery.objects.get(
            announcement=announcement, register=self.register, channel=Channel.LINE_GROUP
        )
        self.assertEqual((group.status, group.reason), (DeliveryStatus.SENT, Reason.RELAYED))
        with time_machine.travel(OFFICE_HOURS + dt.timedelta(hours=7), tick=False):
            sending.announcement_process(announcement.pk)
        self.assertNotIn(GROUP_A, self.fake.deliveries_by_recipient())
        announcement.refresh_from_db()
        self.assertEqual(announcement.state, Announcement.State.SENT)

    def test_it_refuses_a_relay_report_from_someone_else(self) -> None:
        announcement = self.send(self.approved(mode=Announcement.Mode.RELAY))
        relay = Relay.objects.get(announcement=announcement)
        with self.assertRaises(services.AnnouncementError):
            services.relay_forwarded(relay=relay, line_user_id=DIRECT_LINE, method="share")
        relay.refresh_from_db()
        self.assertEqual(relay.status, Relay.Status.WAITING)
