from django import forms
from django.utils.translation import gettext_lazy as _


class ContactForm(forms.Form):
    phones = forms.CharField(
        label=_("Phones"),
        required=False,
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Several numbers may be separated by commas or new lines."),
    )
    email = forms.CharField(label=_("E-mail"), required=False, max_length=254)
    line_id = forms.CharField(label=_("LINE ID"), required=False, max_length=100)
    no_line = forms.BooleanField(label=_("Does not use LINE"), required=False)
    unreachable_reason = forms.CharField(
        label=_("Why the member cannot be reached"),
        required=False,
        max_length=200,
        help_text=_("Only when there is no phone, e-mail or LINE."),
    )
