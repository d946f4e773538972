"""The site reads its area: names, members, vision, publisher, units, and which pages exist.

Issue 12: the scorecard, site and report take every name from the active area
(orchestration/area.py); an area without projects has no projects page and no link to one; the
site of another area carries no Kurume text. These tests render from a small release written
here (no build), so they run in seconds.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import pytest
import yaml

from orchestration.area import load_area, record_area
from orchestration.dashboard import reference
from orchestration.dashboard.fmt import BASE_UNITS, EN, JA, UNITS, unit_for
from orchestration.dashboard.site import build_site_result, render_pages
from orchestration.home import Home
from orchestration.publication.catalog import published_datasets
from orchestration.units import unit_table

REPO = Path(__file__).resolve().parents[2]
KURUME = REPO / "sources" / "areas" / "kurume"

# A small area of three real members (青森県: 八戸市, 三戸町, 五戸町), no projects and no shared
# services: what a second area looks like to the pages.
OTHER_AREA = {
    "id": "testarea",
    "name_ja": "試験広域連携中枢都市圏",
    "name_en": "Test regional hub city area",
    "publisher_ja": "試験広域連携中枢都市圏 事務局",
    "publisher_en": "Secretariat of the test area",
    "license": "CC-BY-4.0",
    "vision": {"name_ja": "試験圏域ビジョン", "name_en": "Test area vision",
               "first_year": 2027, "last_year": 2031},
    "members": [
        {"code": "02203", "name_ja": "八戸市", "name_en": "Hachinohe City", "kind": "city",
         "role": "hub", "population_approx": 220000},
        {"code": "02441", "name_ja": "三戸町", "name_en": "Sannohe Town", "kind": "town",
         "population_approx": 9000},
        {"code": "02442", "name_ja": "五戸町", "name_en": "Gonohe Town", "kind": "town",
         "population_approx": 16000},
    ],
    "datasets": ["tourism_visitors", "population_moves", "kpi_records"],
    "counterpart_groups": {"prefecture": {"name_ja": "県内", "name_en": "In the prefecture"},
                           "other": {"name_ja": "その他", "name_en": "Other"}},
    "kpis": [
        {"id": "visitors", "field_ja": "交流の拡大", "field_en": "More visitors",
         "name_ja": "観光客数", "name_en": "Visitors", "unit": "persons", "display_unit": "万人",
         "period_type": "CY", "direction": "higher", "synthetic": True,
         "baseline": {"period": "CY2024", "value": 3000000},
         "target": {"period": "CY2031", "value": 3500000},
         "source": {"dataset": "tourism_visitors", "measure": "visitors_persons",
                    "method": "sum_of_members", "members": "all"}},
        {"id": "net_moves", "field_ja": "交流の拡大", "field_en": "More visitors",
         "name_ja": "社会増減", "name_en": "Net moves", "unit": "persons", "display_unit": "人",
         "period_type": "CY", "direction": "higher", "synthetic": True,
         "target": {"period": "CY2031", "value": 500}, "cumulative_from": "CY2027",
         "source": {"dataset": "population_moves", "method": "net_moves", "members": "all"}},
    ],
}


def _kurume_texts() -> list[str]:
    """What names Kurume, read from its own area.yaml (never re-typed here)."""
    area = load_area(KURUME)
    texts = ["久留米", "Kurume", area.name_ja, area.publisher_ja, area.vision_name_ja]
    for m in area.members:
        texts += [m.code, m.name_ja, m.name_en]
    texts += [k.id for k in area.kpis]
    return texts


def _release(home: Path, frames: dict[str, str] | None = None) -> None:
    """releases/latest with a datapackage and the given CSVs (every other dataset empty)."""
    folder = home / "releases" / "20270401T000000Z-test"
    (folder / "data").mkdir(parents=True)
    (folder / "validation").mkdir()
    (folder / "datapackage.json").write_text(json.dumps({"created": "2027-04-01T00:00:00Z"}))
    (folder / "validation" / "results.json").write_text(json.dumps({"passed": True}))
    for name, text in (frames or {}).items():
        (folder / "data" / f"{name}.csv").write_text(text, encoding="utf-8")
    os.symlink(folder.name, home / "releases" / "latest")


REGIONAL_KPIS = """kpi_id,kpi_name_ja,kpi_name_en,period,period_type,period_year,value,cumulative_value,members_reporting
visitors,観光客数,Visitors,CY2024,CY,2024,3000000,,3
visitors,観光客数,Visitors,CY2025,CY,2025,3100000,,3
net_moves,社会増減,Net moves,CY2025,CY,2025,-120,,3
"""
MUNICIPAL = """kpi_id,municipality_code,period,period_year,value
visitors,02203,CY2025,2025,2500000
visitors,02441,CY2025,2025,200000
visitors,02442,CY2025,2025,400000
"""


@pytest.fixture
def other_home(tmp_path: Path, monkeypatch) -> Home:
    folder = tmp_path / "area"
    folder.mkdir()
    (folder / "area.yaml").write_text(yaml.safe_dump(OTHER_AREA, allow_unicode=True),
                                      encoding="utf-8")
    home = Home((tmp_path / "home").resolve())
    home.root.mkdir()
    record_area(home, folder)
    _release(home.root, {"regional_kpis": REGIONAL_KPIS, "municipal_indicators": MUNICIPAL})
    monkeypatch.setenv("KURUME_HUB_HOME", str(home.root))
    return home


@pytest.fixture
def kurume_home(tmp_path: Path, monkeypatch) -> Home:
    """A home of the default area (no area/ folder: made before areas existed)."""
    home = Home((tmp_path / "kurume").resolve())
    home.root.mkdir()
    _release(home.root)
    monkeypatch.setenv("KURUME_HUB_HOME", str(home.root))
    return home


def test_an_area_without_projects_has_no_projects_page_and_no_link_to_one(other_home: Home):
    pages = render_pages(other_home)
    assert "projects.html" not in pages and "projects.en.html" not in pages
    for name, text in pages.items():
        assert 'href="projects' not in text, name
    # the pages it does have: overview, one per KPI, flows (it has a KPI of net moves), ...
    assert {"index.html", "kpi-visitors.html", "kpi-net_moves.en.html", "flows.html",
            "scorecards.html", "report.html"} <= set(pages)


def test_an_area_without_projects_still_builds_its_site(other_home: Home):
    result = build_site_result(other_home, pdf=False)
    assert result.index.is_file()
    assert not (other_home.site / "projects.html").exists()
    assert (other_home.site / "assets" / "plotly.min.js").is_file()


def test_the_site_of_another_area_contains_no_kurume_text(other_home: Home, tmp_path: Path,
                                                          monkeypatch):
    # The pages follow the home they are rendered for, even in a process started for another.
    monkeypatch.setenv("KURUME_HUB_HOME", str(tmp_path / "a-kurume-home"))
    pages = render_pages(other_home)
    for name, text in pages.items():
        for fact in _kurume_texts():
            assert fact not in text, f"{fact} in {name}"


def test_names_vision_publisher_and_counts_come_from_the_area(other_home: Home):
    pages = render_pages(other_home)
    index, index_en = pages["index.html"], pages["index.en.html"]
    assert "試験広域連携中枢都市圏 KPI ダッシュボード" in index
    assert "Test regional hub city area — KPI dashboard" in index_en
    assert "八戸市・三戸町・五戸町" in index  # members, in the area's order
    assert "Hachinohe City, Sannohe Town and Gonohe Town" in index_en
    assert "試験広域連携中枢都市圏 事務局が作成" in index  # 出典
    assert "圏域の KPI（2 指標）" in index and "The area's two KPIs" in index_en
    assert "試験圏域ビジョン（2027〜2031年度）" in index
    assert "試験圏域ビジョン（2027〜2031）" in pages["kpi-visitors.html"]  # the chart's band
    assert "More visitors" in index_en  # the field's English name from the area
    # the target of the net-moves KPI, from the area: +500 over 2027–2031
    assert "+500人、2027〜2031年" in pages["flows.html"]
    assert "県内" in pages["flows.html"] or "データなし" in pages["flows.html"]


def test_display_units_scale_values_by_the_one_unit_table(other_home: Home):
    pages = render_pages(other_home)
    # 3,100,000 persons in 万人 is 310
    assert "310万人" in pages["index.html"]
    for row in unit_table():
        assert UNITS[row.unit].factor == row.factor
        assert UNITS[row.unit].en_factor == row.en_factor
    assert set(BASE_UNITS) >= {"persons", "yen", "projects"}
    assert unit_for("千人").factor == 1000 and unit_for("persons").ja == "人"


def test_per_capita_follows_the_area_or_the_kpis_method(other_home: Home):
    area = reference.area()
    spec = reference.per_capita(area.kpi("visitors"))
    assert isinstance(spec, reference.PerCapita)
    # more visitors than residents: per resident; net moves are few: per 1,000 residents
    assert (spec.per, spec.unit_ja, spec.divisor) == (1, "人/住民1人", 1)
    moves = reference.per_capita(area.kpi("net_moves"))
    assert (moves.per, moves.unit_en) == (1000, "persons per 1,000 residents")
    page = render_pages(other_home)["kpi-visitors.html"]
    assert "人口当たりの比較" in page and "220,000" in page  # population_approx of the hub


def test_kurume_reads_its_per_capita_context_and_pages_from_its_folder(kurume_home: Home):
    area = reference.area()
    assert area.id == "kurume"
    specs = {k.id: reference.per_capita(k) for k in area.kpis}
    per = [s for s in specs.values() if isinstance(s, reference.PerCapita)]
    notes = [s for s in specs.values() if not isinstance(s, reference.PerCapita)]
    assert len(per) + len(notes) == len(area.kpis) and per and notes
    assert any(s.divisor == 1e4 for s in per)  # 万円/人: yen per 10,000
    pages = render_pages(kurume_home)
    assert "projects.html" in pages and "flows.en.html" in pages
    assert f"{area.name_ja} KPI ダッシュボード" in pages["index.html"]
    assert f"（{len(area.kpis)} 指標）" in pages["index.html"]
    assert f"{len(reference.projects())} 事業" in pages["index.html"]


def test_field_names_in_english_come_from_the_areas_kpis(kurume_home: Home):
    kpi = reference.area().kpis[0]
    assert reference.field_name(kpi.field_ja, EN) == kpi.field_en
    assert reference.field_name(kpi.field_ja, JA) == kpi.field_ja


AREAS = sorted(p.parent.name for p in (REPO / "sources" / "areas").glob("*/area.yaml")
               if p.parent.name != KURUME.name)


@pytest.mark.parametrize("area_id", AREAS)
def test_every_other_area_in_the_repo_renders_without_kurume_text(area_id: str, tmp_path: Path):
    """Each area folder renders from an empty release: its own names, only its own pages."""
    home = Home((tmp_path / "home").resolve())
    home.root.mkdir()
    area = record_area(home, REPO / "sources" / "areas" / area_id)
    _release(home.root)
    pages = render_pages(home)
    for name, text in pages.items():
        for fact in _kurume_texts():
            assert fact not in text, f"{fact} in {name}"
    assert f"{area.name_ja} KPI ダッシュボード" in pages["index.html"]
    assert all(f"kpi-{k.id}.html" in pages for k in area.kpis)
    published = {d.name for d in published_datasets(area)}
    assert ("projects.html" in pages) == ("project_budgets" in published)
    assert ("scorecards.html" in pages) == ("kpi_records" in area.datasets)
    for name, text in pages.items():
        for page in ("projects", "scorecards", "flows"):
            if f"{page}.html" not in pages:
                assert f'href="{page}' not in text, (name, page)


def test_a_synthetic_area_says_so_on_every_page(other_home: Home, tmp_path: Path):
    folder = tmp_path / "synthetic"
    folder.mkdir()
    (folder / "area.yaml").write_text(yaml.safe_dump({**OTHER_AREA, "synthetic": True},
                                                     allow_unicode=True), encoding="utf-8")
    record_area(other_home, folder)
    for name, text in render_pages(other_home).items():
        assert "合成データ" in text or "synthetic data" in text, name


# A stand-in for Chromium: records which pages existed when it was started (printing runs
# while the other pages render), waits, then writes the PDF; or fails with a long stderr.
FAKE_CHROMIUM = """#!/bin/sh
for arg in "$@"; do case "$arg" in --print-to-pdf=*) out="${arg#--print-to-pdf=}";; esac; done
dir=$(dirname "$out")
if [ "$FAKE_FAIL" = 1 ]; then head -c 200000 /dev/zero | tr '\\0' x >&2; echo broken >&2; exit 3; fi
ls "$dir" > "$dir/../pages-at-print-start.txt"
sleep 1
printf '%%PDF-1.4 fake' > "$out"
"""


@pytest.fixture
def fake_chromium(tmp_path: Path, monkeypatch) -> Path:
    script = tmp_path / "fake-chromium"
    script.write_text(FAKE_CHROMIUM, encoding="utf-8")
    script.chmod(0o755)
    monkeypatch.setenv("KURUME_HUB_CHROMIUM", str(script))
    monkeypatch.setenv("TMPDIR", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    # TMPDIR read again (Chromium's profile goes under tmp_path), and tempfile's cached folder
    # put back afterwards: left pointing here, later tests of this process would use it.
    monkeypatch.setattr(tempfile, "tempdir", None)
    return tmp_path


def test_the_report_prints_while_the_other_pages_render(other_home: Home, fake_chromium: Path):
    result = build_site_result(other_home)
    started_with = (other_home.root / "pages-at-print-start.txt").read_text().split()
    assert "report.html" in started_with and "index.en.html" not in started_with
    assert result.pdf == other_home.site / "report.pdf" and result.pdf_skipped is None
    assert result.pdf.read_bytes().startswith(b"%PDF")
    assert set(result.pages) <= {p.name for p in other_home.site.iterdir()}
    assert list((fake_chromium / "tmp").iterdir()) == []  # profile and print copy removed


def test_a_failed_print_is_reported_and_the_pdf_link_removed(other_home: Home,
                                                             fake_chromium: Path, monkeypatch):
    monkeypatch.setenv("FAKE_FAIL", "1")  # and 200 kB on stderr: no pipe to fill and stall
    result = build_site_result(other_home)
    assert result.pdf is None and "終了コード 3" in result.pdf_skipped
    assert "broken" in result.pdf_skipped
    assert not (other_home.site / "report.pdf").exists()
    assert all("<!--pdf-->" not in (other_home.site / name).read_text(encoding="utf-8")
               for name in result.pages)


def _area_of(n: int, tmp_path: Path):
    """OTHER_AREA with ``n`` made-up members (codes of the real format)."""
    raw = {**OTHER_AREA, "id": f"many{n}", "members": [
        {"code": f"{1 + i % 47:02d}{201 + i // 47:03d}", "name_ja": f"市{i}",
         "name_en": f"City {i}"} for i in range(n)]}
    folder = tmp_path / raw["id"]
    folder.mkdir()
    (folder / "area.yaml").write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    return load_area(folder)


def test_a_small_area_draws_every_member_in_its_order(tmp_path: Path):
    from orchestration.dashboard.scale import MAX_SERIES, member_series

    area = _area_of(MAX_SERIES, tmp_path)
    with reference.rendering(area):
        codes = [m.code for m in area.members]
        sizes = {c: float(i) for i, c in enumerate(reversed(codes))}
        series = member_series(sizes)
        assert [s.key for s in series] == codes and not any(s.is_others for s in series)
        assert reference.member_names(JA).count("・") == MAX_SERIES - 1


def test_a_large_area_draws_its_largest_members_and_the_others_together(tmp_path: Path):
    from orchestration.dashboard.scale import OTHERS, TOP_MEMBERS, member_series

    area = _area_of(300, tmp_path)
    with reference.rendering(area):
        codes = [m.code for m in area.members]
        sizes = {c: (-1.0 if i % 2 else 1.0) * i for i, c in enumerate(codes)}  # sign ignored
        series = member_series(sizes)
        assert len(series) == TOP_MEMBERS + 1
        assert [s.key for s in series[:-1]] == codes[::-1][:TOP_MEMBERS]
        rest = series[-1]
        assert rest.key == OTHERS and len(rest.codes) == 300 - TOP_MEMBERS
        assert set(rest.codes).isdisjoint(s.key for s in series[:-1])
        assert rest.label(JA) == "その他 290 団体" and rest.label(EN) == "290 other members"
        assert reference.member_names(JA) == "構成 300 団体"
        assert reference.member_names(EN) == "its 300 members"


def test_a_large_areas_member_kpis_are_summarised_and_each_on_its_members_page(
        tmp_path: Path, monkeypatch):
    from orchestration.dashboard.scale import TOP_MEMBERS

    area = _area_of(40, tmp_path)
    home = Home((tmp_path / "home").resolve())
    home.root.mkdir()
    record_area(home, tmp_path / area.id)
    codes = [m.code for m in area.members]
    # member i reports i % 5 + 1 KPIs of its own: the largest are the last ones of each five
    score = ["kpi_id,kpi_name_ja,kpi_name_en,scope_code,period,period_year,unit,actual_value,"
             "progress_mark,outlook"]
    score += [f"M{i}-{k:02d},独自指標{k},Own KPI {k},{code},FY2025,2025,件,{k},○,A"
              for i, code in enumerate(codes) for k in range(i % 5 + 1)]
    _release(home.root, {"kpi_scorecard": "\n".join(score) + "\n"})
    monkeypatch.setenv("KURUME_HUB_HOME", str(home.root))
    pages = render_pages(home)
    for lang in ("", ".en"):
        scorecards = pages[f"scorecards{lang}.html"]
        assert 'id="m-' not in scorecards, "no section per member on the summary page"
        summary = scorecards.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
        assert summary.count("<tr>") == TOP_MEMBERS + 1  # the largest ten and the others
        assert f'href="member-{codes[4]}{lang}.html"' in summary
        member = pages[f"member-{codes[4]}{lang}.html"]
        assert all(f"M4-{k:02d}" in member for k in range(5))
        assert "M3-00" not in member
    assert sum(name.startswith("member-") for name in pages) == 2 * 40


def test_a_large_areas_projects_page_has_no_column_per_member(tmp_path: Path, monkeypatch):
    import re

    from orchestration.dashboard.scale import MAX_SERIES

    area = _area_of(40, tmp_path)
    folder = tmp_path / area.id
    raw = yaml.safe_load((folder / "area.yaml").read_text(encoding="utf-8"))
    raw["datasets"] = [*raw["datasets"], "project_budgets"]
    (folder / "area.yaml").write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    codes = [m.code for m in area.members]
    (folder / "projects.csv").write_text(
        "no,field_ja,name_ja,name_en,participating_lg_code5\n"
        f"1,交流の拡大,共同事業,Joint project,{';'.join(codes)}\n"
        f"2,交流の拡大,小さな事業,Small project,{';'.join(codes[:3])}\n", encoding="utf-8")
    home = Home((tmp_path / "home").resolve())
    home.root.mkdir()
    record_area(home, folder)
    rows = ["fiscal_year,project_no,project_name_ja,municipality_code,budget_yen"]
    rows += [f"2025,1,共同事業,{c},{(i + 1) * 1_000_000}" for i, c in enumerate(codes)]
    rows += [f"2025,2,小さな事業,{c},500" for c in codes[:3]]
    _release(home.root, {"project_budgets": "\n".join(rows) + "\n"})
    monkeypatch.setenv("KURUME_HUB_HOME", str(home.root))
    pages = render_pages(home)
    for lang in ("", ".en"):
        projects_page = pages[f"projects{lang}.html"]
        for head in re.findall(r"<thead><tr>(.*?)</tr></thead>", projects_page):
            assert head.count("<th") <= MAX_SERIES + 4, head[:200]
        for data in re.findall(r'Plotly\.newPlot\("[^"]+",(\[.*?\]),\{', projects_page):
            assert data.count('"type":"bar"') <= MAX_SERIES
        member = pages[f"member-{codes[1]}{lang}.html"]
        assert "<td class=num>2,000</td>" in member  # its budget of project 1 (k yen)
        assert ("小さな事業" if lang == "" else "Small project") in member
        assert ("小さな事業" if lang == "" else "Small project") not in pages[
            f"member-{codes[5]}{lang}.html"]
