from django import forms
from django.utils.translation import gettext_lazy as _

from tocnet.privacy.models import Breach, Channel, DataRequest, Purpose


class ConsentForm(forms.Form):
    purpose = forms.ChoiceField(label=_("purpose"), choices=Purpose.choices)
    channel = forms.ChoiceField(label=_("channel"), choices=Channel.choices)
    allowed = forms.TypedChoiceField(
        label=_("The member's choice"),
        choices=[("1", _("Allows")), ("0", _("Does not allow / objects"))],
        coerce=lambda v: v == "1",
    )
    member_statement = forms.CharField(
        label=_("the member's words"), required=False, max_length=300
    )


class DataRequestForm(forms.Form):
    member_number = forms.CharField(label=_("member number"), max_length=20)
    kind = forms.ChoiceField(label=_("request"), choices=DataRequest.Kind.choices)
    via = forms.ChoiceField(label=_("received through"), choices=DataRequest.Via.choices)
    received_on = forms.DateField(
        label=_("received on"), widget=forms.DateInput(attrs={"type": "date"})
    )
    details = forms.CharField(
        label=_("what the member asks"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


class DataRequestUpdateForm(forms.Form):
    state = forms.ChoiceField(label=_("state"), choices=DataRequest.State.choices)
    answer = forms.CharField(
        label=_("answer"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


class BreachForm(forms.ModelForm[Breach]):
    class Meta:
        model = Breach
        fields = [
            "title",
            "description",
            "discovered_at",
            "occurred_at",
            "risk",
            "affected_estimate",
            "office_notified_at",
            "members_notified_at",
            "measures",
        ]
        widgets = {
            "discovered_at": forms.DateTimeInput(attrs={"type": "datetime-local"}),
            "occurred_at": forms.DateTimeInput(attrs={"type": "datetime-local"}),
            "office_notified_at": forms.DateTimeInput(attrs={"type": "datetime-local"}),
            "members_notified_at": forms.DateTimeInput(attrs={"type": "datetime-local"}),
        }
