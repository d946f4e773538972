"""Keep dbt's manifest in step with the dbt project.

Dagster builds its dbt assets from ``dbt_project/target/manifest.json``. It is never
committed; ``make install`` prepares it and any load finding it older than a model, seed,
macro or project file parses again, so it cannot go stale.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from orchestration.home import DBT_PROJECT_DIR

MANIFEST = DBT_PROJECT_DIR / "target" / "manifest.json"
_WATCHED = ("models", "seeds", "macros", "tests")


def _newest_source_mtime() -> float:
    files = [DBT_PROJECT_DIR / "dbt_project.yml", DBT_PROJECT_DIR / "profiles.yml"]
    for folder in _WATCHED:
        files += [p for p in (DBT_PROJECT_DIR / folder).rglob("*") if p.is_file()]
    return max(p.stat().st_mtime for p in files if p.exists())


def manifest_is_stale() -> bool:
    return not MANIFEST.exists() or MANIFEST.stat().st_mtime < _newest_source_mtime()


def dbt_executable() -> str:
    candidate = Path(sys.executable).with_name("dbt")
    return str(candidate) if candidate.exists() else "dbt"


def ensure_manifest() -> Path:
    if manifest_is_stale():
        env = {**os.environ, "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
        subprocess.run(
            [dbt_executable(), "parse", "--quiet", "--project-dir", str(DBT_PROJECT_DIR),
             "--profiles-dir", str(DBT_PROJECT_DIR)],
            check=True, env=env, cwd=DBT_PROJECT_DIR,
        )
        MANIFEST.touch()
    return MANIFEST


if __name__ == "__main__":
    print(ensure_manifest())
