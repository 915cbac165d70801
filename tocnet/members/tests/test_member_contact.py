from unittest import mock

from django.urls import reverse

from tocnet.core.models import AuditEvent
from tocnet.members.models import Member, Phone
from tocnet.testing import BaseTestCase


class MemberContactEditTestCase(BaseTestCase):
    def url(self, member: Member) -> str:
        return reverse("members:member_contact_edit", args=[member.code])

    def test_it_saves_normalised_phones_and_audits_the_change(self) -> None:
        self.login_as(self.agent)
        response = self.client.post(
            self.url(self.a_not_in_register),
            {
                "phones": "081-234-5678 / 02-143-8144 ต่อ 701",
                "email": " Someone@Example.COM ",
                "line_id": "somchai",
            },
        )
        self.assertEqual(response.status_code, 302)
        phones = list(self.a_not_in_register.phones.order_by("position"))
        self.assertEqual(
            [(p.e164, p.extension, p.kind, p.valid) for p in phones],
            [
                ("+66812345678", "", "mobile", True),
                ("+6621438144", "701", "landline", True),
            ],
        )
        member = Member.objects.get(pk=self.a_not_in_register.pk)
        self.assertEqual((member.email, member.email_valid), ("someone@example.com", True))
        event = AuditEvent.objects.get(action="member.contact_updated")
        self.assertEqual(event.actor, self.agent)
        self.assertEqual(event.changes["phones"]["before"], ["081-000-0003"])
        self.assertIn("email", event.changes)

    def test_it_refuses_a_broken_number_in_thai_and_keeps_the_valid_one(self) -> None:
        self.login_as(self.rep_user)
        url = self.url(self.in_register)
        for typed, words in [
            ("12345", "ไม่ใช่หมายเลขโทรศัพท์"),
            ("081-234-567", "เบอร์มือถือมี 10 หลัก"),
            ("0812345678, 0912", "ไม่ใช่หมายเลขโทรศัพท์"),
        ]:
            with self.subTest(typed=typed):
                response = self.client.post(url, {"phones": typed, "email": "a@example.com"})
                self.assertEqual(response.status_code, 200)
                body = response.content.decode()
                self.assertIn('data-field="phones"', body)
                self.assertIn(words, body)
                self.assertIn(typed, body)  # what was typed stays in the field to correct
                self.assertNotIn("บันทึกข้อมูลการติดต่อแล้ว", body)
        self.assertEqual(
            list(self.in_register.phones.values_list("e164", flat=True)), ["+66810000002"]
        )
        self.assertFalse(AuditEvent.objects.filter(action="member.contact_updated").exists())

    def test_it_refuses_a_broken_email_and_changes_nothing(self) -> None:
        self.login_as(self.rep_user)
        response = self.client.post(
            self.url(self.in_register), {"phones": "0812345678", "email": "somchai@@mail"}
        )
        self.assertEqual(response.status_code, 200)
        self.assertIn("ไม่ใช่ที่อยู่อีเมล", response.content.decode())
        member = Member.objects.get(pk=self.in_register.pk)
        self.assertEqual(member.email, "")
        self.assertEqual(list(member.phones.values_list("e164", flat=True)), ["+66810000002"])

    def test_it_returns_to_the_page_the_user_came_from(self) -> None:
        self.login_as(self.rep_user)
        back = reverse("reports:my_register")
        page = self.client.get(self.url(self.in_register) + f"?next={back}")
        self.assertContains(page, f'name="next" value="{back}"')
        response = self.client.post(
            self.url(self.in_register), {"phones": "0812345678", "next": back}
        )
        self.assertRedirects(response, back, fetch_redirect_response=False)

    def test_it_ignores_a_next_address_on_another_site(self) -> None:
        self.login_as(self.rep_user)
        response = self.client.post(
            self.url(self.in_register),
            {"phones": "0812345678", "next": "https://evil.example/"},
        )
        self.assertRedirects(
            response,
            reverse("members:member_detail", args=[self.in_register.code]),
            fetch_redirect_response=False,
        )

    def test_it_shows_phones_in_the_thai_national_format(self) -> None:
        self.login_as(self.rep_user)
        response = self.client.get(reverse("members:member_detail", args=[self.in_register.code]))
        self.assertContains(response, 'href="tel:+66810000002"')
        self.assertContains(response, ">081-000-0002</a>")

    def test_the_form_shows_phones_in_the_national_format_and_an_unchanged_save_changes_nothing(
        self,
    ) -> None:
        self.in_register.phones.update(raw="+66 81 000 0002")
        Phone.objects.create(
            member=self.in_register, raw="021438144#701", e164="+6621438144", extension="701",
            kind=Phone.Kind.LANDLINE, position=1,
        )  # fmt: skip
        self.login_as(self.rep_user)
        form = self.client.get(self.url(self.in_register))
        shown = form.context["form"]["phones"].value()
        self.assertEqual(shown, "081-000-0002, 02-143-8144 ต่อ 701")
        response = self.client.post(
            self.url(self.in_register),
            {"phones": shown, "email": self.in_register.email, "line_id": self.in_register.line_id},
        )
        self.assertEqual(response.status_code, 302)
        phones = self.in_register.phones.order_by("position")
        self.assertEqual(
            list(phones.values_list("raw", "e164", "extension")),
            [("+66 81 000 0002", "+66810000002", ""), ("021438144#701", "+6621438144", "701")],
        )
        self.assertFalse(AuditEvent.objects.filter(action="member.contact_updated").exists())

    def test_it_refuses_members_outside_scope_without_changing_anything(self) -> None:
        cases = [
            (self.agent, self.b_member),
            (self.rep_user, self.a_not_in_register),
            (self.board, self.in_register),
            (self.outsider, self.in_register),
        ]
        for user, target in cases:
            with self.subTest(user=user.username):
                self.login_as(user)
                response = self.client.post(self.url(target), {"phones": "0899999999"})
                self.assertEqual(response.status_code, 404)
        self.assertFalse(Phone.objects.filter(e164="+66899999999").exists())
        self.assertFalse(AuditEvent.objects.filter(action="member.contact_updated").exists())

    def test_it_changes_nothing_when_the_audit_write_fails(self) -> None:
        self.login_as(self.staff)
        with (
            mock.patch(
                "tocnet.members.services.audit_record", autospec=True, side_effect=RuntimeError
            ),
            self.assertRaises(RuntimeError),
        ):
            self.client.post(self.url(self.b_member), {"phones": "0899999999"})
        self.assertEqual(list(self.b_member.phones.values_list("raw", flat=True)), ["081-000-0001"])


class MemberAdminAccessLogTestCase(BaseTestCase):
    def test_it_logs_member_records_opened_in_the_admin(self) -> None:
        self.staff.is_superuser = True
        self.staff.save()
        self.login_as(self.staff)
        response = self.client.get(reverse("admin:members_member_change", args=[self.b_member.pk]))
        self.assertEqual(response.status_code, 200)
        event = AuditEvent.objects.get(action="member.viewed_in_admin")
        self.assertEqual((event.actor, event.target_id), (self.staff, str(self.b_member.code)))


class MemberListAccessLogTestCase(BaseTestCase):
    def test_it_logs_which_members_a_list_page_showed(self) -> None:
        self.login_as(self.agent)
        self.client.get(reverse("members:member_list"))
        event = AuditEvent.objects.get(action="members.listed")
        self.assertEqual(event.kind, AuditEvent.Kind.ACCESS)
        self.assertEqual(sorted(event.changes["members"]), ["100001", "100002", "100003"])

    def test_it_logs_nothing_when_nothing_was_shown(self) -> None:
        self.login_as(self.board)
        self.client.get(reverse("members:member_list"))
        self.assertFalse(AuditEvent.objects.filter(action="members.listed").exists())

    def test_it_logs_opening_the_contact_form(self) -> None:
        self.login_as(self.rep_user)
        self.client.get(reverse("members:member_contact_edit", args=[self.in_register.code]))
        self.assertTrue(
            AuditEvent.objects.filter(
                action="member.contact_viewed", target_id=str(self.in_register.code)
            ).exists()
        )
