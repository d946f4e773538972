"""The one unit table (orchestration/units.py) agrees with what the intake reads.

Issue 12: three unit tables used to disagree, so a KPI shown in 万人 could be scaled on the
page but not in the model. Now a display unit has one factor: the one a member's cell
``9,028 千人`` is read with, the one dbt reads from ``reference.units``, the one pages use.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from orchestration.area import AREAS_DIR, AreaError, load_area
from orchestration.area_tables import reference_rows
from orchestration.intake.values import parse_quantity
from orchestration.units import BASE_UNITS, base_unit_of, display_unit, unit_table

AREA_FOLDERS = sorted(p.parent for p in AREAS_DIR.glob("*/area.yaml"))
# Factors known independently of the code: what the units mean in Japanese.
KNOWN_FACTORS = {"人": 1, "千人": 1_000, "万人": 10_000, "円": 1, "千円": 1_000,
                 "百万円": 1_000_000, "億円": 100_000_000, "件": 1, "%": 1}


@pytest.mark.parametrize("row", unit_table(), ids=lambda row: row.unit)
def test_a_cell_typed_in_a_display_unit_is_read_with_the_tables_factor(row):
    typed = parse_quantity(f"9,028 {row.unit}")
    assert typed.status == "ok"
    assert typed.value == pytest.approx(9028 * row.factor)
    assert BASE_UNITS[row.base_unit][0] == typed.unit
    # A plain number in a column declared in that unit is scaled the same way.
    assert parse_quantity("12", expected_unit=row.unit).value == pytest.approx(12 * row.factor)


def test_the_tables_factors_are_what_the_units_mean():
    factors = {row.unit: row.factor for row in unit_table()}
    assert {u: factors.get(u) for u in KNOWN_FACTORS} == KNOWN_FACTORS
    assert display_unit("千人").factor * 9028 == parse_quantity("9,028 千人").value


def test_dbt_reads_the_same_rows_as_python():
    rows = {r["unit"]: (r["base_unit"], float(r["factor"])) for r in reference_rows("units")}
    assert rows == {row.unit: (row.base_unit, row.factor) for row in unit_table()}


@pytest.mark.parametrize("folder", AREA_FOLDERS, ids=lambda p: p.name)
def test_every_kpi_of_every_area_is_shown_in_a_unit_of_the_table(folder):
    area = load_area(folder)
    known = {row.unit for row in unit_table()}
    for kpi in area.kpis:
        assert kpi.display_unit in known, kpi.id
        # The display unit counts the same thing as the published base unit (persons are not
        # shown in 億円): 件 may count projects or cases alike.
        assert BASE_UNITS[base_unit_of(kpi.display_unit)][0] == BASE_UNITS[kpi.unit][0], kpi.id


def _area_with_display_unit(tmp_path: Path, unit) -> Path:
    folder = tmp_path / "area"
    shutil.copytree(AREA_FOLDERS[0], folder, ignore=shutil.ignore_patterns("samples"))
    raw = yaml.safe_load((folder / "area.yaml").read_text(encoding="utf-8"))
    raw["kpis"][0]["display_unit"] = unit
    (folder / "area.yaml").write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    return folder


def test_an_area_with_a_display_unit_outside_the_table_is_refused(tmp_path):
    with pytest.raises(AreaError) as caught:
        load_area(_area_with_display_unit(tmp_path, "十万人"))
    assert "十万人" in caught.value.ja and "unit table" in caught.value.en


def test_every_display_unit_of_the_table_is_accepted(tmp_path):
    kpi = load_area(AREA_FOLDERS[0]).kpis[0]
    same_base = [row.unit for row in unit_table()
                 if BASE_UNITS[row.base_unit][0] == BASE_UNITS[kpi.unit][0]]
    for index, unit in enumerate(same_base):
        area = load_area(_area_with_display_unit(tmp_path / str(index), unit))
        assert area.kpis[0].display_unit == unit
