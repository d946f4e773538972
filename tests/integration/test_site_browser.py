"""The dashboard in a real browser: headless Chromium opens every page from disk.

A page fails on any JavaScript error (uncaught exception, console error, failed load), on
any request that leaves the machine, on a chart that did not render (plotly's SVG, not just
the div), and when it takes a second or more to load. Screenshots of every page and the PDF's
pages go to the test's tmp folder (the path is printed) for a person to look at.

Chromium and fonts-noto-cjk are installed when missing (tests/browser.py); if that fails the
tests fail, they never skip.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from orchestration.dashboard.site import build_site_result
from orchestration.home import Home
from tests.browser import FLAGS, Browser, ensure_chromium
from tests.integration.test_site import ALL_PAGES, KPI_NAMES_JA

LOAD_BUDGET_MS = 1000
# On a busy machine (make test runs two test processes on two cores) a page may take longer
# than the budget; it must still load within this many times the floor: plotly's own script
# and one chart, loaded in the same browser right before the page.
FLOOR_RATIO = 4
FLOOR_PAGE = """<!doctype html><meta charset="utf-8"><title>floor</title>
<script src="assets/plotly.min.js"></script><div class="chart" id="floor"></div>
<script>Plotly.newPlot("floor", [{y: [1, 3, 2], type: "scatter"}])</script>"""


@pytest.fixture(scope="module")
def chromium() -> str:
    return ensure_chromium()


@pytest.fixture(scope="module")
def site_home(demo_home: Path, chromium: str, tmp_path_factory) -> Home:
    """The demo's releases in a fresh home, its site rebuilt now that Chromium is there."""
    root = tmp_path_factory.mktemp("site") / "home"
    shutil.copytree(demo_home / "releases", root / "releases", symlinks=True)
    home = Home(root)
    result = build_site_result(home)
    assert result.pdf_skipped is None, result.pdf_skipped
    return home


@pytest.fixture(scope="module")
def shots(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("screenshots")
    print(f"\nscreenshots: {folder}")
    return folder


@pytest.fixture(scope="module")
def visits(site_home: Home, chromium: str, shots: Path) -> dict:
    """Every page opened once (after one warm-up load), with a full-page screenshot."""
    found, floors = {}, {}
    floor_page = site_home.site / "floor-page.html"
    floor_page.write_text(FLOOR_PAGE, encoding="utf-8")
    with Browser(chromium) as browser:
        browser.open((site_home.site / "index.html").as_uri())  # warm-up: process, disk cache
        for name in ALL_PAGES:
            url = (site_home.site / name).as_uri()
            floors[name] = browser.open(floor_page.as_uri()).load_ms
            visit = browser.open(url)
            if visit.load_ms >= _budget_ms(floors[name]):  # one retry: a busy machine
                floors[name] = browser.open(floor_page.as_uri()).load_ms
                again = browser.open(url)
                again.errors = visit.errors + again.errors
                visit = again if again.load_ms < visit.load_ms else visit
            visit.floor_ms = floors[name]
            browser.screenshot(shots / f"{name}.png")
            found[name] = visit
    floor_page.unlink()
    timings = {name: {"load": round(v.load_ms), "floor": round(floors[name])}
               for name, v in found.items()}
    (shots / "load_times.json").write_text(json.dumps(timings, indent=1), encoding="utf-8")
    print("load times (ms):", timings)
    return found


def _budget_ms(floor_ms: float) -> float:
    return max(LOAD_BUDGET_MS, FLOOR_RATIO * floor_ms)


def test_chromium_and_a_japanese_font_are_installed(chromium: str):
    version = subprocess.run([chromium, "--version"], capture_output=True, text=True, timeout=60)
    assert "Chromium" in version.stdout or "Chrome" in version.stdout
    fonts = subprocess.run(["fc-list", ":lang=ja", "family"], capture_output=True, text=True)
    assert fonts.stdout.strip(), "no font with Japanese glyphs"


@pytest.mark.parametrize("name", ALL_PAGES)
def test_page_opens_without_errors_and_renders_its_charts(visits: dict, name: str):
    visit = visits[name]
    assert not visit.errors, f"{name}: {visit.errors}"
    assert not visit.network_requests, f"{name} asked the network for {visit.network_requests}"
    assert visit.charts, f"{name} has no chart"
    for chart in visit.charts:
        assert chart["svg"] > 0 and chart["container"], f"{name}: {chart['id']} not rendered"
        assert chart["marks"] > 0 and chart["traces"] > 0, f"{name}: {chart['id']} is empty"
        assert chart["width"] > 200 and chart["height"] > 100, f"{name}: {chart['id']} {chart}"
    budget = _budget_ms(visit.floor_ms)
    assert visit.load_ms < budget, (f"{name} took {visit.load_ms:.0f} ms to load (budget "
                                    f"{budget:.0f} ms, floor {visit.floor_ms:.0f} ms)")


def test_overview_shows_six_kpi_cards_with_japanese_names(visits: dict):
    visit = visits["index.html"]
    for name in KPI_NAMES_JA.values():
        assert name in visit.text
    assert len(visit.charts) == 6
    assert "進捗度" in visit.text and "CC BY 4.0" in visit.text


def test_dump_dom_shows_rendered_plotly_charts_and_the_six_kpi_names(site_home: Home,
                                                                      chromium: str,
                                                                      tmp_path: Path):
    """The issue's acceptance command: ``chromium --headless --dump-dom file://…/index.html``."""
    result = subprocess.run(
        [chromium, *FLAGS, f"--user-data-dir={tmp_path / 'profile'}", "--dump-dom",
         (site_home.site / "index.html").as_uri()],
        capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
    assert result.returncode == 0, result.stderr[-2000:]
    dom = result.stdout
    assert dom.count('class="main-svg"') >= 6, "plotly did not render in --dump-dom"
    for name in KPI_NAMES_JA.values():
        assert name in dom


def test_sankey_year_selector_redraws_another_year(site_home: Home, chromium: str, shots: Path):
    with Browser(chromium) as browser:
        browser.open((site_home.site / "flows.html").as_uri())
        menu = browser.evaluate("""(() => {
            const gd = document.getElementById('sankey');
            const buttons = gd.layout.updatemenus[0].buttons;
            return {labels: buttons.map(b => b.label),
                    visible: gd._fullData.map(t => t.visible)};
        })()""")
        assert len(menu["labels"]) >= 2 and menu["visible"].count(True) == 1
        # A reader's clicks: open the menu, choose the first year.
        browser.click("#sankey .updatemenu-header-group")
        browser.evaluate("new Promise(r => setTimeout(r, 300))")
        browser.click("#sankey .updatemenu-dropdown-button", 0)
        title = browser.evaluate("""new Promise(r => setTimeout(() => {
            const gd = document.getElementById('sankey');
            r({title: gd.layout.title.text,
               menu: gd.querySelector('.updatemenu-header-group').textContent,
               visible: gd._fullData.map(t => t.visible === true),
               links: gd.querySelectorAll('.sankey-link').length});
        }, 400))""")
        first = menu["labels"][0]
        assert title["visible"][0] and title["visible"].count(True) == 1, title
        assert first.rstrip("年") in title["title"] and first in title["menu"], title
        assert title["links"] > 0
        browser.screenshot(shots / "flows-first-year.png", full_page=False)


def test_report_pdf_is_printed_on_a4_beside_the_html(site_home: Home, shots: Path):
    pdf = site_home.site / "report.pdf"
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF") and len(data) > 20_000
    boxes = re.findall(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", data)
    assert boxes, "no page size in the PDF"
    for width, height in boxes:  # A4 = 595 x 842 pt
        assert abs(float(width) - 595.3) < 2 and abs(float(height) - 841.9) < 2
    assert len(boxes) >= 3
    if shutil.which("pdftoppm"):  # pages as pictures, for a person to look at
        subprocess.run(["pdftoppm", "-r", "50", "-png", str(pdf), str(shots / "report-pdf")],
                       capture_output=True, timeout=120)
    index = (site_home.site / "index.html").read_text(encoding="utf-8")
    assert 'href="report.pdf"' in index
