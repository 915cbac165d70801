"""Server-rendered charts (HTML bars) and the SVG province map (no JavaScript, no external
assets)."""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

MAP_DATA = Path(__file__).resolve().parent / "mapdata" / "thailand_provinces.json"

NO_DATA_COLOUR = "#d9d9d9"
# Sequential scale from "few reached" (red-orange) to "all reached" (green), readable
# by people with red-green colour blindness thanks to the lightness ramp.
SCALE: tuple[tuple[float, str], ...] = (
    (0.2, "#d73027"),
    (0.4, "#fc8d59"),
    (0.6, "#fee08b"),
    (0.8, "#91cf60"),
    (1.01, "#1a9850"),
)


@dataclass(frozen=True)
class Province:
    iso: str
    name_th: str
    name_en: str
    cx: float
    cy: float
    d: str


@functools.cache
def _map_data() -> tuple[float, float, tuple[Province, ...]]:
    data = json.loads(MAP_DATA.read_text(encoding="utf-8"))
    provinces = tuple(Province(**p) for p in data["provinces"])
    return data["width"], data["height"], provinces


def provinces() -> tuple[Province, ...]:
    """The 77 provinces of the map, in ISO 3166-2:TH order."""
    return _map_data()[2]


def coverage_colour(share: float | None) -> str:
    """Fill colour for a share between 0 and 1 (grey when there is no data)."""
    if share is None:
        return NO_DATA_COLOUR
    for upper, colour in SCALE:
        if share < upper:
            return colour
    return SCALE[-1][1]


def _percent(share: float | None) -> str:
    return "–" if share is None else f"{share * 100:.0f}%"


def province_map_svg(
    shares: Mapping[str, float | None],
    *,
    title: str,
    details: Mapping[str, str] | None = None,
) -> SafeString:
    """Thailand's provinces, each filled by ``shares[thai_name]`` (0..1); others grey.

    ``details`` adds text to a province's tooltip (e.g. "120/150 members").
    """
    width, height, items = _map_data()
    legend_h = 40
    parts = [
        format_html(
            '<svg xmlns="http://www.w3.org/2000/svg" class="province-map" role="img" '
            'aria-label="{}" viewBox="0 0 {} {}" preserveAspectRatio="xMidYMid meet">',
            title,
            width,
            height + legend_h,
        ),
        format_html("<title>{}</title>", title),
    ]
    for province in items:
        share = shares.get(province.name_th)
        tip = f"{province.name_th}: {_percent(share)}"
        if details and details.get(province.name_th):
            tip += f" ({details[province.name_th]})"
        parts.append(
            format_html(
                '<path d="{}" fill="{}" stroke="#ffffff" stroke-width="0.4" '
                'data-province="{}" data-share="{}"><title>{}</title></path>',
                province.d,
                coverage_colour(share),
                province.name_th,
                "" if share is None else f"{share:.4f}",
                tip,
            )
        )
    # legend: the colour steps on one row, "no data" below them
    y = height + 6
    step = width / len(SCALE)
    lower = 0
    for i, (upper, colour) in enumerate(SCALE):
        parts.append(
            format_html(
                '<rect x="{}" y="{}" width="12" height="12" fill="{}"/>'
                '<text x="{}" y="{}" font-size="11">{}-{}%</text>',
                f"{i * step:.1f}",
                y,
                colour,
                f"{i * step + 14:.1f}",
                y + 10,
                lower,
                min(100, round(upper * 100)),
            )
        )
        lower = round(upper * 100)
    parts.append(
        format_html(
            '<rect x="0" y="{}" width="12" height="12" fill="{}"/>'
            '<text x="14" y="{}" font-size="11">{}</text>',
            y + 18,
            NO_DATA_COLOUR,
            y + 28,
            _("no unit"),
        )
    )
    parts.append(mark_safe("</svg>"))
    return mark_safe("".join(parts))  # noqa: S308 - every part built with format_html


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    text: str = ""
    key: str = ""
    colour: str = ""


def bar_chart_html(
    bars: Sequence[Bar],
    *,
    title: str,
    maximum: float | None = None,
    colour_by_share: bool = False,
    colour: str = "#3b6ea5",
) -> SafeString:
    """Horizontal bars, one row each; with ``colour_by_share`` values are shares (0..1).

    Labels and values are HTML text (the page's own size, readable on a phone where a scaled
    SVG's text shrinks); each bar is a small SVG stretched to its cell (no inline styles).
    On a narrow screen the stylesheet puts the label above its bar.
    """
    scale_max = maximum if maximum is not None else max((b.value for b in bars), default=0) or 1
    parts = [format_html('<div class="bar-chart" role="list" aria-label="{}">', title)]
    for bar in bars:
        length = max(0.0, min(1.0, bar.value / scale_max)) * 100
        fill = bar.colour or (coverage_colour(bar.value) if colour_by_share else colour)
        text = bar.text or str(bar.value)
        parts.append(
            format_html(
                '<div class="bar-row" role="listitem" data-bar="{}" data-value="{}">'
                '<span class="bar-label">{}</span>'
                '<svg xmlns="http://www.w3.org/2000/svg" class="bar" viewBox="0 0 100 10" '
                'preserveAspectRatio="none" aria-hidden="true">'
                '<rect width="{}" height="10" fill="{}"/></svg>'
                '<span class="bar-value">{}</span></div>',
                bar.key or bar.label,
                f"{bar.value:.4f}",
                bar.label,
                f"{length:.1f}",
                fill,
                text,
            )
        )
    parts.append(mark_safe("</div>"))
    return mark_safe("".join(parts))  # noqa: S308 - every part built with format_html
