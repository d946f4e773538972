"""The area's collaboration projects (who takes part) and their budgets by fiscal year.

Only an area with a projects table has this page (site.py asks reference.published)."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from orchestration.dashboard import figures as F
from orchestration.dashboard import scale as S
from orchestration.dashboard.data import Release
from orchestration.dashboard.fmt import Lang, esc, missing, num, text_of
from orchestration.dashboard.reference import (
    field_name,
    member_name,
    members,
    projects,
    vision_name,
)
from orchestration.dashboard.templates import (
    SiteContext,
    data_table,
    downloads,
    no_data,
    page,
    table,
)

THOUSAND = 1e3


def _yen(value) -> float:
    return 0.0 if missing(value) else float(value)


def _share(value: float, total: float) -> str:
    return "—" if not total else f"{value / total * 100:.1f}%"


def participation_matrix(budgets: pd.DataFrame, lang: Lang) -> str:
    """Projects by field (rows) × members (columns): ● where the member takes part."""
    catalogue = projects()
    # A column per member up to MAX_SERIES members; a larger area counts the participants
    # here and lists each member's projects on its own page.
    codes = [] if S.many_members() else [m.code for m in members()]
    latest = int(budgets["fiscal_year"].max()) if not budgets.empty else None
    this_year = budgets[budgets["fiscal_year"] == latest] if latest else budgets
    if not catalogue:
        return no_data(lang)
    amounts: dict[tuple[int, str], float] = {}
    totals: dict[int, float] = {}
    for r in this_year.to_dict("records"):
        key = (int(r["project_no"]), r["municipality_code"])
        amounts[key] = amounts.get(key, 0.0) + _yen(r["budget_yen"])
        if not pd.isna(r["project_total_yen"]):
            totals[int(r["project_no"])] = float(r["project_total_yen"])
    headers = [lang.t("番号", "No."), lang.t("事業名", "Project"),
               *(esc(member_name(c, lang)) for c in codes),
               lang.t("参加市町数", "Members"),
               lang.t(f"各市町合計額（{latest}年度、千円）", f"Total over members (FY{latest}, k yen)")
               if latest else lang.t("各市町合計額", "Total over members")]
    body, field = [], None
    for project in catalogue:
        if project.field_ja != field:
            field = project.field_ja
            count = sum(1 for p in catalogue if p.field_ja == field)
            body.append(f'<tr class="group"><th colspan="{len(headers)}">'
                        f"{esc(field_name(field, lang))}"
                        f"{esc(lang.paren(str(count) + lang.t('事業', ' projects')))}"
                        "</th></tr>")
        cells = []
        for code in codes:
            amount = amounts.get((project.no, code), 0.0)
            tip = (lang.t(f"{latest}年度 予算 {num(amount / THOUSAND)}千円",
                          f"FY{latest} budget {num(amount / THOUSAND)}k yen") if latest else "")
            if code in project.participants:
                cells.append(f'<td class="c yes" title="{esc(tip)}">●</td>')
            else:
                cells.append('<td class="c muted">—</td>')
        total_text = num(totals[project.no] / THOUSAND) if project.no in totals else "—"
        direction = project.subfield_ja or project.policy_direction_ja
        body.append(f'<tr><td class="num">{project.no}</td><td>{esc(project.name(lang))}'
                    f'{f"<br><small class=muted>{esc(direction)}</small>" if direction and lang.code == "ja" else ""}'
                    f'</td>{"".join(cells)}<td class="num">{len(project.participants)}</td>'
                    f'<td class="num">{total_text}</td></tr>')
    head = "".join(f'<th{" class=c" if 2 <= i < 2 + len(codes) else ""}>{h}</th>'
                   for i, h in enumerate(headers))
    return (f'<div class="table-scroll"><table class="matrix"><thead><tr>{head}</tr></thead>'
            f'<tbody>{"".join(body)}</tbody></table></div>')


def _budget_series(budgets: pd.DataFrame) -> list[S.Series]:
    """The members shown one by one: by their budgets over all years."""
    return S.member_series(budgets.groupby("municipality_code")["budget_yen"].sum())


def budget_figure(budgets: pd.DataFrame, lang: Lang) -> go.Figure | None:
    if budgets.empty:
        return None
    data = []
    years = sorted({int(y) for y in budgets["fiscal_year"].dropna()})
    series = _budget_series(budgets)
    keyed = budgets.assign(series=S.by_series(budgets, "municipality_code", series))
    for s in series:
        rows = keyed[keyed["series"] == s.key]
        if rows.empty:
            continue
        by_year = rows.groupby("fiscal_year")["budget_yen"].sum()
        data.append(go.Bar(
            x=[int(y) for y in by_year.index], y=[v / 1e6 for v in by_year.values],
            name=s.label(lang), marker_color=s.color,
            hovertemplate=f"%{{x}}: %{{y:,.1f}}{lang.t('百万円', 'M yen')}<extra>{s.label(lang)}</extra>"))
    lay = F.layout(lang, height=380, y_title=lang.t("百万円", "Budget (million yen)"),
                   barmode="stack", margin={"l": 70, "r": 16, "t": 50, "b": 40})
    lay["xaxis"].update(F.year_ticks(years, "FY", lang))
    lay["legend"]["y"] = 1.04
    return F.figure(data, lay)


def budget_by_year_table(budgets: pd.DataFrame, lang: Lang) -> str:
    if budgets.empty:
        return no_data(lang)
    series = _budget_series(budgets)
    keyed = budgets.assign(series=S.by_series(budgets, "municipality_code", series))
    rows = []
    for year in sorted({int(y) for y in budgets["fiscal_year"].dropna()}):
        part = keyed[keyed["fiscal_year"] == year]
        total = float(part["budget_yen"].sum())
        by_series = part.groupby("series")["budget_yen"].sum()
        cells = []
        for s in series:
            amount = float(by_series.get(s.key, 0.0))
            cells.append(f"{num(amount / THOUSAND)}<br><small class=muted>{_share(amount, total)}</small>")
        rows.append([esc(lang.t(f"{year}年度", f"FY{year}")), *cells, num(total / THOUSAND),
                     num(part["project_no"].nunique())])
    headers = [lang.t("年度", "Fiscal year"), *(esc(s.label(lang)) for s in series),
               lang.t("各市町合計額", "Total over members"), lang.t("事業数", "Projects")]
    return table(headers, rows, numeric=set(range(1, len(headers))),
                 caption=lang.t("単位：千円（下段は負担割合）", "k yen (below: share)"))


def projects_budget_table(budgets: pd.DataFrame, year: int, lang: Lang) -> str:
    part = budgets[budgets["fiscal_year"] == year]
    if part.empty:
        return no_data(lang)
    series = _budget_series(part)
    by_project: dict[int, dict[str, list[dict]]] = {}
    key_of = {c: s.key for s in series for c in s.codes}
    for r in part.to_dict("records"):
        by_project.setdefault(int(r["project_no"]), {}).setdefault(
            key_of.get(r["municipality_code"], r["municipality_code"]), []).append(r)
    rows = []
    for no in sorted(by_project):
        own = by_project[no]
        first = next(iter(own.values()))[0]
        total = first["project_total_yen"]
        if pd.isna(total):
            total = sum(_yen(r["budget_yen"]) for group in own.values() for r in group)
        cells = []
        for s in series:
            group = own.get(s.key)
            if not group:
                cells.append('<span class="muted">—</span>')
                continue
            amount = sum(float(r["budget_yen"]) for r in group)
            share = group[0]["member_share"] if len(group) == 1 else None
            share_text = (f"{float(share) * 100:.1f}%" if share is not None and not pd.isna(share)
                          else _share(amount, total))
            cells.append(f"{num(amount / THOUSAND)}<br><small class=muted>{share_text}</small>")
        name = text_of(first["project_name_ja"]) if lang.code == "ja" else text_of(
            first.get("project_name_en"), first["project_name_ja"])
        rows.append([str(no), esc(name), *cells, num(float(total) / THOUSAND)])
    headers = [lang.t("番号", "No."), lang.t("事業名", "Project"),
               *(esc(s.label(lang)) for s in series),
               lang.t("各市町合計額", "Total over members")]
    return table(headers, rows, numeric=set(range(2, len(headers))),
                 caption=lang.t(f"{year}年度　単位：千円（下段は負担割合）",
                                f"FY{year}, k yen (below: member's share)"))


def render_projects(release: Release, ctx: SiteContext, lang: Lang) -> str:
    budgets = release.df("project_budgets")
    fig = budget_figure(budgets, lang)
    chart = F.figure_div(fig, "budgets", label=lang.t("予算の推移", "Budgets")) if fig else no_data(lang)
    if fig:
        chart += S.others_html(_budget_series(budgets), lang)
    latest = int(budgets["fiscal_year"].max()) if not budgets.empty else None
    per_project = (projects_budget_table(budgets, latest, lang) if latest else no_data(lang))
    earlier = ""
    if latest:
        others = sorted({int(y) for y in budgets["fiscal_year"].dropna()} - {latest}, reverse=True)
        earlier = "".join(data_table(lang.t(f"{y}年度の事業別予算", f"FY{y} by project"),
                                     projects_budget_table(budgets, y, lang)) for y in others)
    vision, count = vision_name(lang), len(projects())
    body = f"""
<p class="note">{esc(lang.t(
        f"{vision}の {count} の連携事業と参加市町（●）。予算額は各市町が提出した事業別の予算です。",
        f"The {vision}'s {count} collaboration projects and the members taking part (●). "
        "Budgets are as each member submitted them."))}</p>
<h2>{lang.t("分野別の連携事業と参加市町", "Projects by field and participating members")}</h2>
{participation_matrix(budgets, lang)}
<h2>{lang.t("連携事業の予算（年度別・各市町合計額）", "Budgets by fiscal year (total over members)")}</h2>
{chart}
{budget_by_year_table(budgets, lang)}
<h3>{lang.t(f"事業別の予算と市町の負担割合（{latest}年度）", f"By project and member's share (FY{latest})")
     if latest else lang.t("事業別の予算", "By project")}</h3>
{per_project}
{earlier}
{downloads(release, ["project_budgets"], lang)}
"""
    return page(lang=lang, name="projects", title=lang.t("連携事業と予算", "Projects and budgets"),
                body=body, ctx=ctx)
