"""Shared fixtures: a home built once from the sample submissions (the real pipeline)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

# A PostgreSQL server per test process, for the tests of the second warehouse.
from tests.postgres import postgres_server  # noqa: F401

ROOT = Path(__file__).resolve().parent.parent
CLI = [sys.executable, "-m", "orchestration.cli"]


def run_cli(*args: str, home: Path | None = None, check: bool = False, **kwargs):
    """Run ``kurume-hub`` as a user would: a fresh process, its exit code and output."""
    env = {**os.environ, "PYTHONUTF8": "1"}
    env.pop("KURUME_HUB_HOME", None)
    argv = [*CLI, *args] + (["--home", str(home)] if home else [])
    result = subprocess.run(argv, capture_output=True, text=True, env=env, cwd=ROOT, **kwargs)
    if check and result.returncode != 0:
        raise AssertionError(f"{argv} -> {result.returncode}\n{result.stdout}\n{result.stderr}")
    return result


@pytest.fixture(scope="session")
def demo_home(tmp_path_factory) -> Path:
    """`kurume-hub demo` into a fresh home; tests copy it before changing anything."""
    home = tmp_path_factory.mktemp("demo") / "home"
    result = run_cli("demo", home=home)
    assert result.returncode == 0, result.stdout + result.stderr
    return home


@pytest.fixture
def built_home(demo_home: Path, tmp_path: Path) -> Path:
    """A private copy of the demo home (symlinks kept, so releases/latest stays a pointer)."""
    home = tmp_path / "home"
    shutil.copytree(demo_home, home, symlinks=True)
    return home


@pytest.fixture(scope="module")
def portal_site(demo_home: Path, tmp_path_factory):
    """The portal served (a real ``kurume-hub serve`` process) on a private copy of the demo
    home, with accounts for two members and the secretariat: ``.base``, ``.home``,
    ``.accounts``. One per test module: tests in a module share its state."""
    from types import SimpleNamespace

    from tests.portal import add_accounts, portal_server

    home = tmp_path_factory.mktemp("portal") / "home"
    shutil.copytree(demo_home, home, symlinks=True)
    accounts = add_accounts(home)
    with portal_server(home) as base:
        yield SimpleNamespace(base=base, home=home, accounts=accounts)
