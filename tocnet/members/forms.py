import re

from django import forms
from django.utils.translation import gettext_lazy as _

from tocnet.core.thai import to_arabic_digits
from tocnet.members.importing.normalize import normalize_email, parse_phones

# 06x/08x/09x (or +66 6/8/9...) is a Thai mobile: exactly 10 digits with the leading 0.
_MOBILE_PREFIX = re.compile(r"^(?:\+?66|0)?[689]")


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

    def clean_phones(self) -> str:
        """Every number must be readable: a Thai mobile of 10 digits, a landline, or +country."""
        text: str = self.cleaned_data["phones"]
        problems: list[str] = []
        for value in parse_phones(text):
            if value.valid:
                continue
            digits = re.sub(r"\D", "", to_arabic_digits(value.raw))
            if _MOBILE_PREFIX.match(digits) and digits.startswith(("0", "6")):
                problems.append(
                    str(
                        _(
                            "“%(value)s” is not a mobile number: a Thai mobile number has 10 "
                            "digits and starts with 06, 08 or 09 (for example 081-234-5678)."
                        )
                        % {"value": value.raw}
                    )
                )
            else:
                problems.append(
                    str(
                        _(
                            "“%(value)s” is not a phone number: type a mobile number of 10 "
                            "digits (081-234-5678) or a landline with its area code "
                            "(02-123-4567)."
                        )
                        % {"value": value.raw}
                    )
                )
        if problems:
            raise forms.ValidationError(problems)
        return text

    def clean_email(self) -> str:
        text: str = self.cleaned_data["email"]
        address, valid = normalize_email(text)
        if not valid:
            raise forms.ValidationError(
                _("“%(value)s” is not an e-mail address (for example somchai@example.com)."),
                params={"value": text},
            )
        return address
