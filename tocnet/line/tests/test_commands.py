"""End to end: line_simulate posts signed events over HTTP to a live server, which asks the
fake LINE API for the group's name; join + the representative's code verifies the group."""

import datetime as dt
import re
from io import StringIO

from django.core.management import CommandError, call_command
from django.test import LiveServerTestCase, SimpleTestCase, override_settings
from django.utils import timezone

from tocnet.accounts.models import User
from tocnet.line import simulate
from tocnet.line.models import LineGroup
from tocnet.line.services.groups import register_code_ensure
from tocnet.line.tests.base import SECRET, TOKEN
from tocnet.members.models import Representative
from tocnet.members.tests.factories import make_member, make_unit
from tocnet.registers.models import Register, RegisterMembership
from tocnet.testing.fakes.line_server import FakeLineServer


class LineSimulateEndToEndTestCase(LiveServerTestCase):
    serialized_rollback = True  # keep the seeded units for the tests that run after this one

    def test_it_verifies_a_group_from_join_and_code_message(self) -> None:
        unit = make_unit(abbreviation="ทด")
        rep_member = make_member(unit=unit, phone="0812345678")
        representative = Representative.objects.create(
            member=rep_member,
            unit=unit,
            term_start=dt.date(2024, 1, 1),
            term_end=dt.date(2027, 12, 31),
        )
        register = Register.objects.create(
            unit=unit, number=2, representative=representative, line_group_name="สอ.พช.ทด.2"
        )
        RegisterMembership.objects.create(
            register=register, member=rep_member, since=timezone.now()
        )
        code = register_code_ensure(register=register).code
        url = self.live_server_url + "/line/webhook"
        with (
            FakeLineServer(access_token=TOKEN) as fake,
            override_settings(
                LINE_CHANNEL_SECRET=SECRET,
                LINE_CHANNEL_ACCESS_TOKEN=TOKEN,
                LINE_API_BASE_URL=fake.url,
            ),
        ):
            out = StringIO()
            call_command(
                "line_simulate",
                "join",
                "--group-name",
                "สอ.พช.ทด.2",
                "--count",
                "5",
                "--url",
                url,
                stdout=out,
            )
            group = LineGroup.objects.get(group_id=simulate.group_id_for("สอ.พช.ทด.2"))
            self.assertEqual(
                (group.status, group.register_id, group.member_count),
                ("awaiting_code", register.pk, 5),
            )
            call_command(
                "line_simulate",
                "message",
                "--group-name",
                "สอ.พช.ทด.2",
                "--user",
                "rep",
                "--text",
                code,
                "--url",
                url,
                stdout=out,
            )
            self.assertIn("bot replied", out.getvalue())
            with self.assertRaises(CommandError):
                call_command(
                    "line_simulate", "follow", "--url", url, "--secret", "wrong", stdout=out
                )
        register.refresh_from_db()
        rep_member.refresh_from_db()
        self.assertEqual(register.line_group_id, group.group_id)
        self.assertEqual(rep_member.line_user_id, simulate.user_id_for("rep"))
        # The dashboard and the representative's page show it.
        staff = User.objects.create_user(username="e2e-staff", password="x", role=User.Role.STAFF)
        self.client.force_login(staff)
        page = self.client.get("/dashboard/").content.decode()
        verified = re.search(r'data-total="verified"><div class="num">(\d+)<', page)
        self.assertIsNotNone(verified)
        self.assertEqual(verified.group(1), "1")
        rep_user = User.objects.create_user(
            username="e2e-rep", password="x", role=User.Role.REPRESENTATIVE
        )
        rep_member.user = rep_user
        rep_member.save()
        self.client.force_login(rep_user)
        page = self.client.get("/my/register/").content.decode()
        self.assertIn('data-check="group_verified" data-done="true"', page)
        self.assertIn('data-line-verified="true"', page)


class SetLineWebhookTestCase(SimpleTestCase):
    def test_it_sets_the_endpoint_with_line(self) -> None:
        with (
            FakeLineServer(access_token=TOKEN) as fake,
            override_settings(
                LINE_CHANNEL_SECRET=SECRET,
                LINE_CHANNEL_ACCESS_TOKEN=TOKEN,
                LINE_API_BASE_URL=fake.url,
            ),
        ):
            out = StringIO()
            call_command("set_line_webhook", "https://tocnet.example.coop/line/webhook", stdout=out)
            self.assertEqual(fake.webhook_endpoint, "https://tocnet.example.coop/line/webhook")
            with self.assertRaises(CommandError):
                call_command(
                    "set_line_webhook", "http://tocnet.example.coop/line/webhook", stdout=out
                )
        self.assertIn("https://tocnet.example.coop/line/webhook", out.getvalue())
