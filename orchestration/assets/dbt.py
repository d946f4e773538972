"""dbt models as Dagster assets: sources map to the intake assets (raw/<dataset>) and to the
area's reference tables (reference/area)."""

import contextlib
import json
import threading
from collections.abc import Mapping, Sequence
from functools import cached_property
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, dbt_assets
from packaging import version

from orchestration.area import area_for
from orchestration.dbt_manifest import dbt_executable, ensure_manifest, vars_argument
from orchestration.home import DBT_PROJECT_DIR
from orchestration.resources import HubHome


class KurumeDbtTranslator(DagsterDbtTranslator):
    """Groups follow the dbt layers."""

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        fqn = dbt_resource_props.get("fqn", [])
        if "marts" in fqn:
            return "marts"
        if "intermediate" in fqn:
            return "marts"
        return "staging"


# What a production build runs: models and data tests (unit tests: see below).
BUILD_ARGS = ("build", "--exclude-resource-type", "unit_test")
# Node types BUILD_ARGS runs; unit tests are not in the manifest's "nodes".
_BUILT_TYPES = frozenset({"model", "snapshot", "test"})


def build_node_count(manifest_path) -> int:
    """How many nodes BUILD_ARGS runs: the N of dbt's "n of N" (ephemeral models do not run)."""
    nodes = json.loads(Path(manifest_path).read_text(encoding="utf-8"))["nodes"].values()
    return sum(1 for n in nodes if n["resource_type"] in _BUILT_TYPES
               and n.get("config", {}).get("materialized") != "ephemeral")


@dbt_assets(
    manifest=ensure_manifest(),
    dagster_dbt_translator=KurumeDbtTranslator(),
    pool="duckdb_warehouse",
)
def kurume_dbt_models(context: dg.AssetExecutionContext, dbt: DbtCliResource, hub: HubHome):
    """One dbt invocation builds models and data tests (dbt's fixed cost is ~3-4 s).

    The home's area gives the KPIs (--vars, see orchestration/dbt_manifest.py). Unit tests
    check the models' logic, not the data: they run in the test suite
    (tests/integration/test_dbt_models.py), not in every production build (~5 s saved)."""
    home = hub.home
    args = [*BUILD_ARGS, *target_argument(home), *vars_argument(area_for(home))]
    _import_gate_meanwhile()
    yield from dbt.cli(args, context=context, target_path=home.dbt_target).stream()


def target_argument(home) -> list[str]:
    """``--target`` of the home's warehouse: the profile's DuckDB file or its PostgreSQL
    output (orchestration/warehouse.py; the connection is in KURUME_HUB_PG_*)."""
    from orchestration.warehouse import warehouse_spec

    return ["--target", warehouse_spec(home).dbt_target()]


def _import_gate_meanwhile() -> None:
    """dbt works in its own process; this one mostly waits for its output. The gate's Great
    Expectations import (~4 s of CPU, paid after dbt otherwise) is done meanwhile, in a
    thread (issue 15). A failing import is left for the gate step to report."""
    def import_gx() -> None:
        with contextlib.suppress(Exception):
            from orchestration.quality.gate import import_gx

            import_gx()

    threading.Thread(target=import_gx, name="import-great-expectations", daemon=True).start()


class InstalledDbtCliResource(DbtCliResource):
    """``DbtCliResource`` without two costs paid on every run (issue 15, measured ~9 s a build
    on two cores): dagster-dbt runs ``dbt --version`` in a subprocess to learn the version of
    the dbt it is about to run, and opens a dbt adapter for column metadata and row counts,
    which these assets never ask for. The dbt run is the venv's own, whose version is the
    installed dbt-core's."""

    @cached_property
    def _cli_version(self) -> version.Version:
        from dbt.version import __version__ as installed

        return version.parse(installed)

    def _initialize_dbt_core_adapter(self, args: Sequence[str]) -> None:
        return None


def dbt_resource() -> DbtCliResource:
    # The venv's dbt, even when the venv is not activated (the CLI entry point, CI).
    return InstalledDbtCliResource(project_dir=str(DBT_PROJECT_DIR), profiles_dir=str(DBT_PROJECT_DIR),
                          dbt_executable=dbt_executable())
