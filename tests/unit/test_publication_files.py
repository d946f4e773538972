"""Deterministic, spreadsheet-safe published files."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from orchestration.publication.catalog import REGIONAL_KPIS
from orchestration.publication.files import csv_bytes, escape_text, format_number, typed_frame

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared" / "reference"
KURUME = ROOT / "sources" / "areas" / "kurume"


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


def _reference(name: str) -> list[dict[str, str]]:
    import csv

    with (SHARED / name).open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


@pytest.mark.skipif(not SHARED.exists(), reason="shared/reference is not beside the project")
def test_the_kurume_area_holds_the_reference_members_and_projects():
    """sources/areas/kurume is the reference, moved: members as listed, projects verbatim
    (one column renamed from the hub's name to hub_role_ja)."""
    from orchestration.area import load_area

    area = load_area(KURUME)
    members = [{"lg_code": m.lg_code, "lg_code5": m.code, "name_ja": m.name_ja,
                "name_en": m.name_en, "kind": m.kind, "role": m.role} for m in area.members]
    assert members == _reference("municipalities.csv")
    renamed = [{("hub_role_ja" if k == "kurume_role_ja" else k): v for k, v in row.items()}
               for row in _reference("collaboration_projects.csv")]
    assert area.table("projects") == renamed


@pytest.mark.skipif(not SHARED.exists(), reason="shared/reference is not beside the project")
def test_the_kurume_kpis_are_the_reference_kpis_in_base_units():
    """Baselines and targets are printed in display units (15,048 億円) in the reference and
    held in base units in area.yaml: the one unit table converts one into the other."""
    from orchestration.area import load_area
    from orchestration.units import display_unit

    area = load_area(KURUME)
    reference = _reference("regional_kpis.csv")
    assert [k.id for k in area.kpis] == [r["kpi_id"] for r in reference]
    for kpi, row in zip(area.kpis, reference, strict=True):
        factor = display_unit(row["unit"].split(" ")[0]).factor
        assert (kpi.name_ja, kpi.name_en, kpi.field_ja) == (
            row["name_ja"], row["name_en"], row["field_ja"])
        assert kpi.display_unit == row["unit"].split(" ")[0]
        assert kpi.baseline_period == (row["baseline_period"] or None)
        assert kpi.target_period_text == row["target_period"].split(" ")[0]
        for value, printed in ((kpi.baseline_value, row["baseline_value"]),
                               (kpi.target_value, row["target_value"])):
            assert value == (float(printed) * factor if printed else None), kpi.id
