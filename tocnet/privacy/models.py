"""PDPA records: consent per member, purpose and channel, restriction of processing."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from tocnet.members.models import Member


class Purpose(models.TextChoices):
    """Why the cooperative messages a member; each has its lawful basis (docs/privacy.md)."""

    NEWS = "news", _("News of the cooperative")
    OFFERS = "offers", _("Product and service offers")
    COACHING = "coaching", _("Financial-coach follow-ups")


# News rests on the membership contract / legitimate interest: allowed until the member objects.
# Offers and coaching follow-ups need the member's consent first.
OPT_OUT_PURPOSES = frozenset({Purpose.NEWS})


class Channel(models.TextChoices):
    LINE = "line", _("LINE")
    SMS = "sms", _("SMS")
    EMAIL = "email", _("E-mail")


class Method(models.TextChoices):
    """How a consent or objection reached the cooperative."""

    LINE = "line", _("By the member in LINE")
    REPRESENTATIVE = "representative", _("Member's word, recorded by their representative")
    PAPER = "paper", _("Paper form, entered by staff")
    SYSTEM = "system", _("By the system (erasure, restriction)")


class Consent(models.Model):
    """The current choice of one member for one purpose on one channel (history in ConsentChange)."""

    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="consents")
    purpose = models.CharField(_("purpose"), max_length=10, choices=Purpose.choices)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    allowed = models.BooleanField(_("allowed"))
    method = models.CharField(_("how"), max_length=20, choices=Method.choices)
    notice_version = models.CharField(_("privacy notice version"), max_length=20)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    recorded_at = models.DateTimeField(_("recorded at"))

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["member", "purpose", "channel"], name="consent_one_per_member_purpose"
            )
        ]
        indexes = [models.Index(fields=["purpose", "channel", "allowed"])]
        permissions = [("dpo", "Data protection officer: access log, breaches, requests")]

    def __str__(self) -> str:
        state = "allowed" if self.allowed else "refused"
        return f"{self.member_id} {self.purpose}/{self.channel}: {state}"


class ConsentChange(models.Model):
    """One change of a consent, never edited: who, when, how, under which notice version."""

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="consent_changes")
    purpose = models.CharField(max_length=10, choices=Purpose.choices)
    channel = models.CharField(max_length=10, choices=Channel.choices)
    allowed = models.BooleanField()
    previous = models.BooleanField(null=True, help_text="None: no earlier choice (the default)")
    method = models.CharField(max_length=20, choices=Method.choices)
    notice_version = models.CharField(max_length=20)
    member_statement = models.CharField(
        _("the member's words"),
        max_length=300,
        blank=True,
        help_text=_("What the member said, as the representative heard it"),
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    recorded_by_repr = models.CharField(max_length=150, blank=True)
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.member_id} {self.purpose}/{self.channel} → {self.allowed} ({self.method})"


class Restriction(models.Model):
    """Restriction of processing (PDPA s.34): the member is kept but hidden from sends and search."""

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    member = models.ForeignKey(
        Member, on_delete=models.CASCADE, related_name="privacy_restrictions"
    )
    active = models.BooleanField(default=True)
    reason = models.CharField(_("reason"), max_length=300)
    started_at = models.DateTimeField()
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    lifted_at = models.DateTimeField(null=True, blank=True)
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-started_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["member"],
                condition=Q(active=True),
                name="restriction_one_active_per_member",
            )
        ]

    def __str__(self) -> str:
        return f"{self.member_id} restricted {self.started_at:%Y-%m-%d}" + (
            "" if self.active else " (lifted)"
        )
