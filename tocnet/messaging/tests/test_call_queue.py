from django.utils import timezone

from tocnet.core.models import AuditEvent
from tocnet.members.models import Member, Phone
from tocnet.messaging.responses.models import Ask, Chase, Response, Way
from tocnet.messaging.responses.selectors import staff_call_queue_for_user
from tocnet.messaging.responses.services import response_record
from tocnet.messaging.tests.response_builders import sent_announcement
from tocnet.testing import BaseTestCase

URL = "/r/calls/"


class CallQueueCase(BaseTestCase):
    def setUp(self) -> None:
        self.announcement = sent_announcement(
            [self.rep_member, self.in_register, self.a_not_in_register, self.b_member]
        )
        Ask.objects.filter(announcement=self.announcement).update(
            stage=Ask.Stage.STAFF, stage_at=timezone.now()
        )
        for member in (self.in_register, self.a_not_in_register, self.b_member):
            Chase.objects.create(
                announcement=self.announcement,
                member=member,
                stage=Chase.Stage.STAFF,
                created_at=timezone.now(),
            )

    def mark_url(self, member: Member) -> str:
        return f"{URL}{self.announcement.code}/{member.code}/"


class CallQueueTestCase(CallQueueCase):
    def test_it_lists_the_escalated_with_phone_register_and_representative(self) -> None:
        self.login_as(self.staff)
        page = self.client.get(URL)
        self.assertEqual(page.status_code, 200)
        self.assertContains(page, 'data-queue-count="3"')
        for member in (self.in_register, self.a_not_in_register, self.b_member):
            self.assertContains(page, f'data-member="{member.number}"')
        self.assertNotContains(page, f'data-member="{self.rep_member.number}"')
        # Thai national format shown, tap to call with the E.164 number.
        self.assertContains(page, 'href="tel:+66810000002"')
        self.assertContains(page, "☎ 081-000-0002")
        self.assertContains(page, self.announcement.title)
        self.assertContains(page, "สอ.พช.กพ.1")
        self.assertContains(page, self.rep_member.full_name)
        self.assertNotContains(page, "style=")
        event = AuditEvent.objects.get(action="responses.call_queue_viewed")
        self.assertEqual(event.kind, AuditEvent.Kind.ACCESS)
        self.assertEqual(event.changes["members"], 3)

    def test_it_is_in_the_menu_for_staff_only(self) -> None:
        for name, user in self.personas().items():
            with self.subTest(persona=name):
                self.login_as(user)
                home = self.client.get("/", follow=True)
                shown = 'data-nav="call-queue"' in home.content.decode()
                self.assertEqual(shown, name == "staff")

    def test_only_staff_open_it(self) -> None:
        for name, user in self.personas().items():
            with self.subTest(persona=name):
                self.login_as(user)
                self.assertEqual(self.client.get(URL).status_code, 200 if name == "staff" else 404)
                post = self.client.post(self.mark_url(self.b_member), {"way": "staff_call"})
                self.assertEqual(post.status_code, 302 if name == "staff" else 404)
        self.assertEqual(Response.objects.filter(member=self.b_member).count(), 1)

    def test_informed_by_phone_counts_and_leaves_the_queue(self) -> None:
        self.login_as(self.staff)
        page = self.client.post(
            self.mark_url(self.b_member), {"way": "staff_call"}, HTTP_HX_REQUEST="true"
        )
        self.assertContains(page, 'data-marked="staff_call"')
        response = Response.objects.get(member=self.b_member)
        self.assertEqual((response.way, response.recorded_by), (Way.STAFF_CALL, self.staff))
        self.assertIsNotNone(response.first_at)
        self.assertIsNotNone(Chase.objects.get(member=self.b_member).done_at)
        rows = staff_call_queue_for_user(self.staff)
        self.assertEqual(
            {r.member_id for r in rows}, {self.in_register.pk, self.a_not_in_register.pk}
        )

    def test_could_not_reach_needs_a_reason_and_is_recorded(self) -> None:
        self.login_as(self.staff)
        bad = self.client.post(
            self.mark_url(self.b_member), {"way": "staff_unreached"}, HTTP_HX_REQUEST="true"
        )
        self.assertEqual(bad.status_code, 400)
        self.assertFalse(Response.objects.filter(member=self.b_member).exists())
        self.client.post(self.mark_url(self.b_member), {"way": "staff_unreached", "note": "เบอร์ปิด"})
        response = Response.objects.get(member=self.b_member)
        self.assertEqual((response.way, response.note), (Way.STAFF_UNREACHABLE, "เบอร์ปิด"))
        self.assertIsNone(response.first_at)  # not counted as reached
        self.assertIsNotNone(Chase.objects.get(member=self.b_member).done_at)
        self.assertNotIn(
            self.b_member.pk, {r.member_id for r in staff_call_queue_for_user(self.staff)}
        )

    def test_a_representatives_earlier_mark_is_shown_and_can_be_replaced(self) -> None:
        response_record(
            announcement=self.announcement,
            member=self.in_register,
            way=Way.REP_UNREACHABLE,
            note="ไม่รับสาย",
            actor=self.rep_user,
        )
        self.login_as(self.staff)
        page = self.client.get(URL)
        self.assertContains(page, 'data-earlier-mark="rep_unreachable"')
        self.client.post(self.mark_url(self.in_register), {"way": "staff_call"})
        self.assertEqual(Response.objects.get(member=self.in_register).way, Way.STAFF_CALL)

    def test_a_member_who_answered_meanwhile_is_not_overwritten(self) -> None:
        response_record(announcement=self.announcement, member=self.b_member, way=Way.SMS_LINK)
        self.login_as(self.staff)
        self.assertNotContains(self.client.get(URL), f'data-member="{self.b_member.number}"')
        page = self.client.post(
            self.mark_url(self.b_member), {"way": "staff_call"}, HTTP_HX_REQUEST="true"
        )
        self.assertContains(page, 'data-problem="already_responded"')
        self.assertEqual(Response.objects.get(member=self.b_member).way, Way.SMS_LINK)

    def test_a_closed_announcement_leaves_the_queue(self) -> None:
        Ask.objects.filter(announcement=self.announcement).update(stage=Ask.Stage.CLOSED)
        self.assertEqual(staff_call_queue_for_user(self.staff), [])
        self.login_as(self.staff)
        post = self.client.post(self.mark_url(self.b_member), {"way": "staff_call"})
        self.assertEqual(post.status_code, 404)

    def test_queries_do_not_grow_with_the_queue(self) -> None:
        with self.assertNumQueries(2):
            staff_call_queue_for_user(self.staff)
        for i in range(5):
            m = Member.objects.create(number=f"30000{i}", unit=self.unit_b, first_name=f"ง{i}")
            Phone.objects.create(member=m, raw="0810000000", e164="+66810000000")
            extra = sent_announcement([m], title=f"ประกาศ {i}")
            Ask.objects.filter(announcement=extra).update(stage=Ask.Stage.STAFF)
            Chase.objects.create(
                announcement=extra, member=m, stage=Chase.Stage.STAFF, created_at=timezone.now()
            )
        with self.assertNumQueries(2):
            rows = staff_call_queue_for_user(self.staff)
            for row in rows:
                list(row.member.phones.all())
                _ = row.register.representative if row.register else None
        self.assertEqual(len(rows), 8)


class CallQueueUnitsTestCase(CallQueueCase):
    def test_it_filters_by_unit(self) -> None:
        self.login_as(self.staff)
        page = self.client.get(URL)
        self.assertContains(page, f'data-unit-link="{self.unit_b.code}"')
        only_b = self.client.get(f"{URL}?unit={self.unit_b.code}")
        self.assertContains(only_b, 'data-queue-count="1"')
        self.assertContains(only_b, f'data-member="{self.b_member.number}"')
        bad = self.client.get(f"{URL}?unit=not-a-code")
        self.assertContains(bad, 'data-queue-count="3"')
