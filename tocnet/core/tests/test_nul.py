"""Issue #10 item 3: a NUL character never reaches the database (PostgreSQL answers 500)."""

from django.db import connection
from django.test import RequestFactory
from django.urls import get_resolver

from tocnet.core.bulk import insert_rows
from tocnet.core.nul import NulStripMiddleware, deep_clean, text_clean
from tocnet.core.tests.test_url_guard import PUBLIC, _walk
from tocnet.members.models import Member
from tocnet.testing import BaseTestCase


class NulTestCase(BaseTestCase):
    def test_every_page_answers_a_nul_in_its_query_string(self) -> None:
        # The probe: /members/?q=%00 answered 500 on PostgreSQL.
        self.client.raise_request_exception = False
        self.login_as(self.staff)
        checked = 0
        for name, route in _walk(get_resolver().url_patterns):
            if "<" in route or name in PUBLIC:
                continue
            url = "/" + route + "?q=%00&search=a%00b&unit=%00&page=%00"
            with self.subTest(name=name):
                response = self.client.get(url)
                self.assertLess(response.status_code, 500, url)
                checked += 1
        self.assertGreater(checked, 10)

    def test_the_request_reaches_views_without_nul(self) -> None:
        seen = {}

        def view(request: object) -> object:
            seen["get"] = request.GET.get("q")  # type: ignore[attr-defined]
            seen["post"] = request.POST.get("name")  # type: ignore[attr-defined]
            return None

        request = RequestFactory().post("/x/?q=a%00b", {"name": "สม\x00ชาย"})
        NulStripMiddleware(view)(request)  # type: ignore[arg-type]
        self.assertEqual(seen, {"get": "ab", "post": "สมชาย"})

    def test_the_database_never_receives_nul_whatever_the_path(self) -> None:
        # Writes that come from no request (webhooks, imports, jobs) are cleaned at the
        # connection: SQLite would store the NUL, PostgreSQL would refuse the statement.
        member = Member.objects.create(
            number="990001", unit=self.unit_a, first_name="ก\x00ข", last_name="ค"
        )
        member.refresh_from_db()
        self.assertEqual(member.first_name, "กข")
        self.assertEqual(Member.objects.filter(first_name="ก\x00ข").count(), 1)
        with connection.cursor() as cursor:
            cursor.execute("SELECT %s", ["a\x00b"])
            self.assertEqual(cursor.fetchone()[0], "ab")

    def test_many_rows_at_once_are_cleaned_too(self) -> None:
        # executemany (core.bulk.insert_rows, the import): clean rows pass untouched, a NUL
        # or a lone surrogate anywhere in a row is cleaned like a single statement's.
        rows = [
            {"number": "990002", "unit_id": self.unit_a.pk, "first_name": "สมชาย"},
            {"number": "990003", "unit_id": self.unit_a.pk, "first_name": "ก\x00ข"},
            {"number": "990004", "unit_id": self.unit_a.pk, "last_name": "ค\ud800ง"},
        ]
        insert_rows(Member, rows)
        names = dict(
            Member.objects.filter(number__in=["990002", "990003", "990004"]).values_list(
                "number", "first_name"
            )
        )
        self.assertEqual(names, {"990002": "สมชาย", "990003": "กข", "990004": ""})
        self.assertEqual(Member.objects.get(number="990004").last_name, "ค?ง")

    def test_cleaning_removes_nul_and_lone_surrogates(self) -> None:
        self.assertEqual(text_clean("a\x00b\ud800c"), "ab?c")
        self.assertEqual(deep_clean({"k\x00": ["\x00", ("x\x00",)]}), {"k": ["", ("x",)]})
