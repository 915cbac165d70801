"""The DPO's weekly digest of unusual access to personal data, sent by e-mail."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import TypedDict

from django.conf import settings
from django.contrib.auth.models import Permission
from django.core.mail import send_mail
from django.db.models import Count, Q, QuerySet
from django.template.loader import render_to_string
from django.utils import timezone

from tocnet.accounts.models import User
from tocnet.core.models import AccessedMember, AuditEvent

WEEK = dt.timedelta(days=7)
BASELINE_WEEKS = 4
# Flag a user whose reads this week are above both: a factor of their usual week, and a floor
# (a new user opening 30 records is normal).
UNUSUAL_FACTOR = 3
UNUSUAL_FLOOR = 50
OFFICE_HOURS = (7, 19)  # Bangkok time, Monday to Friday


class HeavyReader(TypedDict):
    """A user who read far more member records this week than in their usual week."""

    who: str
    count: int
    usual: float


class AfterHoursExport(TypedDict):
    who: str
    action: str
    when: dt.datetime  # Bangkok time
    about: str


@dataclass
class Digest:
    since: dt.datetime
    until: dt.datetime
    heavy: list[HeavyReader] = field(default_factory=list)
    after_hours: list[AfterHoursExport] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not self.heavy and not self.after_hours


# Keys under which an access event's detail counts the member rows it showed or wrote.
_COUNT_KEYS = ("members", "rows", "answers", "people")


def _reads(event: AuditEvent, shown: int = 0) -> int:
    """How many member records one access event touched: a list page logs their numbers, an
    export or a list their count (``members``, ``rows``, ``answers``, ``people``); else one.
    ``shown``: how many members the event names (`AccessedMember` rows), the same members
    counted again, so the larger of the two counts, never their sum."""
    changes = event.changes if isinstance(event.changes, dict) else {}
    for key in _COUNT_KEYS:
        value = changes.get(key)
        if isinstance(value, list):
            return max(1, len(value), shown)
        if isinstance(value, int) and not isinstance(value, bool):
            return max(1, value, shown)
    return max(1, shown)


def _shown_counts(events: QuerySet[AuditEvent]) -> dict[int, int]:
    """{event pk: how many members it names} for the events that name any (one query)."""
    rows = (
        AccessedMember.objects.filter(event__in=events.values("pk"))
        .values("event_id")
        .annotate(n=Count("pk"))
        .values_list("event_id", "n")
    )
    return dict(rows)


def unusual_access_digest(*, now: dt.datetime | None = None) -> Digest:
    """Users who read far more than their usual, and exports outside office hours, last week."""
    until = now or timezone.now()
    since = until - WEEK
    base_since = since - WEEK * BASELINE_WEEKS
    events = AuditEvent.objects.filter(
        kind=AuditEvent.Kind.ACCESS, created_at__gte=base_since, created_at__lt=until
    ).only("actor_repr", "action", "changes", "created_at")
    shown = _shown_counts(events)
    this_week: Counter[str] = Counter()
    before: Counter[str] = Counter()
    digest = Digest(since=since, until=until)
    per_user_exports: dict[str, int] = defaultdict(int)
    for event in events.iterator():
        who = event.actor_repr or "-"
        if event.created_at >= since:
            this_week[who] += _reads(event, shown.get(event.pk, 0))
            if "export" in event.action or "download" in event.action:
                local = timezone.localtime(event.created_at)
                outside = local.weekday() >= 5 or not (
                    OFFICE_HOURS[0] <= local.hour < OFFICE_HOURS[1]
                )
                if outside:
                    per_user_exports[who] += 1
                    digest.after_hours.append(
                        {"who": who, "action": event.action, "when": local, "about": ""}
                    )
        else:
            before[who] += _reads(event, shown.get(event.pk, 0))
    for who, count in this_week.most_common():
        usual = before[who] / BASELINE_WEEKS
        if count > max(UNUSUAL_FLOOR, UNUSUAL_FACTOR * usual):
            digest.heavy.append({"who": who, "count": count, "usual": round(usual, 1)})
    return digest


def dpo_recipients() -> list[str]:
    permission = Permission.objects.filter(codename="dpo", content_type__app_label="privacy")
    users = User.objects.filter(
        Q(user_permissions__in=permission) | Q(groups__permissions__in=permission),
        is_active=True,
    ).exclude(email="")
    emails = sorted({u.email for u in users})
    if settings.PRIVACY_CONTACT and settings.PRIVACY_CONTACT not in emails:
        emails.append(settings.PRIVACY_CONTACT)
    return emails


def unusual_access_digest_send(*, now: dt.datetime | None = None) -> Digest:
    """Compute and e-mail the digest to the DPO (also when nothing was unusual: they know it ran)."""
    digest = unusual_access_digest(now=now)
    context = {"digest": digest}
    send_mail(
        subject=render_to_string("privacy/email/digest_subject.txt", context).strip(),
        message=render_to_string("privacy/email/digest.txt", context),
        from_email=None,
        recipient_list=dpo_recipients(),
    )
    return digest
