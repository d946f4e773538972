"""Each member's own strategy KPIs with the official marks, grouped as the members number them.

Grouping: a member's KPI codes carry the section of its own plan before the last separator
(``ABC2-12`` → ``ABC2``), so that prefix is the group, whatever codes a member assigns. Per KPI the mark shown and counted is the one of its latest year with an
actual (else —), and the outlook is the member's own grade (A+/A-/… kept as submitted).
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from orchestration.dashboard import figures as F
from orchestration.dashboard import scale as S
from orchestration.dashboard.data import Release, group_of, period_sort_key
from orchestration.dashboard.fmt import (
    MARK_ORDER,
    OUTLOOK_ORDER,
    Lang,
    esc,
    flagged_value_html,
    mark_html,
    member_unit,
    missing,
    outlook_html,
    period_label,
    rate_html,
    text_of,
)
from orchestration.dashboard.reference import member_by_code, member_name, members
from orchestration.dashboard.templates import SiteContext, downloads, no_data, page, table


def member_page_name(code: str) -> str:
    """A member's own page in a large area (pages/members.py names it the same way)."""
    return f"member-{code}"

MARK_COLORS = {"○": "#1b7f3b", "△": "#e0a030", "×": "#c0392b", "—": "#b0b8c1"}


def latest_marks(score: pd.DataFrame) -> pd.DataFrame:
    """One row per (member, KPI): its latest evaluated year, else its latest row."""
    if score.empty:
        return score
    frame = score.copy()
    frame["_evaluated"] = frame["progress_mark"].isin(["○", "△", "×"])
    frame = frame.sort_values(["scope_code", "kpi_id", "_evaluated", "period_year"])
    latest = frame.groupby(["scope_code", "kpi_id"], sort=False).tail(1).copy()
    latest["group"] = latest["kpi_id"].map(group_of)
    latest["progress_mark"] = latest["progress_mark"].where(latest["_evaluated"], "—")
    return latest.drop(columns="_evaluated")


def _outlooks(frame: pd.DataFrame) -> list[str]:
    found = [o for o in frame["outlook"].dropna().astype(str) if o]
    return [o for o in OUTLOOK_ORDER if o in found] + sorted(set(found) - set(OUTLOOK_ORDER))


def counts_html(frame: pd.DataFrame, lang: Lang) -> str:
    marks = " ".join(f"<span>{mark_html(m)} {int((frame['progress_mark'] == m).sum())}</span>"
                     for m in MARK_ORDER)
    outlooks = " ".join(
        f'<span><span class="outlook outlook-{o[0].lower()}">{esc(o)}</span> '
        f"{int((frame['outlook'] == o).sum())}</span>" for o in _outlooks(frame))
    none = int(frame["outlook"].isna().sum())
    extra = f'<span class="muted">{lang.t("評価なし", "no outlook")} {none}</span>' if none else ""
    return f'<p class="counts">{marks}　{outlooks} {extra}</p>'


def _value_lang(row, column: str, lang: Lang) -> str:
    unit = member_unit(row.get("unit"), row.get(column)).in_lang(lang)
    return unit.text(row.get(column), lang) if not missing(row.get(column)) else "—"


def member_table(rows: pd.DataFrame, lang: Lang) -> str:
    body = []
    for r in rows.to_dict("records"):
        body.append([
            f"<code>{esc(r['kpi_id'])}</code>",
            esc(text_of(r.get("kpi_name_ja")) if lang.code == "ja" else
                text_of(r.get("kpi_name_en"), r.get("kpi_name_ja"))),
            f"{esc(_value_lang(r, 'baseline_value', lang))}"
            f"<br><small class=muted>{esc(period_label(r.get('baseline_period'), lang))}</small>",
            f"{esc(_value_lang(r, 'target_value', lang))}"
            f"<br><small class=muted>{esc(period_label(r.get('target_period'), lang))}</small>",
            f"{flagged_value_html(_value_lang(r, 'actual_value', lang), r.get('actual_flags'), lang)}"
            f"<br><small class=muted>{esc(period_label(r.get('period'), lang))}</small>",
            rate_html(r.get("achievement_rate"), r.get("achievement_rate_note"), lang),
            mark_html(r.get("progress_mark")),
            outlook_html(r.get("outlook"), r.get("outlook_source"), lang),
        ])
    headers = [lang.t("番号", "Code"), lang.t("KPI", "KPI"), lang.t("基準値", "Baseline"),
               lang.t("目標値", "Target"), lang.t("直近の実績", "Latest actual"),
               lang.t("達成率", "Achievement"), lang.t("進捗度", "Progress"),
               lang.t("評価", "Outlook")]
    return table(headers, body, numeric={2, 3, 4, 5}, cls="scorecard")


def mark_series(latest: pd.DataFrame) -> list[S.Series]:
    """The members a chart or table shows one by one: by how many KPIs they report."""
    return S.member_series(latest.groupby("scope_code")["kpi_id"].count(),
                           present=[c for c in latest["scope_code"].dropna().unique()])


def marks_figure(latest: pd.DataFrame, lang: Lang) -> go.Figure | None:
    if latest.empty:
        return None
    order = mark_series(latest)
    names = [s.label(lang) for s in order]
    keyed = latest.assign(series=S.by_series(latest, "scope_code", order))
    data = []
    for mark in MARK_ORDER:
        counts = [int(((keyed["series"] == s.key) & (keyed["progress_mark"] == mark)).sum())
                  for s in order]
        data.append(go.Bar(y=names, x=counts, orientation="h", name=mark,
                           marker_color=MARK_COLORS[mark], text=[c or "" for c in counts],
                           textposition="inside", insidetextanchor="middle",
                           hovertemplate=f"%{{y}} {mark}: %{{x}}<extra></extra>"))
    lay = F.layout(lang, height=60 + 42 * len(order), barmode="stack",
                   x_title=lang.t("KPI の数", "Number of KPIs"),
                   margin={"l": 90, "r": 16, "t": 30, "b": 44})
    lay["yaxis"].update({"autorange": "reversed", "gridcolor": "white", "tickformat": ""})
    lay["xaxis"].update({"showgrid": True, "gridcolor": "#e6e9ed"})
    lay["legend"]["y"] = 1.0
    return F.figure(data, lay)


def _group_example(latest: pd.DataFrame) -> str:
    """``CODE → GROUP`` for the first published code with a prefix (the legend's example)."""
    for code in sorted(latest["kpi_id"].dropna().astype(str)):
        group = group_of(code)
        if group != code:
            return f"{code} → {group}"
    return ""


def render_scorecards(release: Release, ctx: SiteContext, lang: Lang) -> str:
    score = release.df("kpi_scorecard")
    own = score[score["scope_code"] != "area"] if not score.empty else score
    latest = latest_marks(own)
    if latest.empty:
        body = no_data(lang, lang.t("市町の KPI 実績（kpi_records）", "members' kpi_records"))
        return page(lang=lang, name="scorecards", title=lang.t("構成市町の KPI", "Members' KPIs"),
                    body=body, ctx=ctx)
    fig = marks_figure(latest, lang)
    chart = F.figure_div(fig, "marks", label=lang.t("市町別の進捗度", "Marks by member"))
    summary_rows = []
    known = member_by_code()
    scopes = [m.code for m in members() if m.code in set(latest["scope_code"])]
    scopes += sorted(set(latest["scope_code"]) - set(scopes) - {None})
    outlooks = _outlooks(latest)
    many = S.many_members()
    if many:
        # The largest members one by one and the others together; each member's KPIs are
        # on its own page (pages/members.py), not in 1,741 sections here.
        order = mark_series(latest)
        keyed = latest.assign(series=S.by_series(latest, "scope_code", order))
        groups = [(s, keyed[keyed["series"] == s.key]) for s in order]
        scopes = []
    else:
        groups = [(code, latest[latest["scope_code"] == code]) for code in scopes]
    for who, part in groups:
        if many:
            label = esc(who.label(lang)) if who.is_others else (
                f'<a href="{lang.page(member_page_name(who.key))}">{esc(who.label(lang))}</a>')
        else:
            label = f'<a href="#m-{esc(who)}">{esc(member_name(who, lang))}</a>'
        summary_rows.append([
            label, str(len(part)),
            *(str(int((part["progress_mark"] == m).sum())) for m in MARK_ORDER),
            *(str(int((part["outlook"] == o).sum())) for o in outlooks)])
    summary = table([lang.t("市町", "Member"), lang.t("KPI 数", "KPIs"),
                     *(mark_html(m) for m in MARK_ORDER), *(esc(o) for o in outlooks)],
                    summary_rows, numeric=set(range(1, 2 + len(MARK_ORDER) + len(outlooks))))
    sections = []
    for code in scopes:
        part = latest[latest["scope_code"] == code]
        groups = []
        for group in sorted(set(part["group"])):
            rows = part[part["group"] == group].sort_values("kpi_id")
            targets = sorted(set(rows["target_period"].dropna()), key=period_sort_key)
            aim = (lang.t("目標 ", "target ") + "・".join(period_label(t, lang) for t in targets[-2:])
                   if targets else "")
            detail = f"{len(rows)} KPI" + (f"{lang.t('、', ', ')}{aim}" if aim else "")
            groups.append(f'<h3>{lang.t("区分", "Group")} <code>{esc(group)}</code>'
                          f'<small class="muted">{esc(lang.paren(detail))}</small></h3>'
                          f"{counts_html(rows, lang)}{member_table(rows, lang)}")
        years = sorted(set(own.loc[own["scope_code"] == code, "period"].dropna()),
                       key=period_sort_key)
        span = (f"{period_label(years[0], lang)}{lang.t('〜', '–')}"
                f"{period_label(years[-1], lang)}" if years else "")
        name = known[code].name(lang) if code in known else code
        sections.append(f'<section id="m-{esc(code)}"><h2>{esc(name)} <small class="muted">'
                        f"{esc(code)} · {esc(span)}</small></h2>"
                        f"{counts_html(part, lang)}{''.join(groups)}</section>")
    example = _group_example(latest)
    legend = lang.t(
        "各 KPI の直近の実績年の進捗度（○ 100%以上、△ 70〜100%未満、× 70%未満、— 実績なし・判断困難）と、"
        "各市町の評価（A/B/C。A+・A- など市町独自の区分はそのまま）。区分は各市町の KPI 番号の接頭部"
        f"{lang.paren('例：' + example) if example else ''}で、各市町の計画の章立てに対応します。"
        "実績値の「約」「速報値」は提出のとおりです。達成率が ±1,000% を超える（目標値と基準値の差が"
        "小さい）場合は、達成率を示さず理由を記します。",
        "Each KPI's progress mark in its latest year with an actual (○ ≥100%, △ 70–100%, × <70%, "
        "— no actual) and the member's outlook (A/B/C; members' own grades such as A+/A- are "
        f"kept). Groups are the prefix of the member's KPI code{lang.paren(example) if example else ''}"
        ", i.e. the section of its own plan. “approx.” and “preliminary” are as the member "
        "submitted them. Where the rate would exceed ±1,000% (a target barely different from "
        "the baseline), no rate is given and the reason is shown.")
    note = f'<p class="note">{esc(S.others_note(mark_series(latest), lang))}</p>\n' if many else ""
    body = f"""
<p class="legend note">{esc(legend)}</p>
<h2>{lang.t("市町別の集計", "Summary by member")}</h2>
{chart}
{note}{summary}
{downloads(release, ["kpi_scorecard"], lang)}
{''.join(sections)}
"""
    return page(lang=lang, name="scorecards", title=lang.t("構成市町の KPI と評価", "Members' KPIs"),
                body=body, ctx=ctx)
