"""District names as people type them: one key per district office, for grouping only."""

from __future__ import annotations

import re
import unicodedata

# Longest first: "สำนักงานพัฒนาชุมชนอำเภอ" before "อำเภอ", "กิ่งอำเภอ" before "อำเภอ".
_PREFIXES = (
    "สำนักงานพัฒนาชุมชนอำเภอ",
    "สนง.พช.อำเภอ",
    "สนง.พช.อ.",
    "พัฒนาชุมชนอำเภอ",
    "พช.อำเภอ",
    "พช.อ.",
    "กิ่งอำเภอ",
    "กิ่งอ.",
    "อำเภอ",
    "อ.",
)
_INVISIBLE = re.compile(r"[\s\u200b\u200c\u200d\u2060\ufeff]+")


def district_key(name: str) -> str:
    """อำเภอเมืองกำแพงเพชร, อ.เมืองกำแพงเพชร, "อ. เมือง กำแพงเพชร" → เมืองกำแพงเพชร.

    Spaces and zero-width characters are dropped (Thai writes no spaces inside a name), the
    district-office prefixes are removed once, and an empty rest keeps the name as typed."""
    text = _INVISIBLE.sub("", unicodedata.normalize("NFC", name or ""))
    text = text.replace("．", ".")
    for prefix in _PREFIXES:
        if text.startswith(prefix) and len(text) > len(prefix):
            return text[len(prefix) :]
    return text
