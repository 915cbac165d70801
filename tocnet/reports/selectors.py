"""Reads for the coverage dashboard, the submission overview and the representative's page.

Scope is decided in one place: units by ``members.selectors.unit_list_for_user``, registers by
``registers.selectors.register_list_for_user``.  Staff see every unit; coop agents their units;
representatives the registers they lead; board members the cooperative totals only.  Every figure comes from a constant number of grouped queries,
whatever the number of members, registers or units.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, Exists, F, FilteredRelation, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone

from tocnet.accounts.models import User
from tocnet.accounts.roles import DashboardLevel, dashboard_level
from tocnet.core.thai import thai_sort_key
from tocnet.core.versions import NETWORK, data_version
from tocnet.line.models import GroupMemberSighting, LineGroup
from tocnet.line.selectors import register_line_stats
from tocnet.members.models import Member, Phone, Unit
from tocnet.members.selectors import unit_list_for_user
from tocnet.registers.models import Register
from tocnet.registers.naming import RegisterName, normalise_abbreviation, parse_register_name
from tocnet.registers.selectors import register_list_for_user, term_state, unit_terms_list
from tocnet.reports.models import DEFAULT_DEADLINE, Campaign, UnitSubmission

NO_PROVINCE = "—"


# --- scope --------------------------------------------------------------------------------


def current_campaign() -> Campaign | None:
    """The current TOC-Net campaign, if one is set up."""
    return Campaign.objects.filter(is_current=True).first()


# --- submission state ---------------------------------------------------------------------


@dataclass(frozen=True)
class SubmissionState:
    status: str  # UnitSubmission.Status value
    late: bool
    submitted_by: str = ""
    submitted_role: str = ""
    submitted_at: dt.datetime | None = None

    @property
    def key(self) -> str:
        """not_started, in_progress, submitted or late (late wins over the others)."""
        return "late" if self.late else self.status

    @property
    def submitted_role_label(self) -> str:
        if not self.submitted_role:
            return ""
        return str(UnitSubmission.SubmitterRole(self.submitted_role).label)


def submission_state(
    submission: UnitSubmission | None, deadline: dt.date, today: dt.date
) -> SubmissionState:
    """Status of one unit: late when submitted after the deadline or not submitted by it."""
    if submission is None:
        return SubmissionState(status=UnitSubmission.Status.NOT_STARTED, late=today > deadline)
    submitted = submission.status == UnitSubmission.Status.SUBMITTED
    if submitted and submission.submitted_at is not None:
        late = timezone.localdate(submission.submitted_at) > deadline
    else:
        late = not submitted and today > deadline
    return SubmissionState(
        status=submission.status,
        late=late,
        submitted_by=str(submission.submitted_by) if submission.submitted_by_id else "",
        submitted_role=submission.submitted_role,
        submitted_at=submission.submitted_at,
    )


# --- coverage -----------------------------------------------------------------------------


@dataclass
class CoverageRow:
    """Counts for a register, a unit, a province or the whole cooperative."""

    key: str
    label: str
    province: str = ""
    unit_code: str = ""
    members: int = 0
    registers: int = 0
    representatives: int = 0
    valid_names: int = 0
    groups_verified: int = 0
    in_group: int = 0
    reachable_other: int = 0
    unreachable: int = 0
    unreachable_with_reason: int = 0
    not_in_register: int = 0
    submission: SubmissionState | None = None
    units: int = 0
    submitted_units: int = 0
    # Representatives' terms (issue #14): registers whose representative left, terms ending
    # within 90 days or ended (a unit's current representatives, a register's own), and the
    # units with an ended term, which are due for the next election.
    vacant: int = 0
    terms_ending: int = 0
    terms_ended: int = 0
    units_due: int = 0

    @property
    def reachable(self) -> int:
        return self.in_group + self.reachable_other

    @property
    def group_share(self) -> float | None:
        return self.in_group / self.members if self.members else None

    @property
    def reach_share(self) -> float | None:
        return self.reachable / self.members if self.members else None

    @property
    def unaccounted(self) -> int:
        """Members with no way to reach them and no recorded reason."""
        return self.unreachable - self.unreachable_with_reason

    @property
    def complete(self) -> bool:
        """The issue's completeness rule (see :func:`unit_completeness_problems`)."""
        return not unit_completeness_problems(self)

    def add(self, other: CoverageRow) -> None:
        for name in (
            "members",
            "registers",
            "representatives",
            "valid_names",
            "groups_verified",
            "in_group",
            "reachable_other",
            "unreachable",
            "unreachable_with_reason",
            "not_in_register",
            "units",
            "submitted_units",
            "vacant",
            "terms_ending",
            "terms_ended",
            "units_due",
        ):
            setattr(self, name, getattr(self, name) + getattr(other, name))


def unit_completeness_problems(row: CoverageRow) -> list[str]:
    """Codes of what stops a unit's submission being complete; [] when complete.

    Complete (the issue's rule): the unit has registers, every register has a representative
    and a valid group name, and every active member can be reached at least one way or is
    marked unreachable with a reason. Members not on any register are a warning
    (:func:`unit_completeness_warnings`), not a blocker.
    """
    problems = []
    if row.registers == 0:
        problems.append("no_registers")
    if row.representatives < row.registers:
        problems.append("registers_without_representative")
    if row.valid_names < row.registers:
        problems.append("invalid_group_names")
    if row.unaccounted:
        problems.append("members_unreachable_without_reason")
    return problems


def unit_completeness_warnings(row: CoverageRow) -> list[str]:
    """Codes of what is worth fixing but does not stop a submission."""
    return ["members_not_in_register"] if row.not_in_register else []


@dataclass
class Coverage:
    level: str
    registers: list[CoverageRow] = field(default_factory=list)
    units: list[CoverageRow] = field(default_factory=list)
    provinces: list[CoverageRow] = field(default_factory=list)
    total: CoverageRow = field(default_factory=lambda: CoverageRow(key="total", label=""))
    campaign: Campaign | None = None
    deadline: dt.date = DEFAULT_DEADLINE
    today: dt.date = field(default_factory=timezone.localdate)
    status_counts: dict[str, int] = field(default_factory=dict)

    @property
    def days_left(self) -> int:
        return (self.deadline - self.today).days

    @property
    def days_overdue(self) -> int:
        return max(0, -self.days_left)


def register_name_is_valid(register: Register, known_abbreviations: Iterable[str]) -> bool:
    """True when the register's LINE group name parses to this very register."""
    if not register.line_group_name:
        return False
    parsed = parse_register_name(register.line_group_name, known_abbreviations)
    return (
        isinstance(parsed, RegisterName)
        and parsed.abbreviation == normalise_abbreviation(register.unit.abbreviation)
        and parsed.number == register.number
    )


def with_reach(members: QuerySet[Member]) -> QuerySet[Any]:  # annotated rows
    """Members annotated with ``on_register`` (open register id or None), ``has_phone`` and
    ``seen_in_group``.

    "Seen in the group" follows tocnet.line.selectors.register_line_stats: the member's linked
    LINE user was seen in their register's verified group. One join and two EXISTS per member.
    """
    seen = GroupMemberSighting.objects.filter(
        in_group=True,
        group__status=LineGroup.Status.VERIFIED,
        group__group_id=OuterRef("open_membership__register__line_group_id"),
        line_user_id=OuterRef("line_user_id"),
    )
    return members.annotate(
        open_membership=FilteredRelation(
            "register_memberships", condition=Q(register_memberships__until__isnull=True)
        )
    ).annotate(
        on_register=F("open_membership__register_id"),
        has_phone=Exists(Phone.objects.filter(member=OuterRef("pk"), valid=True)),
        seen_in_group=Exists(seen),
    )


def _reach_counts() -> dict[str, Count]:
    other_way = (
        Q(has_phone=True) | (Q(email_valid=True) & ~Q(email="")) | Q(line_user_id__isnull=False)
    )
    return {
        "members": Count("pk"),
        "in_group": Count("pk", filter=Q(seen_in_group=True)),
        "reachable_other": Count("pk", filter=Q(seen_in_group=False) & other_way),
        "unreachable": Count("pk", filter=Q(seen_in_group=False) & ~other_way),
        "unreachable_with_reason": Count(
            "pk", filter=Q(seen_in_group=False) & ~other_way & ~Q(unreachable_reason="")
        ),
    }


def coverage_cache_key(user: User, *, today: dt.date | None = None) -> str:
    """The cache key of the user's coverage: one per scope, that is the exact units and
    registers the user may see (asked afresh on every call, two primary-key queries), the
    dashboard level, the day and the data version (read first: a copy is never keyed newer
    than its data)."""
    version = data_version(NETWORK)
    level = dashboard_level(user)
    today = today or timezone.localdate()
    units = unit_list_for_user(user).order_by("pk").values_list("pk", flat=True)
    registers = register_list_for_user(user).order_by("pk").values_list("pk", flat=True)
    scope = ",".join(map(str, units)) + "|" + ",".join(map(str, registers))
    digest = hashlib.sha256(scope.encode()).hexdigest()[:32]
    return f"reports:coverage:{version}:{level}:{today.isoformat()}:{digest}"


def coverage_for_user(
    user: User, *, today: dt.date | None = None, key: str | None = None
) -> Coverage:
    """Coverage per register, unit and province plus totals, in the user's scope.

    Eight queries whatever the size of the cooperative; cached per scope
    (:func:`coverage_cache_key`, or ``key`` when the caller already has it) for
    DASHBOARD_CACHE_SECONDS, and stale at once after an audited change of the network
    (tocnet.core.versions), so twenty staff on the dashboard compute it once.
    """
    level = dashboard_level(user)
    if level == "none":
        return _empty_coverage(level, today)
    today = today or timezone.localdate()
    seconds = settings.DASHBOARD_CACHE_SECONDS
    if seconds > 0:
        key = key or coverage_cache_key(user, today=today)
        cached = cache.get(key)
        if isinstance(cached, Coverage):
            return cached
    coverage = coverage_for(
        list(unit_list_for_user(user).order_by("name")),
        list(register_list_for_user(user)),
        level=level,
        today=today,
    )
    if level == DashboardLevel.TOTALS:
        # The board sees totals: per province at most. Unit and register rows are dropped here,
        # once, so that no page, htmx partial or export built from this coverage can show them.
        coverage.registers, coverage.units = [], []
    if seconds > 0 and key:
        cache.set(key, coverage, seconds)
    return coverage


def unit_coverage(unit: Unit, *, today: dt.date | None = None) -> CoverageRow:
    """The whole unit's figures (whoever asks): used for the completeness check on submit."""
    registers = Register.objects.filter(unit=unit, retired_at__isnull=True).select_related(
        "unit", "representative__member"
    )
    return coverage_for([unit], list(registers), level="all", today=today).units[0]


def _empty_coverage(level: str, today: dt.date | None) -> Coverage:
    campaign = current_campaign()
    return Coverage(
        level=level,
        campaign=campaign,
        deadline=campaign.deadline if campaign else DEFAULT_DEADLINE,
        today=today or timezone.localdate(),
    )


def coverage_for(
    units: list[Unit], registers: list[Register], *, level: str, today: dt.date | None = None
) -> Coverage:
    """Coverage of the given units and registers (with "register" level: their members only)."""
    coverage = _empty_coverage(level, today)
    campaign = coverage.campaign
    coverage.total.label = "total"
    known = [u.abbreviation for u in units]
    line_stats = register_line_stats(registers)

    members = with_reach(
        Member.objects.filter(status=Member.Status.ACTIVE, unit__in=[u.pk for u in units])
    )
    if level == "register":
        members = members.filter(on_register__in=[r.pk for r in registers])
    grouped = members.values("unit_id", "on_register").annotate(**_reach_counts()).order_by()
    submissions = {}
    if campaign is not None:
        submissions = {
            s.unit_id: s
            for s in UnitSubmission.objects.filter(
                campaign=campaign, unit__in=[u.pk for u in units]
            ).select_related("submitted_by")
        }

    register_rows: dict[int, CoverageRow] = {}
    for register in registers:
        stats = line_stats.get(register.pk)
        rep = register.representative
        has_rep = rep is not None and rep.ended_on is None
        term = term_state(rep.term_end, coverage.today) if rep is not None and has_rep else ""
        register_rows[register.pk] = CoverageRow(
            key=str(register.code),
            label=register.line_group_name or str(register),
            province=register.unit.province or NO_PROVINCE,
            unit_code=str(register.unit.code),
            registers=1,
            representatives=1 if has_rep else 0,
            valid_names=1 if register_name_is_valid(register, known) else 0,
            groups_verified=1 if stats and stats.verified else 0,
            vacant=0 if has_rep else 1,
            terms_ending=int(term == "ending"),
            terms_ended=int(term == "ended"),
        )
    unit_rows: dict[int, CoverageRow] = {
        u.pk: CoverageRow(
            key=str(u.code),
            label=u.name,
            province=u.province or NO_PROVINCE,
            unit_code=str(u.code),
            units=1,
        )
        for u in units
    }
    for row in grouped:
        counts = CoverageRow(key="", label="")
        for name in ("members", "in_group", "reachable_other", "unreachable"):
            setattr(counts, name, row[name])
        counts.unreachable_with_reason = row["unreachable_with_reason"]
        target = register_rows.get(row["on_register"]) if row["on_register"] else None
        if target is not None:
            target.add(counts)
        elif row["on_register"] is None:
            counts.not_in_register = row["members"]
        unit_row = unit_rows.get(row["unit_id"])
        if unit_row is not None:
            unit_row.add(counts)
    for register in registers:
        unit_row = unit_rows.get(register.unit_id)
        reg_row = register_rows[register.pk]
        if unit_row is not None:
            for name in (
                "registers",
                "representatives",
                "valid_names",
                "groups_verified",
                "vacant",
            ):
                setattr(unit_row, name, getattr(unit_row, name) + getattr(reg_row, name))
    # Terms of every current representative of the units, with a register or not (one query).
    for terms in unit_terms_list(units, today=coverage.today):
        unit_row = unit_rows[terms.unit.pk]
        unit_row.terms_ending, unit_row.terms_ended = len(terms.ending), len(terms.ended)
        unit_row.units_due = int(terms.due_for_election)

    status_counts = dict.fromkeys(["not_started", "in_progress", "submitted", "late"], 0)
    for unit in units:
        state = submission_state(submissions.get(unit.pk), coverage.deadline, coverage.today)
        unit_rows[unit.pk].submission = state
        unit_rows[unit.pk].submitted_units = int(state.status == UnitSubmission.Status.SUBMITTED)
        status_counts[state.key] += 1
    coverage.status_counts = status_counts

    provinces: dict[str, CoverageRow] = {}
    for unit_row in unit_rows.values():
        province = provinces.setdefault(
            unit_row.province,
            CoverageRow(key=unit_row.province, label=unit_row.province, province=unit_row.province),
        )
        province.add(unit_row)
        coverage.total.add(unit_row)

    coverage.registers = sorted(register_rows.values(), key=lambda r: thai_sort_key(r.label))
    coverage.units = sorted(unit_rows.values(), key=lambda r: thai_sort_key(r.label))
    coverage.provinces = sorted(provinces.values(), key=lambda r: thai_sort_key(r.label))
    return coverage


SORT_KEYS = {
    "name": lambda r: thai_sort_key(r.label),
    "province": lambda r: (thai_sort_key(r.province), thai_sort_key(r.label)),
    "members": lambda r: r.members,
    "registers": lambda r: r.registers,
    "representatives": lambda r: r.representatives,
    "valid_names": lambda r: r.valid_names,
    "verified": lambda r: r.groups_verified,
    "in_group": lambda r: r.in_group,
    "reachable_other": lambda r: r.reachable_other,
    "unreachable": lambda r: r.unreachable,
    "coverage": lambda r: r.group_share if r.group_share is not None else -1,
    "reach": lambda r: r.reach_share if r.reach_share is not None else -1,
    "status": lambda r: r.submission.key if r.submission else "",
}


def sort_rows(rows: list[CoverageRow], sort: str) -> tuple[list[CoverageRow], str]:
    """Rows sorted by a ``SORT_KEYS`` name, "-name" for descending; unknown keys: by name."""
    descending = sort.startswith("-")
    name = sort.lstrip("-")
    if name not in SORT_KEYS:
        return sorted(rows, key=SORT_KEYS["name"]), "name"
    return sorted(rows, key=SORT_KEYS[name], reverse=descending), sort


# --- the representative's page ------------------------------------------------------------


@dataclass(frozen=True)
class MemberContactState:
    """One member on a representative's page: how they are reached and what is missing."""

    member: Member
    phones: list[Phone]
    has_email: bool
    state: str  # "in_group", "other_way" or "unreachable"
    missing: list[str]  # "line", "phone", "reason"


@dataclass(frozen=True)
class RegisterSection:
    """One register a representative leads: its figures, checklist and members."""

    register: Register
    row: CoverageRow | None
    rows: list[MemberContactState]
    checklist: list[tuple[str, bool]]

    @property
    def todo(self) -> int:
        return sum(1 for r in self.rows if r.missing)


def member_contact_state(member: Member) -> MemberContactState:
    """How a member (loaded by ``with_reach`` with phones) is reached, and what is missing."""
    phones = [p for p in member.phones.all() if p.valid]
    has_email = bool(member.email) and member.email_valid
    if member.seen_in_group:  # type: ignore[attr-defined]
        state = "in_group"
    elif phones or has_email or member.line_user_id:
        state = "other_way"
    else:
        state = "unreachable"
    missing = []
    if not member.seen_in_group and not member.no_line:  # type: ignore[attr-defined]
        missing.append("line")
    if not phones:
        missing.append("phone")
    if state == "unreachable" and not member.unreachable_reason:
        missing.append("reason")
    return MemberContactState(
        member=member, phones=phones, has_email=has_email, state=state, missing=missing
    )


def my_register_sections(user: User, coverage: Coverage) -> list[RegisterSection]:
    """The registers this representative leads, each with its members (in the group last,
    then in Thai order) and checklist. Four queries whatever the number of members."""
    registers = list(register_list_for_user(user))
    by_register = {r.key: r for r in coverage.registers}
    members = (
        with_reach(Member.objects.filter(status=Member.Status.ACTIVE))
        .filter(on_register__in=[r.pk for r in registers])
        .prefetch_related(Prefetch("phones", queryset=Phone.objects.order_by("position", "id")))
        .select_related("form_report")
    )
    states: dict[int, list[MemberContactState]] = {r.pk: [] for r in registers}
    for member in members:
        states[member.on_register].append(member_contact_state(member))
    sections = []
    for register in registers:
        rows = sorted(
            states[register.pk],
            key=lambda r: (r.state == "in_group", thai_sort_key(r.member.sort_name)),
        )
        row = by_register.get(str(register.code))
        checklist = [
            (
                "representative",
                register.representative is not None and register.representative.ended_on is None,
            ),
            ("group_name", bool(row and row.valid_names)),
            ("group_verified", bool(row and row.groups_verified)),
            ("all_in_group", bool(row and row.members and row.in_group == row.members)),
            ("all_reachable", bool(row and row.unaccounted == 0)),
        ]
        sections.append(RegisterSection(register=register, row=row, rows=rows, checklist=checklist))
    return sections
