"""The dashboard and the annual report as files: every page there, offline, linked, in Japanese.

Browser checks (JavaScript errors, rendered charts, load time, screenshots, the PDF) are in
test_site_browser.py.
"""

from __future__ import annotations

import json
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlparse

import pandas as pd
import pytest

from orchestration.area import load_area
from orchestration.dashboard.data import group_of
from orchestration.dashboard.fmt import EN, JA, era_label, num, period_label
from orchestration.dashboard.pages.flows import sankey_links
from orchestration.dashboard.site import build_site, build_site_result
from orchestration.home import Home

ROOT = Path(__file__).resolve().parents[2]
KPI_NAMES_JA = {
    "regional_gross_product": "圏域の総生産額",
    "tourist_visitors": "観光入込客数",
    "central_pedestrian_traffic": "中心市街地の歩行者通行量",
    "university_collab_projects": "大学等と連携した事業実施数",
    "lifestyle_service_users": "生活関連機能サービスの利用者数",
    "net_social_migration": "圏域人口の社会動態",
}
PAGES = ["index", *(f"kpi-{k}" for k in KPI_NAMES_JA), "flows", "projects", "scorecards",
         "report"]
ALL_PAGES = [f"{p}.html" for p in PAGES] + [f"{p}.en.html" for p in PAGES]


class _Links(HTMLParser):
    """Collects what a page loads (script src, link href) and where it links (a href)."""

    def __init__(self):
        super().__init__()
        self.loads: list[str] = []
        self.links: list[str] = []
        self.tables: list[dict] = []
        self._table: dict | None = None
        self._cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "script" and a.get("src"):
            self.loads.append(a["src"])
        elif tag == "link" and a.get("href") and a.get("rel") != "alternate":
            self.loads.append(a["href"])
        elif tag == "img" and a.get("src"):
            self.loads.append(a["src"])
        elif tag == "a" and a.get("href"):
            self.links.append(a["href"])
        elif tag == "table":
            self._table = {"attrs": a, "headers": []}
        elif tag == "th" and self._table is not None:
            self._cell = []

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)

    def handle_endtag(self, tag):
        if tag == "th" and self._cell is not None and self._table is not None:
            self._table["headers"].append("".join(self._cell).strip())
            self._cell = None
        elif tag == "table" and self._table is not None:
            self.tables.append(self._table)
            self._table = None


def _parse(path: Path) -> _Links:
    parser = _Links()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


@pytest.fixture(scope="module")
def site(demo_home: Path) -> Path:
    """The site that `kurume-hub demo` published (built by the Dagster `dashboard` asset)."""
    return demo_home / "site"


def test_every_page_exists_in_japanese_and_english(site: Path):
    missing = [p for p in ALL_PAGES if not (site / p).is_file()]
    assert not missing, missing
    assert (site / "assets" / "plotly.min.js").stat().st_size > 1_000_000
    assert (site / "assets" / "site.css").is_file()


def test_plotly_js_is_shipped_once_and_every_page_references_it(site: Path):
    for name in ALL_PAGES:
        page = (site / name).read_text(encoding="utf-8")
        assert '<script src="assets/plotly.min.js"></script>' in page, name
        assert len(page) < 1_000_000 and "plotly.js v" not in page, f"{name} embeds plotly.js"
    assert len(list(site.rglob("plotly*.js"))) == 1


def test_no_page_loads_anything_from_the_network(site: Path):
    for path in site.glob("*.html"):
        parsed = _parse(path)
        remote = [u for u in parsed.loads if urlparse(u).scheme or u.startswith("//")]
        assert not remote, f"{path.name} loads {remote}"
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"<(script|link|img|iframe)[^>]+(src|href)=\"(https?:)?//", text)
        # The only web address on the pages is the licence's deed.
        urls = set(re.findall(r"https?://[^\s\"'<>)]+", text))
        assert {urlparse(u).netloc for u in urls} <= {"creativecommons.org"}, (path.name, urls)


def test_every_local_link_resolves(site: Path):
    for path in site.glob("*.html"):
        for href in _parse(path).links + _parse(path).loads:
            parsed = urlparse(href)
            if parsed.scheme or href.startswith("#"):
                continue
            target = (path.parent / unquote(parsed.path)).resolve()
            assert target.exists(), f"{path.name}: broken link {href}"


def test_index_names_the_six_kpis_in_japanese_with_release_facts(site: Path, demo_home: Path):
    page = (site / "index.html").read_text(encoding="utf-8")
    for name in KPI_NAMES_JA.values():
        assert name in page
    release_id = (demo_home / "releases" / "latest").readlink().name
    assert release_id in page
    assert f"../releases/{release_id}/validation/index.html" in page
    assert "品質検査 合格" in page and "公開日時" in page
    assert "出典" in page and "CC BY 4.0" in page
    assert page.count('class="card"') == 6
    assert "目標経路" in page and "進捗度" in page and "評価（見込み）" in page


def test_site_names_the_area_members_publisher_and_counts_from_its_definition(site: Path):
    """Issue 12: the pages read the area (sources/areas/kurume/area.yaml), not typed-in names."""
    area = load_area(ROOT / "sources" / "areas" / "kurume")
    index = (site / "index.html").read_text(encoding="utf-8")
    assert f"{area.name_ja} KPI ダッシュボード" in index
    assert "・".join(m.name_ja for m in area.members) in index and area.publisher_ja in index
    assert f"圏域の KPI（{len(area.kpis)} 指標）" in index
    assert f"連携事業（{len(area.table('projects'))} 事業）" in index
    english = (site / "index.en.html").read_text(encoding="utf-8")
    assert f"{area.name_en} — KPI dashboard" in english and area.publisher_en in english
    assert all(k.field_en in english for k in area.kpis)
    band = f"（{area.first_year}〜{area.last_year}）"
    assert band in (site / f"kpi-{area.kpis[0].id}.html").read_text(encoding="utf-8")


def test_pages_switch_between_japanese_and_english(site: Path):
    for page in PAGES:
        ja = (site / f"{page}.html").read_text(encoding="utf-8")
        en = (site / f"{page}.en.html").read_text(encoding="utf-8")
        assert '<html lang="ja">' in ja and f'href="{page}.en.html"' in ja
        assert '<html lang="en">' in en and f'href="{page}.html"' in en
    assert "Regional KPIs at a glance" in (site / "index.en.html").read_text(encoding="utf-8")


def test_report_has_a_progress_table_for_every_kpi(site: Path):
    parsed = _parse(site / "report.html")
    tables = {t["attrs"].get("data-kpi"): t for t in parsed.tables if "eval" in
              t["attrs"].get("class", "")}
    assert set(tables) == set(KPI_NAMES_JA)
    for kpi, t in tables.items():
        headers = " ".join(t["headers"])
        for column in ("年", "目標値", "実績値", "進捗度", "評価"):
            assert column in headers, (kpi, headers)
    page = (site / "report.html").read_text(encoding="utf-8")
    for name in KPI_NAMES_JA.values():
        assert name in page
    # Counts per policy direction (the vision's fields) and room for commentary.
    for field in ("圏域全体の経済成長のけん引", "高次の都市機能の集積・強化", "生活関連機能サービスの向上"):
        assert field in page
    assert page.count('class="commentary"') == 6
    assert "@page{size:A4" in (site / "assets" / "site.css").read_text(encoding="utf-8")


def test_kpi_pages_offer_the_data_behind_each_chart(site: Path, demo_home: Path):
    release_id = (demo_home / "releases" / "latest").readlink().name
    for kpi, name in KPI_NAMES_JA.items():
        page = (site / f"kpi-{kpi}.html").read_text(encoding="utf-8")
        assert f"<h1>{name}</h1>" in page
        for dataset in ("regional_kpis", "kpi_scorecard", "municipal_indicators"):
            assert f"../releases/{release_id}/data/{dataset}.csv" in page
        assert '<details class="data"' in page and "<table" in page
    per_capita = (site / "kpi-tourist_visitors.html").read_text(encoding="utf-8")
    assert "概数" in per_capita and "順位付けではありません" in per_capita


def test_flows_page_has_a_sankey_with_a_year_selector(site: Path):
    page = (site / "flows.html").read_text(encoding="utf-8")
    assert '"type":"sankey"' in page and '"updatemenus"' in page
    assert "+2,500" in page and "社会増減" in page


def test_projects_page_lists_the_39_projects_by_field(site: Path):
    page = (site / "projects.html").read_text(encoding="utf-8")
    rows = re.findall(r'<tr><td class="num">(\d+)</td>', page.split("</table>")[0])
    assert [int(r) for r in rows] == list(range(1, 40))
    assert "各市町合計額" in page and "負担割合" in page


def test_scorecards_group_each_members_kpis_and_count_the_marks(site: Path, demo_home: Path):
    page = (site / "scorecards.html").read_text(encoding="utf-8")
    score = pd.read_csv(demo_home / "releases" / "latest" / "data" / "kpi_scorecard.csv",
                        encoding="utf-8-sig", dtype=str)
    own = score[score["scope_code"] != "area"]
    for code in set(own["scope_code"]):
        assert f'id="m-{code}"' in page
    for group in {group_of(k) for k in own["kpi_id"]}:
        assert f"<code>{group}</code>" in page


def test_no_page_prints_nan_or_none_for_an_empty_cell(site: Path):
    for name in ALL_PAGES:
        page = (site / name).read_text(encoding="utf-8")
        visible = re.sub(r"<[^>]+>", " ", re.sub(r"<script.*?</script>", " ", page, flags=re.S))
        words = set(re.findall(r"[A-Za-z<>]+", visible))
        assert not words & {"nan", "NaN", "None", "null", "undefined"}, name


def test_a_release_with_empty_datasets_still_renders(tmp_path: Path, demo_home: Path):
    """Members' data arrives over time: pages render with "データなし", never crash."""
    home = Home(tmp_path / "home")
    latest = demo_home / "releases" / "latest"
    release = home.releases / "20260101T000000Z-000000000000"
    (release / "data").mkdir(parents=True)
    (release / "validation").mkdir()
    shutil.copy(latest / "datapackage.json", release / "datapackage.json")
    (release / "validation" / "results.json").write_text(json.dumps({"passed": True}))
    tourism = pd.read_csv(latest / "data" / "regional_kpis.csv", encoding="utf-8-sig", dtype=str)
    tourism = tourism[tourism["kpi_id"] == "tourist_visitors"]
    (release / "data" / "regional_kpis.csv").write_text(
        tourism.to_csv(index=False), encoding="utf-8-sig")
    (home.releases / "latest").symlink_to(release.name)

    result = build_site_result(home, pdf=False)

    assert result.index.exists() and len(result.pages) == len(ALL_PAGES)
    index = result.index.read_text(encoding="utf-8")
    assert all(name in index for name in KPI_NAMES_JA.values())
    for page in ("flows.html", "projects.html", "scorecards.html", "kpi-regional_gross_product.html"):
        assert "データなし" in (home.site / page).read_text(encoding="utf-8"), page
    assert "9,634千人" in index or "千人" in index


def test_rebuild_swaps_the_whole_site_and_leaves_no_work_folders(built_home: Path):
    stale = built_home / "site" / "stale.html"
    stale.write_text("old", encoding="utf-8")
    index = build_site(Home(built_home), pdf=False)
    assert index == built_home / "site" / "index.html" and index.exists()
    assert not stale.exists()
    assert not [p for p in built_home.iterdir() if p.name.startswith(".site")]


def test_moves_between_members_count_once_as_the_origin_reported_them():
    flows = pd.DataFrame([
        # 久留米市 reports 10 out to 小郡市; 小郡市 reports 9 in from 久留米市.
        dict(calendar_year=2025, municipality_code="40203", counterpart_area_code="40216",
             counterpart_group="member", in_persons=4, out_persons=10),
        dict(calendar_year=2025, municipality_code="40216", counterpart_area_code="40203",
             counterpart_group="member", in_persons=9, out_persons=3),
        dict(calendar_year=2025, municipality_code="40203", counterpart_area_code="40130",
             counterpart_group="fukuoka_city", in_persons=100, out_persons=120),
    ])
    links = {(s, d): v for s, d, v in sankey_links(flows, 2025)}
    assert links == {("40203", "40216"): 10, ("40216", "40203"): 3,
                     ("fukuoka_city", "40203"): 100, ("40203", "fukuoka_city"): 120}


@pytest.mark.parametrize(("code", "group"), [
    ("KRM2-12", "KRM2"), ("OGR3-05", "OGR3"), ("OKW-01", "OKW"), ("A_1", "A"), ("X12", "X"),
    ("1.2.3", "1.2"),
])
def test_member_kpi_codes_group_by_their_prefix(code, group):
    assert group_of(code) == group


def test_periods_numbers_and_eras_print_as_the_area_writes_them():
    assert period_label("CY2023", JA) == "2023年" and period_label("FY2022", JA) == "2022年度"
    assert period_label("FY2022", EN) == "FY2022"
    assert period_label("CY2026-CY2030", JA) == "2026年〜2030年"
    assert era_label("FY2024") == "R6年度" and era_label("CY2016") == "H28年"
    assert era_label("FY2019") == "R元年度"
    assert num(-333) == "−333" and num(2500, signed=True) == "+2,500" and num(None) == "—"
    assert num(15597.09) == "15,597" and num(2.4) == "2.4"


def test_without_chromium_the_report_html_is_written_and_the_pdf_skipped(built_home: Path,
                                                                          monkeypatch):
    monkeypatch.setenv("KURUME_HUB_CHROMIUM", str(built_home / "no-such-chromium"))
    result = build_site_result(Home(built_home))
    assert result.pdf is None and "Chromium" in (result.pdf_skipped or "")
    site = built_home / "site"
    assert (site / "report.html").exists() and not (site / "report.pdf").exists()
    assert 'href="report.pdf"' not in (site / "index.html").read_text(encoding="utf-8")


def test_report_commentary_carries_the_submissions_notes_when_published(built_home: Path):
    """A note column (備考) in kpi_scorecard flows into the report's commentary."""
    data = built_home / "releases" / "latest" / "data"
    score = pd.read_parquet(data / "kpi_scorecard.parquet")
    score["note"] = None
    area = (score["scope_code"] == "area") & (score["kpi_id"] == "tourist_visitors")
    score.loc[area & (score["period_year"] == 2025), "note"] = "大型イベントの再開で増加"
    member = score["scope_code"] == "40216"
    first_kpi = score.loc[member, "kpi_id"].iloc[0]
    score.loc[member & (score["kpi_id"] == first_kpi), "note"] = "R6.4 時点の見込み"
    score.to_parquet(data / "kpi_scorecard.parquet", index=False)

    build_site(Home(built_home), pdf=False)

    report = (built_home / "site" / "report.html").read_text(encoding="utf-8")
    tourism = report.split('id="r-tourist_visitors"')[1].split("</section>")[0]
    assert "大型イベントの再開で増加" in tourism
    assert "市町からの備考" in report and "R6.4 時点の見込み" in report
