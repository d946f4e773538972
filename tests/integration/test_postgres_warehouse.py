"""PostgreSQL as the second warehouse: the same dbt project and pipeline, the same release.

The tests start a real PostgreSQL (Debian's server, installed when missing: tests/postgres.py)
on a free local port; they fail, never skip, when it cannot be installed or started. The
sample area is built once on DuckDB (the shared demo home) and once on PostgreSQL, and the
two releases must hold the same bytes.
"""

from __future__ import annotations

import hashlib
import math
import os
import random
import re
import struct
import subprocess
import uuid
from pathlib import Path

import pytest

from tests.conftest import ROOT, run_cli
from tests.postgres import PostgresServer, free_port

pytestmark = pytest.mark.integration

DBT = ROOT / ".venv" / "bin" / "dbt"


def test_postgres_server_starts_on_a_free_port_and_answers(postgres_server: PostgresServer):
    assert postgres_server.query("select 1") == [(1,)]
    # Text must sort by bytes as in DuckDB, or ordered outputs would differ between engines.
    assert postgres_server.query("show lc_collate") == [("C",)]
    url = postgres_server.create_database("kurume_probe")
    assert url.endswith(f":{postgres_server.port}/kurume_probe")
    assert postgres_server.query("select current_database()", dbname="kurume_probe") == [
        ("kurume_probe",)]


def _new_database(server: PostgresServer) -> str:
    return server.create_database(f"kurume_{uuid.uuid4().hex[:12]}")


@pytest.fixture(scope="module")
def pg_home(postgres_server: PostgresServer, tmp_path_factory) -> Path:
    """The sample area built by ``kurume-hub build`` with its warehouse on PostgreSQL."""
    from orchestration.home import Home
    from orchestration.warehouse import write_warehouse_config

    home = tmp_path_factory.mktemp("pg") / "home"
    run_cli("init", "--sample", home=home, check=True)
    write_warehouse_config(Home(home), _new_database(postgres_server))
    result = run_cli("build", home=home)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return home


def _data_files(home: Path) -> dict[str, str]:
    data = home / "releases" / "latest" / "data"
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(data.iterdir())}


def test_postgres_build_publishes_the_same_release_as_duckdb(pg_home: Path, demo_home: Path):
    assert not (pg_home / "warehouse.duckdb").exists(), "the PostgreSQL home wrote a DuckDB file"
    pg_files, duck_files = _data_files(pg_home), _data_files(demo_home)
    assert len(duck_files) >= 20 and {Path(n).suffix for n in duck_files} == {".csv", ".parquet"}
    assert pg_files == duck_files
    # The release id ends in the hash of the published content: the same on both engines.
    pg_id = (pg_home / "releases" / "latest").resolve().name
    duck_id = (demo_home / "releases" / "latest").resolve().name
    assert pg_id.rsplit("-", 1)[1] == duck_id.rsplit("-", 1)[1]


def test_the_marts_are_in_postgres_with_duckdbs_types_and_values(pg_home: Path,
                                                                   demo_home: Path):
    """What the gate and the release read: every published mart as a frame, from each
    engine, equal with its dtypes."""
    import pandas as pd

    from orchestration.home import Home
    from orchestration.publication.catalog import PUBLISHED
    from orchestration.warehouse import open_warehouse, warehouse_spec

    assert warehouse_spec(Home(pg_home)).is_postgres
    with open_warehouse(Home(pg_home)) as pg, open_warehouse(Home(demo_home),
                                                             read_only=True) as duck:
        assert pg.engine == "postgres" and duck.engine == "duckdb"
        assert pg.table_names("marts") == duck.table_names("marts")
        for dataset in PUBLISHED:
            pg_frame, duck_frame = pg.read_frame(dataset.relation), duck.read_frame(
                dataset.relation)
            assert len(pg_frame) > 0, dataset.relation
            pd.testing.assert_frame_equal(pg_frame, duck_frame, check_exact=True,
                                          obj=dataset.relation)


def _dbt_on(home: Path, *args: str) -> subprocess.CompletedProcess:
    from orchestration.area import area_for
    from orchestration.dbt_manifest import vars_argument
    from orchestration.home import Home
    from orchestration.warehouse import dbt_environment, warehouse_spec

    env = {**os.environ, "KURUME_HUB_HOME": str(home), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
           **dbt_environment(Home(home))}
    return subprocess.run(
        [str(DBT) if DBT.exists() else "dbt", *args, "--project-dir", str(ROOT / "dbt_project"),
         "--profiles-dir", str(ROOT / "dbt_project"),
         "--target", warehouse_spec(Home(home)).dbt_target(),
         "--target-path", str(home / "dbt" / "test-target"),
         "--log-path", str(home / "dbt" / "test-target"), *vars_argument(area_for(Home(home)))],
        env=env, capture_output=True, text=True, cwd=ROOT / "dbt_project")


def test_the_same_dbt_data_and_unit_tests_pass_on_postgres(pg_home: Path):
    import json

    from orchestration.dbt_manifest import ensure_manifest

    result = _dbt_on(pg_home, "test")
    assert result.returncode == 0, result.stdout[-4000:]
    assert "Registered adapter: postgres=" in result.stdout, result.stdout[:2000]
    summary = re.search(r"PASS=(\d+) WARN=(\d+) ERROR=(\d+) SKIP=(\d+)", result.stdout)
    assert summary, result.stdout[-2000:]
    passed, warned, errors, skipped = map(int, summary.groups())
    assert (warned, errors, skipped) == (0, 0, 0)
    # Every data test of the project and every unit test (the evaluation logic, the
    # dispatched macros' PostgreSQL halves included), as the DuckDB build runs them.
    manifest = json.loads(ensure_manifest().read_text(encoding="utf-8"))
    data_tests = sum(1 for n in manifest["nodes"].values() if n["resource_type"] == "test")
    unit_tests = len(manifest["unit_tests"])
    assert data_tests >= 90 and unit_tests >= 17
    assert passed == data_tests + unit_tests, result.stdout[-2000:]


def _render_round_double(column: str, digits: int) -> str:
    """The PostgreSQL half of macros/portable.sql's round_double, rendered as dbt would
    (plain Jinja: it calls nothing of dbt's but the compiler error)."""
    import jinja2

    source = (ROOT / "dbt_project" / "macros" / "portable.sql").read_text(encoding="utf-8")
    body = re.search(r"{% macro default__round_double.*?{%- endmacro %}", source, re.S).group(0)

    class _Exceptions:
        @staticmethod
        def raise_compiler_error(message):
            raise ValueError(message)

    return jinja2.Environment().from_string(
        body + f"{{{{ default__round_double('{column}', {digits}) }}}}").render(
        exceptions=_Exceptions())


def test_round_double_on_postgres_rounds_every_double_as_duckdb(postgres_server):
    """Values a hair's breadth from a half at the sixth decimal (where rounding through 15
    digits goes wrong), ordinary rates, signed zeros and nulls."""
    import duckdb

    rng = random.Random(16)
    values: list[float | None] = []
    for _ in range(20000):
        half = (rng.randint(-10**7, 10**7) + 0.5) / 1e6
        for _ in range(rng.randint(0, 3)):
            half = math.nextafter(half, rng.choice((math.inf, -math.inf)))
        values.append(half)
    values += [rng.uniform(-10, 10) for _ in range(10000)]
    values += [0.0, -0.0, 1e-7, -1e-7, 5e-7, -5e-7, None, 1e20, -1e20, 2.5e-6, 9.0993125]
    duck = duckdb.connect()
    duck.execute("create table t (i integer, x double)")
    duck.executemany("insert into t values (?, ?)", list(enumerate(values)))
    expected = [r[0] for r in duck.execute("select round(x, 6) from t order by i").fetchall()]

    from orchestration.warehouse import PostgresWarehouse

    database = _new_database(postgres_server)
    connection = postgres_server.connect(database.rsplit("/", 1)[1])
    try:
        warehouse = PostgresWarehouse(connection)
        warehouse.execute("create table t (i integer, x double precision)")
        warehouse.insert_rows("t", [("i", "INTEGER"), ("x", "DOUBLE")],
                              [{"i": i, "x": v} for i, v in enumerate(values)])
        got = [r[0] for r in warehouse.query(
            f"select {_render_round_double('t.x', 6)} from t order by i")]
    finally:
        connection.close()

    def bits(v):
        return None if v is None else struct.pack("<d", v)

    differ = [(v, e, g) for v, e, g in zip(values, expected, got) if bits(e) != bits(g)]
    assert differ == []
    # and the numeric detour the macro avoids does differ, so the test can tell
    detour = postgres_server.query("select round(cast(9.0993125::float8 as numeric), 6)::float8")
    assert detour[0][0] != duck.execute("select round(9.0993125::double, 6)").fetchone()[0]


def test_intake_rows_load_into_postgres_exactly_as_into_duckdb(postgres_server):
    """COPY's text format: tabs, line breaks, backslashes, quotes, nulls and doubles
    arrive as the Arrow insert into DuckDB stores them."""
    import duckdb

    from orchestration.assets.intake import ensure_raw_table, load_member_rows
    from orchestration.intake.contracts import load_contracts, raw_columns
    from orchestration.warehouse import DuckDBWarehouse, PostgresWarehouse

    contract = load_contracts()["kpi_records"]
    records = []
    for i in range(6):
        row = {"municipality_code": "99999", "submission_id": f"s{i}",
               "source_sha256": "ab" * 32, "source_sheet": None if i == 0 else "シート\t1",
               "source_row": i + 3}
        for name, dtype, _, _ in raw_columns(contract):
            if name in row:
                continue
            if dtype == "INTEGER":
                row[name] = None if i == 4 else 2020 + i
            elif dtype == "DOUBLE":
                row[name] = None if i == 3 else (1234.5 * (i + 1) + 0.1) / 3 * (-1) ** i
            else:
                row[name] = [None, "", "値'\"\n2行目", "a\\b\\N", "\r\t末尾 ", "△69人"][i]
        records.append(row)

    database = _new_database(postgres_server)
    connection = postgres_server.connect(database.rsplit("/", 1)[1])
    duck = duckdb.connect()
    try:
        pg = PostgresWarehouse(connection)
        stores = (DuckDBWarehouse(duck), pg)
        for store in stores:
            ensure_raw_table(store, contract)
            load_member_rows(store, contract, "99998",
                             [{**r, "municipality_code": "99998"} for r in records[:2]])
            load_member_rows(store, contract, "99999", records)
        query = "select * from raw.kpi_records order by municipality_code, source_row"
        assert pg.query(query) == stores[0].query(query)
        assert len(pg.query(query)) == 8
        # read back as a frame (COPY's CSV: empty text and null stay apart), in load order
        import pandas as pd

        pd.testing.assert_frame_equal(pg.read_frame("raw.kpi_records"),
                                      stores[0].read_frame("raw.kpi_records"), check_exact=True)
        # a member's reload replaces only its rows
        for store in stores:
            load_member_rows(store, contract, "99999", [])
        assert pg.query(query) == stores[0].query(query)
        assert [r[0] for r in pg.query("select distinct municipality_code from raw.kpi_records")
                ] == ["99998"]
    finally:
        connection.close()
        duck.close()


def test_a_postgres_warehouse_that_cannot_be_reached_stops_the_build_with_a_sentence(
        tmp_path):
    from orchestration import operator_errors
    from orchestration.home import Home
    from orchestration.warehouse import write_warehouse_config

    home = Home(tmp_path / "home")
    home.create()
    write_warehouse_config(home, f"postgresql://kurume@127.0.0.1:{free_port()}/nowhere")
    problem = operator_errors.preflight(home)
    assert problem is not None
    assert "PostgreSQL" in problem.ja and "cannot be reached" in problem.en
    assert "127.0.0.1" in problem.en and "password" in problem.en


def test_a_home_selects_its_warehouse(tmp_path, monkeypatch):
    """DuckDB by default; the home's warehouse.yaml names PostgreSQL; KURUME_HUB_WAREHOUSE
    wins over both; dbt gets the matching target and connection, never a password in
    messages."""
    from orchestration.home import Home
    from orchestration.warehouse import (
        WAREHOUSE_ENV,
        WarehouseConfigError,
        warehouse_config_file,
        warehouse_spec,
        write_warehouse_config,
    )

    monkeypatch.delenv(WAREHOUSE_ENV, raising=False)
    monkeypatch.delenv("KURUME_HUB_PG_PASSWORD", raising=False)
    monkeypatch.delenv("PGPASSWORD", raising=False)
    home = Home(tmp_path / "home")
    home.create()
    spec = warehouse_spec(home)
    assert (spec.engine, spec.path, spec.dbt_target(), spec.dbt_env()) == (
        "duckdb", home.warehouse, "home", {})

    write_warehouse_config(home, "postgresql://hub@db.example:6543/kurume")
    spec = warehouse_spec(home)
    assert spec.is_postgres and spec.dbt_target() == "postgres"
    assert spec.dbt_env() == {
        "KURUME_HUB_PG_HOST": "db.example", "KURUME_HUB_PG_PORT": "6543",
        "KURUME_HUB_PG_USER": "hub", "KURUME_HUB_PG_DBNAME": "kurume",
        "KURUME_HUB_PG_PASSWORD": ""}
    monkeypatch.setenv("KURUME_HUB_PG_PASSWORD", "s3cret")
    assert warehouse_spec(home).dbt_env()["KURUME_HUB_PG_PASSWORD"] == "s3cret"

    monkeypatch.setenv(WAREHOUSE_ENV, "postgresql://ops:pw@10.0.0.5/other")
    spec = warehouse_spec(home)
    assert spec.dbt_env()["KURUME_HUB_PG_DBNAME"] == "other"
    assert spec.dbt_env()["KURUME_HUB_PG_PASSWORD"] == "pw"
    assert "pw" not in spec.describe() and spec.describe().endswith("10.0.0.5:5432/other")
    monkeypatch.setenv(WAREHOUSE_ENV, "duckdb")
    assert warehouse_spec(home).engine == "duckdb"

    monkeypatch.setenv(WAREHOUSE_ENV, "mysql://root:hunter2@host/db")
    with pytest.raises(WarehouseConfigError) as refused:
        warehouse_spec(home)
    assert "hunter2" not in str(refused.value) and "postgresql://" in refused.value.en
    monkeypatch.delenv(WAREHOUSE_ENV)
    warehouse_config_file(home).write_text("url: [1, 2]\n", encoding="utf-8")
    with pytest.raises(WarehouseConfigError):
        warehouse_spec(home)
