import re

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tocnet.accounts.models import User
from tocnet.members.models import Member, Phone
from tocnet.messaging.responses.models import Ask, Response, Way
from tocnet.messaging.responses.selectors import announcement_report
from tocnet.messaging.responses.services import response_record
from tocnet.messaging.tests.response_builders import sent_announcement
from tocnet.registers.models import Register, RegisterMembership
from tocnet.testing import BaseTestCase


class ChaseListTestCase(BaseTestCase):
    def setUp(self) -> None:
        self.announcement = sent_announcement(
            [self.rep_member, self.in_register, self.a_not_in_register]
        )
        self.url = reverse("responses:chase_list")

    def mark_url(self, member: Member) -> str:
        return reverse("responses:chase_mark", args=[self.announcement.code, member.code])

    def test_it_lists_the_members_who_have_not_answered(self) -> None:
        response_record(announcement=self.announcement, member=self.rep_member, way=Way.LIFF)
        self.login_as(self.rep_user)
        page = self.client.get(self.url)
        self.assertEqual(page.status_code, 200)
        self.assertContains(page, f'data-member="{self.in_register.number}"')
        self.assertNotContains(page, f'data-member="{self.rep_member.number}"')  # answered
        # Outside the representative's register (no register at all here):
        self.assertNotContains(page, f'data-member="{self.a_not_in_register.number}"')
        self.assertContains(page, 'href="tel:+66810000002"')
        self.assertContains(page, 'data-channel="line_group"')
        self.assertNotContains(page, "<script>")
        self.assertNotContains(page, "style=")

    def test_phones_show_in_the_thai_national_format_whatever_was_typed(self) -> None:
        self.in_register.phones.update(raw="+66 81 000 0002")
        self.login_as(self.rep_user)
        page = self.client.get(self.url)
        self.assertContains(page, "☎ 081-000-0002</a>")
        self.assertNotContains(page, "+66 81 000 0002")
        self.assertContains(page, 'href="tel:+66810000002"')

    def test_it_marks_informed_by_phone_with_htmx(self) -> None:
        self.login_as(self.rep_user)
        response = self.client.post(
            self.mark_url(self.in_register), {"way": "rep_phone"}, HTTP_HX_REQUEST="true"
        )
        self.assertContains(response, 'data-marked="rep_phone"')
        row = Response.objects.get()
        self.assertEqual(
            (row.way, row.recorded_by, row.source),
            (Way.REP_PHONE, self.rep_user, f"user:{self.rep_user.code}"),
        )
        self.assertIsNotNone(row.first_at)
        self.assertNotContains(
            self.client.get(self.url), f'data-member="{self.in_register.number}"'
        )

    def test_could_not_reach_needs_a_reason_and_stays_on_the_list(self) -> None:
        self.login_as(self.rep_user)
        bad = self.client.post(
            self.mark_url(self.in_register), {"way": "rep_unreachable"}, HTTP_HX_REQUEST="true"
        )
        self.assertEqual(bad.status_code, 400)
        self.assertFalse(Response.objects.exists())
        self.client.post(
            self.mark_url(self.in_register), {"way": "rep_unreachable", "note": "ปิดเครื่อง"}
        )
        self.assertEqual(Response.objects.get().first_at, None)
        page = self.client.get(self.url)
        self.assertContains(page, f'data-member="{self.in_register.number}"')
        self.assertContains(page, "ปิดเครื่อง")

    def test_the_representative_is_not_on_their_own_list(self) -> None:
        self.login_as(self.rep_user)
        page = self.client.get(self.url)
        self.assertContains(page, f'data-member="{self.in_register.number}"')
        self.assertNotContains(page, f'data-member="{self.rep_member.number}"')
        self.assertContains(page, "1 จาก 1")  # nor in the section's count
        # Nor can they mark themselves informed.
        response = self.client.post(self.mark_url(self.rep_member), {"way": "rep_phone"})
        self.assertEqual(response.status_code, 404)
        self.assertFalse(Response.objects.exists())
        # Their own answer counts as anyone's.
        response_record(announcement=self.announcement, member=self.rep_member, way=Way.LIFF)
        report = announcement_report(self.announcement)
        self.assertEqual((report.recipients, report.responded), (3, 1))

    def test_the_deputy_chases_the_representative(self) -> None:
        deputy_user = User.objects.create_user(
            username="deputy", password="x", role=User.Role.REPRESENTATIVE
        )
        deputy = Member.objects.create(
            number="100009", unit=self.unit_a, first_name="รอง", last_name="ผู้แทน", user=deputy_user
        )
        RegisterMembership.objects.create(
            register=self.register,
            member=deputy,
            since=self.in_register.register_memberships.get().since,
        )
        Register.objects.filter(pk=self.register.pk).update(deputy=deputy)
        announcement = sent_announcement([self.rep_member, self.in_register, deputy])
        self.login_as(deputy_user)
        page = self.client.get(f"{self.url}?a={announcement.code}")
        self.assertContains(page, f'data-member="{self.rep_member.number}"')
        self.assertContains(page, f'data-member="{self.in_register.number}"')
        self.assertNotContains(page, f'data-member="{deputy.number}"')
        self.client.post(
            reverse("responses:chase_mark", args=[announcement.code, self.rep_member.code]),
            {"way": "rep_phone"},
        )
        self.assertEqual(
            Response.objects.get(announcement=announcement, member=self.rep_member).way,
            Way.REP_PHONE,  # the deputy acts for the register: informed by the representative
        )
        self.login_as(self.rep_user)  # the representative, in turn, chases the deputy
        self.assertContains(
            self.client.get(f"{self.url}?a={announcement.code}"), f'data-member="{deputy.number}"'
        )

    def test_it_refuses_members_outside_the_register(self) -> None:
        self.login_as(self.rep_user)
        response = self.client.post(self.mark_url(self.a_not_in_register), {"way": "rep_phone"})
        self.assertEqual(response.status_code, 404)
        self.assertFalse(Response.objects.exists())

    def test_who_may_open_it(self) -> None:
        for name, user in self.personas().items():
            with self.subTest(persona=name):
                self.client.force_login(user)
                expected = 200 if name in ("staff", "agent", "rep") else 403
                self.assertEqual(self.client.get(self.url).status_code, expected)

    def test_a_closed_ask_leaves_the_list(self) -> None:
        Ask.objects.filter(announcement=self.announcement).update(stage=Ask.Stage.CLOSED)
        self.login_as(self.rep_user)
        self.assertContains(self.client.get(self.url), 'data-chase-empty="true"')

    def test_the_representative_page_includes_it(self) -> None:
        self.login_as(self.rep_user)
        page = self.client.get(reverse("reports:my_register"))
        self.assertContains(page, 'id="chase-slot"')
        self.assertContains(page, f'hx-get="{self.url}"')

    def test_queries_do_not_grow_with_the_register(self) -> None:
        self.login_as(self.rep_user)
        self.client.get(self.url)  # warm caches (session, content types)
        with CaptureQueriesContext(connection) as small:
            self.client.get(self.url)
        # Session, user, the counts, the rows, phones, reminders, the access log and the one
        # INSERT naming the members on the page (+ the menu's permissions).
        self.assertLessEqual(len(small.captured_queries), 10)
        now = self.in_register.register_memberships.get().since
        extra = []
        for i in range(30):
            m = Member.objects.create(
                number=f"3{i:05d}", unit=self.unit_a, first_name=f"ก{i}", last_name="ข"
            )
            Phone.objects.create(
                member=m, raw=f"08100{i:05d}", e164=f"+668100{i:05d}", kind=Phone.Kind.MOBILE
            )
            RegisterMembership.objects.create(register=self.register, member=m, since=now)
            extra.append(m)
        sent_announcement([*extra, self.in_register])
        with self.assertNumQueries(len(small.captured_queries)):
            page = self.client.get(self.url)
        self.assertContains(page, 'data-member="300029"')

    def test_a_long_list_comes_in_pages_of_fifty(self) -> None:
        now = self.in_register.register_memberships.get().since
        many = []
        for i in range(54):
            m = Member.objects.create(
                number=f"5{i:05d}", unit=self.unit_a, first_name=f"ข{i:02d}", last_name="ค"
            )
            RegisterMembership.objects.create(register=self.register, member=m, since=now)
            many.append(m)
        announcement = sent_announcement([*many, self.in_register])
        self.login_as(self.agent)  # the coop agent of the unit chases every register of it
        url = f"{self.url}?a={announcement.code}"
        with CaptureQueriesContext(connection) as first_page:
            first = self.client.get(url)
        self.assertEqual(first.content.decode().count('class="chase-row"'), 50)
        self.assertContains(first, 'data-page="1" data-pages="2"')
        self.assertContains(first, "55 จาก 55")  # the count covers every page
        self.assertContains(first, f'href="{url}&amp;page=2" data-page-link="next"')
        with self.assertNumQueries(len(first_page.captured_queries)):
            second = self.client.get(f"{url}&page=2")
        self.assertEqual(second.content.decode().count('class="chase-row"'), 5)
        self.assertContains(second, 'data-page-link="previous"')
        self.assertNotContains(second, 'data-page-link="next"')
        on_pages = [
            m
            for page in (first, second)
            for m in re.findall(r'data-member="(\d+)"', page.content.decode())
        ]
        self.assertEqual(sorted(on_pages), sorted(m.number for m in [*many, self.in_register]))
        # A page number out of range or not a number shows the nearest page.
        self.assertContains(self.client.get(f"{url}&page=9"), 'data-page="2"')
        self.assertContains(self.client.get(f"{url}&page=x"), 'data-page="1"')


class ChaseListFoldsTestCase(BaseTestCase):
    """On the representative's phone page the chase list is one fold per announcement, the
    first open, each saying how many members are still to chase before it is opened."""

    def test_each_announcement_is_a_fold_with_its_counts_and_the_first_is_open(self) -> None:
        first = sent_announcement([self.rep_member, self.in_register], title="ประชุมใหญ่")
        second = sent_announcement([self.rep_member, self.in_register], title="ปันผล")
        response_record(announcement=second, member=self.in_register, way=Way.LIFF)
        third = sent_announcement([self.in_register], title="เงินกู้")
        self.login_as(self.rep_user)
        # As /my/register/ loads it (htmx) and as the page of its own.
        for headers in ({"HTTP_HX_REQUEST": "true"}, {}):
            with self.subTest(htmx=bool(headers)):
                html = self.client.get(reverse("responses:chase_list"), **headers)
                folds = re.findall(
                    r'<details class="chase-section" data-chase-announcement="([^"]+)" '
                    r'data-rows="(\d+)"( open)?>\s*<summary>\s*<h2>([^<]+)</h2>\s*'
                    r'<span class="chase-count muted small" data-unanswered="(\d+)">',
                    html.content.decode(),
                )
                self.assertEqual(len(folds), 2)  # the answered one has nothing to chase
                shown = {
                    code: (rows, bool(is_open), title, n) for code, rows, is_open, title, n in folds
                }
                self.assertEqual(set(shown), {str(first.code), str(third.code)})
                self.assertEqual([bool(f[2]) for f in folds], [True, False])
                for rows, _open, title, unanswered in shown.values():
                    self.assertEqual((rows, unanswered), ("1", "1"), title)
                self.assertNotIn(str(second.code), html.content.decode())
