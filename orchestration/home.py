"""The platform's home directory: every file the platform writes lives below it.

Kept free of heavy imports: the CLI's fast paths (validate, submit) use it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

HOME_ENV = "KURUME_HUB_HOME"
DEFAULT_HOME = Path(".kurume-hub")

# The repository root; sources/, dbt_project/ and expectations/ are read from here
# (the project is installed editable, see Makefile).
# The home's own Dagster instance (local storage). Production uses PostgreSQL: see README.
_BASE_DAGSTER_YAML = """telemetry:
  enabled: false
# DuckDB allows one writer: every asset that writes the warehouse is in the pool
# "duckdb_warehouse"; one slot means one writer across all runs (CLI builds included).
concurrency:
  pools:
    default_limit: 1
  runs:
    max_concurrent_runs: 1
run_retries:
  enabled: true
  max_retries: 1
"""
# The event log kept open for a whole build (orchestration/dagster_storage.py, issue 15).
_EVENT_LOG_YAML = """event_log_storage:
  module: orchestration.dagster_storage
  class: KeptOpenSqliteEventLogStorage
"""
DAGSTER_YAML = _BASE_DAGSTER_YAML + _EVENT_LOG_YAML
# What homes created before the kept-open event log were given; Home.create upgrades such a
# file (an operator's own edits are left alone).
_EARLIER_DAGSTER_YAML = _BASE_DAGSTER_YAML


# Where a home's Dagster on PostgreSQL finds its password (init --dagster-db).
DAGSTER_PASSWORD_ENV = "KURUME_HUB_DAGSTER_PG_PASSWORD"


def postgres_dagster_yaml(hostname: str, port: int, db_name: str, username: str,
                          password_env: str | None = None) -> str:
    """A home's ``dagster.yaml`` with the whole Dagster instance (runs, events, schedules,
    pool slots) on PostgreSQL (dagster-postgres), for a deployment that serves several areas
    or runs the UI and the daemon on other machines. The password, when the server wants one,
    is read from the environment variable ``password_env`` when Dagster starts, never written
    here. The driver is named: SQLAlchemy 2.1 opens a bare ``postgresql://`` with psycopg 3,
    whose server-side parameters break dagster-postgres's ``NOTIFY run_events, %s``."""
    password = f"\n      password:\n        env: {password_env}" if password_env else ""
    return _BASE_DAGSTER_YAML + f"""storage:
  postgres:
    postgres_db:
      scheme: postgresql+psycopg2
      hostname: {hostname}
      port: {port}
      db_name: {db_name}
      username: {username}{password}
"""


PROJECT_ROOT = Path(__file__).resolve().parent.parent
SOURCES_DIR = PROJECT_ROOT / "sources"
DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"
EXPECTATIONS_DIR = PROJECT_ROOT / "expectations"


@dataclass(frozen=True)
class Home:
    root: Path

    @classmethod
    def resolve(cls, explicit: str | os.PathLike | None = None) -> Home:
        """--home wins over KURUME_HUB_HOME, which wins over ./.kurume-hub."""
        raw = explicit or os.environ.get(HOME_ENV) or DEFAULT_HOME
        return cls(Path(raw).expanduser().resolve())

    @property
    def submissions(self) -> Path:
        return self.root / "submissions"

    @property
    def submission_files(self) -> Path:
        return self.submissions / "files"

    @property
    def ledger(self) -> Path:
        return self.submissions / "ledger.jsonl"

    @property
    def warehouse(self) -> Path:
        return self.root / "warehouse.duckdb"

    @property
    def releases(self) -> Path:
        return self.root / "releases"

    @property
    def latest(self) -> Path:
        return self.releases / "latest"

    @property
    def staging_releases(self) -> Path:
        """Candidates being written or audited; never visible as a release."""
        return self.releases / ".candidates"

    @property
    def pending_releases(self) -> Path:
        """Releases that passed the gate and wait for the secretariat's approval
        (``publication.approval: required``); not public."""
        return self.releases / "pending"

    @property
    def rejected_releases(self) -> Path:
        return self.releases / "rejected"

    @property
    def site(self) -> Path:
        return self.root / "site"

    @property
    def previews(self) -> Path:
        """The site as a pending release would make it, one folder per release id; shown to
        the secretariat in the portal only, never served as the public site."""
        return self.root / "preview"

    @property
    def dbt_target(self) -> Path:
        return self.root / "dbt" / "target"

    @property
    def dagster_home(self) -> Path:
        return self.root / "dagster"

    def exists(self) -> bool:
        return self.submissions.is_dir()

    def create(self) -> None:
        for path in (self.submission_files, self.releases, self.site, self.dagster_home):
            path.mkdir(parents=True, exist_ok=True)
        self.ledger.touch(exist_ok=True)
        dagster_yaml = self.dagster_home / "dagster.yaml"
        if not dagster_yaml.exists() or _is_earlier_default(dagster_yaml):
            dagster_yaml.write_text(DAGSTER_YAML, encoding="utf-8")


def _is_earlier_default(dagster_yaml: Path) -> bool:
    return dagster_yaml.read_text(encoding="utf-8") == _EARLIER_DAGSTER_YAML
