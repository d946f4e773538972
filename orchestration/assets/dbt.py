"""dbt models as Dagster assets: sources map to the intake assets (raw/<dataset>)."""

from collections.abc import Mapping
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, dbt_assets

from orchestration.dbt_manifest import dbt_executable, ensure_manifest
from orchestration.home import DBT_PROJECT_DIR
from orchestration.resources import HubHome


class KurumeDbtTranslator(DagsterDbtTranslator):
    """Groups follow the dbt layers; seeds count as staging (reference tables)."""

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        fqn = dbt_resource_props.get("fqn", [])
        if dbt_resource_props.get("resource_type") == "seed":
            return "staging"
        if "marts" in fqn:
            return "marts"
        if "intermediate" in fqn:
            return "marts"
        return "staging"


@dbt_assets(
    manifest=ensure_manifest(),
    dagster_dbt_translator=KurumeDbtTranslator(),
    pool="duckdb_warehouse",
)
def kurume_dbt_models(context: dg.AssetExecutionContext, dbt: DbtCliResource, hub: HubHome):
    """One dbt invocation builds seeds, models and data tests (dbt's fixed cost is ~3-4 s).

    Unit tests check the models' logic, not the data: they run in the test suite
    (tests/integration/test_dbt_models.py), not in every production build (~5 s saved)."""
    home = hub.home
    args = ["build", "--exclude-resource-type", "unit_test"]
    yield from dbt.cli(args, context=context, target_path=home.dbt_target).stream()


def dbt_resource() -> DbtCliResource:
    # The venv's dbt, even when the venv is not activated (the CLI entry point, CI).
    return DbtCliResource(project_dir=str(DBT_PROJECT_DIR), profiles_dir=str(DBT_PROJECT_DIR),
                          dbt_executable=dbt_executable())
