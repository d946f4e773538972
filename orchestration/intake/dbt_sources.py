"""Generate dbt's source definitions: ``_sources.yml`` from the submission contracts and
``_reference_sources.yml`` from the area's reference tables (orchestration/area_tables.py).

The contracts are the single definition of each dataset and ``SCHEMAS`` of each reference
table; the files are generated so the dbt sources cannot drift from them (a unit test
compares the committed files). Run: ``python -m orchestration.intake.dbt_sources``.
"""

from __future__ import annotations

import yaml

from orchestration.area_tables import SCHEMAS
from orchestration.home import DBT_PROJECT_DIR
from orchestration.intake.contracts import load_contracts, raw_columns

SOURCES_YML = DBT_PROJECT_DIR / "models" / "staging" / "_sources.yml"
REFERENCE_YML = DBT_PROJECT_DIR / "models" / "staging" / "_reference_sources.yml"
HEADER = "# GENERATED from sources/contracts/*.yaml by orchestration.intake.dbt_sources; do not edit.\n"
REFERENCE_HEADER = ("# GENERATED from orchestration/area_tables.py SCHEMAS by "
                    "orchestration.intake.dbt_sources; do not edit.\n")


def reference_asset_key(table: str) -> list[str]:
    """The Dagster asset of a reference table (orchestration/assets/reference.py writes all)."""
    return ["reference", table]


# What each reference table holds (the rows come from the active area's folder).
_REFERENCE_TABLES = {
    "area": "The area itself: names, publisher, licence, the vision's years, member count (one row).",
    "municipalities": "The area's members in display order (area.yaml members).",
    "regional_kpi_definitions": "The area's regional KPIs (area.yaml kpis): method, baseline and "
                                "target in base units, direction, cumulative rules.",
    "collaboration_projects": "The collaboration projects and their participating members "
                              "(projects.csv; empty when the area has none).",
    "shared_services": "Shared daily-life services, their project and an illustrative per-use cost "
                       "(shared_services.csv; empty when the area has none).",
    "counterpart_areas": "Counterpart areas of population_moves: the members and the "
                         "counterpart_areas.csv rows, each with its area group.",
    "units": "The one unit table (orchestration/units.py): display unit -> base unit and factor.",
}
# Keys and links checked on every build (dbt data tests), by table and column.
_REFERENCE_TESTS: dict[tuple[str, str], list] = {
    ("area", "area_id"): ["not_null"],
    ("area", "vision_first_year"): ["not_null"],
    ("municipalities", "lg_code5"): ["unique", "not_null"],
    ("regional_kpi_definitions", "kpi_id"): ["unique", "not_null"],
    ("regional_kpi_definitions", "method"): ["not_null"],
    ("regional_kpi_definitions", "required_members"): ["not_null"],
    ("collaboration_projects", "no"): ["unique", "not_null"],
    ("shared_services", "service_code"): ["unique", "not_null"],
    ("shared_services", "project_no"): [{"relationships": {"arguments": {
        "to": "source('reference', 'collaboration_projects')", "field": '"no"'}}}],
    ("counterpart_areas", "area_code"): ["unique", "not_null"],
    ("counterpart_areas", "area_group"): ["not_null"],
    ("units", "unit"): ["unique", "not_null"],
}


# Filled on every raw row by the intake (intake/submissions.py current_records: the
# partition's member, the ledger entry's id and file hash); still checked on every build.
_RAW_NOT_NULL = ("municipality_code", "submission_id", "source_sha256")


def not_null_test(columns: list[str]) -> dict:
    """One data test for all of a table's required columns (dbt_project/tests/generic/
    not_null_columns.sql): a dbt test node costs ~55 ms, one per column added up (issue 15)."""
    return {"not_null_columns": {"arguments": {"column_names": columns}}}


def render_sources_yaml() -> str:
    tables = []
    for contract in load_contracts().values():
        columns = [{"name": name, "description": f"{desc_ja} / {desc_en}",
                    "data_type": dtype.lower()}
                   for name, dtype, desc_ja, desc_en in raw_columns(contract)]
        tables.append({
            "name": contract.dataset,
            "description": f"{contract.title_ja} / {contract.title_en}. "
                           f"{contract.description_en}".strip(),
            "meta": {"dagster": {"asset_key": ["raw", contract.dataset]}},
            "data_tests": [not_null_test(
                [c["name"] for c in columns if c["name"] in _RAW_NOT_NULL])],
            "columns": columns,
        })
    doc = {"version": 2, "sources": [{
        "name": "raw",
        "schema": "raw",
        "description": "Members' accepted submissions, one partition per municipality, loaded "
                       "by the Dagster intake assets. Every row carries its submission id.",
        "tables": tables,
    }]}
    return HEADER + yaml.safe_dump(doc, allow_unicode=True, sort_keys=False, width=100)


# Reference columns named like a word of SQL.
_SQL_KEYWORDS = frozenset({"no"})


def _reference_column(table: str, name: str, dtype: str) -> dict:
    column: dict = {"name": name, "data_type": dtype.lower()}
    if name in _SQL_KEYWORDS:  # tests must quote it
        column["quote"] = True
    # not_null: one test per table (not_null_test)
    tests = [t for t in _REFERENCE_TESTS.get((table, name), []) if t != "not_null"]
    if tests:
        column["data_tests"] = tests
    return column


def _reference_not_null(table: str, schema) -> list[dict]:
    columns = [f'"{name}"' if name in _SQL_KEYWORDS else name for name, _ in schema
               if "not_null" in _REFERENCE_TESTS.get((table, name), [])]
    return [not_null_test(columns)] if columns else []


def render_reference_sources_yaml() -> str:
    tables = [{
        "name": table,
        "description": _REFERENCE_TABLES[table],
        "meta": {"dagster": {"asset_key": reference_asset_key(table)}},
        **({"data_tests": tests} if (tests := _reference_not_null(table, schema)) else {}),
        "columns": [_reference_column(table, name, dtype) for name, dtype in schema],
    } for table, schema in SCHEMAS.items()]
    doc = {"version": 2, "sources": [{
        "name": "reference",
        "schema": "reference",
        "description": "The active area's reference tables, derived from its folder "
                       "(sources/areas/<area_id>/) and written before dbt runs by the Dagster "
                       "assets reference/<table>.",
        "tables": tables,
    }]}
    return REFERENCE_HEADER + yaml.safe_dump(doc, allow_unicode=True, sort_keys=False, width=100)


def main() -> None:
    SOURCES_YML.write_text(render_sources_yaml(), encoding="utf-8")
    REFERENCE_YML.write_text(render_reference_sources_yaml(), encoding="utf-8")
    print(SOURCES_YML)
    print(REFERENCE_YML)


if __name__ == "__main__":
    main()
