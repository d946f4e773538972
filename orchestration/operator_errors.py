"""Errors an operator can act on: a full disk, a release folder that cannot be written, a
broken warehouse. Each ends a build with one sentence (Japanese, or English) saying what
happened and what to do, instead of a sqlite or DuckDB traceback.

``preflight`` looks before a build starts (cheap: a disk-usage call, one probe file, one
read-only DuckDB query, or one connection to a PostgreSQL warehouse); ``explain`` reads an exception or a failed step's error text when
the trouble starts mid-build.
"""

from __future__ import annotations

import errno
import os
import shutil
import uuid
from datetime import UTC, datetime
from pathlib import Path

from orchestration.home import Home
from orchestration.intake.messages import Msg

# Below this much free space a build would fail half-way (warehouse, release, logs, the
# Dagster run storage). Operators with tiny disks may lower it.
MIN_FREE_MB_ENV = "KURUME_HUB_MIN_FREE_MB"
DEFAULT_MIN_FREE_MB = 100

_NO_SPACE = ("No space left on device", "database or disk is full", "Disk quota exceeded")
_READ_ONLY = ("Read-only file system", "Permission denied", "Operation not permitted")
# What DuckDB says about a file that is not (or no longer) a whole database.
_BROKEN_DATABASE = ("not a valid DuckDB database", "Corrupt database file", "corrupted",
                    "Failed to read database header", "The file is not a valid",
                    "database file is too small", "Could not read enough bytes")
# What psycopg2 / dbt-postgres say when the PostgreSQL warehouse cannot be reached.
_UNREACHABLE = ("could not connect to server", "Connection refused", "could not translate host",
                "password authentication failed", "timeout expired",
                "server closed the connection unexpectedly")


def disk_full(home: Home) -> Msg:
    return Msg(
        f"ディスクの空き容量が足りません（{home.root} のあるディスク）。不要なファイルを削除して"
        "空きを作ってから、もう一度 build してください。公開中のデータは変わっていません。",
        f"The disk holding {home.root} is full. Free some space, then build again; the "
        "published release is unchanged.")


def releases_read_only(home: Home) -> Msg:
    return Msg(
        f"公開フォルダ {home.releases} に書き込めません（読み取り専用か、権限がありません）。"
        "フォルダの権限・マウント設定を直してから、もう一度 build してください。"
        "公開中のデータは変わっていません。",
        f"The release folder {home.releases} cannot be written (read-only or no permission). "
        "Fix its permissions or mount, then build again; the published release is unchanged.")


def warehouse_broken(home: Home) -> Msg:
    return Msg(
        f"倉庫ファイル {home.warehouse} が壊れています（途中で切れているか、DuckDB のファイルでは"
        "ありません）。受け付けたファイルはすべて提出台帳に保存されているので、"
        "`kurume-hub build --rebuild-warehouse` で安全に作り直せます（壊れたファイルは残します）。",
        f"The warehouse {home.warehouse} is damaged (truncated, or not a DuckDB file). Every "
        "accepted file is kept in the submission ledger, so `kurume-hub build "
        "--rebuild-warehouse` rebuilds it safely (the damaged file is kept aside).")


def warehouse_unreachable(home: Home, where: str, detail: str = "") -> Msg:
    detail_ja, detail_en = (f"（{detail}）", f" ({detail})") if detail else ("", "")
    return Msg(
        f"倉庫の PostgreSQL {where} に接続できません{detail_ja}。サーバーが動いているか、"
        "ホスト名・ポート・ユーザー・パスワード（KURUME_HUB_PG_PASSWORD）を確かめてから、"
        "もう一度 build してください。公開中のデータは変わっていません。",
        f"The warehouse's PostgreSQL {where} cannot be reached{detail_en}. "
        "Check that the server runs and the host, port, user and password "
        "(KURUME_HUB_PG_PASSWORD), then build again; the published release is unchanged.")


def warehouse_misconfigured(exc) -> Msg:
    return Msg(exc.ja, exc.en)


def preflight(home: Home, warehouse: bool = True) -> Msg | None:
    """The first reason a build cannot succeed here, or None (``warehouse=False`` when the
    warehouse is about to be rebuilt anyway)."""
    checks = [_free_space, _releases_writable] + ([_warehouse_readable] if warehouse else [])
    for check in checks:
        problem = check(home)
        if problem is not None:
            return problem
    return None


def _free_space(home: Home) -> Msg | None:
    minimum = int(os.environ.get(MIN_FREE_MB_ENV, DEFAULT_MIN_FREE_MB)) * 1024 * 1024
    return disk_full(home) if shutil.disk_usage(home.root).free < minimum else None


def _releases_writable(home: Home) -> Msg | None:
    """Try it: permission bits say nothing for root, an immutable or read-only mount does."""
    probe = home.releases / f".write-probe-{uuid.uuid4().hex}"
    try:
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        return disk_full(home) if exc.errno in (errno.ENOSPC, errno.EDQUOT) else \
            releases_read_only(home)
    return None


def _warehouse_readable(home: Home) -> Msg | None:
    """Opens and reads the catalogue; a file shorter than the blocks DuckDB says it uses was
    cut off (a crash while copying, a full disk) even if the catalogue still reads. A
    PostgreSQL warehouse is asked one query instead (the server keeps its own files)."""
    from orchestration.warehouse import WarehouseConfigError, warehouse_spec

    try:
        spec = warehouse_spec(home)
    except WarehouseConfigError as exc:
        return warehouse_misconfigured(exc)
    if spec.is_postgres:
        return _postgres_reachable(home, spec)
    if not home.warehouse.exists():
        return None
    import duckdb

    try:
        con = duckdb.connect(str(home.warehouse), read_only=True)
        try:
            con.execute("select count(*) from information_schema.tables").fetchone()
            # Used blocks, not total: DuckDB cuts free blocks off the end of the file at a
            # checkpoint and still counts them in total_blocks (a sound file, 1 block short).
            block_size, used_blocks = con.execute(
                "select block_size, used_blocks from pragma_database_size()").fetchone()
        finally:
            con.close()
    except duckdb.Error as exc:
        if "lock" in str(exc).lower():  # another process writes: not our verdict to give
            return None
        return warehouse_broken(home)
    if home.warehouse.stat().st_size < block_size * used_blocks:
        return warehouse_broken(home)
    return None


def _postgres_reachable(home: Home, spec) -> Msg | None:
    import psycopg2

    from orchestration.warehouse import connect_postgres

    try:
        connection = connect_postgres(spec, connect_timeout=5)
        try:
            with connection.cursor() as cursor:
                cursor.execute("select 1")
        finally:
            connection.close()
    except psycopg2.Error as exc:
        first_line = (str(exc).strip().splitlines() or [""])[0]
        return warehouse_unreachable(home, spec.describe(), first_line[:200])
    return None


def explain(home: Home, error_text: str) -> Msg | None:
    """The operator's sentence for a failure whose text names one of the known causes."""
    if any(s in error_text for s in _NO_SPACE):
        return disk_full(home)
    if str(home.releases) in error_text and any(s in error_text for s in _READ_ONLY):
        return releases_read_only(home)
    if any(s.lower() in error_text.lower() for s in _BROKEN_DATABASE):
        return warehouse_broken(home)
    if any(s.lower() in error_text.lower() for s in _UNREACHABLE):
        from orchestration.warehouse import warehouse_spec

        spec = warehouse_spec(home)
        if spec.is_postgres:
            return warehouse_unreachable(home, spec.describe())
    return None


def set_broken_warehouse_aside(home: Home) -> Path | None:
    """Keep the damaged file (evidence) and let the next build start from the ledger. A
    PostgreSQL warehouse has no file to set aside: the rebuild replaces every member's raw
    rows, the reference tables and every model in place."""
    from orchestration.warehouse import warehouse_spec

    if warehouse_spec(home).is_postgres or not home.warehouse.exists():
        return None
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    aside = home.root / f"warehouse.damaged-{stamp}.duckdb"
    os.replace(home.warehouse, aside)
    wal = home.warehouse.with_name(home.warehouse.name + ".wal")
    if wal.exists():
        os.replace(wal, aside.with_name(aside.name + ".wal"))
    return aside
