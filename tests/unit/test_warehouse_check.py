"""The build's check for a cut-off warehouse: a file shorter than the blocks DuckDB uses is
damaged; a file DuckDB itself shortened by dropping free blocks off its end is sound (DuckDB
still counts those in ``total_blocks``: the check once called such a warehouse broken)."""

from __future__ import annotations

import random
from pathlib import Path

import duckdb

from orchestration.home import Home
from orchestration.operator_errors import preflight

_SIZES = (1_000, 50_000, 200_000, 400_000)


def _size_facts(home: Home) -> tuple[int, int, int]:
    con = duckdb.connect(str(home.warehouse), read_only=True)
    try:
        block_size, total, used = con.execute(
            "select block_size, total_blocks, used_blocks from pragma_database_size()"
        ).fetchone()
    finally:
        con.close()
    return block_size, total, used


def _shrunk_by_duckdb(root: Path) -> Home:
    """Tables replaced with smaller and larger ones, one connection per round, as dbt runs
    do, until DuckDB has cut free blocks off the end of the file."""
    home = Home(root)
    home.create()
    pick = random.Random(1)
    for round_ in range(60):
        con = duckdb.connect(str(home.warehouse))
        for table in range(4):
            con.execute(f"create or replace table t{table} as select range as x, "
                        f"md5((range + {round_})::varchar) as y from range({pick.choice(_SIZES)})")
        con.close()
        block_size, total, _ = _size_facts(home)
        if home.warehouse.stat().st_size < block_size * total:
            return home
    raise AssertionError("DuckDB never shortened the file: the case this test needs")


def test_a_warehouse_duckdb_shortened_itself_is_sound(tmp_path: Path):
    home = _shrunk_by_duckdb(tmp_path / "home")
    con = duckdb.connect(str(home.warehouse), read_only=True)
    for table in range(4):  # every row reads back: nothing is missing from the file
        rows, distinct = con.execute(f"select count(*), count(distinct y) from t{table}").fetchone()
        assert rows == distinct and rows in _SIZES
    con.close()

    assert preflight(home) is None


def test_a_warehouse_cut_below_its_used_blocks_is_damaged(tmp_path: Path):
    home = _shrunk_by_duckdb(tmp_path / "home")
    block_size, _, used = _size_facts(home)
    with home.warehouse.open("r+b") as fh:  # half of what it uses, as a crash while copying
        fh.truncate(block_size * used // 2)

    problem = preflight(home)

    assert problem is not None and "壊れています" in problem.ja
    assert "--rebuild-warehouse" in problem.ja
