"""Issue #10 item 4: a partial (htmx) answer never shows more than its full page.

Walks every page without URL parameters, for every persona, with every partial the templates
define: the htmx answer must have the same status as the full page and may name no record
(by its code) that the full page, asked the same way, does not. The probe found the board
getting all registers' figures from /dashboard/?part=registers with HX-Request: true.
"""

import datetime as dt
import re
from pathlib import Path

from django.urls import get_resolver
from django.utils import timezone

from tocnet.conversations.models import Conversation
from tocnet.core.tests.test_url_guard import PUBLIC, _walk
from tocnet.members.models import Member, Representative
from tocnet.messaging.responses.models import Ask, PollOption, Way
from tocnet.messaging.responses.services import response_record
from tocnet.messaging.tests.response_builders import sent_announcement
from tocnet.registers.models import Register, RegisterMembership
from tocnet.testing import BaseTestCase

ROOT = Path(__file__).resolve().parents[3]
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
PARTIAL = re.compile(r"{%\s*partialdef\s+(\w+)")
# Signing out would end the walk; the zip of every unit's forms is a download.
SKIP_NAMES = {"accounts:logout", "reports:forms_zip"}


def _partials() -> set[str]:
    names: set[str] = set()
    for folder in (ROOT / "templates", ROOT / "tocnet"):
        for path in folder.rglob("*.html"):
            names.update(PARTIAL.findall(path.read_text(encoding="utf-8")))
    return names


class PartialScopeTestCase(BaseTestCase):
    def test_no_partial_shows_more_than_its_page(self) -> None:
        partials = sorted(_partials())
        self.assertIn("registers", partials)
        routes = [
            (name, "/" + route)
            for name, route in _walk(get_resolver().url_patterns)
            if "<" not in route and name not in PUBLIC and name not in SKIP_NAMES
        ]
        self.client.raise_request_exception = False
        personas = {k: v for k, v in self.personas().items() if k != "outsider"}
        for persona, user in personas.items():
            self.client.force_login(user)
            for name, url in routes:
                first = self.client.get(url)
                if not first.get("Content-Type", "").startswith("text/html"):
                    continue  # downloads have no partials
                for part in partials:
                    query = f"?part={part}&registers=1"
                    with self.subTest(persona=persona, page=name, part=part):
                        page = self.client.get(url + query)
                        fragment = self.client.get(url + query, headers={"HX-Request": "true"})
                        self.assertEqual(fragment.status_code, page.status_code)
                        if page.status_code != 200:
                            continue
                        shown = set(UUID.findall(page.content.decode(errors="replace")))
                        found = UUID.findall(fragment.content.decode(errors="replace"))
                        self.assertEqual(set(found) - shown, set())
            self.client.logout()


class TwoUnitsRecords(BaseTestCase):
    """Records of two units (members, registers, representatives, a poll with answers from
    both, an acknowledgement, conversations) for the partial walks below."""

    def setUp(self) -> None:
        # A second unit's register, representative and members: what a fragment would leak.
        b_rep = Member.objects.create(
            number="200002", unit=self.unit_b, first_name="บุญส่ง", last_name="นาคดี"
        )
        self.register_b = Register.objects.create(
            unit=self.unit_b,
            number=1,
            representative=Representative.objects.create(
                member=b_rep,
                unit=self.unit_b,
                term_start=dt.date(2018, 1, 1),
                term_end=dt.date(2021, 12, 31),
            ),
            line_group_name="สอ.พช.นว.1",
        )
        for m in (b_rep, self.b_member):
            RegisterMembership.objects.create(
                register=self.register_b, member=m, since=timezone.now()
            )
        members = [
            self.rep_member,
            self.in_register,
            self.b_member,
            b_rep,
            self.a_not_in_register,
        ]
        self.poll = sent_announcement(members, kind=Ask.Kind.POLL, options=("ใช่", "ไม่"))
        self.ack = sent_announcement(members, title="ประกาศรับทราบ")
        yes = PollOption.objects.filter(ask__announcement=self.poll).first()
        for member in (self.in_register, self.b_member, b_rep):  # both units' registers answer
            response_record(announcement=self.poll, member=member, way=Way.LIFF, option=yes)
        now = timezone.now()
        self.conversations = [
            Conversation.objects.create(
                member=member,
                line_user_id="U" + str(n) * 32,
                opened_at=now,
                last_message_at=now,
                rep_may_answer=True,
            )
            for n, member in enumerate((self.in_register, self.b_member), start=1)
        ]

    def markers(self, html: str) -> set[str]:
        """Records a page names: codes, members' names, registers' LINE group names."""
        found = set(UUID.findall(html))
        found |= {
            f"{first} {last}"
            for first, last in Member.objects.values_list("first_name", "last_name")
            if f"{first} {last}" in html
        }
        found |= {
            name
            for name in Register.objects.values_list("line_group_name", flat=True)
            if name and name in html
        }
        return found

    def codes(self) -> list[str]:
        records = [
            self.rep_member,
            self.in_register,
            self.b_member,
            self.unit_a,
            self.unit_b,
            self.register,
            self.register_b,
            self.representative,
            self.poll,
            self.ack,
            *self.conversations,
        ]
        return [str(r.code) for r in records]

    def pages(self) -> list[tuple[str, str]]:
        found: list[tuple[str, str]] = []
        for name, route in _walk(get_resolver().url_patterns):
            if name in PUBLIC or name in SKIP_NAMES:
                continue
            params = re.findall(r"<[^>]*>", route)
            if not params:
                found.append((name, "/" + route))
            elif len(params) == 1 and params[0].startswith("<uuid:"):
                found += [(name, "/" + route.replace(params[0], c)) for c in self.codes()]
        return found


class PartialScopeWithRecordsTestCase(TwoUnitsRecords):
    """The same rule on the pages that take a record's code (an announcement's report and its
    poll table, a conversation, a member, a unit, a register) and on the lists once they have
    rows (inbox, chase list, member list): records of two units and two registers exist, so a
    fragment that skipped its page's scope would name one (code, member's name, register's
    LINE group) the page does not. Every htmx
    variant a view answers is asked: ``part=`` each partial the templates define, none at
    all (lists answer their rows to any htmx request), ``wait=1`` (job pages)."""

    def test_no_fragment_names_a_record_its_page_does_not(self) -> None:
        variants = [f"part={p}" for p in sorted(_partials())] + ["", "wait=1"]
        # The chase list and call queue filter by announcement: ask for each one.
        extra = f"&a={self.poll.code}&registers=1"
        self.client.raise_request_exception = False
        personas = {k: v for k, v in self.personas().items() if k != "outsider"}
        fragments = 0
        for persona, user in personas.items():
            self.client.force_login(user)
            for name, url in self.pages():
                first = self.client.get(url)
                if first.status_code != 200:
                    continue
                if not first.get("Content-Type", "").startswith("text/html"):
                    continue
                for variant in variants:
                    query = f"?{variant}{extra}"
                    with self.subTest(persona=persona, page=name, url=url, query=variant):
                        page = self.client.get(url + query)
                        fragment = self.client.get(url + query, headers={"HX-Request": "true"})
                        if fragment.status_code in (204, 286):  # htmx: stop / redirect
                            continue
                        self.assertEqual(fragment.status_code, page.status_code)
                        if page.status_code != 200:
                            continue
                        fragments += 1
                        shown = self.markers(page.content.decode(errors="replace"))
                        found = self.markers(fragment.content.decode(errors="replace"))
                        self.assertEqual(found - shown, set())
            self.client.logout()
        self.assertGreater(fragments, 100)


class SendProgressScopeTestCase(TwoUnitsRecords):
    """An announcement's progress (polled by htmx while it sends, at its own address) shows
    an agent no more than the announcement's page does: the per-register table of their
    units only."""

    def test_the_polled_progress_names_nothing_its_page_does_not(self) -> None:
        from tocnet.messaging.models import Announcement

        Announcement.objects.filter(pk=self.ack.pk).update(state=Announcement.State.SENDING)
        for persona in ("staff", "agent"):
            self.client.force_login(self.personas()[persona])
            page = self.client.get(f"/announcements/{self.ack.code}/")
            polled = self.client.get(
                f"/announcements/{self.ack.code}/progress/", headers={"HX-Request": "true"}
            )
            with self.subTest(persona=persona):
                self.assertEqual((page.status_code, polled.status_code), (200, 200))
                shown = self.markers(page.content.decode())
                found = self.markers(polled.content.decode())
                self.assertEqual(found - shown, set())
                # The other unit's register shows to staff only.
                self.assertEqual("สอ.พช.นว.1" in found, persona == "staff")


class UnitPagesTestCase(BaseTestCase):
    def test_units_pages_are_for_staff_agents_and_board_only(self) -> None:
        # The probe: a representative saw another register's representative and the agents.
        expected = {"staff": 200, "agent": 200, "board": 200, "rep": 403, "member": 403}
        for persona, status in expected.items():
            user = self.personas()[persona]
            self.client.force_login(user)
            with self.subTest(persona=persona):
                self.assertEqual(self.client.get("/members/units/").status_code, status)
                detail = self.client.get(f"/members/units/{self.unit_a.code}/")
                # Their own unit answers as a unit out of scope does.
                self.assertEqual(detail.status_code, 404 if status == 403 else 200)
                if persona == "rep":
                    self.assertNotContains(detail, self.agent.username, status_code=404)

    def test_the_board_sees_totals_only_in_page_partial_and_export(self) -> None:
        from tocnet.reports.selectors import coverage_for_user

        coverage = coverage_for_user(self.board)
        # Province rows are aggregates the board may see (#16); units and registers are not.
        self.assertEqual((coverage.registers, coverage.units), ([], []))
        self.assertTrue(all(row.key == row.province for row in coverage.provinces))
        self.assertGreater(coverage.total.members, 0)
        self.client.force_login(self.board)
        fragment = self.client.get("/dashboard/?part=registers", headers={"HX-Request": "true"})
        self.assertEqual(fragment.status_code, 200)
        self.assertNotContains(fragment, str(self.register.code))
        self.assertNotContains(fragment, "สอ.พช.กพ.1")


class ImportOracleTestCase(BaseTestCase):
    def test_an_agent_gets_one_answer_for_unused_and_foreign_numbers(self) -> None:
        # The probe: another unit's number answered not_a_member_here, an unused one created.
        from tocnet.members.importing.services import import_job_validate
        from tocnet.members.tests.import_builders import MEMBER_HEADER, member_row, xlsx_bytes

        kp = "สำนักงานพัฒนาชุมชนจังหวัดกำแพงเพชร"
        rows = {
            "unused, own unit": member_row("399999", unit=kp),
            "foreign, own unit": member_row(self.b_member.number, unit=kp),
            "unused, no unit": member_row("399998", unit=""),
            "foreign, no unit": member_row(self.b_member.number, unit=""),
        }
        answers = {}
        for label, row in rows.items():
            data = xlsx_bytes({"สมาชิก": [MEMBER_HEADER, row]})
            job = import_job_validate(
                kind="members", data=data, file_name="m.xlsx", actor=self.agent
            )
            rejected = job.result["summary"]["rejected"]
            answers[label] = (
                [(r["reason"], r["row"]) for r in rejected],
                job.summary["created"],
                job.summary["updated"],
            )
        self.assertEqual(len(set(map(repr, answers.values()))), 1, answers)
        self.assertEqual(answers["unused, own unit"][0], [("not_a_member_here", 2)])
