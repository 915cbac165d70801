"""Does a message typed in a LINE group acknowledge an announcement ("รับทราบ")?

Members type the word in many ways: with polite particles (รับทราบค่ะ, รับทราบครับผม), as
ทราบแล้ว, as a thumbs-up, with a slipped key (รับทาบ, รับทราบบบ), with the keyboard left in
English layout (iy[mik[), or in Latin letters (rub trab). Anything longer or different, such
as a question or "ยังไม่ทราบ" (not yet known), is not an acknowledgement, and the caller keeps
nothing of it.
"""

from __future__ import annotations

import re
import unicodedata

MAX_LENGTH = 40

# The core word, and its short forms; compared after particles and decorations are removed.
THAI_CORES = frozenset({"รับทราบ", "ทราบ", "ทราบแล้ว", "รับทราบแล้ว", "รับทราบคำสั่ง", "รับทราบข้อมูล"})
LATIN_CORES = frozenset({"rubtrab", "rabtrab", "rubsab", "rabsap", "rubsap", "ruptrap", "rubtap"})
# The Thai word typed on a Kedmanee keyboard left in English layout.
LAYOUT_SLIPS = frozenset({"iy[mik[", "iy[mik[c]h;", "mik[c]h;"})

# Polite particles and softeners that may follow, longest first so ค่ะ wins over ค.
_PARTICLES = sorted(
    {
        "ครับผม",
        "ครับ",
        "คับ",
        "ครัช",
        "ค้าบ",
        "คร้าบ",
        "ค่ะ",
        "คะ",
        "ค่า",
        "ค้า",
        "จ้า",
        "จ้ะ",
        "จ๊ะ",
        "จ้าา",
        "นะคะ",
        "นะครับ",
        "นะ",
        "ฮะ",
        "ฮับ",
        "แล้ว",
        "เรียบร้อย",
        "ด้วย",
        "ขอบคุณ",
        "ขอบคุณค่ะ",
        "ขอบคุณครับ",
    },
    key=len,
    reverse=True,
)
_PARTICLES_LATIN = ("krub", "krab", "khrap", "kha", "ka", "na", "ja")

_THUMBS = "\U0001f44d"
_SKIN_TONES = "".join(chr(c) for c in range(0x1F3FB, 0x1F400))
# Decorations that never change the meaning: punctuation, prayer hands, smiles, hearts, ...
_DECORATION = re.compile(
    r"[\s\.\,\!\?~\-_\*\"'’()\[\]{}:;…ๆฯ"
    r"\U0001f64f\U0001f60a\U0001f642\U0001f600\U0001f601\U0001f603\U0001f604\u2764\ufe0f"
    r"\U0001f496\U0001f495\U0001f339\U0001f33a\U0001f338\u263a\u2705\u2714\U0001f44c]"
)
_ZERO_WIDTH = re.compile("[\u200b\u200c\u200d\u2060\ufeff]")


def _normalise(text: str) -> str:
    text = unicodedata.normalize("NFC", text)
    text = _ZERO_WIDTH.sub("", text)
    # Thai sara am typed as nikhahit + sara aa, and doubled tone marks, are common slips.
    text = text.replace("\u0e4d\u0e32", "\u0e33")
    return text.strip().lower()


def _strip_particles(core: str, particles: tuple[str, ...] | list[str]) -> str:
    changed = True
    while changed and core:
        changed = False
        for particle in particles:
            if core.endswith(particle) and len(core) > len(particle):
                core = core[: -len(particle)]
                changed = True
                break
    return core


def _squeeze(text: str) -> str:
    """Collapse a letter typed several times in a row (รับทราบบบ, krubbb)."""
    return re.sub(r"(.)\1+", r"\1", text)


def _within_one_edit(a: str, b: str) -> bool:
    if a == b:
        return True
    if abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diffs = [i for i in range(len(a)) if a[i] != b[i]]
        if len(diffs) == 1:
            return True
        # Two neighbouring letters swapped.
        return (
            len(diffs) == 2
            and diffs[1] == diffs[0] + 1
            and a[diffs[0]] == b[diffs[1]]
            and a[diffs[1]] == b[diffs[0]]
        )
    shorter, longer = (a, b) if len(a) < len(b) else (b, a)
    return any(longer[:i] + longer[i + 1 :] == shorter for i in range(len(longer)))


def is_acknowledgement(text: str | None) -> bool:
    """True when ``text`` (a group message) says "acknowledged" and nothing else."""
    if not text:
        return False
    text = _normalise(text)
    if not text or len(text) > MAX_LENGTH:
        return False
    if re.sub(r"\s", "", text) in LAYOUT_SLIPS:
        return True
    without_tones = "".join(ch for ch in text if ch not in _SKIN_TONES)
    bare = _DECORATION.sub("", without_tones)
    if bare and set(bare) == {_THUMBS}:
        return True
    bare = bare.replace(_THUMBS, "")
    if not bare:
        return False
    if bare.isascii():
        core = _strip_particles(_squeeze(bare), _PARTICLES_LATIN)
        return any(_within_one_edit(core, word) for word in LATIN_CORES) and len(core) >= 5
    core = _strip_particles(bare, _PARTICLES)
    if core in THAI_CORES or _squeeze(core) in THAI_CORES:
        return True
    # One slipped key in the long form only: ทราบ alone is one edit from ทราย (sand), ทาบ ...
    return _within_one_edit(_squeeze(core), "รับทราบ")
