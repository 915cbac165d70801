"""Thai names for the models the admin lists, and for the apps that hold them.

Names are set here at start-up (``CoreConfig.ready``) rather than in each model's Meta so that
the admin reads Thai without a migration in every app; a model that declares its own
``verbose_name`` keeps it. New models: add their names here (test_model_names checks this list).
"""

from django.apps import apps
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

MODEL_NAMES: dict[str, tuple[Promise, Promise]] = {
    "core.AuditEvent": (_("audit record"), _("audit records")),
    "accounts.LoginFailure": (_("failed sign-in"), _("failed sign-ins")),
    "accounts.SigninCounter": (_("sign-in counter"), _("sign-in counters")),
    "members.UnitAgent": (_("unit agent"), _("unit agents")),
    "members.Phone": (_("phone number"), _("phone numbers")),
    "members.Representative": (_("member representative"), _("member representatives")),
    "members.ImportJob": (_("member list import"), _("member list imports")),
    "privacy.Consent": (_("consent"), _("consents")),
    "privacy.ConsentChange": (_("consent change"), _("consent changes")),
    "privacy.Restriction": (_("restriction of use"), _("restrictions of use")),
    "privacy.DataRequest": (_("data subject request"), _("data subject requests")),
    "privacy.Erasure": (_("erasure"), _("erasures")),
    "privacy.Breach": (_("personal data breach"), _("personal data breaches")),
    "registers.Register": (_("member register"), _("member registers")),
    "registers.RegisterMembership": (_("register membership"), _("register memberships")),
    "line.WebhookEvent": (_("event received from LINE"), _("events received from LINE")),
    "line.LineGroup": (_("LINE group"), _("LINE groups")),
    "line.GroupMemberSighting": (
        _("member seen in a LINE group"),
        _("members seen in LINE groups"),
    ),
    "line.RegisterCode": (_("register verification code"), _("register verification codes")),
    "line.LineFriend": (_("friend of the LINE account"), _("friends of the LINE account")),
    "line.LinkAttempt": (_("LINE linking attempt"), _("LINE linking attempts")),
    "messaging.Announcement": (_("announcement"), _("announcements")),
    "messaging.LineBatch": (_("LINE sending batch"), _("LINE sending batches")),
    "messaging.Delivery": (_("delivery"), _("deliveries")),
    "messaging.Recipient": (_("recipient"), _("recipients")),
    "messaging.Relay": (_("relay into a group"), _("relays into groups")),
    "messaging.Ask": (_("question to members"), _("questions to members")),
    "messaging.PollOption": (_("poll option"), _("poll options")),
    "messaging.Response": (_("member response"), _("member responses")),
    "messaging.ResponseLink": (_("response link"), _("response links")),
    "messaging.TimelineEntry": (_("timeline entry"), _("timeline entries")),
    "messaging.Chase": (_("follow-up"), _("follow-ups")),
    "reports.MemberFormReport": (_("member data from a form"), _("member data from forms")),
    "reports.ReportJob": (_("report job"), _("report jobs")),
    "reports.Campaign": (_("form round"), _("form rounds")),
    "reports.UnitSubmission": (_("unit submission"), _("unit submissions")),
}

APP_NAMES: dict[str, Promise] = {
    "core": _("System records"),
    "accounts": _("User accounts"),
    "members": _("Members"),
    "privacy": _("Personal data"),
    "registers": _("Registers"),
    "line": _("LINE"),
    "messaging": _("Announcements"),
    "conversations": _("Conversations"),
    "reports": _("Reports and forms"),
}


def thai_model_names_apply() -> None:
    """Give the admin Thai model and app names; Meta-declared names win. Idempotent."""
    for label, (singular, plural) in MODEL_NAMES.items():
        try:
            model = apps.get_model(label)
        except LookupError:  # a model another branch has not landed (or removed)
            continue
        declared = model._meta.original_attrs
        if "verbose_name" not in declared:
            model._meta.verbose_name = singular
        if "verbose_name_plural" not in declared:
            model._meta.verbose_name_plural = plural
    for label, name in APP_NAMES.items():
        try:
            apps.get_app_config(label).verbose_name = name  # type: ignore[assignment]
        except LookupError:
            continue
