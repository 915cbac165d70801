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
    REPRESENTATIVE = "rep_view", _("My representative may see my questions to the cooperative")


# News rests on the membership contract / legitimate interest: allowed until the member objects.
# Offers and coaching follow-ups need the member's consent first.
OPT_OUT_PURPOSES = frozenset({Purpose.NEWS})
# Purposes of messages (per channel: the planner asks about these).
MESSAGE_PURPOSES = (Purpose.NEWS, Purpose.OFFERS, Purpose.COACHING)


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


# "My representative may see my conversations" is about sharing, not about messages: one record
# per member, kept under the LINE channel, where the bot asks it (consent needed: no default).
REPRESENTATIVE_CHANNEL = Channel.LINE


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


class DataRequest(models.Model):
    """A member's request under the PDPA (ss.30–36), answered within 30 days."""

    class Kind(models.TextChoices):
        ACCESS = "access", _("Access (a copy of my data)")
        PORTABILITY = "portability", _("Portability (my data in a machine-readable file)")
        RECTIFICATION = "rectification", _("Rectification")
        OBJECTION = "objection", _("Objection")
        ERASURE = "erasure", _("Erasure")
        RESTRICTION = "restriction", _("Restriction of processing")
        WITHDRAWAL = "withdrawal", _("Withdrawal of consent")

    class State(models.TextChoices):
        RECEIVED = "received", _("Received")
        IN_PROGRESS = "in_progress", _("In progress")
        DONE = "done", _("Done")
        REFUSED = "refused", _("Refused (with the reason)")

    class Via(models.TextChoices):
        LINE = "line", _("LINE")
        REPRESENTATIVE = "representative", _("Through the representative")
        PAPER = "paper", _("Paper form or letter")
        EMAIL = "email", _("E-mail")
        IN_PERSON = "in_person", _("In person")

    OPEN_STATES = (State.RECEIVED, State.IN_PROGRESS)

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="data_requests")
    kind = models.CharField(_("request"), max_length=15, choices=Kind.choices)
    via = models.CharField(_("received through"), max_length=15, choices=Via.choices)
    received_on = models.DateField(_("received on"))
    due_on = models.DateField(_("answer due by"))
    state = models.CharField(
        _("state"), max_length=12, choices=State.choices, default=State.RECEIVED, db_index=True
    )
    details = models.TextField(_("what the member asks"), blank=True)
    answer = models.TextField(_("answer"), blank=True)
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["due_on", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(due_on__gte=models.F("received_on")), name="datarequest_due_after"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.received_on} ({self.get_state_display()})"

    @property
    def is_open(self) -> bool:
        return self.state in self.OPEN_STATES


class Erasure(models.Model):
    """The ledger of erasures: re-applied after a backup is restored, so nobody comes back."""

    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="erasures")
    member_number = models.CharField(max_length=20)
    request = models.ForeignKey(
        DataRequest, null=True, blank=True, on_delete=models.SET_NULL, related_name="erasures"
    )
    erased_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    erased_at = models.DateTimeField()
    counts = models.JSONField(default=dict)

    class Meta:
        ordering = ["-erased_at"]

    def __str__(self) -> str:
        return f"{self.member_number} erased {self.erased_at:%Y-%m-%d}"


class Breach(models.Model):
    """A personal-data breach: the PDPC Office is told within 72 hours of discovery (s.37(4))."""

    class Risk(models.TextChoices):
        UNKNOWN = "unknown", _("Not assessed yet")
        NONE = "none", _("No risk to rights and freedoms")
        RISK = "risk", _("Risk: notify the PDPC Office")
        HIGH = "high", _("High risk: notify the Office and the members")

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    title = models.CharField(_("what happened"), max_length=200)
    description = models.TextField(_("details"), blank=True)
    discovered_at = models.DateTimeField(_("discovered at"))
    occurred_at = models.DateTimeField(_("occurred at (if known)"), null=True, blank=True)
    risk = models.CharField(_("risk"), max_length=10, choices=Risk.choices, default=Risk.UNKNOWN)
    members_affected = models.ManyToManyField(Member, blank=True, related_name="+")
    affected_estimate = models.PositiveIntegerField(_("members affected (estimate)"), default=0)
    office_notified_at = models.DateTimeField(_("PDPC Office notified at"), null=True, blank=True)
    members_notified_at = models.DateTimeField(_("members notified at"), null=True, blank=True)
    measures = models.TextField(_("measures taken"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-discovered_at"]

    def __str__(self) -> str:
        return self.title
