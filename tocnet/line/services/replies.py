"""Bot answers as templates, rendered after the work's transaction commits (the SQLite write
lock is held for the writes only, not for template rendering)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.template.loader import render_to_string


@dataclass(frozen=True)
class Reply:
    template: str
    context: dict[str, Any] = field(default_factory=dict)

    def render(self) -> str:
        return render_to_string(f"line/replies/{self.template}.txt", self.context).strip()

    def __str__(self) -> str:
        return self.render()


def reply(template: str, **context: Any) -> Reply:
    return Reply(template, context)
