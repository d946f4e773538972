"""Keep dbt's manifest in step with the dbt project.

Dagster builds its dbt assets from ``dbt_project/target/manifest.json``. It is never
committed; ``make install`` prepares it and any load finding it older than a model, seed,
macro or project file parses again, so it cannot go stale. Several processes may load the
definitions at once (dagster dev, the CLI, tests): parsing happens under a file lock into a
private folder, and the manifest is swapped in by one atomic rename, so no reader ever sees
half a file.
"""

from __future__ import annotations

import fcntl
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from orchestration.home import DBT_PROJECT_DIR

TARGET = DBT_PROJECT_DIR / "target"
MANIFEST = TARGET / "manifest.json"
_WATCHED = ("models", "seeds", "macros", "tests")


def _newest_source_mtime() -> float:
    files = [DBT_PROJECT_DIR / "dbt_project.yml", DBT_PROJECT_DIR / "profiles.yml"]
    for folder in _WATCHED:
        files += [p for p in (DBT_PROJECT_DIR / folder).rglob("*") if p.is_file()]
    return max(p.stat().st_mtime for p in files if p.exists())


def _is_valid(path: Path) -> bool:
    try:
        json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return True


def manifest_is_stale() -> bool:
    return (not MANIFEST.exists() or MANIFEST.stat().st_mtime < _newest_source_mtime()
            or not _is_valid(MANIFEST))


def dbt_executable() -> str:
    candidate = Path(sys.executable).with_name("dbt")
    return str(candidate) if candidate.exists() else "dbt"


def _parse_into(folder: Path) -> Path:
    env = {**os.environ, "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    subprocess.run(
        [dbt_executable(), "parse", "--quiet", "--project-dir", str(DBT_PROJECT_DIR),
         "--profiles-dir", str(DBT_PROJECT_DIR), "--target-path", str(folder),
         "--log-path", str(folder)],
        check=True, env=env, cwd=DBT_PROJECT_DIR,
    )
    return folder / "manifest.json"


def ensure_manifest() -> Path:
    if not manifest_is_stale():
        return MANIFEST
    TARGET.mkdir(parents=True, exist_ok=True)
    with (TARGET / ".manifest.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if manifest_is_stale():  # another process may have parsed while we waited
            with tempfile.TemporaryDirectory(dir=TARGET, prefix=".parse-") as work:
                os.replace(_parse_into(Path(work)), MANIFEST)
    return MANIFEST


if __name__ == "__main__":
    print(ensure_manifest())
