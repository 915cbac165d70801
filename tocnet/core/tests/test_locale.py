from django.test import TestCase
from django.urls import reverse


class LocaleTestCase(TestCase):
    def test_it_speaks_thai_even_to_english_browsers(self) -> None:
        response = self.client.get(reverse("accounts:login"), HTTP_ACCEPT_LANGUAGE="en-US,en")
        self.assertEqual(response["Content-Language"], "th")
        self.assertContains(response, 'lang="th"')
        self.assertContains(response, "เข้าสู่ระบบ")

    def test_it_switches_to_english_when_chosen(self) -> None:
        self.client.post(reverse("set_language"), {"language": "en", "next": "/"})
        response = self.client.get(reverse("accounts:login"))
        self.assertEqual(response["Content-Language"], "en")
        self.assertContains(response, "Sign in to TOC-Net")
