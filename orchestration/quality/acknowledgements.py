"""Acknowledged suspicious changes: a value that moves more than ×3 or ÷3 year over year
blocks publication until the secretariat confirms it is true, with a reason.

Stored append-only in ``<home>/acknowledgements.jsonl`` (who, when, why); the release
metadata and CHANGES.md list the ones that were used. Stdlib only (CLI fast path).
"""

from __future__ import annotations

import fcntl
import getpass
import json
from dataclasses import asdict, dataclass
from datetime import UTC, datetime

from orchestration.home import Home


@dataclass(frozen=True)
class Acknowledgement:
    kpi_id: str
    municipality_code: str
    period: str
    reason: str
    acknowledged_by: str
    acknowledged_at: str

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.kpi_id, self.municipality_code, self.period)


def path(home: Home):
    return home.root / "acknowledgements.jsonl"


def load(home: Home) -> list[Acknowledgement]:
    if not path(home).exists():
        return []
    lines = path(home).read_text(encoding="utf-8").splitlines()
    return [Acknowledgement(**json.loads(line)) for line in lines if line.strip()]


def acknowledged_keys(home: Home) -> set[tuple[str, str, str]]:
    return {a.key for a in load(home)}


def add(home: Home, kpi_id: str, municipality_code: str, period: str, reason: str,
        who: str | None = None) -> Acknowledgement:
    ack = Acknowledgement(kpi_id, municipality_code, period, reason.strip(),
                          who or _os_user(), datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"))
    home.root.mkdir(parents=True, exist_ok=True)
    with path(home).open("a", encoding="utf-8") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        fh.write(json.dumps(asdict(ack), ensure_ascii=False) + "\n")
    return ack


def _os_user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no passwd entry in some containers
        return "unknown"
