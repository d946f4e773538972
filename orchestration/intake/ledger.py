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
import threading
from dataclasses import asdict, dataclass, field
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


@dataclass
class _Parsed:
    """The ledger as read so far by this process: the entries of its first ``offset`` bytes,
    also by (member, dataset). The ledger only ever grows by whole lines, so a later read
    parses only what was appended since (issue 16: every submission and every partition
    of a build re-parsed the whole file, quadratic in the number of files; 7,000 files of a
    1,741-member area took hours)."""

    file_id: tuple[int, int]   # (st_dev, st_ino)
    offset: int
    # The first line and the one that ends at ``offset``: a file rewritten rather than
    # appended to (a home re-created at the same path) shows in one of them.
    last_line: bytes
    first_line: bytes = b""
    entries: list[LedgerEntry] = field(default_factory=list)
    by_member_dataset: dict[tuple[str, str | None], list[LedgerEntry]] = field(
        default_factory=dict)

    def add(self, entry: LedgerEntry) -> None:
        self.entries.append(entry)
        self.by_member_dataset.setdefault((entry.municipality, entry.dataset), []).append(entry)


_PARSED: dict[str, _Parsed] = {}
_PARSED_LOCK = threading.Lock()
_NO_LEDGER = _Parsed((0, 0), 0, b"")


def _parsed(path: Path) -> _Parsed:
    """The ledger at ``path`` parsed up to its last complete line, re-using this process's
    earlier read when the file is the same one and still begins with what was read (the
    line that ended the earlier read is still there); otherwise read from the start."""
    try:
        fh = path.open("rb")
    except FileNotFoundError:
        return _NO_LEDGER
    with fh, _PARSED_LOCK:
        st = os.fstat(fh.fileno())
        file_id = (st.st_dev, st.st_ino)
        known = _PARSED.get(str(path))
        if known is None or not _still_prefix(fh, st.st_size, file_id, known):
            known = _Parsed(file_id, 0, b"")
        fh.seek(known.offset)
        data = fh.read(st.st_size - known.offset)
        end = data.rfind(b"\n") + 1  # a line still being written is read next time
        if end:
            for line in data[:end].splitlines():
                if line.strip():
                    known.add(LedgerEntry(**json.loads(line)))
            if not known.offset:
                known.first_line = data[:data.find(b"\n") + 1]
            known.offset += end
            known.last_line = data[:end].rstrip(b"\n").rsplit(b"\n", 1)[-1] + b"\n"
        _PARSED[str(path)] = known
        return known


def _still_prefix(fh, size: int, file_id: tuple[int, int], known: _Parsed) -> bool:
    if known.file_id != file_id or size < known.offset:
        return False
    fh.seek(0)
    if fh.read(len(known.first_line)) != known.first_line:
        return False
    fh.seek(known.offset - len(known.last_line))
    return fh.read(len(known.last_line)) == known.last_line


class Ledger:
    def __init__(self, home: Home):
        self.home = home

    def entries(self) -> list[LedgerEntry]:
        return list(_parsed(self.home.ledger).entries)

    def _of(self, municipality: str, dataset: str | None) -> list[LedgerEntry]:
        """The entries of one member and dataset, in ledger order (from the index)."""
        return list(_parsed(self.home.ledger).by_member_dataset.get((municipality, dataset), ()))

    def find(self, sha256: str, municipality: str, dataset: str | None) -> LedgerEntry | None:
        """The latest entry for this file from this member for this dataset."""
        return _latest_same_file(self._of(municipality, dataset), sha256, municipality, dataset)

    def current(self, municipality: str, dataset: str | None) -> LedgerEntry | None:
        """The member's latest accepted submission of the dataset (its file is "current")."""
        return _current(self._of(municipality, dataset), municipality, dataset)

    def accepted(self, municipality: str | None = None, dataset: str | None = None):
        entries = (self._of(municipality, dataset)
                   if municipality is not None and dataset is not None else self.entries())
        return [e for e in entries if e.outcome == "accepted"
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
            # Under the lock the ledger is complete: the read catches up with every line.
            known = _parsed(self.home.ledger)
            existing = known.by_member_dataset.get((fields["municipality"], fields["dataset"]),
                                                   [])
            planned = plan(existing, fields["sha256"], fields["municipality"],
                           fields["dataset"], fields["outcome"])
            if planned.duplicate_of is not None:
                return planned.duplicate_of, planned.duplicate_of
            if planned.submission_id != fields["submission_id"]:
                # The ledger moved between the caller's plan and the lock: refuse to record
                # rows under an id the plan did not choose (the caller re-plans).
                raise LedgerChanged(planned.submission_id)
            entry = LedgerEntry(seq=len(known.entries) + 1, received_at=_now(),
                                restores=planned.restores, **fields)
            fh.write(json.dumps(asdict(entry), ensure_ascii=False) + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        return entry, None

    def plan(self, sha256: str, municipality: str, dataset: str | None,
             outcome: str) -> Plan:
        return plan(self._of(municipality, dataset), sha256, municipality, dataset, outcome)


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
