"""The overview (one card per regional KPI) and the page of each KPI."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from orchestration.dashboard import figures as F
from orchestration.dashboard import scale as S
from orchestration.dashboard.data import KpiView, Release
from orchestration.dashboard.fmt import (
    MARK_ORDER,
    RATE_NOTE_EN,
    Lang,
    esc,
    mark_html,
    missing,
    num,
    outlook_html,
    pct,
    period_label,
    rate_html,
    year_label,
)
from orchestration.dashboard.reference import (
    POPULATION_NOTE_EN,
    POPULATION_NOTE_JA,
    PerCapita,
    area,
    count_words,
    field_name,
    member_name,
    member_names,
    members,
    per_capita,
    population,
    projects,
    vision_label,
    vision_name,
    vision_years,
)
from orchestration.dashboard.templates import (
    SiteContext,
    data_table,
    downloads,
    no_data,
    page,
    table,
)


def kpi_page_name(view: KpiView) -> str:
    return f"kpi-{view.kpi_id}"


def _vision_shape(lang: Lang) -> tuple[list, list]:
    years = vision_years()
    shapes = [{"type": "rect", "xref": "x", "yref": "paper", "x0": min(years) - 0.5,
               "x1": max(years) + 0.5, "y0": 0, "y1": 1, "fillcolor": "#f3f6fa",
               "line": {"width": 0}, "layer": "below"}]
    notes = [{"xref": "x", "yref": "paper", "x": (min(years) + max(years)) / 2,
              "y": 1, "yanchor": "bottom", "showarrow": False,
              "text": vision_label(lang),
              "font": {"size": 11, "color": "#5b6673"}}]
    return shapes, notes


def trend_figure(view: KpiView, lang: Lang, *, compact: bool = False, height: int = 400,
                 short_years: bool = False) -> go.Figure:
    """Actuals against the vision's yearly targets (cumulative KPIs: running totals)."""
    unit = view.unit
    data: list = []
    actual_name = lang.t("実績", "Actual")
    target_name = lang.t("目標経路（ビジョン）", "Target path (vision)")
    rows = view.actuals.dropna(subset=["value"])
    years = [int(y) for y in rows["period_year"]]
    path = view.target_path()
    if view.is_cumulative:
        data.append(go.Bar(
            x=years, y=[unit.scale(v) for v in rows["value"]], name=lang.t("各年の実績", "Yearly"),
            marker_color=["#c0392b" if v < 0 else "#9fb3c8" for v in rows["value"]],
            hovertemplate=F.hover(unit, lang, lang.t("各年の実績", "Yearly"))))
        cumulative = view.cumulative_actuals()
        if cumulative:
            data.append(go.Scatter(
                x=[y for y, _ in cumulative], y=[unit.scale(v) for _, v in cumulative],
                mode="lines+markers", name=lang.t("累計の実績", "Cumulative actual"),
                line={"color": F.ACTUAL, "width": 3},
                hovertemplate=F.hover(unit, lang, lang.t("累計", "Cumulative"))))
        if path:
            data.append(go.Scatter(
                x=[min(vision_years()) - 1] + [y for y, _ in path],
                y=[0] + [unit.scale(v) for _, v in path], mode="lines+markers",
                name=lang.t("累計目標の経路", "Cumulative target path"),
                line={"color": F.TARGET, "dash": "dash", "width": 2}, marker={"size": 5},
                hovertemplate=F.hover(unit, lang, lang.t("累計目標", "Cumulative target"))))
    else:
        data.append(go.Scatter(
            x=years, y=[unit.scale(v) for v in rows["value"]], mode="lines+markers",
            name=actual_name, line={"color": F.ACTUAL, "width": 3}, marker={"size": 6},
            hovertemplate=F.hover(unit, lang, actual_name)))
        base_value, base_period = view.baseline
        xs, ys = [y for y, _ in path], [unit.scale(v) for _, v in path]
        if base_value is not None and base_period:
            xs, ys = [int(str(base_period)[2:6]), *xs], [unit.scale(base_value), *ys]
            data.append(go.Scatter(
                x=[xs[0]], y=[ys[0]], mode="markers", name=lang.t("基準値", "Baseline"),
                marker={"color": F.BASELINE, "size": 11, "symbol": "diamond-open",
                        "line": {"width": 2}},
                hovertemplate=F.hover(unit, lang, lang.t("基準値", "Baseline"))))
        if xs:
            data.append(go.Scatter(
                x=xs, y=ys, mode="lines+markers", name=target_name,
                line={"color": F.TARGET, "dash": "dash", "width": 2}, marker={"size": 5},
                hovertemplate=F.hover(unit, lang, lang.t("目標", "Target"))))
    known = {*years, *(y for y, _ in path), *vision_years()}
    all_years = list(range(min(known), max(known) + 1))  # no gap before the vision starts
    shapes, notes = _vision_shape(lang)
    if compact:
        lay = F.layout(lang, height=190, margin={"l": 48, "r": 8, "t": 26, "b": 26},
                       legend=False, shapes=shapes)
        ticks = [y for y in all_years if y % 2 == 0] or all_years
        lay["xaxis"].update({"tickmode": "array", "tickvals": ticks,
                             "ticktext": [str(y) for y in ticks], "tickfont": {"size": 10}})
        lay["yaxis"].update({"tickfont": {"size": 10}, "nticks": 4})
        lay["font"]["size"] = 11
    else:
        lay = F.layout(lang, height=height, y_title=unit.label(lang), shapes=shapes,
                       annotations=notes, margin={"l": 70, "r": 16, "t": 60, "b": 40})
        lay["xaxis"].update(F.year_ticks(all_years, view.period_type, lang))
        if short_years:
            kind = lang.t("年度" if view.period_type == "FY" else "年",
                          "FY" if view.period_type == "FY" else "")
            lay["xaxis"].update({"ticktext": [str(y) for y in all_years], "tickangle": 0,
                                 "title": {"text": kind, "standoff": 4, "font": {"size": 11}}})
        lay["legend"]["y"] = 1.08
    if not view.is_cumulative and years:
        lay["yaxis"]["rangemode"] = "normal"
    lay["xaxis"]["range"] = [min(all_years) - 0.6, max(all_years) + 0.6]
    return F.figure(data, lay)


def _headline(view: KpiView, lang: Lang) -> dict:
    """What a card says: the latest figure, that year's target, rate, mark and outlook."""
    unit = view.unit
    latest = view.latest
    evaluated = view.evaluated
    first = min(vision_years())
    facts: dict = {"value": "—", "value_label": lang.t("実績なし", "no actual yet"),
                   "target_label": lang.t("目標", "Target"), "target": "—", "rate": "—",
                   "mark": None, "note": ""}
    if view.is_cumulative:
        cumulative = view.cumulative_actuals()
        if cumulative:
            year, total = cumulative[-1]
            facts["value"] = unit.text(total, lang, signed=True)
            facts["value_label"] = lang.t(
                f"累計（{first}〜{year_label(year, view.period_type, lang)}）",
                f"cumulative {first}–{year}")
        elif latest is not None:
            facts["value"] = unit.text(latest["value"], lang, signed=view.signed)
            facts["value_label"] = lang.t(
                f"{period_label(latest['period'], lang)}（単年・参考）",
                f"{period_label(latest['period'], lang)} (single year, reference)")
            facts["note"] = lang.t(f"累計目標は {first} 年からの合計で、まだ実績はありません。",
                                   f"The cumulative target counts from {first}; no actual yet.")
    elif latest is not None:
        facts["value"] = unit.text(latest["value"], lang)
        facts["value_label"] = lang.t(f"{period_label(latest['period'], lang)} 実績",
                                      f"actual {period_label(latest['period'], lang)}")
    if evaluated is not None:
        facts["target_label"] = lang.t(f"{period_label(evaluated['period'], lang)}の目標",
                                       f"Target {period_label(evaluated['period'], lang)}")
        facts["target"] = unit.text(evaluated["period_target"], lang)
        facts["rate"] = pct(evaluated["achievement_rate"])
        if missing(evaluated["achievement_rate"]) and not missing(
                evaluated.get("achievement_rate_note")):
            note = str(evaluated["achievement_rate_note"])
            facts["rate"] += lang.paren(note if lang.code == "ja" else RATE_NOTE_EN.get(note, note))
        facts["mark"] = evaluated["progress_mark"]
    else:
        upcoming = view.next_target
        if upcoming is not None:
            facts["target_label"] = lang.t(f"{period_label(upcoming['period'], lang)}の目標",
                                           f"Target {period_label(upcoming['period'], lang)}")
            facts["target"] = unit.text(upcoming["period_target"], lang)
        facts["mark"] = "—"
        if not facts["note"]:
            facts["note"] = lang.t("目標年度の実績がまだないため、進捗度は「—」です。",
                                   "No actual for a target year yet, so progress is “—”.")
    return facts


def _path_table(view: KpiView, lang: Lang) -> str:
    base_value, base_period = view.baseline
    target_value, target_period = view.target
    unit = view.unit
    signed = view.is_cumulative and view.signed
    start = (f"{lang.t('基準', 'Baseline')} {unit.text(base_value, lang)}"
             f"{lang.paren(period_label(base_period, lang))}") if base_value is not None else (
        f"{lang.t('基準', 'Baseline')} —")
    cumulative = lang.t("の累計", ", cumulative") if view.is_cumulative else ""
    end = (f"{lang.t('目標', 'Target')} {unit.text(target_value, lang, signed=signed)}"
           f"{lang.paren(period_label(target_period, lang) + cumulative)}")
    path = [(y, v) for y, v in view.target_path() if y in vision_years()]
    if not path:
        return f'<div class="path">{esc(start)} → {esc(end)}</div>'
    head = "".join(f"<th>{y}</th>" for y, _ in path)
    cells = "".join(f"<td>{esc(num(unit.scale(v), signed=signed))}</td>" for _, v in path)
    kind = lang.t("年度" if view.period_type == "FY" else "年",
                  "fiscal year" if view.period_type == "FY" else "calendar year")
    label = lang.t(f"目標経路（{kind}、{unit.label(lang)}）",
                   f"Target path ({kind}, {unit.label(lang)})")
    return (f'<div class="path">{esc(start)} → {esc(end)}<div class="path-label">{esc(label)}'
            f"</div><table><tr>{head}</tr><tr>{cells}</tr></table></div>")


def _spark_legend(view: KpiView, lang: Lang) -> str:
    if view.is_cumulative:
        return (f'<div class="spark-legend"><span class="sw-bar"></span>'
                f'{lang.t("各年の実績", "yearly actual")}<span class="sw-target"></span>'
                f'{lang.t("累計目標の経路", "cumulative target path")}</div>')
    return (f'<div class="spark-legend"><span class="sw-actual"></span>{lang.t("実績", "actual")}'
            f'<span class="sw-target"></span>{lang.t("目標経路", "target path")}</div>')


def kpi_card(view: KpiView, lang: Lang) -> str:
    facts = _headline(view, lang)
    outlook, source = view.outlook
    chart = F.figure_div(trend_figure(view, lang, compact=True), f"spark-{view.kpi_id}",
                         modebar=False, label=view.name(lang))
    note = f'<p class="note">{esc(facts["note"])}</p>' if facts["note"] else ""
    return f"""<article class="card" id="kpi-{esc(view.kpi_id)}">
<div class="field">{esc(field_name(view.definition.field_ja, lang))}</div>
<h3><a href="{lang.page(kpi_page_name(view))}">{esc(view.name(lang))}</a></h3>
<div class="figure-row"><span class="big">{esc(facts["value"])}</span>
<span class="muted">{esc(facts["value_label"])}</span></div>
<dl class="facts">
<dt>{esc(facts["target_label"])}</dt><dd>{esc(facts["target"])}</dd>
<dt>{lang.t("達成率", "Achievement")}</dt><dd>{esc(facts["rate"])}</dd>
<dt>{lang.t("進捗度", "Progress")}</dt><dd>{mark_html(facts["mark"])}</dd>
<dt>{lang.t("評価（見込み）", "Outlook")}</dt><dd>{outlook_html(outlook, source, lang)}</dd>
</dl>{note}
{chart}
{_spark_legend(view, lang)}
{_path_table(view, lang)}
<div class="more"><a href="{lang.page(kpi_page_name(view))}">{lang.t("詳しく見る →", "Details →")}</a></div>
</article>"""


def render_index(release: Release, views: list[KpiView], ctx: SiteContext, lang: Lang) -> str:
    counts = {m: 0 for m in MARK_ORDER}
    for view in views:
        row = view.evaluated
        counts[row["progress_mark"] if row is not None else "—"] += 1
    summary = " ".join(f"<span>{mark_html(m)} {counts[m]}</span>" for m in MARK_ORDER)
    cards = "\n".join(kpi_card(v, lang) for v in views)
    legend = lang.t(
        "進捗度：○ 達成（100%以上）　△ 概ね達成（70〜100%未満）　× 未達成（70%未満）　— 判断できない。"
        "達成率は基準値から当該年の目標までの進み具合。評価（見込み）：A 達成見込み　B 努力を要する　"
        "C 厳しい（「推計」は実績の推移からの見込み）。",
        "Progress: ○ achieved (≥100%), △ mostly (70–100%), × not achieved (<70%), — cannot "
        "judge yet. Achievement = progress from the baseline towards the year's target. Outlook: "
        "A on track, B needs effort, C difficult (“projected” = extrapolated from the trend).")
    n_projects = len(projects())
    more = "".join(
        f'<li><a href="{lang.page(name)}">{esc(text)}</a></li>' for name, text in (
            ("flows", lang.t("人口移動：圏域の転入・転出と社会動態", "Population flows and net migration")),
            ("projects", lang.t(f"連携事業（{n_projects} 事業）と予算",
                                f"The {n_projects} collaboration projects and budgets")),
            ("scorecards", lang.t("構成市町の KPI と評価", "Members' own KPIs and marks")),
            ("members", lang.t("構成団体の一覧と各団体の数値（検索できます）",
                               "Every member and its own figures (searchable)")),
            ("report", lang.t("年次効果検証報告（印刷用・PDF）", "Annual evaluation report (print, PDF)")))
        if ctx.has(name))
    n_kpis = len(views)
    # site.py drops the link (between the markers) when no PDF could be printed.
    pdf = (f'<!--pdf--><a href="report.pdf">{lang.t("年次効果検証報告（PDF・A4）", "report PDF")}'
           "</a><!--/pdf-->" if lang.code == "ja" else "")
    body = f"""
<section aria-labelledby="kpis"><h2 id="kpis">{lang.t(f"圏域の KPI（{n_kpis} 指標）", f"The area's {count_words(n_kpis, lang)} KPIs")}</h2>
<p class="counts">{lang.t("直近の進捗度", "Latest progress marks")}: {summary}</p>
<p class="legend note">{esc(legend)}</p>
<div class="cards">{cards}</div></section>
<section><h2>{lang.t("さらに詳しく", "More")}</h2><ul>{more}</ul>
<p class="note">{lang.t("データはすべて公開版から作成しています。", "All figures come from the release.")}
{pdf}</p>
{downloads(release, ["regional_kpis", "kpi_scorecard"], lang)}</section>"""
    return page(lang=lang, name="index", title=lang.t("圏域 KPI の概要", "Regional KPIs at a glance"),
                subtitle=esc(_index_subtitle(lang)), body=body, ctx=ctx)


def _index_subtitle(lang: Lang) -> str:
    a = area()
    return lang.t(
        f"{a.name_ja}（{member_names(lang)}）の{vision_name(lang)}"
        f"（{a.first_year}〜{a.last_year}年度）の成果指標",
        f"Indicators of the {vision_name(lang)} (FY{a.first_year}–FY{a.last_year}) of "
        f"{member_names(lang)}")


def _latest_sizes(parts: pd.DataFrame) -> pd.Series:
    """Each member's value in its latest year: how large it is (which members a big area's
    charts show one by one)."""
    latest = parts.sort_values("period_year").groupby("municipality_code")["value"].last()
    return latest.astype("float64")


def components_by_series(view: KpiView) -> tuple[list[S.Series], pd.DataFrame]:
    """The members' components summed per series (a member, or the others) and year:
    columns period_year, series, value."""
    parts = view.components.dropna(subset=["value"])
    series = S.member_series(_latest_sizes(parts))
    frame = parts.assign(series=S.by_series(parts, "municipality_code", series))
    summed = frame.groupby(["period_year", "series"], sort=False)["value"].sum().reset_index()
    return series, summed


def _components_figure(view: KpiView, lang: Lang) -> go.Figure | None:
    parts = view.components.dropna(subset=["value"])
    if parts.empty or parts["municipality_code"].nunique() < 2:
        return None
    unit = view.unit
    series, summed = components_by_series(view)
    data = []
    for s in series:
        rows = summed[summed["series"] == s.key].sort_values("period_year")
        if rows.empty:
            continue
        data.append(go.Bar(x=[int(y) for y in rows["period_year"]],
                           y=[unit.scale(v) for v in rows["value"]], name=s.label(lang),
                           marker_color=s.color,
                           hovertemplate=F.hover(unit, lang, s.label(lang))))
    if (parts["value"] < 0).any():
        # With members on both sides of zero the stack's height is not the total: mark it.
        totals = parts.groupby("period_year")["value"].sum()
        data.append(go.Scatter(
            x=[int(y) for y in totals.index], y=[unit.scale(v) for v in totals.values],
            mode="markers", name=lang.t("合計", "Total"),
            marker={"symbol": "line-ew-open", "size": 40, "color": "#1d2733",
                    "line": {"width": 3, "color": "#1d2733"}},
            hovertemplate=F.hover(unit, lang, lang.t("合計", "Total"))))
    years = sorted({int(y) for y in parts["period_year"]})
    lay = F.layout(lang, height=380, y_title=unit.label(lang), barmode="relative",
                   margin={"l": 70, "r": 16, "t": 40, "b": 40})
    lay["xaxis"].update(F.year_ticks(years, view.period_type, lang))
    lay["yaxis"]["rangemode"] = "normal"
    return F.figure(data, lay)


def _per_capita_text(value: float) -> str:
    return num(value, 1 if abs(value) < 1000 else 0)


def _per_capita_figure(view: KpiView, lang: Lang) -> tuple[go.Figure, int, list] | None:
    spec = per_capita(view.definition)
    parts = view.components.dropna(subset=["value"])
    if not isinstance(spec, PerCapita) or parts.empty:
        return None
    per, divisor = spec.per, spec.divisor
    year = int(parts["period_year"].max())
    rows = parts[parts["period_year"] == year]
    first = rows.drop_duplicates("municipality_code")
    value_of = dict(zip(first["municipality_code"], first["value"].astype(float), strict=True))
    names, values, table_rows, total_pop = [], [], [], 0
    for member in members():
        residents = population(member.code)
        if member.code not in value_of or not residents:
            continue
        value = value_of[member.code] / residents * per / divisor
        names.append(member.name(lang))
        values.append(value)
        total_pop += residents
        table_rows.append([esc(member.name(lang)), num(view.unit.scale(value_of[member.code])),
                           num(residents), _per_capita_text(value)])
    if not values:
        return None
    area_value = float(rows["value"].sum()) / total_pop * per / divisor
    unit_label = lang.t(spec.unit_ja, spec.unit_en)
    if S.many_members():
        # A bar per member would be 1,741 bars: the distribution over the members instead,
        # and the table names the members at both ends.
        data = [go.Histogram(x=values, nbinsx=40, marker_color="#4e9bd1", name=unit_label,
                             hovertemplate=lang.t("%{x}: %{y} 団体", "%{x}: %{y} members")
                             + "<extra></extra>")]
        order = sorted(range(len(values)), key=lambda i: values[i], reverse=True)
        ends = order[:S.TOP_MEMBERS] + order[-S.TOP_MEMBERS:] if len(order) > 2 * S.TOP_MEMBERS \
            else order
        table_rows = [table_rows[i] for i in dict.fromkeys(ends)]
        line = {"type": "line", "yref": "paper", "y0": 0, "y1": 1, "xref": "x",
                "x0": area_value, "x1": area_value}
        x_title, y_title = unit_label, lang.t("団体数", "Members")
    else:
        data = [go.Bar(x=names, y=values, marker_color="#4e9bd1", name=unit_label,
                       text=[_per_capita_text(v) for v in values], textposition="outside",
                       cliponaxis=False,
                       hovertemplate=f"%{{x}}: %{{y:,.2f}} {unit_label}<extra></extra>")]
        line = {"type": "line", "xref": "paper", "x0": 0, "x1": 1, "yref": "y",
                "y0": area_value, "y1": area_value}
        x_title, y_title = "", unit_label
    line["line"] = {"color": F.TARGET, "dash": "dot", "width": 2}
    lay = F.layout(lang, height=340, y_title=y_title, x_title=x_title, legend=False,
                   margin={"l": 70, "r": 16, "t": 36, "b": 40}, shapes=[line],
                   annotations=[{"xref": "paper", "x": 0, "xanchor": "left", "yref": "paper",
                                 "y": 1.0, "yanchor": "bottom", "showarrow": False,
                                 "text": lang.t(f"┅ 圏域平均 {_per_capita_text(area_value)}",
                                                f"┅ area average {_per_capita_text(area_value)}"),
                                 "font": {"color": F.TARGET, "size": 12}}])
    lay["yaxis"]["rangemode"] = "tozero"
    return F.figure(data, lay), year, table_rows


def _actuals_table(view: KpiView, lang: Lang) -> str:
    unit = view.unit
    years = sorted({*view.actuals["period_year"].dropna().astype(int),
                    *view.score["period_year"].dropna().astype(int)})
    rows = []
    for year in years:
        actual = view.actuals[view.actuals["period_year"] == year]
        score = view.score_for(year)
        value = actual["value"].iloc[0] if not actual.empty else None
        reporting = actual["members_reporting"].iloc[0] if not actual.empty else None
        cumulative = score["actual_value"] if (score is not None and view.is_cumulative) else None
        rows.append([
            esc(year_label(year, view.period_type, lang)),
            num(unit.scale(value)),
            *([num(unit.scale(cumulative))] if view.is_cumulative else []),
            num(unit.scale(score["period_target"])) if score is not None else "",
            rate_html(score["achievement_rate"], score.get("achievement_rate_note"), lang)
            if score is not None else "",
            mark_html(score["progress_mark"]) if score is not None else "",
            num(reporting) if reporting is not None and not missing(reporting) else "—",
        ])
    u = unit.label(lang)
    headers = [lang.t("年", "Year"), lang.t(f"実績（{u}）", f"Actual ({u})"),
               *([lang.t(f"累計実績（{u}）", f"Cumulative ({u})")] if view.is_cumulative else []),
               lang.t(f"目標（{u}）", f"Target ({u})"), lang.t("達成率", "Achievement"),
               lang.t("進捗度", "Progress"), lang.t("集計市町数", "Members reporting")]
    numeric = {1, 2, 3, 4} if view.is_cumulative else {1, 2, 3}
    return table(headers, rows, numeric=numeric, empty=lang.t("データなし", "No data"))


def _components_table(view: KpiView, lang: Lang) -> str:
    parts = view.components.dropna(subset=["value"])
    if parts.empty:
        return no_data(lang)
    series, summed = components_by_series(view)
    grid = summed.pivot_table(index="period_year", columns="series", values="value",
                              aggfunc="sum")
    totals = parts.groupby("period_year")["value"].sum()
    keys = [s.key for s in series]
    rows = []
    for year in sorted({int(y) for y in parts["period_year"]}):
        cells = [num(view.unit.scale(grid.at[year, k])) if k in grid.columns
                 and year in grid.index and not missing(grid.at[year, k]) else "—" for k in keys]
        rows.append([esc(year_label(year, view.period_type, lang)), *cells,
                     num(view.unit.scale(totals.get(year, 0.0)))])
    headers = [lang.t("年", "Year"), *(esc(s.label(lang)) for s in series),
               lang.t("合計", "Total")]
    return table(headers, rows, numeric=set(range(1, len(series) + 2)))


def render_kpi_page(release: Release, views: list[KpiView], view: KpiView, ctx: SiteContext,
                    lang: Lang) -> str:
    tabs = "".join(
        f'<a href="{lang.page(kpi_page_name(v))}"'
        f'{" aria-current=page" if v is view else ""}>{esc(v.name(lang))}</a>' for v in views)
    unit = view.unit
    has_data = not view.actuals.dropna(subset=["value"]).empty or not view.score.empty
    trend = (F.figure_div(trend_figure(view, lang), "trend", label=view.name(lang))
             if has_data else no_data(lang))
    comp_fig = _components_figure(view, lang)
    if comp_fig is not None:
        components = F.figure_div(comp_fig, "components",
                                  label=lang.t("市町別の内訳", "By member"))
        components += S.others_html(components_by_series(view)[0], lang)
    elif view.components.dropna(subset=["value"]).empty:
        components = no_data(lang)
    else:
        components = (f'<p class="note">{esc(lang.t("構成する市町は 1 つです（", "One member only ("))}'
                      f'{esc(", ".join(member_name(c, lang) for c in view.components["municipality_code"].unique()))}'
                      f"{esc(lang.t('）。', ').'))}</p>")
    comparison = _per_capita_figure(view, lang)
    if comparison is not None:
        fig, year, rows = comparison
        spec = per_capita(view.definition)
        per_html = (
            F.figure_div(fig, "per-capita", label=lang.t("人口当たり", "Per capita"))
            + f'<p class="note">{esc(lang.t(POPULATION_NOTE_JA, POPULATION_NOTE_EN))}</p>'
            + data_table(lang.t("人口当たりの表", "Per-capita table"), table(
                [lang.t("市町", "Member"), lang.t(f"実績（{unit.label(lang)}）", f"Actual ({unit.label(lang)})"),
                 lang.t("人口（概数・参考）", "Population (approx.)"),
                 esc(lang.t(spec.unit_ja, spec.unit_en))], rows, numeric={1, 2, 3})))
        per_title = lang.t(f"人口当たりの比較（{year_label(year, view.period_type, lang)}、参考）",
                           f"Per-capita context ({year_label(year, view.period_type, lang)}, reference)")
    else:
        reason = per_capita(view.definition)
        if isinstance(reason, PerCapita):
            reason = ("データなし", "No data")
        per_html = f'<p class="note">{esc(lang.t(*reason))}</p>'
        per_title = lang.t("人口当たりの比較", "Per-capita context")
    facts = _headline(view, lang)
    outlook, source = view.outlook
    definition = view.definition
    body = f"""
<nav class="kpi-tabs" aria-label="KPI">{tabs}</nav>
<div class="panel"><div class="field">{esc(field_name(definition.field_ja, lang))}</div>
<div class="figure-row"><span class="big">{esc(facts["value"])}</span>
<span class="muted">{esc(facts["value_label"])}</span></div>
<dl class="facts"><dt>{esc(facts["target_label"])}</dt><dd>{esc(facts["target"])}</dd>
<dt>{lang.t("達成率", "Achievement")}</dt><dd>{esc(facts["rate"])}</dd>
<dt>{lang.t("進捗度", "Progress")}</dt><dd>{mark_html(facts["mark"])}</dd>
<dt>{lang.t("評価（見込み）", "Outlook")}</dt><dd>{outlook_html(outlook, source, lang)}</dd></dl>
{_path_table(view, lang)}</div>
<h2>{lang.t("実績と年ごとの目標", "Actuals against the yearly targets")}</h2>
<p class="note">{esc(lang.t(
        "目標経路は基準値から最終目標までを直線で補間した各年の目標（評価表 kpi_scorecard の当該期間の目標値）です。",
        "The target path interpolates linearly from the baseline to the final target "
        "(period_target of kpi_scorecard)."))}</p>
{trend}
{data_table(lang.t("実績と目標の表", "Table: actuals and targets"), _actuals_table(view, lang))}
{downloads(release, ["regional_kpis", "kpi_scorecard"], lang)}
<h2>{lang.t("市町別の内訳（積み上げ）", "Each member's contribution (stacked)")}</h2>
{components}
{data_table(lang.t("市町別の表", "Table: by member"), _components_table(view, lang))}
{downloads(release, ["municipal_indicators"], lang)}
<h2>{esc(per_title)}</h2>
{per_html}
"""
    # The English twin gives the official Japanese name; a Japanese page has no English line.
    return page(lang=lang, name=kpi_page_name(view), title=view.name(lang),
                subtitle=esc(view.name_ja) if lang.code == "en" else "", body=body, ctx=ctx)
