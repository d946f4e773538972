"""The Dagster definitions that `dagster dev` and `kurume-hub build` both use."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import ROOT


def test_definitions_load_with_the_expected_assets_and_checks():
    import dagster as dg

    from orchestration.definitions import defs

    graph = defs.resolve_asset_graph()
    keys = {k.to_user_string() for k in graph.get_all_asset_keys()}
    assert {"raw/tourism_visitors", "staging/stg_tourism_visitors", "marts/regional_kpis",
            "marts/municipal_indicators", "release_candidate", "release", "dashboard"} <= keys
    intake = graph.get(dg.AssetKey(["raw", "tourism_visitors"]))
    assert intake.partitions_def.get_partition_keys() == [
        "40203", "40212", "40216", "40225", "40503", "40522"]
    # dbt sources are wired to the intake assets: one connected graph.
    assert dg.AssetKey(["raw", "tourism_visitors"]) in graph.get(
        dg.AssetKey(["staging", "stg_tourism_visitors"])).parent_keys
    checks = {c.name for c in graph.asset_check_keys}
    assert "great_expectations_gate" in checks
    from orchestration.assets.quality import great_expectations_gate

    assert great_expectations_gate in defs.asset_checks
    assert [s.blocking for s in great_expectations_gate.check_specs] == [True]
    assert graph.get(dg.AssetKey("release")).parent_keys == {dg.AssetKey("release_candidate")}


def test_dagster_cli_validates_the_definitions():
    dagster = [sys.executable, "-m", "dagster", "definitions", "validate",
               "-m", "orchestration.definitions"]
    result = subprocess.run(dagster, capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
