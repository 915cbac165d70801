"""The dashboard's figures are cached per scope: computed once for twenty staff, stale at once
after an audited change (in any process: the version lives in the database), and never shared
between scopes."""

from __future__ import annotations

import datetime as dt

import time_machine
from django.core.cache import cache
from django.db import connection, transaction
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from tocnet.core.audit import audit_record
from tocnet.core.versions import NETWORK, data_version
from tocnet.members.models import Member, UnitAgent
from tocnet.members.services import ContactChange, member_contact_update
from tocnet.reports.selectors import Coverage, coverage_for_user
from tocnet.reports.tests.builders import add_member, add_register
from tocnet.testing import BaseTestCase


def figures(coverage: Coverage) -> dict[str, object]:
    rows = {
        "units": coverage.units,
        "registers": coverage.registers,
        "provinces": coverage.provinces,
        "total": [coverage.total],
    }
    return {
        name: [(r.key, r.members, r.reachable, r.unreachable, r.registers) for r in group]
        for name, group in rows.items()
    }


@override_settings(DASHBOARD_CACHE_SECONDS=60)
class DashboardCacheTestCase(BaseTestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.silent = add_member(cls.unit_a, phone=False)
        cls.register_b = add_register(cls.unit_b, None, [cls.b_member], with_rep=False)

    def setUp(self) -> None:
        cache.clear()

    def count_queries(self, user: object) -> tuple[int, Coverage]:
        with CaptureQueriesContext(connection) as queries:
            coverage = coverage_for_user(user)  # type: ignore[arg-type]
        return len(queries.captured_queries), coverage

    def fresh(self, user: object) -> Coverage:
        with override_settings(DASHBOARD_CACHE_SECONDS=0):
            return coverage_for_user(user)  # type: ignore[arg-type]

    def test_it_computes_once_then_serves_the_scope_from_the_cache(self) -> None:
        first_queries, first = self.count_queries(self.staff)
        again_queries, again = self.count_queries(self.staff)
        # The version and the scope (units, registers) are read every time; the figures once.
        self.assertEqual(again_queries, 3)
        self.assertGreater(first_queries, again_queries + 3)
        self.assertEqual(figures(again), figures(first))
        self.assertEqual(figures(again), figures(self.fresh(self.staff)))

    def test_it_recomputes_after_an_audited_change_commits(self) -> None:
        before = coverage_for_user(self.staff)
        self.assertEqual(before.total.unreachable, 1)  # self.silent
        version = data_version(NETWORK)
        with self.captureOnCommitCallbacks(execute=True):
            member_contact_update(
                member=self.silent,
                actor=self.staff,
                change=ContactChange(
                    phones="0812223333", email="", line_id="", no_line=False, unreachable_reason=""
                ),
            )
        self.assertEqual(data_version(NETWORK), version + 1)
        after_queries, after = self.count_queries(self.staff)
        self.assertGreater(after_queries, 3)
        self.assertEqual(after.total.unreachable, 0)
        self.assertEqual(figures(after), figures(self.fresh(self.staff)))

    def test_it_bumps_once_per_committed_transaction_and_not_on_rollback(self) -> None:
        version = data_version(NETWORK)
        with self.captureOnCommitCallbacks(execute=True) as callbacks, transaction.atomic():
            for member in Member.objects.all():
                audit_record(actor=self.staff, action="test.change", target=member)
        self.assertEqual(len(callbacks), 1)
        self.assertEqual(data_version(NETWORK), version + 1)
        with self.captureOnCommitCallbacks(execute=True) as callbacks:
            try:
                with transaction.atomic():
                    audit_record(actor=self.staff, action="test.change", target=self.silent)
                    raise RuntimeError
            except RuntimeError:
                pass
        self.assertEqual(callbacks, [])
        self.assertEqual(data_version(NETWORK), version + 1)
        # Reads and other apps' changes leave the dashboard's figures alone.
        with self.captureOnCommitCallbacks(execute=True) as callbacks:
            audit_record(actor=self.staff, action="test.read", target=self.silent, kind="access")
            audit_record(actor=self.staff, action="test.other", target=self.staff)
        self.assertEqual(callbacks, [])
        self.assertEqual(data_version(NETWORK), version + 1)

    def test_it_never_serves_one_scope_the_figures_of_another(self) -> None:
        expected = {name: figures(self.fresh(user)) for name, user in self.personas().items()}
        # Staff (everything) first, so a cache shared across scopes would leak it to the rest.
        for name in ["staff", "agent", "rep", "board", "member", "outsider"]:
            user = self.personas()[name]
            for _ in range(2):  # computed, then cached
                with self.subTest(persona=name):
                    self.assertEqual(figures(coverage_for_user(user)), expected[name])
        agent = coverage_for_user(self.agent)
        self.assertEqual({r.unit_code for r in agent.units}, {str(self.unit_a.code)})
        board = coverage_for_user(self.board)
        self.assertEqual((board.units, board.registers), ([], []))
        rep = coverage_for_user(self.rep_user)
        self.assertEqual([r.key for r in rep.registers], [str(self.register.code)])
        # A scope that changes (an agent given a second unit) gets its own figures at once.
        UnitAgent.objects.create(unit=self.unit_b, user=self.agent)
        widened = coverage_for_user(self.agent)
        self.assertEqual(
            {r.unit_code for r in widened.units}, {str(self.unit_a.code), str(self.unit_b.code)}
        )

    def test_it_expires_changes_made_without_an_audit_event(self) -> None:
        start = dt.datetime(2026, 12, 4, 3, 0, tzinfo=dt.UTC)
        with time_machine.travel(start, tick=False) as clock:
            self.assertEqual(coverage_for_user(self.staff).total.unreachable, 1)
            Member.objects.filter(pk=self.silent.pk).update(email="a@example.com")
            self.assertEqual(coverage_for_user(self.staff).total.unreachable, 1)  # cached
            clock.shift(61)
            self.assertEqual(coverage_for_user(self.staff).total.unreachable, 0)


@override_settings(DASHBOARD_CACHE_SECONDS=60)
class DashboardPageCacheTestCase(BaseTestCase):
    """The page's content is cached as HTML under the same per-scope key."""

    def setUp(self) -> None:
        cache.clear()

    def page(self, user: object, **params: str) -> tuple[int, str]:
        self.login_as(user)
        with CaptureQueriesContext(connection) as queries:
            response = self.client.get("/dashboard/", params)
        self.assertEqual(response.status_code, 200)
        html = response.content.decode()
        # The dashboard's own content (the frame around it carries a fresh CSRF token).
        start = html.index('<div class="dash-head">')
        return len(queries.captured_queries), html[start : html.index("</main>", start)]

    def test_it_serves_the_same_page_from_the_cache_per_scope(self) -> None:
        first_queries, first = self.page(self.staff)
        again_queries, again = self.page(self.staff)
        self.assertEqual(again, first)
        self.assertLess(again_queries, first_queries - 3)
        unit_b = f'data-unit="{self.unit_b.code}"'
        self.assertIn(unit_b, first)
        # The agent and the board come after staff filled the cache: their own scopes only.
        _q, agent = self.page(self.agent)
        self.assertIn(f'data-unit="{self.unit_a.code}"', agent)
        self.assertNotIn(unit_b, agent)
        _q, board = self.page(self.board)
        self.assertNotIn("data-unit=", board)
        self.assertNotIn("data-register=", board)
        # Another view of the same scope is another entry.
        _q, by_members = self.page(self.staff, sort="-members")
        self.assertNotEqual(by_members, first)
        self.assertEqual(self.page(self.staff, sort="-members")[1], by_members)

    def test_it_shows_an_audited_change_at_once(self) -> None:
        _q, before = self.page(self.staff)
        self.assertIn('data-total="registers"><div class="num">1<', before)
        with self.captureOnCommitCallbacks(execute=True):
            register = add_register(self.unit_b, None, [self.b_member], with_rep=False)
            audit_record(actor=self.staff, action="register.created", target=register)
        _q, after = self.page(self.staff)
        self.assertIn('data-total="registers"><div class="num">2<', after)
