"""Pages: compose with preview, approve, cost before sending, progress, scoping, export, public
page and feed, the relay page, the representative's view of their members."""

from __future__ import annotations

import datetime as dt
import io

import time_machine
from django.urls import reverse
from openpyxl import load_workbook

from tocnet.messaging import services
from tocnet.messaging.models import Announcement, Delivery, Relay
from tocnet.messaging.tests.base import REP_LINE, MessagingTestCase

BANGKOK = dt.timezone(dt.timedelta(hours=7))
OFFICE_HOURS = dt.datetime(2026, 12, 2, 10, 0, tzinfo=BANGKOK)


@time_machine.travel(OFFICE_HOURS, tick=False)
class AnnouncementPagesTestCase(MessagingTestCase):
    def _compose(self, **extra: str) -> Announcement:
        data = {
            "title": "ประชุมใหญ่สามัญประจำปี",
            "body": "เชิญสมาชิก **ทุกท่าน**",
            "category": "management",
            "sms_text": "สหกรณ์ฯ: ประชุมใหญ่ 20 ธ.ค.",
            "mode": "direct",
            "scope": "all",
            "channels": ["line_group", "line_direct", "sms", "email"],
        }
        data.update(extra)
        response = self.client.post(reverse("messaging:create"), data)
        self.assertEqual(
            response.status_code,
            302,
            getattr(response, "context", None) and response.context["form"].errors,
        )
        return Announcement.objects.latest("id")

    def test_it_walks_compose_approve_cost_send_and_progress(self) -> None:
        self.login_as(self.staff)
        announcement = self._compose()
        self.assertEqual(announcement.state, Announcement.State.DRAFT)
        detail = reverse("messaging:detail", args=[announcement.code])
        self.client.post(reverse("messaging:action", args=[announcement.code, "submit"]))
        # The author sees why they cannot approve, and approving is refused.
        page = self.client.get(detail)
        self.assertContains(page, 'data-approval-refusal="true"')
        self.client.post(reverse("messaging:action", args=[announcement.code, "approve"]))
        announcement.refresh_from_db()
        self.assertEqual(announcement.state, Announcement.State.SUBMITTED)

        self.login_as(self.staff2)
        self.client.post(reverse("messaging:action", args=[announcement.code, "approve"]))
        announcement.refresh_from_db()
        self.assertEqual(announcement.state, Announcement.State.APPROVED)
        page = self.client.get(detail)
        self.assertContains(page, 'data-plan="recipients">8<')
        self.assertContains(page, 'data-alt="direct"')
        self.assertContains(page, 'data-action="send"')
        with self.captureOnCommitCallbacks(execute=True):
            self.client.post(reverse("messaging:action", args=[announcement.code, "send"]))
        announcement.refresh_from_db()
        self.assertEqual(announcement.state, Announcement.State.SENT)
        progress = self.client.get(reverse("messaging:progress", args=[announcement.code]))
        self.assertContains(progress, 'data-progress="100"')
        self.assertContains(progress, 'data-count="sent">7<')
        self.assertContains(progress, 'data-count="unreachable">1<')

    def test_it_previews_the_card_sms_and_email(self) -> None:
        self.login_as(self.staff)
        response = self.client.post(
            reverse("messaging:preview"),
            {
                "title": "หัวข้อ",
                "body": "**หนา** <script>alert(1)</script>",
                "sms_text": "ก" * 71,
                "category": "welfare",
            },
        )
        self.assertContains(response, 'data-preview="line"')
        self.assertContains(response, 'data-sms-segments="2"')
        self.assertContains(response, "<strong>หนา</strong>")
        self.assertNotContains(response, "<script>alert")

    def test_it_refuses_an_image_that_is_not_jpeg_or_png(self) -> None:
        from django.core.files.uploadedfile import SimpleUploadedFile

        self.login_as(self.staff)
        response = self.client.post(
            reverse("messaging:create"),
            {
                "title": "x",
                "body": "y",
                "category": "other",
                "mode": "direct",
                "scope": "all",
                "channels": ["sms"],
                "image": SimpleUploadedFile(
                    "a.gif", b"GIF89a" + b"\0" * 20, content_type="image/gif"
                ),
            },
        )
        self.assertEqual(response.status_code, 200)
        self.assertFalse(Announcement.objects.exists())
        self.assertTrue(response.context["form"].errors["image"])

    def test_it_resizes_a_large_png_for_line(self) -> None:
        from django.core.files.uploadedfile import SimpleUploadedFile
        from PIL import Image

        buffer = io.BytesIO()
        Image.new("RGB", (2000, 1000), "green").save(buffer, format="PNG")
        self.login_as(self.staff)
        announcement = self._compose(image=SimpleUploadedFile("big.png", buffer.getvalue()))
        with Image.open(announcement.image.path) as picture:
            self.assertEqual(picture.size, (1024, 512))

    def test_it_keeps_an_agent_to_their_units(self) -> None:
        self.login_as(self.agent)
        response = self.client.post(
            reverse("messaging:create"),
            {
                "title": "x",
                "body": "y",
                "category": "other",
                "mode": "direct",
                "scope": "all",
                "channels": ["sms"],
            },
        )
        self.assertEqual(response.status_code, 200)
        self.assertFalse(Announcement.objects.exists())
        with self.assertRaises(services.AnnouncementError):
            services.announcement_create(
                actor=self.agent,
                title="x",
                body="y",
                audience={"scope": "units", "units": [str(self.unit_b.code)]},
            )
        # Within their unit it is allowed; sent, the agent sees only their units' share.
        announcement = services.announcement_create(
            actor=self.agent,
            title="x",
            body="y",
            mode="direct",
            audience={"scope": "units", "units": [str(self.unit_a.code)]},
        )
        services.announcement_submit(announcement=announcement, actor=self.agent)
        services.announcement_approve(announcement=announcement, actor=self.staff)
        with self.captureOnCommitCallbacks(execute=True):
            services.announcement_send(announcement=announcement, actor=self.agent)
        everyone = self.approved()
        with self.captureOnCommitCallbacks(execute=True):
            services.announcement_send(announcement=everyone, actor=self.staff)
        with self.assertRaises(services.AnnouncementError):
            services.announcement_send(announcement=self.approved(), actor=self.agent)
        progress = self.client.get(reverse("messaging:progress", args=[everyone.code]))
        self.assertNotContains(progress, "สอ.พช.นว.1")
        self.assertContains(progress, "สอ.พช.กพ.1")
        export = self.client.get(reverse("messaging:export", args=[everyone.code]))
        rows = list(load_workbook(io.BytesIO(export.content)).active.iter_rows(values_only=True))
        numbers = {row[0] for row in rows[1:]}
        self.assertEqual(numbers, {"100001", "100002", "100003", "100004", "100005", "100006"})

    def test_it_refuses_pages_to_representatives_members_and_outsiders(self) -> None:
        announcement = self.send(self.approved())
        for user in (self.rep_user, self.member_user, self.outsider):
            self.login_as(user)
            for url in (
                reverse("messaging:list"),
                reverse("messaging:detail", args=[announcement.code]),
                reverse("messaging:create"),
            ):
                with self.subTest(user=user.username, url=url):
                    self.assertIn(self.client.get(url).status_code, (403, 404))
            response = self.client.post(
                reverse("messaging:action", args=[announcement.code, "cancel"])
            )
            self.assertIn(response.status_code, (403, 404))
        announcement.refresh_from_db()
        self.assertEqual(announcement.state, Announcement.State.SENT)

    def test_it_shows_the_public_page_with_open_graph_and_the_feed(self) -> None:
        public = self.send(self.approved(is_public=True, title="โครงการสวัสดิการใหม่"))
        private = self.send(self.approved(title="ภายในเท่านั้น"))
        page = self.client.get(reverse("messaging:public_detail", args=[public.code]))
        self.assertContains(page, '<meta property="og:title" content="โครงการสวัสดิการใหม่">')
        self.assertEqual(
            self.client.get(reverse("messaging:public_detail", args=[private.code])).status_code,
            404,
        )
        feed = self.client.get(reverse("messaging:feed"))
        self.assertEqual(feed["Content-Type"].split(";")[0], "application/atom+xml")
        self.assertContains(feed, "โครงการสวัสดิการใหม่")
        self.assertNotContains(feed, "ภายในเท่านั้น")
        self.assertNotContains(feed, "100002")

    def test_it_shows_a_representative_how_their_members_were_reached(self) -> None:
        self.send(self.approved())
        self.login_as(self.rep_user)
        fragment = self.client.get(reverse("messaging:register_deliveries"))
        self.assertContains(
            fragment, 'data-member="100002" data-channel="line_group" data-status="sent"'
        )
        self.assertNotContains(fragment, "100003")  # not in their register
        page = self.client.get(reverse("reports:my_register"))
        self.assertContains(page, "register-deliveries-slot")

    def test_it_serves_the_relay_page_and_accepts_the_representatives_report(self) -> None:
        announcement = self.send(self.approved(mode="relay"))
        relay = Relay.objects.get(announcement=announcement)
        page = self.client.get(reverse("messaging:relay_page", args=[relay.code]))
        self.assertContains(page, 'id="relay-card"')
        self.assertNotContains(page, "100002")
        with self.settings(LIFF_ID="1234567890-abcd", LINE_LOGIN_CHANNEL_ID="1234567890"):
            token = self.fake.mint_id_token(user_id=REP_LINE, channel_id="1234567890")
            forged = self.fake.mint_id_token(user_id="U" + "5" * 32, channel_id="1234567890")
            url = reverse("messaging:relay_report", args=[relay.code])
            self.assertEqual(
                self.client.post(url, {"method": "share", "id_token": forged}).status_code, 403
            )
            self.assertEqual(
                self.client.post(url, {"method": "share", "id_token": "x.y.z"}).status_code, 403
            )
            response = self.client.post(url, {"method": "share", "id_token": token})
        self.assertEqual(response.json(), {"ok": True, "settled": True})
        relay.refresh_from_db()
        self.assertEqual(relay.status, Relay.Status.FORWARDED)
        self.assertEqual(Delivery.objects.get(pk=relay.group_delivery_id).reason, "relayed")


@time_machine.travel(OFFICE_HOURS, tick=False)
class ProgressPollingTestCase(MessagingTestCase):
    def test_polling_goes_on_while_sending_and_reloads_the_page_once_it_ends(self) -> None:
        self.login_as(self.staff)
        announcement = self.send(self.approved(mode="relay"))  # group waits for its relay
        self.assertEqual(announcement.state, Announcement.State.SENDING)
        url = reverse("messaging:progress", args=[announcement.code])
        polled = self.client.get(url, headers={"HX-Request": "true"})
        self.assertContains(polled, 'hx-trigger="every 3s"')
        self.assertContains(polled, 'data-relay="waiting"')
        self.assertNotContains(polled, ">queued<")  # labels, not codes
        Announcement.objects.filter(pk=announcement.pk).update(state=Announcement.State.SENT)
        ended = self.client.get(url, headers={"HX-Request": "true"})
        self.assertEqual(ended.status_code, 204)
        self.assertEqual(ended["HX-Refresh"], "true")
        page = self.client.get(reverse("messaging:detail", args=[announcement.code]))
        self.assertNotContains(page, 'hx-trigger="every 3s"')
