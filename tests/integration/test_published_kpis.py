"""What the secretariat reports, from the sample submissions: the six KPIs and the marks."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest


def _rows(demo_home: Path, name: str) -> list[dict]:
    path = demo_home / "releases" / "latest" / "data" / f"{name}.csv"
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


@pytest.mark.parametrize(("kpi_id", "period", "value"), [
    ("regional_gross_product", "FY2022", "1504800000000"),
    ("tourist_visitors", "CY2023", "9028000"),
    ("central_pedestrian_traffic", "CY2025", "32260"),
    ("lifestyle_service_users", "FY2024", "16443"),
])
def test_regional_kpi_matches_the_visions_baseline(demo_home: Path, kpi_id, period, value):
    rows = {(r["kpi_id"], r["period"]): r for r in _rows(demo_home, "regional_kpis")}
    assert rows[(kpi_id, period)]["value"] == value


def test_net_social_migration_is_published_for_every_calendar_year(demo_home: Path):
    kpis = [r for r in _rows(demo_home, "regional_kpis") if r["kpi_id"] == "net_social_migration"]
    assert [r["period"] for r in kpis] == [f"CY{y}" for y in range(2019, 2026)]
    net = {r["period"]: r for r in _rows(demo_home, "net_migration") if r["scope_code"] == "area"}
    members = [r for r in _rows(demo_home, "net_migration") if r["scope_code"] == "40216"]
    ogori = {r["period"]: int(float(r["net_persons"])) for r in members}
    assert [ogori[f"CY{y}"] for y in (2020, 2021, 2022, 2023)] == [210, -69, 665, -236]
    for row in kpis:  # the area's figure equals its net exchange with the outside
        assert float(row["value"]) == float(net[row["period"]]["net_persons"])


def test_kurume_verification_report_marks_come_out_exactly(demo_home: Path):
    card = [r for r in _rows(demo_home, "kpi_scorecard") if r["scope_code"] == "40203"]
    hires = {r["period"]: r for r in card if r["kpi_name_ja"].startswith("基準年を上回る年間新規雇用者数")}
    rate = {r["period"]: r for r in card if r["kpi_name_ja"].startswith("市内の大学等の新卒者")}
    assert [hires[p]["progress_mark"] for p in ("FY2015", "FY2016", "FY2017")] == ["○"] * 3
    assert [rate[p]["progress_mark"] for p in ("FY2015", "FY2016", "FY2017")] == ["△", "×", "×"]
    assert hires["FY2015"]["outlook"] == "A" and rate["FY2015"]["outlook"] == "B"
    assert rate["FY2015"]["outlook_source"] == "submitted"


def test_area_scorecard_covers_the_six_kpis_with_marks(demo_home: Path):
    area = [r for r in _rows(demo_home, "kpi_scorecard") if r["scope_code"] == "area"]
    assert {r["kpi_id"] for r in area} == {
        "regional_gross_product", "tourist_visitors", "central_pedestrian_traffic",
        "university_collab_projects", "lifestyle_service_users", "net_social_migration"}
    tourism = {r["period"]: r for r in area if r["kpi_id"] == "tourist_visitors"}
    assert tourism["CY2024"]["progress_mark"] in {"○", "△", "×"}
    assert tourism["CY2030"]["period_target"] == "10700000"


def test_population_flows_budgets_and_services_are_published(demo_home: Path):
    budgets = _rows(demo_home, "project_budgets")
    project_19 = {r["municipality_code"] for r in budgets if r["project_no"] == "19"}
    assert project_19 <= {"40203", "40225", "40503", "40522"}  # only its participants
    totals = {}
    for row in budgets:
        totals.setdefault((row["fiscal_year"], row["project_no"]), []).append(row)
    for rows in totals.values():
        assert abs(sum(float(r["budget_yen"]) for r in rows)
                   - float(rows[0]["project_total_yen"])) < 1
    assert _rows(demo_home, "population_flows") and _rows(demo_home, "service_cost_sharing")
    reconciliation = _rows(demo_home, "population_flow_reconciliation")
    assert {r["reconciliation_status"] for r in reconciliation} == {"ok"}
