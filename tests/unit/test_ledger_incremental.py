"""The ledger is read incrementally: a process parses each line once, whatever the number
of submissions (issue 16: a re-parse per file made a 1,741-member intake quadratic)."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

from orchestration.home import Home
from orchestration.intake import ledger as ledger_module
from orchestration.intake.ledger import Ledger, LedgerEntry


def _entry(seq: int, member: str, sha: str, dataset: str = "tourism_visitors",
           outcome: str = "accepted") -> LedgerEntry:
    return LedgerEntry(seq=seq, submission_id=f"{member}-{dataset}-{sha}",
                       received_at=f"2026-01-01T00:00:{seq:02d}Z", municipality=member,
                       dataset=dataset, original_name="f.csv", stored_path="", sha256=sha,
                       size_bytes=1, submitter="x", outcome=outcome, rows_total=1,
                       rows_accepted=1, errors=0, warnings=0)


def _write(path: Path, entries, mode: str = "a") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open(mode, encoding="utf-8") as fh:
        for e in entries:
            fh.write(json.dumps(asdict(e), ensure_ascii=False) + "\n")


def _parse_counter(monkeypatch) -> list[int]:
    seen = [0]
    real = json.loads

    def counting(text, *args, **kwargs):
        seen[0] += 1
        return real(text, *args, **kwargs)

    monkeypatch.setattr(ledger_module.json, "loads", counting)
    return seen


def test_each_line_is_parsed_once_per_process(tmp_path, monkeypatch):
    home = Home(tmp_path / "home")
    _write(home.ledger, [_entry(i, f"0{i % 3}201", f"s{i}") for i in range(1, 51)])
    parses = _parse_counter(monkeypatch)
    ledger = Ledger(home)
    for _ in range(20):
        assert len(ledger.entries()) == 50
        ledger.current("01201", "tourism_visitors")
    assert parses[0] == 50
    _write(home.ledger, [_entry(51, "01201", "new")])
    assert ledger.current("01201", "tourism_visitors").sha256 == "new"
    assert parses[0] == 51


def test_a_rewritten_ledger_is_read_again(tmp_path):
    home = Home(tmp_path / "home")
    _write(home.ledger, [_entry(1, "01201", "a"), _entry(2, "01201", "b")])
    assert Ledger(home).current("01201", "tourism_visitors").sha256 == "b"
    # Same length and same last line, different first line: not an append.
    _write(home.ledger, [_entry(1, "01201", "c"), _entry(2, "01201", "b"),
                         _entry(3, "02201", "d")], mode="w")
    assert [e.sha256 for e in Ledger(home).entries()] == ["c", "b", "d"]
    home.ledger.unlink()
    assert Ledger(home).entries() == []


def test_a_line_still_being_written_waits_for_its_end(tmp_path):
    home = Home(tmp_path / "home")
    _write(home.ledger, [_entry(1, "01201", "a")])
    line = json.dumps(asdict(_entry(2, "01201", "b")))
    with home.ledger.open("a", encoding="utf-8") as fh:
        fh.write(line[:20])
    assert [e.sha256 for e in Ledger(home).entries()] == ["a"]
    with home.ledger.open("a", encoding="utf-8") as fh:
        fh.write(line[20:] + "\n")
    assert [e.sha256 for e in Ledger(home).entries()] == ["a", "b"]


def test_lookups_by_member_match_a_scan_of_all_entries(tmp_path):
    home = Home(tmp_path / "home")
    entries = [_entry(i, f"0{i % 4}201", f"s{i % 5}", dataset=("a", "b")[i % 2],
                      outcome=("accepted", "rejected")[i % 3 == 0]) for i in range(1, 60)]
    _write(home.ledger, entries)
    ledger = Ledger(home)
    for member in {e.municipality for e in entries}:
        for dataset in ("a", "b"):
            scanned = [e for e in entries if e.outcome == "accepted"
                       and e.municipality == member and e.dataset == dataset]
            assert ledger.accepted(member, dataset) == scanned
            assert ledger.current(member, dataset) == (scanned[-1] if scanned else None)
