"""The README's architecture section names every module of every app, in that app's row.

The usual modules every app may have (models, views, urls, ...) are named once for all; any
other module (``roles.py``, ``importing/planning.py``) must appear in its app's row by file
name, and a subpackage by its folder (``importing/``). The test support package and the apps
are checked against the app order, so a new app or module without its line fails here.
"""

from __future__ import annotations

import re
from pathlib import Path

from django.test import SimpleTestCase

from tocnet.core.tests.test_app_order import APP_ORDER, PACKAGE

README = PACKAGE.parent / "README.md"
USUAL = {
    "__init__.py",
    "models.py",
    "views.py",
    "urls.py",
    "forms.py",
    "admin.py",
    "apps.py",
    "tasks.py",
    "selectors.py",
    "services.py",
}
SKIPPED_FOLDERS = {"tests", "migrations", "management", "templates", "static", "locale"}


def architecture_section(text: str) -> str:
    start = text.index("\n## Architecture\n")
    end = text.index("\n## ", start + 1)
    return text[start:end]


def app_rows(section: str) -> dict[str, str]:
    """The table's rows by app: ``| `core` | ... |``."""
    return {m.group(1): m.group(2) for m in re.finditer(r"^\| `(\w+)` \| (.*) \|$", section, re.M)}


def unnamed_modules(app_dir: Path, row: str) -> list[str]:
    """The modules (and subpackages) of an app its row does not name."""
    missing: list[str] = []
    for path in sorted(app_dir.rglob("*.py")):
        parts = path.relative_to(app_dir).parts
        if SKIPPED_FOLDERS.intersection(parts[:-1]):
            continue
        folders = [f"{folder}/" for folder in parts[:-1]]
        missing += [folder for folder in folders if folder not in row and folder not in missing]
        if path.name not in USUAL and f"`{path.name}`" not in row and path.name not in row:
            missing.append("/".join(parts))
    return missing


class ReadmeArchitectureTestCase(SimpleTestCase):
    def test_every_app_has_its_row_in_order(self) -> None:
        rows = app_rows(architecture_section(README.read_text(encoding="utf-8")))
        present = [app for app in APP_ORDER if (PACKAGE / app).is_dir()]
        self.assertEqual(list(rows), present)

    def test_every_module_is_named(self) -> None:
        rows = app_rows(architecture_section(README.read_text(encoding="utf-8")))
        for app, row in rows.items():
            with self.subTest(app=app):
                missing = unnamed_modules(PACKAGE / app, row)
                self.assertEqual(
                    missing, [], f"README.md, Architecture, row `{app}`: name {missing}"
                )

    def test_the_test_support_package_is_described(self) -> None:
        section = architecture_section(README.read_text(encoding="utf-8"))
        support = PACKAGE / "testing"
        for path in sorted(support.rglob("*.py")):
            name = path.name if path.name != "__init__.py" else "__init__.py"
            with self.subTest(module=str(path.relative_to(support))):
                self.assertIn(f"`{name}`", section)

    def test_it_notices_a_module_left_out(self) -> None:
        row = "`roles.py`, `importing/`: `readers.py`"
        app = PACKAGE / "accounts"
        self.assertIn("menu.py", unnamed_modules(app, row))
        self.assertNotIn("roles.py", unnamed_modules(app, row))
