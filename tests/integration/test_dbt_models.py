"""The dbt project on its own: the evaluation logic (unit tests) and every mart built
from the sample submissions."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import duckdb

from tests.conftest import ROOT

DBT = ROOT / ".venv" / "bin" / "dbt"


def _dbt(home: Path, *args: str) -> subprocess.CompletedProcess:
    from orchestration.area import area_for
    from orchestration.dbt_manifest import vars_argument
    from orchestration.home import Home

    env = {**os.environ, "KURUME_HUB_HOME": str(home), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    dbt = str(DBT) if DBT.exists() else "dbt"
    return subprocess.run(
        [dbt, *args, "--project-dir", str(ROOT / "dbt_project"), "--profiles-dir",
         str(ROOT / "dbt_project"), "--target-path", str(home / "dbt" / "unit-target"),
         *vars_argument(area_for(Home.resolve(str(home))))],
        env=env, capture_output=True, text=True, cwd=ROOT / "dbt_project")


def test_evaluation_unit_tests_pass(built_home: Path):
    """Printed marks of members' reports (△ × ×, ○ ○ ○), lower/maintain/at-least/cumulative/
    missing, the area's sums and running totals, and one test per KPI method."""
    from orchestration.area import METHODS

    result = _dbt(built_home, "test", "--select", "test_type:unit")
    assert result.returncode == 0, result.stdout[-4000:]
    passed = sum(result.stdout.count(f"PASS {model}::") for model in (
        "kpi_scorecard", "regional_kpis", "int_kpi_evaluation__members"))
    assert passed == 12, result.stdout[-4000:]
    for method in METHODS:  # adding a method is its macro plus this unit test
        assert f"PASS int_municipal_indicators__unioned::method_{method} " in result.stdout, method


def test_every_mart_is_built_from_the_sample_submissions(demo_home: Path):
    con = duckdb.connect(str(demo_home / "warehouse.duckdb"), read_only=True)
    try:
        counts = dict(con.execute(
            "select table_name, estimated_size from duckdb_tables() where schema_name = 'marts'"
        ).fetchall())
        for mart in ("regional_kpis", "municipal_indicators", "kpi_scorecard",
                     "population_flows", "net_migration", "area_net_exchange",
                     "population_flow_reconciliation", "project_budgets", "service_usage",
                     "service_cost_sharing"):
            rows = con.execute(f"select count(*) from marts.{mart}").fetchone()[0]
            assert rows > 0, mart
        assert set(counts) >= {"regional_kpis", "kpi_scorecard"}
        from orchestration.intake.contracts import load_contracts

        for dataset in load_contracts():  # all eight datasets are loaded ...
            rows, with_id, members = con.execute(
                f"select count(*), count(submission_id), count(distinct municipality_code) "
                f"from raw.{dataset}").fetchone()
            assert rows > 0 and rows == with_id, dataset  # ... each row with its submission
            assert members == (1 if dataset == "pedestrian_counts" else 6), dataset
    finally:
        con.close()


def test_reference_tables_are_assets_upstream_of_dbt():
    """The area's reference tables are written by one Dagster step before dbt reads them,
    and the KPIs' lineage follows the area's methods (vars given to the manifest's parse)."""
    import dagster as dg

    from orchestration.area import active_area
    from orchestration.area_tables import SCHEMAS
    from orchestration.definitions import defs

    graph = defs.resolve_asset_graph()
    for table in SCHEMAS:
        node = graph.get(dg.AssetKey(["reference", table]))
        assert node.group_name == "intake" and node.partitions_def is None, table
    assert dg.AssetKey(["reference", "regional_kpi_definitions"]) in graph.get(
        dg.AssetKey(["marts", "regional_kpis"])).parent_keys
    unioned = graph.get(dg.AssetKey(["intermediate", "int_municipal_indicators__unioned"]))
    for kpi in active_area().kpis:
        if kpi.method != "net_moves":
            assert dg.AssetKey(["staging", f"stg_{kpi.dataset}"]) in unioned.parent_keys, kpi.id


def test_a_null_in_a_required_column_fails_and_names_the_column(built_home: Path):
    """A model's required columns are one not_null_columns test (one dbt node, not one per
    column): nulls in two of them fail it once, counted per null cell, and its failing rows
    name each column."""
    warehouse = str(built_home / "warehouse.duckdb")
    con = duckdb.connect(warehouse)
    try:
        first, second = (r[0] for r in con.execute(
            "select rowid from marts.regional_kpis order by rowid limit 2").fetchall())
        con.execute(f"update marts.regional_kpis set unit = null where rowid = {first}")
        con.execute(f"update marts.regional_kpis set value = null where rowid = {second}")
    finally:
        con.close()
    result = _dbt(built_home, "test", "--select", "regional_kpis,test_name:not_null_columns",
                  "--store-failures")
    assert result.returncode == 1, result.stdout[-4000:]
    assert "Failure in test not_null_columns_regional_kpis" in result.stdout, result.stdout[-4000:]
    assert "Got 2 results, configured to fail if != 0" in result.stdout, result.stdout[-4000:]
    stored = re.search(r"See test failures:\s*-+\s*(select \* from \S+)", result.stdout)
    assert stored, result.stdout[-4000:]
    con = duckdb.connect(warehouse, read_only=True)
    try:
        named = sorted(con.execute(f"select null_column from ({stored.group(1)})").fetchall())
    finally:
        con.close()
    assert named == [("unit",), ("value",)]


def test_models_and_sources_check_their_required_columns_in_one_test():
    """No model or source is back to one not_null node per column (~55 ms of dbt each): one
    not_null_columns test per model and per source table (the sources' generated from the
    intake contracts, orchestration/intake/dbt_sources.py)."""
    from orchestration.dbt_manifest import ensure_manifest

    nodes = json.loads(ensure_manifest().read_text(encoding="utf-8"))["nodes"].values()
    tests = [n for n in nodes if n["resource_type"] == "test" and n.get("test_metadata")]
    single = [n["name"] for n in tests if n["test_metadata"]["name"] == "not_null"]
    assert single == [], single
    folded = [n["depends_on"]["nodes"] for n in tests
              if n["test_metadata"]["name"] == "not_null_columns"]
    assert all(len(on) == 1 for on in folded), folded
    tested = [on[0] for on in folded]
    assert len(tested) == len(set(tested)), tested  # one per model or source table
    assert any(t.startswith("source.") for t in tested)
    assert any(t.startswith("model.") for t in tested)
