"""Freshness: warn when a member has not reported a period that is past its deadline."""

from datetime import date

import dagster as dg

from orchestration.freshness import FIRST_REQUIRED_YEAR, overdue
from orchestration.intake.contracts import Contract, load_contracts, municipalities
from orchestration.intake.ledger import Ledger
from orchestration.intake.submissions import current_records
from orchestration.resources import HubHome


def _period_column(contract: Contract):
    return next((c for c in contract.columns if c.type == "year"), None)


def build_freshness_check(contract: Contract) -> dg.AssetChecksDefinition:
    year_col = _period_column(contract)

    @dg.asset_check(
        asset=dg.AssetKey(["raw", contract.dataset]),
        name="reporting_deadline",
        blocking=False,
        description=f"Warns when a member has not reported {contract.dataset} for a period "
                    f"{contract.deadline_days} days past its end (from {FIRST_REQUIRED_YEAR}).",
    )
    def _check(context: dg.AssetCheckExecutionContext, hub: HubHome) -> dg.AssetCheckResult:
        ledger = Ledger(hub.home)
        expected_members = contract.submitters or tuple(municipalities())
        late = {}
        for code in expected_members:
            years = {r[year_col.name] for r in current_records(ledger, code, contract.dataset)}
            missing = overdue(year_col.period_type, contract.deadline_days, years, date.today(),
                              FIRST_REQUIRED_YEAR)
            if missing:
                late[code] = [f"{year_col.period_type}{y}" for y in missing]
        return dg.AssetCheckResult(
            passed=not late,
            severity=dg.AssetCheckSeverity.WARN,
            metadata={"overdue_by_member": dg.MetadataValue.json(late),
                      "deadline_days": contract.deadline_days},
        )

    return _check


def freshness_checks() -> list[dg.AssetChecksDefinition]:
    """One check per dataset the active area collects (an area without shared services is
    never told that its members are late with them)."""
    from orchestration.area import active_area

    collected = set(active_area().datasets)
    return [build_freshness_check(c) for c in load_contracts().values()
            if _period_column(c) and c.dataset in collected]
