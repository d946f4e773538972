"""What receiving a file means for the ledger: new, already current, refused again, restore."""

from __future__ import annotations

from orchestration.intake.ledger import LedgerEntry, plan


def _entry(seq: int, sha: str, outcome: str = "accepted", member: str = "40216",
           submission_id: str | None = None) -> LedgerEntry:
    return LedgerEntry(seq=seq, submission_id=submission_id or f"{member}-tourism_visitors-{sha}",
                       received_at="2026-01-01T00:00:00Z", municipality=member,
                       dataset="tourism_visitors", original_name="f.xlsx", stored_path="",
                       sha256=sha, size_bytes=1, submitter="x", outcome=outcome, rows_total=1,
                       rows_accepted=1 if outcome == "accepted" else 0, errors=0, warnings=0)


def test_a_new_file_gets_its_content_id():
    assert plan([], "aaa", "40216", "tourism_visitors", "accepted").submission_id == \
        "40216-tourism_visitors-aaa"


def test_the_current_file_again_records_nothing():
    entries = [_entry(1, "aaa"), _entry(2, "bbb")]
    planned = plan(entries, "bbb", "40216", "tourism_visitors", "accepted")
    assert planned.submission_id is None and planned.duplicate_of == entries[1]


def test_an_earlier_file_again_restores_it_under_a_new_id():
    entries = [_entry(1, "aaa"), _entry(2, "bbb")]
    planned = plan(entries, "aaa", "40216", "tourism_visitors", "accepted")
    assert planned.duplicate_of is None
    assert planned.restores == "40216-tourism_visitors-aaa"
    assert planned.submission_id == "40216-tourism_visitors-aaa-r2"


def test_another_members_current_file_does_not_count():
    entries = [_entry(1, "aaa"), _entry(2, "bbb", member="40212")]
    planned = plan(entries, "aaa", "40216", "tourism_visitors", "accepted")
    assert planned.duplicate_of == entries[0]


def test_a_refused_file_refused_again_records_nothing():
    entries = [_entry(1, "aaa"), _entry(2, "ccc", outcome="rejected")]
    planned = plan(entries, "ccc", "40216", "tourism_visitors", "rejected")
    assert planned.duplicate_of == entries[1]
