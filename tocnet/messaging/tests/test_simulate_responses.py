"""`tocnet line_simulate` shows responses without a LINE account: a member types รับทราบ in
the group (signed webhook to a live server), and the LIFF page opens as a chosen LINE user."""

from io import StringIO

from django.core.management import call_command
from django.test import LiveServerTestCase, override_settings
from django.utils import timezone

from tocnet.line import simulate
from tocnet.line.tests.base import SECRET, TOKEN
from tocnet.members.models import Member
from tocnet.members.tests.factories import make_member, make_unit
from tocnet.messaging.responses.models import Response, Way
from tocnet.messaging.tests.response_builders import sent_announcement
from tocnet.registers.models import Register, RegisterMembership
from tocnet.testing.fakes.line_server import FakeLineServer


class SimulateResponsesTestCase(LiveServerTestCase):
    serialized_rollback = True

    def test_ack_and_liff(self) -> None:
        unit = make_unit(abbreviation="ทส")
        member = make_member(unit=unit, phone="0812345679")
        Member.objects.filter(pk=member.pk).update(line_user_id=simulate.user_id_for("somchai"))
        register = Register.objects.create(unit=unit, number=1, line_group_name="สอ.พช.ทส.1")
        RegisterMembership.objects.create(register=register, member=member, since=timezone.now())
        announcement = sent_announcement([member])
        url = self.live_server_url + "/line/webhook"
        out = StringIO()
        with (
            FakeLineServer(access_token=TOKEN) as fake,
            override_settings(
                LINE_CHANNEL_SECRET=SECRET,
                LINE_CHANNEL_ACCESS_TOKEN=TOKEN,
                LINE_API_BASE_URL=fake.url,
            ),
        ):
            call_command(
                "line_simulate",
                "ack",
                "--group-name",
                "สอ.พช.ทส.1",
                "--user",
                "somchai",
                "--url",
                url,
                stdout=out,
            )
            response = Response.objects.get()
            self.assertEqual((response.member_id, response.way), (member.pk, Way.GROUP_TEXT))
            self.assertEqual(response.announcement, announcement)
            path = f"/r/liff/a/{announcement.code}/"
            call_command(
                "line_simulate",
                "liff",
                "--user",
                "somchai",
                "--path",
                path,
                "--url",
                url,
                stdout=out,
            )
            self.assertEqual(fake.liff_user, simulate.user_id_for("somchai"))
            self.assertIn(self.live_server_url + path, out.getvalue())
