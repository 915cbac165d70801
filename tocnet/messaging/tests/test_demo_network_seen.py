"""The demo's LINE network: most linked members are seen in their register's verified group,
so the demo's dashboards show members in the LINE group (#16: not 0 everywhere)."""

from __future__ import annotations

import io

from django.core.management import call_command
from django.test import TestCase

from tocnet.accounts.models import User
from tocnet.line.models import GroupMemberSighting
from tocnet.members.demo import demo_cooperative_create
from tocnet.messaging.demo import demo_network_create
from tocnet.reports.selectors import coverage_for_user


class DemoNetworkSeenTestCase(TestCase):
    def test_linked_members_are_seen_in_their_registers_group(self) -> None:
        demo_cooperative_create(members=400, seed=7)
        call_command("plan_registers", apply=True, stdout=io.StringIO())
        result = demo_network_create(seed=7)
        self.assertGreater(result.seen_in_groups, 0)
        self.assertLessEqual(
            result.seen_in_groups, result.linked_members + result.linked_representatives
        )
        self.assertEqual(GroupMemberSighting.objects.count(), result.seen_in_groups)
        staff = User.objects.get(username="staff", role=User.Role.STAFF)
        # Each sighting is of a member on that group's register: all count as in the group.
        self.assertEqual(coverage_for_user(staff).total.in_group, result.seen_in_groups)
        self.assertEqual(demo_network_create(seed=7).seen_in_groups, 0)  # idempotent
