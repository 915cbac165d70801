from django.test import TestCase

from tocnet.accounts.models import Department, User


class DepartmentTestCase(TestCase):
    def test_it_seeds_the_six_departments_in_order(self) -> None:
        self.assertEqual(
            list(Department.objects.values_list("code", "name")),
            [
                ("credit", "สินเชื่อ"),
                ("deposits", "เงินฝาก"),
                ("welfare", "สวัสดิการ"),
                ("membership", "สมาชิกและหุ้น"),
                ("accounting", "บัญชี"),
                ("management", "บริหารจัดการ"),
            ],
        )

    def test_it_links_staff_to_departments_both_ways(self) -> None:
        user = User.objects.create_user("credit1", role=User.Role.STAFF)
        credit = Department.objects.get(code="credit")
        user.departments.add(credit)
        self.assertEqual(list(credit.users.all()), [user])
        self.assertEqual(str(credit), "สินเชื่อ")

    def test_it_shows_departments_in_the_admin(self) -> None:
        admin = User.objects.create_superuser("root", password="pw-long-enough-1")
        self.client.force_login(admin)
        response = self.client.get("/admin/accounts/department/")
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "สวัสดิการ")
        user = User.objects.create_user("staff2", role=User.Role.STAFF)
        response = self.client.get(f"/admin/accounts/user/{user.pk}/change/")
        self.assertContains(response, 'name="departments"')

    def test_the_admin_refuses_a_keyword_too_long_and_keeps_the_old_ones(self) -> None:
        admin = User.objects.create_superuser("root", password="pw-long-enough-1")
        self.client.force_login(admin)
        credit = Department.objects.get(code="credit")
        before = credit.keywords
        data = {"name": credit.name, "code": credit.code, "ordering": "10"}
        for language, expected in (("th", "คำสำคัญ"), ("en", "Keywords")):
            with self.settings(LANGUAGE_CODE=language):
                response = self.client.post(
                    f"/admin/accounts/department/{credit.pk}/change/",
                    {**data, "keywords": "สินเชื่อ\n" + "ก" * 61},
                    HTTP_ACCEPT_LANGUAGE=language,
                )
            self.assertEqual(response.status_code, 200)
            self.assertContains(response, f"{expected}: “{'ก' * 20}…”")
        credit.refresh_from_db()
        self.assertEqual(credit.keywords, before)
