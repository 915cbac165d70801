from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from tocnet.accounts import roles
from tocnet.accounts.models import Department, User
from tocnet.conversations.models import Article, Conversation


class AnswerForm(forms.Form):
    text = forms.CharField(
        label=_("Answer"), max_length=5000, widget=forms.Textarea(attrs={"rows": 4})
    )


class ArticleShareForm(forms.Form):
    """Send a knowledge-base article as the answer (the representative's way on any question)."""

    article = forms.ModelChoiceField(
        queryset=Article.objects.filter(published=True),
        to_field_name="code",
        label=_("Knowledge-base article"),
        empty_label=_("Choose an article"),
    )

    def __init__(self, *args: Any, articles: list[Article] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = cast(forms.ModelChoiceField[Article], self.fields["article"])
        if articles is not None:
            # the conversation's team first (the queryset still validates what comes back)
            field.choices = [("", field.empty_label or ""), *((a.code, str(a)) for a in articles)]


class NoteForm(forms.Form):
    note = forms.CharField(
        label=_("Internal note"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


class ManageForm(forms.Form):
    department = forms.ModelChoiceField(
        queryset=Department.objects.all(),
        required=False,
        label=_("Department"),
        empty_label=_("Triage"),
    )
    assigned_to = forms.ModelChoiceField(
        queryset=User.objects.none(),
        required=False,
        label=_("Assigned to"),
        empty_label=_("Nobody"),
    )
    status = forms.ChoiceField(choices=Conversation.Status.choices, label=_("Status"))
    rep_may_answer = forms.BooleanField(
        required=False,
        label=_("A simple question: the member's representative may answer it"),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        assigned_to = cast(forms.ModelChoiceField[User], self.fields["assigned_to"])
        assigned_to.queryset = roles.staff_accounts().order_by("username")
