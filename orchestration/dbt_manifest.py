"""Keep dbt's manifest in step with the dbt project.

Dagster builds its dbt assets from ``dbt_project/target/manifest.json``. It is never
committed; ``make install`` prepares it and any load finding it older than a model,
macro or project file parses again, so it cannot go stale. Several processes may load the
definitions at once (dagster dev, the CLI, tests): parsing happens under a file lock into a
private folder, and the manifest is swapped in by one atomic rename, so no reader ever sees
half a file.

The area's KPIs reach dbt as the var ``area_kpis`` (:func:`dbt_vars`): the same JSON is given
to every dbt command, the parse here included, so the manifest's lineage (which staging
models feed ``int_municipal_indicators__unioned``) is the active area's. A manifest parsed
for other vars (another area) is parsed again.
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
# The vars the manifest was parsed with (written after it, compared on every load).
MANIFEST_VARS = TARGET / "manifest.vars.json"
_WATCHED = ("models", "macros", "tests")


def dbt_vars(area=None) -> dict:
    """What dbt needs of the area that its reference tables cannot give at compile time:
    the KPIs the unioned model loops over (each computed by the macro of its method) and
    the vocabulary of methods (orchestration/area.py METHODS)."""
    from orchestration.area import METHODS, active_area

    area = area or active_area()
    return {
        "kpi_methods": list(METHODS),
        "area_kpis": [{"id": k.id, "method": k.method, "dataset": k.dataset,
                       "measure": k.measure, "period_type": k.period_type, "unit": k.unit,
                       "members": list(k.members)} for k in area.kpis],
    }


def vars_argument(area=None) -> list[str]:
    """``--vars JSON`` for a dbt command run for the area (default: the active one)."""
    return ["--vars", json.dumps(dbt_vars(area), ensure_ascii=False, sort_keys=True)]


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


def _parsed_vars() -> str | None:
    try:
        return MANIFEST_VARS.read_text(encoding="utf-8")
    except OSError:
        return None


def manifest_is_stale(var_args: list[str] | None = None) -> bool:
    var_args = var_args or vars_argument()
    return (not MANIFEST.exists() or MANIFEST.stat().st_mtime < _newest_source_mtime()
            or _parsed_vars() != var_args[1] or not _is_valid(MANIFEST))


def dbt_executable() -> str:
    candidate = Path(sys.executable).with_name("dbt")
    return str(candidate) if candidate.exists() else "dbt"


def _parse_into(folder: Path, var_args: list[str]) -> Path:
    env = {**os.environ, "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    subprocess.run(
        [dbt_executable(), "parse", "--quiet", "--project-dir", str(DBT_PROJECT_DIR),
         "--profiles-dir", str(DBT_PROJECT_DIR), "--target-path", str(folder),
         "--log-path", str(folder), *var_args],
        check=True, env=env, cwd=DBT_PROJECT_DIR,
    )
    return folder / "manifest.json"


def ensure_manifest() -> Path:
    var_args = vars_argument()
    if not manifest_is_stale(var_args):
        return MANIFEST
    TARGET.mkdir(parents=True, exist_ok=True)
    with (TARGET / ".manifest.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if manifest_is_stale(var_args):  # another process may have parsed while we waited
            with tempfile.TemporaryDirectory(dir=TARGET, prefix=".parse-") as work:
                os.replace(_parse_into(Path(work), var_args), MANIFEST)
                # a reader in between finds the vars differ and waits for the lock
                (Path(work) / "vars.json").write_text(var_args[1], encoding="utf-8")
                os.replace(Path(work) / "vars.json", MANIFEST_VARS)
    return MANIFEST


if __name__ == "__main__":
    print(ensure_manifest())
