"""The command line: `tocnet announce` and `tocnet announcement_status` in the issue's shapes."""

from __future__ import annotations

import datetime as dt
import io
import json

import time_machine
from django.core.management import CommandError, call_command

from tocnet.core.models import AuditEvent
from tocnet.messaging.models import Announcement, Delivery
from tocnet.messaging.tests.base import MessagingTestCase

BANGKOK = dt.timezone(dt.timedelta(hours=7))


def run(*args: str) -> dict:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return json.loads(out.getvalue())


@time_machine.travel(dt.datetime(2026, 12, 2, 10, 0, tzinfo=BANGKOK), tick=False)
class AnnounceCommandTestCase(MessagingTestCase):
    def test_it_plans_a_dry_run_whose_numbers_add_up_and_saves_nothing(self) -> None:
        out = run("announce", "--title", "ปันผล", "--body", "ข้อความ", "--dry-run", "--json")
        self.assertEqual(
            set(out),
            {
                "announcement",
                "mode",
                "purpose",
                "recipients",
                "channels",
                "line_messages",
                "sms_segments",
                "cost_baht",
                "unreachable_reasons",
            },
        )
        self.assertIsNone(out["announcement"])
        self.assertEqual(out["mode"], "relay")
        self.assertEqual(out["purpose"], "news")  # the default
        self.assertEqual(
            out["channels"],
            {"line_group": 4, "line_direct": 1, "sms": 1, "email": 1, "unreachable": 1},
        )
        self.assertEqual(out["recipients"], sum(out["channels"].values()))
        self.assertEqual(out["unreachable_reasons"], {"invalid": 1})
        # Relay: 1 message to กพ.1's representative + นว.1 pushed (3) + 1 multicast user.
        self.assertEqual(out["line_messages"], 1 + 3 + 1)
        self.assertEqual(out["sms_segments"], 1)
        self.assertEqual(out["cost_baht"], 0.35)
        self.assertFalse(Announcement.objects.exists())
        self.assertFalse(Delivery.objects.exists())

    def test_it_sends_and_reports_the_status(self) -> None:
        with self.captureOnCommitCallbacks(execute=True):
            out = run(
                "announce",
                "--title",
                "ประชุมใหญ่",
                "--body",
                "เชิญประชุม",
                "--audience",
                "unit:นว",
                "--mode",
                "direct",
                "--json",
            )
        announcement = Announcement.objects.get()
        self.assertEqual(out["announcement"], announcement.pk)
        self.assertEqual(out["recipients"], 2)
        self.assertEqual(out["channels"]["line_group"], 2)
        self.assertTrue(announcement.by_command_line)
        self.assertTrue(
            AuditEvent.objects.filter(action="announcement.approved", actor_repr="cli").exists()
        )
        status = run("announcement_status", str(announcement.pk), "--json")
        self.assertEqual(status["announcement"], announcement.pk)
        self.assertEqual(status["state"], "sent")
        self.assertEqual(
            status["deliveries"],
            {"queued": 0, "sent": 2, "failed": 0, "unknown": 0, "unreachable": 0, "cancelled": 0},
        )
        self.assertEqual(status["by_channel"], {"line_group": {"sent": 2}})

    def test_it_names_an_unknown_unit(self) -> None:
        with self.assertRaisesMessage(CommandError, "ซซ"):
            run("announce", "--title", "x", "--body", "y", "--audience", "unit:ซซ", "--json")
        self.assertFalse(Announcement.objects.exists())

    def test_it_accepts_a_register_by_its_group_name(self) -> None:
        out = run(
            "announce",
            "--title",
            "x",
            "--body",
            "y",
            "--audience",
            "register:สอ.พช.กพ.1",
            "--dry-run",
            "--json",
        )
        self.assertEqual(out["recipients"], 2)
        self.assertEqual(out["channels"]["line_group"], 2)


ISSUE_ANNOUNCE_KEYS = {
    "announcement",
    "mode",
    "recipients",
    "channels",
    "line_messages",
    "sms_segments",
    "cost_baht",
    "unreachable_reasons",
}
ISSUE_CHANNELS = {"line_group", "line_direct", "sms", "email", "unreachable"}
ISSUE_STATES = {"queued", "sent", "failed", "unknown", "unreachable"}


@time_machine.travel(dt.datetime(2026, 12, 2, 10, 0, tzinfo=BANGKOK), tick=False)
class CommandShapesAddUpTestCase(MessagingTestCase):
    """The issue's shapes, and the numbers agree between the two commands."""

    def test_a_full_send_adds_up_in_both_commands(self) -> None:
        with self.captureOnCommitCallbacks(execute=True):
            out = run("announce", "--title", "ปันผล", "--body", "ข้อความ", "--json")
        # The issue's keys and the announcement's purpose (documented in README).
        self.assertEqual(set(out), ISSUE_ANNOUNCE_KEYS | {"purpose"})
        self.assertEqual(out["purpose"], "news")
        self.assertEqual(set(out["channels"]), ISSUE_CHANNELS)
        self.assertEqual(out["mode"], "relay")
        self.assertEqual(out["recipients"], sum(out["channels"].values()))
        self.assertEqual(out["channels"]["unreachable"], sum(out["unreachable_reasons"].values()))
        self.assertIsInstance(out["cost_baht"], float)

        status = run("announcement_status", str(out["announcement"]), "--json")
        # The issue's keys, each of the issue's states; extra keys are documented in README.
        self.assertLessEqual({"announcement", "state", "deliveries", "by_channel"}, set(status))
        self.assertLessEqual(ISSUE_STATES, set(status["deliveries"]))
        self.assertEqual(status["announcement"], out["announcement"])
        self.assertEqual(status["recipients"], out["recipients"])
        self.assertEqual(sum(status["deliveries"].values()), out["recipients"])
        per_channel = {ch: sum(states.values()) for ch, states in status["by_channel"].items()}
        self.assertEqual(per_channel, {ch: n for ch, n in out["channels"].items() if n})
        self.assertEqual(status["deliveries"]["unreachable"], out["channels"]["unreachable"])

    def test_a_cancelled_send_still_adds_up(self) -> None:
        from tocnet.messaging import services

        # Outside office hours' SMS window: the SMS waits, then the send is cancelled.
        with time_machine.travel(dt.datetime(2026, 12, 2, 22, 0, tzinfo=BANGKOK), tick=False):
            with self.captureOnCommitCallbacks(execute=True):
                out = run("announce", "--title", "ค่ำ", "--body", "ข้อความ", "--json")
            announcement = Announcement.objects.get(pk=out["announcement"])
            services.announcement_cancel(announcement=announcement, actor=self.staff)
        status = run("announcement_status", str(out["announcement"]), "--json")
        self.assertEqual(status["state"], "cancelled")
        self.assertEqual(sum(status["deliveries"].values()), out["recipients"])
        self.assertEqual(status["deliveries"]["queued"], 0)
        self.assertGreaterEqual(status["deliveries"]["cancelled"], 1)  # the held SMS
