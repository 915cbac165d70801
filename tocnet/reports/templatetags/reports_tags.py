"""Small display filters for the reports templates."""

import re

from django import template
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe

register = template.Library()


@register.filter
def short_unit(value: object) -> str:
    """สำนักงานพัฒนาชุมชนจังหวัดตาก → สนง.พช.จ.ตาก (narrow screens and charts)."""
    from tocnet.members.provinces import short_unit_name

    return short_unit_name(str(value or ""))


_DOT_BEFORE_LETTER = re.compile(r"\.(?=[^\W\d_])")


@register.filter
def break_after_dots(value: object) -> SafeString:
    """สนง.พช.จ.กำแพงเพชร → สนง.<wbr>พช.<wbr>จ.<wbr>กำแพงเพชร: a narrow column wraps a short
    name after an abbreviation's dot rather than inside a word (Thai has no spaces to wrap at);
    never before a number (สอ.พช.กพ.1 keeps its 1)."""
    text = str(conditional_escape("" if value is None else str(value)))
    return mark_safe(_DOT_BEFORE_LETTER.sub(".<wbr>", text))  # noqa: S308 (escaped above)
