"""Access events name the members a list, a unit page or an export showed (AccessedMember),
so the DPO's search by member and the member's own export find "a list that showed them"."""

import io
import json

import openpyxl
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tocnet.accounts.models import User
from tocnet.core.models import AccessedMember, AuditEvent
from tocnet.members.models import Member
from tocnet.members.views import PER_PAGE
from tocnet.privacy.registry import retention_kinds
from tocnet.testing import PASSWORD, BaseTestCase


class AccessedMembersTestCase(BaseTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.dpo = User.objects.create_user(username="dpo", password=PASSWORD, role=User.Role.STAFF)
        self.dpo.user_permissions.add(Permission.objects.get(codename="dpo"))

    def shown_by(self, action: str) -> set[int]:
        event = AuditEvent.objects.filter(action=action).latest("id")
        return set(event.members_shown.values_list("member_pk", flat=True))

    def assert_found_by_dpo_and_in_export(self, member: Member, action: str) -> None:
        self.login_as(self.dpo)
        page = self.client.get(reverse("privacy:access_log"), {"member": member.number})
        self.assertContains(page, f'data-event="{action}"')
        export = self.client.get(reverse("privacy:member_export", args=[member.code]))
        self.assertIn(action, json.dumps(json.loads(export.content), ensure_ascii=False))
        xlsx = self.client.get(
            reverse("privacy:member_export", args=[member.code]) + "?format=xlsx"
        )
        book = openpyxl.load_workbook(io.BytesIO(xlsx.content), read_only=True)
        cells = {
            str(value)
            for ws in book.worksheets
            for row in ws.iter_rows(values_only=True)
            for value in row
            if value is not None
        }
        self.assertIn(action, cells)

    def test_a_unit_xlsx_download_is_found_by_member(self) -> None:
        self.login_as(self.staff)
        response = self.client.get(reverse("reports:attachment3", args=[self.unit_a.code, "xlsx"]))
        self.assertEqual(response.status_code, 200)
        shown = self.shown_by("reports.attachment3_exported")
        self.assertIn(self.a_not_in_register.pk, shown)
        self.assertIn(self.in_register.pk, shown)
        self.assertNotIn(self.b_member.pk, shown)  # another unit's member is not in the file
        self.assert_found_by_dpo_and_in_export(
            self.a_not_in_register, "reports.attachment3_exported"
        )
        # ... and not for a member of another unit.
        page = self.client.get(reverse("privacy:access_log"), {"member": self.b_member.number})
        self.assertNotContains(page, 'data-event="reports.attachment3_exported"')

    def test_a_units_xlsx_job_and_its_download_name_every_member(self) -> None:
        from django.test import override_settings

        from tocnet.reports.models import ReportJob

        self.login_as(self.staff)
        with (
            override_settings(REPORT_XLSX_INLINE_MAX_MEMBERS=0),
            self.captureOnCommitCallbacks(execute=True),
        ):
            response = self.client.get(
                reverse("reports:attachment3", args=[self.unit_a.code, "xlsx"])
            )
        self.assertEqual(response.status_code, 302)  # to the job's progress
        job = ReportJob.objects.get()
        self.assertEqual(job.status, ReportJob.Status.DONE)
        built = self.shown_by("reports.attachment3_exported")
        self.assertTrue({self.a_not_in_register.pk, self.in_register.pk} <= built)
        self.assertNotIn(self.b_member.pk, built)
        download = self.client.get(reverse("reports:report_job", args=[job.code]))
        self.assertEqual(download.status_code, 200)
        self.assertEqual(self.shown_by("reports.report_job_downloaded"), built)
        self.assert_found_by_dpo_and_in_export(
            self.a_not_in_register, "reports.report_job_downloaded"
        )

    def test_the_representatives_xlsx_and_a_registers_leaders_page_name_their_members(
        self,
    ) -> None:
        from tocnet.members.models import Representative

        Representative.objects.filter(pk=self.representative.pk).update(ended_on=None)
        self.login_as(self.staff)
        self.client.get(reverse("registers:representatives_xlsx"))
        self.assertEqual(self.shown_by("registers.representatives_exported"), {self.rep_member.pk})
        self.client.get(reverse("registers:leaders", args=[self.register.code]))
        shown = self.shown_by("register.leaders_viewed")
        self.assertTrue({self.rep_member.pk, self.in_register.pk} <= shown)
        self.assertNotIn(self.b_member.pk, shown)
        self.assert_found_by_dpo_and_in_export(self.in_register, "register.leaders_viewed")

    def test_the_import_preview_names_the_members_it_shows(self) -> None:
        from django.core.files.uploadedfile import SimpleUploadedFile

        from tocnet.members.models import ImportJob
        from tocnet.members.tests.import_builders import MEMBER_HEADER, member_row, xlsx_bytes

        data = xlsx_bytes(
            {
                "สมาชิก": [
                    ["บัญชีรายชื่อสมาชิก"],
                    MEMBER_HEADER,
                    member_row(
                        "100003",
                        first="ประเสริฐ",
                        last="ทองคำ",
                        unit="จ.กำแพงเพชร",
                        phone="0899999999",
                    ),
                ]
            }
        )
        self.login_as(self.staff)
        self.client.post(
            reverse("members:import_upload"),
            {"kind": "members", "file": SimpleUploadedFile("m.xlsx", data)},
        )
        job = ImportJob.objects.get()
        self.client.get(reverse("members:import_detail", args=[job.code]))
        shown = self.shown_by("import.view")
        self.assertIn(self.a_not_in_register.pk, shown)  # the update to their phone
        self.assertNotIn(self.b_member.pk, shown)
        self.assert_found_by_dpo_and_in_export(self.a_not_in_register, "import.view")

    def test_the_admin_members_list_names_the_members_on_its_page(self) -> None:
        self.staff.is_superuser = True
        self.staff.save(update_fields=["is_superuser"])
        self.login_as(self.staff)
        page = self.client.get(reverse("admin:members_member_changelist"))
        self.assertEqual(page.status_code, 200)
        shown = self.shown_by("admin.viewed")
        self.assertEqual(shown, set(Member.objects.values_list("pk", flat=True)))
        self.client.get(reverse("admin:members_representative_changelist"))
        self.assertEqual(self.shown_by("admin.viewed"), {self.rep_member.pk})
        self.assert_found_by_dpo_and_in_export(self.rep_member, "admin.viewed")

    def test_a_units_register_plan_names_the_members_it_lists(self) -> None:
        self.login_as(self.staff)
        page = self.client.get(reverse("registers:plan_unit", args=[self.unit_a.code]))
        self.assertEqual(page.status_code, 200)
        shown = self.shown_by("register_plan.viewed")
        self.assertIn(self.in_register.pk, shown)
        self.assertNotIn(self.b_member.pk, shown)
        self.assert_found_by_dpo_and_in_export(self.in_register, "register_plan.viewed")

    def test_a_responses_report_and_the_inbox_name_their_members(self) -> None:
        from django.utils import timezone

        from tocnet.conversations.models import Conversation
        from tocnet.messaging.responses.models import Ask
        from tocnet.messaging.tests.response_builders import sent_announcement

        announcement = sent_announcement(
            [self.rep_member, self.in_register, self.a_not_in_register], kind=Ask.Kind.FEEDBACK
        )
        self.login_as(self.staff)
        page = self.client.get(reverse("responses:report", args=[announcement.code]))
        self.assertContains(page, self.rep_member.last_name)
        self.assertEqual(self.shown_by("responses.report_viewed"), {self.rep_member.pk})
        now = timezone.now()
        Conversation.objects.create(
            member=self.in_register,
            line_user_id=self.in_register.line_user_id,
            opened_at=now,
            last_message_at=now,
        )
        inbox = self.client.get(reverse("conversations:inbox"))
        self.assertEqual(inbox.status_code, 200)
        self.assertEqual(self.shown_by("conversations.listed"), {self.in_register.pk})
        self.assert_found_by_dpo_and_in_export(self.in_register, "conversations.listed")

    def test_a_closing_report_names_the_representatives_it_froze(self) -> None:
        from tocnet.messaging.responses.models import Ask
        from tocnet.messaging.responses.services import ask_close
        from tocnet.messaging.tests.response_builders import sent_announcement
        from tocnet.registers.leaders import register_vacate

        announcement = sent_announcement(
            [self.rep_member, self.in_register, self.a_not_in_register], kind=Ask.Kind.FEEDBACK
        )
        ask_close(ask=Ask.objects.get(announcement=announcement), reason="staff", actor=self.staff)
        # The representative leaves after the close: the frozen report still names them.
        register_vacate(register=self.register, reason="ลาออก", actor=self.staff)
        self.login_as(self.staff)
        url = reverse("responses:closing_report", args=[announcement.code])
        page = self.client.get(url)
        self.assertContains(page, self.rep_member.last_name)
        self.assertEqual(self.shown_by("responses.closing_report_viewed"), {self.rep_member.pk})
        self.client.get(url, {"export": "xlsx"})
        self.assertEqual(self.shown_by("responses.closing_report_exported"), {self.rep_member.pk})
        self.assert_found_by_dpo_and_in_export(self.rep_member, "responses.closing_report_viewed")

    def test_the_new_term_preview_names_the_representatives_it_shows(self) -> None:
        self.login_as(self.staff)
        page = self.client.post(
            reverse("registers:terms_renew"),
            {"numbers": f"{self.rep_member.number}\n999999", "term_start": "2026-01-01",
             "term_end": "2029-12-31"},
        )  # fmt: skip
        self.assertContains(page, self.rep_member.last_name)
        self.assertEqual(self.shown_by("representative.terms_previewed"), {self.rep_member.pk})

    def test_attachment2_names_every_member_in_the_file(self) -> None:
        self.login_as(self.staff)
        self.client.get(reverse("reports:attachment2", args=[self.unit_a.code]))
        shown = self.shown_by("reports.attachment2_exported")
        self.assertTrue({self.a_not_in_register.pk, self.in_register.pk} <= shown)
        self.assertNotIn(self.b_member.pk, shown)

    def test_a_unit_page_listing_the_member_is_found_by_member(self) -> None:
        from tocnet.members.models import Representative

        # The unit page lists the unit's representatives: those are the members it shows.
        Representative.objects.filter(pk=self.representative.pk).update(ended_on=None)
        self.login_as(self.staff)
        page = self.client.get(reverse("members:unit_detail", args=[self.unit_a.code]))
        self.assertContains(page, self.rep_member.last_name)
        self.assertEqual(self.shown_by("unit.viewed"), {self.rep_member.pk})
        self.assert_found_by_dpo_and_in_export(self.rep_member, "unit.viewed")

    def test_an_agents_list_page_names_only_the_members_shown(self) -> None:
        unit = self.unit_a
        extra = [
            Member(number=f"3{i:05d}", unit=unit, first_name=f"ก{i:03d}", last_name="ทดสอบ")
            for i in range(PER_PAGE + 10)
        ]
        Member.objects.bulk_create(extra)
        self.login_as(self.agent)
        first = self.client.get(reverse("members:member_list"))
        self.assertEqual(first.status_code, 200)
        shown = self.shown_by("members.listed")
        self.assertEqual(len(shown), PER_PAGE)
        in_scope = set(
            Member.objects.filter(unit=unit, status=Member.Status.ACTIVE).values_list(
                "pk", flat=True
            )
        )
        self.assertTrue(shown <= in_scope)
        self.assertNotIn(self.b_member.pk, shown)  # another unit: never listed for this agent
        page_members = {row.pk for row in first.context["rows"]}
        self.assertEqual(shown, page_members)
        second = self.client.get(reverse("members:member_list"), {"page": 2})
        shown_second = self.shown_by("members.listed")
        self.assertEqual(shown_second, {row.pk for row in second.context["rows"]})
        self.assertFalse(shown & shown_second)

    def test_a_list_pages_queries_do_not_grow_with_the_rows_named(self) -> None:
        self.login_as(self.agent)
        with CaptureQueriesContext(connection) as few:
            self.client.get(reverse("members:member_list"))
        Member.objects.bulk_create(
            Member(number=f"4{i:05d}", unit=self.unit_a, first_name=f"ข{i:03d}", last_name="ทดสอบ")
            for i in range(PER_PAGE * 2)
        )
        with CaptureQueriesContext(connection) as many:
            self.client.get(reverse("members:member_list"))
        self.assertEqual(len(few), len(many))
        self.assertEqual(self.shown_by("members.listed").__len__(), PER_PAGE)
        inserts = [q for q in many.captured_queries if "core_accessedmember" in q["sql"].lower()]
        self.assertEqual(len(inserts), 1)

    def test_the_rows_go_with_their_events_and_the_sweep_counts_events_only(self) -> None:
        import datetime as dt

        from django.utils import timezone

        self.login_as(self.staff)
        self.client.get(reverse("reports:attachment3", args=[self.unit_a.code, "xlsx"]))
        self.assertTrue(AccessedMember.objects.exists())
        kind = next(k for k in retention_kinds() if k.name == "core.audit_events")
        later = timezone.now() + kind.period + dt.timedelta(days=1)
        events = AuditEvent.objects.count()
        self.assertEqual(kind.past(later), events)
        self.assertEqual(kind.run(later), events)  # the member rows are not counted again
        self.assertFalse(AccessedMember.objects.exists())

    def test_erasure_keeps_the_rows_pointing_at_the_anonymised_member(self) -> None:
        from tocnet.privacy.services import member_erase

        self.login_as(self.staff)
        self.client.get(reverse("reports:attachment3", args=[self.unit_a.code, "xlsx"]))
        member_erase(member=self.a_not_in_register, actor=self.dpo)
        self.assertTrue(AccessedMember.objects.filter(member_pk=self.a_not_in_register.pk).exists())
        self.assertEqual(
            Member.objects.get(pk=self.a_not_in_register.pk).number, self.a_not_in_register.number
        )


class DigestCountsOnceTestCase(BaseTestCase):
    def test_an_export_naming_its_members_counts_each_once(self) -> None:
        from tocnet.core.audit import audit_access
        from tocnet.privacy.digest import unusual_access_digest

        # An export with its count in the detail and its 60 members named: 60, not 120.
        audit_access(
            actor=self.staff,
            action="reports.attachment3_exported",
            detail={"members": 60},
            members=range(1, 61),
        )
        # A job whose detail has no count (the zip of every unit) counts the members it names.
        audit_access(
            actor=self.agent,
            action="reports.forms_xlsx_zip_built",
            detail={"units": 3},
            members=range(1, 71),
        )
        heavy = {row["who"]: row["count"] for row in unusual_access_digest().heavy}
        self.assertEqual(heavy, {"staff": 60, "agent": 70})
