"""render_pdf lays out Thai text with Sarabun and fetches local resources only."""

from __future__ import annotations

import shutil
import subprocess
import unicodedata
from pathlib import Path
from unittest.mock import patch

import pytest
from django.template import Context, Engine

from tocnet.core.pdf import (
    SARABUN_DIR,
    LocalOnlyFetcher,
    PdfResourceError,
    decompose_sara_am,
    render_pdf,
    sarabun_font_css,
)


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:9/x.png",
        "https://example.org/font.ttf",
        "file:///etc/passwd",
        f"file://{SARABUN_DIR}/../../../../etc/passwd",
        "ftp://127.0.0.1/x",
    ],
)
def test_fetcher_refuses_anything_but_allowed_local_files(url: str) -> None:
    with pytest.raises((PdfResourceError, ValueError)):
        LocalOnlyFetcher().fetch(url)


def test_fetcher_reads_the_packaged_font() -> None:
    response = LocalOnlyFetcher().fetch((SARABUN_DIR / "Sarabun-Regular.ttf").as_uri())
    try:
        assert response.read(4) in (b"\x00\x01\x00\x00", b"true")
    finally:
        response.close()


def test_font_css_names_existing_files() -> None:
    css = sarabun_font_css()
    assert css.count("@font-face") == 6
    assert (SARABUN_DIR / "Sarabun-Bold.ttf").as_uri() in css


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("จำกัด", "จ\u0e4d\u0e32กัด"),
        ("น้ำ", "น\u0e4d\u0e49\u0e32"),
        ("ค่ำ", "ค\u0e4d\u0e48\u0e32"),
        ("นาย", "นาย"),
        ("<td>ลำดับ</td>", "<td>ล\u0e4d\u0e32ดับ</td>"),
    ],
)
def test_decompose_sara_am(text: str, expected: str) -> None:
    assert decompose_sara_am(text) == expected
    assert (
        unicodedata.normalize("NFKC", text)
        .replace("\u0e49\u0e4d", "\u0e4d\u0e49")
        .replace("\u0e48\u0e4d", "\u0e4d\u0e48")
        == expected
    )


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils not installed")
def test_pdf_text_keeps_every_thai_mark(tmp_path: Path) -> None:
    template = tmp_path / "t.html"
    template.write_text("<p>{{ a }}</p><p style='font-weight:700'>{{ a }}</p>", encoding="utf-8")
    words = "น้ำ ค่ำ จำกัด ลำดับ นาย กำแพงเพชร ตั้งจิตรุ่งเรือง ฤทธิ์ฤๅษี"
    engine = Engine(dirs=[str(tmp_path)])
    with patch(
        "tocnet.core.pdf.render_to_string",
        side_effect=lambda name, ctx: engine.get_template(name).render(Context(ctx)),
    ):
        pdf = render_pdf("t.html", {"a": words})
    out = subprocess.run(
        ["pdftotext", "-raw", "-", "-"], input=pdf, capture_output=True, check=True
    )
    text = " ".join(out.stdout.decode().split())
    assert text == f"{decompose_sara_am(words)} {decompose_sara_am(words)}"
