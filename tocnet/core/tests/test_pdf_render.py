"""render_pdf lays out Thai text with Sarabun and fetches local resources only."""

from __future__ import annotations

import pytest

from tocnet.core.pdf import SARABUN_DIR, LocalOnlyFetcher, PdfResourceError, sarabun_font_css


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
