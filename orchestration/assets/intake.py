"""Intake assets: one per dataset, partitioned by member municipality.

A partition loads that member's accepted rows (latest submission wins per key) into
``raw.<dataset>`` in DuckDB, replacing only that member's rows.
"""

import dagster as dg

from orchestration.intake.contracts import Contract, load_contracts, municipalities, raw_columns
from orchestration.intake.ledger import Ledger
from orchestration.intake.submissions import current_records
from orchestration.publication.faults import crash_point
from orchestration.resources import HubHome
from orchestration.warehouse import connect

MUNICIPALITY_PARTITIONS = dg.StaticPartitionsDefinition(sorted(municipalities()))
# The ledger position a run loads: every intake step of the run reads the submissions up to
# it, so one run loads one coherent state of the ledger, and a file accepted while the run
# goes on waits for the next run (the release lists the submissions loaded, see
# publication/inputs.py). A run tag: the UI shows it beside the run.
LEDGER_SNAPSHOT_TAG = "kurume/ledger_seq"


def ledger_snapshot(instance, run_id: str, ledger: Ledger) -> int:
    """The run's ledger position, taken by its first intake step (CLI build, sensor run,
    UI launch alike)."""
    tagged = instance.get_run_by_id(run_id).tags.get(LEDGER_SNAPSHOT_TAG)
    if tagged is not None:
        return int(tagged)
    seq = max((e.seq for e in ledger.entries()), default=0)
    instance.add_run_tags(run_id, {LEDGER_SNAPSHOT_TAG: str(seq)})
    return seq


def ensure_raw_table(con, contract: Contract) -> None:
    cols = ", ".join(f'"{name}" {dtype}' for name, dtype, _, _ in raw_columns(contract))
    con.execute("create schema if not exists raw")
    con.execute(f"create table if not exists raw.{contract.dataset} ({cols})")


def load_member_rows(con, contract: Contract, municipality: str, records: list[dict]) -> None:
    """Replace one member's rows in one transaction, so readers never see half a load."""
    columns = raw_columns(contract)
    con.execute("begin transaction")
    con.execute(f"delete from raw.{contract.dataset} where municipality_code = ?", [municipality])
    crash_point("during_intake")  # a kill here leaves the transaction open and the slot held
    if records:
        # One columnar insert: DuckDB's executemany binds row by row (~75 ms a member and
        # dataset, 3.6 s of a build, issue 15).
        con.register("member_rows", _arrow_rows(columns, records))
        try:
            names = ", ".join(f'"{name}"' for name, _, _, _ in columns)
            con.execute(f"insert into raw.{contract.dataset} ({names}) "
                        f"select {names} from member_rows")
        finally:
            con.unregister("member_rows")
    con.execute("commit")


# raw_columns' DuckDB types as Arrow types: the rows go in with the table's own types.
_ARROW_TYPES = {"INTEGER": "int32", "DOUBLE": "float64", "VARCHAR": "string"}


def _arrow_rows(columns, records: list[dict]):
    import pyarrow as pa

    return pa.table({name: pa.array([r.get(name) for r in records],
                                    type=pa.type_for_alias(_ARROW_TYPES[dtype]))
                     for name, dtype, _, _ in columns})


def build_intake_asset(contract: Contract) -> dg.AssetsDefinition:
    @dg.asset(
        name=contract.dataset,
        key_prefix=["raw"],
        group_name="intake",
        partitions_def=MUNICIPALITY_PARTITIONS,
        # One run may load all six members (the CLI build); one member's resubmission
        # runs just its partition.
        backfill_policy=dg.BackfillPolicy.single_run(),
        description=f"{contract.title_ja} / {contract.title_en}: members' accepted rows in "
                    f"raw.{contract.dataset}, one partition per municipality.",
        pool="duckdb_warehouse",
        retry_policy=dg.RetryPolicy(max_retries=2, delay=2),
        kinds={"duckdb", "python"},
    )
    def _intake(context: dg.AssetExecutionContext, hub: HubHome) -> dg.MaterializeResult:
        home = hub.home
        ledger = Ledger(home)
        snapshot = ledger_snapshot(context.instance, context.run_id, ledger)
        rows_by_member, submissions_by_member, preview = {}, {}, []
        with connect(home.warehouse) as con:
            ensure_raw_table(con, contract)
            for municipality in context.partition_keys:
                records = current_records(ledger, municipality, contract.dataset,
                                          max_seq=snapshot)
                load_member_rows(con, contract, municipality, records)
                rows_by_member[municipality] = len(records)
                submissions_by_member[municipality] = sorted({r["submission_id"] for r in records})
                preview += records[:3]
        # In a run covering several members the same metadata lands on each partition,
        # so it is keyed by member.
        return dg.MaterializeResult(metadata={
            "row_count": dg.MetadataValue.int(sum(rows_by_member.values())),
            "ledger_seq": dg.MetadataValue.int(snapshot),
            "rows_by_member": dg.MetadataValue.json(rows_by_member),
            "submission_ids": dg.MetadataValue.json(submissions_by_member),
            "preview": dg.MetadataValue.md(_markdown_preview(contract, preview)),
        })

    return _intake


def _markdown_preview(contract: Contract, records: list[dict]) -> str:
    names = ["municipality_code", *[c.name for c in contract.columns][:5], "submission_id"]
    lines = ["| " + " | ".join(names) + " |", "|" + "---|" * len(names)]
    for record in records[:10]:
        lines.append("| " + " | ".join(str(record.get(n, "")) for n in names) + " |")
    return "\n".join(lines) if records else "(no rows)"


def intake_assets() -> list[dg.AssetsDefinition]:
    return [build_intake_asset(c) for c in load_contracts().values()]
