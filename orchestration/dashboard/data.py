"""What the pages show, read from ``releases/latest`` only.

A dataset that is missing or empty in the release loads as an empty frame with the published
columns, so every page still renders (with "データなし") while members' data is incomplete.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from orchestration.area import Kpi
from orchestration.dashboard.fmt import Unit, missing, period_year, unit_for
from orchestration.dashboard.reference import kpi_definitions, vision_years
from orchestration.home import Home
from orchestration.publication.catalog import PUBLISHED

CATALOG = {d.name: d for d in PUBLISHED}
NULL_TEXT = {"", "nan", "NaN", "None", "<NA>", "NULL"}


def _empty(name: str) -> pd.DataFrame:
    dataset = CATALOG.get(name)
    return pd.DataFrame(columns=dataset.column_names if dataset else [])


def _normalise(frame: pd.DataFrame, name: str) -> pd.DataFrame:
    """Codes stay text, numbers numeric, booleans boolean, whatever file type was read."""
    dataset = CATALOG.get(name)
    if dataset is None:
        return frame
    for f in dataset.fields:
        if f.name not in frame.columns:
            frame[f.name] = pd.NA
            continue
        column = frame[f.name]
        if f.type == "string":
            # Some releases carry the text "nan" for an empty cell: it is not a value.
            # Column-wise, not cell by cell: a national area's flows have millions of cells.
            if isinstance(column.dtype, pd.StringDtype) and column.dtype.na_value is not pd.NA:
                # Already text with NaN for an empty cell (parquet): the same column map()
                # would give, without leaving Arrow.
                frame[f.name] = column.mask(column.str.strip().isin(NULL_TEXT))
                continue
            values = column.astype("object")
            absent = values.isna()
            text = values.where(~absent, "").astype(str)
            absent |= text.str.strip().isin(NULL_TEXT)
            cells = np.where(absent.to_numpy(), None, text.to_numpy(dtype=object))
            frame[f.name] = pd.Series(cells, index=frame.index)  # the dtype map() would infer
        elif f.type in ("number", "integer"):
            frame[f.name] = pd.to_numeric(column, errors="coerce")
        elif f.type == "boolean":
            frame[f.name] = column.map(
                lambda v: None if missing(v) else str(v).strip().lower() in ("true", "1", "t"))
    return frame


@dataclass
class Release:
    release_id: str
    path: Path
    package: dict
    validation: dict
    frames: dict[str, pd.DataFrame] = field(default_factory=dict)
    # Where the site's links find this release's files: beside the public site,
    # ../releases/<id>/; in the secretariat's preview of a pending release, release/.
    href_base: str | None = None
    # Figures derived from the frames that pages in both languages draw (computed once).
    derived: dict = field(default_factory=dict)

    def derive(self, key: str, compute):
        if key not in self.derived:
            self.derived[key] = compute()
        return self.derived[key]

    def df(self, name: str) -> pd.DataFrame:
        if name not in self.frames:
            self.frames[name] = self._load(name)
        return self.frames[name]

    def _load(self, name: str) -> pd.DataFrame:
        parquet = self.path / "data" / f"{name}.parquet"
        csv_path = self.path / "data" / f"{name}.csv"
        frame = None
        if parquet.exists():
            try:
                frame = pd.read_parquet(parquet)
            except Exception:  # noqa: BLE001 - fall back to the CSV beside it
                frame = None
        if frame is None and csv_path.exists() and csv_path.stat().st_size > 3:
            frame = pd.read_csv(csv_path, encoding="utf-8-sig", dtype=str, keep_default_na=False,
                                na_values=[""])
        if frame is None:
            return _empty(name)
        return _normalise(frame, name)

    def has_file(self, name: str) -> bool:
        return (self.path / "data" / f"{name}.csv").exists()

    def href(self, relative: str) -> str:
        """Link from ``site/`` to a file of this release (``../releases/<id>/...``)."""
        base = self.href_base if self.href_base is not None else f"../releases/{self.release_id}/"
        return f"{base}{relative}"

    def latest_href(self, relative: str) -> str:
        """Link to a file of whatever release is current (``../releases/latest/...``): for a
        page that is kept across releases while its figures stay the same."""
        base = self.href_base if self.href_base is not None else "../releases/latest/"
        return f"{base}{relative}"

    @property
    def created(self) -> str:
        return str(self.package.get("created") or "")

    @property
    def validation_passed(self) -> bool:
        return bool(self.validation.get("passed"))

    @property
    def warnings(self) -> int:
        return sum(1 for f in self.validation.get("findings", [])
                   if not f.get("success", True) and f.get("severity") != "error")


def load_release(home: Home, folder: Path | None = None, href_base: str | None = None) -> Release:
    """``releases/latest``, or ``folder`` (a pending release the secretariat previews)."""
    if folder is None:
        latest = home.latest
        release_id = os.readlink(latest) if latest.is_symlink() else latest.resolve().name
        release_id = Path(release_id).name
        path = latest.resolve()
    else:
        release_id, path = folder.name, folder

    def _json(relative: str) -> dict:
        target = path / relative
        try:
            return json.loads(target.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}

    return Release(release_id, path, _json("datapackage.json"), _json("validation/results.json"),
                   href_base=href_base)


@dataclass
class KpiView:
    """One regional KPI as every page shows it (its definition is the area's Kpi)."""

    definition: Kpi
    name_ja: str
    name_en: str
    unit: Unit
    period_type: str  # CY or FY
    actuals: pd.DataFrame  # regional_kpis rows, by year
    score: pd.DataFrame  # kpi_scorecard rows with scope_code = area, by year
    components: pd.DataFrame  # municipal_indicators rows

    @property
    def kpi_id(self) -> str:
        return self.definition.id

    @property
    def signed(self) -> bool:
        """Values may be negative (net moves): printed with their sign."""
        return self.definition.signed

    def name(self, lang) -> str:
        return lang.t(self.name_ja, self.name_en)

    @property
    def is_cumulative(self) -> bool:
        flags = self.score["is_cumulative"].dropna() if "is_cumulative" in self.score else []
        if len(flags):
            return bool(flags.iloc[0])
        return bool(self.definition.cumulative_from)

    @property
    def latest(self) -> pd.Series | None:
        rows = self.actuals.dropna(subset=["value"])
        return None if rows.empty else rows.iloc[-1]

    def score_for(self, year: int) -> pd.Series | None:
        rows = self.score[self.score["period_year"] == year]
        return None if rows.empty else rows.iloc[0]

    @property
    def evaluated(self) -> pd.Series | None:
        """The latest scorecard row with an actual (the year the card reports on)."""
        rows = self.score.dropna(subset=["actual_value"])
        return None if rows.empty else rows.iloc[-1]

    @property
    def next_target(self) -> pd.Series | None:
        rows = self.score.dropna(subset=["period_target"])
        done = self.evaluated
        if done is not None:
            rows = rows[rows["period_year"] > done["period_year"]]
        return None if rows.empty else rows.iloc[0]

    @property
    def outlook(self) -> tuple[str | None, str | None]:
        rows = self.score.dropna(subset=["outlook"])
        if rows.empty:
            return None, None
        row = rows.iloc[-1]
        return row["outlook"], row.get("outlook_source")

    @property
    def baseline(self) -> tuple[float | None, str | None]:
        """Baseline in base units and its period (from the scorecard, else the definition)."""
        rows = self.score.dropna(subset=["baseline_value"])
        if not rows.empty:
            return float(rows.iloc[0]["baseline_value"]), rows.iloc[0]["baseline_period"]
        d = self.definition
        if d.baseline_value is None:
            return None, None
        return d.baseline_value, d.baseline_period

    @property
    def target(self) -> tuple[float | None, str | None]:
        d = self.definition
        rows = self.score.dropna(subset=["target_value"])
        if not rows.empty:
            return float(rows.iloc[0]["target_value"]), rows.iloc[0]["target_period"] or (
                d.target_period_text)
        return d.target_value, d.target_period_text

    def target_path(self) -> list[tuple[int, float]]:
        """Yearly targets of the vision (given or interpolated), from the scorecard."""
        rows = self.score.dropna(subset=["period_target"])
        return [(int(r.period_year), float(r.period_target)) for r in rows.itertuples()]

    def cumulative_actuals(self) -> list[tuple[int, float]]:
        """Running total since the first vision year (for cumulative targets)."""
        start = min(vision_years())
        published = self.actuals.dropna(subset=["cumulative_value"])
        if not published.empty:
            return [(int(r.period_year), float(r.cumulative_value))
                    for r in published.itertuples() if r.period_year >= start]
        total, out = 0.0, []
        for r in self.actuals.dropna(subset=["value"]).itertuples():
            if r.period_year >= start:
                total += float(r.value)
                out.append((int(r.period_year), total))
        return out


def kpi_views(release: Release, lang=None) -> list[KpiView]:
    """The area's KPIs in the vision's order, whatever the release holds for each."""
    kpis = release.df("regional_kpis")
    score = release.df("kpi_scorecard")
    area = score[score["scope_code"] == "area"] if not score.empty else score
    components = release.df("municipal_indicators")
    views = []
    for d in kpi_definitions():
        actuals = kpis[kpis["kpi_id"] == d.id].sort_values("period_year")
        rows = area[area["kpi_id"] == d.id].sort_values("period_year")
        parts = components[components["kpi_id"] == d.id]
        period_type = d.period_type
        if not actuals.empty and actuals["period"].notna().any():
            period_type = str(actuals["period"].dropna().iloc[0])[:2]
        name_ja = d.name_ja or (actuals["kpi_name_ja"].iloc[0] if not actuals.empty else d.id)
        unit = unit_for(d.display_unit)
        unit = unit.in_lang(lang) if lang is not None else unit
        views.append(KpiView(d, name_ja, d.name_en or name_ja, unit, period_type,
                             actuals.reset_index(drop=True), rows.reset_index(drop=True),
                             parts.reset_index(drop=True)))
    return views


def latest_year(frame: pd.DataFrame, column: str) -> int | None:
    values = frame[column].dropna() if column in frame else []
    return int(max(values)) if len(values) else None


def group_of(code: str) -> str:
    """The group of a member's KPI code: the part before the last separator.

    Members number their KPIs by section of their own strategy (``ABC2-12``: plan 2, item 12),
    so the prefix groups them as their reports do. A code without a separator is its own
    group.
    """
    text = str(code or "").strip()
    for sep in ("-", "_", "."):
        if sep in text:
            return text.rsplit(sep, 1)[0]
    stripped = text.rstrip("0123456789")
    return stripped or text


def period_sort_key(period: str) -> tuple[int, str]:
    return (period_year(period) or 0, str(period))
