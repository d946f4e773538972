"""The static dashboard in ``site/``, built from ``releases/latest`` only.

Pages (Japanese; each has an English twin ``<name>.en.html`` linked from the header):

- ``index.html``        overview: one card per regional KPI
- ``kpi-<kpi_id>.html``  one page per KPI: actuals vs yearly targets, members, per capita
- ``flows.html``        population flows (Sankey by year), net migration, cumulative target
                        (an area with a KPI of net moves)
- ``projects.html``     the area's projects × members, budgets by fiscal year (an area that
                        publishes project budgets, i.e. has a projects table)
- ``scorecards.html``   each member's own KPIs with marks, grouped by code prefix (an area that
                        collects kpi_records)
- ``report.html``       the annual evaluation report, print-ready on A4; ``report.pdf`` beside it

plotly.js is shipped once in ``site/assets/plotly.min.js`` and the one stylesheet in
``site/assets/site.css``; every page references both from disk (no CDN, no network). The new
site is written next to the old one and swapped in, so a reader never sees half a site.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from orchestration.area import area_for
from orchestration.dashboard.data import Release, kpi_views, load_release
from orchestration.dashboard.fmt import EN, JA
from orchestration.dashboard.pages.flows import render_flows
from orchestration.dashboard.pages.kpis import kpi_page_name, render_index, render_kpi_page
from orchestration.dashboard.pages.projects import render_projects
from orchestration.dashboard.pages.report import render_report
from orchestration.dashboard.pages.scorecards import render_scorecards
from orchestration.dashboard.pdf import start_printing
from orchestration.dashboard.reference import (
    MEMBER_KPIS_DATASET,
    PROJECTS_DATASET,
    area,
    migration_kpi,
    published,
    rendering,
)
from orchestration.dashboard.templates import STYLESHEET, SiteContext
from orchestration.home import Home

log = logging.getLogger(__name__)
PDF_LINK = re.compile(r"<!--pdf-->.*?<!--/pdf-->", re.S)
# The page report.pdf is printed from (the Japanese report).
PDF_SOURCE = JA.page("report")

@dataclass
class SiteResult:
    index: Path
    pages: list[str] = field(default_factory=list)
    pdf: Path | None = None
    pdf_skipped: str | None = None
    seconds: float = 0.0


def write_plotly_js(target: Path) -> None:
    from plotly.offline import get_plotlyjs

    target.write_text(get_plotlyjs(), encoding="utf-8")


def site_pages() -> tuple[str, ...]:
    """The pages of the navigation this area has: flows needs a KPI of net moves, projects
    an area that publishes project budgets, the members' KPIs an area that collects them."""
    optional = {"flows": migration_kpi() is not None, "projects": published(PROJECTS_DATASET),
                "scorecards": MEMBER_KPIS_DATASET in area().datasets}
    return tuple(p for p in ("index", "flows", "projects", "scorecards", "report")
                 if optional.get(p, True))


def render_pages(home: Home, release: Release | None = None) -> dict[str, str]:
    """Every page of the site by file name (both languages), from ``releases/latest`` (or the
    given release), named after the home's area."""
    with rendering(area_for(home)):
        return dict(_page_texts(release or load_release(home)))


def _page_texts(release: Release) -> Iterator[tuple[str, str]]:
    """(file name, HTML) of every page; the Japanese report first, so that Chromium can print
    it while the rest render (build_site_result)."""
    migration = migration_kpi()
    ctx = SiteContext(release_id=release.release_id, created=release.created,
                      validation_passed=release.validation_passed, warnings=release.warnings,
                      validation_href=release.href("validation/index.html"),
                      datapackage_href=release.href("datapackage.json"),
                      pages=site_pages())
    for lang in (JA, EN):
        views = kpi_views(release, lang)
        yield lang.page("report"), render_report(release, views, ctx, lang)
        yield lang.page("index"), render_index(release, views, ctx, lang)
        for view in views:
            yield lang.page(kpi_page_name(view)), render_kpi_page(release, views, view, ctx, lang)
        if ctx.has("flows"):
            view = next(v for v in views if v.kpi_id == migration.id)
            yield lang.page("flows"), render_flows(release, view, ctx, lang)
        if ctx.has("projects"):
            yield lang.page("projects"), render_projects(release, ctx, lang)
        if ctx.has("scorecards"):
            yield lang.page("scorecards"), render_scorecards(release, ctx, lang)


def build_site(home: Home, pdf: bool = True) -> Path:
    """Regenerate the whole site next to the old one, then swap it in; returns index.html."""
    return build_site_result(home, pdf=pdf).index


def build_preview(home: Home, release_id: str, pdf: bool = True) -> SiteResult:
    """The site as the pending release ``release_id`` would make it, in ``preview/<id>/``,
    for the secretariat to look at before approving (the portal serves it to them only; its
    links reach the release's files under ``release/``). Previews of other ids are removed:
    only the release that waits can be approved."""
    release = load_release(home, home.pending_releases / release_id, href_base="release/")
    result = build_site_result(home, pdf=pdf, release=release,
                               target=home.previews / release_id)
    for other in home.previews.iterdir():
        if other.name != release_id:
            shutil.rmtree(other, ignore_errors=True)
    return result


def build_site_result(home: Home, pdf: bool = True, release: Release | None = None,
                      target: Path | None = None) -> SiteResult:
    """``release``/``target``: another release and folder than ``releases/latest`` and
    ``site/`` (a preview)."""
    started = time.perf_counter()
    target = target or home.site
    target.parent.mkdir(parents=True, exist_ok=True)
    work = target.parent / f".site-{uuid.uuid4().hex}"
    (work / "assets").mkdir(parents=True)
    printing, pages = None, {}
    try:
        write_plotly_js(work / "assets" / "plotly.min.js")
        (work / "assets" / "site.css").write_text(STYLESHEET.lstrip(), encoding="utf-8")
        with rendering(area_for(home)):
            for name, text in _page_texts(release or load_release(home)):
                (work / name).write_text(text, encoding="utf-8")
                pages[name] = text
                if pdf and name == PDF_SOURCE:
                    # Printed in the new folder: its relative links (assets/, ../releases/)
                    # resolve the same as in site/, which sits beside it in the home.
                    printing = start_printing(work / PDF_SOURCE, work / "report.pdf")
        skipped = printing.wait() if printing else "PDF not requested"
        if printing and skipped:
            log.warning(skipped)
        if skipped:
            for name, text in pages.items():
                if "<!--pdf-->" in text:
                    (work / name).write_text(PDF_LINK.sub("", text), encoding="utf-8")
    except BaseException:
        if printing is not None:
            printing.cancel()
        shutil.rmtree(work, ignore_errors=True)
        raise
    old = target.parent / f".site-old-{uuid.uuid4().hex}"
    if target.exists():
        os.replace(target, old)
    os.replace(work, target)
    shutil.rmtree(old, ignore_errors=True)
    result = SiteResult(index=target / "index.html", pages=sorted(pages),
                        pdf=None if skipped else target / "report.pdf", pdf_skipped=skipped,
                        seconds=time.perf_counter() - started)
    return result
