"""Every member of a large area, reachable: a paginated, searchable member index and a page
per member (an area of more than MAX_SERIES members; a small area's pages name each member).

- ``members.html``, ``members-2.html``, …: MEMBERS_PER_PAGE members each, in the area's order,
  with their latest figure of every KPI; a search box finds any member by name or code across
  all index pages (``assets/members.js``, a static list: no server, no network).
- ``member-<code>.html``: the member's own figures (its components of the KPIs, net moves,
  project budgets, its own KPIs). It shows nothing computed from other members (no share,
  no rank), so it changes only when that member's data changes, and site.py reuses it
  unchanged otherwise (``fingerprints`` below are the inputs it is keyed on).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field

import pandas as pd

from orchestration.dashboard.data import KpiView, Release
from orchestration.dashboard.fmt import Lang, esc, num, year_label
from orchestration.dashboard.pages.scorecards import latest_marks, member_page_name, member_table
from orchestration.dashboard.reference import members, projects
from orchestration.dashboard.templates import SiteContext, page, table

MEMBERS_PER_PAGE = 100
# Columns that say where a row came from (which file, which cell), not what the page shows:
# a member who sends the same figures again in a new file keeps its page.
PROVENANCE = frozenset({"submission_id", "source_sha256", "source_sheet", "source_row"})
# Published datasets a member page shows, and the column naming the member in each.
MEMBER_DATA = (("municipal_indicators", "municipality_code"), ("net_migration", "scope_code"),
               ("project_budgets", "municipality_code"), ("kpi_scorecard", "scope_code"))
SEARCH_SCRIPT = "assets/members.js"


def index_page_name(number: int) -> str:
    """The n-th page of the member index (1-based): ``members``, ``members-2``, …"""
    return "members" if number == 1 else f"members-{number}"


def index_pages() -> int:
    return max(1, -(-len(members()) // MEMBERS_PER_PAGE))


def index_page_of(position: int) -> int:
    """The index page listing the member at ``position`` (0-based, the area's order)."""
    return position // MEMBERS_PER_PAGE + 1


@dataclass
class MemberData:
    """The release's rows of each member as plain records, split once: a page reads its
    member's few rows without filtering a national frame."""

    records: dict[str, dict[str, list[dict]]] = field(default_factory=dict)
    fingerprints: dict[str, str] = field(default_factory=dict)

    def rows(self, dataset: str, code: str) -> list[dict]:
        return self.records.get(dataset, {}).get(code, [])


def member_data(release: Release) -> MemberData:
    """Each member's rows of the datasets its page shows, and a fingerprint of them: the
    SHA-256 of its rows' hashes in a fixed order, without the provenance columns."""
    out = MemberData()
    codes = [m.code for m in members()]
    hashes_of: dict[str, list[bytes]] = {c: [] for c in codes}
    for dataset, column in MEMBER_DATA:
        frame = release.df(dataset)
        if frame.empty or column not in frame.columns:
            continue
        frame = frame[frame[column].isin(codes)]
        shown = sorted(c for c in frame.columns if c not in PROVENANCE)
        hashes = pd.util.hash_pandas_object(frame[shown].astype(str), index=False).to_numpy()
        split: dict[str, list[dict]] = {}
        label = f"{dataset}:{','.join(shown)}:".encode()
        for code, row, digest in zip(frame[column], frame[shown].to_dict("records"), hashes,
                                     strict=True):
            split.setdefault(code, []).append(row)
            hashes_of[code].append(label + int(digest).to_bytes(8, "little"))
        out.records[dataset] = split
    out.fingerprints = {c: hashlib.sha256(b"|".join(sorted(h))).hexdigest()
                        for c, h in hashes_of.items()}
    return out


def _value(row: dict):
    value = row.get("value")
    return None if value is None or pd.isna(value) else value


def _latest(rows: list[dict]) -> dict | None:
    """The row of the latest year with a value."""
    valued = [r for r in rows if _value(r) is not None and not pd.isna(r.get("period_year"))]
    return max(valued, key=lambda r: r["period_year"]) if valued else None


def _pager(current: int, lang: Lang) -> str:
    total = index_pages()
    if total == 1:
        return ""
    links = []
    for n in range(1, total + 1):
        first, last = (n - 1) * MEMBERS_PER_PAGE + 1, min(n * MEMBERS_PER_PAGE, len(members()))
        current_attr = ' aria-current="page"' if n == current else ""
        links.append(f'<a href="{lang.page(index_page_name(n))}"{current_attr} '
                     f'title="{first:,}–{last:,}">{n}</a>')
    label = lang.t("ページ", "Pages")
    return f'<nav class="pager" aria-label="{label}">{label}: {" ".join(links)}</nav>'


def _search_box(lang: Lang) -> str:
    label = lang.t("団体名またはコードで検索", "Search a member by name or code")
    hint = lang.t("検索には JavaScript が必要です。下のページ一覧からもたどれます。",
                  "Search needs JavaScript; the pages below list every member too.")
    return (f'<div class="member-search"><label for="member-search">{esc(label)}</label> '
            f'<input type="search" id="member-search" autocomplete="off" '
            f'placeholder="{esc(lang.t("例：第12市、01302", "e.g. City 12, 01302"))}">'
            f'<p id="member-count" class="note" aria-live="polite"></p>'
            f'<ul id="member-results" class="member-results"></ul>'
            f'<noscript><p class="note">{esc(hint)}</p></noscript></div>'
            f'<script src="{SEARCH_SCRIPT}"></script>')


def render_index_page(number: int, views: list[KpiView], data: MemberData, ctx: SiteContext,
                      lang: Lang) -> str:
    everyone = members()
    chunk = everyone[(number - 1) * MEMBERS_PER_PAGE:number * MEMBERS_PER_PAGE]
    rows = []
    for member in chunk:
        parts = data.rows("municipal_indicators", member.code)
        cells = []
        for view in views:
            latest = _latest([r for r in parts if r["kpi_id"] == view.kpi_id])
            cells.append("—" if latest is None else
                         f'{esc(num(view.unit.scale(latest["value"]), signed=view.signed))}'
                         f' <small class="muted">'
                         f'{esc(year_label(int(latest["period_year"]), view.period_type, lang))}'
                         "</small>")
        rows.append([f"<code>{esc(member.code)}</code>",
                     f'<a href="{lang.page(member_page_name(member.code))}">'
                     f"{esc(member.name(lang))}</a>", *cells])
    headers = [lang.t("コード", "Code"), lang.t("団体", "Member"),
               *(f"{esc(v.name(lang))}<br><small>{esc(v.unit.label(lang))}</small>"
                 for v in views)]
    first, last = (number - 1) * MEMBERS_PER_PAGE + 1, (number - 1) * MEMBERS_PER_PAGE + len(chunk)
    body = f"""
<p class="note">{esc(lang.t(
        f"構成 {len(everyone):,} 団体の一覧（{first:,}〜{last:,} 番目）と、各団体の直近の実績値です。"
        "団体名から、その団体の数値のページに移ります。",
        f"The area's {len(everyone):,} members ({first:,}–{last:,} here) and each one's latest "
        "figure of every KPI. A member's name leads to its own page."))}</p>
{_search_box(lang)}
{_pager(number, lang)}
{table(headers, rows, numeric=set(range(2, 2 + len(views))), cls="members")}
{_pager(number, lang)}
"""
    return page(lang=lang, name=index_page_name(number),
                title=lang.t(f"構成団体（{number} / {index_pages()}）",
                             f"Members ({number} of {index_pages()})"),
                body=body, ctx=ctx, with_plotly=False, nav_key="members")


def _components(views: list[KpiView], parts: list[dict], lang: Lang) -> str:
    value = {(int(r["period_year"]), r["kpi_id"]): _value(r) for r in parts
             if _value(r) is not None and not pd.isna(r.get("period_year"))}
    if not value:
        return f'<p class="empty">{esc(lang.t("データなし", "No data"))}</p>'
    shown = [v for v in views if any(k == v.kpi_id for _, k in value)]
    rows = []
    for year in sorted({y for y, _ in value}):
        rows.append([esc(str(year)), *(
            esc(num(v.unit.scale(value[(year, v.kpi_id)]), signed=v.signed))
            if (year, v.kpi_id) in value else "—" for v in shown)])
    headers = [lang.t("年・年度", "Year"), *(
        f"{esc(v.name(lang))}<br><small>{esc(v.unit.label(lang))}"
        f"{esc(lang.t('、年度' if v.period_type == 'FY' else '、暦年', ', FY' if v.period_type == 'FY' else ', CY'))}"
        "</small>" for v in shown)]
    return table(headers, rows, numeric=set(range(1, 1 + len(shown))))


def _net_moves(rows: list[dict], lang: Lang) -> str:
    if not rows:
        return ""
    body = [[esc(lang.t(f"{int(r['calendar_year'])}年", str(int(r["calendar_year"])))),
             num(r["in_persons"]), num(r["out_persons"]), num(r["net_persons"], signed=True)]
            for r in sorted(rows, key=lambda r: r["calendar_year"])]
    heading = lang.t("転入・転出（人）", "Moves in and out (persons)")
    return (f"<h2>{esc(heading)}</h2>" + table(
        [lang.t("年", "Year"), lang.t("転入", "In"), lang.t("転出", "Out"),
         lang.t("社会増減", "Net")], body, numeric={1, 2, 3}))


def _budgets(code: str, rows: list[dict], lang: Lang) -> str:
    taking_part = [p for p in projects() if code in p.participants]
    if not rows and not taking_part:
        return ""
    amount = {(int(r["project_no"]), int(r["fiscal_year"])): float(r["budget_yen"])
              for r in rows if not pd.isna(r.get("budget_yen"))
              and not pd.isna(r.get("fiscal_year"))}
    years = sorted({y for _, y in amount})
    body = [[str(p.no), esc(p.name(lang)),
             *(num(amount[(p.no, y)] / 1e3) if (p.no, y) in amount else "—" for y in years)]
            for p in taking_part]
    heading = lang.t("参加する連携事業と予算（千円）", "Collaboration projects and budgets (k yen)")
    return (f"<h2>{esc(heading)}</h2>" + table(
        [lang.t("番号", "No."), lang.t("事業名", "Project"),
         *(esc(lang.t(f"{y}年度", f"FY{y}")) for y in years)], body,
        numeric=set(range(2, 2 + len(years)))))


def _own_kpis(rows: list[dict], lang: Lang) -> str:
    if not rows:
        return ""
    heading = lang.t("この団体の KPI と評価", "The member's own KPIs and marks")
    return f"<h2>{esc(heading)}</h2>" + member_table(
        latest_marks(pd.DataFrame(rows)).sort_values("kpi_id"), lang)


def render_member_page(position: int, views: list[KpiView], data: MemberData,
                       ctx: SiteContext, lang: Lang) -> str:
    member = members()[position]
    code = member.code
    back = index_page_name(index_page_of(position))
    kind = {"city": ("市", "city"), "town": ("町", "town"), "village": ("村", "village"),
            "ward": ("区", "ward")}.get(member.kind, (member.kind, member.kind))
    role = lang.t("中心市", "hub city") if member.role == "hub" else ""
    facts = " · ".join(x for x in (f"<code>{esc(code)}</code>", esc(lang.t(*kind)), esc(role)) if x)
    body = f"""
<p class="note">{facts} · <a href="{lang.page(back)}">{esc(lang.t("構成団体の一覧へ", "Back to the members"))}</a></p>
<h2>{esc(lang.t("圏域の KPI に占めるこの団体の数値", "The member's part of the area's KPIs"))}</h2>
{_components(views, data.rows("municipal_indicators", code), lang)}
{_net_moves(data.rows("net_migration", code), lang)}
{_budgets(code, data.rows("project_budgets", code), lang)}
{_own_kpis(data.rows("kpi_scorecard", code), lang)}
"""
    return page(lang=lang, name=member_page_name(code), title=member.name(lang),
                subtitle=esc(member.name_ja) if lang.code == "en" else "", body=body, ctx=ctx,
                with_plotly=False, nav_key="members")


def search_script() -> str:
    """``assets/members.js``: every member (code, names, page) and the search over them.
    Results are built as DOM nodes, never as HTML from the names."""
    listing = [[m.code, m.name_ja, m.name_en] for m in members()]
    data = json.dumps(listing, ensure_ascii=False, separators=(",", ":"))
    return f"window.HUB_MEMBERS={data};\n" + _SEARCH_JS


_SEARCH_JS = r"""(function () {
  var box = document.getElementById("member-search");
  if (!box) return;
  var list = document.getElementById("member-results");
  var count = document.getElementById("member-count");
  var en = document.documentElement.lang === "en";
  var LIMIT = 50;
  function norm(s) { return String(s).normalize("NFKC").toLowerCase(); }
  var rows = window.HUB_MEMBERS.map(function (m) {
    return {m: m, key: norm(m[0] + " " + m[1] + " " + m[2])};
  });
  function show() {
    var q = norm(box.value.trim());
    list.textContent = "";
    if (!q) { count.textContent = ""; return; }
    var hits = rows.filter(function (r) { return r.key.indexOf(q) >= 0; });
    count.textContent = en ? hits.length + " found" + (hits.length > LIMIT ? " (first " + LIMIT + " shown)" : "")
                           : hits.length + " 件" + (hits.length > LIMIT ? "（先頭 " + LIMIT + " 件を表示）" : "");
    hits.slice(0, LIMIT).forEach(function (r) {
      var li = document.createElement("li");
      var a = document.createElement("a");
      a.href = "member-" + r.m[0] + (en ? ".en.html" : ".html");
      a.textContent = en ? r.m[2] : r.m[1];
      var code = document.createElement("code");
      code.textContent = r.m[0];
      li.appendChild(code); li.appendChild(document.createTextNode(" ")); li.appendChild(a);
      list.appendChild(li);
    });
  }
  box.addEventListener("input", show);
  if (box.value) show();
})();
"""
