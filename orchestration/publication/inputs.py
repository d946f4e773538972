"""The submissions a release is built from (for its metadata and provenance), as published.

A release is public: it names the member municipality a submission came from and in which
role, never the person who sent it or typed the acknowledgement (that stays in the private
ledger and acknowledgements.jsonl of the home).
"""

from __future__ import annotations

from orchestration.home import Home
from orchestration.intake.contracts import load_contracts, municipalities
from orchestration.intake.ledger import Ledger
from orchestration.intake.submissions import current_records

# Who acts, as published: a member municipality submits its figures; the secretariat
# confirms suspicious changes. One label per role for the Japanese and English texts.
ROLE_LABELS = {"member": ("構成市町", "member"), "secretariat": ("事務局", "secretariat")}


def release_inputs(home: Home, contributing: set[str] | None = None) -> list[dict]:
    """Every accepted submission that contributes at least one row: ``contributing`` (the
    submission ids the warehouse loaded, see ``loaded_submission_ids``), else what the
    ledger holds now (to compare a build with the published release before running it)."""
    ledger = Ledger(home)
    if contributing is None:
        contributing = set()
        for dataset in load_contracts():
            for code in municipalities():
                contributing |= {r["submission_id"]
                                 for r in current_records(ledger, code, dataset)}
    return [public_input(e) for e in ledger.accepted() if e.submission_id in contributing]


def loaded_submission_ids(home: Home) -> set[str]:
    """The submissions whose rows are in the warehouse's raw tables: exactly what the
    release's data was built from, even when a file was accepted while the build ran."""
    from orchestration.warehouse import open_warehouse

    ids: set[str] = set()
    with open_warehouse(home, read_only=True) as warehouse:
        tables = warehouse.table_names("raw")
        for dataset in load_contracts():
            if dataset in tables:
                ids |= {sid for (sid,) in warehouse.query(
                    f"select distinct submission_id from raw.{dataset}")}
    return ids


def public_input(entry) -> dict:
    member = municipalities().get(entry.municipality, {})
    return {"submission_id": entry.submission_id, "municipality_code": entry.municipality,
            "municipality_name_ja": member.get("name_ja"),
            "municipality_name_en": member.get("name_en"),
            "submitted_by": "member", "dataset": entry.dataset,
            "file_name": entry.original_name, "sha256": entry.sha256,
            "received_at": entry.received_at}


def public_acknowledgement(ack: dict) -> dict:
    """An acknowledgement as published: the role that confirmed it, not the person."""
    return {**{k: v for k, v in ack.items() if k != "acknowledged_by"},
            "acknowledged_by": "secretariat"}
