import uuid

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _


class Department(models.Model):
    """A department of the cooperative (credit, deposits, welfare...): its staff answer the
    members' questions about it and author its announcements. Editable in the admin."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=120)
    ordering = models.PositiveSmallIntegerField(_("ordering"), default=0)
    # Words members use when asking about the department, one per line (core.thai.keyword_lines):
    # a member's question using them goes to its team (conversations.routing). Empty: never
    # chosen by keywords.
    keywords = models.TextField(
        _("keywords"),
        blank=True,
        help_text=_(
            "Words or short phrases members use when asking about this department, one per "
            "line (for example a new loan product's name). A member's question using them "
            "goes to this department's team; with none, questions reach it only through the "
            "menu or triage."
        ),
    )

    class Meta:
        ordering = ["ordering", "code"]
        verbose_name = _("department")
        verbose_name_plural = _("departments")

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):
    """A person who signs in: cooperative staff, coop agent, representative, board, member."""

    class Role(models.TextChoices):
        STAFF = "staff", _("Cooperative staff")
        AGENT = "agent", _("Coop agent")
        REPRESENTATIVE = "representative", _("Member representative")
        BOARD = "board", _("Board / committee")
        MEMBER = "member", _("Member")

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.MEMBER)
    display_name = models.CharField(_("display name"), max_length=150, blank=True)
    line_user_id = models.CharField(max_length=64, null=True, blank=True, unique=True)
    # Two-step sign-in (accounts.two_factor): on once an authenticator is enrolled; the epoch
    # is bumped by a reset, which makes every session and remembered browser ask again. Kept
    # on the user row so checking a session costs no query.
    second_factor_enabled = models.BooleanField(default=False)
    second_factor_epoch = models.PositiveIntegerField(default=0)
    # A one-time enrolment code (hashed) issued by another staff member at a reset, and until
    # when it works: without it, a user who must use the second factor enrols with the
    # password alone only during the first days after the account was made (docs/decisions/0007).
    second_factor_enrol_code = models.CharField(max_length=128, blank=True)
    second_factor_enrol_until = models.DateTimeField(null=True, blank=True)
    departments = models.ManyToManyField(
        Department, blank=True, related_name="users", verbose_name=_("departments")
    )

    def __str__(self) -> str:
        return self.display_name or self.get_full_name() or self.username


class LoginFailure(models.Model):
    """One failed sign-in; counted per username and per address to slow and lock guessing."""

    username = models.CharField(max_length=150, db_index=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.username} {self.ip_address} {self.created_at:%Y-%m-%d %H:%M:%S}"


class SigninCounter(models.Model):
    """Sign-in attempts counted per key (a username, a username at an address, an address).

    Attempts are counted before the password is checked, under a row lock, so parallel guesses
    cannot all slip through between a check and a count.
    """

    key = models.CharField(max_length=250, unique=True)
    attempts = models.PositiveIntegerField(default=0)
    window_start = models.DateTimeField()
    last_attempt_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.key} {self.attempts}"
