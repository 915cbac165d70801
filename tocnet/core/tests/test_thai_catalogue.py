"""Every English msgid in the product's code and templates has a Thai translation.

Thai is the default language: an untranslated string shows English to a representative.
The scan reads gettext calls in Python and {% translate %} tags in templates; blocktranslate
blocks are checked through the catalogue itself (no empty or fuzzy entry).
"""

import ast
import re
from pathlib import Path

from django.utils import translation

ROOT = Path(__file__).resolve().parents[3]
GETTEXT = {"_", "gettext", "gettext_lazy", "ngettext", "ngettext_lazy", "pgettext"}
TRANSLATE_TAG = re.compile(r"""{%\s*(?:translate|trans)\s+(["'])(.+?)\1""")
SAME_IN_THAI = {"LINE", "TOC-Net", "E.164", "LINE ID"}


def _python_msgids() -> set[str]:
    found: set[str] = set()
    for path in sorted((ROOT / "tocnet").rglob("*.py")):
        if "tests" in path.parts or "migrations" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)):
                continue
            if node.func.id not in GETTEXT or not node.args:
                continue
            first = node.args[0]
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                found.add(first.value)
    return found


def _template_msgids() -> set[str]:
    found: set[str] = set()
    for folder in (ROOT / "templates", ROOT / "tocnet"):
        for path in sorted(folder.rglob("*.html")) + sorted(folder.rglob("*.txt")):
            if "templates" not in path.parts:
                continue
            found.update(m.group(2) for m in TRANSLATE_TAG.finditer(path.read_text("utf-8")))
    return found


def _english(msgids: set[str]) -> list[str]:
    return sorted(m for m in msgids if re.search("[A-Za-z]", m) and m not in SAME_IN_THAI)


def test_the_scan_sees_code_and_templates() -> None:
    python, templates = _python_msgids(), _template_msgids()
    assert "Cooperative staff" in python
    assert "Sign in to TOC-Net" in templates
    assert len(python) + len(templates) > 300


def test_every_msgid_in_the_code_has_a_thai_translation() -> None:
    with translation.override("th"):
        missing = [
            m
            for m in _english(_python_msgids() | _template_msgids())
            if translation.gettext(m) == m
        ]
    assert missing == []


def test_the_catalogue_has_no_empty_or_fuzzy_entry() -> None:
    text = (ROOT / "locale/th/LC_MESSAGES/django.po").read_text(encoding="utf-8")
    entries = [e for e in text.split("\n\n") if "msgid" in e and not e.lstrip().startswith("#~")]
    fuzzy = [e for e in entries[1:] if "#, fuzzy" in e]
    empty = [
        e
        for e in entries[1:]
        if re.search(r'^msgstr(\[0\])? ""\s*$', e, re.M) and not re.search(r'^msgstr.*\n"', e, re.M)
    ]
    assert (fuzzy, empty) == ([], [])
