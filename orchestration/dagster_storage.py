"""Dagster's SQLite event log, kept open for the length of a process.

Dagster's own ``SqliteEventLogStorage`` opens a new SQLite engine for every event it writes and
closes it again; with the default ``synchronous=FULL`` each of the ~830 events of a build then
costs a connection and an fsync: measured 30–45 s of a 75–85 s build on two cores
(issue 15). This storage keeps one engine per database file (the run's shard and the index)
and writes with ``synchronous=NORMAL``, which in WAL mode (Dagster's) is still safe against a
crashed process: only a power cut can lose the last events, never corrupt the file.

Everything else — the files, their schema, the UI and the daemon reading them — is Dagster's
own; a home's ``dagster.yaml`` names this class (orchestration/home.py). It overrides one
private method of Dagster 1.13 (``_connect``); tests/unit/test_dagster_storage.py fails if a
Dagster upgrade changes what it relies on.
"""

from __future__ import annotations

import os
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager

from dagster import Field, StringSource
from dagster._core.storage.event_log.sqlite.sqlite_event_log import (
    SQLITE_BUSY_TIMEOUT_SECONDS,
    SqliteEventLogStorage,
)
from dagster._core.storage.sqlite import create_db_conn_string
from sqlalchemy import create_engine, event
from sqlalchemy.engine import Connection, Engine

# Enough for the index and the shards of the runs one process follows at once; a UI or daemon
# that reads many old runs closes the least recently used ones.
_OPEN_ENGINES = 8


def _set_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


class KeptOpenSqliteEventLogStorage(SqliteEventLogStorage):
    """``SqliteEventLogStorage`` with one engine per shard kept for the process's life."""

    def __init__(self, base_dir: str | None = None, inst_data=None):
        # Set first: Dagster's __init__ already connects (a new home's index is created there).
        self._engines: OrderedDict[str, Engine] = OrderedDict()
        self._tables_seen: set[str] = set()
        self._asset_key_columns_seen: set[str] = set()
        super().__init__(base_dir or default_base_dir(), inst_data=inst_data)

    @classmethod
    def config_type(cls):
        return {"base_dir": Field(StringSource, is_required=False)}

    @classmethod
    def from_config_value(cls, inst_data, config_value):
        return cls(inst_data=inst_data, **config_value)

    @contextmanager
    def _connect(self, shard: str) -> Iterator[Connection]:
        with self._db_lock:
            engine = self._engine(shard)
            with engine.connect() as conn, conn.begin():
                yield conn

    def _engine(self, shard: str) -> Engine:
        engine = self._engines.get(shard)
        if engine is not None and os.path.exists(self.path_for_shard(shard)):
            self._engines.move_to_end(shard)
            return engine
        if engine is not None:  # the file was deleted (a wipe): start again with a new one
            engine.dispose()
            self._initialized_dbs.discard(shard)
        engine = create_engine(create_db_conn_string(self._base_dir, shard),
                               connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS})
        event.listen(engine, "connect", _set_pragmas)
        if shard not in self._initialized_dbs:
            self._initdb(engine)
            self._initialized_dbs.add(shard)
        self._engines[shard] = engine
        while len(self._engines) > _OPEN_ENGINES:
            _shard, oldest = self._engines.popitem(last=False)
            oldest.dispose()
        return engine

    # Dagster asks the schema on every event it stores: whether the tag table exists (a new
    # engine and connection each time) and the asset key table's columns. With one event per
    # partition that was 15 s of 1,741 members' intake (issue 16). A table or column, once
    # there, stays for the life of the files (a wipe forgets what was seen).
    def has_table(self, table_name: str) -> bool:
        if table_name in self._tables_seen:
            return True
        found = super().has_table(table_name)
        if found:
            self._tables_seen.add(table_name)
        return found

    def _has_asset_key_col_on_connection(self, conn: Connection, column_name: str) -> bool:
        if column_name in self._asset_key_columns_seen:
            return True
        found = super()._has_asset_key_col_on_connection(conn, column_name)
        if found:
            self._asset_key_columns_seen.add(column_name)
        return found

    def wipe(self) -> None:
        with self._db_lock:
            self._dispose_engines()
        super().wipe()

    def dispose(self) -> None:
        with self._db_lock:
            self._dispose_engines()
        super().dispose()

    def _dispose_engines(self) -> None:
        self._tables_seen.clear()
        self._asset_key_columns_seen.clear()
        while self._engines:
            _shard, engine = self._engines.popitem()
            engine.dispose()


def default_base_dir() -> str:
    """Where Dagster's default storage keeps the event log: ``$DAGSTER_HOME/history/runs``.

    The instance is opened through ``DAGSTER_HOME`` (``DagsterInstance.get()``, as the CLI,
    ``dagster dev`` and the daemon do; ``orchestration.pipeline.prepare_instance``), not with
    ``DagsterInstance.from_config(path)``: the storage's configuration cannot see that path."""
    dagster_home = os.environ.get("DAGSTER_HOME")
    if not dagster_home:
        raise RuntimeError(
            "DAGSTER_HOME が設定されていません（<home>/dagster を指定してください）。 / "
            "DAGSTER_HOME is not set: open the home's instance with DAGSTER_HOME=<home>/dagster.")
    return os.path.join(dagster_home, "history", "runs")
