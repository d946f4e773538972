"""年次効果検証報告: the annual evaluation report, in the layout the area's reports use.

Per KPI a table of year, 目標値, 実績値, 進捗度 and 評価 (評価 once per KPI, in its first row,
as the printed reports do), the counts per policy direction (field_ja of the vision's KPI
definitions), and a commentary box filled from the submissions' notes where the release
carries them. Print CSS sets A4; ``site.py`` prints it to ``report.pdf`` with headless Chromium.
"""

from __future__ import annotations

from orchestration.dashboard import figures as F
from orchestration.dashboard.data import KpiView, Release
from orchestration.dashboard.fmt import (
    MARK_ORDER,
    OUTLOOK_ORDER,
    Lang,
    era_label,
    esc,
    mark_html,
    missing,
    num,
    outlook_html,
    pct,
    period_label,
    status_text,
)
from orchestration.dashboard.pages.kpis import trend_figure
from orchestration.dashboard.pages.scorecards import latest_marks
from orchestration.dashboard.reference import field_name, member_name, members
from orchestration.dashboard.templates import SiteContext, page, table

NOTE_COLUMNS = ("note", "notes", "note_ja", "comment")
REPORT_CHART_WIDTH = 680  # fits the A4 text width (186 mm at 96 dpi ≈ 700 px)


def report_year(views: list[KpiView]) -> int | None:
    """The year the report evaluates: the latest with an actual of any regional KPI."""
    years = [int(v.evaluated["period_year"]) for v in views if v.evaluated is not None]
    if not years:
        years = [int(v.latest["period_year"]) for v in views if v.latest is not None]
    return max(years) if years else None


def _year_cell(period: str, lang: Lang) -> str:
    if lang.code == "ja":
        year = period_label(period, lang).rstrip("年度")
        return f'{esc(era_label(period))}<small class="muted">（{esc(year)}）</small>'
    return esc(period_label(period, lang))


def evaluation_table(view: KpiView, lang: Lang) -> str:
    unit = view.unit
    rows: list[list[str]] = []
    base_value, base_period = view.baseline
    if base_value is not None and base_period:
        rows.append([_year_cell(base_period, lang), lang.t("（基準値）", "(baseline)"),
                     esc(num(unit.scale(base_value))), "", "", ""])
    outlook, source = view.outlook
    outlook_cell = outlook_html(outlook, source, lang)
    signed = view.kpi_id == "net_social_migration"
    for r in view.score.to_dict("records"):
        actual = r.get("actual_value")
        note = r.get("status_note")
        actual_text = num(unit.scale(actual), signed=signed)
        if missing(actual) and not missing(note) and note:
            actual_text = f'<span class="muted">{esc(status_text(note, lang))}</span>'
        rows.append([_year_cell(r["period"], lang), esc(num(unit.scale(r.get("period_target")),
                                                            signed=signed)),
                     actual_text, esc(pct(r.get("achievement_rate"))),
                     mark_html(r.get("progress_mark")), ""])
    if not rows:
        return f'<p class="empty">{lang.t("データなし", "No data")}</p>'
    u = unit.label(lang)
    cumul = lang.t("（累計）", " (cumulative)") if view.is_cumulative else ""
    headers = [lang.t("年", "Year"), lang.t(f"目標値{cumul}（{u}）", f"Target{cumul} ({u})"),
               lang.t(f"実績値{cumul}（{u}）", f"Actual{cumul} ({u})"),
               lang.t("達成率", "Achievement"), lang.t("進捗度", "Progress"),
               lang.t("評価", "Outlook")]
    body = []
    for i, row in enumerate(rows):
        cells = "".join(f'<td{" class=num" if j in (1, 2, 3) else ""}>{c}</td>'
                        for j, c in enumerate(row[:5]))
        if i == 0:
            cells += f'<td rowspan="{len(rows)}">{outlook_cell}</td>'
        body.append(f"<tr>{cells}</tr>")
    head = "".join(f"<th>{esc(h)}</th>" for h in headers)
    return (f'<table class="eval" data-kpi="{esc(view.kpi_id)}"><thead><tr>{head}</tr></thead>'
            f"<tbody>{''.join(body)}</tbody></table>")


def commentary(view: KpiView, release: Release, lang: Lang) -> str:
    """Notes from the submissions behind the KPI, and room for the secretariat's commentary."""
    lines: list[str] = []
    # Notes travel with the published rows when the release carries a note column (備考):
    # the area's scorecard rows and the members' components behind the KPI.
    for dataset, who_column in (("kpi_scorecard", "scope_code"),
                                ("municipal_indicators", "municipality_code")):
        frame = release.df(dataset)
        for column in NOTE_COLUMNS:
            if column not in frame.columns:
                continue
            notes = frame[(frame["kpi_id"] == view.kpi_id) & frame[column].notna()]
            for r in notes.to_dict("records"):
                text = str(r[column]).strip()
                if not text or text in ("nan", "None"):
                    continue
                who = (lang.t("圏域", "Area") if r[who_column] == "area"
                       else member_name(r[who_column], lang))
                lines.append(f"{who}・{period_label(r.get('period'), lang)}：{text}")
    pending = [period_label(r["period"], lang) for r in view.score.to_dict("records")
               if missing(r.get("actual_value")) and not missing(r.get("status_note"))
               and r.get("status_note") not in ("実績なし",)]
    if pending:
        lines.append(lang.t(f"集計中など：{'、'.join(pending)}", f"Pending: {', '.join(pending)}"))
    outlook, source = view.outlook
    if outlook and source == "projected":
        lines.append(lang.t("評価は、提出された見込みがないため実績の推移からの推計です。",
                            "The outlook is projected from the trend (none was submitted)."))
    members_reporting = view.actuals["members_reporting"].dropna()
    if len(members_reporting) and members_reporting.min() < len(members()) and (
            view.definition.aggregation == "sum"):
        short = view.actuals[view.actuals["members_reporting"] < len(members())]
        years = "、".join(period_label(p, lang) for p in short["period"])
        lines.append(lang.t(f"一部の市町が未報告の年があります（{years}）。",
                            f"Not every member reported in {years}."))
    if view.is_cumulative:
        lines.append(lang.t("目標は期間中の累計値です（各年の目標は累計の経路）。",
                            "The target is cumulative over the period (yearly targets are the "
                            "cumulative path)."))
    notes = "".join(f"<p>{esc(line)}</p>" for line in lines)
    blank = lang.t("所見：", "Commentary:")
    return f'<div class="commentary"><p><strong>{esc(blank)}</strong></p>{notes}</div>'


def direction_counts(views: list[KpiView], lang: Lang) -> str:
    fields: dict[str, list[KpiView]] = {}
    for view in views:
        fields.setdefault(view.definition.field_ja, []).append(view)
    rows = []
    totals = {**{m: 0 for m in MARK_ORDER}, **{o: 0 for o in ("A", "B", "C", "")}}

    def counts_for(group: list[KpiView]) -> tuple[dict, dict]:
        marks = {m: 0 for m in MARK_ORDER}
        outlooks = {o: 0 for o in ("A", "B", "C", "")}
        for v in group:
            row = v.evaluated
            marks[row["progress_mark"] if row is not None else "—"] += 1
            outlook = v.outlook[0]
            key = str(outlook)[0] if outlook else ""
            outlooks[key if key in outlooks else ""] += 1
        return marks, outlooks

    for field_ja, group in fields.items():
        marks, outlooks = counts_for(group)
        for k, v in {**marks, **outlooks}.items():
            totals[k] += v
        rows.append([esc(field_name(field_ja, lang)), str(len(group)),
                     *(str(marks[m]) for m in MARK_ORDER),
                     *(str(outlooks[o]) for o in ("A", "B", "C", ""))])
    rows.append([f"<strong>{lang.t('計', 'Total')}</strong>", str(len(views)),
                 *(str(totals[m]) for m in MARK_ORDER),
                 *(str(totals[o]) for o in ("A", "B", "C", ""))])
    headers = [lang.t("施策の方向性（分野）", "Policy direction"), lang.t("KPI 数", "KPIs"),
               *(mark_html(m) for m in MARK_ORDER), "A", "B", "C", lang.t("評価なし", "none")]
    return table(headers, rows, numeric=set(range(1, 10)), cls="counts-table")


def member_summary(release: Release, lang: Lang) -> str:
    score = release.df("kpi_scorecard")
    own = score[score["scope_code"] != "area"] if not score.empty else score
    latest = latest_marks(own)
    if latest.empty:
        return f'<p class="empty">{lang.t("データなし", "No data")}</p>'
    outlooks = [o for o in OUTLOOK_ORDER if o in set(latest["outlook"].dropna())]
    rows = []
    for member in members():
        part = latest[latest["scope_code"] == member.code]
        if part.empty:
            continue
        rows.append([esc(member.name(lang)), str(len(part)),
                     *(str(int((part["progress_mark"] == m).sum())) for m in MARK_ORDER),
                     *(str(int((part["outlook"] == o).sum())) for o in outlooks)])
    headers = [lang.t("市町", "Member"), lang.t("KPI 数", "KPIs"),
               *(mark_html(m) for m in MARK_ORDER), *(esc(o) for o in outlooks)]
    notes = []
    for column in NOTE_COLUMNS:
        if column in latest.columns:
            for r in latest.dropna(subset=[column]).to_dict("records"):
                text = str(r[column]).strip()
                if text and text not in ("nan", "None"):
                    notes.append(f"<li>{esc(member_name(r['scope_code'], lang))} "
                                 f"<code>{esc(r['kpi_id'])}</code>"
                                 f"{esc(lang.paren(period_label(r.get('period'), lang)))}："
                                 f"{esc(text)}</li>")
    heading = lang.t("市町からの備考", "Members' notes")
    remarks = (f'<h3>{esc(heading)}</h3><ul class="note">{"".join(notes)}</ul>'
               if notes else "")
    return table(headers, rows, numeric=set(range(1, len(headers)))) + remarks


def render_report(release: Release, views: list[KpiView], ctx: SiteContext, lang: Lang) -> str:
    year = report_year(views)
    title = lang.t("久留米広域連携中枢都市圏ビジョン 年次効果検証報告",
                   "Kurume regional hub vision — annual evaluation report")
    edition = (lang.t(f"{year}年（度）までの実績による検証（令和{year - 2018}年度版）",
                      f"Evaluation of the actuals up to {year}") if year else "")
    sections, field = [], None
    for i, view in enumerate(views, start=1):
        if view.definition.field_ja != field:
            field = view.definition.field_ja
            sections.append(f"<h3 class='field-head'>{esc(field_name(field, lang))}</h3>")
        base_value, base_period = view.baseline
        target_value, target_period = view.target
        chart = F.figure_div(trend_figure(view, lang, height=200, short_years=True),
                             f"report-{view.kpi_id}",
                             interactive=False, width=REPORT_CHART_WIDTH, label=view.name(lang))
        signed = view.kpi_id == "net_social_migration"
        sections.append(f"""<section class="kpi" id="r-{esc(view.kpi_id)}">
<h4>({i}) {esc(view.name(lang))}</h4>
<p class="note">{lang.t("基準値", "Baseline")} {esc(view.unit.text(base_value, lang))}
{esc(lang.paren(period_label(base_period, lang)))} → {lang.t("目標値", "Target")}
{esc(view.unit.text(target_value, lang, signed=signed))}{esc(lang.paren(period_label(target_period, lang)))}</p>
{evaluation_table(view, lang)}
{chart}
{commentary(view, release, lang)}
</section>""")
    legend_marks = table(
        [lang.t("進捗度", "Progress"), lang.t("意味", "Meaning")],
        [[mark_html("○"), esc(lang.t("達成できた（100%以上）", "achieved (100% or more)"))],
         [mark_html("△"), esc(lang.t("概ね達成できた（70%以上100%未満）", "mostly achieved (70% to <100%)"))],
         [mark_html("×"), esc(lang.t("達成できなかった（70%未満）", "not achieved (under 70%)"))],
         [mark_html("—"), esc(lang.t("現時点では判断が困難", "cannot be judged at present"))]])
    legend_outlook = table(
        [lang.t("評価", "Outlook"), lang.t("意味", "Meaning")],
        [["A", esc(lang.t("目標を達成できる見込み", "expected to reach the target"))],
         ["B", esc(lang.t("目標達成には努力を要する", "needs more effort"))],
         ["C", esc(lang.t("目標達成には厳しい状況にある", "reaching the target is difficult"))]])
    body = f"""
<p class="lead">{esc(edition)}</p>
<h2>1. {lang.t("評価の方法", "How the KPIs are evaluated")}</h2>
<p class="note">{esc(lang.t(
        "達成率 =（実績値 − 基準値）÷（当該年の目標値 − 基準値）。当該年の目標値は基準値から最終目標値までの"
        "直線補間です。目標値が基準値と同じ場合は、達成すれば ○、しなければ × とします。"
        "評価は提出された見込み、ない場合は実績の推移からの推計（「推計」と表示）です。",
        "Achievement = (actual − baseline) ÷ (year's target − baseline); yearly targets interpolate "
        "linearly from baseline to the final target. Where the target equals the baseline, ○ if "
        "reached, else ×. The outlook is the submitted one, else projected from the trend."))}</p>
<div class="grid2">{legend_marks}{legend_outlook}</div>
<h2>2. {lang.t("施策の方向性ごとの進捗", "Progress by policy direction")}</h2>
<p class="note">{esc(lang.t("各 KPI の直近の実績年の進捗度と評価の件数。",
                            "Counts of each KPI's latest progress mark and outlook."))}</p>
{direction_counts(views, lang)}
<h2 class="print-break">3. {lang.t("KPI ごとの検証", "Each KPI")}</h2>
{''.join(sections)}
<h2>4. {lang.t("参考：構成市町の KPI の進捗", "Reference: members' own KPIs")}</h2>
<p class="note">{esc(lang.t("各市町の総合戦略等の KPI（詳細は「市町の KPI」のページ）。",
                            "Members' own strategy KPIs (details on the Members' KPIs page)."))}</p>
{member_summary(release, lang)}
"""
    return page(lang=lang, name="report", title=title, body=body, ctx=ctx, body_class="report")
