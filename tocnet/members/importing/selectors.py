"""Reads of import jobs through the user's scope: staff see all, agents their own uploads.

Only member and representative lists: returned attachment 3 forms (kind "form", tocnet.reports)
are ImportJobs too, with their own pages and another result layout.
"""

from __future__ import annotations

import uuid

from django.db.models import QuerySet
from django.http import Http404

from tocnet.accounts import roles
from tocnet.accounts.models import User
from tocnet.members.models import ImportJob

KINDS = (ImportJob.Kind.MEMBERS, ImportJob.Kind.REPRESENTATIVES)


def _jobs_for_user(user: User) -> QuerySet[ImportJob]:
    jobs = ImportJob.objects.select_related("uploaded_by", "unit").filter(kind__in=KINDS)
    if not roles.can_import(user):
        return jobs.none()
    if roles.is_cooperative_staff(user):
        return jobs
    return jobs.filter(uploaded_by=user)


def import_job_list_for_user(user: User) -> QuerySet[ImportJob]:
    """Import jobs the user may see, newest first, without the (large) parsed rows."""
    return _jobs_for_user(user).defer("result")


def get_import_job_for_user(user: User, code: object) -> ImportJob:
    """One job by code with its results, or 404 when missing or outside the user's scope."""
    try:
        key = uuid.UUID(str(code))
    except ValueError as exc:
        raise Http404 from exc
    try:
        return _jobs_for_user(user).get(code=key)
    except ImportJob.DoesNotExist as exc:
        raise Http404 from exc
