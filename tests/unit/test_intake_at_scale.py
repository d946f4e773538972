"""Intake stays linear in the number of members (issue 16)."""

from __future__ import annotations

import json

import duckdb

from orchestration.assets import intake
from orchestration.intake.contracts import get_contract
from orchestration.warehouse import DuckDBWarehouse

CODES = [f"{p:02d}{n:03d}" for n in range(201, 238) for p in range(1, 48)][:1741]


def _size(metadata: dict) -> int:
    return len(json.dumps({k: str(v.value) for k, v in metadata.items()}))


def test_a_run_of_many_members_keeps_its_metadata_small():
    """Dagster writes a multi-partition run's metadata once per partition: keyed by member it
    grows with the square of the members."""
    contract = get_contract("tourism_visitors")
    rows = {code: 7 for code in CODES}
    ids = {code: [f"{code}-tourism_visitors-{'a' * 12}"] for code in CODES}
    large = intake.intake_metadata(contract, 99, rows, ids, [])
    assert _size(large) < 4_000
    assert large["row_count"].value == 7 * len(CODES)
    assert large["members_loaded"].value == len(CODES)
    few = {code: rows[code] for code in CODES[:6]}
    small = intake.intake_metadata(contract, 99, few, {c: ids[c] for c in few}, [])
    assert small["rows_by_member"].value == few  # a real area's run keeps the detail


def test_loading_many_members_is_one_delete_and_keeps_the_others(monkeypatch):
    contract = get_contract("tourism_visitors")
    con = duckdb.connect()
    warehouse = DuckDBWarehouse(con)
    intake.ensure_raw_table(warehouse, contract)
    names = [name for name, _, _, _ in intake.raw_columns(contract)]

    def rows(codes, visitors):
        return [{**dict.fromkeys(names), "municipality_code": c, "calendar_year": 2024,
                 "visitors": visitors, "submission_id": f"{c}-x"} for c in codes]

    intake.load_members_rows(warehouse, contract, CODES[:300], rows(CODES[:300], 1.0))
    deletes = []
    real = DuckDBWarehouse.delete_rows
    monkeypatch.setattr(DuckDBWarehouse, "delete_rows",
                        lambda self, *a: deletes.append(a) or real(self, *a))
    intake.load_members_rows(warehouse, contract, CODES[:200], rows(CODES[:200], 2.0))
    assert len(deletes) == 1
    by_value = dict(con.execute(f"select visitors, count(*) from raw.{contract.dataset} "
                                "group by 1").fetchall())
    assert by_value == {2.0: 200, 1.0: 100}


def test_the_member_table_is_built_once_per_area(monkeypatch):
    """Labels and release inputs ask for it per member and per submission."""
    from orchestration.intake import contracts

    built = []
    real = contracts.seed_rows
    monkeypatch.setattr(contracts, "seed_rows", lambda name: built.append(name) or real(name))
    monkeypatch.setattr(contracts, "_MUNICIPALITIES", {})
    first = contracts.municipalities()
    for _ in range(100):
        assert contracts.municipalities() == first
    assert built == ["municipalities"]
    first.clear()  # a caller's change stays its own
    assert contracts.municipalities()


def test_many_members_rows_are_inserted_in_batches_not_all_at_once(monkeypatch):
    """1.3 million population moves of 1,741 members held at once took 1.7 GB."""
    monkeypatch.setattr(intake, "INSERT_BATCH_ROWS", 1_000)
    asked = []

    def rows_of(code):
        asked.append(code)
        return [{"municipality_code": code}] * 300

    sizes = []
    for batch in intake._batches(CODES[:40], rows_of):
        sizes.append(len(batch))
        assert len(asked) <= sum(sizes) // 300 + 1  # members are read as the batches go
    assert sum(sizes) == 40 * 300 and asked == CODES[:40]
    assert max(sizes) < 1_000 + 300
