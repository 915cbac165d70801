"""Small display filters for the reports templates."""

from django import template

register = template.Library()


@register.filter
def thousands(value: object) -> str:
    """10463 → 10,463 (the cooperative's reports use Arabic digits with commas)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return "" if value is None else str(value)


@register.filter
def short_unit(value: object) -> str:
    """สำนักงานพัฒนาชุมชนจังหวัดตาก → สนง.พช.จ.ตาก (narrow screens and charts)."""
    from tocnet.members.provinces import short_unit_name

    return short_unit_name(str(value or ""))
