"""Every English msgid the LINE app and the register-name parser use has a Thai translation
(the parser's reasons are shown to staff and representatives on the LINE pages)."""

import ast
import re
from pathlib import Path

import pytest
from django.utils import translation

from tocnet.line import simulate
from tocnet.line.models import LineGroup
from tocnet.line.tests.base import LineTestCase

ROOT = Path(__file__).resolve().parents[3]
SOURCES = [ROOT / "tocnet/registers/naming.py", *sorted((ROOT / "tocnet/line").rglob("*.py"))]
TEMPLATES = sorted((ROOT / "tocnet/line/templates").rglob("*.*"))
GETTEXT = {"_", "gettext", "gettext_lazy", "ngettext", "ngettext_lazy", "pgettext"}
TRANSLATE_TAG = re.compile(r"""{%\s*(?:translate|trans)\s+(["'])(.+?)\1""")
SAME_IN_THAI = {"LINE"}


def _msgids() -> list[str]:
    found: set[str] = set()
    for path in SOURCES:
        if "tests" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)):
                continue
            if node.func.id not in GETTEXT or not node.args:
                continue
            first = node.args[0]
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                found.add(first.value)
    for path in TEMPLATES:
        found.update(m.group(2) for m in TRANSLATE_TAG.finditer(path.read_text()))
    return sorted(m for m in found if re.search("[A-Za-z]", m) and m not in SAME_IN_THAI)


def test_the_scan_finds_the_parsers_reasons() -> None:
    assert "“%(text)s” has no unit abbreviation after สอ.พช." in _msgids()
    assert "Sign in with LINE" in _msgids()


@pytest.mark.parametrize("msgid", _msgids())
def test_every_msgid_has_a_thai_translation(msgid: str) -> None:
    with translation.override("th"):
        assert translation.gettext(msgid) != msgid


class GroupProblemsInThaiTestCase(LineTestCase):
    def test_the_group_list_gives_every_name_problem_in_thai(self) -> None:
        names = ["ครอบครัวสุขใจ", "สอ.พช.", "สอ.พช.ซซ.1", "สอ.พช.กพ.9"]
        for name in names:
            group_id = simulate.group_id_for(name)
            self.fake.add_group(group_id, name, count=3)
            self.post_events([simulate.join_event(group_id)])
        self.assertEqual(LineGroup.objects.exclude(problem="").count(), len(names))
        self.login_as(self.staff)
        with translation.override("th"):
            html = self.client.get("/line/groups/", HTTP_ACCEPT_LANGUAGE="th").content.decode()
        for english in (
            "is not a cooperative group name",
            "has no unit abbreviation",
            "is not the abbreviation",
            "has no register",
        ):
            self.assertNotIn(english, html)
        for thai in (
            "ไม่ใช่ชื่อกลุ่มของสหกรณ์",
            "ไม่มีอักษรย่อหน่วยงาน",
            "ไม่ใช่อักษรย่อของหน่วยงานใด",
            "ไม่มีทะเบียนที่ 9",
        ):
            self.assertIn(thai, html)
