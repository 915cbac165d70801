"""Counts inside translated sentences print with thousands separators (10,669, not 10669), in Thai
and in English, and the plural still follows the number."""

from types import SimpleNamespace
from unittest import mock

from django.conf import settings
from django.core.paginator import Paginator
from django.template.loader import render_to_string
from django.test import SimpleTestCase
from django.utils import translation

from tocnet.conversations.tests.base import ConversationTestCase
from tocnet.members.importing.reasons import ImportFileError
from tocnet.messaging.responses.models import Ask
from tocnet.messaging.tests.response_builders import sent_announcement

BIG = 10669


class PagedCountsTestCase(ConversationTestCase):
    """The feedback page's and the inbox's totals (the paginator's count stands in for 10,669
    rows: the sentence is what is under test, not the counting)."""

    def test_the_feedback_page_counts_answers_with_a_separator(self) -> None:
        announcement = sent_announcement([self.in_register], kind=Ask.Kind.FEEDBACK, question="?")
        self.login_as(self.staff)
        with mock.patch.object(Paginator, "count", BIG):
            page = self.client.get(f"/r/feedback/{announcement.code}/")
        self.assertEqual(page.status_code, 200)
        self.assertContains(page, "10,669 คำตอบ")
        self.assertNotContains(page, "10669 คำตอบ")
        # In English the plural still follows the number, although it prints as text.
        self.client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
        for count, sentence in ((1, ">1 answer<"), (BIG, ">10,669 answers<")):
            with self.subTest(count=count), mock.patch.object(Paginator, "count", count):
                page = self.client.get(f"/r/feedback/{announcement.code}/")
                self.assertContains(page, sentence)

    def test_the_inbox_total_has_a_separator(self) -> None:
        self.login_as(self.staff)
        with mock.patch.object(Paginator, "count", BIG):
            page = self.client.get("/conversations/?assigned=me")
        self.assertContains(page, f'data-total="{BIG}"')  # machines read the plain number
        self.assertContains(page, "10,669 การสนทนา")


class RenderedCountsTestCase(SimpleTestCase):
    def test_the_escalation_notices_print_the_count_with_a_separator(self) -> None:
        context = {"announcement": SimpleNamespace(title="ปันผล"), "count": BIG, "chase_url": "u"}
        for template in ("agent", "deputy", "representative"):
            for language in ("th", "en"):
                with self.subTest(template=template, language=language):
                    with translation.override(language):
                        text = render_to_string(f"messaging/notices/{template}.txt", context)
                    self.assertIn("10,669", text)
                    self.assertNotIn(str(BIG), text)

    def test_the_coverage_cell_title_counts_members_without_a_reason(self) -> None:
        row = SimpleNamespace(
            members=20000, registers=400, representatives=400, valid_names=400,
            groups_verified=400, in_group=9000, reachable_other=0, unaccounted=BIG,
            unreachable=BIG, unreachable_with_reason=0, group_share=0.45,
        )  # fmt: skip
        with translation.override("en"):
            html = render_to_string("reports/includes/coverage_cells.html", {"row": row})
        self.assertIn('title="10,669 without a recorded reason"', html)

    def test_the_chase_list_heading_counts_with_separators(self) -> None:
        announcement = SimpleNamespace(code="A1", title="ปันผล", send_started_at=None)
        section = SimpleNamespace(announcement=announcement, unanswered=BIG, total=12000, rows=[])
        context = {"sections": [section], "page": SimpleNamespace(pages=1)}
        with translation.override("en"):
            html = render_to_string("messaging/responses/chase_list.html#sections", context)
        self.assertIn("10,669 of 12,000 not answered yet", " ".join(html.split()))

    def test_import_file_errors_print_limits_with_separators(self) -> None:
        error = ImportFileError("too_many_rows", rows=100000, cells=2000000)
        for language in ("th", "en"):
            with self.subTest(language=language), translation.override(language):
                self.assertIn("100,000", error.message())
                self.assertIn("2,000,000", error.message())
