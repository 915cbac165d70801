"""LINE group names of registers: generate them by the cooperative's convention, read them back.

Convention: ``สอ.พช.{abbreviation}.{number}`` (สอ.พช.กพ.1), and ``สอ.พช.{abbreviation}.`` for a
unit's single group (สอ.พช.ศพช.ลป.). Abbreviations may contain a dot themselves (ศพช.ลป).

The parser reads names as people type them (spaces, hyphens, Thai digits, missing or doubled dots,
zero-width characters, text around the name) and answers either a :class:`RegisterName` or a
:class:`RegisterNameProblem` carrying a precise reason code and a Thai/English message.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache

from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from tocnet.core.thai import clean_text, to_arabic_digits

PREFIX = "สอ.พช."
# The LINE app caps a group's name at 50 characters (its name field counts "n/50"); the Messaging
# API cannot rename groups, so the name is typed by a person and must fit that field. Thai letters,
# vowels and tone marks are each one BMP code point, so len() counts what LINE counts.
LINE_GROUP_NAME_MAX_CHARS = 50

# Characters people put between the parts of a name.
_SEPARATORS = " .\u002d_\u2010\u2011\u2012\u2013\u2014\u2212\uff0e\u3002\uff0d#:/"
_SEP = "[" + re.escape(_SEPARATORS) + "]"
_PREFIX_RE = re.compile(f"ส{_SEP}*อ{_SEP}*พ{_SEP}*ช")
_THAI_LETTER = re.compile(r"[\u0e01-\u0e4e]")
_TOKEN_CHARS = "[^\\s\\d" + re.escape(_SEPARATORS) + "]+"
_TOKEN_RE = re.compile(f"{_TOKEN_CHARS}(?:\\.{_TOKEN_CHARS})*")
_NUMBER_RE = re.compile(f"{_SEP}*(\\d+)")


class RegisterNameProblemCode:
    NOT_COOPERATIVE_PREFIX = "not_cooperative_prefix"
    UNKNOWN_ABBREVIATION = "unknown_abbreviation"
    NO_SUCH_REGISTER = "no_such_register"


@dataclass(frozen=True)
class RegisterName:
    """A parsed name: the unit's abbreviation as known to us, and the number (None: single group)."""

    abbreviation: str
    number: int | None
    ok: bool = True

    @property
    def name(self) -> str:
        return register_group_name(self.abbreviation, self.number)


@dataclass(frozen=True)
class RegisterNameProblem:
    """Why a text is not one of our register names: a stable ``code`` and a translated message."""

    code: str
    template: Promise
    params: Mapping[str, object]
    text: str
    abbreviation: str | None = None
    number: int | None = None
    ok: bool = False

    @property
    def message(self) -> str:
        """The reason in the active language."""
        return str(self.template) % self.params

    def message_in(self, language: str) -> str:
        with translation.override(language):
            return self.message

    @property
    def message_th(self) -> str:
        return self.message_in("th")

    @property
    def message_en(self) -> str:
        return self.message_in("en")


def normalise_abbreviation(abbreviation: str) -> str:
    """ศพช.ลป. and ' ศพช.ลป' both become ศพช.ลป (no trailing dot, no spaces)."""
    return clean_text(abbreviation).replace(" ", "").strip(".")


def register_group_name(abbreviation: str, number: int | None) -> str:
    """สอ.พช.กพ.1 for register 1 of กพ; สอ.พช.ศพช.ลป. for a single group (number None).

    Raises ValueError for an empty abbreviation, a number below 1, or a name longer than LINE's
    group-name limit.
    """
    abbr = normalise_abbreviation(abbreviation)
    if not abbr:
        raise ValueError("empty unit abbreviation")
    if number is not None and (isinstance(number, bool) or int(number) < 1):
        raise ValueError(f"register number must be 1 or more, got {number!r}")
    name = f"{PREFIX}{abbr}." + ("" if number is None else str(int(number)))
    if len(name) > LINE_GROUP_NAME_MAX_CHARS:
        raise ValueError(
            f"group name {name!r} is {len(name)} characters; LINE allows {LINE_GROUP_NAME_MAX_CHARS}"
        )
    return name


RegisterNumbers = Mapping[str, Collection[int | None]] | Callable[[str], Collection[int | None]]


class RegisterNameParser:
    """A parser bound to the units we know; build once, parse many names."""

    def __init__(self, known_abbreviations: Iterable[str]) -> None:
        self.abbreviations = sorted(
            {normalise_abbreviation(a) for a in known_abbreviations if normalise_abbreviation(a)},
            key=lambda a: (-len(a.replace(".", "")), a),
        )
        # Each abbreviation matches with any separators between its letters (ศพช ลป, ศพชลป, ก.พ).
        self._patterns = [
            (abbr, re.compile(f"{_SEP}*".join(re.escape(ch) for ch in abbr.replace(".", ""))))
            for abbr in self.abbreviations
        ]

    def parse(
        self, text: str, register_numbers: RegisterNumbers | None = None
    ) -> RegisterName | RegisterNameProblem:
        """Read a typed group name; with ``register_numbers`` also check that the register exists.

        ``register_numbers`` maps an abbreviation to the numbers of its registers (None for a
        single group), as a mapping or a function.
        """
        original = text
        value = to_arabic_digits(clean_text(text))
        prefix = _PREFIX_RE.search(value)
        if prefix is None:
            return RegisterNameProblem(
                code=RegisterNameProblemCode.NOT_COOPERATIVE_PREFIX,
                template=_("“%(text)s” is not a cooperative group name: it must start with สอ.พช."),
                params={"text": original},
                text=original,
            )
        rest = value[prefix.end() :].lstrip(_SEPARATORS)
        for abbr, pattern in self._patterns:
            match = pattern.match(rest)
            if match is None:
                continue
            after = rest[match.end() :]
            if after and (after[0].isalpha() or _THAI_LETTER.match(after)):
                continue  # a longer, unknown abbreviation (กพข, กพx) is not กพ
            number_match = _NUMBER_RE.match(after)
            number = int(number_match.group(1)) if number_match else None
            return self._check_exists(original, abbr, number, register_numbers)
        token_match = _TOKEN_RE.match(rest)
        token = token_match.group(0).strip(".") if token_match else ""
        if not token:
            return RegisterNameProblem(
                code=RegisterNameProblemCode.UNKNOWN_ABBREVIATION,
                template=_("“%(text)s” has no unit abbreviation after สอ.พช."),
                params={"text": original},
                text=original,
            )
        return RegisterNameProblem(
            code=RegisterNameProblemCode.UNKNOWN_ABBREVIATION,
            template=_("“%(abbreviation)s” in “%(text)s” is not the abbreviation of any unit"),
            params={"abbreviation": token, "text": original},
            text=original,
            abbreviation=token,
        )

    def _check_exists(
        self,
        text: str,
        abbreviation: str,
        number: int | None,
        register_numbers: RegisterNumbers | None,
    ) -> RegisterName | RegisterNameProblem:
        if number == 0:
            return _no_such_register(text, abbreviation, number)
        if register_numbers is None:
            return RegisterName(abbreviation=abbreviation, number=number)
        if callable(register_numbers):
            existing = set(register_numbers(abbreviation))
        else:
            existing = set(register_numbers.get(abbreviation, ()))
        if number in existing:
            return RegisterName(abbreviation=abbreviation, number=number)
        if number == 1 and existing == {None}:
            # People number a single group "1"; there is only one group it can mean.
            return RegisterName(abbreviation=abbreviation, number=None)
        return _no_such_register(text, abbreviation, number)


def _no_such_register(text: str, abbreviation: str, number: int | None) -> RegisterNameProblem:
    if number is None:
        template = _(
            "“%(text)s”: unit %(abbreviation)s has no single group; add the register number"
        )
    else:
        template = _("“%(text)s”: unit %(abbreviation)s has no register %(number)s")
    return RegisterNameProblem(
        code=RegisterNameProblemCode.NO_SUCH_REGISTER,
        template=template,
        params={"text": text, "abbreviation": abbreviation, "number": number},
        text=text,
        abbreviation=abbreviation,
        number=number,
    )


@lru_cache(maxsize=32)
def _parser_for(abbreviations: frozenset[str]) -> RegisterNameParser:
    return RegisterNameParser(abbreviations)


def parse_register_name(
    text: str,
    known_abbreviations: Iterable[str],
    register_numbers: RegisterNumbers | None = None,
) -> RegisterName | RegisterNameProblem:
    """Read a group name as typed; answer (abbreviation, number) or a problem with its reason."""
    return _parser_for(frozenset(known_abbreviations)).parse(text, register_numbers)
