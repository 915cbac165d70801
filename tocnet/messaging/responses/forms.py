from django import forms
from django.utils.translation import gettext_lazy as _


class LinkForm(forms.Form):
    """Who the LINE user is: member number and the last four digits of a phone on file."""

    number = forms.CharField(
        label=_("Member number"),
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    last4 = forms.CharField(
        label=_("Last 4 digits of your phone number on file"),
        max_length=10,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
