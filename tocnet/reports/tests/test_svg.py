"""Server-rendered SVG: the province map and bar charts."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from tocnet.members.provinces import all_provinces
from tocnet.reports.svg import (
    NO_DATA_COLOUR,
    Bar,
    bar_chart_svg,
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
    root = ET.fromstring(str(bar_chart_svg(bars, title="t")))  # noqa: S314
    groups = list(root.iter(f"{SVG}g"))
    assert [g.get("data-bar") for g in groups] == ["<script>", "u2"]
    widths = [float(g.find(f"{SVG}rect").get("width")) for g in groups]
    assert widths[1] == pytest.approx(2 * widths[0])
