"""Export, erasure and retention hooks for the apps before privacy (core, accounts, members)
and for privacy itself. Later apps register their own in their AppConfig.ready()."""

import datetime as dt
from typing import Any

from django.contrib.admin.models import LogEntry
from django.contrib.sessions.models import Session
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from tocnet.accounts.models import LoginFailure, User
from tocnet.core.models import AuditEvent
from tocnet.core.progress import progress_files_older_than, progress_files_purge
from tocnet.members.importing.retention import PREVIEW_KEPT, import_previews_expire
from tocnet.members.models import ImportJob, Member, Phone, Representative
from tocnet.privacy.erasure import ERASED, ERASED_NAME, Identifiers, scrub_rows
from tocnet.privacy.models import Consent, ConsentChange, DataRequest, Restriction
from tocnet.privacy.registry import ExportRow, register_member_data, register_retention
from tocnet.privacy.selectors import audit_events_about_member

AUDIT_KEPT = dt.timedelta(days=5 * 365)
LOGIN_FAILURES_KEPT = dt.timedelta(days=90)
REQUESTS_KEPT = dt.timedelta(days=5 * 365)
PROGRESS_FILES_KEPT = dt.timedelta(days=2)
# The authenticator secrets and recovery codes of a deactivated account (someone who left, an
# erased member's login): nobody may use them; a month in case the deactivation was a mistake.
INACTIVE_DEVICES_KEPT = dt.timedelta(days=30)


def _when(value: object) -> object:
    return value.isoformat() if isinstance(value, dt.date | dt.datetime) else value


# --- members: the record, phones, login --------------------------------------------------


def _export_record(member: Member) -> list[ExportRow]:
    return [
        {
            "member_number": member.number,
            "title": member.title,
            "first_name": member.first_name,
            "last_name": member.last_name,
            "position": member.position,
            "unit": member.unit.name,
            "district": member.district,
            "member_type": member.get_member_type_display(),
            "status": member.get_status_display(),
            "email": member.email,
            "line_id": member.line_id,
            "linked_line_user_id": member.line_user_id or "",
            "does_not_use_line": member.no_line,
            "national_id": member.national_id,
            "member_since": _when(member.joined_on),
            "why_unreachable": member.unreachable_reason,
            "created_at": _when(member.created_at),
            "updated_at": _when(member.updated_at),
        }
    ]


def _export_phones(member: Member) -> list[ExportRow]:
    return [
        {"as_typed": p.raw, "e164": p.e164, "extension": p.extension, "kind": p.get_kind_display()}
        for p in member.phones.all()
    ]


def _erase_phones(member: Member, ids: Identifiers) -> dict[str, int]:
    deleted, _by_model = Phone.objects.filter(member=member).delete()
    return {"deleted": deleted}


def _export_terms(member: Member) -> list[ExportRow]:
    """The member's terms as a representative of members (elected role)."""
    return [
        {
            "unit": r.unit.name,
            "term_start": _when(r.term_start),
            "term_end": _when(r.term_end),
            "ended_on": _when(r.ended_on),
            "why_it_ended": r.end_reason,
        }
        for r in Representative.objects.filter(member=member)
        .select_related("unit")
        .order_by("term_start", "id")
    ]


def _erase_terms(member: Member, ids: Identifiers) -> dict[str, int]:
    # The terms stay (who represented a unit when is the cooperative's record); free text goes.
    return {"scrubbed": Representative.objects.filter(member=member).update(end_reason="")}


def _export_login(member: Member) -> list[ExportRow]:
    user = member.user
    if user is None:
        return []
    return [
        {
            "username": user.username,
            "role": user.get_role_display(),
            "email": user.email,
            "active": user.is_active,
            "joined": _when(user.date_joined),
            "last_sign_in": _when(user.last_login),
        }
    ]


def _inactive_users_devices(now: dt.datetime) -> tuple[Any, Any]:
    """Second-factor devices of accounts deactivated (not signed in since) over 30 days ago."""
    users = User.objects.filter(is_active=False).filter(
        Q(last_login__lt=now - INACTIVE_DEVICES_KEPT) | Q(last_login__isnull=True)
    )
    return (
        TOTPDevice.objects.filter(user__in=users.values("pk")),
        StaticDevice.objects.filter(user__in=users.values("pk")),
    )


def _inactive_devices_count(now: dt.datetime) -> int:
    totp, static = _inactive_users_devices(now)
    return int(totp.count() + static.count())


def _inactive_devices_purge(now: dt.datetime) -> int:
    totp, static = _inactive_users_devices(now)
    return int(totp.delete()[0] + static.delete()[0])


def _erase_record(member: Member, ids: Identifiers) -> dict[str, int]:
    """Keep number, unit, type, status and dates; wipe everything that names the person."""
    user_anonymised = 0
    if member.user_id is not None:
        # Its authenticator and recovery codes go with the login (their names may be the
        # person's, and nobody signs in to an erased account).
        TOTPDevice.objects.filter(user_id=member.user_id).delete()
        StaticDevice.objects.filter(user_id=member.user_id).delete()
        user = User.objects.get(pk=member.user_id)
        user.username = f"erased-{user.code}"
        user.first_name = user.last_name = user.email = user.display_name = ""
        user.line_user_id = None
        user.is_active = False
        user.set_unusable_password()
        user.save()
        user_anonymised = 1
    Member.objects.filter(pk=member.pk).update(
        title="",
        first_name=ERASED_NAME,
        last_name="",
        position="",
        email="",
        email_valid=False,
        line_id="",
        line_user_id=None,
        national_id="",
        unreachable_reason="",
        user=None,
    )
    return {"anonymised": 1, "logins_anonymised": user_anonymised}


def _erase_import_jobs(member: Member, ids: Identifiers) -> dict[str, int]:
    return {"scrubbed": scrub_rows(ImportJob.objects.all(), ids.everything)}


# --- core: the access log and change history -----------------------------------------------


def _member_events(member: Member) -> "QuerySet[AuditEvent]":
    return audit_events_about_member(member)


def _export_access_log(member: Member) -> list[ExportRow]:
    return [
        {
            "when": _when(e.created_at),
            "kind": e.get_kind_display(),
            "who": e.actor_repr,
            "action": e.action,
            "changes": e.changes,
        }
        for e in _member_events(member).order_by("created_at", "id")
    ]


def _erase_logs(member: Member, ids: Identifiers) -> dict[str, int]:
    """Events about this member lose every name form; other events lose the strong identifiers.

    The events stay (who did what, when), so counts and the security record remain.
    """
    own = scrub_rows(_member_events(member), ids.everything)
    own += AuditEvent.objects.filter(
        target_type="members.member", target_id=str(member.code)
    ).update(target_repr=f"{member.number} {ERASED}")
    others = scrub_rows(
        AuditEvent.objects.exclude(target_id=str(member.code)), ids.strong, also=ids.name_parts
    )
    admin_log = scrub_rows(
        LogEntry.objects.filter(
            Q(content_type__app_label="members", object_id=str(member.pk))
            | Q(object_repr__icontains=ids.number)
        ),
        ids.everything,
        match=False,
    )
    admin_log += scrub_rows(LogEntry.objects.all(), ids.strong, also=ids.name_parts)
    return {"events_scrubbed": own + others, "admin_log_scrubbed": admin_log}


# --- privacy's own records -------------------------------------------------------------------


def _export_consents(member: Member) -> list[ExportRow]:
    return [
        {
            "when": _when(c.created_at),
            "purpose": c.get_purpose_display(),
            "channel": c.get_channel_display(),
            "allowed": c.allowed,
            "before": c.previous,
            "how": c.get_method_display(),
            "notice_version": c.notice_version,
            "member_words": c.member_statement,
            "recorded_by": c.recorded_by_repr,
        }
        for c in ConsentChange.objects.filter(member=member).order_by("created_at", "id")
    ]


def _erase_consents(member: Member, ids: Identifiers) -> dict[str, int]:
    # The history stays as proof of what was allowed when; the member's words may name them.
    ConsentChange.objects.filter(member=member).update(member_statement="")
    deleted, _by_model = Consent.objects.filter(member=member).delete()
    return {"deleted": deleted}


def _export_requests(member: Member) -> list[ExportRow]:
    return [
        {
            "request": r.get_kind_display(),
            "received_on": _when(r.received_on),
            "due_on": _when(r.due_on),
            "state": r.get_state_display(),
            "details": r.details,
            "answer": r.answer,
        }
        for r in DataRequest.objects.filter(member=member).order_by("received_on", "id")
    ]


def _export_restrictions(member: Member) -> list[ExportRow]:
    return [
        {
            "since": _when(r.started_at),
            "until": _when(r.lifted_at),
            "reason": r.reason,
        }
        for r in Restriction.objects.filter(member=member).order_by("started_at", "id")
    ]


def _erase_privacy_text(member: Member, ids: Identifiers) -> dict[str, int]:
    scrubbed = scrub_rows(DataRequest.objects.filter(member=member), ids.everything, match=False)
    scrubbed += scrub_rows(Restriction.objects.filter(member=member), ids.everything, match=False)
    return {"scrubbed": scrubbed}


def register_hooks() -> None:
    register_member_data(
        "members.record",
        label=_("Member record"),
        export=_export_record,
        erase=_erase_record,
        order=10,
    )
    register_member_data(
        "members.phones", label=_("Phone numbers"), export=_export_phones, erase=_erase_phones
    )
    register_member_data(
        "accounts.login", label=_("Sign-in account"), export=_export_login, order=12
    )
    register_member_data(
        "members.representative_terms",
        label=_("Terms as a representative of members"),
        export=_export_terms,
        erase=_erase_terms,
        order=14,
    )
    register_member_data(
        "members.import_files",
        label=_("Imported files"),
        export=lambda member: [],
        erase=_erase_import_jobs,
        order=900,
    )
    register_member_data(
        "privacy.consents",
        label=_("Consents and objections"),
        export=_export_consents,
        erase=_erase_consents,
        order=50,
    )
    register_member_data(
        "privacy.requests", label=_("Requests under the PDPA"), export=_export_requests, order=51
    )
    register_member_data(
        "privacy.restrictions",
        label=_("Restrictions of processing"),
        export=_export_restrictions,
        erase=_erase_privacy_text,
        order=52,
    )
    register_member_data(
        "core.access_log",
        label=_("Who viewed, exported or changed this data"),
        export=_export_access_log,
        erase=_erase_logs,
        order=950,
    )

    register_retention(
        "core.audit_events",
        label=_("Audit events (changes, reads, security)"),
        period=AUDIT_KEPT,
        select=lambda now: AuditEvent.objects.filter(created_at__lt=now - AUDIT_KEPT),
    )
    register_retention(
        "accounts.login_failures",
        label=_("Failed sign-ins"),
        period=LOGIN_FAILURES_KEPT,
        select=lambda now: LoginFailure.objects.filter(created_at__lt=now - LOGIN_FAILURES_KEPT),
    )
    register_retention(
        "sessions.expired",
        label=_("Expired sign-in sessions"),
        period=dt.timedelta(0),
        select=lambda now: Session.objects.filter(expire_date__lt=now),
    )
    register_retention(
        "members.import_previews",
        label=_("Import previews nobody confirmed"),
        period=PREVIEW_KEPT,
        select=lambda now: ImportJob.objects.filter(
            kind__in=(ImportJob.Kind.MEMBERS, ImportJob.Kind.REPRESENTATIVES),
            status=ImportJob.Status.PREVIEW,
            created_at__lt=now - PREVIEW_KEPT,
        ),
        purge=lambda now: import_previews_expire(older_than=PREVIEW_KEPT),
    )
    register_retention(
        "core.progress_files",
        label=_("Progress counts of background jobs (files in var/progress)"),
        period=PROGRESS_FILES_KEPT,
        count=lambda now: len(progress_files_older_than(now - PROGRESS_FILES_KEPT)),
        purge=lambda now: progress_files_purge(now - PROGRESS_FILES_KEPT),
    )
    register_retention(
        "accounts.inactive_second_factors",
        label=_("Second-factor devices of deactivated accounts"),
        period=INACTIVE_DEVICES_KEPT,
        count=_inactive_devices_count,
        purge=_inactive_devices_purge,
    )
    register_retention(
        "privacy.closed_requests",
        label=_("Members' requests, closed"),
        period=REQUESTS_KEPT,
        select=lambda now: DataRequest.objects.filter(closed_at__lt=now - REQUESTS_KEPT),
    )
