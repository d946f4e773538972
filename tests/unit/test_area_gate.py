"""The gate and the release derive from the area: suites take the area's values, an area
without projects or shared services is neither audited nor published for them, and the
release metadata names the area, its members and its publisher."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
import yaml

from orchestration.area import load_area, record_area
from orchestration.home import EXPECTATIONS_DIR, Home
from orchestration.publication.catalog import PUBLISHED, published_datasets
from orchestration.quality.suites import VALUES, SuiteError, load_suite, resolve

AREAS_DIR = Path(__file__).resolve().parents[2] / "sources" / "areas"
KURUME = AREAS_DIR / "kurume"
SUITES = sorted(p.stem for p in EXPECTATIONS_DIR.glob("*.json"))
# Every area in the repository (Kurume and the second area) and the small one made here.
REPO_AREAS = sorted(p.parent for p in AREAS_DIR.glob("*/area.yaml"))


def _area_yaml(projects: bool) -> dict:
    """A small second area: three members, a sum, a net-moves and a count KPI."""
    source = {"method": "sum_of_members", "dataset": "tourism_visitors",
              "measure": "visitors_persons", "members": "all"}
    datasets = ["tourism_visitors", "population_moves", "university_collaborations"]
    return {
        "id": "testarea", "name_ja": "試験連携中枢都市圏", "name_en": "Test regional hub area",
        "publisher_ja": "試験連携中枢都市圏 事務局", "publisher_en": "Secretariat of the test area",
        "license": "CC0-1.0",
        "vision": {"name_ja": "試験ビジョン", "name_en": "Test vision",
                   "first_year": 2027, "last_year": 2031},
        "members": [
            {"code": "01100", "name_ja": "甲市", "name_en": "Alpha City", "role": "hub"},
            {"code": "01202", "name_ja": "乙市", "name_en": "Beta City"},
            {"code": "01203", "name_ja": "丙町", "name_en": "Gamma Town", "kind": "town"},
        ],
        "datasets": datasets + (["project_budgets"] if projects else []),
        "kpis": [
            {"id": "visitors", "name_ja": "来訪者数", "name_en": "Visitors", "unit": "persons",
             "display_unit": "千人", "period_type": "CY", "source": source},
            {"id": "net_moves", "name_ja": "社会増減", "name_en": "Net moves", "unit": "persons",
             "period_type": "CY", "source": {"method": "net_moves",
                                             "dataset": "population_moves"}},
            {"id": "projects_done", "name_ja": "連携事業数", "name_en": "Projects",
             "unit": "projects", "display_unit": "件", "period_type": "FY",
             "source": {"method": "count_of_rows", "dataset": "university_collaborations"}},
        ],
    }


def _write_area(folder: Path, projects: bool = False) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "area.yaml").write_text(yaml.safe_dump(_area_yaml(projects), allow_unicode=True),
                                      encoding="utf-8")
    if projects:
        (folder / "projects.csv").write_text(
            "no,name_ja,name_en,participating_lg_code5\n"
            "3,事業A,Project A,01100;01202\n7,事業B,Project B,01203\n", encoding="utf-8")
    return folder


@pytest.fixture
def other(tmp_path):
    return load_area(_write_area(tmp_path / "testarea"))


@pytest.fixture
def other_home(tmp_path, monkeypatch) -> Home:
    """A home recording the second area, and the active one (as --home makes it)."""
    home = Home(tmp_path / "home")
    record_area(home, _write_area(tmp_path / "testarea"))
    monkeypatch.setenv("KURUME_HUB_HOME", str(home.root))
    return home


# ------------------------------------------------------------------------ the resolver
def test_placeholders_take_the_areas_values(other):
    spec = {"kwargs": {"value_set": {"$area": "scope_codes"}, "min_value": {"$area": "member_count"},
                       "row_condition": {"$area": "nonnegative_kpis_condition"}},
            "list": [{"$area": "kpi_ids"}, "kept", 1], "meta": {"ja": "そのまま"}}
    resolved = resolve(spec, other)
    assert resolved["kwargs"] == {"value_set": ["area", "01100", "01202", "01203"],
                                  "min_value": 3, "row_condition": 'kpi_id not in ["net_moves"]'}
    assert resolved["list"] == [["visitors", "net_moves", "projects_done"], "kept", 1]
    assert resolved["meta"] == {"ja": "そのまま"}
    assert spec["kwargs"]["value_set"] == {"$area": "scope_codes"}  # the spec is not changed


def test_an_unknown_or_malformed_placeholder_is_an_error(other):
    with pytest.raises(SuiteError, match="member_cods"):
        resolve({"value_set": {"$area": "member_cods"}}, other, "x.json")
    with pytest.raises(SuiteError, match="exactly"):
        resolve({"value_set": {"$area": "member_codes", "extra": 1}}, other)


def test_kurume_values_come_from_its_definition():
    area = load_area(KURUME)
    values = {name: get(area) for name, get in VALUES.items()}
    assert values["member_codes"] == list(area.member_codes)
    assert values["member_count"] == len(area.members) and values["kpi_count"] == len(area.kpis)
    assert values["kpi_ids"] == [k.id for k in area.kpis]
    assert len(values["project_numbers"]) == len(area.table("projects"))
    assert values["service_codes"] == [r["service_code"] for r in area.table("shared_services")]
    assert "member" not in values["outside_groups"] and values["outside_groups"]


@pytest.mark.parametrize("suite", SUITES)
def test_every_suite_resolves_for_every_area(suite, other):
    for area in (*map(load_area, REPO_AREAS), other):
        text = json.dumps(load_suite(suite, area), ensure_ascii=False)
        assert "$area" not in text


def test_suites_type_in_no_member_code_or_kpi_id():
    area = load_area(KURUME)
    for suite in SUITES:
        text = (EXPECTATIONS_DIR / f"{suite}.json").read_text(encoding="utf-8")
        assert not [c for c in area.member_codes if c in text], suite
        assert not [k.id for k in area.kpis if k.id in text], suite


# ----------------------------------------------------------- which datasets an area has
def test_kurume_publishes_every_dataset_of_the_catalogue():
    assert published_datasets(load_area(KURUME)) == PUBLISHED


def test_an_area_without_projects_or_services_does_not_publish_them(tmp_path, other):
    names = [d.name for d in published_datasets(other)]
    assert "project_budgets" not in names and "service_usage" not in names
    assert "service_cost_sharing" not in names
    assert {"regional_kpis", "municipal_indicators", "kpi_scorecard", "net_migration"} <= set(names)
    with_projects = load_area(_write_area(tmp_path / "with_projects", projects=True))
    assert "project_budgets" in [d.name for d in published_datasets(with_projects)]


def test_the_gate_skips_the_suites_of_unpublished_datasets(other):
    from orchestration.quality.gate import audit_targets, skipped_datasets
    from orchestration.quality.report import render

    frames = {d.name: pd.DataFrame(columns=d.column_names) for d in PUBLISHED}
    names = [t.name for t in audit_targets(frames, set(), None, other)]
    assert "project_budgets" not in names and "service_usage" not in names
    assert {"regional_kpis", "member_changes", "kpi_completeness"} <= set(names)
    skipped = skipped_datasets(other)
    assert skipped == ["project_budgets", "service_usage", "service_cost_sharing"]

    page = render([], True, "r1", skipped)
    assert "この地域が公開しないデータセット（3 件）" in page
    assert "<code>project_budgets</code>" in page and "Shared service users" in page
    assert "この地域が公開しない" not in render([], True, "r1", [])


# ----------------------------------------------------------------- derived audit frames
def test_signed_kpis_and_their_changes_follow_the_area(other):
    from orchestration.quality.derived import member_changes, signed_kpis

    assert signed_kpis(other) == {"net_moves"}
    frame = pd.DataFrame({
        "kpi_id": ["net_moves", "net_moves", "visitors", "visitors"],
        "municipality_code": ["01100"] * 4, "period": ["CY2023", "CY2024"] * 2,
        "period_year": [2023, 2024] * 2, "value": [-50.0, 400.0, 1000.0, 9000.0]})
    changes = member_changes(frame, set(), other).set_index(["kpi_id", "period"])
    assert not changes.loc[("net_moves", "CY2024"), "suspicious"]  # a sign change is no slip
    assert changes.loc[("visitors", "CY2024"), "suspicious"]


def test_an_area_value_needs_the_members_its_kpi_needs(other):
    from orchestration.quality.derived import kpi_completeness

    kpis = pd.DataFrame({"kpi_id": ["visitors", "projects_done", "unknown"],
                         "period": ["CY2024", "FY2024", "CY2024"],
                         "members_reporting": [2, 1, 3]})
    frame = kpi_completeness(kpis, other).set_index("kpi_id")
    assert list(frame.index) == ["visitors", "projects_done"]
    assert frame.loc["visitors", "required_members"] == 3  # a sum needs every member
    assert frame.loc["projects_done", "required_members"] == 1  # a count needs one
    assert (frame["listed_members"] == 3).all()


def test_report_names_the_active_areas_kpis_and_members(other_home):
    from orchestration.quality.report import cell_text

    assert cell_text("kpi_id", "visitors") == "来訪者数（visitors）"
    assert cell_text("kpi_id", "visitors", "en") == "Visitors (visitors)"
    assert cell_text("municipality_code", "01202") == "乙市（01202）"


def test_acknowledgement_checks_the_kpis_period_type_and_members(other_home):
    from orchestration.quality.acknowledgements import InvalidAcknowledgement, check

    with pytest.raises(InvalidAcknowledgement) as wrong_kind:
        check(other_home, "projects_done", "01100", "CY2024")
    assert "FY2024" in wrong_kind.value.msg.ja and "年度" in wrong_kind.value.msg.ja
    with pytest.raises(InvalidAcknowledgement) as not_member:
        check(other_home, "visitors", "40000", "CY2024")
    assert "01100 甲市" in not_member.value.msg.ja
    with pytest.raises(InvalidAcknowledgement) as nothing_built:
        check(other_home, "visitors", "01100", "CY2024")
    assert "build" in nothing_built.value.msg.en


# --------------------------------------------------------------------------- the release
def test_datapackage_names_the_area_its_members_and_publisher(tmp_path, other):
    from datetime import UTC, datetime

    from orchestration.publication.release import datapackage

    now = datetime(2027, 1, 1, tzinfo=UTC)
    package = datapackage("r1", now, tmp_path, [], "hash", other, ())
    assert package["name"] == "testarea-regional-kpis"
    assert package["title"].startswith("試験連携中枢都市圏 ")
    assert "甲市・乙市・丙町" in package["description"]
    assert "Alpha City, Beta City, Gamma Town" in package["sources"][0]["title"]
    assert package["contributors"] == [{"title": "試験連携中枢都市圏 事務局", "role": "publisher"}]
    assert package["licenses"][0]["name"] == "CC0-1.0"
    kurume = load_area(KURUME)
    text = json.dumps(package, ensure_ascii=False)
    for fact in (kurume.name_ja, kurume.hub.name_ja, kurume.hub.name_en, *kurume.member_codes):
        assert fact not in text
    assert datapackage("r1", now, tmp_path, [], "h", kurume, ())["name"] == "kurume-regional-kpis"


def test_a_release_of_an_area_without_projects_has_no_project_files(other_home):
    from orchestration.publication.release import write_candidate

    frames = {d.name: pd.DataFrame(columns=d.column_names) for d in PUBLISHED}
    candidate = write_candidate(other_home, frames, [])
    files = {p.name for p in (candidate.path / "data").glob("*.csv")}
    assert "project_budgets.csv" not in files and "service_usage.csv" not in files
    assert "regional_kpis.csv" in files
    package = json.loads((candidate.path / "datapackage.json").read_text(encoding="utf-8"))
    assert {r["name"] + ".csv" for r in package["resources"]} == files
    assert package["name"] == "testarea-regional-kpis"


def test_a_changed_area_is_a_new_build(other_home):
    from orchestration.publication.fingerprint import build_fingerprint

    before = build_fingerprint(other_home, [])
    assert build_fingerprint(other_home, []) == before
    area_file = other_home.root / "area" / "area.yaml"
    area_file.write_text(area_file.read_text(encoding="utf-8").replace("Alpha City", "Alpha"),
                         encoding="utf-8")
    assert build_fingerprint(other_home, []) != before


def test_the_gate_passes_a_good_release_of_another_area(other):
    """The suites run in GX with the area's values: its KPIs, members and units pass, a
    member of another area does not; unpublished datasets are listed as skipped."""
    from orchestration.publication.files import typed_frame
    from orchestration.quality.gate import validate_frames

    def row(kpi, period, value, unit, members):
        return {"kpi_id": kpi, "kpi_name_ja": kpi, "kpi_name_en": kpi, "period": period,
                "period_type": period[:2], "period_year": int(period[2:]), "value": value,
                "unit": unit, "members_reporting": members, "cumulative_value": None,
                "cumulative_period": None}

    kpis = pd.DataFrame([row("visitors", "CY2024", 9000.0, "persons", 3),
                         row("net_moves", "CY2024", -40.0, "persons", 3),
                         row("projects_done", "FY2024", 2.0, "projects", 2)])
    indicators = pd.DataFrame([
        {"kpi_id": "visitors", "municipality_code": code, "municipality_name_ja": code,
         "municipality_name_en": code, "period": "CY2024", "period_type": "CY",
         "period_year": 2024, "value": 3000.0, "unit": "persons", "submission_id": "s",
         "source_sha256": "h", "source_sheet": None, "source_row": 2}
        for code in ("01100", "01202", "01203")])
    frames = {d.name: typed_frame(pd.DataFrame(columns=d.column_names), d)
              for d in published_datasets(other)}
    frames["regional_kpis"] = typed_frame(kpis, PUBLISHED[0])
    frames["municipal_indicators"] = typed_frame(indicators, PUBLISHED[1])

    result = validate_frames(frames, set(), None, other)
    assert result.passed, [(f.dataset, f.description_en) for f in result.blocking]
    assert result.skipped == ["project_budgets", "service_usage", "service_cost_sharing"]
    assert {f.dataset for f in result.findings} >= {"regional_kpis", "kpi_completeness"}

    indicators.loc[0, "municipality_code"] = "99999"
    frames["municipal_indicators"] = typed_frame(indicators, PUBLISHED[1])
    failed = validate_frames(frames, set(), None, other).blocking
    assert [f.description_en for f in failed if f.dataset == "municipal_indicators"] == [
        "municipality_code is one of the area's members"]


def test_a_synthetic_area_says_so_in_its_metadata(tmp_path):
    from datetime import UTC, datetime

    from orchestration.publication.release import datapackage

    raw = {**_area_yaml(False), "synthetic": True}
    (tmp_path / "area.yaml").write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    package = datapackage("r1", datetime(2027, 1, 1, tzinfo=UTC), tmp_path, [], "h",
                          load_area(tmp_path), ())
    assert "合成データ" in package["description"] and "not official" in package["description"]
