"""Human messages for reason codes, in Thai and English, naming sheet, row and field."""

from __future__ import annotations

from contextlib import nullcontext

from django.utils import translation

from .reasons import ALL_REASONS, FIELD_LABELS, UNKNOWN_UNIT_WITHOUT_SUGGESTION
from .rows import Problem


class _Params(dict[str, object]):
    def __missing__(self, key: str) -> str:
        return "-"


def describe(entry: Problem, *, language: str | None = None) -> str:
    """The message for one rejected or warned row ({sheet, row, reason, field?, value?...})."""
    code = entry["reason"]
    template = ALL_REASONS.get(code)
    with translation.override(language) if language else nullcontext():
        if template is None:
            return str(code)
        params = _Params(entry)
        if "field" in entry:
            params["field"] = str(FIELD_LABELS.get(entry["field"], entry["field"]))
        if code == "unknown_unit" and not params.get("suggestion"):
            template = UNKNOWN_UNIT_WITHOUT_SUGGESTION
        return str(template) % params


def describe_both(entry: Problem) -> tuple[str, str]:
    """(Thai, English) messages for one entry."""
    return describe(entry, language="th"), describe(entry, language="en")
