"""The warehouse: DuckDB (the home's ``warehouse.duckdb``, the default) or PostgreSQL.

A home selects PostgreSQL with ``warehouse.yaml`` beside its ledger (``url:
postgresql://user@host:port/dbname``), or a deployment with the environment variable
``KURUME_HUB_WAREHOUSE`` (the same URL; it wins over the file, so that a container can be
pointed elsewhere without editing the home). The password may be in the URL or, better, in
``KURUME_HUB_PG_PASSWORD`` / libpq's ``PGPASSWORD``. One database holds one home's schemas
(raw, reference, staging, intermediate, marts), as one DuckDB file does.

The pipeline touches the warehouse in few places (intake, reference tables, the published
marts, the loaded submissions); each goes through :func:`open_warehouse`, whose two
implementations take the same calls. dbt reaches the same database through the profile's
``postgres`` output (:meth:`WarehouseSpec.dbt_target`, :meth:`WarehouseSpec.dbt_env`).

Frames read from PostgreSQL go through DuckDB's own pandas conversion (from Arrow columns
of the same types), so the quality gate and the published files see the same dtypes and
values from either engine. One writer at a time (DuckDB's rule, kept for both): callers
open, write and close promptly.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

WAREHOUSE_ENV = "KURUME_HUB_WAREHOUSE"
# What a home's warehouse.yaml names; unset (or "duckdb") is the DuckDB file.
POSTGRES_SCHEMES = ("postgresql", "postgres")
PASSWORD_ENV = "KURUME_HUB_PG_PASSWORD"
# Environment variables of dbt's postgres output (dbt_project/profiles.yml).
_PG_ENV = ("HOST", "PORT", "USER", "PASSWORD", "DBNAME", "SCHEMA", "SSLMODE")

# Column types as the contracts and reference tables name them (DuckDB's names), in
# PostgreSQL. Anything else is a new type to map here, not to guess.
_POSTGRES_TYPES = {"VARCHAR": "varchar", "INTEGER": "integer", "BIGINT": "bigint",
                   "DOUBLE": "double precision", "BOOLEAN": "boolean"}
# PostgreSQL result types (OIDs) -> the DuckDB type of the same values, for frames.
_DUCKDB_OF_OID = {16: "BOOLEAN", 20: "BIGINT", 21: "SMALLINT", 23: "INTEGER", 25: "VARCHAR",
                  1043: "VARCHAR", 1042: "VARCHAR", 700: "FLOAT", 701: "DOUBLE", 19: "VARCHAR"}


class WarehouseConfigError(ValueError):
    """A home's warehouse setting that names no warehouse we can use (ja / en)."""

    def __init__(self, ja: str, en: str):
        super().__init__(f"{ja} / {en}")
        self.ja, self.en = ja, en


@dataclass(frozen=True)
class WarehouseSpec:
    """Which warehouse a home uses: ``engine`` 'duckdb' (``path``) or 'postgres' (``url``)."""

    engine: str
    path: Path | None = None
    url: str | None = None

    @property
    def is_postgres(self) -> bool:
        return self.engine == "postgres"

    def dbt_target(self) -> str:
        """The output of dbt_project/profiles.yml that reaches this warehouse."""
        return "postgres" if self.is_postgres else "home"

    def dbt_env(self) -> dict[str, str]:
        """The KURUME_HUB_PG_* variables the profile's postgres output reads (empty for
        DuckDB, whose file the profile finds through KURUME_HUB_HOME)."""
        if not self.is_postgres:
            return {}
        parts = urlsplit(self.url)
        env = {"KURUME_HUB_PG_HOST": parts.hostname or "127.0.0.1",
               "KURUME_HUB_PG_PORT": str(parts.port or 5432),
               "KURUME_HUB_PG_USER": unquote(parts.username or "postgres"),
               "KURUME_HUB_PG_DBNAME": unquote(parts.path.lstrip("/")) or "kurume_hub"}
        password = unquote(parts.password or "") or os.environ.get(PASSWORD_ENV) \
            or os.environ.get("PGPASSWORD", "")
        env["KURUME_HUB_PG_PASSWORD"] = password
        return env

    def describe(self) -> str:
        """Where the warehouse is, for messages and metadata (never the password)."""
        if not self.is_postgres:
            return str(self.path)
        parts = urlsplit(self.url)
        user = f"{unquote(parts.username)}@" if parts.username else ""
        return f"postgresql://{user}{parts.hostname}:{parts.port or 5432}{parts.path}"


def warehouse_config_file(home) -> Path:
    return home.root / "warehouse.yaml"


def warehouse_spec(home) -> WarehouseSpec:
    """The home's warehouse: KURUME_HUB_WAREHOUSE, else the home's warehouse.yaml, else
    the DuckDB file in the home."""
    return spec_for_url(home, os.environ.get(WAREHOUSE_ENV) or _configured_url(home))


def spec_for_url(home, url: str | None) -> WarehouseSpec:
    """A warehouse setting read: none (or "duckdb") is the home's DuckDB file."""
    if not url or url.strip().lower() == "duckdb":
        return WarehouseSpec("duckdb", path=home.warehouse)
    url = url.strip()
    scheme = urlsplit(url).scheme.lower()
    if scheme not in POSTGRES_SCHEMES or not urlsplit(url).path.strip("/"):
        raise WarehouseConfigError(
            f"倉庫の指定 {_redacted(url)} は使えません。postgresql://ユーザー@ホスト:ポート/"
            "データベース名 の形で書くか、DuckDB ファイルを使うなら指定を外してください。",
            f"The warehouse setting {_redacted(url)} cannot be used: write it as "
            "postgresql://user@host:port/dbname, or remove it to use the DuckDB file.")
    return WarehouseSpec("postgres", url=url)


def _configured_url(home) -> str | None:
    path = warehouse_config_file(home)
    if not path.is_file():
        return None
    import yaml

    doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    if not isinstance(doc, dict) or not isinstance(doc.get("url", ""), str):
        raise WarehouseConfigError(
            f"{path} には url: postgresql://… の1行を書いてください。",
            f"{path} must hold one line url: postgresql://…")
    return doc.get("url") or None


def write_warehouse_config(home, url: str) -> Path:
    """Record a home's PostgreSQL warehouse (``init --warehouse URL``); checked first."""
    path = warehouse_config_file(home)
    spec = spec_for_url(home, url)
    if not spec.is_postgres:
        raise WarehouseConfigError(
            "warehouse.yaml には PostgreSQL の URL だけを書きます（DuckDB は指定なしで使われます）。",
            "warehouse.yaml names a PostgreSQL URL only (the DuckDB file needs no setting).")
    text = ("# The home's warehouse: PostgreSQL instead of warehouse.duckdb (see\n"
            "# orchestration/warehouse.py). Keep the password out of this file:\n"
            f"# set {PASSWORD_ENV} (or PGPASSWORD) instead.\n"
            f"url: {spec.url}\n")
    path.write_text(text, encoding="utf-8")
    return path


def _redacted(url: str) -> str:
    parts = urlsplit(url)
    if parts.password:
        return url.replace(f":{parts.password}@", ":***@", 1)
    return url


def dbt_environment(home) -> dict[str, str]:
    """What a dbt process for this home needs in its environment (besides KURUME_HUB_HOME)."""
    return warehouse_spec(home).dbt_env()


# ---------------------------------------------------------------------------- sessions
class DuckDBWarehouse:
    """A session on the home's DuckDB file."""

    engine = "duckdb"

    def __init__(self, con):
        self.con = con

    def query(self, sql: str) -> list[tuple]:
        return self.con.execute(sql).fetchall()

    def execute(self, sql: str) -> None:
        self.con.execute(sql)

    @contextmanager
    def transaction(self) -> Iterator[None]:
        self.con.execute("begin transaction")
        try:
            yield
        except BaseException:
            self.con.execute("rollback")
            raise
        self.con.execute("commit")

    def table_names(self, schema: str) -> set[str]:
        return {name for (name,) in self.con.execute(
            "select table_name from information_schema.tables where table_schema = ?",
            [schema]).fetchall()}

    def ensure_table(self, schema: str, table: str, columns: Sequence[tuple[str, str]],
                     lookup: str | None = None) -> None:
        """``lookup``: the column rows are deleted by; DuckDB's min/max zone maps serve
        that without an index (an ART index would slow every bulk insert)."""
        cols = ", ".join(f'"{name}" {dtype}' for name, dtype in columns)
        self.con.execute(f"create schema if not exists {schema}")
        self.con.execute(f"create table if not exists {schema}.{table} ({cols})")

    def replace_table(self, schema: str, table: str, columns: Sequence[tuple[str, str]],
                      rows: Sequence[Sequence]) -> None:
        cols = ", ".join(f'"{name}" {dtype}' for name, dtype in columns)
        self.con.execute(f"create schema if not exists {schema}")
        self.con.execute(f"create or replace table {schema}.{table} ({cols})")
        if rows:
            # One columnar insert, as insert_rows: executemany binds row by row (7 s for the
            # reference tables of a 1,741-member area, issue 16). Arrow infers each column's
            # type from the values (the CSV tables' are text) and the insert casts them to
            # the table's, as executemany's binding did.
            import pyarrow as pa

            names = [name for name, _ in columns]
            self.con.register("replacement_rows", pa.table(
                {name: pa.array([row[i] for row in rows]) for i, name in enumerate(names)}))
            try:
                quoted = ", ".join(f'"{name}"' for name in names)
                self.con.execute(f"insert into {schema}.{table} ({quoted}) "
                                 f"select {quoted} from replacement_rows")
            finally:
                self.con.unregister("replacement_rows")

    def delete_rows(self, relation: str, column: str, value) -> None:
        """Rows whose ``column`` is ``value``, or any of ``value`` when it is a list (one
        scan of the table for all of them)."""
        if isinstance(value, list | tuple):
            self.con.execute(f'delete from {relation} where list_contains(?, "{column}")',
                             [list(value)])
        else:
            self.con.execute(f'delete from {relation} where "{column}" = ?', [value])

    def insert_rows(self, relation: str, columns: Sequence[tuple[str, str]],
                    records: Sequence[dict]) -> None:
        # One columnar insert: DuckDB's executemany binds row by row (~75 ms a member and
        # dataset, 3.6 s of a build, issue 15).
        self.con.register("member_rows", _arrow_table(columns, records))
        try:
            names = ", ".join(f'"{name}"' for name, _ in columns)
            self.con.execute(f"insert into {relation} ({names}) select {names} from member_rows")
        finally:
            self.con.unregister("member_rows")

    def read_frame(self, relation: str):
        return self.con.execute(f"select * from {relation}").df()


class PostgresWarehouse:
    """A session on a PostgreSQL database (psycopg2, which dbt-postgres brings)."""

    engine = "postgres"

    def __init__(self, connection):
        self.connection = connection

    def _cursor(self):
        return self.connection.cursor()

    def query(self, sql: str) -> list[tuple]:
        with self._cursor() as cursor:
            cursor.execute(sql)
            return cursor.fetchall() if cursor.description else []

    def execute(self, sql: str) -> None:
        with self._cursor() as cursor:
            cursor.execute(sql)

    @contextmanager
    def transaction(self) -> Iterator[None]:
        self.connection.autocommit = False
        try:
            yield
        except BaseException:
            self.connection.rollback()
            raise
        else:
            self.connection.commit()
        finally:
            self.connection.autocommit = True

    def table_names(self, schema: str) -> set[str]:
        with self._cursor() as cursor:
            cursor.execute("select table_name from information_schema.tables "
                           "where table_schema = %s", [schema])
            return {name for (name,) in cursor.fetchall()}

    def ensure_table(self, schema: str, table: str, columns: Sequence[tuple[str, str]],
                     lookup: str | None = None) -> None:
        """``lookup``: the column rows are deleted by gets a b-tree index; without it each
        member's reload scans the whole table (quadratic in the members)."""
        cols = ", ".join(f'"{name}" {postgres_type(dtype)}' for name, dtype in columns)
        self.execute(f"create schema if not exists {schema}")
        self.execute(f"create table if not exists {schema}.{table} ({cols})")
        if lookup:
            self.execute(f'create index if not exists "{table}__{lookup}" '
                         f'on {schema}.{table} ("{lookup}")')

    def replace_table(self, schema: str, table: str, columns: Sequence[tuple[str, str]],
                      rows: Sequence[Sequence]) -> None:
        cols = ", ".join(f'"{name}" {postgres_type(dtype)}' for name, dtype in columns)
        # dbt's views over the table are kept: the rows are replaced, the table stays
        # (dropping it would need "cascade" and take the staging views with it).
        with self.transaction():
            self.execute(f"create schema if not exists {schema}")
            if table in self.table_names(schema):
                current = self.query(
                    "select column_name || ' ' || data_type from information_schema.columns "
                    f"where table_schema = '{schema}' and table_name = '{table}' "
                    "order by ordinal_position")
                wanted = [f"{name} {postgres_type(dtype)}" for name, dtype in columns]
                wanted = [w.replace("varchar", "character varying") for w in wanted]
                if [c for (c,) in current] != wanted:
                    self.execute(f"drop table {schema}.{table} cascade")
            self.execute(f"create table if not exists {schema}.{table} ({cols})")
            self.execute(f"truncate {schema}.{table}")
            self._copy(f"{schema}.{table}", [name for name, _ in columns], rows)

    def delete_rows(self, relation: str, column: str, value) -> None:
        """Rows whose ``column`` is ``value``, or any of ``value`` when it is a list."""
        with self._cursor() as cursor:
            if isinstance(value, list | tuple):
                cursor.execute(f'delete from {relation} where "{column}" = any(%s)', [list(value)])
            else:
                cursor.execute(f'delete from {relation} where "{column}" = %s', [value])

    def insert_rows(self, relation: str, columns: Sequence[tuple[str, str]],
                    records: Sequence[dict]) -> None:
        names = [name for name, _ in columns]
        self._copy(relation, names, ([r.get(n) for n in names] for r in records))

    def _copy(self, relation: str, names: Sequence[str], rows: Iterable[Sequence]) -> None:
        """Bulk load with COPY (text format): one round trip, whatever the row count."""
        import io

        buffer = io.StringIO()
        for row in rows:
            buffer.write("\t".join(_copy_text(v) for v in row))
            buffer.write("\n")
        buffer.seek(0)
        quoted = ", ".join(f'"{n}"' for n in names)
        with self._cursor() as cursor:
            cursor.copy_expert(f"copy {relation} ({quoted}) from stdin", buffer)

    def read_frame(self, relation: str):
        """The relation as DuckDB's ``.df()`` gives it: the same column types through
        DuckDB's own conversion, rows in the order the table holds them. The rows come as
        one COPY in CSV, parsed by Arrow with the columns' types (a million rows of Python
        tuples cost ~10 s at national scale)."""
        import io

        import duckdb
        import pyarrow as pa
        from pyarrow import csv

        buffer = io.BytesIO()
        with self.transaction(), self._cursor() as cursor:
            # One process reads the heap front to back: the order the mart was written in
            # (its ORDER BY), as DuckDB keeps insertion order.
            cursor.execute("set local max_parallel_workers_per_gather = 0")
            cursor.execute("set local synchronize_seqscans = off")
            cursor.execute(f"select * from {relation} limit 0")
            columns = [(c.name, self._duckdb_type(relation, c)) for c in cursor.description]
            cursor.copy_expert(f"copy (select * from {relation}) to stdout with (format csv)",
                               buffer)
        names = [name for name, _ in columns]
        types = {name: _arrow_type(dtype) for name, dtype in columns}
        if buffer.tell() == 0:
            table = pa.table({name: pa.array([], type=types[name]) for name in names})
        else:
            buffer.seek(0)
            # COPY's CSV: null is an unquoted empty field, an empty text is "" (quoted).
            table = csv.read_csv(
                buffer,
                read_options=csv.ReadOptions(column_names=names),
                parse_options=csv.ParseOptions(newlines_in_values=True),
                convert_options=csv.ConvertOptions(
                    column_types=types, null_values=[""], strings_can_be_null=True,
                    quoted_strings_can_be_null=False, true_values=["t"],
                    false_values=["f"]))
        con = duckdb.connect()
        try:
            con.register("pg_rows", table)
            return con.execute("select * from pg_rows").df()
        finally:
            con.close()

    @staticmethod
    def _duckdb_type(relation: str, column) -> str:
        if column.type_code not in _DUCKDB_OF_OID:
            raise TypeError(f"{relation}.{column.name}: PostgreSQL type {column.type_code} "
                            "has no DuckDB twin here; cast it in the model")
        return _DUCKDB_OF_OID[column.type_code]


def postgres_type(duckdb_type: str) -> str:
    try:
        return _POSTGRES_TYPES[duckdb_type.upper()]
    except KeyError:
        raise TypeError(f"no PostgreSQL type for {duckdb_type}") from None


# DuckDB types as Arrow types: rows go in (and frames come out) with the table's own types.
_ARROW_TYPES = {"INTEGER": "int32", "BIGINT": "int64", "SMALLINT": "int16", "DOUBLE": "float64",
                "FLOAT": "float32", "VARCHAR": "string", "BOOLEAN": "bool"}


def _arrow_type(dtype: str):
    import pyarrow as pa

    return pa.type_for_alias(_ARROW_TYPES[dtype.upper()])


def _arrow_table(columns: Sequence[tuple[str, str]], records: Sequence[dict]):
    import pyarrow as pa

    return pa.table({name: pa.array([r.get(name) for r in records], type=_arrow_type(dtype))
                     for name, dtype in columns})


def _copy_text(value) -> str:
    """One field of COPY's text format: \\N is null; backslash, tab and line breaks escaped."""
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, float):
        return repr(value)  # shortest text that reads back as the same double
    text = str(value)
    return (text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")
            .replace("\r", "\\r"))


# ------------------------------------------------------------------------- opening
@contextmanager
def open_warehouse(home, read_only: bool = False):
    """A session on the home's warehouse (DuckDB file or PostgreSQL), closed afterwards."""
    spec = warehouse_spec(home)
    if spec.is_postgres:
        connection = connect_postgres(spec)
        try:
            yield PostgresWarehouse(connection)
        finally:
            connection.close()
    else:
        with connect(spec.path, read_only=read_only) as con:
            yield DuckDBWarehouse(con)


def connect_postgres(spec: WarehouseSpec, connect_timeout: int = 10):
    import psycopg2

    env = spec.dbt_env()
    connection = psycopg2.connect(
        host=env["KURUME_HUB_PG_HOST"], port=int(env["KURUME_HUB_PG_PORT"]),
        user=env["KURUME_HUB_PG_USER"], password=env["KURUME_HUB_PG_PASSWORD"] or None,
        dbname=env["KURUME_HUB_PG_DBNAME"], connect_timeout=connect_timeout,
        application_name="kurume-hub")
    connection.autocommit = True
    return connection


def as_warehouse(session):
    """A warehouse session, also from a bare DuckDB connection (tests and tools that hold
    one)."""
    if isinstance(session, DuckDBWarehouse | PostgresWarehouse):
        return session
    return DuckDBWarehouse(session)


@contextmanager
def connect(path: Path, read_only: bool = False):
    """A DuckDB connection to a warehouse file."""
    import duckdb

    con = duckdb.connect(str(path), read_only=read_only)
    try:
        yield con
    finally:
        con.close()


def read_table(home_or_path, relation: str):
    """A published table as a pandas frame: from the home's warehouse (a Home), or from a
    DuckDB file (a path)."""
    if isinstance(home_or_path, str | os.PathLike):
        with connect(Path(home_or_path), read_only=True) as con:
            return con.execute(f"select * from {relation}").df()
    with open_warehouse(home_or_path, read_only=True) as warehouse:
        return warehouse.read_frame(relation)
