"""PDF rendering: one ``render_pdf(template_name, context)`` for every printed document.

Documents are Django templates rendered to HTML, laid out by WeasyPrint with the Sarabun
font shipped in ``fontpkg_sarabun`` (A4, Thai government document style).  Resources are
fetched only from the font package and the project's own static files: member data in a
template can never make the renderer reach the network or read other local files.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import fontpkg_sarabun
from django.conf import settings
from django.template.loader import render_to_string
from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher

SARABUN_DIR = Path(fontpkg_sarabun.__file__).resolve().parent / "files"

# (file stem, CSS weight, CSS style)
_SARABUN_FACES: tuple[tuple[str, int, str], ...] = (
    ("Sarabun-Regular", 400, "normal"),
    ("Sarabun-Italic", 400, "italic"),
    ("Sarabun-Medium", 500, "normal"),
    ("Sarabun-SemiBold", 600, "normal"),
    ("Sarabun-Bold", 700, "normal"),
    ("Sarabun-BoldItalic", 700, "italic"),
)


_SARA_AM = re.compile("([\u0e48-\u0e4b]?)\u0e33")


def decompose_sara_am(text: str) -> str:
    """น้ำ → น + nikhahit + tone + sara aa: the sequence HarfBuzz draws for sara am anyway.

    WeasyPrint maps each glyph to the text of the first cluster it appears in; sara am is
    drawn as two glyphs (nikhahit, sara aa), so copying text out of the PDF turned "นาย" into
    "นำย" and "น้ำ" into "นา". Spelled out, every glyph has its own character: the page looks
    the same and the PDF's text reads "นํ้า", the compatibility form of "น้ำ".
    """
    return _SARA_AM.sub("\u0e4d\\1\u0e32", text)


def css_string(value: object) -> str:
    """A quoted CSS string for ``content:`` in @page rules (escapes quotes, backslashes, <)."""
    text = str(value).replace("\\", "\\5C ").replace('"', "\\22 ").replace("<", "\\3C ")
    return '"' + text.replace("\n", " ").replace("\r", " ") + '"'


class PdfResourceError(ValueError):
    """A template asked for a resource outside the allowed font and static folders."""


@functools.cache
def sarabun_font_css() -> str:
    """Return ``@font-face`` rules for Sarabun pointing at the packaged TTF files."""
    rules = []
    for stem, weight, style in _SARABUN_FACES:
        path = SARABUN_DIR / f"{stem}.ttf"
        rules.append(
            "@font-face { font-family: 'Sarabun'; "
            f"src: url('{path.as_uri()}') format('truetype'); "
            f"font-weight: {weight}; font-style: {style}; }}"
        )
    return "\n".join(rules)


def _allowed_roots() -> tuple[Path, ...]:
    roots = [SARABUN_DIR]
    for entry in getattr(settings, "STATICFILES_DIRS", ()) or ():
        roots.append(Path(entry if isinstance(entry, str | Path) else entry[1]).resolve())
    static_root = getattr(settings, "STATIC_ROOT", None)
    if static_root:
        roots.append(Path(static_root).resolve())
    return tuple(roots)


class LocalOnlyFetcher(URLFetcher):  # type: ignore[misc]  # weasyprint ships no types
    """Fetch ``file:`` URLs under the allowed roots and ``data:`` URLs; refuse all else."""

    def __init__(self) -> None:
        super().__init__(allowed_protocols=("file", "data"), allow_redirects=False)
        self._roots = _allowed_roots()

    def fetch(self, url: str, headers: Any = None) -> Any:
        parts = urlsplit(url)
        if parts.scheme == "file":
            path = Path(unquote(parts.path)).resolve()
            if not any(path.is_relative_to(root) for root in self._roots):
                raise PdfResourceError(f"PDF resource outside allowed folders: {url}")
        elif parts.scheme != "data":
            raise PdfResourceError(f"PDF resource must be local: {url}")
        return super().fetch(url, headers)


def render_pdf(template_name: str, context: Mapping[str, object] | None = None) -> bytes:
    """Render a Django template to PDF bytes with Sarabun; fetches local resources only."""
    html = decompose_sara_am(render_to_string(template_name, context or {}))
    font_config = FontConfiguration()
    fetcher = LocalOnlyFetcher()
    font_css = CSS(string=sarabun_font_css(), font_config=font_config, url_fetcher=fetcher)
    document = HTML(string=html, base_url=SARABUN_DIR.as_uri() + "/", url_fetcher=fetcher)
    pdf = document.write_pdf(stylesheets=[font_css], font_config=font_config)
    assert isinstance(pdf, bytes)
    return pdf
