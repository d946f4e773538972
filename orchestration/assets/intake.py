"""Intake assets: one per dataset, partitioned by member municipality.

A partition loads that member's accepted rows (latest submission wins per key) into
``raw.<dataset>`` in the home's warehouse (DuckDB, or PostgreSQL: orchestration/warehouse.py),
replacing only that member's rows.
"""

from collections.abc import Iterable, Iterator

import dagster as dg

from orchestration.area import PER_MEMBER_DETAIL_UP_TO
from orchestration.intake.contracts import Contract, load_contracts, municipalities, raw_columns
from orchestration.intake.ledger import Ledger
from orchestration.intake.submissions import current_records
from orchestration.publication.faults import crash_point
from orchestration.resources import HubHome
from orchestration.warehouse import as_warehouse, open_warehouse

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


def _typed_columns(contract: Contract) -> list[tuple[str, str]]:
    return [(name, dtype) for name, dtype, _, _ in raw_columns(contract)]


def ensure_raw_table(warehouse, contract: Contract) -> None:
    """``warehouse``: a session of orchestration/warehouse.py (or a DuckDB connection)."""
    as_warehouse(warehouse).ensure_table("raw", contract.dataset, _typed_columns(contract),
                                         lookup="municipality_code")


def load_member_rows(warehouse, contract: Contract, municipality: str,
                     records: list[dict]) -> None:
    """Replace one member's rows in one transaction, so readers never see half a load."""
    load_members_rows(warehouse, contract, [municipality], records)


def load_members_rows(warehouse, contract: Contract, members: list[str],
                      records: list[dict] | Iterable[list[dict]]) -> None:
    """Replace the rows of the members a run loads in one transaction: one delete, then bulk
    inserts (DuckDB: one Arrow table; PostgreSQL: COPY) of ``records``, a list of rows or
    batches of them. A delete and a commit per member scanned the table once per member:
    6.6 s of deletes alone for 1,741 members on a loaded table, issue 16."""
    warehouse = as_warehouse(warehouse)
    relation = f"raw.{contract.dataset}"
    batches = [records] if isinstance(records, list) else records
    with warehouse.transaction():
        warehouse.delete_rows(relation, "municipality_code", members)
        crash_point("during_intake")  # a kill here leaves the transaction open and the slot held
        for batch in batches:
            if batch:
                warehouse.insert_rows(relation, _typed_columns(contract), batch)


# Rows per insert when a run loads many members: few inserts, and never every member's rows
# in memory at once (1.3 million population moves of 1,741 members held 1.7 GB).
INSERT_BATCH_ROWS = 50_000


def _batches(members: list[str], rows_of) -> Iterator[list[dict]]:
    """The members' rows in batches of about INSERT_BATCH_ROWS (``rows_of(member)``)."""
    batch: list[dict] = []
    for municipality in members:
        batch += rows_of(municipality)
        if len(batch) >= INSERT_BATCH_ROWS:
            yield batch
            batch = []
    yield batch


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
        members = list(context.partition_keys)
        rows_by_member, submissions_by_member, preview = {}, {}, []

        def rows_of(municipality: str) -> list[dict]:
            own = current_records(ledger, municipality, contract.dataset, max_seq=snapshot)
            rows_by_member[municipality] = len(own)
            submissions_by_member[municipality] = sorted({r["submission_id"] for r in own})
            preview.extend(own[:3])
            return own

        with open_warehouse(home) as warehouse:
            ensure_raw_table(warehouse, contract)
            load_members_rows(warehouse, contract, members, _batches(members, rows_of))
        return dg.MaterializeResult(metadata=intake_metadata(
            contract, snapshot, rows_by_member, submissions_by_member, preview))

    return _intake


def intake_metadata(contract: Contract, snapshot: int, rows_by_member: dict,
                    submissions_by_member: dict, preview: list[dict]) -> dict:
    metadata = {
        "row_count": dg.MetadataValue.int(sum(rows_by_member.values())),
        "ledger_seq": dg.MetadataValue.int(snapshot),
        "members_loaded": dg.MetadataValue.int(len(rows_by_member)),
        "preview": dg.MetadataValue.md(_markdown_preview(contract, preview)),
    }
    if len(rows_by_member) <= PER_MEMBER_DETAIL_UP_TO:
        # In a run covering several members the same metadata lands on each partition,
        # so it is keyed by member. Dagster writes it once per partition: keyed by member it
        # grows with the square of the members (72 KB on each of 13,928 events, 1 GB of event
        # log, for 1,741 members, issue 16), so beyond the limit it is a summary.
        metadata["rows_by_member"] = dg.MetadataValue.json(rows_by_member)
        metadata["submission_ids"] = dg.MetadataValue.json(submissions_by_member)
    return metadata


def _markdown_preview(contract: Contract, records: list[dict]) -> str:
    names = ["municipality_code", *[c.name for c in contract.columns][:5], "submission_id"]
    lines = ["| " + " | ".join(names) + " |", "|" + "---|" * len(names)]
    for record in records[:10]:
        lines.append("| " + " | ".join(str(record.get(n, "")) for n in names) + " |")
    return "\n".join(lines) if records else "(no rows)"


def intake_assets() -> list[dg.AssetsDefinition]:
    return [build_intake_asset(c) for c in load_contracts().values()]
