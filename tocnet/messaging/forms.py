"""The compose form: content, audience, channels, timing; images checked and resized for LINE."""

from __future__ import annotations

import io
from typing import Any

from django import forms
from django.core.files.uploadedfile import InMemoryUploadedFile, UploadedFile
from django.utils.translation import gettext_lazy as _

from tocnet.accounts import roles
from tocnet.accounts.models import Department, User
from tocnet.members.models import Member, Unit
from tocnet.messaging.models import Announcement, Channel
from tocnet.messaging.planning import MEMBER_CHANNELS, AudienceJSON
from tocnet.registers.models import Register

# The compose page's purpose choices, each with who will receive it (docs/privacy.md).
PURPOSE_CHOICES = [
    (
        Announcement.Purpose.NEWS.value,
        _(
            "News of the cooperative: every member of the audience, except on a channel they objected to"
        ),
    ),
    (
        Announcement.Purpose.OFFERS.value,
        _(
            "Product or service offer: only members who consented to offers, on the channels they "
            "consented to, one by one (never into a LINE group)"
        ),
    ),
    (
        Announcement.Purpose.COACHING.value,
        _(
            "Financial-coach follow-up: only members who consented to coaching follow-ups, on the "
            "channels they consented to, one by one (never into a LINE group)"
        ),
    ),
]

IMAGE_MAX_BYTES = 10 * 1024 * 1024
IMAGE_MAX_SIDE = 1024  # LINE's Flex image limit


class AnnouncementForm(forms.ModelForm[Announcement]):
    scope = forms.ChoiceField(
        label=_("Send to"),
        choices=[
            ("all", _("The whole cooperative")),
            ("units", _("Chosen units")),
            ("registers", _("Chosen registers")),
        ],
        initial="all",
    )
    units = forms.ModelMultipleChoiceField(
        label=_("Units"), queryset=Unit.objects.none(), to_field_name="code", required=False
    )
    registers = forms.ModelMultipleChoiceField(
        label=_("Registers"),
        queryset=Register.objects.none(),
        to_field_name="code",
        required=False,
    )
    member_types = forms.MultipleChoiceField(
        label=_("Member type (none ticked: all)"),
        choices=Member.MemberType.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    channels = forms.MultipleChoiceField(
        label=_("Channels allowed"),
        choices=[(c.value, c.label) for c in MEMBER_CHANNELS],
        initial=[c.value for c in MEMBER_CHANNELS],
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = Announcement
        fields = [
            "title",
            "body",
            "image",
            "link",
            "category",
            "purpose",
            "department",
            "is_public",
            "sms_text",
            "mode",
            "oa_broadcast",
            "scheduled_at",
            "relay_delay_minutes",
        ]
        widgets = {
            "body": forms.Textarea(attrs={"rows": 10, "data-preview": "body"}),
            "purpose": forms.RadioSelect,
            "title": forms.TextInput(attrs={"data-preview": "title"}),
            "sms_text": forms.TextInput(attrs={"data-sms-count": "1", "maxlength": 320}),
            "scheduled_at": forms.DateTimeInput(
                attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"
            ),
        }

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        units = Unit.objects.order_by("name")
        registers = Register.objects.filter(retired_at__isnull=True).select_related("unit")
        if roles.is_agent(user):
            mine = user.unit_links.values("unit_id")
            units = units.filter(pk__in=mine)
            registers = registers.filter(unit_id__in=mine)
            scope_field: Any = self.fields["scope"]
            scope_field.choices = [c for c in scope_field.choices if c[0] != "all"]
            self.fields["scope"].initial = "units"
        self.fields["units"].queryset = units  # type: ignore[attr-defined]
        self.fields["registers"].queryset = registers.order_by("unit__name", "number")  # type: ignore[attr-defined]
        self.fields["department"].queryset = Department.objects.all()  # type: ignore[attr-defined]
        self.fields["purpose"].choices = PURPOSE_CHOICES  # type: ignore[attr-defined]
        self.fields["purpose"].required = False  # left out (an older page): news
        audience = self.instance.audience or {}
        if audience and not self.is_bound:
            self.initial.update(
                scope=audience.get("scope", "all"),
                units=audience.get("units", []),
                registers=audience.get("registers", []),
                member_types=audience.get("member_types", []),
                channels=audience.get("channels") or [c.value for c in MEMBER_CHANNELS],
            )

    def clean_image(self) -> UploadedFile | None:
        image = self.cleaned_data.get("image")
        if not image or not isinstance(image, UploadedFile):
            return image
        if image.size and image.size > IMAGE_MAX_BYTES:
            raise forms.ValidationError(_("The image is larger than 10 MB. / รูปภาพใหญ่เกิน 10 MB"))
        from PIL import Image, UnidentifiedImageError

        picture: Any
        try:
            picture = Image.open(image)
            picture.load()
        except (UnidentifiedImageError, OSError) as exc:
            raise forms.ValidationError(
                _("The image could not be read: use a JPEG or PNG file.")
            ) from exc
        if picture.format not in ("JPEG", "PNG"):
            raise forms.ValidationError(_("The image must be a JPEG or PNG file."))
        fmt = picture.format
        if max(picture.size) > IMAGE_MAX_SIDE:
            picture.thumbnail((IMAGE_MAX_SIDE, IMAGE_MAX_SIDE))
        if picture.mode not in ("RGB", "L") and fmt == "JPEG":
            picture = picture.convert("RGB")
        out = io.BytesIO()
        picture.save(out, format=fmt, quality=85, optimize=True)
        name = (image.name or "image").rsplit(".", 1)[0] + (".jpg" if fmt == "JPEG" else ".png")
        return InMemoryUploadedFile(
            out,
            "image",
            name,
            "image/jpeg" if fmt == "JPEG" else "image/png",
            out.tell(),
            None,
        )

    def clean_purpose(self) -> str:
        return str(self.cleaned_data.get("purpose") or Announcement.Purpose.NEWS)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        scope = data.get("scope") or "all"
        if scope == "units" and not data.get("units"):
            self.add_error("units", _("Choose at least one unit."))
        if scope == "registers" and not data.get("registers"):
            self.add_error("registers", _("Choose at least one register."))
        if roles.is_agent(self.user) and scope == "all":
            self.add_error("scope", _("Coop agents send only to their own units."))
        if not data.get("channels"):
            self.add_error("channels", _("Allow at least one channel."))
        return data

    def audience(self) -> AudienceJSON:
        data = self.cleaned_data
        scope = data.get("scope") or "all"
        return {
            "scope": scope,
            "units": [str(u.code) for u in data.get("units") or []] if scope == "units" else [],
            "registers": [str(r.code) for r in data.get("registers") or []]
            if scope == "registers"
            else [],
            "member_types": list(data.get("member_types") or []),
            "statuses": [Member.Status.ACTIVE],
            "channels": list(data.get("channels") or []),
        }

    def announcement_fields(self) -> dict[str, object]:
        fields = {name: self.cleaned_data.get(name) for name in self.Meta.fields}
        if fields.get("image") is None and self.instance.pk:
            fields["image"] = self.instance.image
        if fields.get("image") is False:  # cleared
            fields["image"] = ""
        fields["audience"] = self.audience()
        fields["link"] = fields.get("link") or ""
        fields["sms_text"] = fields.get("sms_text") or ""
        return fields


class RejectForm(forms.Form):
    note = forms.CharField(label=_("What should change"), max_length=500)


__all__ = ["AnnouncementForm", "Channel", "RejectForm"]
