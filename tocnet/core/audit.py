"""Audit trail writes. Call inside the transaction that makes the change."""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, TypedDict

from django.db import connection, models, transaction

from tocnet.core.bulk import insert_rows
from tocnet.core.models import AccessedMember, AuditEvent
from tocnet.core.versions import NETWORK_APPS, network_changed

# Fields never copied into audit payloads in clear (PDPA: national ID stays out of logs).
REDACTED_FIELDS = frozenset({"national_id", "password"})

# What an event records: field or fact -> a JSON value (each action names its own keys;
# nested changes are {"before", "after"} or further such mappings).
Changes = Mapping[str, object]


class FieldDiff(TypedDict):
    before: object
    after: object


def _describe(target: models.Model | None) -> tuple[str, str, str]:
    if target is None:
        return "", "", ""
    meta = target._meta
    ident = getattr(target, "code", None) or target.pk
    return f"{meta.app_label}.{meta.model_name}", str(ident), str(target)[:200]


def redact(changes: Changes) -> dict[str, object]:
    """Replace values of sensitive fields by a marker, keeping the fact that they changed."""
    out: dict[str, object] = {}
    for key, value in changes.items():
        if key in REDACTED_FIELDS:
            out[key] = "[redacted]"
        elif isinstance(value, dict):
            out[key] = redact(value)
        else:
            out[key] = value
    return out


def _actor(actor: Any) -> tuple[Any, str]:
    """(the user to link, or None; the name to keep) of whoever acts: a user, or a label such
    as "command line: import_members"."""
    user = actor if getattr(actor, "is_authenticated", False) else None
    return user, (user.get_username() if user else str(actor or "system"))[:150]


def audit_record(
    *,
    actor: Any,
    action: str,
    target: models.Model | None,
    changes: Changes | None = None,
    kind: str = AuditEvent.Kind.CHANGE,
    ip_address: str | None = None,
) -> AuditEvent:
    """Write one AuditEvent; the caller's transaction makes it atomic with the change."""
    target_type, target_id, target_repr = _describe(target)
    user, actor_repr = _actor(actor)
    if kind == AuditEvent.Kind.CHANGE and target_type.split(".")[0] in NETWORK_APPS:
        network_changed()  # the dashboard's cached figures are stale once this commits
    return AuditEvent.objects.create(
        kind=kind,
        actor=user,
        actor_repr=actor_repr,
        action=action,
        target_type=target_type,
        target_id=target_id,
        target_repr=target_repr,
        changes=redact(changes or {}),
        ip_address=ip_address,
    )


@dataclass(frozen=True)
class AuditEntry:
    """One change for `audit_record_many`: the target named without its model instance."""

    action: str
    target_type: str  # "members.member"
    target_id: str  # its code (or pk)
    target_repr: str
    changes: Changes


def audit_record_many(
    *, actor: Any, entries: Iterable[AuditEntry], kind: str = AuditEvent.Kind.CHANGE
) -> int:
    """Write one AuditEvent per entry in a few INSERTs (an import's thousands of changes), the
    same rows audit_record writes one by one; returns how many. Call inside the change's
    transaction."""
    user, actor_repr = _actor(actor)
    actor_id = user.pk if user is not None else None
    rows = [
        {
            "kind": kind,
            "action": entry.action,
            "target_type": entry.target_type,
            "target_id": entry.target_id,
            "target_repr": entry.target_repr[:200],
            "changes": redact(entry.changes),
            "actor_id": actor_id,
            "actor_repr": actor_repr,
        }
        for entry in entries
    ]
    if kind == AuditEvent.Kind.CHANGE and any(
        str(row["target_type"]).split(".")[0] in NETWORK_APPS for row in rows
    ):
        network_changed()
    insert_rows(AuditEvent, rows)
    return len(rows)


# Link rows per INSERT: one multi-row INSERT per batch (2 values a row, under every
# database's parameter limit).
ACCESSED_BATCH = 500


def audit_access(
    *,
    actor: Any,
    action: str,
    target: models.Model | None = None,
    detail: Changes | None = None,
    ip_address: str | None = None,
    members: Iterable[int | None] | None = None,
) -> AuditEvent:
    """Log a read or export of personal data (PDPA security measures: who saw what, when).

    ``members``: the primary keys of the members the page or file showed (a list page's rows
    on the page shown, every member of an export or job), written as `AccessedMember` rows
    with the event, so the DPO's search by member and the member's own export find it. The
    detail keeps its counts as before (the weekly digest counts from those, once)."""
    # The event and its member rows, or neither (no savepoint of its own: a list page keeps
    # its query count).
    with transaction.atomic(savepoint=False):
        event = audit_record(
            actor=actor,
            action=action,
            target=target,
            changes=detail,
            kind=AuditEvent.Kind.ACCESS,
            ip_address=ip_address,
        )
        if members is not None:
            accessed_members_record(event=event, members=members)
    return event


def accessed_members_record(*, event: AuditEvent, members: Iterable[int | None]) -> int:
    """Name the members an access event showed (each once; a row without a member, None, is
    skipped), in one INSERT per batch; call in the event's transaction. Returns how many."""
    pks = list(dict.fromkeys(int(pk) for pk in members if pk is not None))
    if not pks:
        return 0
    # Two integers a row: a plain multi-row INSERT (bulk_create's model instances and SQL
    # compiler took 185 ms for 10,700 members on SQLite, this a fraction; bench/README.md).
    quote = connection.ops.quote_name
    meta = AccessedMember._meta
    head = "INSERT INTO {} ({}, {}) VALUES ".format(  # noqa: S608 (names from the model)
        quote(meta.db_table),
        quote(meta.get_field("event").column),
        quote(meta.get_field("member_pk").column),
    )
    with connection.cursor() as cursor:
        for start in range(0, len(pks), ACCESSED_BATCH):
            batch = pks[start : start + ACCESSED_BATCH]
            params: list[int] = []
            for pk in batch:
                params += (event.pk, pk)
            cursor.execute(head + ", ".join(["(%s, %s)"] * len(batch)), params)
    return len(pks)


def diff_fields(before: Mapping[str, object], after: Mapping[str, object]) -> dict[str, FieldDiff]:
    """{field: {"before": old, "after": new}} for the fields whose value changed."""
    return {
        key: {"before": before.get(key), "after": value}
        for key, value in after.items()
        if before.get(key) != value
    }


def accessed_members_copy(*, event: AuditEvent, job_code: str) -> int:
    """Give ``event`` (a job's file downloaded) the members named by the access event that
    built that file (its detail ``{"job": code}``): one INSERT … SELECT. Returns how many."""
    built = (
        AuditEvent.objects.filter(kind=AuditEvent.Kind.ACCESS, changes__job=job_code)
        .exclude(pk=event.pk)
        .order_by("-id")
        .values_list("pk", flat=True)
        .first()
    )
    if built is None:
        return 0
    quote = connection.ops.quote_name
    meta = AccessedMember._meta
    table = quote(meta.db_table)
    event_col = quote(meta.get_field("event").column)
    member_col = quote(meta.get_field("member_pk").column)
    sql = (
        f"INSERT INTO {table} ({event_col}, {member_col}) "  # noqa: S608 (names from the model)
        f"SELECT %s, {member_col} FROM {table} WHERE {event_col} = %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [event.pk, built])
        return int(cursor.rowcount)
