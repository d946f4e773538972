"""Loading an area definition (orchestration/area.py): the check digit of member codes and
the message for each way an ``area.yaml`` cannot be used (Japanese and English, naming the
file and the key)."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from orchestration.area import (
    AREAS_DIR,
    DEFAULT_AREA_ID,
    AreaError,
    area_dir_for,
    area_for,
    check_digit,
    lg_code6,
    load_area,
    record_area,
)
from orchestration.home import Home

# A small valid definition; each test breaks one thing in a copy of it.
VALID = {
    "id": "test_area",
    "name_ja": "試験圏域",
    "name_en": "Test area",
    "vision": {"name_ja": "試験ビジョン", "name_en": "Test vision", "first_year": 2025,
               "last_year": 2029},
    "members": [
        {"code": "34207", "lg_code": "342076", "name_ja": "甲市", "name_en": "Ko City",
         "role": "hub"},
        {"code": "33205", "name_ja": "乙市", "name_en": "Otsu City"},
    ],
    "datasets": ["tourism_visitors", "population_moves"],
    "kpis": [
        {"id": "visitors", "name_ja": "観光客数", "name_en": "Visitors", "unit": "persons",
         "display_unit": "千人", "period_type": "CY", "direction": "higher",
         "baseline": {"period": "CY2023", "value": 1000},
         "source": {"dataset": "tourism_visitors", "measure": "visitors_persons",
                    "method": "sum_of_members", "members": "all"}},
    ],
}


def _write(tmp_path: Path, raw: dict) -> Path:
    folder = tmp_path / "area"
    folder.mkdir(exist_ok=True)
    (folder / "area.yaml").write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    return folder


def _broken(tmp_path: Path, change) -> AreaError:
    raw = copy.deepcopy(VALID)
    change(raw)
    with pytest.raises(AreaError) as err:
        load_area(_write(tmp_path, raw))
    assert "area.yaml" in err.value.ja and "area.yaml" in err.value.en
    return err.value


# ------------------------------------------------------------------ check digit
@pytest.mark.parametrize("code5, code6", [
    ("13101", "131016"),  # 千代田区
    ("01100", "011002"),  # 札幌市 (leading zero kept)
    ("14100", "141003"),  # 横浜市
    ("27100", "271004"),  # 大阪市
    ("34207", "342076"),  # 福山市
    ("33207", "332071"),  # 井原市
])
def test_check_digit_of_published_codes(code5, code6):
    assert lg_code6(code5) == code6


def test_check_digit_remainders_zero_and_one():
    """Weights 6,5,4,3,2 and modulus 11; a remainder of 0 gives 1, of 1 gives 0."""
    def total(code):
        return sum(int(d) * w for d, w in zip(code, (6, 5, 4, 3, 2), strict=True))
    zero = next(f"{n:05d}" for n in range(1, 99999) if total(f"{n:05d}") % 11 == 0)
    one = next(f"{n:05d}" for n in range(1, 99999) if total(f"{n:05d}") % 11 == 1)
    assert check_digit(zero) == "1"
    assert check_digit(one) == "0"


@pytest.mark.parametrize("bad", ["4020", "402036", "4O203", ""])
def test_check_digit_needs_five_digits(bad):
    with pytest.raises(ValueError):
        check_digit(bad)


@pytest.mark.parametrize("area_id", sorted(p.name for p in AREAS_DIR.iterdir()
                                           if (p / "area.yaml").is_file()))
def test_every_bundled_area_loads_and_its_codes_pass_the_check_digit(area_id):
    area = load_area(AREAS_DIR / area_id)
    raw = yaml.safe_load((AREAS_DIR / area_id / "area.yaml").read_text(encoding="utf-8"))
    given = {str(m["code"]): str(m["lg_code"]) for m in raw["members"] if m.get("lg_code")}
    assert given, "the 6-digit codes are written down, so the check digit is checked"
    for member in area.members:
        assert member.lg_code == given.get(member.code, member.lg_code)
    assert sum(m.role == "hub" for m in area.members) == 1


def test_a_wrong_check_digit_is_refused(tmp_path):
    def change(raw):
        raw["members"][0]["lg_code"] = "342077"
    err = _broken(tmp_path, change)
    assert "342077" in err.ja and "342076" in err.ja and "342076" in err.en


# --------------------------------------------------------------- loading errors
def test_the_valid_definition_loads(tmp_path):
    area = load_area(_write(tmp_path, VALID) / "area.yaml")
    assert area.id == "test_area" and area.hub.code == "34207"
    assert area.kpi("visitors").members == ("34207", "33205")
    assert area.kpi("visitors").baseline_value == 1000
    assert not area.has_table("projects") and area.table("projects") == []


def test_no_definition(tmp_path):
    with pytest.raises(AreaError) as err:
        load_area(tmp_path / "nowhere")
    assert "地域の定義がありません" in err.value.ja and "No area definition" in err.value.en


@pytest.mark.parametrize("key", ["id", "name_ja", "name_en", "members", "kpis", "vision"])
def test_a_missing_key(tmp_path, key):
    err = _broken(tmp_path, lambda raw: raw.pop(key))
    assert key in err.ja and f"missing key {key}" in err.en


@pytest.mark.parametrize("code", [1100, "4020", "402036", "abcde"])  # 1100: 01100 unquoted
def test_a_member_code_is_five_digits_as_a_string(tmp_path, code):
    def change(raw):
        raw["members"][1]["code"] = code
    err = _broken(tmp_path, change)
    assert "5桁" in err.ja and "five digits" in err.en


def test_a_member_needs_both_names(tmp_path):
    err = _broken(tmp_path, lambda raw: raw["members"][1].pop("name_en"))
    assert "name_en" in err.ja and "33205 lacks name_en" in err.en


def test_a_member_twice(tmp_path):
    err = _broken(tmp_path, lambda raw: raw["members"].append(dict(raw["members"][1])))
    assert "2回" in err.ja and "appears twice" in err.en


@pytest.mark.parametrize("change, ja, en", [
    (lambda k: k.update(id="Visitors"), "英小文字", "lowercase"),
    (lambda k: k["source"].update(method="average"), "source.method", "not one of"),
    (lambda k: k["source"].update(dataset="pedestrian_counts"), "datasets にありません",
     "not in datasets"),
    (lambda k: k["source"].update(members=["34207", "99999"]), "構成団体でない",
     "are not members"),
    (lambda k: k.update(period_type="JY"), "CY か FY", "CY or FY"),
    (lambda k: k.update(direction="up"), "direction", "direction must be one of"),
    (lambda k: k["baseline"].update(period="2023"), "CY2023 や FY2022", "must look like"),
    (lambda k: k.update(display_unit="十人"), "単位表", "unit table"),
])
def test_a_broken_kpi(tmp_path, change, ja, en):
    err = _broken(tmp_path, lambda raw: change(raw["kpis"][0]))
    assert ja in err.ja and en in err.en
    assert "visitors" in err.en.lower()


def test_a_kpi_id_twice(tmp_path):
    err = _broken(tmp_path, lambda raw: raw["kpis"].append(copy.deepcopy(raw["kpis"][0])))
    assert "2回" in err.ja and "appears twice" in err.en


def test_an_unknown_approval(tmp_path):
    err = _broken(tmp_path, lambda raw: raw.update(publication={"approval": "maybe"}))
    assert "auto か required" in err.ja and "auto or required" in err.en


# ------------------------------------------------------------- the home's area
def test_a_home_records_its_area_and_keeps_using_it(tmp_path):
    home = Home(tmp_path / "home")
    assert area_dir_for(home).name == DEFAULT_AREA_ID  # a home without one: the default
    recorded = record_area(home, AREAS_DIR / "kurume")
    assert recorded.folder == home.root / "area"
    assert {p.name for p in recorded.folder.iterdir()} == {
        "area.yaml", "projects.csv", "shared_services.csv", "counterpart_areas.csv"}
    # Another definition replaces it whole: tables the new area lacks do not linger.
    other = record_area(home, AREAS_DIR / "bingo")
    assert not other.has_table("projects") and not other.has_table("shared_services")
    assert area_for(home).id == "bingo"
    assert not (home.root / "area" / "samples").exists()
