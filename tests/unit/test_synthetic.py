"""Synthetic submissions for any area (``kurume-hub init --synthetic``).

The KPI values are recomputed here from the generated rows, method by method, the way
DESIGN.md "Area definition" defines them (not with the generator's own code), and once
more from the written CSV files read back through the intake's own validator.
"""

from __future__ import annotations

import os
import time
from collections import defaultdict
from pathlib import Path

import pytest
import yaml

from orchestration import synthetic
from orchestration.area import AREAS_DIR, Area, AreaError, load_area, record_area
from orchestration.home import HOME_ENV, Home
from orchestration.intake.contracts import get_contract
from orchestration.intake.validate import validate_file

AREAS = sorted(p.name for p in AREAS_DIR.iterdir() if (p / "area.yaml").is_file())


def _rows(subs, dataset: str, members) -> list[tuple[str, dict]]:
    chosen = set(members)
    return [(s.member, row) for s in subs if s.dataset == dataset and s.member in chosen
            for row in s.rows]


def kpi_value(area: Area, kpi, subs, year: int) -> float:
    """The area value of a KPI for one period, from rows in base units."""
    contract = get_contract(kpi.dataset)
    period = next(c.name for c in contract.columns if c.type == "year")
    rows = [(m, r) for m, r in _rows(subs, kpi.dataset, kpi.members) if r[period] == year]
    if kpi.method == "sum_of_members":
        column = synthetic.measure_column(contract, kpi.measure).name
        assert {m for m, _ in rows} == set(kpi.members), "every member reports the period"
        return sum(r[column] for _, r in rows)
    if kpi.method == "survey_points_mean":
        by_point = defaultdict(list)
        for m, r in rows:
            by_point[(m, r["survey_point_code"])].append(r["pedestrians"])
        return sum(sum(v) / len(v) for v in by_point.values())
    if kpi.method == "cross_member_usage":
        return sum(r["users"] for _, r in rows
                   if r["provider_municipality"] != r["resident_municipality"])
    if kpi.method == "count_of_rows":
        return len(rows)
    if kpi.method == "net_moves":
        return sum(r["persons"] if r["direction"] == "in" else -r["persons"] for _, r in rows)
    raise AssertionError(kpi.method)


def _big_area(tmp_path: Path, n: int) -> Area:
    """An area of ``n`` made-up members (valid codes, no population given), the second
    area's KPIs and counterparts."""
    raw = yaml.safe_load((AREAS_DIR / "bingo" / "area.yaml").read_text(encoding="utf-8"))
    raw["id"] = f"big{n}"
    raw["members"] = [{"code": f"{99000 + i * 7:05d}", "name_ja": f"第{i}市",
                       "name_en": f"City {i}", "role": "hub" if i == 0 else "partner"}
                      for i in range(n)]
    folder = tmp_path / raw["id"]
    folder.mkdir()
    (folder / "area.yaml").write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    (folder / "counterpart_areas.csv").write_bytes(
        (AREAS_DIR / "bingo" / "counterpart_areas.csv").read_bytes())
    return load_area(folder)


@pytest.mark.parametrize("area_id", AREAS)
def test_each_kpi_meets_its_baseline_in_the_baseline_period(area_id):
    area = load_area(AREAS_DIR / area_id)
    subs = synthetic.generate(area)
    calibrated = [k for k in area.kpis if k.baseline_period and k.baseline_value is not None]
    assert calibrated
    for kpi in calibrated:
        value = kpi_value(area, kpi, subs, int(kpi.baseline_period[2:]))
        assert value == kpi.baseline_value, (kpi.id, value, kpi.baseline_value)


def test_a_large_area_is_calibrated_and_fast(tmp_path):
    area = _big_area(tmp_path, 30)
    started = time.perf_counter()
    subs = synthetic.generate(area)
    elapsed = time.perf_counter() - started
    assert elapsed < 1.0, f"{elapsed:.2f} s for 30 members"
    for kpi in area.kpis:
        assert kpi_value(area, kpi, subs, int(kpi.baseline_period[2:])) == kpi.baseline_value
    assert {s.member for s in subs} == set(area.member_codes)


@pytest.mark.parametrize("area_id", AREAS)
def test_the_same_area_gives_the_same_files(area_id, tmp_path):
    area = load_area(AREAS_DIR / area_id)
    first = synthetic.write_files(area, tmp_path / "a")
    second = synthetic.write_files(area, tmp_path / "b")
    assert [(m, d) for m, d, _ in first] == [(m, d) for m, d, _ in second]
    for (_, _, a), (_, _, b) in zip(first, second, strict=True):
        assert a.read_bytes() == b.read_bytes(), a.name


def test_another_area_gives_other_figures(tmp_path):
    base = synthetic.generate(_big_area(tmp_path, 8))
    raw = yaml.safe_load((tmp_path / "big8" / "area.yaml").read_text(encoding="utf-8"))
    raw["id"] = "other8"
    (tmp_path / "other8").mkdir()
    (tmp_path / "other8" / "area.yaml").write_text(yaml.safe_dump(raw, allow_unicode=True),
                                                   encoding="utf-8")
    (tmp_path / "other8" / "counterpart_areas.csv").write_bytes(
        (tmp_path / "big8" / "counterpart_areas.csv").read_bytes())
    other = synthetic.generate(load_area(tmp_path / "other8"))
    assert [s.rows for s in base] != [s.rows for s in other]


@pytest.mark.parametrize("area_id", AREAS)
def test_moves_between_members_agree_in_both_directions(area_id):
    area = load_area(AREAS_DIR / area_id)
    moves = {(s.member, r["calendar_year"], r["direction"], r["counterpart_area_code"]):
             r["persons"] for s in synthetic.generate(area) if s.dataset == "population_moves"
             for r in s.rows}
    members = set(area.member_codes)
    between = [(k, v) for k, v in moves.items() if k[3] in members]
    assert between
    for (member, year, direction, other), persons in between:
        mirror = "in" if direction == "out" else "out"
        assert moves[(other, year, mirror, member)] == persons
    outside = {k[3] for k in moves} - members
    assert outside, "moves with counterparts outside the area"
    assert all(v >= 0 for v in moves.values())


def test_members_differ_in_size_and_series_move(tmp_path):
    area = _big_area(tmp_path, 30)
    sizes = synthetic.member_sizes(area)
    assert len(set(sizes.values())) == len(sizes)
    assert sizes[area.hub.code] == max(sizes.values())
    visitors = [s for s in synthetic.generate(area) if s.dataset == "tourism_visitors"]
    for sub in visitors:
        series = [r["visitors"] for r in sub.rows]
        assert len(set(series)) > 1, "a trend and noise, not a flat line"
        assert all(v > 0 for v in series)
    bingo = load_area(AREAS_DIR / "bingo")
    given = {m.code: m.population_approx for m in bingo.members}
    assert synthetic.member_sizes(bingo) == given


def test_only_the_datasets_the_area_has_tables_for(tmp_path):
    bingo = load_area(AREAS_DIR / "bingo")
    needed = synthetic.datasets_needed(bingo)
    assert "population_moves" in needed
    assert not {"service_usage", "project_budgets", "kpi_records"} & set(needed)
    kurume = load_area(AREAS_DIR / "kurume")
    assert {"service_usage", "project_budgets"} <= set(synthetic.datasets_needed(kurume))


def test_net_moves_without_counterparts_cannot_be_calibrated(tmp_path):
    area = _big_area(tmp_path, 4)
    (area.folder / "counterpart_areas.csv").unlink()
    with pytest.raises(AreaError) as err:
        synthetic.generate(load_area(area.folder))
    assert "counterpart_areas.csv" in str(err.value)


def test_values_are_written_in_the_columns_unit():
    column = get_contract("municipal_gross_product").column("gross_product_yen")  # 百万円
    assert synthetic.cell(column, 1_504_800_000_000) == 1_504_800
    assert synthetic.cell(column, 1_234_567) == "1234567円"
    assert sorted(synthetic.allocate(10, [1, 1, 1])) == [3, 3, 4]
    assert synthetic.allocate(-7, [3, 1]) == [-5, -2]


@pytest.mark.parametrize("area_id", AREAS)
def test_the_written_files_pass_the_intake_and_keep_the_calibration(area_id, tmp_path,
                                                                     monkeypatch):
    """Read back through the real validator (the active area is the home's): every file is
    accepted without warnings, and the KPIs computed from the accepted records still meet
    their baselines (units converted by the intake, not by this test)."""
    home = Home(tmp_path / "home")
    home.create()
    area = record_area(home, AREAS_DIR / area_id)
    monkeypatch.setenv(HOME_ENV, str(home.root))
    written = synthetic.write_files(area, tmp_path / "files")
    by_file = []
    for member, dataset, path in written:
        report = validate_file(path, member, dataset)
        assert report.accepted and not report.warnings, (path, report.problems)
        by_file.append(synthetic.Submission(member, dataset, (), report.records))
    for kpi in (k for k in area.kpis if k.baseline_period):
        assert kpi_value(area, kpi, by_file, int(kpi.baseline_period[2:])) == kpi.baseline_value
    assert os.environ[HOME_ENV] == str(home.root)
