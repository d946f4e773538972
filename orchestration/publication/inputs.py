"""The submissions a release is built from (for its metadata and provenance)."""

from __future__ import annotations

from orchestration.home import Home
from orchestration.intake.contracts import load_contracts, municipalities
from orchestration.intake.ledger import Ledger
from orchestration.intake.submissions import current_records


def release_inputs(home: Home) -> list[dict]:
    """Every accepted submission that still contributes at least one row."""
    ledger = Ledger(home)
    contributing = set()
    for dataset in load_contracts():
        for code in municipalities():
            contributing |= {r["submission_id"] for r in current_records(ledger, code, dataset)}
    return [
        {"submission_id": e.submission_id, "municipality_code": e.municipality,
         "dataset": e.dataset, "file_name": e.original_name, "sha256": e.sha256,
         "received_at": e.received_at, "submitter": e.submitter}
        for e in ledger.accepted() if e.submission_id in contributing
    ]
