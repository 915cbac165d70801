from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _


class PlanApproveForm(forms.Form):
    """Approve the plan of one unit exactly as it was shown (its fingerprint)."""

    fingerprint = forms.RegexField(
        regex=r"^[0-9a-f]{24}$", label=_("plan fingerprint"), widget=forms.HiddenInput
    )
    confirm_renames = forms.BooleanField(
        required=False,
        label=_("I confirm the LINE group will be renamed in LINE to the new name"),
    )


class DeputyForm(forms.Form):
    """Name the register's deputy among its members, or nobody."""

    deputy = forms.ChoiceField(label=_("Deputy representative"), required=False)

    def __init__(self, *args: Any, members: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        deputy = cast(forms.ChoiceField, self.fields["deputy"])
        deputy.choices = [("", _("— nobody —")), *members]


class SuccessorForm(forms.Form):
    """Name the successor who takes the register as it is."""

    member_number = forms.CharField(label=_("Successor's member number"), max_length=20)
    term_end = forms.DateField(
        label=_("Term ends"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("Empty: the rest of the predecessor's term, or four years."),
    )
    reason = forms.CharField(label=_("Why the representative changes"), max_length=200)


class VacateForm(forms.Form):
    """The representative leaves and nobody succeeds yet: the register becomes vacant."""

    reason = forms.ChoiceField(
        label=_("Why the representative leaves"),
        choices=[
            ("resigned", _("Resigned")),
            ("deceased", _("Deceased")),
            ("moved unit", _("Moved to another unit")),
            ("term ended", _("Term ended")),
            ("removed by staff", _("Removed by staff")),
        ],
    )


class TermRenewForm(forms.Form):
    """The new election's results: member numbers of re-elected representatives and the term."""

    file = forms.FileField(
        label=_("Election results (Excel: a column of member numbers)"), required=False
    )
    numbers = forms.CharField(
        label=_("or member numbers, one per line"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    term_start = forms.DateField(
        label=_("New term starts"), widget=forms.DateInput(attrs={"type": "date"})
    )
    term_end = forms.DateField(
        label=_("New term ends"), widget=forms.DateInput(attrs={"type": "date"})
    )
    confirm = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        start, end = data.get("term_start"), data.get("term_end")
        if start and end and end < start:
            self.add_error("term_end", _("The term must end after it starts."))
        return data
