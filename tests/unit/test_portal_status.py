"""The portal's status of each dataset for a member (orchestration/portal/status.py): real
files submitted through the real intake into a home in tmp_path, ``today`` given."""

from __future__ import annotations

import csv
import json
from datetime import date
from pathlib import Path

import pytest

from orchestration.home import Home
from orchestration.intake import ledger as ledger_module
from orchestration.intake.submissions import submit_file
from orchestration.portal.status import STATE_LABELS, area_status, member_status

TOURISM = ["年", "観光入込客数（人）", "備考"]
# tourism_visitors: CY, due 120 days after the year ends: CY2024 is due on 2025-04-30.
BEFORE_DEADLINE = date(2025, 3, 1)
AFTER_DEADLINE = date(2025, 6, 1)  # 32 days after 2025-04-30
PARTNER = "40212"   # a member that does not send the pedestrian survey
HUB = "40203"       # the one member that does


@pytest.fixture
def home(tmp_path, monkeypatch) -> Home:
    root = tmp_path / "home"
    root.mkdir()
    # the intake validates against the active area: the default one, as area_for(home) reads
    monkeypatch.setenv("KURUME_HUB_HOME", str(root))
    return Home(root)


def _send(home: Home, tmp_path: Path, name: str, rows: list[list], code: str = PARTNER,
          dataset: str = "tourism_visitors", header: list[str] = TOURISM):
    path = tmp_path / name
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        csv.writer(fh).writerows([header, *rows])
    return submit_file(home, path, code, dataset, submitter="test")


def _tourism(status_list):
    (status,) = [s for s in status_list if s.dataset == "tourism_visitors"]
    return status


def test_nothing_sent_before_the_deadline_is_not_submitted_with_the_next_deadline(home):
    status = _tourism(member_status(home, PARTNER, today=BEFORE_DEADLINE))

    assert status.state == "not_submitted"
    assert status.period_type == "CY"
    assert status.received_periods == () and status.latest_period is None
    assert status.last_received_at is None and status.last_outcome is None
    assert status.due_period == "CY2024" and status.deadline == date(2025, 4, 30)
    assert status.days_late == 0 and status.overdue_periods == ()


def test_a_period_past_its_deadline_is_overdue_with_the_days_late(home):
    status = _tourism(member_status(home, PARTNER, today=AFTER_DEADLINE))

    assert status.state == "overdue"
    assert status.overdue_periods == ("CY2024",)
    assert status.due_period == "CY2024" and status.deadline == date(2025, 4, 30)
    assert status.days_late == 32


def test_history_before_the_first_required_year_does_not_make_a_member_late(home, tmp_path):
    result = _send(home, tmp_path, "old.csv", [[2023, 650000, ""]])
    assert result.accepted

    status = _tourism(member_status(home, PARTNER, today=AFTER_DEADLINE))

    assert status.state == "overdue" and status.overdue_periods == ("CY2024",)
    assert status.received_periods == ("CY2023",)


def test_an_accepted_file_covering_the_due_periods_is_submitted(home, tmp_path):
    result = _send(home, tmp_path, "t.csv", [[2023, 650000, ""], [2024, 660000, ""]])
    assert result.accepted

    status = _tourism(member_status(home, PARTNER, today=AFTER_DEADLINE))

    assert status.state == "submitted"
    assert status.received_periods == ("CY2023", "CY2024") and status.latest_period == "CY2024"
    assert status.last_outcome == "accepted"
    assert status.last_submission_id == result.entry.submission_id
    assert status.last_received_at == result.entry.received_at
    assert status.due_period == "CY2025" and status.deadline == date(2026, 4, 30)
    assert status.days_late == 0 and status.overdue_periods == ()


def test_a_rejected_file_is_returned_even_when_nothing_was_accepted_before(home, tmp_path):
    result = _send(home, tmp_path, "bad.csv", [[2024, "たくさん", ""]])
    assert not result.accepted and result.entry is not None

    status = _tourism(member_status(home, PARTNER, today=BEFORE_DEADLINE))

    assert status.state == "returned"
    assert status.last_outcome == "rejected" and status.received_periods == ()


def test_a_rejected_resubmission_after_an_accepted_one_is_returned_then_a_good_one_submitted(
        home, tmp_path):
    assert _send(home, tmp_path, "v1.csv", [[2024, 660000, ""]]).accepted
    assert _tourism(member_status(home, PARTNER, today=AFTER_DEADLINE)).state == "submitted"

    rejected = _send(home, tmp_path, "v2.csv", [[2024, -5, ""]])
    assert not rejected.accepted
    status = _tourism(member_status(home, PARTNER, today=AFTER_DEADLINE))
    # the accepted rows still stand, but the member's latest word was refused
    assert status.state == "returned"
    assert status.received_periods == ("CY2024",)
    assert status.last_submission_id == rejected.entry.submission_id

    fixed = _send(home, tmp_path, "v3.csv", [[2024, 661000, "訂正"]])
    assert fixed.accepted
    status = _tourism(member_status(home, PARTNER, today=AFTER_DEADLINE))
    assert status.state == "submitted" and status.last_outcome == "accepted"


def test_a_returned_dataset_past_its_deadline_still_counts_the_days_late(home, tmp_path):
    _send(home, tmp_path, "bad.csv", [[2024, "たくさん", ""]])

    status = _tourism(member_status(home, PARTNER, today=AFTER_DEADLINE))

    assert status.state == "returned"
    assert status.overdue_periods == ("CY2024",) and status.days_late == 32


def test_a_member_sees_only_the_datasets_it_submits(home):
    partner = {s.dataset for s in member_status(home, PARTNER, today=BEFORE_DEADLINE)}
    hub = {s.dataset for s in member_status(home, HUB, today=BEFORE_DEADLINE)}

    assert "pedestrian_counts" not in partner
    assert "pedestrian_counts" in hub
    assert {"tourism_visitors", "kpi_records"} <= partner


def test_a_dataset_without_a_year_column_has_no_deadline(home):
    (status,) = [s for s in member_status(home, PARTNER, today=AFTER_DEADLINE)
                 if s.dataset == "kpi_records"]

    assert status.state == "not_submitted"
    assert status.period_type is None and status.due_period is None
    assert status.deadline is None and status.days_late == 0


def test_another_members_file_does_not_change_this_members_status(home, tmp_path):
    assert _send(home, tmp_path, "hub.csv", [[2024, 5_000_000, ""]], code=HUB).accepted

    assert _tourism(member_status(home, PARTNER, today=AFTER_DEADLINE)).state == "overdue"
    assert _tourism(member_status(home, HUB, today=AFTER_DEADLINE)).state == "submitted"


def test_area_status_lists_every_member_in_order_and_reads_the_ledger_once(
        home, tmp_path, monkeypatch):
    _send(home, tmp_path, "t.csv", [[2024, 660000, ""]])
    reads = []
    original = ledger_module.Ledger.entries
    monkeypatch.setattr(ledger_module.Ledger, "entries",
                        lambda self: reads.append(1) or original(self))

    status = area_status(home, today=AFTER_DEADLINE)

    assert list(status) == ["40203", "40212", "40216", "40225", "40503", "40522"]
    assert len(reads) == 1
    assert _tourism(status[PARTNER]).state == "submitted"
    assert _tourism(status["40216"]).state == "overdue"


def test_to_dict_is_json_ready_with_the_label_in_the_language(home):
    status = _tourism(member_status(home, PARTNER, today=AFTER_DEADLINE))

    ja, en = status.to_dict(), status.to_dict("en")

    assert json.loads(json.dumps(en)) == en
    assert ja["state_label"] == STATE_LABELS["overdue"].ja == "期限超過"
    assert en["state_label"] == "Overdue"
    assert en["deadline"] == "2025-04-30" and en["overdue_periods"] == ["CY2024"]
