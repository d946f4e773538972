"""The area's reference tables in the warehouse, written before dbt reads them.

``reference.<table>`` (the area itself, members, KPI definitions, projects, shared services,
counterpart areas, units) come from the home's area folder through
orchestration/area_tables.py, all in one step (one asset per table, so that each dbt source
``reference.<table>`` maps to its own asset: _reference_sources.yml).
"""

import dagster as dg

from orchestration.area import area_for
from orchestration.area_tables import SCHEMAS, typed_rows
from orchestration.intake.dbt_sources import reference_asset_key
from orchestration.resources import HubHome
from orchestration.warehouse import open_warehouse


def _spec(table: str) -> dg.AssetSpec:
    return dg.AssetSpec(
        reference_asset_key(table),
        group_name="intake",
        description=f"圏域の参照表 reference.{table}（圏域の定義から） / The area's reference "
                    f"table reference.{table}, from the home's area definition.",
        kinds={"duckdb", "python"},
    )


@dg.multi_asset(
    specs=[_spec(table) for table in SCHEMAS],
    name="reference_tables",
    pool="duckdb_warehouse",
    retry_policy=dg.RetryPolicy(max_retries=2, delay=2),
)
def reference_tables(context: dg.AssetExecutionContext, hub: HubHome):
    home = hub.home
    area = area_for(home)  # the home's area, also when the process loaded another one
    with open_warehouse(home) as warehouse:
        counts = write_reference_tables(warehouse, area)
    for table, rows in counts.items():
        yield dg.MaterializeResult(asset_key=reference_asset_key(table), metadata={
            "row_count": dg.MetadataValue.int(rows),
            "area_id": dg.MetadataValue.text(area.id),
            "area_digest": dg.MetadataValue.text(area.digest()),
        })


def write_reference_tables(warehouse, area) -> dict[str, int]:
    """Replace ``reference.<table>`` for every table in the home's warehouse (DuckDB or
    PostgreSQL); returns the row count of each."""
    counts = {}
    for name, schema in SCHEMAS.items():
        rows = typed_rows(name, area)
        warehouse.replace_table("reference", name, schema,
                                [[row.get(column) for column, _ in schema] for row in rows])
        counts[name] = len(rows)
    return counts
