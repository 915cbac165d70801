"""MessagingTestCase: the personas, a verified LINE group, members on every channel, and the
fake LINE API and SMS gateway (one of each per class, reset per test)."""

from __future__ import annotations

from typing import Any
from unittest import mock

from django.test import override_settings
from django.utils import timezone

from tocnet.accounts.models import User
from tocnet.line import client as line_client
from tocnet.line.models import LineFriend, LineGroup
from tocnet.members.models import Member, Phone
from tocnet.messaging import services
from tocnet.messaging.channels import sms as sms_channel
from tocnet.messaging.models import Announcement
from tocnet.registers.models import Register, RegisterMembership
from tocnet.testing import PASSWORD, BaseTestCase
from tocnet.testing.fakes.line_server import FakeLineServer
from tocnet.testing.fakes.sms_server import FakeSmsGateway

TOKEN = "test-access-token"
GROUP_A = "C" + "a" * 32
GROUP_B = "C" + "b" * 32
REP_LINE = "U" + "9" * 32
REP_B_LINE = "U" + "8" * 32
DIRECT_LINE = "U" + "7" * 32


class MessagingTestCase(BaseTestCase):
    """On top of BaseTestCase:

    - register สอ.พช.กพ.1 (rep_member, in_register) has a verified group GROUP_A (count 2) and
      a representative who follows the official account (can relay);
    - unit นว has register สอ.พช.นว.1 (rep_b, b_member) with verified group GROUP_B (count 3)
      whose representative is not linked (no relay: pushed directly);
    - a_not_in_register has a mobile (SMS); direct_member follows the account (LINE 1:1);
      email_member has only an e-mail; nobody_member has nothing; all in unit กพ;
    - staff2: a second staff member who can approve.
    """

    fake: FakeLineServer
    sms: FakeSmsGateway

    @classmethod
    def setUpClass(cls) -> None:
        cls.fake = FakeLineServer(access_token=TOKEN).start()
        cls.sms = FakeSmsGateway(api_key="key").start()
        cls.fake.hang_seconds = 0.6
        cls.sms.hang_seconds = 0.6
        super().setUpClass()

    @classmethod
    def tearDownClass(cls) -> None:
        super().tearDownClass()
        cls.fake.stop()
        cls.sms.stop()

    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.staff2 = User.objects.create_user(
            username="staff2", password=PASSWORD, role=User.Role.STAFF
        )
        now = timezone.now()
        Member.objects.filter(pk=cls.rep_member.pk).update(line_user_id=REP_LINE)
        cls.rep_member.refresh_from_db()
        LineFriend.objects.create(line_user_id=REP_LINE, step=LineFriend.Step.LINKED)
        LineFriend.objects.create(line_user_id="U" + "1" * 32, step=LineFriend.Step.LINKED)
        Register.objects.filter(pk=cls.register.pk).update(line_group_id=GROUP_A)
        cls.register.refresh_from_db()
        LineGroup.objects.create(
            group_id=GROUP_A,
            name="สอ.พช.กพ.1",
            status=LineGroup.Status.VERIFIED,
            register=cls.register,
            unit=cls.unit_a,
            member_count=2,
        )
        from tocnet.members.models import Representative

        cls.rep_b = Member.objects.create(
            number="200002", unit=cls.unit_b, first_name="บุญมี", last_name="ดีใจ"
        )
        rep_b = Representative.objects.create(
            member=cls.rep_b,
            unit=cls.unit_b,
            term_start=cls.representative.term_start,
            term_end=cls.representative.term_end,
        )
        cls.register_b = Register.objects.create(
            unit=cls.unit_b,
            number=1,
            representative=rep_b,
            line_group_name="สอ.พช.นว.1",
            line_group_id=GROUP_B,
        )
        LineGroup.objects.create(
            group_id=GROUP_B,
            name="สอ.พช.นว.1",
            status=LineGroup.Status.VERIFIED,
            register=cls.register_b,
            unit=cls.unit_b,
            member_count=3,
        )
        for m in (cls.rep_b, cls.b_member):
            RegisterMembership.objects.create(register=cls.register_b, member=m, since=now)
        cls.direct_member = Member.objects.create(
            number="100004",
            unit=cls.unit_a,
            first_name="ดวงใจ",
            last_name="ตรงไป",
            line_user_id=DIRECT_LINE,
        )
        LineFriend.objects.create(line_user_id=DIRECT_LINE, step=LineFriend.Step.LINKED)
        cls.email_member = Member.objects.create(
            number="100005",
            unit=cls.unit_a,
            first_name="อีเมล",
            last_name="อย่างเดียว",
            email="only-email@example.com",
        )
        cls.nobody_member = Member.objects.create(
            number="100006", unit=cls.unit_a, first_name="ไร้", last_name="ช่องทาง"
        )
        Phone.objects.create(member=cls.nobody_member, raw="02-123", e164="", valid=False)

    def setUp(self) -> None:
        super().setUp()
        self.fake.reset()
        self.fake.add_group(GROUP_A, "สอ.พช.กพ.1", count=2)
        self.fake.add_group(GROUP_B, "สอ.พช.นว.1", count=3)
        self.fake.add_profile(REP_LINE, "ผู้แทน")
        self.fake.add_profile(DIRECT_LINE, "ดวงใจ")
        self.sms.reset()
        overrides = override_settings(
            LINE_CHANNEL_SECRET="secret",
            LINE_CHANNEL_ACCESS_TOKEN=TOKEN,
            LINE_API_BASE_URL=self.fake.url,
            SMS_PROVIDER="thaibulksms",
            SMS_API_KEY="key",
            SMS_API_SECRET="secret",
            SMS_API_BASE_URL=self.sms.url,
            SITE_URL="https://toc.example",
            LIFF_ID="",
            EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
        )
        overrides.enable()
        self.addCleanup(overrides.disable)
        # Short client timeouts so scripted timeouts cost well under a second.
        for patcher in (
            mock.patch.object(line_client, "TIMEOUT", (1, 0.3)),
            mock.patch.object(sms_channel, "TIMEOUT", (1, 0.3)),
        ):
            patcher.start()
            self.addCleanup(patcher.stop)

    def approved(self, **fields: Any) -> Announcement:
        """An announcement by staff, approved by staff2."""
        values: dict[str, Any] = {
            "title": "ปันผลประจำปี 2569",
            "body": "สหกรณ์จะโอนเงินปันผล **วันที่ 15**",
            "sms_text": "สหกรณ์ฯ: ปันผลเข้าบัญชี 15 ม.ค.",
            "mode": Announcement.Mode.DIRECT,
        }
        values.update(fields)
        announcement = services.announcement_create(actor=self.staff, **values)
        services.announcement_submit(announcement=announcement, actor=self.staff)
        return services.announcement_approve(announcement=announcement, actor=self.staff2)

    def send(self, announcement: Announcement, **kwargs: Any) -> Announcement:
        with self.captureOnCommitCallbacks(execute=True):
            services.announcement_send(announcement=announcement, actor=self.staff, **kwargs)
        announcement.refresh_from_db()
        return announcement
