"""Test support: BaseTestCase with the personas every permission test loops over, the sample
files, and (in ``fakes/``) local fake servers.

Kept apart from the apps (as healthchecks keeps ``hc/test.py``): test support builds members,
registers and LINE groups, so it may import any app; no app imports it outside its tests.
"""

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.test import TestCase
from django.utils import timezone

if TYPE_CHECKING:
    from tocnet.accounts.models import User
    from tocnet.members.models import Member, Representative, Unit
    from tocnet.registers.models import Register

PASSWORD = "correct horse battery staple"  # noqa: S105
# The cooperative's sample files (a messy member list, representatives, and truth.json: what a
# correct import finds), copied from the project's shared/samples so the tests stand alone.
SAMPLES = Path(__file__).resolve().parents[1] / "members/tests/fixtures/samples"


class BaseTestCase(TestCase):
    """Two units (กพ with an agent and a register, นว without), and one user per role.

    - staff: cooperative staff, sees everything
    - agent: coop agent of กพ only
    - rep: representative leading register สอ.พช.กพ.1 (members in_register + rep_member)
    - board: read-only aggregates
    - member: a member with a linked LINE account and a login of role member
    - outsider: signed in, no role that grants anything
    """

    unit_a: "Unit"
    unit_b: "Unit"
    staff: "User"
    agent: "User"
    rep_user: "User"
    board: "User"
    member_user: "User"
    outsider: "User"
    rep_member: "Member"
    in_register: "Member"
    a_not_in_register: "Member"
    b_member: "Member"
    representative: "Representative"
    register: "Register"

    @classmethod
    def setUpTestData(cls) -> None:
        from tocnet.accounts.models import User
        from tocnet.members.models import Member, Phone, Representative, Unit, UnitAgent
        from tocnet.registers.models import Register, RegisterMembership

        cls.unit_a = Unit.objects.get(abbreviation="กพ")
        cls.unit_b = Unit.objects.get(abbreviation="นว")

        def user(username: str, role: str, **extra: Any) -> User:
            return User.objects.create_user(
                username=username, password=PASSWORD, role=role, **extra
            )

        cls.staff = user("staff", User.Role.STAFF, is_staff=True)
        cls.agent = user("agent", User.Role.AGENT)
        cls.rep_user = user("rep", User.Role.REPRESENTATIVE)
        cls.board = user("board", User.Role.BOARD)
        cls.member_user = user("member", User.Role.MEMBER)
        cls.outsider = user("outsider", User.Role.MEMBER)
        UnitAgent.objects.create(unit=cls.unit_a, user=cls.agent)

        def member(number: str, unit: Unit, first: str, last: str, **extra: Any) -> Member:
            m = Member.objects.create(
                number=number, unit=unit, first_name=first, last_name=last, title="นาย", **extra
            )
            Phone.objects.create(
                member=m,
                raw=f"081-000-{number[-4:]}",
                e164=f"+6681000{number[-4:]}",
                kind=Phone.Kind.MOBILE,
            )
            return m

        cls.rep_member = member("100001", cls.unit_a, "สมชาย", "ใจดี", user=cls.rep_user)
        cls.in_register = member(
            "100002",
            cls.unit_a,
            "สมศักดิ์",
            "ศรีสุข",
            user=cls.member_user,
            line_user_id="U" + "1" * 32,
        )
        cls.a_not_in_register = member("100003", cls.unit_a, "ประเสริฐ", "ทองคำ")
        cls.b_member = member("200001", cls.unit_b, "วิชัย", "บุญมา")
        cls.representative = Representative.objects.create(
            member=cls.rep_member,
            unit=cls.unit_a,
            term_start=dt.date(2018, 1, 1),
            term_end=dt.date(2021, 12, 31),
        )
        cls.register = Register.objects.create(
            unit=cls.unit_a,
            number=1,
            representative=cls.representative,
            line_group_name="สอ.พช.กพ.1",
        )
        now = timezone.now()
        for m in (cls.rep_member, cls.in_register):
            RegisterMembership.objects.create(register=cls.register, member=m, since=now)

    def login_as(self, user: "User") -> None:
        self.client.force_login(user)

    def personas(self) -> dict[str, "User"]:
        return {
            "staff": self.staff,
            "agent": self.agent,
            "rep": self.rep_user,
            "board": self.board,
            "member": self.member_user,
            "outsider": self.outsider,
        }
