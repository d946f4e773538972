"""The dbt project is derived from the area: reference sources from area_tables.SCHEMAS,
KPIs from the area's definition (vars), one macro per method."""

from __future__ import annotations

import json
import re

from orchestration.area import METHODS, load_area
from orchestration.area_tables import SCHEMAS
from orchestration.dbt_manifest import dbt_vars, vars_argument
from orchestration.home import DBT_PROJECT_DIR, PROJECT_ROOT
from orchestration.intake.dbt_sources import REFERENCE_YML, render_reference_sources_yaml

KURUME = PROJECT_ROOT / "sources" / "areas" / "kurume" / "area.yaml"


def test_committed_reference_sources_match_the_schemas():
    assert REFERENCE_YML.read_text(encoding="utf-8") == render_reference_sources_yaml(), (
        "run: python -m orchestration.intake.dbt_sources")


def test_every_reference_table_is_a_source_mapped_to_its_asset():
    import yaml

    doc = yaml.safe_load(REFERENCE_YML.read_text(encoding="utf-8"))
    tables = {t["name"]: t for t in doc["sources"][0]["tables"]}
    assert set(tables) == set(SCHEMAS)
    for name, table in tables.items():
        assert table["meta"]["dagster"]["asset_key"] == ["reference", name]
        assert [c["name"] for c in table["columns"]] == [c for c, _ in SCHEMAS[name]]


def test_no_seeds_and_no_reference_by_ref():
    """The reference tables are sources written from the area, never a copy in dbt_project."""
    assert not (DBT_PROJECT_DIR / "seeds").exists()
    pattern = re.compile(r"ref\(\s*'(" + "|".join(SCHEMAS) + r")'\s*\)")
    for path in [*DBT_PROJECT_DIR.glob("models/**/*"), *DBT_PROJECT_DIR.glob("tests/*.sql")]:
        if path.is_file():
            assert not pattern.search(path.read_text(encoding="utf-8")), path


def test_every_method_has_its_macro():
    macros = "".join(p.read_text(encoding="utf-8")
                     for p in (DBT_PROJECT_DIR / "macros").glob("*.sql"))
    for method in METHODS:
        assert re.search(r"{%-?\s*macro\s+" + method + r"\(kpi\)", macros), method


def test_dbt_vars_carry_each_kpi_as_defined():
    area = load_area(KURUME)
    var = dbt_vars(area)
    assert var["kpi_methods"] == list(METHODS)
    assert [k["id"] for k in var["area_kpis"]] == [k.id for k in area.kpis]
    for given, kpi in zip(var["area_kpis"], area.kpis, strict=True):
        assert given == {"id": kpi.id, "method": kpi.method, "dataset": kpi.dataset,
                         "measure": kpi.measure, "period_type": kpi.period_type,
                         "unit": kpi.unit, "members": list(kpi.members)}
    flag, text = vars_argument(area)
    assert flag == "--vars" and json.loads(text) == var
