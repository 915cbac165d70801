"""Thai display filters: Buddhist-era dates, Thai or Arabic digits, masked national IDs."""

import datetime as dt

from django import template
from django.utils import timezone

from tocnet.core.thai import format_thai_date, national_id_masked, phone_display

register = template.Library()


@register.filter
def thai_date(value: dt.date | dt.datetime | None, style: str = "") -> str:
    """{{ d|thai_date }} → 15 มิ.ย. 2564; {{ d|thai_date:"full" }} → 15 มิถุนายน 2564."""
    if isinstance(value, dt.datetime) and timezone.is_aware(value):
        value = timezone.localtime(value)
    return format_thai_date(value, full=style == "full")


@register.filter
def thai_datetime(value: dt.datetime | None) -> str:
    """15 มิ.ย. 2564 14:05 in Bangkok time."""
    if value is None:
        return ""
    local = timezone.localtime(value) if timezone.is_aware(value) else value
    return f"{format_thai_date(local)} {local:%H:%M}"


@register.filter
def masked_pin(value: str | None) -> str:
    """A national ID shown as x-xxxx-xxxxx-12-3: only the last three digits."""
    return national_id_masked(value) if value else ""


@register.filter
def phone(value: object) -> str:
    """{{ p|phone }} → 081-234-5678 for a Phone (or an E.164 string); as typed if unreadable."""
    if isinstance(value, str):
        return phone_display(value, raw=value)
    e164 = getattr(value, "e164", "") or ""
    raw = getattr(value, "raw", "") or ""
    return phone_display(e164, raw=raw, extension=getattr(value, "extension", "") or "")


@register.filter
def tel_uri(value: object) -> str:
    """The tel: address of a Phone: its E.164 form, or the digits as typed."""
    e164 = getattr(value, "e164", "") if not isinstance(value, str) else value
    if e164:
        return f"tel:{e164}"
    raw = getattr(value, "raw", "") if not isinstance(value, str) else value
    return "tel:" + "".join(c for c in str(raw) if c.isdigit() or c == "+")


@register.filter(is_safe=True)
def thousands(value: int | float | str | None) -> str:
    """A count with thousands separators (10,463), what humanize's intcomma prints in Thai and
    English (both group by three with a comma), without its locale lookups on every call:
    reports render thousands of such cells. None (a figure not computed) prints nothing;
    anything else not an integer goes to intcomma ("–" stays "–")."""
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    if value is None:
        return ""
    from django.contrib.humanize.templatetags.humanize import intcomma

    return str(intcomma(value))
