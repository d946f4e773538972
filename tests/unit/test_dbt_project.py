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


# ----------------------------------------------------------- one dbt project, two engines
# SQL that DuckDB runs and PostgreSQL does not (or runs with another meaning). The models,
# tests and macros use portable SQL, and what cannot be portable lives in an
# adapter-dispatched macro pair (duckdb__name / default__name, macros/portable.sql), whose
# DuckDB half is the only place these may appear.
DUCKDB_ONLY = {
    "qualify": r"\bqualify\b",
    "any_value": r"\bany_value\s*\(",
    "arg_max / arg_min / max_by / min_by": r"\b(arg_max|arg_min|max_by|min_by)\s*\(",
    "list functions": r"\b(list_\w+|array_length|len|flatten)\s*\(",
    "string_split / str_split": r"\b(string_split\w*|str_split\w*)\s*\(",
    "list comprehension": r"\[[^\]]*\bfor\b[^\]]*\bin\b",
    "group by all / order by all": r"\b(group|order)\s+by\s+all\b",
    "union by name": r"\bunion\s+(all\s+)?by\s+name\b",
    ":: cast (use cast(x as type))": r"::",
    "double without precision": r"\bdouble\b(?!\s+precision)",
    "range() table function (generate_series is on both)": r"\brange\s*\(",
    "integer division //": r"(?<![:/])//",
    "ifnull": r"\bifnull\s*\(",
    "select * exclude / columns()": r"\b(exclude|columns)\s*\(",
    "DuckDB integer types": r"\b(hugeint|ubigint|uinteger|usmallint|utinyint)\b",
    "DuckDB date helpers": r"\b(date_diff|datediff|strftime|strptime|epoch_ms)\s*\(",
    "regexp_matches (a set in PostgreSQL)": r"\bregexp_matches\s*\(",
    "file readers": r"\bread_(csv|parquet|json)\w*\s*\(",
    # PostgreSQL rounds only numeric to n digits, and through 15 digits: round_double()
    "round (use round_double)": r"\bround\s*\(",
}
_DISPATCHED_DUCKDB = re.compile(r"{%-?\s*macro\s+duckdb__\w+\(.*?{%-?\s*endmacro\s*-?%}", re.S)
_COMMENTS = re.compile(r"{#.*?#}|--[^\n]*", re.S)


def duckdb_only_constructs(sql: str) -> list[str]:
    """The DuckDB-only constructs in a model, test or macro file (comments and the DuckDB
    half of dispatched macros left out)."""
    code = _COMMENTS.sub(" ", _DISPATCHED_DUCKDB.sub(" ", sql)).lower()
    return [name for name, pattern in DUCKDB_ONLY.items() if re.search(pattern, code)]


def _dbt_sql_files():
    return sorted(p for folder in ("models", "tests", "macros", "analyses")
                  for p in (DBT_PROJECT_DIR / folder).rglob("*.sql"))


def test_the_models_tests_and_macros_use_no_duckdb_only_sql():
    found = {str(p.relative_to(DBT_PROJECT_DIR)): duckdb_only_constructs(p.read_text("utf-8"))
             for p in _dbt_sql_files()}
    assert len(found) > 20  # the scan reads the project
    assert {path: names for path, names in found.items() if names} == {}


def test_the_scan_finds_what_it_looks_for_and_spares_the_duckdb_half():
    assert duckdb_only_constructs("select * from t qualify row_number() over () = 1") == [
        "qualify"]
    assert duckdb_only_constructs("select any_value(x order by y), x::int from t") == [
        "any_value", ":: cast (use cast(x as type))"]
    assert duckdb_only_constructs("select cast(x as double) from t group by all") == [
        "group by all / order by all", "double without precision"]
    assert duckdb_only_constructs("select [f for f in string_split(x, ';')]") == [
        "string_split / str_split", "list comprehension"]
    assert duckdb_only_constructs("select * from range(1, 3) as y(n)") == [
        "range() table function (generate_series is on both)"]
    assert duckdb_only_constructs(
        "{% macro duckdb__f(x) %}list_sort({{ x }}){% endmacro %}"
        "{% macro default__f(x) %}array(select 1){% endmacro %}"
        "-- qualify in a comment\nselect cast(x as double precision), y / 2") == []


def test_every_duckdb_macro_has_a_portable_twin_and_a_dispatcher():
    """A duckdb__name without default__name (or postgres__name) would fail only on
    PostgreSQL, at run time."""
    macros = "".join(p.read_text(encoding="utf-8")
                     for p in (DBT_PROJECT_DIR / "macros").rglob("*.sql"))
    duckdb_halves = re.findall(r"macro\s+duckdb__(\w+)\(", macros)
    assert duckdb_halves  # the round, list and first-value macros at least
    for name in duckdb_halves:
        assert re.search(rf"macro\s+(default|postgres)__{name}\(", macros), name
        assert re.search(rf"adapter\.dispatch\(\s*'{name}'\s*\)", macros), name


def test_the_profile_has_the_duckdb_default_and_a_postgres_output():
    import yaml

    profile = yaml.safe_load((DBT_PROJECT_DIR / "profiles.yml").read_text("utf-8"))["kurume_hub"]
    assert profile["target"] == "home"
    assert profile["outputs"]["home"]["type"] == "duckdb"
    postgres = profile["outputs"]["postgres"]
    assert postgres["type"] == "postgres"
    for key in ("host", "port", "user", "password", "dbname", "schema"):
        assert f"KURUME_HUB_PG_{key.upper()}" in str(postgres[key]), key
