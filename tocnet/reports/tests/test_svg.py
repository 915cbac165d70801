"""Server-rendered SVG: the province map and bar charts."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from tocnet.members.provinces import all_provinces
from tocnet.reports.svg import (
    NO_DATA_COLOUR,
    Bar,
    bar_chart_html,
    coverage_colour,
    province_map_svg,
    provinces,
)

SVG = "{http://www.w3.org/2000/svg}"
PROVINCE_ABBREVIATIONS = {p.name_th: p.abbr_th for p in all_provinces()}


def test_map_has_the_77_provinces_named_like_the_members_app() -> None:
    names = {p.name_th for p in provinces()}
    assert len(provinces()) == 77
    assert names == set(PROVINCE_ABBREVIATIONS)
    assert all(p.d.startswith("M") and p.d.endswith("Z") for p in provinces())


def test_map_colours_each_province_by_its_share() -> None:
    svg = province_map_svg({"กำแพงเพชร": 0.95, "ตาก": 0.1}, title="cover <&>")
    root = ET.fromstring(str(svg))  # noqa: S314 - our own markup
    paths = {p.get("data-province"): p for p in root.iter(f"{SVG}path")}
    assert len(paths) == 77
    assert paths["กำแพงเพชร"].get("fill") == coverage_colour(0.95) == "#1a9850"
    assert paths["ตาก"].get("fill") == "#d73027"
    assert paths["น่าน"].get("fill") == NO_DATA_COLOUR
    assert paths["ตาก"].get("data-share") == "0.1000"
    assert root.get("aria-label") == "cover <&>"


@pytest.mark.parametrize(
    ("share", "colour"),
    [
        (None, NO_DATA_COLOUR),
        (0.0, "#d73027"),
        (0.39, "#fc8d59"),
        (0.6, "#91cf60"),
        (1.0, "#1a9850"),
    ],
)
def test_coverage_colour(share: float | None, colour: str) -> None:
    assert coverage_colour(share) == colour


def test_bar_chart_escapes_labels_and_scales_bars() -> None:
    bars = [Bar(label="<script>", value=5, text="5"), Bar(label="กพ", value=10, key="u2")]
    html = str(bar_chart_html(bars, title="t"))
    assert "<script>" not in html  # the label is text, escaped
    root = ET.fromstring(html)  # noqa: S314 - our own markup
    rows = root.findall("div")
    assert [r.get("data-bar") for r in rows] == ["<script>", "u2"]
    assert [r.find("span").text for r in rows] == ["<script>", "กพ"]
    widths = [float(r.find(f"{SVG}svg/{SVG}rect").get("width")) for r in rows]
    assert widths == [50.0, 100.0]


def test_bar_chart_labels_are_page_text_not_scaled_svg_text() -> None:
    """Labels and values are HTML (readable at the page's size on a phone), no SVG <text>."""
    html = str(
        bar_chart_html([Bar(label="กำแพงเพชร", value=0.5, text="50% (1,200/2,400)")], title="t")
    )
    root = ET.fromstring(html)  # noqa: S314
    assert not list(root.iter(f"{SVG}text"))
    assert [s.get("class") for s in root.iter("span")] == ["bar-label", "bar-value"]
    assert "style=" not in html  # CSP: no inline styles
