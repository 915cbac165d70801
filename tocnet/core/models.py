import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditEvent(models.Model):
    """Who did what to which record, when: changes and reads of personal data (PDPA)."""

    class Kind(models.TextChoices):
        CHANGE = "change", _("Change")
        ACCESS = "access", _("Access to personal data")
        SECURITY = "security", _("Security")

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.CHANGE)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="audit_events",
    )
    actor_repr = models.CharField(max_length=150, blank=True)
    action = models.CharField(max_length=80)
    target_type = models.CharField(max_length=80, blank=True)
    target_id = models.CharField(max_length=64, blank=True)
    target_repr = models.CharField(max_length=200, blank=True)
    changes = models.JSONField(default=dict, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["target_type", "target_id"])]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.actor_repr or '-'} {self.action} {self.target_repr}"


class AccessedMember(models.Model):
    """One member an access event showed: a list page's rows on the page, every member of an
    export or a job's file. The DPO's search by member and a member's own export find the event
    through these rows. The member is named by its primary key only (core comes before members
    in the app order); the rows go with their event (retention) and stay after an erasure,
    pointing at the anonymised member (docs/privacy.md)."""

    # Looked up by event through the unique constraint's index (event first): no index of its own.
    event = models.ForeignKey(
        AuditEvent, on_delete=models.CASCADE, related_name="members_shown", db_index=False
    )
    member_pk = models.BigIntegerField(db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["event", "member_pk"], name="accessed_member_once")
        ]

    def __str__(self) -> str:
        return f"{self.event_id} → member #{self.member_pk}"


class DataVersion(models.Model):
    """A counter bumped when a kind of data changes, so caches of figures built from it (the
    dashboard's) know they are stale in every process (tocnet.core.versions)."""

    name = models.CharField(max_length=40, unique=True)
    value = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.name} v{self.value}"
