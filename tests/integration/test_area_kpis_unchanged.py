"""Kurume's KPIs built from its area definition (the method macros, reference tables from
area.yaml) publish exactly what the per-KPI SQL published before (issue 12): the same
values, targets, rates, marks and outlooks, row for row."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from tests.conftest import ROOT

BEFORE = ROOT / "tests" / "fixtures" / "kurume_release_before_area"

# What a reader sees: the numbers and the marks (names and provenance are checked elsewhere).
COLUMNS = {
    "regional_kpis": ("kpi_id", "period", "period_type", "period_year", "value", "unit",
                      "members_reporting", "cumulative_value", "cumulative_period"),
    "kpi_scorecard": ("kpi_id", "scope_code", "period", "period_year", "unit", "direction",
                      "baseline_value", "baseline_period", "target_value", "target_period",
                      "is_cumulative", "period_target", "actual_value", "actual_flags",
                      "achievement_rate", "achievement_rate_note", "progress_mark",
                      "status_note", "outlook", "outlook_source", "projected_target_year_value"),
    "municipal_indicators": ("kpi_id", "municipality_code", "period", "period_type",
                             "period_year", "value", "unit"),
}


def _rows(path: Path, columns: tuple[str, ...]) -> list[tuple[str, ...]]:
    with path.open(encoding="utf-8-sig", newline="") as f:
        return [tuple(row[c] for c in columns) for row in csv.DictReader(f)]


@pytest.mark.parametrize("table", sorted(COLUMNS))
def test_kurume_publishes_the_same_values_and_marks(demo_home: Path, table: str):
    columns = COLUMNS[table]
    before = _rows(BEFORE / f"{table}.csv", columns)
    after = _rows(demo_home / "releases" / "latest" / "data" / f"{table}.csv", columns)
    missing = sorted(set(before) - set(after))
    added = sorted(set(after) - set(before))
    assert not missing and not added, (
        f"{table}: {len(missing)} rows no longer published, {len(added)} new rows; "
        f"first missing {missing[:3]}, first new {added[:3]}")
    assert after == before  # same order too (the marts sort their rows)


def test_area_kpis_are_the_vision_s_own(demo_home: Path):
    """The area's scorecard keeps one row per KPI and year of the vision's evaluation."""
    area = [r for r in _rows(demo_home / "releases" / "latest" / "data" / "kpi_scorecard.csv",
                             ("kpi_id", "scope_code", "target_period"))
            if r[1] == "area"]
    periods = {kpi: target for kpi, _, target in area}
    assert periods == {
        "regional_gross_product": "FY2027", "tourist_visitors": "CY2030",
        "central_pedestrian_traffic": "CY2030", "university_collab_projects": "FY2030",
        "lifestyle_service_users": "FY2030", "net_social_migration": "CY2026-CY2030"}
