"""The Thai catalogue compiles without GNU gettext, the same as msgfmt, when it is stale."""

import gettext
import io
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tocnet.core.catalogue import mo_bytes, po_entries, stale_catalogues_compile

ROOT = Path(__file__).resolve().parents[3]
PO = ROOT / "locale/th/LC_MESSAGES/django.po"

SAMPLE = r"""
#, fuzzy
msgid ""
msgstr ""
"Content-Type: text/plain; charset=UTF-8\n"
"Plural-Forms: nplurals=1; plural=0;\n"

msgid "Save"
msgstr "บันทึก"

msgctxt "verb"
msgid "Open"
msgstr "เปิด"

#, fuzzy
msgid "Draft"
msgstr "ร่าง"

msgid "Untranslated"
msgstr ""

msgid "%(n)s member"
msgid_plural "%(n)s members"
msgstr[0] "%(n)s คน"

msgid ""
"A long "
"line"
msgstr ""
"บรรทัด"
"ยาว"
"""


def _catalogue(data: bytes) -> gettext.GNUTranslations:
    return gettext.GNUTranslations(io.BytesIO(data))


def test_it_compiles_entries_like_msgfmt() -> None:
    catalogue = _catalogue(mo_bytes(po_entries(SAMPLE)))
    assert catalogue.gettext("Save") == "บันทึก"
    assert catalogue.pgettext("verb", "Open") == "เปิด"
    assert catalogue.gettext("Draft") == "Draft"  # fuzzy: left out
    assert catalogue.gettext("Untranslated") == "Untranslated"
    assert catalogue.ngettext("%(n)s member", "%(n)s members", 5) == "%(n)s คน"
    assert catalogue.gettext("A long line") == "บรรทัดยาว"


@pytest.mark.skipif(not shutil.which("msgfmt"), reason="GNU gettext is not installed")
def test_the_project_catalogue_matches_msgfmt(tmp_path: Path) -> None:
    reference = tmp_path / "ref.mo"
    subprocess.run(["msgfmt", "-o", str(reference), str(PO)], check=True)
    ours = _catalogue(mo_bytes(po_entries(PO.read_text(encoding="utf-8"))))._catalog  # type: ignore[attr-defined]
    theirs = _catalogue(reference.read_bytes())._catalog  # type: ignore[attr-defined]
    ours.pop("", None)
    theirs.pop("", None)
    assert len(ours) > 1000
    assert ours == theirs


def test_it_compiles_only_missing_or_stale_catalogues(tmp_path: Path) -> None:
    folder = tmp_path / "th/LC_MESSAGES"
    folder.mkdir(parents=True)
    po = folder / "django.po"
    po.write_text(SAMPLE, encoding="utf-8")
    mo = folder / "django.mo"
    assert stale_catalogues_compile([tmp_path]) == [mo]
    assert _catalogue(mo.read_bytes()).gettext("Save") == "บันทึก"
    assert stale_catalogues_compile([tmp_path]) == []  # fresh: left alone
    po.write_text(SAMPLE.replace("บันทึก", "จัดเก็บ"), encoding="utf-8")
    old = mo.stat().st_mtime - 60
    os.utime(mo, (old, old))
    assert stale_catalogues_compile([tmp_path]) == [mo]
    assert _catalogue(mo.read_bytes()).gettext("Save") == "จัดเก็บ"
