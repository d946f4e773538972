"""The site of a large area (issue 16): usable with hundreds of members, rebuilt in time
proportional to what changed.

One synthetic area of MEMBERS members (``kurume-hub init --synthetic --members``, the real
pipeline) is built once. The tests read the pages as files: every chart's plotly JSON has a
bounded number of series, nodes and categories; the member index lists every member once,
page by page, and every member has its pages; no page grows with the area. A second release
that changes one member's figure re-renders that member's pages and the area-wide pages
only: the others are the previous files (same inode, same mtime). In Chromium the search box
finds a member of another index page and leads to its page.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import time
from pathlib import Path

import pandas as pd
import pytest

from orchestration.dashboard.pages import members as M
from orchestration.dashboard.scale import MAX_SERIES, TOP_MEMBERS
from orchestration.dashboard.site import CACHE_FILE, build_site_result
from orchestration.home import Home
from tests.browser import Browser, ensure_chromium
from tests.conftest import run_cli

# Enough for a second index page and far beyond MAX_SERIES, and a build (the whole
# pipeline) that stays near a minute on two cores.
MEMBERS = 150
# Outside groups of the synthetic area (its eight regions and "other") besides the members.
MAX_NODES = 2 * (TOP_MEMBERS + 1 + 9)
# A chart may add a total line or marker to its series; categories on one axis stay readable.
MAX_TRACES = MAX_SERIES + 2
MAX_CATEGORIES = 40
# No page grows with the area: the largest (flows, a KPI page) stay well under this.
MAX_PAGE_BYTES = 400_000
NEW_PLOT = re.compile(r'Plotly\.newPlot\("([^"]+)",')


@pytest.fixture(scope="module")
def big_home(tmp_path_factory) -> Path:
    home = tmp_path_factory.mktemp("scale") / "home"
    started = time.perf_counter()
    run_cli("init", "--synthetic", "--members", str(MEMBERS), home=home, check=True)
    run_cli("build", home=home, check=True)
    print(f"\n{MEMBERS} members: init + build {time.perf_counter() - started:.1f} s")
    return home


@pytest.fixture(scope="module")
def codes(big_home: Path) -> list[str]:
    from orchestration.area import area_for

    return [m.code for m in area_for(Home(big_home)).members]


def charts(html: str) -> list[tuple[str, list, dict]]:
    """(div id, data, layout) of every Plotly.newPlot call on a page."""
    decoder = json.JSONDecoder()
    found = []
    for match in NEW_PLOT.finditer(html):
        data, end = decoder.raw_decode(html, match.end())
        layout, _ = decoder.raw_decode(html, end + 1)
        found.append((match.group(1), data, layout))
    return found


def test_no_chart_draws_a_series_per_member(big_home: Path):
    site = big_home / "site"
    seen = 0
    for path in sorted(site.glob("*.html")):
        for div, data, _ in charts(path.read_text(encoding="utf-8")):
            seen += 1
            where = f"{path.name}#{div}"
            sankeys = [t for t in data if t.get("type") == "sankey"]
            if sankeys:
                for trace in sankeys:
                    assert len(trace["node"]["label"]) <= MAX_NODES, where
                continue
            assert len(data) <= MAX_TRACES, (where, len(data))
            for trace in data:
                if trace.get("type") == "histogram":
                    continue  # values binned, not a category each
                for axis in ("x", "y"):
                    values = trace.get(axis) or []
                    if values and isinstance(values[0], str):
                        assert len(values) <= MAX_CATEGORIES, (where, axis, len(values))
    assert seen >= 10, "the pages have charts"


def test_every_member_is_listed_once_and_has_its_pages(big_home: Path, codes: list[str]):
    site = big_home / "site"
    assert len(codes) == MEMBERS
    pages = -(-MEMBERS // M.MEMBERS_PER_PAGE)
    for suffix in (".html", ".en.html"):
        listed = []
        for number in range(1, pages + 1):
            html = (site / f"{M.index_page_name(number)}{suffix}").read_text(encoding="utf-8")
            here = re.findall(rf'<a href="member-(\d{{5}}){re.escape(suffix)}">', html)
            assert 0 < len(here) <= M.MEMBERS_PER_PAGE
            listed += here
            # every index page links every other (the pager) and carries the search box
            for other in range(1, pages + 1):
                assert f'href="{M.index_page_name(other)}{suffix}"' in html
            assert 'id="member-search"' in html and M.SEARCH_SCRIPT in html
        assert listed == codes, "each member once, in the area's order"
        assert not (site / f"{M.index_page_name(pages + 1)}{suffix}").exists()
        for code in codes:
            page = (site / f"member-{code}{suffix}").read_text(encoding="utf-8")
            assert code in page
    script = (site / M.SEARCH_SCRIPT).read_text(encoding="utf-8")
    assert all(f'"{code}"' in script for code in codes)


def test_no_page_grows_with_the_area(big_home: Path):
    site = big_home / "site"
    html = list(site.glob("*.html"))
    aggregate = [p for p in html if not p.name.startswith("member")]
    # the area-wide pages, the member index, two pages per member
    assert len(html) == len(aggregate) + 2 * (-(-MEMBERS // M.MEMBERS_PER_PAGE)) + 2 * MEMBERS
    assert len(aggregate) <= 20
    sizes = {p.name: p.stat().st_size for p in html}
    biggest = max(sizes, key=sizes.get)
    assert sizes[biggest] < MAX_PAGE_BYTES, (biggest, sizes[biggest])
    # no table of the area's pages (and the printed report) has a row per member
    for path in aggregate:
        for body in re.findall(r"<tbody>(.*?)</tbody>", path.read_text(encoding="utf-8"), re.S):
            assert body.count("<tr") <= 2 * TOP_MEMBERS, path.name
    report = (site / "report.html").read_text(encoding="utf-8")
    assert "構成団体別の内訳" in report and f"その他 {MEMBERS - TOP_MEMBERS} 団体" in report
    # the footer names the members by their count, not every name
    index = (site / "index.html").read_text(encoding="utf-8")
    assert f"構成 {MEMBERS} 団体" in index


def test_every_local_link_of_every_page_resolves(big_home: Path):
    """Member pages link the current release (releases/latest) and each other by name."""
    site = big_home / "site"
    broken = set()
    for path in site.glob("*.html"):
        for href in re.findall(r'(?:href|src)="([^"#]+)', path.read_text(encoding="utf-8")):
            if re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:", href):
                continue  # a web link (the licence)
            if not (site / href).exists():
                broken.add((path.name, href))
    assert not broken, sorted(broken)[:10]


def _release_with_one_change(home: Home, code: str) -> str:
    """A new release, the latest with one member's figure changed; returns its id."""
    latest = home.latest.resolve()
    new_id = latest.name[:-12] + "0" * 11 + "1"
    new = home.releases / new_id
    shutil.copytree(latest, new)
    path = new / "data" / "municipal_indicators.parquet"
    frame = pd.read_parquet(path)
    row = frame.index[frame["municipality_code"] == code][-1]
    frame.loc[row, "value"] = frame.loc[row, "value"] * 2 + 1
    frame.to_parquet(path, index=False)
    frame.to_csv(new / "data" / "municipal_indicators.csv", index=False, encoding="utf-8-sig")
    pointer = home.releases / "latest.tmp"
    pointer.symlink_to(new_id)
    os.replace(pointer, home.latest)
    return new_id


def test_a_change_of_one_member_renders_only_its_pages_and_the_area_pages(
        big_home: Path, codes: list[str], tmp_path: Path):
    root = tmp_path / "home"
    shutil.copytree(big_home, root, symlinks=True)
    home = Home(root)
    site = home.site
    assert (site / CACHE_FILE).is_file()

    unchanged = build_site_result(home, pdf=False)
    area_pages = {p for p in unchanged.pages if not p.startswith("member")}
    assert set(unchanged.rendered) == area_pages, "nothing changed: only the area pages"
    before = {p.name: (p.stat().st_ino, p.stat().st_mtime_ns) for p in site.glob("*.html")}

    position = MEMBERS - 10  # on the second index page
    code = codes[position]
    _release_with_one_change(home, code)
    started = time.perf_counter()
    result = build_site_result(home, pdf=False)
    seconds = time.perf_counter() - started
    index_page = M.index_page_name(M.index_page_of(position))
    assert index_page == M.index_page_name(2)
    own = {f"member-{code}.html", f"member-{code}.en.html", f"{index_page}.html",
           f"{index_page}.en.html"}
    assert set(result.rendered) == area_pages | own
    assert len(result.reused) == len(result.pages) - len(area_pages | own)
    for name in result.reused:
        stat = (site / name).stat()
        assert (stat.st_ino, stat.st_mtime_ns) == before[name], f"{name} was rewritten"
    for name in own:
        assert (site / name).stat().st_ino != before[name][0], f"{name} was not re-rendered"
    print(f"\none member changed: {len(result.rendered)} pages rendered, "
          f"{len(result.reused)} reused, {seconds:.2f} s (nothing changed: {unchanged.seconds:.2f} s)")


def test_the_search_finds_a_member_of_another_page_and_leads_to_it(big_home: Path,
                                                                  codes: list[str], tmp_path):
    from orchestration.area import area_for

    member = area_for(Home(big_home)).members[-1]  # listed on the last index page
    site = big_home / "site"
    with Browser(ensure_chromium()) as browser:
        for suffix, name in ((".html", member.name_ja), (".en.html", member.name_en)):
            visit = browser.open((site / f"members{suffix}").as_uri())
            assert not visit.errors and not visit.network_requests, visit.errors
            assert name not in visit.text, "the last member is on a later page"
            browser.click("#member-search")
            browser.call("Input.insertText", {"text": name}, session=browser.session)
            found = browser.evaluate(
                "Array.from(document.querySelectorAll('#member-results a'))"
                ".map(a => [a.textContent, a.getAttribute('href')])")
            assert [name, f"member-{member.code}{suffix}"] in found, found
            browser.screenshot(tmp_path / f"search{suffix}.png", full_page=False)
            browser.click("#member-results a")
            browser.evaluate("new Promise(r => setTimeout(r, 300))")
            assert browser.evaluate("location.pathname").endswith(f"member-{member.code}{suffix}")
            assert name in browser.evaluate("document.querySelector('h1').textContent")
            # page 2 of the index is there and lists its members
            second = browser.open((site / f"{M.index_page_name(2)}{suffix}").as_uri())
            assert not second.errors and codes[M.MEMBERS_PER_PAGE] in second.text
        kpi = sorted(site.glob("kpi-*.html"))[0]
        visit = browser.open(kpi.as_uri())
        assert not visit.errors and not visit.network_requests
        assert visit.charts and all(c["svg"] > 0 and c["traces"] <= MAX_TRACES
                                    for c in visit.charts), visit.charts
