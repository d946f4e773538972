"""The submission ledger: every file ever received, never overwritten.

``submissions/ledger.jsonl`` gets one line per received file (append-only, under a file
lock). The file itself is stored by content hash under ``submissions/files/`` so that no
name a member chose can escape the home; accepted rows are kept, normalised, in
``submissions/records/<submission_id>.json`` (what the warehouse loads).
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import shutil
import tempfile
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from orchestration.home import Home

# Only these suffixes are ever used for stored copies; anything else is stored as .bin.
STORED_SUFFIXES = {".xlsx", ".csv", ".txt", ".xlsm", ".xls"}


@dataclass(frozen=True)
class LedgerEntry:
    seq: int
    submission_id: str
    received_at: str
    municipality: str
    dataset: str | None
    original_name: str
    stored_path: str
    sha256: str
    size_bytes: int
    submitter: str
    outcome: str  # accepted | rejected
    rows_total: int
    rows_accepted: int
    errors: int
    warnings: int
    # Set when a member re-sent the file of an earlier submission to undo a later one:
    # the id of the submission whose content becomes current again.
    restores: str | None = None


def submission_id_for(municipality: str, dataset: str | None, sha256: str) -> str:
    """Deterministic: the same file from the same member for the same dataset has one id."""
    return f"{municipality}-{dataset or 'unknown'}-{sha256[:12]}"


MAX_NAME_CHARS = 200
MAX_SUFFIX_CHARS = 16


def safe_original_name(name: str) -> str:
    """The name is only recorded, never used as a path; strip separators all the same, and
    control and format characters (U+202E would make a listing display misleadingly)."""
    import unicodedata

    base = re.split(r"[\\/]", name)[-1]
    kept = "".join(ch for ch in base if unicodedata.category(ch) not in ("Cc", "Cf"))
    if len(kept) > MAX_NAME_CHARS:
        # The stem is cut, the suffix kept: the portal reads an upload as xlsx or csv by it.
        suffix = os.path.splitext(kept)[1]
        suffix = suffix if len(suffix) <= MAX_SUFFIX_CHARS else ""
        kept = kept[:MAX_NAME_CHARS - len(suffix)] + suffix
    return kept or "unnamed"


class Ledger:
    def __init__(self, home: Home):
        self.home = home

    def entries(self) -> list[LedgerEntry]:
        if not self.home.ledger.exists():
            return []
        with self.home.ledger.open(encoding="utf-8") as fh:
            return [LedgerEntry(**json.loads(line)) for line in fh if line.strip()]

    def find(self, sha256: str, municipality: str, dataset: str | None) -> LedgerEntry | None:
        """The latest entry for this file from this member for this dataset."""
        return _latest_same_file(self.entries(), sha256, municipality, dataset)

    def current(self, municipality: str, dataset: str | None) -> LedgerEntry | None:
        """The member's latest accepted submission of the dataset (its file is "current")."""
        return _current(self.entries(), municipality, dataset)

    def accepted(self, municipality: str | None = None, dataset: str | None = None):
        return [e for e in self.entries() if e.outcome == "accepted"
                and (municipality is None or e.municipality == municipality)
                and (dataset is None or e.dataset == dataset)]

    def store_file(self, source: Path, sha256: str) -> Path:
        """Copy the received bytes unchanged; the stored name is derived from the hash only."""
        suffix = source.suffix.lower() if source.suffix.lower() in STORED_SUFFIXES else ".bin"
        target = self.home.submission_files / sha256[:2] / f"{sha256}{suffix}"
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            _atomic_copy(source, target)
        return target

    def records_path(self, submission_id: str) -> Path:
        return self.home.submissions / "records" / f"{submission_id}.json"

    def save_records(self, submission_id: str, records: list[dict]) -> None:
        path = self.records_path(submission_id)
        path.parent.mkdir(parents=True, exist_ok=True)
        _atomic_write(path, json.dumps(records, ensure_ascii=False, indent=1).encode("utf-8"))

    def load_records(self, submission_id: str) -> list[dict]:
        return json.loads(self.records_path(submission_id).read_text(encoding="utf-8"))

    def append(self, **fields) -> tuple[LedgerEntry, LedgerEntry | None]:
        """Append under an exclusive lock: ``(entry, None)``, or ``(old, old)`` when the file
        is already the member's current submission of the dataset (checked under the lock,
        so two concurrent submissions of one file cannot both land). A file received before
        but no longer current gets a new entry whose ``restores`` names the earlier one
        (``fields['submission_id']`` must then be ``restore_id_for`` it, see ``plan``)."""
        self.home.ledger.parent.mkdir(parents=True, exist_ok=True)
        with self.home.ledger.open("a+", encoding="utf-8") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            fh.seek(0)
            existing = [LedgerEntry(**json.loads(line)) for line in fh if line.strip()]
            planned = plan(existing, fields["sha256"], fields["municipality"],
                           fields["dataset"], fields["outcome"])
            if planned.duplicate_of is not None:
                return planned.duplicate_of, planned.duplicate_of
            if planned.submission_id != fields["submission_id"]:
                # The ledger moved between the caller's plan and the lock: refuse to record
                # rows under an id the plan did not choose (the caller re-plans).
                raise LedgerChanged(planned.submission_id)
            entry = LedgerEntry(seq=len(existing) + 1, received_at=_now(),
                                restores=planned.restores, **fields)
            fh.write(json.dumps(asdict(entry), ensure_ascii=False) + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        return entry, None

    def plan(self, sha256: str, municipality: str, dataset: str | None,
             outcome: str) -> Plan:
        return plan(self.entries(), sha256, municipality, dataset, outcome)


class LedgerChanged(Exception):
    """Another submission landed between planning an entry and appending it."""


@dataclass(frozen=True)
class Plan:
    """What receiving a file means for the ledger: nothing (``duplicate_of``: it is already
    current, or it was refused before and is refused again), a new submission, or a restore
    of an earlier one (``restores``) under a new id."""

    submission_id: str | None
    duplicate_of: LedgerEntry | None = None
    restores: str | None = None


def plan(entries: list[LedgerEntry], sha256: str, municipality: str, dataset: str | None,
         outcome: str) -> Plan:
    same = [e for e in entries if (e.sha256, e.municipality, e.dataset)
            == (sha256, municipality, dataset)]
    base = submission_id_for(municipality, dataset, sha256)
    if not same:
        return Plan(base)
    current = _current(entries, municipality, dataset)
    if current is not None and current.sha256 == sha256:
        return Plan(None, duplicate_of=current)
    if outcome != "accepted":
        return Plan(None, duplicate_of=same[-1])
    earlier = [e for e in same if e.outcome == "accepted"]
    return Plan(f"{base}-r{len(same) + 1}",
                restores=earlier[-1].submission_id if earlier else None)


def _latest_same_file(entries, sha256, municipality, dataset) -> LedgerEntry | None:
    same = [e for e in entries if (e.sha256, e.municipality, e.dataset)
            == (sha256, municipality, dataset)]
    return same[-1] if same else None


def _current(entries, municipality, dataset) -> LedgerEntry | None:
    accepted = [e for e in entries if e.outcome == "accepted"
                and e.municipality == municipality and e.dataset == dataset]
    return accepted[-1] if accepted else None


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _atomic_copy(source: Path, target: Path) -> None:
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".incoming-")
    os.close(fd)
    shutil.copyfile(source, tmp)
    os.replace(tmp, target)


def _atomic_write(target: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".incoming-")
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    os.replace(tmp, target)
