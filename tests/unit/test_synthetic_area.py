"""A made-up national-style area of N members (``kurume-hub init --synthetic --members N``).

The codes are checked against the 全国地方公共団体コード rules as stated here (prefecture
01-47 in the first two digits, weights 6-5-4-3-2 modulus 11 for the check digit), not with
the generator's own helpers; the area is loaded with the platform's own loader.
"""

from __future__ import annotations

import time
from collections import Counter

import pytest
import yaml

from orchestration import synthetic, synthetic_area
from orchestration.area import AREAS_DIR, load_area


def _check_digit(code5: str) -> str:
    remainder = sum(int(d) * w for d, w in zip(code5, (6, 5, 4, 3, 2), strict=True)) % 11
    return {0: "1", 1: "0"}.get(remainder, str(11 - remainder))


@pytest.mark.parametrize("n", [2, 24, 200])
def test_member_codes_have_a_valid_format_and_check_digit(n):
    members = synthetic_area.area_definition(n)["members"]
    assert len(members) == n
    codes = [m["code"] for m in members]
    assert len(set(codes)) == n
    for m in members:
        assert len(m["code"]) == 5 and m["code"].isdigit()
        assert 1 <= int(m["code"][:2]) <= 47
        assert int(m["code"][2:]) >= 201  # a city or town number, not a prefecture or ward
        assert m["lg_code"] == m["code"] + _check_digit(m["code"])
    assert [m["role"] for m in members].count("hub") == 1
    assert codes == sorted(codes)


def test_every_prefecture_is_used_from_47_members_on():
    assert len({c[:2] for c in synthetic_area.member_codes(47)}) == 47
    prefectures = Counter(c[:2] for c in synthetic_area.member_codes(200))
    assert len(prefectures) == 47
    assert max(prefectures.values()) - min(prefectures.values()) <= 1  # spread evenly


def test_the_same_size_gives_the_same_definition_and_files(tmp_path):
    assert synthetic_area.area_definition(60) == synthetic_area.area_definition(60)
    a = synthetic_area.write_area(60, tmp_path / "a")
    b = synthetic_area.write_area(60, tmp_path / "b")
    for name in ("area.yaml", "counterpart_areas.csv"):
        assert (a / name).read_bytes() == (b / name).read_bytes()
    assert synthetic_area.area_id(60) != synthetic_area.area_id(61)


def test_the_written_area_loads_with_the_kpis_of_the_template_area(tmp_path):
    area = load_area(synthetic_area.write_area(30, tmp_path / "area"))
    template = yaml.safe_load((AREAS_DIR / "bingo" / "area.yaml").read_text(encoding="utf-8"))
    assert area.synthetic and len(area.members) == 30
    assert [k.id for k in area.kpis] == [k["id"] for k in template["kpis"]]
    assert all(k.members == area.member_codes for k in area.kpis)
    counterparts = area.table("counterpart_areas")
    assert len(counterparts) == 47
    assert {r["area_code"][:2] for r in counterparts} == {f"{i:02d}" for i in range(1, 48)}
    assert not {r["area_code"] for r in counterparts} & set(area.member_codes)
    assert {r["area_group"] for r in counterparts} == {g for g, _, _ in area.counterpart_groups}


def test_baselines_scale_with_the_member_count():
    small = {k["id"]: k["baseline"]["value"] for k in synthetic_area.area_definition(9)["kpis"]}
    large = {k["id"]: k["baseline"]["value"] for k in synthetic_area.area_definition(90)["kpis"]}
    for kpi_id, value in small.items():
        assert large[kpi_id] == pytest.approx(value * 10, abs=10)


def test_moves_go_to_the_47_prefectures_and_between_members(tmp_path):
    area = load_area(synthetic_area.write_area(60, tmp_path / "area"))
    subs = [s for s in synthetic.generate(area) if s.dataset == "population_moves"]
    counterparts = {r["counterpart_area_code"] for s in subs for r in s.rows}
    assert {f"{i:02d}000" for i in range(1, 48)} <= counterparts
    assert counterparts & set(area.member_codes)


@pytest.mark.parametrize("n", [1, 0, synthetic_area.MAX_MEMBERS + 1])
def test_a_member_count_out_of_range_is_refused_in_both_languages(n):
    with pytest.raises(synthetic_area.MemberCountError) as err:
        synthetic_area.area_definition(n)
    assert "構成団体数" in err.value.ja and "member count" in err.value.en


def test_the_largest_count_still_has_distinct_codes():
    codes = synthetic_area.member_codes(synthetic_area.MAX_MEMBERS)
    assert len(set(codes)) == synthetic_area.MAX_MEMBERS


def test_a_national_area_of_1741_members_is_written_and_loaded_fast(tmp_path):
    started = time.perf_counter()
    area = load_area(synthetic_area.write_area(1741, tmp_path / "area"))
    assert len(area.members) == 1741
    assert time.perf_counter() - started < 5.0


# ------------------------------------------------------------------ kurume-hub init --members
def test_init_members_creates_a_home_of_that_area_with_every_members_files(tmp_path):
    from tests.conftest import run_cli

    home = tmp_path / "home"
    done = run_cli("init", "--synthetic", "--members", "3", "--lang", "en", home=home)
    assert done.returncode == 0, done.stdout + done.stderr
    area = load_area(home / "area")
    assert area.id == synthetic_area.area_id(3) and len(area.members) == 3
    ledger = [line for line in (home / "submissions" / "ledger.jsonl").read_text(
        encoding="utf-8").splitlines() if line]
    datasets = synthetic.datasets_needed(area)
    assert len(ledger) == 3 * len(datasets)
    assert all('"outcome": "accepted"' in line for line in ledger)


@pytest.mark.parametrize(("args", "words"), [
    (["--synthetic", "--members", "1"], "between 2 and"),
    (["--members", "5"], "goes with --synthetic"),
    (["--synthetic", "--members", "5", "--area", "sources/areas/bingo"], "cannot be combined"),
])
def test_init_members_refuses_what_it_cannot_make_and_creates_nothing(tmp_path, args, words):
    from tests.conftest import run_cli

    home = tmp_path / "home"
    done = run_cli("init", *args, "--lang", "en", home=home)
    assert done.returncode == 2
    assert words in done.stderr
    assert not home.exists()
    ja = run_cli("init", *args, home=home)
    assert ja.returncode == 2 and "エラー" in ja.stderr
