"""Debian packages the tests need (Chromium, PostgreSQL), installed when missing.

The suite runs in two processes (pytest-xdist) and two ``apt-get`` runs at once fail on dpkg's
lock, so every install holds one file lock; the caller checks again under it, because the other
process may have installed the package meanwhile. A missing package *fails* the test with the
installer's output or the command to run: these tests never skip silently.
"""

from __future__ import annotations

import fcntl
import os
import subprocess
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import pytest

APT_LOCK = Path(tempfile.gettempdir()) / "kurume-hub-apt.lock"


@contextmanager
def apt_lock() -> Iterator[None]:
    with open(APT_LOCK, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def ensure_installed(what: str, packages: Sequence[str], present: Callable[[], bool]) -> None:
    """Install ``packages`` with apt-get unless ``present()`` (asked again under the lock)."""
    if present():
        return
    with apt_lock():
        if present():  # the other test process installed them meanwhile
            return
        apt_install(what, packages)


def apt_install(what: str, packages: Sequence[str]) -> None:
    if os.geteuid() != 0:
        pytest.fail(f"{what} is missing and the tests are not root, so they cannot install it: "
                    f"run `apt-get install -y {' '.join(packages)}`.")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for argv in (["apt-get", "update"],
                 ["apt-get", "install", "-y", "--no-install-recommends", *packages]):
        try:
            result = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=1200)
        except (OSError, subprocess.TimeoutExpired) as exc:
            pytest.fail(f"Installing {what} failed: {' '.join(argv)}: {exc}")
        if result.returncode != 0:
            tail = "\n".join((result.stdout + result.stderr).strip().splitlines()[-15:])
            pytest.fail(f"Installing {what} failed ({' '.join(argv)} -> {result.returncode}):\n"
                        f"{tail}")
