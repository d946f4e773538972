"""A full disk, a read-only release folder and a damaged warehouse each end a build with one
sentence saying what happened and what to do; nothing published is touched."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from orchestration.home import Home
from orchestration.operator_errors import explain, preflight
from tests.conftest import run_cli
from tests.integration.test_pipeline import _tree_digest


def _latest(home: Path) -> tuple[str, str]:
    latest = os.readlink(home / "releases" / "latest")
    return latest, _tree_digest(home / "releases" / latest)


def test_a_damaged_warehouse_is_named_with_the_safe_rebuild_which_then_publishes(
        built_home: Path):
    before = _latest(built_home)
    warehouse = built_home / "warehouse.duckdb"
    with warehouse.open("r+b") as fh:  # cut off half-way, as by a crash while copying
        fh.truncate(warehouse.stat().st_size // 2)

    failed = run_cli("build", home=built_home)

    assert failed.returncode == 1, failed.stdout + failed.stderr
    assert "Traceback" not in failed.stdout + failed.stderr
    assert "倉庫ファイル" in failed.stderr and "壊れています" in failed.stderr
    assert "kurume-hub build --rebuild-warehouse" in failed.stderr
    assert _latest(built_home) == before

    rebuilt = run_cli("build", "--rebuild-warehouse", home=built_home)

    assert rebuilt.returncode == 0, rebuilt.stdout + rebuilt.stderr
    assert "倉庫ファイルを退避しました" in rebuilt.stdout
    assert list(built_home.glob("warehouse.damaged-*.duckdb"))  # the evidence is kept
    new_latest = os.readlink(built_home / "releases" / "latest")
    # Rebuilt from the ledger alone, the data files are byte for byte the same.
    assert new_latest.split("-")[-1] == before[0].split("-")[-1]
    assert (_tree_digest(built_home / "releases" / new_latest / "data")
            == _tree_digest(built_home / "releases" / before[0] / "data"))


@pytest.mark.skipif(shutil.which("chattr") is None or os.geteuid() != 0,
                    reason="needs root and chattr to make a folder immutable")
def test_a_read_only_release_folder_is_named_and_latest_is_untouched(built_home: Path):
    before = _latest(built_home)
    releases = built_home / "releases"
    subprocess.run(["chattr", "+i", str(releases)], check=True)
    try:
        result = run_cli("build", home=built_home)
    finally:
        subprocess.run(["chattr", "-i", str(releases)], check=True)

    assert result.returncode == 1, result.stdout + result.stderr
    assert f"公開フォルダ {releases} に書き込めません" in result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    assert _latest(built_home) == before


def test_too_little_free_space_is_said_before_anything_is_written(built_home: Path,
                                                                  monkeypatch):
    before = _latest(built_home)
    monkeypatch.setenv("KURUME_HUB_MIN_FREE_MB", str(10**12))  # more than any disk: "full"

    result = run_cli("build", home=built_home)

    assert result.returncode == 1, result.stdout + result.stderr
    assert "ディスクの空き容量が足りません" in result.stderr
    assert _latest(built_home) == before


def test_a_real_no_space_error_and_a_read_only_error_are_recognised(tmp_path: Path):
    home = Home.resolve(tmp_path / "home")
    home.create()
    with pytest.raises(OSError) as full, Path("/dev/full").open("w") as fh:
        fh.write("x" * 100_000)
        fh.flush()
    assert "ディスクの空き容量" in explain(home, str(full.value)).ja
    sqlite = "sqlite3.OperationalError: database or disk is full"
    assert "ディスクの空き容量" in explain(home, sqlite).ja
    read_only = f"PermissionError: [Errno 13] Permission denied: '{home.releases}/x'"
    assert "書き込めません" in explain(home, read_only).ja
    assert explain(home, "ValueError: something else") is None
    assert preflight(home) is None
