"""Submitting a file: validate, store unchanged, record in the ledger, keep accepted rows.

The latest accepted submission wins per key, so a member may send only one new year
without resending its history.
"""

from __future__ import annotations

import getpass
from dataclasses import dataclass
from pathlib import Path

from orchestration.home import Home
from orchestration.intake.contracts import get_contract
from orchestration.intake.ledger import Ledger, LedgerChanged, LedgerEntry, safe_original_name
from orchestration.intake.readers import DEFAULT_MAX_BYTES
from orchestration.intake.validate import Report, quantity_index, validate_file


@dataclass
class SubmitResult:
    """``entry`` is the new ledger line (a restore when ``entry.restores`` is set);
    ``duplicate_of`` the entry that already stands for this file when nothing was recorded."""

    report: Report
    entry: LedgerEntry | None
    duplicate_of: LedgerEntry | None = None

    @property
    def accepted(self) -> bool:
        return self.report.accepted

    @property
    def restored(self) -> bool:
        return self.entry is not None and self.entry.restores is not None


def current_records(ledger: Ledger, municipality: str, dataset: str,
                    max_seq: int | None = None) -> list[dict]:
    """The member's rows as they stand: later accepted submissions override earlier ones
    per key; every row keeps the submission id, file hash, sheet and row it came from.
    ``max_seq``: as they stood at that ledger position (a build's snapshot)."""
    key = get_contract(dataset).key
    by_key: dict[tuple, dict] = {}
    for entry in ledger.accepted(municipality, dataset):
        if max_seq is not None and entry.seq > max_seq:
            continue
        provenance = {"submission_id": entry.submission_id, "source_sha256": entry.sha256,
                      "municipality_code": municipality}
        for record in ledger.load_records(entry.submission_id):
            # In place: the rows were just read for this call (a copy per row was a third of
            # the intake's own time for 1.3 million rows, issue 16).
            record.update(provenance)
            by_key[tuple(record[k] for k in key)] = record
    return [by_key[k] for k in sorted(by_key)]


def previous_values(ledger: Ledger, municipality: str, dataset: str | None) -> dict:
    if dataset is None:
        return {}
    return quantity_index(get_contract(dataset), current_records(ledger, municipality, dataset))


def check_file(home: Home | None, path: Path, municipality: str, dataset: str | None,
               max_bytes: int = DEFAULT_MAX_BYTES, original_name: str | None = None) -> Report:
    """Validate only; compares with accepted data when a home with a ledger exists (for the
    dataset named, or the one detected from the headers). ``original_name``: the name the
    member gave the file when ``path`` is the portal's own copy of an upload."""
    previous = None
    if home is not None and home.ledger.exists():
        ledger = Ledger(home)

        def previous(detected: str) -> dict:
            return previous_values(ledger, municipality, detected)

    report = validate_file(path, municipality, dataset, previous=previous, max_bytes=max_bytes)
    if original_name is not None:
        report.file_name = safe_original_name(original_name)
    return report


def report_payload(report: Report, submission: LedgerEntry | None, checked_only: bool,
                   lang: str = "ja") -> dict:
    """The JSON answer to a file: ``validate --json``, ``submit --json`` and the portal's API
    give the same keys."""
    from orchestration.intake.messages import visible

    return {
        "accepted": report.accepted, "file": visible(report.file_name),
        "municipality": report.municipality, "dataset": report.dataset,
        "sha256": report.sha256, "rows_total": report.rows_total,
        "rows_accepted": len(report.records) if report.accepted else 0,
        "submission_id": submission.submission_id if submission else None,
        "checked_only": checked_only, "recorded": submission is not None,
        "problems": [p.to_dict(lang) for p in report.problems],
    }


def submit_file(home: Home, path: Path, municipality: str, dataset: str | None,
                submitter: str | None = None, max_bytes: int = DEFAULT_MAX_BYTES,
                original_name: str | None = None) -> SubmitResult:
    """Validate and record. Re-sending the member's current file records nothing; re-sending
    an earlier file makes it current again (a new entry that ``restores`` the earlier one)."""
    ledger = Ledger(home)
    report = check_file(home, path, municipality, dataset, max_bytes=max_bytes,
                        original_name=original_name)
    if report.record_nothing:  # another member's template or rows: refused, no trace kept
        return SubmitResult(report=report, entry=None)
    outcome = "accepted" if report.accepted else "rejected"
    for _attempt in range(3):
        planned = ledger.plan(report.sha256, municipality, report.dataset, outcome)
        if planned.duplicate_of is not None:
            return SubmitResult(report=report, entry=None, duplicate_of=planned.duplicate_of)
        try:
            return _record(home, ledger, path, municipality, report, planned.submission_id,
                           submitter)
        except LedgerChanged:
            continue  # another submission of this member landed meanwhile: plan again
    raise RuntimeError("the ledger kept changing while this file was being recorded")


def _record(home: Home, ledger: Ledger, path: Path, municipality: str, report: Report,
            submission_id: str, submitter: str | None) -> SubmitResult:
    # A file over the size limit is recorded (hash, name, size) but not kept: storing
    # whatever anyone uploads would let one upload fill the home's disk.
    too_large = any(p.code == "file_too_large" for p in report.errors)
    stored = None if too_large else ledger.store_file(path, report.sha256)
    if report.accepted:
        # Records first: a ledger line marked accepted always has its rows on disk.
        ledger.save_records(submission_id, report.records)
    entry, duplicate = ledger.append(
        submission_id=submission_id,
        municipality=municipality,
        dataset=report.dataset,
        original_name=safe_original_name(report.file_name),
        stored_path=str(stored.relative_to(home.root)) if stored else "",
        sha256=report.sha256,
        size_bytes=path.stat().st_size,
        submitter=submitter or _os_user(),
        outcome="accepted" if report.accepted else "rejected",
        rows_total=report.rows_total,
        rows_accepted=len(report.records) if report.accepted else 0,
        errors=len(report.errors),
        warnings=len(report.warnings),
    )
    if duplicate is not None:  # the same file arrived concurrently and won the lock
        return SubmitResult(report=report, entry=None, duplicate_of=duplicate)
    return SubmitResult(report=report, entry=entry)


def _os_user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no passwd entry in some containers
        return "unknown"
