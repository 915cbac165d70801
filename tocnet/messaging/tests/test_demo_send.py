"""The demo (what scripts/run loads) sends an announcement end to end through the fakes."""

from __future__ import annotations

import datetime as dt
import io
import json

import time_machine
from django.core.management import call_command
from django.test import TestCase, override_settings

from tocnet.line.models import LineGroup
from tocnet.messaging.demo import demo_network_sync_fake
from tocnet.messaging.models import Announcement, Delivery, DeliveryStatus
from tocnet.testing.fakes.line_server import FakeLineServer
from tocnet.testing.fakes.sms_server import FakeSmsGateway

BANGKOK = dt.timezone(dt.timedelta(hours=7))


@time_machine.travel(dt.datetime(2026, 12, 2, 10, 0, tzinfo=BANGKOK), tick=False)
class DemoSendTestCase(TestCase):
    def test_it_sends_the_demo_an_announcement_through_the_fake_servers(self) -> None:
        call_command("demo", members=400, seed=7, stdout=io.StringIO())
        self.assertGreater(LineGroup.objects.filter(status="verified").count(), 0)
        with (
            FakeLineServer() as line,
            FakeSmsGateway() as sms,
            override_settings(
                LINE_CHANNEL_SECRET="s",
                LINE_CHANNEL_ACCESS_TOKEN="t",
                LINE_API_BASE_URL=line.url,
                SMS_API_KEY="k",
                SMS_API_SECRET="s",
                SMS_API_BASE_URL=sms.url,
                EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
            ),
        ):
            self.assertEqual(demo_network_sync_fake(line.url), LineGroup.objects.count())
            out = io.StringIO()
            with self.captureOnCommitCallbacks(execute=True):
                call_command(
                    "announce",
                    "--title",
                    "ทดสอบ",
                    "--body",
                    "ข้อความ",
                    "--mode",
                    "direct",
                    "--json",
                    stdout=out,
                )
            plan = json.loads(out.getvalue())
            announcement = Announcement.objects.get(pk=plan["announcement"])
            self.assertEqual(announcement.state, Announcement.State.SENT)
            self.assertEqual(plan["recipients"], sum(plan["channels"].values()))
            self.assertGreater(plan["channels"]["sms"], 0)
            self.assertGreater(plan["channels"]["line_direct"], 0)
            # Every group and LINE user reached exactly once; every SMS number once.
            self.assertEqual(set(line.deliveries_by_recipient().values()), {1})
            self.assertEqual(
                len(line.deliveries_by_recipient()),
                LineGroup.objects.count() + plan["channels"]["line_direct"],
            )
            self.assertEqual(len(sms.messages), plan["channels"]["sms"])
            self.assertFalse(
                Delivery.objects.filter(
                    announcement=announcement,
                    status__in=(DeliveryStatus.QUEUED, DeliveryStatus.SENDING),
                ).exists()
            )
