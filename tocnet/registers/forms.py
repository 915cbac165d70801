from django import forms
from django.utils.translation import gettext_lazy as _


class PlanApproveForm(forms.Form):
    """Approve the plan of one unit exactly as it was shown (its fingerprint)."""

    fingerprint = forms.RegexField(
        regex=r"^[0-9a-f]{24}$", label=_("plan fingerprint"), widget=forms.HiddenInput
    )
