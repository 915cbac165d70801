"""Writes of announcements: compose, approve (two people), send, pause, resume, cancel, relay.

Each service is one transaction with its AuditEvent; sending is enqueued after commit.  The
actor is a User, or the string "cli" for the command line (audited as such).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tocnet.accounts import roles
from tocnet.accounts.models import User
from tocnet.core.audit import Changes, audit_record
from tocnet.line import client as line_client
from tocnet.messaging.models import (
    Announcement,
    Channel,
    Delivery,
    DeliveryStatus,
    LineBatch,
    Reason,
    Recipient,
    Relay,
)
from tocnet.messaging.planning import (
    Audience,
    AudienceJSON,
    ChannelPlan,
    announcement_plan,
    relay_delay,
    sms_allowed_from,
    sms_body,
)

MULTICAST_SIZE = 500
Actor = User | str


class AnnouncementError(Exception):
    """A refused step, with a message for the user (Thai through gettext)."""


EDITABLE_FIELDS = (
    "title",
    "body",
    "image",
    "link",
    "category",
    "audience",
    "purpose",
    "is_public",
    "sms_text",
    "mode",
    "oa_broadcast",
    "scheduled_at",
    "relay_delay_minutes",
)


def _actor_user(actor: Actor) -> User | None:
    return actor if isinstance(actor, User) else None


def _audit(actor: Actor, action: str, announcement: Announcement, changes: Changes) -> None:
    audit_record(actor=actor, action=action, target=announcement, changes=changes)


def _check_can_author(actor: Actor) -> None:
    if isinstance(actor, User) and not (roles.is_cooperative_staff(actor) or roles.is_agent(actor)):
        raise AnnouncementError(_("Only cooperative staff write announcements."))


def audience_outside_scope(audience: AudienceJSON, user: User) -> bool:
    """True when an agent's audience reaches beyond their own units (staff: never)."""
    if roles.is_cooperative_staff(user):
        return False
    if not roles.is_agent(user):
        return True
    units = Audience.from_json(audience).unit_ids()
    if units is None:  # the whole cooperative
        return True
    mine = set(user.unit_links.values_list("unit_id", flat=True))
    return not units or not units <= mine


def _check_audience(actor: Actor, audience: AudienceJSON) -> None:
    if isinstance(actor, User) and audience_outside_scope(audience, actor):
        raise AnnouncementError(_("Coop agents send only to their own units."))


def can_send(user: User, announcement: Announcement) -> bool:
    """Staff send any approved announcement; an agent their own, within their units."""
    if roles.is_cooperative_staff(user):
        return True
    return (
        roles.is_agent(user)
        and announcement.author_id == user.pk
        and not audience_outside_scope(announcement.audience, user)
    )


@transaction.atomic
def announcement_create(*, actor: Actor, **fields: Any) -> Announcement:
    """A new draft by ``actor``; validated (full_clean) and audited."""
    _check_can_author(actor)
    unknown = set(fields) - set(EDITABLE_FIELDS) - {"department"}
    if unknown:
        raise TypeError(f"unknown fields {sorted(unknown)}")
    audience: AudienceJSON = fields.get("audience") or AudienceJSON()
    _check_audience(actor, audience)
    announcement = Announcement(
        author=_actor_user(actor), by_command_line=not isinstance(actor, User), **fields
    )
    announcement.full_clean()
    announcement.save()
    _audit(actor, "announcement.created", announcement, {"title": announcement.title})
    return announcement


@transaction.atomic
def announcement_update(*, announcement: Announcement, actor: Actor, **fields: Any) -> Announcement:
    """Change a draft (or one waiting for approval, which goes back to draft)."""
    _check_can_author(actor)
    announcement = Announcement.objects.select_for_update().get(pk=announcement.pk)
    if not announcement.is_editable:
        raise AnnouncementError(_("This announcement can no longer be changed."))
    if isinstance(actor, User) and roles.is_agent(actor) and announcement.author_id != actor.pk:
        raise AnnouncementError(_("Coop agents change only their own announcements."))
    if "audience" in fields:
        _check_audience(actor, fields["audience"])
    changes = {}
    for name, value in fields.items():
        if name not in EDITABLE_FIELDS and name != "department":
            raise TypeError(name)
        before = getattr(announcement, name)
        if before != value:
            changes[name] = {"before": str(before)[:200], "after": str(value)[:200]}
            setattr(announcement, name, value)
    if changes and announcement.state == Announcement.State.SUBMITTED:
        announcement.state = Announcement.State.DRAFT  # approval was for the old text
        changes["state"] = {"before": "submitted", "after": "draft"}
    announcement.full_clean()
    announcement.save()
    if changes:
        _audit(actor, "announcement.updated", announcement, changes)
    return announcement


def _transition(
    announcement: Announcement, *, allowed: tuple[str, ...], to: str, **extra: Any
) -> bool:
    """Move the state only from ``allowed`` (conditional update: no lost race)."""
    return (
        Announcement.objects.filter(pk=announcement.pk, state__in=allowed).update(
            state=to, updated_at=timezone.now(), **extra
        )
        == 1
    )


@transaction.atomic
def announcement_submit(*, announcement: Announcement, actor: Actor) -> Announcement:
    """Ask a second staff member to approve."""
    _check_can_author(actor)
    if not _transition(
        announcement,
        allowed=(Announcement.State.DRAFT,),
        to=Announcement.State.SUBMITTED,
        submitted_at=timezone.now(),
        rejection_note="",
    ):
        raise AnnouncementError(_("Only a draft can be sent for approval."))
    announcement.refresh_from_db()
    _audit(actor, "announcement.submitted", announcement, {})
    return announcement


def approval_refusal(*, announcement: Announcement, user: User) -> str:
    """Why ``user`` may not approve (empty when they may): the two-person rule by department."""
    if not roles.is_cooperative_staff(user):
        return _("Only cooperative staff approve announcements.")
    if announcement.author_id == user.pk:
        return _("The author cannot approve their own announcement: ask another staff member.")
    department_id = announcement.department_id
    if department_id is not None:
        codes = set(user.departments.values_list("code", flat=True))
        ids = set(user.departments.values_list("pk", flat=True))
        if department_id not in ids and "management" not in codes:
            return _("Approval comes from the announcement's department or from management.")
    return ""


@transaction.atomic
def announcement_approve(*, announcement: Announcement, actor: User) -> Announcement:
    """A second staff member approves; the author never can (also a database constraint)."""
    refusal = approval_refusal(announcement=announcement, user=actor)
    if refusal:
        raise AnnouncementError(refusal)
    if not _transition(
        announcement,
        allowed=(Announcement.State.SUBMITTED,),
        to=Announcement.State.APPROVED,
        approver=actor,
        approved_at=timezone.now(),
    ):
        raise AnnouncementError(_("Only an announcement waiting for approval can be approved."))
    announcement.refresh_from_db()
    _audit(actor, "announcement.approved", announcement, {})
    return announcement


@transaction.atomic
def announcement_reject(*, announcement: Announcement, actor: User, note: str) -> Announcement:
    """Send back to the author with a note."""
    refusal = approval_refusal(announcement=announcement, user=actor)
    if refusal:
        raise AnnouncementError(refusal)
    if not _transition(
        announcement,
        allowed=(Announcement.State.SUBMITTED,),
        to=Announcement.State.DRAFT,
        rejection_note=note[:500],
    ):
        raise AnnouncementError(_("Only an announcement waiting for approval can be sent back."))
    announcement.refresh_from_db()
    _audit(actor, "announcement.rejected", announcement, {"note": note[:500]})
    return announcement


QUOTA_CACHE_KEY = "messaging:line_quota"


def quota_check(plan: ChannelPlan, *, max_age: int = 0) -> tuple[line_client.Quota | None, str]:
    """(LINE quota, refusal) — refusal when the send would exceed this month's messages.

    ``max_age`` seconds: a page may show the quota LINE gave that recently (two calls to LINE
    saved per view); the send itself always asks LINE (max_age 0)."""
    from django.conf import settings
    from django.core.cache import cache

    needed = plan.line_messages()
    if needed == 0 or not line_client.is_configured():
        return None, ""
    key = f"{QUOTA_CACHE_KEY}:{settings.LINE_API_BASE_URL}"  # one per LINE host (tests: fakes)
    quota = cache.get(key) if max_age else None
    if quota is None:
        try:
            quota = line_client.get_quota()
        except line_client.ChannelError as exc:
            return None, _("Could not read the LINE quota (%(error)s).") % {"error": exc}
        if max_age:
            cache.set(key, quota, timeout=max_age)
    if quota.remaining is not None and needed > quota.remaining:
        return quota, _(
            "This send needs %(needed)s LINE messages but only %(left)s are left this month."
        ) % {"needed": f"{needed:,}", "left": f"{quota.remaining:,}"}
    return quota, ""


def announcement_send(
    *, announcement: Announcement, actor: Actor, now: dt.datetime | None = None
) -> Announcement:
    """Start sending an approved announcement (or schedule it): plan, check the quota, create
    every delivery row in one transaction, then enqueue the worker after commit.

    Refuses a send with nobody in the audience, a quota too small, or one already running."""
    from tocnet.messaging.tasks import announcement_process_task

    now = now or timezone.now()
    announcement.refresh_from_db()
    if isinstance(actor, User) and not can_send(actor, announcement):
        raise AnnouncementError(_("You may not send this announcement."))
    allowed = (Announcement.State.APPROVED, Announcement.State.SCHEDULED)
    if announcement.state not in allowed:
        if announcement.state in (Announcement.State.SENDING, Announcement.State.PAUSED):
            raise AnnouncementError(_("This announcement is already being sent."))
        raise AnnouncementError(_("Only an approved announcement can be sent."))
    if announcement.scheduled_at and announcement.scheduled_at > now:
        with transaction.atomic():
            if not _transition(
                announcement,
                allowed=(Announcement.State.APPROVED,),
                to=Announcement.State.SCHEDULED,
            ):
                raise AnnouncementError(_("This announcement is already scheduled."))
            _audit(
                actor,
                "announcement.scheduled",
                announcement,
                {"at": announcement.scheduled_at.isoformat()},
            )
        announcement.refresh_from_db()
        return announcement

    audience = Audience.from_json(announcement.audience)
    plan = announcement_plan(
        audience=audience,
        mode=announcement.mode,
        sms_text=sms_body(announcement),
        broadcast=announcement.oa_broadcast,
        purpose=announcement.purpose,
    )
    if not plan.members:
        raise AnnouncementError(_("Nobody is in this audience: nothing was sent."))
    quota, refusal = quota_check(plan)
    if refusal:
        raise AnnouncementError(refusal)

    with transaction.atomic():
        if not _transition(
            announcement, allowed=allowed, to=Announcement.State.SENDING, send_started_at=now
        ):
            raise AnnouncementError(_("This announcement is already being sent."))
        announcement.refresh_from_db()
        summary = plan.summary()
        if quota is not None:
            summary["quota"] = {"limit": quota.limit, "used": quota.used}
        announcement.plan = summary
        announcement.save(update_fields=["plan", "updated_at"])
        _create_deliveries(announcement, plan, now=now)
        _audit(actor, "announcement.send_started", announcement, {"plan": summary})
        transaction.on_commit(lambda: announcement_process_task(announcement.pk))
    return announcement


def _create_deliveries(announcement: Announcement, plan: ChannelPlan, *, now: dt.datetime) -> None:
    sms_from = sms_allowed_from(now)
    fallback_due = now + relay_delay(now, announcement)
    sms_text = sms_body(announcement)
    from tocnet.messaging.channels.sms import sms_segments

    segments = sms_segments(sms_text)
    group_rows: dict[int, Delivery] = {}
    relay_rows: dict[int, Delivery] = {}
    for route in plan.groups.values():
        relayed = bool(route.relay_member_id) and announcement.mode == Announcement.Mode.RELAY
        group_rows[route.register_id] = Delivery(
            announcement=announcement,
            channel=Channel.LINE_GROUP,
            register_id=route.register_id,
            address=route.group_id,
            reach=route.reach,
            not_before=fallback_due if relayed else None,
        )
        if relayed:
            relay_rows[route.register_id] = Delivery(
                announcement=announcement,
                channel=Channel.LINE_RELAY,
                register_id=route.register_id,
                address=route.relay_line_user_id,
            )
    Delivery.objects.bulk_create([*group_rows.values(), *relay_rows.values()])
    Relay.objects.bulk_create(
        [
            Relay(
                announcement=announcement,
                register_id=register_id,
                representative_id=plan.groups[register_id].relay_member_id or 0,
                representative_line_user_id=plan.groups[register_id].relay_line_user_id,
                push=push,
                group_delivery=group_rows[register_id],
                fallback_due_at=fallback_due,
            )
            for register_id, push in relay_rows.items()
        ]
    )

    direct = [m for m in plan.members if m.channel == Channel.LINE_DIRECT]
    batches = [
        LineBatch(announcement=announcement, to=[m.address for m in direct[i : i + MULTICAST_SIZE]])
        for i in range(0, len(direct), MULTICAST_SIZE)
    ]
    LineBatch.objects.bulk_create(batches)
    batch_of = {route.member_id: batches[i // MULTICAST_SIZE] for i, route in enumerate(direct)}
    member_rows: dict[int, Delivery] = {}
    for member_route in plan.members:
        if member_route.channel == Channel.LINE_GROUP:
            continue
        row = Delivery(
            announcement=announcement,
            channel=member_route.channel,
            member_id=member_route.member_id,
            address=member_route.address,
            reason=member_route.reason,
        )
        if member_route.channel == Channel.LINE_DIRECT:
            row.batch = batch_of[member_route.member_id]
        elif member_route.channel == Channel.SMS:
            row.segments = segments
            row.not_before = sms_from if sms_from > now else None
        elif member_route.channel == Channel.NONE:
            row.status = DeliveryStatus.UNREACHABLE
        member_rows[member_route.member_id] = row
    Delivery.objects.bulk_create(list(member_rows.values()), batch_size=2000)
    if announcement.oa_broadcast and plan.broadcast_reach:
        Delivery.objects.create(
            announcement=announcement,
            channel=Channel.LINE_BROADCAST,
            reach=plan.broadcast_reach,
        )
    Recipient.objects.bulk_create(
        [
            Recipient(
                announcement=announcement,
                member_id=route.member_id,
                register_id=route.register_id,
                unit_id=route.unit_id,
                channel=route.channel,
                reason=route.reason,
                delivery=group_rows[route.register_id]  # type: ignore[index]
                if route.channel == Channel.LINE_GROUP
                else member_rows[route.member_id],
            )
            for route in plan.members
        ],
        batch_size=2000,
    )


@transaction.atomic
def announcement_pause(*, announcement: Announcement, actor: Actor) -> Announcement:
    """Stop taking new deliveries; requests already at a provider finish."""
    if not _transition(
        announcement, allowed=(Announcement.State.SENDING,), to=Announcement.State.PAUSED
    ):
        raise AnnouncementError(_("Only a send in progress can be paused."))
    announcement.refresh_from_db()
    _audit(actor, "announcement.paused", announcement, {})
    return announcement


def announcement_resume(*, announcement: Announcement, actor: Actor) -> Announcement:
    """Carry on a paused send where it stopped (the quota is checked again)."""
    from tocnet.messaging.tasks import announcement_process_task

    with transaction.atomic():
        if not _transition(
            announcement,
            allowed=(Announcement.State.PAUSED,),
            to=Announcement.State.SENDING,
            halted_reason="",
        ):
            raise AnnouncementError(_("Only a paused send can be resumed."))
        announcement.refresh_from_db()
        _audit(actor, "announcement.resumed", announcement, {})
        transaction.on_commit(lambda: announcement_process_task(announcement.pk))
    return announcement


@transaction.atomic
def announcement_cancel(*, announcement: Announcement, actor: Actor) -> Announcement:
    """Cancel: nothing more is sent; deliveries still queued end "cancelled"."""
    if not _transition(
        announcement,
        allowed=(
            Announcement.State.DRAFT,
            Announcement.State.SUBMITTED,
            Announcement.State.APPROVED,
            Announcement.State.SCHEDULED,
            Announcement.State.SENDING,
            Announcement.State.PAUSED,
        ),
        to=Announcement.State.CANCELLED,
        cancelled_at=timezone.now(),
    ):
        raise AnnouncementError(_("This announcement can no longer be cancelled."))
    cancelled = Delivery.objects.filter(
        announcement=announcement, status=DeliveryStatus.QUEUED
    ).update(status=DeliveryStatus.CANCELLED, reason=Reason.CANCELLED, updated_at=timezone.now())
    LineBatch.objects.filter(announcement=announcement, status=DeliveryStatus.QUEUED).update(
        status=DeliveryStatus.CANCELLED
    )
    Relay.objects.filter(announcement=announcement, status=Relay.Status.WAITING).update(
        status=Relay.Status.CANCELLED
    )
    announcement.refresh_from_db()
    _audit(actor, "announcement.cancelled", announcement, {"deliveries_cancelled": cancelled})
    return announcement


@transaction.atomic
def relay_forwarded(
    *, relay: Relay, line_user_id: str, method: str, now: dt.datetime | None = None
) -> bool:
    """The representative's LIFF page reports the card went into the group. True when this
    report settled the group (no fallback push needed); idempotent."""
    now = now or timezone.now()
    if line_user_id != relay.representative_line_user_id:
        raise AnnouncementError(
            _("Only the register's representative can relay this announcement.")
        )
    updated = Relay.objects.filter(pk=relay.pk, status=Relay.Status.WAITING).update(
        status=Relay.Status.FORWARDED, forwarded_at=now, method=method
    )
    if not updated:
        return False
    settled = (
        Delivery.objects.filter(pk=relay.group_delivery_id, status=DeliveryStatus.QUEUED).update(
            status=DeliveryStatus.SENT, reason=Reason.RELAYED, sent_at=now, updated_at=now
        )
        == 1
    )
    relay.refresh_from_db()
    audit_record(
        actor=None,
        action="announcement.relayed",
        target=relay.announcement,
        changes={"register": str(relay.register), "method": method, "settled": settled},
    )
    return settled


@transaction.atomic
def relay_opened(*, relay: Relay, now: dt.datetime | None = None) -> None:
    """The representative opened the relay page (shown on the progress table)."""
    Relay.objects.filter(pk=relay.pk, opened_at__isnull=True).update(
        opened_at=now or timezone.now()
    )


def announcement_validate(announcement: Announcement) -> None:
    try:
        announcement.full_clean()
    except ValidationError as exc:
        raise AnnouncementError("; ".join(exc.messages)) from exc


def audience_from_cli(spec: str) -> AudienceJSON:
    """``all``, ``unit:กพ,นว`` or ``register:สอ.พช.กพ.1,สอ.พช.นว.2`` → the audience JSON.

    Raises AnnouncementError naming each unknown unit or register."""
    from tocnet.members.models import Unit
    from tocnet.registers.models import Register
    from tocnet.registers.naming import RegisterName, parse_register_name

    spec = (spec or "all").strip()
    if spec == "all":
        return {"scope": "all"}
    kind, _sep, names = spec.partition(":")
    items = [n.strip() for n in names.split(",") if n.strip()]
    if kind == "unit" and items:
        units = dict(
            Unit.objects.filter(abbreviation__in=items).values_list("abbreviation", "code")
        )
        missing = [n for n in items if n not in units]
        if missing:
            raise AnnouncementError(_("Unknown unit: %(names)s") % {"names": ", ".join(missing)})
        return {"scope": "units", "units": [str(units[n]) for n in items]}
    if kind == "register" and items:
        abbreviations = list(Unit.objects.values_list("abbreviation", flat=True))
        codes, missing = [], []
        for name in items:
            parsed = parse_register_name(name, abbreviations)
            register = None
            if isinstance(parsed, RegisterName):
                register = Register.objects.filter(
                    unit__abbreviation=parsed.abbreviation,
                    number=parsed.number,
                    retired_at__isnull=True,
                ).first()
            if register is None:
                missing.append(name)
            else:
                codes.append(str(register.code))
        if missing:
            raise AnnouncementError(
                _("Unknown register: %(names)s") % {"names": ", ".join(missing)}
            )
        return {"scope": "registers", "registers": codes}
    raise AnnouncementError(
        _("Audience must be all, unit:ABBR,... or register:NAME,... (got %(spec)s)")
        % {"spec": spec}
    )


@transaction.atomic
def announcement_create_approved(*, actor: str, **fields: Any) -> Announcement:
    """The command line writes as the cooperative: created approved, audited as ``actor``."""
    announcement = announcement_create(actor=actor, **fields)
    announcement.state = Announcement.State.APPROVED
    announcement.approved_at = timezone.now()
    announcement.save(update_fields=["state", "approved_at", "updated_at"])
    _audit(actor, "announcement.approved", announcement, {"by": "command line"})
    return announcement
