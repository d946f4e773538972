"""Reporting deadlines: which period a member should have reported by a given day.

A dataset's contract says how many days after a period ends its figure is due
(``deadline_days``). Pure functions; the Dagster freshness checks use them.
"""

from __future__ import annotations

from datetime import date, timedelta

# Only the vision's years are chased; history before it is welcome but not required.
# The Dagster freshness checks and the members' portal both read it from here.
FIRST_REQUIRED_YEAR = 2024


def period_end(period_type: str, year: int) -> date:
    """CY2024 ends on 2024-12-31; FY2024 (April-March) on 2025-03-31."""
    return date(year, 12, 31) if period_type == "CY" else date(year + 1, 3, 31)


def latest_due_year(period_type: str, deadline_days: int, today: date) -> int:
    """The last year whose figure is past its deadline on ``today``."""
    year = today.year
    while period_end(period_type, year) + timedelta(days=deadline_days) >= today:
        year -= 1
    return year


def overdue(period_type: str, deadline_days: int, reported_years: set[int], today: date,
            first_year: int) -> list[int]:
    """Years from ``first_year`` to the latest due year that the member has not reported."""
    due = latest_due_year(period_type, deadline_days, today)
    return [y for y in range(first_year, due + 1) if y not in reported_years]
