from django.urls import reverse

from tocnet.core.models import AuditEvent
from tocnet.registers.models import RegisterMembership
from tocnet.testing import BaseTestCase


class AdminAuditTestCase(BaseTestCase):
    def setUp(self) -> None:
        self.staff.is_superuser = True
        self.staff.save()
        self.login_as(self.staff)

    def test_it_audits_a_member_changed_in_the_admin(self) -> None:
        url = reverse("admin:members_member_change", args=[self.b_member.pk])
        form = self.client.get(url).context["adminform"].form
        data = {k: v for k, v in form.initial.items() if v is not None}
        data.update(
            {
                "unit": self.unit_b.pk,
                "email": "new@example.com",
                "phones-TOTAL_FORMS": "0",
                "phones-INITIAL_FORMS": "0",
            }
        )
        data.pop("user", None)
        response = self.client.post(url, data)
        self.assertEqual(response.status_code, 302)
        event = AuditEvent.objects.get(action="member.admin_changed")
        self.assertEqual(event.actor, self.staff)
        self.assertEqual(event.changes["email"], {"before": "", "after": "new@example.com"})

    def test_it_keeps_memberships_read_only_in_the_admin(self) -> None:
        membership = RegisterMembership.objects.first()
        assert membership is not None
        url = reverse("admin:registers_registermembership_delete", args=[membership.pk])
        self.assertEqual(self.client.post(url, {"post": "yes"}).status_code, 403)
        self.assertTrue(RegisterMembership.objects.filter(pk=membership.pk).exists())

    def test_it_hides_parsed_import_rows_from_the_admin(self) -> None:
        from tocnet.members.models import ImportJob

        job = ImportJob.objects.create(
            kind=ImportJob.Kind.MEMBERS,
            file_name="x.xlsx",
            sha256="0" * 64,
            result={"parsed": [{"national_id": "1101700230708"}]},
        )
        response = self.client.get(reverse("admin:members_importjob_change", args=[job.pk]))
        self.assertEqual(response.status_code, 200)
        self.assertNotContains(response, "1101700230708")
