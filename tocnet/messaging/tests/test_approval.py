"""Two-person rule: the author never approves their own announcement; departments approve theirs."""

from __future__ import annotations

from tocnet.accounts.models import Department
from tocnet.core.models import AuditEvent
from tocnet.messaging import services
from tocnet.messaging.models import Announcement
from tocnet.messaging.tests.base import MessagingTestCase


class ApprovalTestCase(MessagingTestCase):
    def _submitted(self, **fields: object) -> Announcement:
        announcement = services.announcement_create(
            actor=self.staff, title="ปันผล", body="ข้อความ", **fields
        )
        return services.announcement_submit(announcement=announcement, actor=self.staff)

    def test_it_refuses_the_author_as_approver(self) -> None:
        announcement = self._submitted()
        with self.assertRaises(services.AnnouncementError):
            services.announcement_approve(announcement=announcement, actor=self.staff)
        announcement.refresh_from_db()
        self.assertEqual(announcement.state, Announcement.State.SUBMITTED)
        self.assertIsNone(announcement.approver)
        self.assertFalse(AuditEvent.objects.filter(action="announcement.approved").exists())

    def test_it_refuses_approvers_who_are_not_staff(self) -> None:
        announcement = self._submitted()
        for user in (self.agent, self.rep_user, self.board, self.outsider):
            with self.subTest(user=user.username), self.assertRaises(services.AnnouncementError):
                services.announcement_approve(announcement=announcement, actor=user)
        announcement.refresh_from_db()
        self.assertEqual(announcement.state, Announcement.State.SUBMITTED)

    def test_it_lets_a_second_staff_member_approve_and_audits_it(self) -> None:
        announcement = services.announcement_approve(
            announcement=self._submitted(), actor=self.staff2
        )
        self.assertEqual(announcement.state, Announcement.State.APPROVED)
        self.assertEqual(announcement.approver, self.staff2)
        event = AuditEvent.objects.get(action="announcement.approved")
        self.assertEqual(event.actor, self.staff2)

    def test_it_takes_approval_from_the_department_or_management(self) -> None:
        credit = Department.objects.get(code="credit")
        deposits = Department.objects.get(code="deposits")
        management = Department.objects.get(code="management")
        announcement = self._submitted(department=credit)
        self.staff2.departments.set([deposits])
        with self.assertRaises(services.AnnouncementError):
            services.announcement_approve(announcement=announcement, actor=self.staff2)
        self.staff2.departments.set([management])
        services.announcement_approve(announcement=announcement, actor=self.staff2)
        announcement.refresh_from_db()
        self.assertEqual(announcement.state, Announcement.State.APPROVED)

    def test_it_sends_a_changed_announcement_back_to_draft(self) -> None:
        announcement = self._submitted()
        services.announcement_update(announcement=announcement, actor=self.staff, title="ใหม่")
        announcement.refresh_from_db()
        self.assertEqual(announcement.state, Announcement.State.DRAFT)
        with self.assertRaises(services.AnnouncementError):
            services.announcement_approve(announcement=announcement, actor=self.staff2)

    def test_it_sends_back_with_a_note(self) -> None:
        announcement = services.announcement_reject(
            announcement=self._submitted(), actor=self.staff2, note="แก้วันที่"
        )
        self.assertEqual(announcement.state, Announcement.State.DRAFT)
        self.assertEqual(announcement.rejection_note, "แก้วันที่")

    def test_it_refuses_to_send_before_approval(self) -> None:
        announcement = self._submitted()
        with self.assertRaises(services.AnnouncementError):
            services.announcement_send(announcement=announcement, actor=self.staff)
