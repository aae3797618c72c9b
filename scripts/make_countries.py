"""Write workbench/data/countries.csv: the country reference table the workbench ships.

Run once when the reference sources change (`python scripts/make_countries.py`). Sources, all
installed packages (nothing fetched): pycountry (ISO 3166 names and codes), country_converter's data
file (continent and UN region; read with keep_default_na=False so Namibia's "NA" stays a code) and
the tz database's zone.tab from the tzdata package (each country's main time zone: the first zone
listed for it, which is the most populous one by the tz database's convention).
"""

from __future__ import annotations

import csv
import datetime as dt
from importlib import resources
from pathlib import Path
from zoneinfo import ZoneInfo

import country_converter
import pandas as pd
import pycountry

# The tz database lists zones north to south or by population; for these countries the capital's
# zone is a better "main" zone for a librarian than the first zone listed.
MAIN_ZONE_OVERRIDES = {
    "AUS": "Australia/Sydney",
    "BRA": "America/Sao_Paulo",
    "CAN": "America/Toronto",
    "USA": "America/New_York",
    "RUS": "Europe/Moscow",
    "IDN": "Asia/Jakarta",
    "MEX": "America/Mexico_City",
    "ARG": "America/Argentina/Buenos_Aires",
    "KAZ": "Asia/Almaty",
    "CHN": "Asia/Shanghai",
    "ESP": "Europe/Madrid",
    "PRT": "Europe/Lisbon",
    "NZL": "Pacific/Auckland",
    "CHL": "America/Santiago",
    "ECU": "America/Guayaquil",
    "MYS": "Asia/Kuala_Lumpur",
    "DEU": "Europe/Berlin",
    "UKR": "Europe/Kyiv",
    "COD": "Africa/Kinshasa",
    "MNG": "Asia/Ulaanbaatar",
    "FSM": "Pacific/Pohnpei",
    "KIR": "Pacific/Tarawa",
    "PYF": "Pacific/Tahiti",
    "UZB": "Asia/Tashkent",
}
# Shorter names a coordinator would write, where ISO's are of the "X, Republic of" kind.
DISPLAY_NAMES = {
    "COD": "DR Congo",
    "COG": "Congo",
    "FSM": "Micronesia",
    "PSE": "Palestine",
    "VGB": "British Virgin Islands",
    "VIR": "US Virgin Islands",
    "BES": "Caribbean Netherlands",
    "SHN": "Saint Helena",
    "RUS": "Russia",
}
# Kosovo has no ISO 3166 code; the workbench uses the user-assigned XKX (as the EU, IMF and World
# Bank do) with Belgrade's zone.
KOSOVO = {"iso3": "XKX", "iso2": "XK", "name": "Kosovo", "continent": "Europe",
          "un_region": "Southern Europe", "timezone": "Europe/Belgrade"}


def main() -> None:
    tzdir = resources.files("tzdata").joinpath("zoneinfo")
    first_zone: dict[str, str] = {}
    for line in tzdir.joinpath("zone.tab").read_text().splitlines():
        if line.startswith("#") or not line.strip():
            continue
        iso2, _coords, zone = line.split("\t")[:3]
        first_zone.setdefault(iso2, zone)

    data_file = Path(country_converter.__file__).with_name("country_data.tsv")
    coco = pd.read_csv(data_file, sep="\t", keep_default_na=False, dtype=str)
    regions = {r.ISO3: (r.continent, r.UNregion) for r in coco.itertuples()}

    rows = []
    for c in pycountry.countries:
        zone = MAIN_ZONE_OVERRIDES.get(c.alpha_3) or first_zone.get(c.alpha_2)
        if zone is None:  # uninhabited territories (Bouvet Island, Heard Island, ...)
            continue
        continent, un_region = regions.get(c.alpha_3, ("", ""))
        name = DISPLAY_NAMES.get(c.alpha_3) or getattr(c, "common_name", None) or c.name
        rows.append({"iso3": c.alpha_3, "iso2": c.alpha_2, "name": name, "continent": continent,
                     "un_region": un_region, "timezone": zone})
    rows.append(KOSOVO)
    # Standard (January) UTC offset, the one a round's matching uses for working-hours overlap.
    jan = dt.datetime(2026, 1, 15, 12)
    jul = dt.datetime(2026, 7, 15, 12)
    for r in rows:
        z = ZoneInfo(r["timezone"])
        offsets = [int(z.utcoffset(d).total_seconds() // 60) for d in (jan, jul)]  # type: ignore[union-attr]
        r["utc_offset_minutes"] = min(offsets)
    rows.sort(key=lambda r: r["iso3"])
    out = Path(__file__).resolve().parents[1] / "workbench" / "data" / "countries.csv"
    with out.open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]), lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
    print(f"wrote {len(rows)} countries to {out}")


if __name__ == "__main__":
    main()
