"""Previews nobody confirmed are discarded after a week (their parsed rows hold personal data).

Apart from the importer so that the periodic job and the privacy registry, loaded by every
process at start-up, do not import the file readers and normalisers.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from tocnet.core.audit import audit_record
from tocnet.members.models import ImportJob

PREVIEW_KEPT = dt.timedelta(days=7)


def import_previews_expire(*, older_than: dt.timedelta = PREVIEW_KEPT) -> int:
    """Discard member and representative previews nobody confirmed within `older_than`.

    Their parsed rows (names, phones, sealed national IDs) go; the counts stay for the
    history. One audit event per job; returns how many were discarded.
    """
    cutoff = timezone.now() - older_than
    stale = ImportJob.objects.filter(
        kind__in=(ImportJob.Kind.MEMBERS, ImportJob.Kind.REPRESENTATIVES),
        status=ImportJob.Status.PREVIEW,
        created_at__lt=cutoff,
    )
    expired = 0
    for job in stale.only("pk", "code", "kind", "file_name", "status"):
        with transaction.atomic():
            # Conditional: a preview confirmed meanwhile is left alone.
            if (
                ImportJob.objects.filter(pk=job.pk, status=ImportJob.Status.PREVIEW).update(
                    status=ImportJob.Status.DISCARDED, result={}
                )
                != 1
            ):
                continue
            job.status = ImportJob.Status.DISCARDED
            audit_record(
                actor="system: preview expiry",
                action="import.expire",
                target=job,
                changes={"older_than_days": older_than.days},
            )
            expired += 1
    return expired
