"""Audit frames derived from the candidate's data files, for checks no single published
table can express: year-over-year changes of each member's component, the area value
against the sum of its members, and whether each area value has the members its KPI needs.
GX validates these frames like any other. What a KPI is (signed, which members it needs)
comes from the area's definition.
"""

from __future__ import annotations

import pandas as pd

from orchestration.area import Area, area_or_active
from orchestration.quality import change_rule

_MEMBER_KEY = ["kpi_id", "municipality_code", "period"]


def signed_kpis(area: Area | None = None) -> frozenset[str]:
    """KPIs whose values change sign from year to year (net moves): a ratio says nothing there."""
    return frozenset(k.id for k in area_or_active(area).kpis if k.signed)


def member_changes(indicators: pd.DataFrame, acknowledged: set[tuple[str, str, str]],
                   area: Area | None = None) -> pd.DataFrame:
    """Each member component with the previous period's value and the ratio between them."""
    columns = ["kpi_id", "municipality_code", "period", "value", "previous_period",
               "previous_value", "change_ratio", "suspicious", "likely_unit_slip",
               "acknowledged"]
    if indicators.empty:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in columns})
    frame = indicators.sort_values(["kpi_id", "municipality_code", "period_year"]).copy()
    grouped = frame.groupby(["kpi_id", "municipality_code"], sort=False)
    frame["previous_period"] = grouped["period"].shift(1)
    frame["previous_value"] = grouped["value"].shift(1)
    frame["previous_year"] = grouped["period_year"].shift(1)
    # Only consecutive years.
    consecutive = frame["period_year"] - frame["previous_year"] == 1
    frame.loc[~consecutive, ["previous_period", "previous_value"]] = None
    return _judged(frame, acknowledged, signed_kpis(area))[columns].reset_index(drop=True)


def member_revisions(indicators: pd.DataFrame, published: pd.DataFrame | None,
                     acknowledged: set[tuple[str, str, str]],
                     area: Area | None = None) -> pd.DataFrame:
    """Each member component next to the value the latest release published for the same
    KPI, member and period: what CHANGES.md lists as revised is what the gate judges."""
    columns = ["kpi_id", "municipality_code", "period", "value", "previous_value",
               "change_ratio", "suspicious", "likely_unit_slip", "acknowledged"]
    if indicators.empty or published is None or published.empty:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in columns})
    before = published[_MEMBER_KEY + ["value"]].rename(columns={"value": "previous_value"})
    before = before.astype({"municipality_code": str})
    frame = indicators.astype({"municipality_code": str}).merge(before, on=_MEMBER_KEY,
                                                                how="inner")
    return _judged(frame, acknowledged, signed_kpis(area))[columns].reset_index(drop=True)


def _judged(frame: pd.DataFrame, acknowledged: set[tuple[str, str, str]],
            signed: frozenset[str]) -> pd.DataFrame:
    """Adds the ratio, whether the change rule finds it suspicious, the likely unit slip
    (1/1000 …) and whether the secretariat acknowledged it."""
    changes = [None if kpi in signed else change_rule.suspicious(_num(v), _num(b))
               for kpi, v, b in zip(frame["kpi_id"], frame["value"], frame["previous_value"])]
    frame = frame.copy()
    frame["change_ratio"] = [
        _num(v) / _num(b) if kpi not in signed and change_rule.comparable(_num(v), _num(b))
        else None
        for kpi, v, b in zip(frame["kpi_id"], frame["value"], frame["previous_value"])]
    frame["change_ratio"] = frame["change_ratio"].astype("float64")
    frame["suspicious"] = [c is not None for c in changes]
    frame["likely_unit_slip"] = [
        c.ratio_text if c is not None and c.slip_exponent is not None else "" for c in changes]
    frame["acknowledged"] = [
        (k, m, p) in acknowledged
        for k, m, p in zip(frame["kpi_id"], frame["municipality_code"], frame["period"])]
    return frame


def _num(value) -> float | None:
    return None if value is None or pd.isna(value) else float(value)


def area_vs_members(kpis: pd.DataFrame, indicators: pd.DataFrame) -> pd.DataFrame:
    """Published area value next to the sum of the published member components."""
    columns = ["kpi_id", "period", "area_value", "members_total", "difference"]
    if kpis.empty:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in columns})
    totals = (indicators.groupby(["kpi_id", "period"], as_index=False)["value"].sum()
              .rename(columns={"value": "members_total"}))
    merged = kpis[["kpi_id", "period", "value"]].rename(columns={"value": "area_value"}).merge(
        totals, on=["kpi_id", "period"], how="left")
    merged["difference"] = (merged["area_value"] - merged["members_total"]).astype("float64")
    return merged[columns]


def kpi_completeness(kpis: pd.DataFrame, area: Area | None = None) -> pd.DataFrame:
    """Each published area value with the members its KPI needs (``Kpi.required_members``:
    all listed members for a sum, one for a count) and the members it lists: an area value
    is published only when complete, and never counts a member the KPI does not list."""
    columns = ["kpi_id", "period", "members_reporting", "required_members", "listed_members"]
    needs = pd.DataFrame([(k.id, k.required_members, len(k.members)) for k in area_or_active(area).kpis],
                         columns=["kpi_id", "required_members", "listed_members"])
    if kpis.empty:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in columns})
    # An unknown KPI id is the regional_kpis suite's finding; it has nothing to compare here.
    merged = kpis[["kpi_id", "period", "members_reporting"]].merge(needs, on="kpi_id")
    return merged.astype({"members_reporting": "float64", "required_members": "float64",
                          "listed_members": "float64"})[columns].reset_index(drop=True)
