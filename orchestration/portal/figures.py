"""A member's own figures in a published release: its components of the area's KPIs
(``data/municipal_indicators.csv``) and its own KPIs with their marks (``data/kpi_scorecard.csv``).

Read with the csv module, so codes stay text and no heavy library is imported on a page
view. KPI names and display units come from the area definition and the one unit table
(orchestration/units.py), never from here.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from orchestration.area import Area, Kpi, area_for
from orchestration.home import Home
from orchestration.numbers import number_text
from orchestration.units import BASE_UNITS, DisplayUnit, display_unit

INDICATORS_CSV = Path("data") / "municipal_indicators.csv"
SCORECARD_CSV = Path("data") / "kpi_scorecard.csv"


@dataclass(frozen=True)
class MemberFigures:
    release_id: str
    # municipal_indicators rows of the member, each with kpi_name_ja/en and display_value,
    # display_unit_ja/en, display_text_ja/en (the KPI's display unit)
    indicators: list[dict]
    # kpi_scorecard rows whose scope_code is the member, each with kpi_name_ja/en
    scorecard: list[dict]


def latest_release_dir(home: Home) -> Path | None:
    """The published release (``releases/latest``), resolved; None before the first one."""
    latest = home.latest
    return latest.resolve() if latest.is_dir() else None


def pending_release_dir(home: Home) -> Path | None:
    """The newest release waiting for approval (provisional: members see their own figures
    in it before the public does), else None."""
    folder = home.pending_releases
    waiting = sorted(p for p in folder.iterdir() if p.is_dir()) if folder.is_dir() else []
    return waiting[-1] if waiting else None


def member_figures(release_dir: Path, municipality: str,
                   area: Area | None = None) -> MemberFigures | None:
    """None when the release folder is missing. ``area``: the KPI definitions; by default
    the area of the home the release belongs to (``<home>/releases/<id>``)."""
    release_dir = Path(release_dir)
    if not release_dir.is_dir():
        return None
    release_dir = release_dir.resolve()
    if area is None:
        area = area_for(Home(release_dir.parent.parent))
    code = str(municipality)
    indicators = [_indicator(row, area.kpi(row.get("kpi_id", "")))
                  for row in _rows(release_dir / INDICATORS_CSV)
                  if row.get("municipality_code") == code]
    # The area's KPI order (as on its pages), then period; a KPI the area lacks goes last.
    order = {k.id: i for i, k in enumerate(area.kpis)}
    indicators.sort(key=lambda r: (order.get(r.get("kpi_id", ""), len(order)),
                                   r.get("period", "")))
    scorecard = [_scorecard(row, area.kpi(row.get("kpi_id", "")))
                 for row in _rows(release_dir / SCORECARD_CSV) if row.get("scope_code") == code]
    return MemberFigures(release_id=release_dir.name, indicators=indicators, scorecard=scorecard)


def _rows(path: Path) -> list[dict[str, str]]:
    """A published CSV (UTF-8 with BOM) as text rows; [] when the release has no such file."""
    if not path.is_file():
        return []
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def _indicator(row: dict[str, str], kpi: Kpi | None) -> dict:
    value = _number(row.get("value"))
    unit = _display_unit(kpi, row.get("unit", ""))
    signed = kpi is not None and kpi.signed
    if unit is None:  # not a KPI of this area, or a unit the table lacks: print the base unit
        ja, en = BASE_UNITS.get(row.get("unit", ""), (row.get("unit", ""), row.get("unit", "")))
        shown = {"display_value": value, "display_unit_ja": ja, "display_unit_en": en,
                 "display_text_ja": _text(value, ja, "ja", signed),
                 "display_text_en": _text(value, en, "en", signed)}
    else:
        scaled = None if value is None else value / unit.factor
        en_value = scaled if not unit.en_factor or value is None else value / unit.en_factor
        shown = {"display_value": scaled, "display_unit_ja": unit.unit,
                 "display_unit_en": unit.label_en,
                 "display_text_ja": _text(scaled, unit.unit, "ja", signed),
                 "display_text_en": _text(en_value, unit.label_en, "en", signed)}
    return {**row, **_names(row, kpi), **shown}


def _scorecard(row: dict[str, str], kpi: Kpi | None) -> dict:
    return {**row, **_names(row, kpi)}


def _names(row: dict[str, str], kpi: Kpi | None) -> dict[str, str]:
    """An area KPI is named by the area; a member's own KPI by the name it submitted."""
    if kpi is not None:
        return {"kpi_name_ja": kpi.name_ja, "kpi_name_en": kpi.name_en}
    ja = row.get("kpi_name_ja") or row.get("kpi_id", "")
    return {"kpi_name_ja": ja, "kpi_name_en": row.get("kpi_name_en") or ja}


def _display_unit(kpi: Kpi | None, base_unit: str) -> DisplayUnit | None:
    """The KPI's display unit, when its base unit is the one the row is published in."""
    if kpi is None:
        return None
    try:
        unit = display_unit(kpi.display_unit)
    except KeyError:
        return None
    return unit if unit.base_unit == base_unit or not base_unit else None


def _number(text: str | None) -> float | None:
    try:
        return float(text) if text not in (None, "") else None
    except ValueError:
        return None


def _text(value: float | None, unit: str, lang: str, signed: bool) -> str:
    """``12,345人`` / ``12,345 persons`` (the pages' number rule); missing -> ``—``."""
    if value is None:
        return "—"
    sep = "" if lang == "ja" or unit.startswith("%") or not unit else " "
    return f"{number_text(value, signed=signed)}{sep}{unit}"
