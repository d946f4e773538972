"""Population flows: who moves between the members and the outside areas, and the area's
社会動態 against its KPI's target (the area's KPI of method net_moves)."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from orchestration.dashboard import figures as F
from orchestration.dashboard import scale as S
from orchestration.dashboard.data import KpiView, Release
from orchestration.dashboard.fmt import Lang, esc, num
from orchestration.dashboard.pages.kpis import trend_figure
from orchestration.dashboard.reference import (
    OTHER_GROUP,
    member_by_code,
    member_name,
    outside_groups,
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


def _rgba(hex_color: str, alpha: float) -> str:
    h = hex_color.lstrip("#")
    r, g, b = (int(h[i:i + 2], 16) for i in (0, 2, 4))
    return f"rgba({r},{g},{b},{alpha})"


def sankey_links(flows: pd.DataFrame, year: int) -> list[tuple[str, str, float]]:
    """(origin, destination, persons) for one year; nodes are member codes or outside groups.

    Moves between two members are taken as the origin reported them (its out-moves), so each
    move is counted once; population_flow_reconciliation shows where the two reports differ.
    Links come in the order of the rows that first name them (the diagram's layout follows).
    """
    rows = flows[(flows["calendar_year"] == year)
                 & flows["municipality_code"].isin(list(member_by_code()))].reset_index(drop=True)
    codes = set(member_by_code())
    outside = outside_groups()
    between = (rows["counterpart_group"] == "member") | rows["counterpart_area_code"].isin(codes)
    inner = rows[between & (rows["counterpart_area_code"] != rows["municipality_code"])]
    outer = rows[~between]
    group = outer["counterpart_group"].where(outer["counterpart_group"].isin(list(outside)),
                                             OTHER_GROUP)
    parts = [
        pd.DataFrame({"row": inner.index, "step": 0, "src": inner["municipality_code"],
                      "dst": inner["counterpart_area_code"], "value": inner["out_persons"]}),
        pd.DataFrame({"row": outer.index, "step": 0, "src": group,
                      "dst": outer["municipality_code"], "value": outer["in_persons"]}),
        pd.DataFrame({"row": outer.index, "step": 1, "src": outer["municipality_code"],
                      "dst": group, "value": outer["out_persons"]}),
    ]
    links = pd.concat(parts, ignore_index=True)
    links["value"] = pd.to_numeric(links["value"], errors="coerce")
    links = links[links["value"] > 0].sort_values(["row", "step"], kind="stable")
    summed = links.groupby(["src", "dst"], sort=False)["value"].sum()
    return [(s, d, float(v)) for (s, d), v in summed.items()]


def _grouped_links(links: list[tuple[str, str, float]],
                   key_of: dict[str, str]) -> list[tuple[str, str, float]]:
    """The links between series (a member or the others) rather than members."""
    if not key_of:
        return links
    out: dict[tuple[str, str], float] = {}
    for s, d, v in links:
        key = (key_of.get(s, s), key_of.get(d, d))
        out[key] = out.get(key, 0.0) + v
    return [(s, d, v) for (s, d), v in out.items()]


def _node_label(key: str, lang: Lang, series: dict[str, S.Series] | None = None) -> str:
    groups = outside_groups()
    if key in groups:
        return lang.t(*groups[key])
    if series and key in series:
        return series[key].label(lang)
    return member_name(key, lang)


def _node_color(key: str, series: dict[str, S.Series] | None = None) -> str:
    groups = list(outside_groups())
    if key in groups:
        return F.group_color(groups.index(key), key)
    if series and key in series:
        return series[key].color
    return F.member_color(key)


def _flow_series(flows: pd.DataFrame) -> list[S.Series]:
    """The members the diagram draws one by one: by all the moves they reported."""
    moved = flows.assign(moved=flows["in_persons"].fillna(0) + flows["out_persons"].fillna(0))
    return S.member_series(moved.groupby("municipality_code")["moved"].sum())


def links_by_year(flows: pd.DataFrame) -> dict[int, list[tuple[str, str, float]]]:
    """sankey_links of every year (a national area's flows split by year once)."""
    return {int(y): sankey_links(part, int(y)) for y, part in flows.groupby("calendar_year")}


def sankey_figure(flows: pd.DataFrame, lang: Lang,
                  links: dict[int, list] | None = None) -> tuple[go.Figure, list[int]] | None:
    """``links``: links_by_year(flows) when already computed (the other language's page)."""
    years = sorted({int(y) for y in flows["calendar_year"].dropna()})
    if not years:
        return None
    links = links if links is not None else links_by_year(flows)
    series = _flow_series(flows)
    key_of = {c: s.key for s in series for c in s.codes} if S.many_members() else {}
    names = {s.key: s for s in series}
    order = [s.key for s in series] + list(outside_groups())
    traces = []
    by_year = links
    for year in years:
        links = _grouped_links(by_year.get(year, []), key_of)
        used_src = [k for k in order if any(s == k for s, _, _ in links)]
        used_dst = [k for k in order if any(d == k for _, d, _ in links)]
        nodes = [("src", k) for k in used_src] + [("dst", k) for k in used_dst]
        index = {n: i for i, n in enumerate(nodes)}
        totals = {n: 0.0 for n in nodes}
        for s, d, v in links:
            totals[("src", s)] += v
            totals[("dst", d)] += v
        unit = lang.t("人", " persons")
        labels = [f"{_node_label(k, lang, names)} {num(totals[(side, k)])}{unit}"
                  for side, k in nodes]
        traces.append(go.Sankey(
            visible=year == years[-1],
            arrangement="snap",
            valueformat=",.0f", valuesuffix=lang.t("人", " persons"),
            node={"label": labels, "pad": 10, "thickness": 16,
                  "color": [_node_color(k, names) for _, k in nodes],
                  "line": {"color": "white", "width": 0.5},
                  "hovertemplate": "%{label}<extra></extra>"},
            link={"source": [index[("src", s)] for s, _, _ in links],
                  "target": [index[("dst", d)] for _, d, _ in links],
                  "value": [v for _, _, v in links],
                  "color": [_rgba(_node_color(s, names), 0.35) for s, _, _ in links],
                  "customdata": [[_node_label(s, lang, names), _node_label(d, lang, names)]
                                 for s, d, _ in links],
                  "hovertemplate": "%{customdata[0]} → %{customdata[1]}: %{value:,.0f}"
                                   + lang.t("人", " persons") + "<extra></extra>"},
        ))
    buttons = [{"label": lang.t(f"{y}年", str(y)), "method": "update",
                "args": [{"visible": [y == other for other in years]},
                         {"title.text": _sankey_title(y, lang)}]} for y in years]
    lay = F.layout(lang, height=640, title=_sankey_title(years[-1], lang), legend=False,
                   margin={"l": 10, "r": 10, "t": 80, "b": 20},
                   updatemenus=[{"type": "dropdown", "buttons": buttons, "active": len(years) - 1,
                                 "x": 1, "xanchor": "right", "y": 1.13, "yanchor": "top",
                                 "showactive": True, "bgcolor": "white"}],
                   annotations=[
                       {"text": lang.t("転出元 →", "From →"), "xref": "paper", "yref": "paper",
                        "x": 0, "y": 1.02, "xanchor": "left", "yanchor": "bottom",
                        "showarrow": False, "font": {"size": 12, "color": "#5b6673"}},
                       {"text": lang.t("→ 転入先", "→ To"), "xref": "paper", "yref": "paper",
                        "x": 1, "y": 1.02, "xanchor": "right", "yanchor": "bottom",
                        "showarrow": False, "font": {"size": 12, "color": "#5b6673"}}])
    lay.pop("xaxis")
    lay.pop("yaxis")
    return F.figure(traces, lay), years


def _sankey_title(year: int, lang: Lang) -> str:
    return lang.t(f"{year}年の転入・転出（圏域の市町と圏域外）",
                  f"Moves in {year}: the members and outside areas")


def _net_series(net: pd.DataFrame) -> tuple[list[S.Series], pd.DataFrame]:
    """Members' net moves summed per series (a member, or the others) and year: the
    largest by the moves of all years, in either direction."""
    own = net[net["scope_code"] != "area"]
    size = own.groupby("scope_code")["net_persons"].apply(lambda v: v.abs().sum())
    series = S.member_series(size)
    summed = (own.assign(series=S.by_series(own, "scope_code", series))
              .groupby(["calendar_year", "series"], sort=False)["net_persons"].sum()
              .reset_index())
    return series, summed


def net_by_member_figure(net: pd.DataFrame, lang: Lang) -> go.Figure | None:
    if net.empty:
        return None
    data = []
    series, summed = _net_series(net)
    for s in series:
        rows = summed[summed["series"] == s.key].sort_values("calendar_year")
        if rows.empty:
            continue
        data.append(go.Bar(x=[int(y) for y in rows["calendar_year"]], y=list(rows["net_persons"]),
                           name=s.label(lang), marker_color=s.color,
                           hovertemplate=f"%{{x}}: %{{y:+,}}{lang.t('人', ' persons')}"
                                         f"<extra>{s.label(lang)}</extra>"))
    area = net[net["scope_code"] == "area"].sort_values("calendar_year")
    if not area.empty:
        data.append(go.Scatter(
            x=[int(y) for y in area["calendar_year"]], y=list(area["net_persons"]),
            mode="lines+markers", name=lang.t("圏域計", "Area total"),
            line={"color": "#1d2733", "width": 2}, marker={"size": 7},
            hovertemplate=f"%{{x}}: %{{y:+,}}{lang.t('人', ' persons')}"
                          f"<extra>{lang.t('圏域計', 'Area')}</extra>"))
    years = sorted({int(y) for y in net["calendar_year"].dropna()})
    lay = F.layout(lang, height=420, y_title=lang.t("人", "Net moves (persons)"),
                   barmode="group", margin={"l": 70, "r": 16, "t": 50, "b": 40})
    lay["xaxis"].update(F.year_ticks(years, "CY", lang))
    lay["yaxis"].update({"rangemode": "normal", "zerolinewidth": 2, "tickformat": "+,~f"})
    lay["legend"]["y"] = 1.04
    return F.figure(data, lay)


def _net_table(net: pd.DataFrame, lang: Lang) -> str:
    if net.empty:
        return no_data(lang)
    series, summed = _net_series(net)
    has_area = "area" in set(net["scope_code"])
    area = net[net["scope_code"] == "area"].drop_duplicates("calendar_year")
    cell = {(int(r.calendar_year), r.series): r.net_persons for r in summed.itertuples()}
    cell.update({(int(r.calendar_year), "area"): r.net_persons for r in area.itertuples()})
    keys = [s.key for s in series] + (["area"] if has_area else [])
    rows = []
    for year in sorted({int(y) for y in net["calendar_year"].dropna()}):
        cells = [num(cell[(year, k)], signed=True) if (year, k) in cell else "—" for k in keys]
        rows.append([esc(lang.t(f"{year}年", str(year))), *cells])
    headers = [lang.t("年", "Year"), *(esc(s.label(lang)) for s in series),
               *([lang.t("圏域（圏域外との差）", "Area (across its boundary)")] if has_area else [])]
    return table(headers, rows, numeric=set(range(1, len(headers))))


def _exchange_table(exchange: pd.DataFrame, lang: Lang) -> str:
    if exchange.empty:
        return no_data(lang)
    outside = outside_groups()
    groups = [g for g in outside if g in set(exchange["counterpart_group"])]
    rows = []
    for year in sorted({int(y) for y in exchange["calendar_year"].dropna()}):
        cells, total = [], 0.0
        for group in groups:
            row = exchange[(exchange["calendar_year"] == year)
                           & (exchange["counterpart_group"] == group)]
            value = row["net_persons"].iloc[0] if not row.empty else None
            total += 0 if value is None or pd.isna(value) else float(value)
            cells.append(num(value, signed=True))
        rows.append([esc(lang.t(f"{year}年", str(year))), *cells, num(total, signed=True)])
    headers = [lang.t("年", "Year"), *(esc(lang.t(*outside[g])) for g in groups),
               lang.t("計", "Total")]
    return table(headers, rows, numeric=set(range(1, len(headers))))


def _reconciliation(recon: pd.DataFrame, lang: Lang) -> str:
    if recon.empty:
        return no_data(lang)
    labels = {"ok": lang.t("一致", "match"), "warning": lang.t("差あり（軽微）", "small difference"),
              "error": lang.t("差あり（要確認）", "difference to check"),
              "unmatched": lang.t("片方のみ報告", "reported by one side only")}
    statuses = [s for s in labels if s in set(recon["reconciliation_status"])]
    rows = []
    for year in sorted({int(y) for y in recon["calendar_year"].dropna()}):
        part = recon[recon["calendar_year"] == year]
        rows.append([esc(lang.t(f"{year}年", str(year))),
                     *(num(int((part["reconciliation_status"] == s).sum())) for s in statuses),
                     num(part["difference_persons"].abs().sum())])
    headers = [lang.t("年", "Year"), *(esc(labels[s]) for s in statuses),
               lang.t("差の合計（人）", "Total difference (persons)")]
    return table(headers, rows, numeric=set(range(1, len(headers))))


def _target(view: KpiView, lang: Lang) -> dict[str, str]:
    """The heading and the reference sentence about the net-moves KPI's target."""
    kpi = view.definition
    value, _ = view.target
    if value is None or not kpi.target_period:
        return {"heading": lang.t("圏域の社会動態と目標", "The area's net migration and its target"),
                "sentence": ""}
    amount = num(view.unit.scale(value), signed=True)
    with_unit = amount + lang.t(view.unit.label(lang), "")
    last = int(kpi.target_period[2:6])
    if not kpi.cumulative_from:
        when = lang.t(f"{last}年", str(last))
        return {"heading": lang.t(f"圏域の社会動態と目標（{with_unit}、{when}）",
                                  f"The area's net migration against {amount} ({when})"),
                "sentence": lang.t(f"目標は {when}に {with_unit}です。",
                                   f"the target is {amount} in {when}.")}
    first = int(kpi.cumulative_from[2:6])
    years = last - first + 1
    per_year = num(view.unit.scale(value / years), signed=True)
    return {
        "heading": lang.t(f"圏域の社会動態の累計と目標（{with_unit}、{first}〜{last}年）",
                          f"The area's cumulative net migration against {amount} ({first}–{last})"),
        "sentence": lang.t(
            f"目標は {first}〜{last}年の {years} 年間の累計で {with_unit}"
            f"（年平均 {per_year}{view.unit.label(lang)}）です。",
            f"the target is {amount} over {first}–{last} ({per_year} a year on average)."),
    }


def render_flows(release: Release, migration_view: KpiView, ctx: SiteContext, lang: Lang) -> str:
    flows = release.df("population_flows")
    net = release.df("net_migration")
    exchange = release.df("area_net_exchange")
    recon = release.df("population_flow_reconciliation")
    sankey = (sankey_figure(flows, lang, release.derive("sankey_links",
                                                        lambda: links_by_year(flows)))
              if not flows.empty else None)
    if sankey:
        sankey_html = F.figure_div(sankey[0], "sankey", modebar=False,
                                   label=lang.t("人口移動のサンキー図", "Sankey diagram of moves"))
    else:
        sankey_html = no_data(lang, lang.t("人口移動", "population flows"))
    net_fig = net_by_member_figure(net, lang)
    net_html = F.figure_div(net_fig, "net-by-member") if net_fig else no_data(lang)
    if net_fig:
        net_html += S.others_html(_net_series(net)[0], lang)
    if sankey:
        sankey_html += S.others_html(_flow_series(flows), lang)
    cumulative_html = F.figure_div(trend_figure(migration_view, lang), "cumulative",
                                   label=lang.t("社会動態の累計", "Cumulative net migration"))
    area = net[net["scope_code"] == "area"].sort_values("calendar_year") if not net.empty else net
    before = area[area["calendar_year"] < min(vision_years())].tail(5) if not area.empty else area
    target = _target(migration_view, lang)
    reference = ""
    if len(before):
        first, last = int(before["calendar_year"].min()), int(before["calendar_year"].max())
        total = float(before["net_persons"].sum())
        reference = lang.t(
            f"参考：直前の {len(before)} 年間（{first}〜{last}年）の圏域の社会動態の累計は "
            f"{num(total, signed=True)}人でした。{target['sentence']}",
            f"For reference: the area's net migration over the {len(before)} years {first}–{last} "
            f"added up to {num(total, signed=True)}; {target['sentence']}")
    body = f"""
<p class="note">{esc(lang.t(
        "各市町が報告した暦年の転入・転出（住民基本台帳）を相手地域別にまとめています。"
        "圏域内の市町間の移動は転出元の報告値で 1 回だけ数えます。",
        "Calendar-year moves reported by each member, by counterpart area. A move between two "
        "members is counted once, as its origin reported it."))}</p>
<h2>{lang.t("転入・転出の流れ", "Where people move")}</h2>
<p class="note no-print">{esc(lang.t("右上のメニューで年を選べます。線にカーソルを合わせると人数が出ます。",
                                    "Choose the year at the top right; hover a band for the number."))}</p>
{sankey_html}
{downloads(release, ["population_flows"], lang)}
<h2>{lang.t("市町別の社会増減", "Net migration by member and year")}</h2>
{net_html}
{data_table(lang.t("社会増減の表（人）", "Table: net moves (persons)"), _net_table(net, lang))}
{downloads(release, ["net_migration"], lang)}
<h2>{esc(target["heading"])}</h2>
{cumulative_html}
<p class="note">{esc(reference)}</p>
<h3>{lang.t("圏域外との転入超過（相手地域別）", "Net moves with outside areas")}</h3>
{_exchange_table(exchange, lang)}
{downloads(release, ["area_net_exchange"], lang)}
<h3>{lang.t("市町間の報告の突合", "Reconciliation of moves between members")}</h3>
<p class="note">{esc(lang.t("A 市町が報告した B への転出数と、B 市町が報告した A からの転入数の比較（組の数）。",
                            "A's reported out-moves to B against B's reported in-moves from A "
                            "(number of pairs)."))}</p>
{_reconciliation(recon, lang)}
{downloads(release, ["population_flow_reconciliation"], lang)}
"""
    return page(lang=lang, name="flows", title=lang.t("人口移動と社会動態", "Population flows"),
                body=body, ctx=ctx)
