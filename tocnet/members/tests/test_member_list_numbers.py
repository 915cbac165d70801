"""Counts people read carry thousands separators (10,463 คน, not 10463 คน)."""

from django.urls import reverse

from tocnet.members.models import Member
from tocnet.testing import BaseTestCase


class MemberListNumbersTestCase(BaseTestCase):
    def test_it_separates_thousands_in_the_member_count(self) -> None:
        Member.objects.bulk_create(
            Member(
                number=str(500000 + i),
                unit=self.unit_b,
                first_name=f"ทดสอบ{i}",
                last_name="นับ",
                title="นาย",
            )
            for i in range(1200)
        )
        self.login_as(self.staff)
        response = self.client.get(reverse("members:member_list"))
        total = Member.objects.filter(status=Member.Status.ACTIVE).count()
        self.assertContains(response, f'data-total="{total}"')
        self.assertContains(response, f"{total:,} คน")


class MemberListFiltersTestCase(BaseTestCase):
    def test_it_filters_by_unit_and_numbers_the_pages(self) -> None:
        Member.objects.bulk_create(
            Member(
                number=str(600000 + i),
                unit=self.unit_b,
                first_name=f"หน้า{i}",
                last_name="ทดสอบ",
                title="นาง",
            )
            for i in range(260)
        )
        self.login_as(self.staff)
        url = reverse("members:member_list")
        body = self.client.get(url).content.decode()
        self.assertIn('data-filter="unit"', body)
        self.assertIn(f'<option value="{self.unit_b.code}"', body)
        self.assertIn('data-page="2"', body)
        self.assertIn('data-page="6"', body)  # the last page, not only "next"
        only_a = self.client.get(url, {"unit": str(self.unit_a.code)}).content.decode()
        self.assertIn('data-total="3"', only_a)
        self.assertNotIn('data-page="2"', only_a)
        page_3 = self.client.get(url, {"unit": str(self.unit_b.code), "page": "3"})
        self.assertContains(page_3, 'aria-current="page" data-page="3"')
        self.assertIn(
            f"unit={self.unit_b.code}&amp;status=active&amp;page=4", page_3.content.decode()
        )

    def test_an_agent_with_one_unit_gets_no_unit_filter(self) -> None:
        self.login_as(self.agent)
        body = self.client.get(reverse("members:member_list")).content.decode()
        self.assertNotIn('data-filter="unit"', body)
