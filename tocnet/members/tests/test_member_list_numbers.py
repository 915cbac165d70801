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
