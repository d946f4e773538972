"""Deterministic, spreadsheet-safe published files."""

from __future__ import annotations

import filecmp
from pathlib import Path

import pandas as pd
import pytest

from orchestration.publication.catalog import REGIONAL_KPIS
from orchestration.publication.files import csv_bytes, escape_text, format_number, typed_frame

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared" / "reference"


@pytest.mark.parametrize(("value", "text"), [
    (1504800000000.0, "1504800000000"), (9028000.0, "9028000"), (0.1, "0.1"),
    (1e-7, "0.0000001"), (-69.0, "-69"), (None, ""), (float("nan"), ""), (5, "5")])
def test_numbers_are_never_written_in_scientific_notation(value, text):
    assert format_number(value) == text


@pytest.mark.parametrize("text", ["=SUM(A1)", "+1", "-2+3", "@cmd", "\tx"])
def test_text_that_would_start_a_formula_is_escaped(text):
    assert escape_text(text) == "'" + text


def test_plain_text_is_unchanged():
    assert escape_text("観光入込客数") == "観光入込客数"


def _frame():
    return pd.DataFrame({
        "kpi_id": ["tourist_visitors", "regional_gross_product"],
        "kpi_name_ja": ["観光入込客数", "=圏域の総生産額"], "kpi_name_en": ["a", "b"],
        "period": ["CY2023", "FY2022"], "period_type": ["CY", "FY"],
        "period_year": [2023, 2022], "value": [9028000.0, 1504800000000.0],
        "unit": ["persons", "yen"], "members_reporting": [6, 6],
        "cumulative_value": [None, None], "cumulative_period": [None, None]})


def test_csv_has_bom_sorted_rows_and_escaped_text():
    data = csv_bytes(typed_frame(_frame(), REGIONAL_KPIS), REGIONAL_KPIS)
    assert data.startswith(b"\xef\xbb\xbf")
    lines = data.decode("utf-8-sig").splitlines()
    assert lines[1].startswith("regional_gross_product,'=圏域の総生産額,b,FY2022,FY,2022,1504800000000")
    assert lines[2].startswith("tourist_visitors,観光入込客数")


def test_same_frame_in_any_row_order_gives_identical_bytes():
    frame = _frame()
    first = csv_bytes(typed_frame(frame, REGIONAL_KPIS), REGIONAL_KPIS)
    second = csv_bytes(typed_frame(frame.iloc[::-1], REGIONAL_KPIS), REGIONAL_KPIS)
    assert first == second


@pytest.mark.skipif(not SHARED.exists(), reason="shared/reference is not beside the project")
@pytest.mark.parametrize(("seed", "reference"), [
    ("municipalities.csv", "municipalities.csv"),
    ("collaboration_projects.csv", "collaboration_projects.csv"),
    ("regional_kpi_definitions.csv", "regional_kpis.csv")])
def test_dbt_seeds_are_verbatim_copies_of_the_reference(seed, reference):
    assert filecmp.cmp(ROOT / "dbt_project" / "seeds" / seed, SHARED / reference, shallow=False)
