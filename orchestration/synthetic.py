"""Synthetic submissions for any area (``kurume-hub init --synthetic``).

Every member of the area gets one CSV per dataset the area collects and its KPIs read
(plus population moves, and project budgets / shared-service usage when the area has
those tables). The figures are made up but plausible and reproducible:

* the seed comes from the area id, so the same area always gives the same bytes (a
  re-run of ``init --synthetic`` sends nothing twice);
* members differ in size (``population_approx`` where the area gives it, otherwise a
  spread drawn from the seed) and every series has a trend and some noise over
  ``FIRST_YEAR``..``LAST_YEAR``;
* a move between two members is one flow reported twice (A's out-moves to B equal B's
  in-moves from A), so the area's net moves cancel between members as in real registers;
* each KPI with a baseline comes out at exactly that baseline in its baseline period,
  whatever its method (``sum_of_members``, ``survey_points_mean``, ``cross_member_usage``,
  ``count_of_rows``, ``net_moves``).

Rows are kept in base units (persons, yen) and written in each contract column's own
unit (百万円, 千円, 人...), then submitted through the real intake path like any member's
file; nothing here writes the ledger or the warehouse.
"""

from __future__ import annotations

import csv
import math
import random
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from orchestration.area import Area, AreaError, Kpi
from orchestration.intake.contracts import Column, Contract, get_contract
from orchestration.intake.values import parse_unit

SUBMITTER = "synthetic"
# The years every series covers (calendar or fiscal, by the dataset's period type); a
# baseline period outside them is added.
FIRST_YEAR, LAST_YEAR = 2019, 2025
# Optional datasets that exist only where the area has the table they refer to.
_TABLE_OF = {"service_usage": "shared_services", "project_budgets": "projects"}
# Datasets the generator leaves out: free-text KPI reports of the members themselves.
_SKIPPED = frozenset({"kpi_records"})
# Per-resident levels for a measure without a baseline, by the column's base counter.
_PER_RESIDENT = {"円": 4_000_000, "人": 12}
# Members up to this many: every pair of members exchanges moves; beyond it each member
# moves with the hub and a few neighbours in list order (an area of 1,741 members would
# otherwise write three million flows a year).
_ALL_PAIRS_UP_TO = 12
_NEIGHBOURS = 3
# Annual moves as a share of the population: to other members, and to everywhere else.
_MEMBER_MOVE_RATE = 0.01
_OUTSIDE_MOVE_RATE = 0.025
THEMES = ("地域産業の共同研究", "観光振興の共同調査", "健康づくり講座", "防災学習プログラム",
          "子育て支援の効果検証", "まちづくり講座", "地域データ分析", "環境学習")
INSTITUTIONS = ("地元の大学", "県立大学", "高等専門学校", "短期大学")


@dataclass
class Submission:
    """One member's file for one dataset: rows by contract column, quantities in base units."""

    member: str
    dataset: str
    columns: tuple[str, ...]
    rows: list[dict] = field(default_factory=list)


# ------------------------------------------------------------------------ helpers
class _Context:
    def __init__(self, area: Area):
        self.area = area
        self.codes = [m.code for m in area.members]
        self.sizes = member_sizes(area)
        self.years = _years(area)

    def rng(self, *key: object) -> random.Random:
        """One generator per stream, seeded from the area id: reproducible, independent."""
        return random.Random("|".join(map(str, (self.area.id, *key))))


def member_sizes(area: Area) -> dict[str, float]:
    """Population per member: ``population_approx`` when given, else a deterministic spread
    (partners 5,000-100,000; the hub two to four times the largest partner)."""
    sizes: dict[str, float] = {}
    for m in area.members:
        if m.population_approx:
            sizes[m.code] = float(m.population_approx)
        elif m.role != "hub":
            sizes[m.code] = round(10 ** random.Random(f"{area.id}|size|{m.code}").uniform(3.7, 5.0))
    for m in area.members:
        if m.code not in sizes:
            largest = max(sizes.values(), default=60_000.0)
            sizes[m.code] = round(largest * random.Random(f"{area.id}|hub|{m.code}").uniform(2, 4))
    return sizes


def _years(area: Area) -> list[int]:
    years = set(range(FIRST_YEAR, LAST_YEAR + 1))
    years |= {_year(k.baseline_period) for k in area.kpis if k.baseline_period}
    return sorted(years)


def _year(period: str) -> int:
    return int(period[2:])


def allocate(total: int, weights: list[float]) -> list[int]:
    """Whole numbers in proportion to ``weights`` that add up to ``total`` exactly
    (largest remainders get the leftover units)."""
    if total < 0:
        return [-v for v in allocate(-total, weights)]
    mass = sum(weights)
    if not weights:
        return []
    if mass <= 0:
        weights, mass = [1.0] * len(weights), float(len(weights))
    shares = [total * w / mass for w in weights]
    whole = [math.floor(s) for s in shares]
    order = sorted(range(len(shares)), key=lambda i: whole[i] - shares[i])
    for i in order[: total - sum(whole)]:
        whole[i] += 1
    return whole


def unit_factor(column: Column) -> int:
    """Base units per unit of the column (百万円 -> 1,000,000; 人 -> 1)."""
    return int(parse_unit(column.unit)[0]) if column.unit else 1


def _grain(column: Column, baseline: float | None) -> int:
    """The step values are drawn in: the column's unit, unless the baseline is not a whole
    number of it (then single base units, written with their counter)."""
    factor = unit_factor(column)
    if baseline is not None and round(baseline) % factor:
        return 1
    return factor


def _trend(rng: random.Random, years: list[int], ref: int, low: float, high: float,
           noise: float) -> dict[int, float]:
    """Multipliers per year: 1 in the reference year, a steady growth and some noise."""
    growth = rng.uniform(low, high)
    return {y: 1.0 if y == ref else (1 + growth) ** (y - ref) * (1 + rng.uniform(-noise, noise))
            for y in years}


def _ref_year(kpis: Iterable[Kpi]) -> int:
    return next((_year(k.baseline_period) for k in kpis if k.baseline_period), LAST_YEAR)


def _calibrated(kpi: Kpi | None) -> bool:
    return kpi is not None and kpi.baseline_period is not None and kpi.baseline_value is not None


def measure_column(contract: Contract, measure: str | None) -> Column:
    """The contract column a KPI's measure reads: staging names add the base unit to the
    column name (visitors -> visitors_persons)."""
    quantities = [c for c in contract.columns if c.type == "quantity"]
    for col in quantities:
        if measure and (measure == col.name or measure.startswith(col.name + "_")):
            return col
    if len(quantities) == 1:
        return quantities[0]
    raise AreaError(f"{contract.dataset} の測定値「{measure}」に当たる列がありません",
                    f"{contract.dataset}: no column for measure {measure!r}")


def _period_column(contract: Contract) -> Column:
    return next(c for c in contract.columns if c.type == "year")


def _codes(column: Column) -> list[str]:
    return [code for code, _, _ in column.codes] if isinstance(column.codes, tuple) else []


# ------------------------------------------------------------------- datasets
def datasets_needed(area: Area) -> list[str]:
    """What the generator writes: the datasets the KPIs read, population moves, and the
    project/service datasets when the area has their tables; always in the area's order
    and only datasets the area collects."""
    wanted = {k.dataset for k in area.kpis} | {"population_moves"}
    wanted |= {d for d, table in _TABLE_OF.items() if area.has_table(table)}
    return [d for d in area.datasets if d in wanted and d not in _SKIPPED
            and (d not in _TABLE_OF or area.has_table(_TABLE_OF[d]))]


def generate(area: Area) -> list[Submission]:
    """Every member's synthetic submissions for the area (pure: writes nothing)."""
    ctx = _Context(area)
    out: list[Submission] = []
    for dataset in datasets_needed(area):
        maker = _MAKERS.get(dataset) or _yearly
        out.extend(maker(ctx, get_contract(dataset)))
    return out


def _kpis(ctx: _Context, dataset: str, method: str | None = None) -> list[Kpi]:
    return [k for k in ctx.area.kpis if k.dataset == dataset
            and (method is None or k.method == method)]


def _submitters(ctx: _Context, contract: Contract) -> list[str]:
    """The members expected to submit the dataset, by the area being generated (not the
    active home's area, which is what ``contract.submitters`` reads)."""
    allowed = set(ctx.area.dataset_submitters(contract.dataset))
    return [c for c in ctx.codes if not allowed or c in allowed]


def _yearly(ctx: _Context, contract: Contract) -> list[Submission]:
    """A dataset with one row per member and year (tourism visitors, gross product):
    each quantity column is a member series, calibrated for a ``sum_of_members`` KPI."""
    period = _period_column(contract)
    if tuple(contract.key) != (period.name,):
        raise AreaError(f"{contract.dataset} の合成データは作れません（未対応の形式）",
                        f"cannot synthesise {contract.dataset} (unsupported layout)")
    members = _submitters(ctx, contract)
    values: dict[tuple[str, str], dict[int, int]] = {}
    for col in (c for c in contract.columns if c.type == "quantity"):
        kpi = next((k for k in _kpis(ctx, contract.dataset, "sum_of_members")
                    if measure_column(contract, k.measure) is col), None)
        values.update(_member_series(ctx, contract.dataset, col, kpi, members))
    by_member: dict[str, list[str]] = defaultdict(list)
    for code, col in values:
        by_member[code].append(col)
    columns = tuple(c.name for c in contract.columns)
    return [Submission(code, contract.dataset, columns,
                       [{period.name: y, **{col: values[(code, col)][y] for col in by_member[code]}}
                        for y in ctx.years])
            for code in members]


def _member_series(ctx: _Context, dataset: str, col: Column, kpi: Kpi | None,
                   members: list[str]) -> dict[tuple[str, str], dict[int, int]]:
    """(member, column) -> {year: value in base units}; the KPI's members add up to its
    baseline in the baseline year."""
    rng = ctx.rng(dataset, col.name)
    baseline = kpi.baseline_value if _calibrated(kpi) else None
    grain = _grain(col, baseline)
    ref = _year(kpi.baseline_period) if baseline is not None else LAST_YEAR
    appeal = {c: math.exp(rng.gauss(0, 0.35)) for c in members}
    per_resident = _PER_RESIDENT.get(parse_unit(col.unit)[1] if col.unit else "", 10)
    level = {c: max(1, round(ctx.sizes[c] * per_resident * appeal[c] / grain)) for c in members}
    if baseline is not None:
        chosen = [c for c in members if c in kpi.members]
        for c, v in zip(chosen, allocate(round(baseline) // grain,
                                         [level[c] for c in chosen]), strict=True):
            level[c] = v
    out = {}
    for c in members:
        trend = _trend(rng, ctx.years, ref, -0.01, 0.03, 0.02)
        out[(c, col.name)] = {y: round(level[c] * trend[y]) * grain for y in ctx.years}
    return out


def _pedestrian_counts(ctx: _Context, contract: Contract) -> list[Submission]:
    """Survey points of the KPI's members, one count per point and day type; the sum over
    points of the mean over day types is the baseline in the baseline year."""
    kpis = _kpis(ctx, contract.dataset)
    kpi = next((k for k in kpis if _calibrated(k)), kpis[0] if kpis else None)
    members = list(kpi.members) if kpi else _submitters(ctx, contract)
    day_types = _codes(contract.column("day_type"))
    rng = ctx.rng(contract.dataset)
    ref = _year(kpi.baseline_period) if _calibrated(kpi) else LAST_YEAR
    cells = [(c, p, d) for c in members for p in range(1, rng.randint(4, 9) + 1)
             for d in day_types]
    weights = [ctx.sizes[c] * rng.uniform(0.4, 1.6) for c, _, _ in cells]
    if _calibrated(kpi):
        # The mean over day types is a sum divided by their count: the sum is the baseline
        # times that count (a whole number, so every count stays a whole person).
        base = allocate(round(kpi.baseline_value) * len(day_types), weights)
    else:
        base = [round(w / 100) for w in weights]
    trends = {c: _trend(rng, ctx.years, ref, -0.02, 0.02, 0.0) for c in members}
    counts = {}
    for (c, p, d), level in zip(cells, base, strict=True):
        for y in ctx.years:
            noise = 1.0 if y == ref else 1 + rng.uniform(-0.04, 0.04)
            counts[(c, p, d, y)] = level if y == ref else round(level * trends[c][y] * noise)
    names = {m.code: m.name_ja for m in ctx.area.members}
    columns = tuple(col.name for col in contract.columns)
    subs = []
    for code in members:
        rows = [{"calendar_year": y, "survey_point_code": f"P{p:02d}",
                 "survey_point_name": f"{names[code]} 調査地点{p}", "day_type": d,
                 "pedestrians": counts[(c, p, d, y)]}
                for y in ctx.years for (c, p, d) in cells if c == code]
        subs.append(Submission(code, contract.dataset, columns, rows))
    return subs


def _participants(ctx: _Context) -> dict[str, list[str]]:
    """Project number -> the members taking part (area order)."""
    out = {}
    for row in ctx.area.table("projects"):
        listed = set(str(row.get("participating_lg_code5") or "").split(";"))
        out[str(row["no"])] = [c for c in ctx.codes if c in listed]
    return out


def _service_usage(ctx: _Context, contract: Contract) -> list[Submission]:
    """Users per service, provider and residents' member; users living outside the provider
    (the ``cross_member_usage`` KPI) add up to the baseline in the baseline year."""
    kpis = _kpis(ctx, contract.dataset, "cross_member_usage")
    kpi = next((k for k in kpis if _calibrated(k)), kpis[0] if kpis else None)
    providers_allowed = set(kpi.members) if kpi else set(ctx.codes)
    participants = _participants(ctx)
    rng = ctx.rng(contract.dataset)
    hub = ctx.area.hub.code
    cells = []  # (service, provider, resident)
    for service in ctx.area.table("shared_services"):
        code = service["service_code"]
        members = participants.get(str(service.get("project_no") or ""), ctx.codes) or ctx.codes
        providers = [c for c in members if c in providers_allowed
                     and (c == hub or rng.random() < 0.4)]
        if not providers:
            providers = [c for c in members if c in providers_allowed][:1]
        cells += [(code, p, r) for p in providers for r in members]
    cross = [cell for cell in cells if cell[1] != cell[2]]
    weights = [ctx.sizes[r] ** 0.8 * rng.uniform(0.5, 1.5) * (1.0 if p == hub else 0.3)
               for _, p, r in cross]
    if _calibrated(kpi):
        base = dict(zip(cross, allocate(round(kpi.baseline_value), weights), strict=True))
        ref = _year(kpi.baseline_period)
    else:
        base = {cell: max(1, round(w / 50)) for cell, w in zip(cross, weights, strict=True)}
        ref = LAST_YEAR
    for s, p, _ in cells:
        if (s, p, p) not in base:
            outside = sum(v for (s2, p2, _), v in base.items() if (s2, p2) == (s, p))
            base[(s, p, p)] = round(outside * rng.uniform(2, 6)) + 10
    trends = {s: _trend(rng, ctx.years, ref, -0.01, 0.04, 0.0) for s, _, _ in cells}
    columns = tuple(c.name for c in contract.columns)
    by_provider: dict[str, list[dict]] = {}
    for (s, p, r) in cells:
        for y in ctx.years:
            users = base[(s, p, r)] if y == ref else round(
                base[(s, p, r)] * trends[s][y] * (1 + rng.uniform(-0.05, 0.05)))
            by_provider.setdefault(p, []).append(
                {"fiscal_year": y, "service_code": s, "provider_municipality": p,
                 "resident_municipality": r, "users": users})
    return [Submission(p, contract.dataset, columns, sorted(
        rows, key=lambda row: (row["fiscal_year"], row["service_code"])))
        for p, rows in sorted(by_provider.items(), key=lambda kv: ctx.codes.index(kv[0]))]


def _university_collaborations(ctx: _Context, contract: Contract) -> list[Submission]:
    """One row per project; a ``count_of_rows`` KPI's members run as many projects in the
    baseline year as the baseline says."""
    kpis = _kpis(ctx, contract.dataset, "count_of_rows")
    kpi = next((k for k in kpis if _calibrated(k)), kpis[0] if kpis else None)
    members = _submitters(ctx, contract)
    rng = ctx.rng(contract.dataset)
    ref = _year(kpi.baseline_period) if _calibrated(kpi) else LAST_YEAR
    weights = {c: ctx.sizes[c] ** 0.5 * rng.uniform(0.6, 1.4) for c in members}
    level = {c: max(1, round(w / 150)) for c, w in weights.items()}
    if _calibrated(kpi):
        chosen = [c for c in members if c in kpi.members]
        level.update(zip(chosen, allocate(round(kpi.baseline_value),
                                          [weights[c] for c in chosen]), strict=True))
    columns = tuple(c.name for c in contract.columns)
    subs = []
    for code in members:
        trend = _trend(rng, ctx.years, ref, -0.02, 0.08, 0.15)
        rows = []
        for y in ctx.years:
            n = level[code] if y == ref else max(0, round(level[code] * trend[y]))
            for i in range(n):
                theme = THEMES[(i + y) % len(THEMES)]
                rows.append({"fiscal_year": y, "project_title": f"{theme}（{i + 1}）",
                             "partner_institution": INSTITUTIONS[i % len(INSTITUTIONS)]})
        if rows:
            subs.append(Submission(code, contract.dataset, columns, rows))
    return subs


def _project_budgets(ctx: _Context, contract: Contract) -> list[Submission]:
    """Each participant's budget per project and fiscal year (the hub carries most)."""
    grain = unit_factor(contract.column("budget_yen"))
    rng = ctx.rng(contract.dataset)
    hub = ctx.area.hub.code
    names = {str(r["no"]): r.get("name_ja", "") for r in ctx.area.table("projects")}
    rows: dict[str, list[dict]] = {}
    for no, members in _participants(ctx).items():
        hub_level = 10 ** rng.uniform(3, 4.7)  # in the column's unit (千円)
        for code in members:
            share = 1.0 if code == hub else min(1.0, ctx.sizes[code] / ctx.sizes[hub]) * 0.6
            trend = _trend(rng, ctx.years, LAST_YEAR, -0.01, 0.04, 0.05)
            for y in ctx.years:
                rows.setdefault(code, []).append(
                    {"fiscal_year": y, "project_no": no, "project_name": names[no],
                     "budget_yen": round(hub_level * share * trend[y]) * grain})
    columns = tuple(c.name for c in contract.columns)
    return [Submission(c, contract.dataset, columns,
                       sorted(rows[c], key=lambda r: (r["fiscal_year"], int(r["project_no"]))))
            for c in ctx.codes if c in rows]


# --------------------------------------------------------------- population moves
def member_pairs(codes: list[str], hub: str) -> list[tuple[str, str]]:
    """Members that exchange moves: every pair in a small area; in a large one each member
    with the hub and its next few neighbours in list order."""
    if len(codes) <= _ALL_PAIRS_UP_TO:
        return [(a, b) for i, a in enumerate(codes) for b in codes[i + 1:]]
    pairs = {tuple(sorted((hub, c))) for c in codes if c != hub}
    for i, a in enumerate(codes):
        for b in codes[i + 1: i + 1 + _NEIGHBOURS]:
            pairs.add(tuple(sorted((a, b))))
    return sorted(pairs)


def _population_moves(ctx: _Context, contract: Contract) -> list[Submission]:
    """Each member's in- and out-moves by counterpart: the other members it exchanges
    people with, and the area's counterpart areas outside (prefectures, abroad)."""
    in_code, out_code = _codes(contract.column("direction"))[:2]
    outside = [r["area_code"] for r in ctx.area.table("counterpart_areas")
               if r["area_code"] not in set(ctx.codes)]
    kpi = next((k for k in _kpis(ctx, contract.dataset, "net_moves") if _calibrated(k)), None)
    ref = _ref_year([kpi] if kpi else [])
    rng = ctx.rng(contract.dataset)
    moves = _moves_between_members(ctx, rng, ref, in_code, out_code)
    moves.update(_moves_outside(ctx, rng, ref, outside, kpi, in_code, out_code))
    if kpi is not None:
        _calibrate_net(ctx, moves, kpi, outside, in_code, out_code, rng)
    names = {r["area_code"]: r["name_ja"] for r in ctx.area.table("counterpart_areas")}
    names.update({m.code: m.name_ja for m in ctx.area.members})
    rows: dict[str, list[dict]] = {c: [] for c in ctx.codes}
    for (y, c, direction, other), persons in sorted(moves.items()):
        rows[c].append({"calendar_year": y, "direction": direction,
                        "counterpart_area_code": other,
                        "counterpart_area_name": names.get(other, ""), "persons": persons})
    columns = tuple(col.name for col in contract.columns)
    return [Submission(c, contract.dataset, columns, rows[c]) for c in ctx.codes]


def _moves_between_members(ctx: _Context, rng: random.Random, ref: int, in_code: str,
                           out_code: str) -> dict[tuple[int, str, str, str], int]:
    """(year, member, direction, other member) -> persons: one flow, reported by both ends
    (the origin's out-move is the destination's in-move), larger between larger members."""
    pairs = member_pairs(ctx.codes, ctx.area.hub.code)
    partners: dict[str, list[str]] = {c: [] for c in ctx.codes}
    for a, b in pairs:
        partners[a].append(b)
        partners[b].append(a)
    mass = {c: sum(ctx.sizes[p] for p in partners[c]) for c in ctx.codes}
    moves = {}
    for a, b in pairs:
        for origin, dest in ((a, b), (b, a)):
            base = _MEMBER_MOVE_RATE * ctx.sizes[origin] * ctx.sizes[dest] / mass[origin]
            trend = _trend(rng, ctx.years, ref, -0.02, 0.01, 0.06)
            for y in ctx.years:
                persons = max(0, round(base * trend[y]))
                moves[(y, origin, out_code, dest)] = persons
                moves[(y, dest, in_code, origin)] = persons
    return moves


def _moves_outside(ctx: _Context, rng: random.Random, ref: int, outside: list[str],
                   kpi: Kpi | None, in_code: str, out_code: str) -> dict:
    """Moves with the counterparts outside the area; nearer ones (listed first) weigh more,
    and in-moves lean so that the KPI members' net starts near the baseline."""
    weights = [math.exp(-i / 6) * rng.uniform(0.5, 1.5) for i in range(len(outside))]
    mass = sum(weights) or 1.0
    total_out = {c: _OUTSIDE_MOVE_RATE * ctx.sizes[c] for c in ctx.codes}
    net_share = dict(zip(ctx.codes, allocate(round(kpi.baseline_value), [
        ctx.sizes[c] if c in kpi.members else 0 for c in ctx.codes]), strict=True)) if kpi else {}
    moves = {}
    for c in ctx.codes:
        lean = 1 + net_share.get(c, 0) / total_out[c]
        for area_code, w in zip(outside, weights, strict=True):
            out_base = total_out[c] * w / mass
            ratio = lean * rng.uniform(0.9, 1.1)
            for direction, base in ((out_code, out_base), (in_code, out_base * ratio)):
                trend = _trend(rng, ctx.years, ref, -0.02, 0.01, 0.07)
                for y in ctx.years:
                    moves[(y, c, direction, area_code)] = max(0, round(base * trend[y]))
    return moves


def net_moves(moves: dict, members: Iterable[str], in_code: str = "in") -> dict[int, int]:
    """In minus out moves of the members, per year (moves between them cancel)."""
    chosen = set(members)
    nets: dict[int, int] = defaultdict(int)
    for (y, m, d, _), v in moves.items():
        if m in chosen:
            nets[y] += v if d == in_code else -v
    return nets


def _calibrate_net(ctx: _Context, moves: dict, kpi: Kpi, outside: list[str], in_code: str,
                   out_code: str, rng: random.Random) -> None:
    """Bring the KPI members' net moves to the baseline in the baseline year (and near it in
    the others) by adding moves with the first outside counterpart: only ever adding keeps
    every count positive, and flows between members are left as they are."""
    if not outside:
        raise AreaError("net_moves の基準値に合わせるには counterpart_areas.csv（圏域外の相手地域）が必要です",
                        "net_moves needs counterpart_areas.csv (areas outside) to meet its baseline")
    baseline = round(kpi.baseline_value)
    ref = _year(kpi.baseline_period)
    chosen = [c for c in ctx.codes if c in kpi.members]
    nets = net_moves(moves, chosen, in_code)
    for y in ctx.years:
        target = baseline if y == ref else round(
            baseline + rng.gauss(0, max(10.0, 0.15 * abs(baseline))))
        gap = target - nets[y]
        direction = in_code if gap > 0 else out_code
        for c, extra in zip(chosen, allocate(abs(gap), [ctx.sizes[c] for c in chosen]),
                            strict=True):
            moves[(y, c, direction, outside[0])] += extra


_MAKERS = {
    "pedestrian_counts": _pedestrian_counts,
    "service_usage": _service_usage,
    "university_collaborations": _university_collaborations,
    "project_budgets": _project_budgets,
    "population_moves": _population_moves,
}


# ------------------------------------------------------------------------ writing
def cell(column: Column, value) -> object:
    """A value as a member would type it: quantities in the column's unit (a value that is
    not a whole number of it keeps its base counter, e.g. 1234567円)."""
    if value is None or column.type != "quantity":
        return "" if value is None else value
    factor = unit_factor(column)
    if value % factor == 0:
        return int(value // factor)
    return f"{int(value)}{parse_unit(column.unit)[1]}"


def write_files(area: Area, folder: Path) -> list[tuple[str, str, Path]]:
    """Write every synthetic submission as ``<folder>/<member>/<dataset>.csv`` (UTF-8, the
    contract's Japanese headers); returns (member, dataset, path) in submission order."""
    written = []
    for sub in generate(area):
        contract = get_contract(sub.dataset)
        cols = [contract.column(name) for name in sub.columns]
        path = folder / sub.member / f"{sub.dataset}.csv"
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("w", encoding="utf-8", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow([c.ja for c in cols])
            writer.writerows([cell(c, row.get(c.name)) for c in cols] for row in sub.rows)
        written.append((sub.member, sub.dataset, path))
    return written
