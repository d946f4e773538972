"""A second area, end to end, as a user runs it: ``kurume-hub init --area <folder>
--synthetic`` then ``kurume-hub build`` publish a release and a site for that area.

The area (sources/areas/bingo: real member codes, synthetic KPIs) has no projects and no
shared services, so this also proves that those tables are optional. Its site must carry
nothing of the default area: no member name, no area name.
"""

from __future__ import annotations

import csv
import json
import re
import time
from pathlib import Path

import pytest

from orchestration.area import AREAS_DIR, DEFAULT_AREA_ID, load_area
from tests.conftest import ROOT, run_cli

pytestmark = pytest.mark.integration

AREA = AREAS_DIR / "bingo"
TEXT_SUFFIXES = {".html", ".js", ".json", ".csv", ".md", ".txt", ".svg", ".css", ".yaml"}


@pytest.fixture(scope="module")
def area_home(tmp_path_factory) -> Path:
    home = tmp_path_factory.mktemp("second_area") / "home"
    result = run_cli("init", "--area", str(AREA.relative_to(ROOT)), "--synthetic", home=home)
    assert result.returncode == 0, result.stdout + result.stderr
    started = time.perf_counter()
    result = run_cli("build", home=home)
    elapsed = time.perf_counter() - started
    print(f"\nsecond area ({AREA.name}) build: {elapsed:.1f} s")
    assert result.returncode == 0, result.stdout + result.stderr
    return home


def _default_area_texts() -> list[str]:
    """The default area's name and its members' names, read from its definition."""
    other = load_area(AREAS_DIR / DEFAULT_AREA_ID)
    names = [other.name_ja, other.name_en, *(m.name_ja for m in other.members),
             *(m.name_en for m in other.members)]
    # The place name itself, in both scripts (久留米 in 久留米市, Kurume in Kurume City).
    return [*names, other.hub.name_ja.rstrip("市町村"), other.hub.name_en.split()[0]]


def _text_files(folder: Path):
    for path in sorted(folder.rglob("*")):
        if path.is_file() and path.suffix in TEXT_SUFFIXES:
            yield path, path.read_text(encoding="utf-8", errors="replace")


def test_init_records_the_area_and_submits_for_every_member(area_home):
    area = load_area(AREA)
    assert load_area(area_home / "area").id == area.id
    ledger = [json.loads(line) for line in (area_home / "submissions" / "ledger.jsonl")
              .read_text(encoding="utf-8").splitlines()]
    assert {e["municipality"] for e in ledger} == set(area.member_codes)
    assert all(e["outcome"] == "accepted" and e["submitter"] == "synthetic" for e in ledger)
    assert not {"service_usage", "project_budgets"} & {e["dataset"] for e in ledger}


def test_the_build_publishes_a_release_and_a_site(area_home):
    latest = area_home / "releases" / "latest"
    assert (latest / "datapackage.json").is_file()
    assert (area_home / "site" / "index.html").is_file()
    package = json.loads((latest / "datapackage.json").read_text(encoding="utf-8"))
    text = json.dumps(package, ensure_ascii=False)
    area = load_area(AREA)
    assert area.name_ja in text or area.name_en in text
    names = {r["name"] for r in package["resources"]}
    assert not any("project" in n or "service" in n for n in names), names


def test_every_kpi_is_published_at_its_baseline(area_home):
    """The synthetic data are calibrated: each KPI's published area value in its baseline
    period is the baseline of the definition, and every KPI has its page."""
    area = load_area(AREA)
    with (area_home / "releases" / "latest" / "data" / "regional_kpis.csv").open(
            encoding="utf-8-sig", newline="") as fh:
        published = {(r["kpi_id"], r["period"]): float(r["value"]) for r in csv.DictReader(fh)}
    index = (area_home / "site" / "index.html").read_text(encoding="utf-8")
    for kpi in area.kpis:
        assert published[(kpi.id, kpi.baseline_period)] == kpi.baseline_value, kpi.id
        assert kpi.name_ja in index, kpi.id
        assert (area_home / "site" / f"kpi-{kpi.id}.html").is_file()


def test_the_site_and_release_carry_nothing_of_the_default_area(area_home):
    forbidden = _default_area_texts()
    pattern = re.compile("|".join(re.escape(t) for t in sorted(set(forbidden), key=len,
                                                                reverse=True)))
    hits = []
    for folder in (area_home / "site", area_home / "releases" / "latest"):
        for path, text in _text_files(folder):
            for match in pattern.finditer(text):
                hits.append(f"{path.relative_to(area_home)}: {match.group(0)!r} "
                            f"…{text[max(0, match.start() - 40):match.end() + 40]}…")
    assert not hits, "\n".join(hits[:20])


def test_the_home_keeps_its_area(area_home):
    result = run_cli("init", "--area", str((AREAS_DIR / DEFAULT_AREA_ID).relative_to(ROOT)),
                     home=area_home)
    assert result.returncode == 2
    assert "別のホーム" in result.stderr and load_area(AREA).id in result.stderr
    result = run_cli("init", "--sample", "--lang", "en", home=area_home)
    assert result.returncode == 2 and "no bundled sample submissions" in result.stderr
    result = run_cli("init", home=area_home)  # no --area: the home's own area
    assert result.returncode == 0, result.stderr
    assert load_area(area_home / "area").id == load_area(AREA).id


# ---------------------------------------------------------------- one file per change
# The measure of "area as data": a member, or a KPI with an existing method, is one
# edit of area.yaml and nothing else. A copy of the second area gets both, in that one file.
NEW_MEMBER = "- {code: '33208', lg_code: '332089', name_ja: 総社市, name_en: Soja City, " \
             "kind: city, role: partner, population_approx: 69000}\n"
NEW_KPI = """- id: hub_pedestrian_traffic
  field_ja: 高次の都市機能の集積・強化
  field_en: Concentrating and strengthening advanced urban functions
  name_ja: 中心市街地の歩行者通行量（試算・合成データ）
  name_en: Pedestrian traffic in the central district (demonstration, synthetic data)
  unit: persons
  display_unit: 人
  period_type: CY
  direction: higher
  synthetic: true
  baseline: {period: CY2024, value: 41000}
  target: {period: CY2029, value: 45000}
  source: {dataset: pedestrian_counts, measure: pedestrians_persons, method: survey_points_mean, members: ['34207']}
"""


@pytest.fixture(scope="module")
def extended_home(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("extended_area")
    for path in AREA.iterdir():
        if path.is_file():
            (folder / path.name).write_bytes(path.read_bytes())
    text = (folder / "area.yaml").read_text(encoding="utf-8")
    last_member = text.index("\ndatasets:") + 1
    text = text[:last_member] + NEW_MEMBER + text[last_member:]
    text = text.replace("datasets:\n", "datasets:\n- pedestrian_counts\n", 1)
    text = text.replace("\nkpis:\n", "\nkpis:\n" + NEW_KPI, 1)
    (folder / "area.yaml").write_text(text, encoding="utf-8")
    home = tmp_path_factory.mktemp("extended_home") / "home"
    result = run_cli("init", "--area", str(folder), "--synthetic", home=home)
    assert result.returncode == 0, result.stdout + result.stderr
    result = run_cli("build", home=home)
    assert result.returncode == 0, result.stdout + result.stderr
    return home


def test_a_member_and_a_kpi_are_one_edit_of_area_yaml(extended_home):
    area = load_area(extended_home / "area")
    assert "33208" in area.member_codes and area.kpi("hub_pedestrian_traffic")
    data = extended_home / "releases" / "latest" / "data"
    with (data / "regional_kpis.csv").open(encoding="utf-8-sig", newline="") as fh:
        published = {(r["kpi_id"], r["period"]): float(r["value"]) for r in csv.DictReader(fh)}
    # the new KPI is built by its method and calibrated like the others
    assert published[("hub_pedestrian_traffic", "CY2024")] == 41000
    for kpi in area.kpis:
        assert published[(kpi.id, kpi.baseline_period)] == kpi.baseline_value, kpi.id
    # the new member reports and is counted in the area's sums
    with (data / "municipal_indicators.csv").open(encoding="utf-8-sig", newline="") as fh:
        members = {r["municipality_code"] for r in csv.DictReader(fh)}
    assert "33208" in members
    site = extended_home / "site"
    assert "総社市" in (site / "index.html").read_text(encoding="utf-8")
    assert (site / "kpi-hub_pedestrian_traffic.html").is_file()
