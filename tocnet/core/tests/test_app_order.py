"""The app order is true: each app imports only from the apps before it.

Every module of every app is parsed (not imported) and each ``import tocnet.<app>...`` or
``from tocnet.<app>... import ...`` is checked, wherever it stands: at the top, inside a
function, under ``TYPE_CHECKING``. Relative imports are resolved first. Model relations are
checked as well, since a ``ForeignKey("registers.Register")`` in an earlier app is the same
dependency written as a string (``settings.AUTH_USER_MODEL`` aside: core's audit rows point at
the swappable user model as they would at ``auth.User``).

Exempt, by decision (docs/decisions/0004-app-order.md):
- ``tocnet/testing/`` is test support: its personas build members, registers and LINE groups,
  so it may import any app; no app's own code may import it.
- each app's ``tests/`` may import any app: they exercise the assembled project (the shared
  personas already span every app), and nothing at run time imports them.
- the project modules (``settings.py``, ``urls.py``, ``wsgi.py``, ``cli.py``) and
  ``browser_tests/`` assemble every app.
Migrations follow their app's rule (and import no app code at all, house style 33).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings

PACKAGE = Path(__file__).resolve().parents[2]

# The order of the apps; apps not created yet are simply skipped.
APP_ORDER = [
    "core",
    "accounts",
    "members",
    "privacy",
    "registers",
    "line",
    "messaging",
    "conversations",
    "reports",
]
TEST_SUPPORT = "testing"
PROJECT_LEVEL = {"browser_tests"}


def imported_modules(source: str, package: str) -> list[tuple[int, str]]:
    """(line, absolute module name) of every import in the source, relative ones resolved."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = package.split(".")
                base = parts[: len(parts) - node.level + 1]
                module = ".".join([*base, node.module] if node.module else base)
            else:
                module = node.module or ""
            found.append((node.lineno, module))
            # `from tocnet import registers` names the app in the imported names.
            if module == "tocnet":
                found += [(node.lineno, f"tocnet.{alias.name}") for alias in node.names]
    return found


def violations(root: Path, order: list[str]) -> list[str]:
    """Imports of a later app (or of test support) from an app's own modules."""
    rank = {app: i for i, app in enumerate(order)}
    problems: list[str] = []
    for path in sorted(root.rglob("*.py")):
        parts = path.relative_to(root).parts
        if len(parts) == 1 or parts[0] in PROJECT_LEVEL or parts[0] == TEST_SUPPORT:
            continue
        app = parts[0]
        if app not in rank:
            problems.append(f"{path}: app {app!r} is not in the app order; add it")
            continue
        if "tests" in parts[1:-1]:
            continue
        package = ".".join([root.name, *parts[:-1]])
        for line, module in imported_modules(path.read_text(encoding="utf-8"), package):
            names = module.split(".")
            if names[0] != root.name or len(names) < 2:
                continue
            target = names[1]
            if target == TEST_SUPPORT:
                problems.append(f"{path}:{line}: imports test support {module}")
            elif target in rank and rank[target] > rank[app]:
                problems.append(f"{path}:{line}: {app} imports {module}, a later app")
    return problems


def test_it_finds_no_import_of_a_later_app() -> None:
    assert violations(PACKAGE, APP_ORDER) == []


@pytest.mark.django_db(databases=[])
def test_it_finds_no_model_relation_to_a_later_app() -> None:
    rank = {app: i for i, app in enumerate(APP_ORDER)}
    problems = []
    for model in apps.get_models():
        app = model._meta.app_label
        if app not in rank:
            continue
        for field in model._meta.get_fields(include_hidden=False):
            if not field.is_relation or field.auto_created or field.related_model is None:
                continue
            related = field.related_model._meta  # type: ignore[union-attr]
            if related.label == settings.AUTH_USER_MODEL:
                continue  # the swappable user model: Django's own seam, as auth.User would be
            target = related.app_label
            if target in rank and rank[target] > rank[app]:
                problems.append(f"{model.__name__}.{field.name} -> {target}")
    assert problems == []


def test_it_catches_later_app_imports(tmp_path: Path) -> None:
    root = tmp_path / "tocnet"
    files = {
        "core/ok.py": "import os\nfrom tocnet.core import thai\n",
        "members/late.py": "def f():\n    from tocnet.registers.models import Register\n",
        "members/relative.py": "from ..line import client\n",
        "members/whole.py": "from tocnet import reports\n",
        "members/support.py": "from tocnet.testing import BaseTestCase\n",
        "members/tests/test_x.py": "from tocnet.reports.views import dashboard\n",
        "testing/__init__.py": "from tocnet.reports.models import ReportJob\n",
        "registers/ok.py": "from tocnet.members.models import Member\n",
        "stray/x.py": "",
        "urls.py": "from tocnet.reports import views\n",
    }
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    found = violations(root, APP_ORDER)
    assert [line.split(": ", 1)[1] for line in found] == [
        "members imports tocnet.registers.models, a later app",
        "members imports tocnet.line, a later app",
        "imports test support tocnet.testing",
        "members imports tocnet.reports, a later app",
        "app 'stray' is not in the app order; add it",
    ]
