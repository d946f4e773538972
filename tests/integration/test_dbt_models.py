"""The dbt project on its own: the evaluation logic (unit tests) and every mart built
from the sample submissions."""

from __future__ import annotations

import os
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
