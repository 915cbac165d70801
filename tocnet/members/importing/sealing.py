"""National ID numbers kept encrypted while an import waits for confirmation (PDPA).

A preview stores the parsed rows in ImportJob.result until someone confirms it; the file
itself is not kept, so the commit needs the values from there. The national ID is sealed
with Fernet (AES-128-CBC + HMAC-SHA256) under a key derived from SECRET_KEY, so a database
dump, a backup or the admin shows only a token. SECRET_KEY_FALLBACKS still open previews
made before a key rotation; a token no key opens raises SealError.
"""

from __future__ import annotations

import base64
from typing import cast

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.utils.crypto import salted_hmac

from .rows import ParsedFile, ParsedRow, RowValues

SEALED_FIELDS = ("national_id",)
_SALT = "tocnet.members.importing.sealing"


class SealedFile(ParsedFile, total=False):
    """A parsed file as a preview stores it: the fields named in `sealed` encrypted."""

    sealed: list[str]


class SealError(Exception):
    """A sealed value no current or fallback SECRET_KEY opens (or it was tampered with)."""


def _fernet() -> MultiFernet:
    keys = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    return MultiFernet(
        [
            Fernet(
                base64.urlsafe_b64encode(
                    salted_hmac(_SALT, "fernet", secret=key, algorithm="sha256").digest()
                )
            )
            for key in keys
        ]
    )


def seal_rows(parsed: ParsedFile) -> SealedFile:
    """The parsed file with every sealed field of its member rows encrypted (a copy)."""
    fernet = _fernet()
    members: list[ParsedRow] = []
    for row in parsed["members"]:
        values = row["values"]
        if any(values.get(name) for name in SEALED_FIELDS):
            values = {
                key: fernet.encrypt(value.encode()).decode()
                if key in SEALED_FIELDS and isinstance(value, str) and value
                else value
                for key, value in values.items()
            }
            row = {**row, "values": values}
        members.append(row)
    return {**parsed, "members": members, "sealed": list(SEALED_FIELDS)}


def unseal_rows(parsed: SealedFile) -> ParsedFile:
    """The parsed file as the parser gave it; SealError when a value cannot be opened."""
    sealed = parsed.get("sealed", [])
    if not sealed:
        return cast(ParsedFile, parsed)
    fernet = _fernet()
    members: list[ParsedRow] = []
    for row in parsed["members"]:
        values: RowValues = dict(row["values"])
        for name in sealed:
            value = values.get(name)
            if isinstance(value, str) and value:
                try:
                    values[name] = fernet.decrypt(value.encode()).decode()
                except InvalidToken as error:
                    raise SealError(name) from error
        members.append({**row, "values": values})
    return cast(ParsedFile, {**parsed, "members": members})
