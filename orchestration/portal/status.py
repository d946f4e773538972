"""Where each member stands with each dataset: submitted, not submitted, overdue or returned.

Pure: reads the ledger (once per call) and the accepted rows it names; the deadlines come
from the contracts and orchestration/freshness.py, the members and their datasets from the
home's area. It runs on every portal page view, so nothing heavy is imported here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from orchestration.area import Area, area_for
from orchestration.freshness import FIRST_REQUIRED_YEAR, overdue, period_end
from orchestration.home import Home
from orchestration.intake.contracts import Column, Contract, load_contracts
from orchestration.intake.ledger import Ledger, LedgerEntry
from orchestration.intake.messages import Msg
from orchestration.intake.submissions import current_records

# The code of a row that reports a result, in a dataset that also holds plans (targets).
ACTUAL = "actual"

STATE_LABELS: dict[str, Msg] = {
    "submitted": Msg("提出済み", "Submitted"),
    "not_submitted": Msg("未提出", "Not submitted"),
    "overdue": Msg("期限超過", "Overdue"),
    "returned": Msg("差し戻し", "Returned"),
}


@dataclass(frozen=True)
class DatasetStatus:
    municipality: str
    dataset: str
    title_ja: str
    title_en: str
    period_type: str | None            # CY / FY; None for a dataset without a year column
    received_periods: tuple[str, ...]  # periods in the member's current accepted rows, sorted
    latest_period: str | None
    last_received_at: str | None       # latest ledger entry of any outcome
    last_submission_id: str | None
    last_outcome: str | None           # accepted | rejected
    state: str                         # submitted | not_submitted | overdue | returned
    due_period: str | None             # the earliest overdue period, else the next one
    deadline: date | None              # due_period's end + the contract's deadline_days
    days_late: int                     # today - deadline while due_period is overdue, else 0
    overdue_periods: tuple[str, ...]

    def to_dict(self, lang: str = "ja") -> dict:
        """JSON-ready: dates as ISO text, tuples as lists, the state's label in ``lang``."""
        return {
            "municipality": self.municipality, "dataset": self.dataset,
            "title_ja": self.title_ja, "title_en": self.title_en,
            "period_type": self.period_type, "received_periods": list(self.received_periods),
            "latest_period": self.latest_period, "last_received_at": self.last_received_at,
            "last_submission_id": self.last_submission_id, "last_outcome": self.last_outcome,
            "state": self.state, "state_label": STATE_LABELS[self.state].get(lang),
            "due_period": self.due_period,
            "deadline": self.deadline.isoformat() if self.deadline else None,
            "days_late": self.days_late, "overdue_periods": list(self.overdue_periods),
        }


class _Snapshot(Ledger):
    """The ledger as read once for this call: current_records() asks for the entries once
    per member and dataset, and must not re-read the file each time."""

    def __init__(self, home: Home, entries: list[LedgerEntry]):
        super().__init__(home)
        self._entries = entries

    def entries(self) -> list[LedgerEntry]:
        return self._entries


def member_status(home: Home, municipality: str, today: date | None = None) -> list[DatasetStatus]:
    """The member's datasets in the area's order: those it is expected to submit."""
    ledger = _Snapshot(home, Ledger(home).entries())
    return _member_status(area_for(home), ledger, str(municipality), today or date.today())


def area_status(home: Home, today: date | None = None) -> dict[str, list[DatasetStatus]]:
    """Every member (area display order) -> its datasets' status; one ledger read in all."""
    area = area_for(home)
    ledger = _Snapshot(home, Ledger(home).entries())
    today = today or date.today()
    return {code: _member_status(area, ledger, code, today) for code in area.member_codes}


def _member_status(area: Area, ledger: _Snapshot, code: str, today: date) -> list[DatasetStatus]:
    contracts = load_contracts()
    by_dataset: dict[str, list[LedgerEntry]] = {}
    for entry in ledger.entries():
        if entry.municipality == code and entry.dataset:
            by_dataset.setdefault(entry.dataset, []).append(entry)
    return [_dataset_status(contracts[d], code, ledger, by_dataset.get(d, []), today)
            for d in area.datasets
            if d in contracts and _submits(area, d, code)]


def _submits(area: Area, dataset: str, code: str) -> bool:
    submitters = area.dataset_submitters(dataset)
    return not submitters or code in submitters


def _year_column(contract: Contract) -> Column | None:
    return next((c for c in contract.columns if c.type == "year"), None)


def _period_column(contract: Contract) -> Column | None:
    """A dataset without a year column may still say which period a row is for (kpi_records)."""
    return next((c for c in contract.columns if c.type == "period"), None)


def _dataset_status(contract: Contract, code: str, ledger: _Snapshot,
                    entries: list[LedgerEntry], today: date) -> DatasetStatus:
    last = entries[-1] if entries else None
    has_accepted = any(e.outcome == "accepted" for e in entries)
    rows = current_records(ledger, code, contract.dataset) if has_accepted else []
    year_col = _year_column(contract)
    if year_col is not None:
        years = {int(r[year_col.name]) for r in rows if r.get(year_col.name) is not None}
        received = tuple(f"{year_col.period_type}{y}" for y in sorted(years))
        due = _due(year_col.period_type, contract.deadline_days, years, today)
    else:
        received = _other_periods(contract, rows)
        due = _Due(None, None, 0, ())
    # Latest entry rejected: the member's last word on the dataset was refused, whatever it
    # sent before, so it has something to fix and resend (ledger entries are in order).
    if last is not None and last.outcome == "rejected":
        state = "returned"
    elif due.overdue_periods:
        state = "overdue"
    else:
        state = "submitted" if has_accepted else "not_submitted"
    return DatasetStatus(
        municipality=code, dataset=contract.dataset,
        title_ja=contract.title_ja, title_en=contract.title_en,
        period_type=year_col.period_type if year_col else None,
        received_periods=received, latest_period=received[-1] if received else None,
        last_received_at=last.received_at if last else None,
        last_submission_id=last.submission_id if last else None,
        last_outcome=last.outcome if last else None,
        state=state, due_period=due.period, deadline=due.deadline, days_late=due.days_late,
        overdue_periods=due.overdue_periods,
    )


@dataclass(frozen=True)
class _Due:
    period: str | None
    deadline: date | None
    days_late: int
    overdue_periods: tuple[str, ...]


def _due(period_type: str, deadline_days: int, years: set[int], today: date) -> _Due:
    """The earliest overdue period, else the first required one not yet received."""
    late = overdue(period_type, deadline_days, years, today, FIRST_REQUIRED_YEAR)
    year = late[0] if late else _next_year(years)
    deadline = period_end(period_type, year) + timedelta(days=deadline_days)
    return _Due(period=f"{period_type}{year}", deadline=deadline,
                days_late=max((today - deadline).days, 0) if late else 0,
                overdue_periods=tuple(f"{period_type}{y}" for y in late))


def _next_year(years: set[int]) -> int:
    """Nothing is overdue, so every required year up to the latest due one is in."""
    year = FIRST_REQUIRED_YEAR
    while year in years:
        year += 1
    return year


def _other_periods(contract: Contract, rows: list[dict]) -> tuple[str, ...]:
    """Periods a row names (FY2016, CY2020-CY2024), ordered by their first year; of a
    dataset that mixes plans with results (a code column with an ``actual`` code: targets
    for years to come), the periods of its actual rows only."""
    col = _period_column(contract)
    if col is None:
        return ()
    kind = next((c for c in contract.columns if c.type == "code" and isinstance(c.codes, tuple)
                 and any(code == ACTUAL for code, _ja, _en in c.codes)), None)
    if kind is not None:
        rows = [r for r in rows if r.get(kind.name) == ACTUAL]
    periods = {str(r[col.name]) for r in rows if r.get(col.name)}
    return tuple(sorted(periods, key=lambda p: (_first_year(p), p)))


def _first_year(period: str) -> int:
    digits = "".join(ch if ch.isdigit() else " " for ch in period).split()
    return int(digits[0]) if digits else 0
