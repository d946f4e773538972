"""A member's published figures (orchestration/portal/figures.py), read from a small release
folder the test writes (the CSVs as a release publishes them: UTF-8 with BOM)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from orchestration.area import area_for
from orchestration.home import Home
from orchestration.portal.figures import latest_release_dir, member_figures

RELEASE_ID = "20260101T000000Z-abcdef123456"
INDICATORS = [
    ["kpi_id", "municipality_code", "municipality_name_ja", "period", "value", "unit"],
    ["tourist_visitors", "40212", "大川市", "CY2023", "655000", "persons"],
    ["tourist_visitors", "40203", "久留米市", "CY2023", "5380000", "persons"],
    ["regional_gross_product", "40212", "大川市", "FY2022", "150480000000", "yen"],
    ["net_social_migration", "40212", "大川市", "CY2023", "-69", "persons"],
    ["net_social_migration", "40212", "大川市", "CY2024", "12", "persons"],
    ["tourist_visitors", "40212", "大川市", "CY2024", "", "persons"],
]
SCORECARD = [
    ["kpi_id", "kpi_name_ja", "kpi_name_en", "scope_code", "period", "unit", "period_target",
     "actual_value", "achievement_rate", "progress_mark", "outlook"],
    ["OKW-01", "移住相談件数", "", "40212", "FY2023", "件", "100", "120", "1.2", "○", "A"],
    ["tourist_visitors", "観光入込客数", "Tourist visitors", "area", "CY2023", "persons",
     "", "9028000", "", "—", ""],
    ["KRM1-01", "新規雇用者数", "", "40203", "FY2015", "人", "16507", "16639", "", "○", "A"],
]


def _write(path: Path, rows: list[list[str]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        csv.writer(fh).writerows(rows)


@pytest.fixture
def home(tmp_path) -> Home:
    home = Home(tmp_path / "home")
    release = home.releases / RELEASE_ID
    _write(release / "data" / "municipal_indicators.csv", INDICATORS)
    _write(release / "data" / "kpi_scorecard.csv", SCORECARD)
    home.latest.symlink_to(RELEASE_ID)
    return home


def _indicator(figures, kpi_id: str, period: str) -> dict:
    (row,) = [r for r in figures.indicators if (r["kpi_id"], r["period"]) == (kpi_id, period)]
    return row


def test_the_latest_release_is_the_folder_latest_points_to(home):
    assert latest_release_dir(home) == (home.releases / RELEASE_ID).resolve()


def test_no_release_yet_gives_none(tmp_path):
    home = Home(tmp_path / "empty")

    assert latest_release_dir(home) is None
    assert member_figures(home.releases / "latest", "40212") is None


def test_only_the_members_own_indicators_with_codes_as_text(home):
    figures = member_figures(latest_release_dir(home), "40212")

    assert figures.release_id == RELEASE_ID
    assert {r["municipality_code"] for r in figures.indicators} == {"40212"}
    assert len(figures.indicators) == 5
    area_order = [k.id for k in area_for(home).kpis]
    ids = [r["kpi_id"] for r in figures.indicators]
    assert ids == sorted(ids, key=area_order.index)  # the area's KPI order, as on its pages


def test_indicators_are_named_and_scaled_as_the_area_defines_the_kpi(home):
    area = area_for(home)
    figures = member_figures(home.latest, "40212")

    visitors = _indicator(figures, "tourist_visitors", "CY2023")
    kpi = area.kpi("tourist_visitors")
    assert (visitors["kpi_name_ja"], visitors["kpi_name_en"]) == (kpi.name_ja, kpi.name_en)
    assert visitors["display_unit_ja"] == kpi.display_unit == "千人"
    assert visitors["display_value"] == 655.0
    assert visitors["display_text_ja"] == "655千人"
    assert visitors["display_text_en"] == "655 k persons"
    assert visitors["value"] == "655000"  # the published row is kept as it was


def test_english_prints_hundred_millions_of_yen_as_billions(home):
    gross = _indicator(member_figures(home.latest, "40212"), "regional_gross_product", "FY2022")

    assert gross["display_text_ja"] == "1,505億円"
    assert gross["display_text_en"] == "150.5 bn yen"


def test_a_signed_kpi_prints_its_sign_and_a_missing_value_a_dash(home):
    figures = member_figures(home.latest, "40212")

    assert _indicator(figures, "net_social_migration", "CY2023")["display_text_ja"] == "−69人"
    assert _indicator(figures, "net_social_migration", "CY2024")["display_text_ja"] == "+12人"
    missing = _indicator(figures, "tourist_visitors", "CY2024")
    assert missing["display_value"] is None and missing["display_text_en"] == "—"


def test_the_scorecard_holds_the_members_own_kpis_not_the_areas(home):
    figures = member_figures(home.latest, "40212")

    (row,) = figures.scorecard
    assert row["kpi_id"] == "OKW-01" and row["scope_code"] == "40212"
    assert row["kpi_name_ja"] == "移住相談件数"
    assert row["kpi_name_en"] == "移住相談件数"  # no English name submitted: the Japanese one
    assert (row["progress_mark"], row["outlook"], row["achievement_rate"]) == ("○", "A", "1.2")


def test_a_release_without_the_files_gives_empty_lists(tmp_path):
    release = tmp_path / "home" / "releases" / RELEASE_ID
    release.mkdir(parents=True)

    figures = member_figures(release, "40212")

    assert figures.indicators == [] and figures.scorecard == []
