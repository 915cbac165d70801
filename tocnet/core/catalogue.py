"""The Thai catalogue compiled without GNU gettext, so a plain install serves Thai.

``scripts/setup`` compiles ``locale/*/LC_MESSAGES/django.po`` with ``compilemessages`` (which
needs the gettext tools). A server installed by other means would find no ``.mo`` and show
English; ``CoreConfig.ready`` therefore compiles any catalogue whose ``.mo`` is missing or older
than its ``.po`` with this small, dependency-free compiler.
"""

from __future__ import annotations

import ast
import logging
import os
import struct
import tempfile
from pathlib import Path

logger = logging.getLogger(__name__)


def _unquote(text: str) -> str:
    return str(ast.literal_eval(text))


def po_entries(text: str) -> dict[bytes, bytes]:
    """msgid (with context and plural joined as gettext stores them) → msgstr, as bytes.

    Fuzzy and untranslated entries are left out, as msgfmt does.
    """
    entries: dict[bytes, bytes] = {}
    fields: dict[str, str] = {}
    plurals: dict[int, str] = {}
    fuzzy = False
    current: str | None = None

    def flush() -> None:
        nonlocal fields, plurals, fuzzy, current
        # msgfmt keeps the header (msgid "") even when marked fuzzy: it holds the charset.
        if "msgid" in fields and (not fuzzy or fields["msgid"] == ""):
            key = fields["msgid"]
            if "msgid_plural" in fields:
                key += "\0" + fields["msgid_plural"]
                value = "\0".join(plurals[i] for i in sorted(plurals))
            else:
                value = fields.get("msgstr", "")
            if "msgctxt" in fields:
                key = fields["msgctxt"] + "\x04" + key
            if value.replace("\0", "") or key == "":
                entries[key.encode()] = value.encode()
        fields, plurals, fuzzy, current = {}, {}, False, None

    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            continue
        if line.startswith("#"):
            if "msgstr" in fields or plurals:
                flush()
            if line.startswith("#,") and "fuzzy" in line:
                fuzzy = True
            continue
        if line.startswith('"'):
            chunk = _unquote(line)
            if current is not None and current.startswith("msgstr["):
                index = int(current[7:-1])
                plurals[index] += chunk
            elif current is not None:
                fields[current] += chunk
            continue
        keyword, _, rest = line.partition(" ")
        if keyword in ("msgctxt", "msgid") and ("msgstr" in fields or plurals):
            flush()
        current = keyword
        if keyword.startswith("msgstr["):
            plurals[int(keyword[7:-1])] = _unquote(rest)
        else:
            fields[keyword] = _unquote(rest)
    flush()
    return entries


def mo_bytes(entries: dict[bytes, bytes]) -> bytes:
    """A GNU .mo file (little-endian, no hash table) holding these entries, sorted by id."""
    keys = sorted(entries)
    ids = b"".join(k + b"\0" for k in keys)
    strs = b"".join(entries[k] + b"\0" for k in keys)
    header_size = 7 * 4
    table_size = len(keys) * 8
    ids_start = header_size + 2 * table_size
    strs_start = ids_start + len(ids)
    id_table: list[int] = []
    str_table: list[int] = []
    offset = 0
    for key in keys:
        id_table += [len(key), ids_start + offset]
        offset += len(key) + 1
    offset = 0
    for key in keys:
        value = entries[key]
        str_table += [len(value), strs_start + offset]
        offset += len(value) + 1
    header = struct.pack(
        "<7I", 0x950412DE, 0, len(keys), header_size, header_size + table_size, 0, 0
    )
    tables = struct.pack(f"<{len(id_table)}I", *id_table) + struct.pack(
        f"<{len(str_table)}I", *str_table
    )
    return header + tables + ids + strs


def catalogue_compile(po: Path, mo: Path) -> None:
    """Write ``mo`` from ``po`` atomically."""
    data = mo_bytes(po_entries(po.read_text(encoding="utf-8")))
    handle, temporary = tempfile.mkstemp(dir=mo.parent, suffix=".mo.tmp")
    with os.fdopen(handle, "wb") as out:
        out.write(data)
    os.replace(temporary, mo)


def stale_catalogues_compile(locale_dirs: list[Path]) -> list[Path]:
    """Compile every django.po whose .mo is missing or older; returns the .mo files written."""
    written: list[Path] = []
    for folder in locale_dirs:
        for po in sorted(Path(folder).glob("*/LC_MESSAGES/django.po")):
            mo = po.with_suffix(".mo")
            if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
                continue
            try:
                catalogue_compile(po, mo)
            except OSError as exc:  # a read-only install: say why the site is in English
                logger.warning("could not compile %s: %s", po, exc)
                continue
            written.append(mo)
    return written
