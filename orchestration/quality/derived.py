"""Audit frames derived from the candidate's data files, for checks no single published
table can express: year-over-year changes of each member's component, and the area value
against the sum of its members. GX validates these frames like any other.
"""

from __future__ import annotations

import pandas as pd

# A component moving by more than this factor year over year is suspicious (×3 or ÷3).
CHANGE_FACTOR = 3.0
# Small counts (a town's 1 → 4 university projects) swing freely; only check figures where
# a unit slip (人 vs 千人) would matter.
CHANGE_MIN_VALUE = 100


def member_changes(indicators: pd.DataFrame, acknowledged: set[tuple[str, str, str]]
                   ) -> pd.DataFrame:
    """Each member component with the previous period's value and the ratio between them."""
    columns = ["kpi_id", "municipality_code", "period", "value", "previous_period",
               "previous_value", "change_ratio", "acknowledged"]
    if indicators.empty:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in columns})
    frame = indicators.sort_values(["kpi_id", "municipality_code", "period_year"]).copy()
    grouped = frame.groupby(["kpi_id", "municipality_code"], sort=False)
    frame["previous_period"] = grouped["period"].shift(1)
    frame["previous_value"] = grouped["value"].shift(1)
    frame["previous_year"] = grouped["period_year"].shift(1)
    # Only consecutive years, and only positive pairs (net migration changes sign freely).
    comparable = ((frame["period_year"] - frame["previous_year"] == 1)
                  & (frame["value"] >= CHANGE_MIN_VALUE)
                  & (frame["previous_value"] >= CHANGE_MIN_VALUE)
                  & (frame["kpi_id"] != "net_social_migration"))
    frame["change_ratio"] = (frame["value"] / frame["previous_value"]).where(comparable)
    frame["acknowledged"] = [
        (k, m, p) in acknowledged
        for k, m, p in zip(frame["kpi_id"], frame["municipality_code"], frame["period"])]
    out = frame[columns].reset_index(drop=True)
    out["change_ratio"] = out["change_ratio"].astype("float64")
    return out


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
