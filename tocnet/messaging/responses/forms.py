from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from tocnet.messaging.responses.models import Ask, PollOption


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


class AnswerForm(forms.Form):
    """The answer to what an announcement asks: nothing (รับทราบ), a poll option, or text."""

    option = forms.ModelChoiceField(queryset=PollOption.objects.none(), required=False)
    text = forms.CharField(
        max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 4})
    )

    def __init__(self, *args: Any, ask: Ask | None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.ask = ask
        if ask is not None and ask.kind == Ask.Kind.POLL:
            field = self.fields["option"]
            assert isinstance(field, forms.ModelChoiceField)
            field.queryset = PollOption.objects.filter(ask=ask)
            field.required = True
            field.to_field_name = "position"
        if ask is not None and ask.kind == Ask.Kind.FEEDBACK:
            self.fields["text"].required = True


class MarkForm(forms.Form):
    """A representative's mark on a member who has not responded."""

    WAYS = (
        ("rep_phone", _("Informed by phone")),
        ("rep_in_person", _("Informed in person")),
        ("rep_unreachable", _("Could not reach")),
    )
    way = forms.ChoiceField(choices=WAYS)
    note = forms.CharField(label=_("Why"), max_length=200, required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("way") == "rep_unreachable" and not (data.get("note") or "").strip():
            self.add_error("note", _("Say why they could not be reached."))
        return data


class StaffCallForm(forms.Form):
    """Staff's mark on a member of the call queue."""

    WAYS = (
        ("staff_call", _("Informed by phone")),
        ("staff_unreached", _("Could not reach")),
    )
    way = forms.ChoiceField(choices=WAYS)
    note = forms.CharField(label=_("Why"), max_length=200, required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("way") == "staff_unreached" and not (data.get("note") or "").strip():
            self.add_error("note", _("Say why they could not be reached."))
        return data


class AskForm(forms.Form):
    """What an announcement asks of its recipients."""

    kind = forms.ChoiceField(label=_("Ask for"), choices=Ask.Kind.choices, widget=forms.RadioSelect)
    question = forms.CharField(label=_("Question"), max_length=300, required=False)
    options = forms.CharField(
        label=_("Answers (poll): one per line, 2 to 6"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
    )
    audience = forms.ChoiceField(label=_("Asked of"), choices=Ask.Audience.choices)
    member_hours = forms.IntegerField(
        label=_("Members have (hours)"), min_value=1, max_value=720, initial=48
    )
    representative_hours = forms.IntegerField(
        label=_("Then representatives have (hours)"), min_value=1, max_value=720, initial=48
    )
    deputy_hours = forms.IntegerField(
        label=_("Then deputies and coop agents have (hours)"),
        min_value=1,
        max_value=720,
        initial=48,
    )
    staff_hours = forms.IntegerField(
        label=_("Then staff call the unreached (hours); then answers close"),
        help_text=_("Answers close after this, unless a closing time is given below."),
        min_value=1,
        max_value=720,
        initial=48,
        required=False,
    )
    closes_at = forms.DateTimeField(
        label=_("Answers accepted until (empty: after the staff's hours)"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M"],
    )

    def clean_staff_hours(self) -> int:
        value = self.cleaned_data.get("staff_hours")
        return 48 if value is None else int(value)
