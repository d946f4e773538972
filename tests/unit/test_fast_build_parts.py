"""The parts that make a build faster (issue 15) keep what they replace: Dagster's event log
kept open records and reads the same, an older home is upgraded to it, dbt's version is the
one ``dbt --version`` reports, and the columnar intake stores what the row-by-row insert did."""

from __future__ import annotations

import os
import sqlite3
import subprocess

import dagster as dg
import duckdb
import pytest
from packaging import version

from orchestration.assets.dbt import dbt_resource
from orchestration.assets.intake import ensure_raw_table, load_member_rows
from orchestration.dagster_storage import KeptOpenSqliteEventLogStorage
from orchestration.home import _EARLIER_DAGSTER_YAML, DAGSTER_YAML, Home
from orchestration.intake.contracts import load_contracts, raw_columns


@dg.asset
def one_asset() -> int:
    return 1


@dg.asset
def another_asset(one_asset: int) -> int:
    return one_asset + 1


@pytest.fixture
def instance(tmp_path, monkeypatch):
    home = Home(tmp_path / "home")
    home.create()
    monkeypatch.setenv("DAGSTER_HOME", str(home.dagster_home))
    with dg.DagsterInstance.get() as inst:
        yield inst


def test_home_instance_uses_the_kept_open_event_log(instance):
    assert isinstance(instance.event_log_storage, KeptOpenSqliteEventLogStorage)
    # Same folder as Dagster's default storage: the UI and older runs read the same files.
    assert instance.event_log_storage._base_dir == os.path.join(
        os.environ["DAGSTER_HOME"], "history", "runs")


def test_events_written_through_kept_connections_are_read_by_another_instance(instance):
    result = dg.materialize([one_asset, another_asset], instance=instance)
    assert result.success
    storage = instance.event_log_storage
    assert len(storage._engines) >= 2  # the run's shard and the index stay open
    with storage.run_connection(result.run_id) as conn:
        sync = conn.exec_driver_sql("PRAGMA synchronous").scalar()
    assert sync == 1  # NORMAL (Dagster's default engines run FULL = 2)

    # A second process (the UI) opens the files with Dagster's own storage and sees it all.
    with dg.DagsterInstance.get() as other:
        records = other.get_records_for_run(result.run_id).records
        assert any(r.event_log_entry.dagster_event_type == dg.DagsterEventType.RUN_SUCCESS
                   for r in records)
        latest = other.get_latest_materialization_event(dg.AssetKey("another_asset"))
        assert latest is not None and latest.run_id == result.run_id
    # Committed to the file, not only to this connection.
    shard = storage.path_for_shard(result.run_id)
    count = sqlite3.connect(shard).execute("select count(*) from event_logs").fetchone()[0]
    assert count == len(instance.get_records_for_run(result.run_id).records)


def test_a_wiped_event_log_is_written_again(instance):
    first = dg.materialize([one_asset], instance=instance)
    instance.event_log_storage.wipe()
    assert not os.path.exists(instance.event_log_storage.path_for_shard(first.run_id))
    second = dg.materialize([one_asset], instance=instance)
    assert second.success
    assert instance.get_records_for_run(second.run_id).records


def test_the_schema_is_asked_once_not_for_every_event(instance, monkeypatch):
    """Dagster asks whether a table exists for every event it stores (a new connection each
    time); 1,741 members' intake spent 15 s on it (issue 16). The answer is remembered."""
    from dagster._core.storage.event_log.sqlite.sqlite_event_log import SqliteEventLogStorage

    asked: list[str] = []
    original = SqliteEventLogStorage.has_table

    def counting(self, table_name):
        asked.append(table_name)
        return original(self, table_name)

    monkeypatch.setattr(SqliteEventLogStorage, "has_table", counting)
    for _ in range(3):
        assert dg.materialize([one_asset], instance=instance).success
    assert asked, "Dagster no longer asks has_table: the override is dead code"
    assert len(asked) == len(set(asked)), f"asked again: {sorted(asked)}"
    # The other schema question overridden is still Dagster's own (private) method.
    assert callable(SqliteEventLogStorage._has_asset_key_col_on_connection)


def test_engines_beyond_the_limit_are_closed(instance):
    storage = instance.event_log_storage
    for n in range(10):  # a UI reading ten runs' shards
        with storage.run_connection(f"run-{n}") as conn:
            conn.exec_driver_sql("select 1")
    assert len(storage._engines) == 8
    assert "run-0" not in storage._engines and "run-9" in storage._engines


def test_an_older_home_is_upgraded_and_an_edited_one_left_alone(tmp_path):
    old, edited = Home(tmp_path / "old"), Home(tmp_path / "edited")
    for home, text in ((old, _EARLIER_DAGSTER_YAML), (edited, _EARLIER_DAGSTER_YAML + "# mine\n")):
        home.dagster_home.mkdir(parents=True)
        (home.dagster_home / "dagster.yaml").write_text(text, encoding="utf-8")
        home.create()
    assert (old.dagster_home / "dagster.yaml").read_text(encoding="utf-8") == DAGSTER_YAML
    assert (edited.dagster_home / "dagster.yaml").read_text(encoding="utf-8").endswith("# mine\n")


def test_dbt_version_is_the_one_the_dbt_executable_reports():
    resource = dbt_resource()
    reported = subprocess.run([resource.dbt_executable, "--version"], capture_output=True,
                              text=True, check=True).stdout
    assert str(resource._cli_version) in reported
    assert resource._cli_version >= version.parse("1.11")
    assert resource._initialize_dbt_core_adapter([]) is None


def _load_row_by_row(con, contract, municipality, records):
    """What load_member_rows did before issue 15: DuckDB's executemany."""
    names = [name for name, _, _, _ in raw_columns(contract)]
    con.execute(f"delete from raw.{contract.dataset} where municipality_code = ?", [municipality])
    con.executemany(f"insert into raw.{contract.dataset} values ({', '.join('?' for _ in names)})",
                    [tuple(r.get(n) for n in names) for r in records])


def _records(contract, municipality: str) -> list[dict]:
    """Rows with every column type, missing values and awkward text."""
    rows = []
    for i in range(5):
        row = {"municipality_code": municipality, "submission_id": f"s{i}",
               "source_sha256": "ab" * 32, "source_sheet": "シート1" if i else None,
               "source_row": i + 3}
        for name, dtype, _, _ in raw_columns(contract):
            if name in row:
                continue
            if dtype == "INTEGER":
                row[name] = None if i == 4 else 2020 + i
            elif dtype == "DOUBLE":
                row[name] = None if i == 3 else 1234.5 * (i + 1) + 0.1
            else:
                row[name] = None if i == 2 else f"値'{i}\"\n"
        rows.append(row)
    return rows


@pytest.mark.parametrize("dataset", sorted(load_contracts()))
def test_columnar_intake_stores_what_the_row_by_row_insert_stored(dataset):
    contract = load_contracts()[dataset]
    con_new, con_old = duckdb.connect(), duckdb.connect()
    for con in (con_new, con_old):
        ensure_raw_table(con, contract)
    records = _records(contract, "99999")
    load_member_rows(con_new, contract, "99999", records)
    _load_row_by_row(con_old, contract, "99999", records)
    query = f"select * from raw.{dataset} order by source_row"
    assert con_new.execute(query).fetchall() == con_old.execute(query).fetchall()
    # Reloading a member replaces its rows; an empty load leaves none.
    load_member_rows(con_new, contract, "99999", [])
    assert con_new.execute(f"select count(*) from raw.{dataset}").fetchone()[0] == 0


def test_the_command_exits_with_mains_code_after_the_exit_handlers(tmp_path):
    """``kurume-hub`` skips Python's object teardown, not what a normal exit does."""
    import sys

    marker = tmp_path / "exit-handler-ran"
    script = (
        "import atexit, sys, threading, time\n"
        "from orchestration import cli\n"
        f"atexit.register(lambda: open({str(marker)!r}, 'w').write('ran'))\n"
        f"threading.Thread(target=lambda: (time.sleep(0.5), open({str(marker)!r} + '.thread',"
        " 'w').write('done'))).start()\n"
        f"sys.argv = ['kurume-hub', 'validate', {str(tmp_path / 'missing.xlsx')!r},"
        f" '--municipality', '40216', '--home', {str(tmp_path / 'home')!r}]\n"
        "cli.run()\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.returncode == 2, done.stderr  # a missing file: the usage exit code
    assert "missing.xlsx" in done.stdout + done.stderr  # the message was flushed
    assert marker.read_text() == "ran"
    assert (tmp_path / "exit-handler-ran.thread").read_text() == "done"  # threads finished
