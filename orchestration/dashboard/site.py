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
- ``members.html``, ``members-<n>.html``, ``member-<code>.html``  a large area's member index
                        and a page per member (pages/members.py)

Pages that show one member's figures only are keyed on everything they show (a content hash
of the rendered inputs, kept in ``site/.pages.json``): a new build links the previous page into
the new site when its key is the same, and renders only the others, so a build after one
member's change re-renders that member's pages and the area-wide pages, not every member's.

plotly.js is shipped once in ``site/assets/plotly.min.js`` and the one stylesheet in
``site/assets/site.css``; every page references both from disk (no CDN, no network). The new
site is written next to the old one and swapped in, so a reader never sees half a site.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import shutil
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path

from orchestration.area import area_for
from orchestration.dashboard.data import Release, kpi_views, load_release
from orchestration.dashboard.fmt import EN, JA
from orchestration.dashboard.pages import members as M
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
    members,
    migration_kpi,
    projects,
    published,
    rendering,
)
from orchestration.dashboard.scale import many_members
from orchestration.dashboard.templates import STYLESHEET, SiteContext
from orchestration.home import Home

log = logging.getLogger(__name__)
PDF_LINK = re.compile(r"<!--pdf-->.*?<!--/pdf-->", re.S)
# The page report.pdf is printed from (the Japanese report).
PDF_SOURCE = JA.page("report")
# The keys of the pages a site may reuse (beside the pages, swapped in with them).
CACHE_FILE = ".pages.json"

@dataclass
class SiteResult:
    index: Path
    pages: list[str] = field(default_factory=list)
    pdf: Path | None = None
    pdf_skipped: str | None = None
    seconds: float = 0.0
    # Of the pages: those rendered by this build, and those taken unchanged from the
    # previous site (their inputs had the same content hash).
    rendered: list[str] = field(default_factory=list)
    reused: list[str] = field(default_factory=list)


@dataclass
class Page:
    """A page to write: ``key`` (a content hash of everything it shows) when it may be reused
    from the previous site, None when it is rendered every time (it names the release)."""

    name: str
    render: Callable[[], str]
    key: str | None = None


PLOTLY_JS = "assets/plotly.min.js"


def plotly_version() -> str:
    from plotly import __version__

    return __version__


def write_plotly_js(target: Path) -> None:
    from plotly.offline import get_plotlyjs

    target.write_text(get_plotlyjs(), encoding="utf-8")


def site_pages() -> tuple[str, ...]:
    """The pages of the navigation this area has: flows needs a KPI of net moves, projects
    an area that publishes project budgets, the members' KPIs an area that collects them."""
    optional = {"flows": migration_kpi() is not None, "projects": published(PROJECTS_DATASET),
                "scorecards": MEMBER_KPIS_DATASET in area().datasets,
                "members": many_members()}
    return tuple(p for p in ("index", "flows", "projects", "scorecards", "members", "report")
                 if optional.get(p, True))


def render_pages(home: Home, release: Release | None = None) -> dict[str, str]:
    """Every page of the site by file name (both languages), from ``releases/latest`` (or the
    given release), named after the home's area."""
    with rendering(area_for(home)):
        return {p.name: p.render() for p in _site_pages(release or load_release(home))}


def _site_pages(release: Release) -> Iterator[Page]:
    """Every page; the Japanese report first, so that Chromium can print it while the rest
    render (build_site_result)."""
    migration = migration_kpi()
    ctx = SiteContext(release_id=release.release_id, created=release.created,
                      validation_passed=release.validation_passed, warnings=release.warnings,
                      validation_href=release.href("validation/index.html"),
                      datapackage_href=release.href("datapackage.json"),
                      pages=site_pages())
    for lang in (JA, EN):
        views = kpi_views(release, lang)

        def now(render: Callable[..., str], *args) -> Callable[[], str]:
            return lambda: render(*args)

        yield Page(lang.page("report"), now(render_report, release, views, ctx, lang))
        yield Page(lang.page("index"), now(render_index, release, views, ctx, lang))
        for view in views:
            yield Page(lang.page(kpi_page_name(view)),
                       now(render_kpi_page, release, views, view, ctx, lang))
        if ctx.has("flows"):
            view = next(v for v in views if v.kpi_id == migration.id)
            yield Page(lang.page("flows"), now(render_flows, release, view, ctx, lang))
        if ctx.has("projects"):
            yield Page(lang.page("projects"), now(render_projects, release, ctx, lang))
        if ctx.has("scorecards"):
            yield Page(lang.page("scorecards"), now(render_scorecards, release, ctx, lang))
    if ctx.has("members"):
        yield from _member_pages(release, ctx)


def _member_pages(release: Release, ctx: SiteContext) -> Iterator[Page]:
    """The member index and each member's page, keyed on what they show."""
    data = M.member_data(release)
    latest = replace(ctx, release_id="", created="", validation_passed=True, warnings=0,
                     validation_href=release.latest_href("validation/index.html"),
                     datapackage_href=release.latest_href("datapackage.json"), latest=True)
    for lang in (JA, EN):
        views = kpi_views(release, lang)
        common = _common_key(latest, views, lang)
        everyone = members()
        for number in range(1, M.index_pages() + 1):
            chunk = everyone[(number - 1) * M.MEMBERS_PER_PAGE:number * M.MEMBERS_PER_PAGE]
            key = _key(common, "index", number, M.index_pages(),
                       [data.fingerprints[m.code] for m in chunk])
            yield Page(lang.page(M.index_page_name(number)),
                       lambda n=number, v=views, la=lang: M.render_index_page(n, v, data, latest, la),
                       key)
        for position, member in enumerate(everyone):
            key = _key(common, "member", member.code, M.index_page_of(position),
                       data.fingerprints[member.code])
            yield Page(lang.page(M.member_page_name(member.code)),
                       lambda p=position, v=views, la=lang: M.render_member_page(p, v, data, latest, la),
                       key)


# Code outside the dashboard that decides how a page prints: numbers, units, member names.
PRINTING_MODULES = ("numbers.py", "units.py", "area.py")


@cache
def _code_version() -> str:
    """The code that writes the pages: a changed template or number format renders every
    page again."""
    package = Path(__file__).parent
    digest = hashlib.sha256()
    for path in [*sorted(package.rglob("*.py")), *(package.parent / m for m in PRINTING_MODULES)]:
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _common_key(ctx: SiteContext, views, lang) -> str:
    """What every member page of a language shows besides the member's own rows: the area's
    definition (names, members, KPIs, publisher, licence), its projects, the KPIs as the
    pages name them, the navigation and the links."""
    a = area()
    return _key(_code_version(), lang.code, a.raw, [repr(p) for p in projects()],
                [(v.kpi_id, v.name_ja, v.name_en, v.unit.label(lang), v.unit.factor,
                  v.period_type, v.signed) for v in views],
                ctx.pages, ctx.validation_href, ctx.datapackage_href)


def _key(*parts) -> str:
    text = json.dumps(parts, ensure_ascii=False, sort_keys=True, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _previous_keys(site: Path) -> dict[str, str]:
    try:
        return json.loads((site / CACHE_FILE).read_text(encoding="utf-8"))["pages"]
    except (OSError, ValueError, KeyError, TypeError):
        return {}


def _reuse(previous: Path, name: str, work: Path) -> bool:
    """Link (else copy) the previous site's page into the new one; False when it is gone."""
    old = previous / name
    try:
        os.link(old, work / name)
    except FileNotFoundError:
        return False
    except OSError:
        try:
            shutil.copy2(old, work / name)
        except OSError:
            return False
    return True


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
    # Pages are reused from the public site (a preview's member pages link elsewhere, so
    # their keys differ and they are rendered).
    previous = home.site
    known = _previous_keys(previous)
    printing, pages, keys, rendered, reused = None, {}, {}, [], []
    try:
        # plotly.js (4.8 MB) changes only with the plotly package: linked like a page.
        keys[PLOTLY_JS] = _key("plotly.js", plotly_version())
        if not (known.get(PLOTLY_JS) == keys[PLOTLY_JS] and _reuse(previous, PLOTLY_JS, work)):
            write_plotly_js(work / PLOTLY_JS)
        (work / "assets" / "site.css").write_text(STYLESHEET.lstrip(), encoding="utf-8")
        with rendering(area_for(home)):
            if many_members():
                (work / M.SEARCH_SCRIPT).write_text(M.search_script(), encoding="utf-8")
            for item in _site_pages(release or load_release(home)):
                if item.key is not None:
                    keys[item.name] = item.key
                    if known.get(item.name) == item.key and _reuse(previous, item.name, work):
                        reused.append(item.name)
                        continue
                text = item.render()
                (work / item.name).write_text(text, encoding="utf-8")
                pages[item.name] = text
                rendered.append(item.name)
                if pdf and item.name == PDF_SOURCE:
                    # Printed in the new folder: its relative links (assets/, ../releases/)
                    # resolve the same as in site/, which sits beside it in the home.
                    printing = start_printing(work / PDF_SOURCE, work / "report.pdf")
        # beside the pages, so that it swaps in with them
        (work / CACHE_FILE).write_text(json.dumps({"pages": keys}, sort_keys=True),
                                       encoding="utf-8")
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
    result = SiteResult(index=target / "index.html", pages=sorted([*rendered, *reused]),
                        pdf=None if skipped else target / "report.pdf", pdf_skipped=skipped,
                        seconds=time.perf_counter() - started, rendered=rendered,
                        reused=reused)
    return result
