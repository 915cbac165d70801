"""The representative's LINE steps: the official account's ID, QR and add-friend link; the
members not in the group explained, with an edit link for those who do not use LINE; the
registers still without a group on /line/groups/."""

from django.test import override_settings
from django.urls import reverse

from tocnet.members.models import Member
from tocnet.testing import BaseTestCase


class RepresentativeLineStepsTestCase(BaseTestCase):
    @override_settings(LINE_OA_BASIC_ID="@123abcde")
    def test_it_shows_the_official_account_id_qr_and_add_friend_link(self) -> None:
        self.login_as(self.rep_user)
        body = self.client.get(reverse("reports:my_register")).content.decode()
        self.assertIn("<strong data-oa-id>@123abcde</strong>", body)
        self.assertIn('href="https://line.me/R/ti/p/%40123abcde" data-oa-add', body)
        qr_url = reverse("line:official_account_qr")
        self.assertIn(f'src="{qr_url}"', body)
        qr = self.client.get(qr_url)
        self.assertEqual(qr.status_code, 200)
        self.assertEqual(qr["Content-Type"], "image/svg+xml")
        self.assertTrue(qr.content.startswith(b"<svg"))

    @override_settings(LINE_OA_BASIC_ID="")
    def test_it_leaves_out_the_link_when_the_account_is_not_configured(self) -> None:
        self.login_as(self.rep_user)
        body = self.client.get(reverse("reports:my_register")).content.decode()
        self.assertIn('data-step="invite-official-account"', body)
        self.assertNotIn("data-oa-add", body)
        self.assertEqual(self.client.get(reverse("line:official_account_qr")).status_code, 404)

    def test_it_explains_the_missing_members_and_links_no_line_ones_to_their_contacts(
        self,
    ) -> None:
        Member.objects.filter(pk=self.rep_member.pk).update(no_line=True)
        self.login_as(self.rep_user)
        body = self.client.get(reverse("reports:my_register")).content.decode()
        self.assertIn("data-line-missing-explained", body)
        edit = reverse("members:member_contact_edit", args=[self.rep_member.code])
        self.assertIn(f'href="{edit}?next=', body)
        self.assertIn(f'data-edit-no-line="{self.rep_member.number}"', body)

    def test_it_lists_registers_without_a_group_on_the_group_page(self) -> None:
        for user, expected in ((self.staff, True), (self.agent, True)):
            with self.subTest(user=user.username):
                self.login_as(user)
                body = self.client.get(reverse("line:group_list")).content.decode()
                self.assertIn('id="without-group"', body)
                marker = f'data-register-without-group="{self.register.code}"'
                self.assertEqual(marker in body, expected)
        self.register.line_group_id = "C" + "9" * 32
        self.register.save(update_fields=["line_group_id"])
        self.login_as(self.staff)
        body = self.client.get(reverse("line:group_list")).content.decode()
        self.assertNotIn(f'data-register-without-group="{self.register.code}"', body)


class LineCountsDrawnTestCase(BaseTestCase):
    """#16: "in the group 11 / not yet 40 (to follow up 29, no LINE 11)", drawn as one bar."""

    def test_it_draws_the_counts_as_a_bar_with_a_legend(self) -> None:
        import re

        from tocnet.registers.models import RegisterMembership
        from tocnet.reports.tests.builders import add_member, verify_group

        extra = [add_member(self.unit_a) for _ in range(5)]
        extra += [add_member(self.unit_a, no_line=True) for _ in range(3)]
        Member.objects.filter(pk=extra[0].pk).update(line_user_id="U" + "7" * 32)  # not seen
        for member in extra:
            RegisterMembership.objects.create(
                register=self.register, member=member, since=self.register.created_at
            )
        verify_group(self.register, seen=[self.in_register])  # 1 in, 10 members
        self.login_as(self.rep_user)
        body = self.client.get(reverse("reports:my_register")).content.decode()
        # in the group 1, not yet 9 = to follow up 6 (rep, 5 new) + no LINE 3
        self.assertIn('data-line-breakdown="1/9/6/3"', body)
        parts = re.findall(
            r'<rect class="part-(\w+)" data-part="\w+" data-count="(\d+)" x="([\d.]+)" '
            r'width="([\d.]+)"',
            body,
        )
        self.assertEqual(
            parts,
            [("in_group", "1", "0.00", "10.00"), ("follow_up", "6", "10.00", "60.00"),
             ("no_line", "3", "70.00", "30.00")],
        )  # fmt: skip
        caption = re.sub(
            r"\s+", " ", re.sub(r"<[^>]+>", "", body.split("<figcaption>")[1].split("</fig")[0])
        ).strip()
        self.assertEqual(caption, "อยู่ในกลุ่มแล้ว 1 / ยังไม่อยู่ในกลุ่ม 9 (ติดตาม 6, ไม่ใช้ไลน์ 3)")
