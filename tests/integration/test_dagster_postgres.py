"""Dagster's instance on PostgreSQL (dagster-postgres): the build runs with a home whose
``dagster.yaml`` puts runs, events, schedules and pool slots on a real PostgreSQL server
(issue 16), and what it recorded is there, not in SQLite files.

The server is Debian's, installed when missing and started on a free port by
``tests/postgres.py``; the test fails, never skips, when it cannot be.
"""

from __future__ import annotations

import json

import pytest

from orchestration.home import postgres_dagster_yaml
from tests.conftest import run_cli
from tests.postgres import PostgresServer

pytestmark = pytest.mark.integration

PASSWORD_ENV = "KURUME_HUB_TEST_DAGSTER_PG_PASSWORD"


@pytest.fixture(scope="module")
def dagster_on_postgres(postgres_server: PostgresServer, tmp_path_factory):
    """A sample home built twice with its Dagster instance in a new database of the server."""
    home = tmp_path_factory.mktemp("dagster_pg") / "home"
    url = postgres_server.create_database("kurume_dagster")
    run_cli("init", "--sample", "--dagster-db", url, home=home, check=True)
    first = run_cli("build", home=home, timeout=900)
    second = run_cli("build", home=home, timeout=900)
    return home, first, second


def _query(server: PostgresServer, sql: str, *params) -> list[tuple]:
    connection = server.connect("kurume_dagster")
    try:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()
    finally:
        connection.close()


def test_the_build_runs_with_dagster_on_postgres(dagster_on_postgres):
    home, first, second = dagster_on_postgres
    assert first.returncode == 0, first.stdout + first.stderr
    assert (home / "releases" / "latest").exists()
    # The second build reads the first one's state back from PostgreSQL: nothing new.
    assert second.returncode == 0, second.stdout + second.stderr


def test_the_runs_and_their_events_are_recorded_in_postgres(dagster_on_postgres,
                                                           postgres_server: PostgresServer):
    home, first, _ = dagster_on_postgres
    assert first.returncode == 0, first.stdout + first.stderr
    runs = _query(postgres_server, "select run_id, status from runs order by create_timestamp")
    assert runs, "no run recorded in PostgreSQL"
    assert all(status == "SUCCESS" for _, status in runs), runs
    first_run = runs[0][0]
    events = _query(postgres_server,
                    "select count(*) from event_logs where run_id = %s", first_run)[0][0]
    assert events > 100, f"only {events} events of the first build in PostgreSQL"
    materialized = {tuple(json.loads(key)) for (key,) in _query(
        postgres_server, "select asset_key from asset_keys")}
    assert ("marts", "regional_kpis") in materialized
    assert ("raw", "tourism_visitors") in materialized


def test_no_sqlite_storage_is_written_in_the_home(dagster_on_postgres):
    home, first, _ = dagster_on_postgres
    assert first.returncode == 0, first.stdout + first.stderr
    sqlite_files = sorted(p.relative_to(home) for p in (home / "dagster").rglob("*.db"))
    assert sqlite_files == [], sqlite_files


def test_the_warehouse_pool_slot_is_free_after_the_builds(dagster_on_postgres,
                                                          postgres_server: PostgresServer):
    _, first, second = dagster_on_postgres
    assert first.returncode == 0 and second.returncode == 0
    held = _query(postgres_server,
                  "select concurrency_key, run_id from concurrency_slots "
                  "where run_id is not null")
    assert held == [], f"pool slots still held after the builds: {held}"


def test_the_dagster_config_names_the_password_variable_not_the_password():
    import yaml

    text = postgres_dagster_yaml("db.internal", 5433, "area_a", "dagster", PASSWORD_ENV)
    storage = yaml.safe_load(text)["storage"]["postgres"]["postgres_db"]
    assert storage["password"] == {"env": PASSWORD_ENV}
    assert storage["scheme"] == "postgresql+psycopg2"
    assert (storage["hostname"], storage["port"], storage["db_name"]) == ("db.internal", 5433,
                                                                          "area_a")


@pytest.mark.parametrize("url, expected", [
    ("postgresql://hub:s3cret@db.internal:5432/dagster", "KURUME_HUB_DAGSTER_PG_PASSWORD"),
    ("mysql://hub@db.internal/dagster", "postgresql://"),
    ("postgresql://db.internal:5432", "postgresql://"),
])
def test_a_refused_dagster_url_creates_no_home_and_prints_no_password(tmp_path, url, expected):
    home = tmp_path / "home"
    result = run_cli("init", "--dagster-db", url, home=home)
    assert result.returncode == 2, result.stdout + result.stderr
    assert expected in result.stderr
    assert "s3cret" not in result.stdout + result.stderr
    assert not home.exists()
