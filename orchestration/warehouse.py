"""DuckDB access. One writer at a time: callers open, write and close promptly."""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path


@contextmanager
def connect(path: Path, read_only: bool = False):
    import duckdb

    con = duckdb.connect(str(path), read_only=read_only)
    try:
        yield con
    finally:
        con.close()


def read_table(path: Path, relation: str):
    """A published table as a pandas frame (read-only connection)."""
    with connect(path, read_only=True) as con:
        return con.execute(f"select * from {relation}").df()
