"""The member's privacy preferences inside LINE (a LIFF page below the LIFF endpoint): per
purpose and channel what the cooperative may send, and whether their representative may see
their questions. Each change is a consent recorded how=LINE with the current notice version.

It lives here, the last app, because it needs both the privacy records and the LIFF identity
of the responses pages (messaging); privacy itself comes before both."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from tocnet.members.models import Member
from tocnet.privacy.models import Method, Purpose
from tocnet.privacy.notice import current_notice
from tocnet.privacy.selectors import ConsentCell, consent_matrix_for_member
from tocnet.privacy.services import consent_set

ACTOR = "member-in-line"

EXPLANATIONS = {
    Purpose.NEWS: gettext_lazy(
        "News of the cooperative: sent to every member as part of the membership. Untick a "
        "channel to object."
    ),
    Purpose.OFFERS: gettext_lazy(
        "Offers of the cooperative's products and services: only if you tick."
    ),
    Purpose.COACHING: gettext_lazy(
        "Follow-ups from your representative as your financial coach: only if you tick."
    ),
    Purpose.REPRESENTATIVE: gettext_lazy(
        "Your representative sees the questions you ask the cooperative, adds notes and "
        "answers simple ones: only if you tick."
    ),
}


def preferences_url() -> str:
    """The link that opens this page inside LINE."""
    from tocnet.messaging.responses.liff import liff_url

    return liff_url(reverse("preferences:edit"))


def _field_name(cell: ConsentCell) -> str:
    return f"{cell.purpose}-{cell.channel}"


class PreferencesForm(forms.Form):
    """One checkbox per purpose and channel (one for the representative's access)."""

    def __init__(self, cells: list[ConsentCell], *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for cell in cells:
            label = (
                gettext_lazy("I allow it")
                if cell.purpose == Purpose.REPRESENTATIVE
                else cell.channel_label
            )
            self.fields[_field_name(cell)] = forms.BooleanField(
                required=False, initial=cell.allowed, label=label
            )


def preferences_save(*, member: Member, cells: list[ConsentCell], chosen: dict[str, bool]) -> int:
    """Record each choice that differs from what holds now (a default counts as what holds);
    returns how many changed. One transaction: all or nothing."""
    changed = 0
    with transaction.atomic():
        for cell in cells:
            allowed = bool(chosen.get(_field_name(cell)))
            if allowed == cell.allowed:
                continue
            consent_set(
                member=member,
                purpose=cell.purpose,
                channel=cell.channel,
                allowed=allowed,
                method=Method.LINE,
                actor=ACTOR,
                notice_version=current_notice().version,
            )
            changed += 1
    return changed


def _groups(form: PreferencesForm, cells: list[ConsentCell]) -> list[dict[str, object]]:
    groups: dict[str, dict[str, object]] = {}
    for cell in cells:
        group = groups.setdefault(
            cell.purpose,
            {
                "purpose": cell.purpose,
                "label": cell.purpose_label,
                "explanation": EXPLANATIONS.get(Purpose(cell.purpose), ""),
                "fields": [],
            },
        )
        fields = group["fields"]
        assert isinstance(fields, list)
        fields.append(form[_field_name(cell)])
    return list(groups.values())


@never_cache
@require_http_methods(["GET", "POST"])
def preferences_edit(request: HttpRequest) -> HttpResponse:
    """The LIFF page: the LINE user proves who they are (ID token), must be a linked member,
    then sees and changes their choices."""
    from tocnet.messaging.responses.views import liff_line_user, liff_start

    line_user = liff_line_user(request)
    if line_user is None:
        return liff_start(request, request.get_full_path())
    member = Member.objects.filter(line_user_id=line_user).first()
    if member is None:
        return redirect(f"{reverse('responses:liff_link')}?next={request.path}")
    cells = consent_matrix_for_member(member)
    form = PreferencesForm(cells, request.POST or None)
    if request.method == "POST" and form.is_valid():
        changed = preferences_save(member=member, cells=cells, chosen=form.cleaned_data)
        if changed:
            messages.success(request, _("Saved. Thank you: the cooperative follows your choices."))
        else:
            messages.info(request, _("Nothing changed."))
        return redirect("preferences:edit")
    return render(
        request,
        "conversations/preferences.html",
        {
            "member": member,
            "form": form,
            "groups": _groups(form, cells),
            "notice": current_notice(),
        },
    )
