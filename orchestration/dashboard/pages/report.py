"""年次効果検証報告: the annual evaluation report, in the layout the area's reports use.

Per KPI a table of year, 目標値, 実績値, 進捗度 and 評価 (評価 once per KPI, in its first row,
as the printed reports do), the counts per policy direction (field_ja of the vision's KPI
definitions), and a commentary box filled from the submissions' notes where the release
carries them. Print CSS sets A4; ``site.py`` prints it to ``report.pdf`` with headless Chromium.
"""

from __future__ import annotations

from orchestration.dashboard import figures as F
from orchestration.dashboard import scale as S
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
    rate_html,
    status_text,
    year_label,
)
from orchestration.dashboard.pages.kpis import trend_figure
from orchestration.dashboard.pages.scorecards import latest_marks, mark_series
from orchestration.dashboard.reference import area, field_name, member_name, members
from orchestration.dashboard.templates import SiteContext, page, table

NOTE_COLUMNS = ("note", "notes", "note_ja", "comment")
# Methods whose value adds up the listed members' figures: a year some member did not report
# is named in the commentary.
SUMMED_METHODS = frozenset({"sum_of_members", "cross_member_usage"})
# A large area's report prints this many of its members' notes (the rest: the published data).
MAX_NOTES = 30
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


def _muted(text: str) -> str:
    return f'<span class="muted">{esc(text)}</span>'


def _reference_rows(view: KpiView, lang: Lang, signed: bool) -> list[list[str]]:
    """Actuals before the evaluation starts (the chart shows them, so the table does too)."""
    base_value, base_period = view.baseline
    first = [int(y) for y in view.score["period_year"].dropna()]
    if base_value is not None and base_period:
        before = int(str(base_period)[2:6])
    else:
        before = min(first) if first else None
    rows = []
    for r in view.actuals.dropna(subset=["value"]).to_dict("records"):
        if before is not None and int(r["period_year"]) >= before:
            continue
        value = esc(num(view.unit.scale(r["value"]), signed=signed))
        if view.is_cumulative:  # a year's own figure, in the cumulative column
            value += f' <small class="muted">{esc(lang.t("（単年）", "(single year)"))}</small>'
        rows.append([_year_cell(r["period"], lang), _muted(lang.t("（参考）", "(reference)")),
                     value, "", "", ""])
    return rows


def evaluation_table(view: KpiView, lang: Lang, report_year: int | None = None) -> str:
    unit = view.unit
    signed = view.signed
    rows: list[list[str]] = _reference_rows(view, lang, signed)
    base_value, base_period = view.baseline
    if base_value is not None and base_period:
        rows.append([_year_cell(base_period, lang), lang.t("（基準値）", "(baseline)"),
                     esc(num(unit.scale(base_value))), "", "", ""])
    outlook, source = view.outlook
    outlook_cell = outlook_html(outlook, source, lang)
    for r in view.score.to_dict("records"):
        actual, note = r.get("actual_value"), r.get("status_note")
        target = r.get("period_target")
        if not missing(target):
            target_text = esc(num(unit.scale(target), signed=signed))
        elif note == "目標値なし":  # an actual without a target for its year
            target_text = _muted(status_text(note, lang))
        else:
            target_text = _muted("—")
        if not missing(actual):
            actual_text = esc(num(unit.scale(actual), signed=signed))
        elif report_year is not None and int(r["period_year"]) > report_year:
            actual_text = _muted("—")  # a year still to come has no actual by nature
        else:
            actual_text = _muted(status_text(note, lang) or "—")
        rows.append([_year_cell(r["period"], lang), target_text, actual_text,
                     rate_html(r.get("achievement_rate"), r.get("achievement_rate_note"), lang),
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


def finding(view: KpiView, lang: Lang) -> str:
    """The first line of every 所見: where the KPI stands, in one sentence."""
    unit = view.unit
    signed = view.signed
    done = view.evaluated
    if done is not None:
        when = period_label(done["period"], lang)
        actual = unit.text(done["actual_value"], lang, signed=signed)
        if missing(done["period_target"]):
            return lang.t(f"{when}の実績は{actual}です（この年の目標値はありません）。",
                          f"{when}: actual {actual} (no target for that year).")
        target = unit.text(done["period_target"], lang, signed=signed)
        rate = done["achievement_rate"]
        rate_ja = f"達成率 {pct(rate)}、" if not missing(rate) else ""
        rate_en = f"achievement {pct(rate)}, " if not missing(rate) else ""
        mark = done["progress_mark"]
        return lang.t(f"{when}の実績は{actual}で、この年の目標値 {target} に対し{rate_ja}"
                      f"進捗度は「{mark}」です。",
                      f"{when}: actual {actual} against the year's target of {target}: "
                      f"{rate_en}progress {mark}.")
    upcoming = view.score["period"].dropna()
    start = period_label(upcoming.iloc[0], lang) if len(upcoming) else ""
    starts = lang.t(f"評価は{start}の実績から行います。", f"The evaluation starts with {start}.") if (
        start) else ""
    latest = view.latest
    if latest is None:
        return lang.t("実績はまだ公表されていません。", "No actual has been published yet.") + (
            (" " if lang.code == "en" else "") + starts if starts else "")
    when = period_label(latest["period"], lang)
    value = unit.text(latest["value"], lang, signed=signed)
    _, base_period = view.baseline
    if base_period and str(latest["period"]) == str(base_period):
        text = lang.t(f"{when}の実績 {value} が基準値です。", f"The {when} actual of {value} is "
                      "the baseline.")
    else:
        text = lang.t(f"直近の実績は{when}の {value} です。", f"Latest actual: {value} ({when}).")
    return text + ((" " if lang.code == "en" else "") + starts if starts else "")


def commentary(view: KpiView, release: Release, lang: Lang,
               report_year: int | None = None) -> str:
    """What the report says about the KPI: where it stands, the submissions' notes, years
    without an actual (up to the report's year), how the outlook was reached."""
    lines: list[str] = [finding(view, lang)]
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
    lines = [lines[0], *_at_most(lines[1:], lang)]
    # Years to come have no actual by nature: only the years up to the report's are listed.
    without = [f"{period_label(r['period'], lang)}{lang.paren(status_text(r['status_note'], lang))}"
               for r in view.score.to_dict("records")
               if missing(r.get("actual_value")) and not missing(r.get("status_note"))
               and r["status_note"] != "目標値なし"
               and (report_year is None or int(r["period_year"]) <= report_year)]
    if without:
        lines.append(lang.t(f"実績のない年：{'、'.join(without)}",
                            f"Years without an actual: {', '.join(without)}"))
    outlook, source = view.outlook
    if outlook and source == "projected":
        lines.append(lang.t("評価は、提出された見込みがないため実績の推移からの推計です。",
                            "The outlook is projected from the trend (none was submitted)."))
    members_reporting = view.actuals["members_reporting"].dropna()
    expected = len(view.definition.members)
    if len(members_reporting) and members_reporting.min() < expected and (
            view.definition.method in SUMMED_METHODS):
        short = view.actuals[view.actuals["members_reporting"] < expected]
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


def _at_most(lines: list[str], lang: Lang) -> list[str]:
    """A large area's members' notes, up to MAX_NOTES in print and a line (text) saying where
    the rest are: the published data."""
    if not S.many_members() or len(lines) <= MAX_NOTES:
        return lines
    rest = len(lines) - MAX_NOTES
    more = lang.t(f"ほか {rest:,} 件の備考は公開データ（kpi_scorecard・municipal_indicators）にあります。",
                  f"{rest:,} more notes are in the published data (kpi_scorecard, "
                  "municipal_indicators).")
    return [*lines[:MAX_NOTES], more]


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
    if S.many_members():
        # A printed report stays a few pages: the largest members and the others together;
        # every member is in the published kpi_scorecard and on the site's member pages.
        order = mark_series(latest)
        keyed = latest.assign(series=S.by_series(latest, "scope_code", order))
        groups = [(s.label(lang), keyed[keyed["series"] == s.key]) for s in order]
    else:
        groups = [(m.name(lang), latest[latest["scope_code"] == m.code]) for m in members()]
    for name, part in groups:
        if part.empty:
            continue
        rows.append([esc(name), str(len(part)),
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
    shown = _at_most(notes, lang)
    if len(shown) < len(notes):  # the last line says where the others are
        shown[-1] = f"<li>{esc(shown[-1])}</li>"
    notes = shown
    heading = lang.t("市町からの備考", "Members' notes")
    remarks = (f'<h3>{esc(heading)}</h3><ul class="note">{"".join(notes)}</ul>'
               if notes else "")
    return table(headers, rows, numeric=set(range(1, len(headers)))) + remarks


def _members_section(release: Release, ctx: SiteContext, lang: Lang) -> str:
    """Section 4, for an area that collects its members' own KPIs (it has their page)."""
    if not ctx.has("scorecards"):
        return ""
    return f"""<div class="keep"><h2>4. {lang.t("参考：構成市町の KPI の進捗", "Reference: members' own KPIs")}</h2>
<p class="note">{esc(lang.t("各市町の総合戦略等の KPI（詳細は「市町の KPI」のページ）。",
                            "Members' own strategy KPIs (details on the Members' KPIs page)."))}</p>
{member_summary(release, lang)}</div>"""


def _largest_members(release: Release, views: list[KpiView], ctx: SiteContext,
                     lang: Lang) -> str:
    """A large area's report: each KPI's largest members in its latest year, the others
    together and the total (the printed report stays a few pages; every member's figures are
    in the published municipal_indicators and on the site's member pages)."""
    if not S.many_members():
        return ""
    number = 5 if ctx.has("scorecards") else 4
    blocks = []
    for view in views:
        parts = view.components.dropna(subset=["value"])
        if parts.empty:
            continue
        year = int(parts["period_year"].max())
        rows = parts[parts["period_year"] == year]
        values = rows.groupby("municipality_code")["value"].sum()
        series = S.member_series(values)
        total = float(values.sum())
        body = []
        for s in series:
            amount = float(values.reindex(list(s.codes)).sum())
            # a share of a total of gains and losses (net moves) says nothing: not printed
            share = f"{amount / total * 100:.1f}%" if total and not view.signed else "—"
            body.append([esc(s.label(lang)), esc(num(view.unit.scale(amount), signed=view.signed)),
                         share])
        body.append([f"<strong>{lang.t('合計', 'Total')}</strong>",
                     esc(num(view.unit.scale(total), signed=view.signed)), ""])
        blocks.append(
            f'<div class="keep"><h4>{esc(view.name(lang))}'
            f'{esc(lang.paren(year_label(year, view.period_type, lang)))}</h4>'
            + table([lang.t("団体", "Member"), lang.t(f"実績（{view.unit.label(lang)}）",
                                                      f"Actual ({view.unit.label(lang)})"),
                     lang.t("構成比", "Share")], body, numeric={1, 2}) + "</div>")
    if not blocks:
        return ""
    note = lang.t(
        f"各 KPI の直近の年の上位 {S.TOP_MEMBERS} 団体と、その他の団体の合計。全 {len(members()):,} "
        "団体の数値は公開データ municipal_indicators（CSV・Parquet）と、サイトの「構成団体」の"
        "ページにあります。",
        f"Each KPI's {S.TOP_MEMBERS} largest members in its latest year and the others together. "
        f"All {len(members()):,} members' figures are in the published dataset "
        "municipal_indicators (CSV, Parquet) and on the site's Members pages.")
    link = (f'<p class="note no-print"><a href="{esc(release.href("data/municipal_indicators.csv"))}">'
            "municipal_indicators.csv</a></p>")
    return (f'<h2>{number}. {lang.t("構成団体別の内訳（上位団体）", "Members: the largest")}</h2>'
            f'<p class="note">{esc(note)}</p>{link}{"".join(blocks)}')


def render_report(release: Release, views: list[KpiView], ctx: SiteContext, lang: Lang) -> str:
    year = report_year(views)
    vision = area()
    title = lang.t(f"{vision.vision_name_ja} 年次効果検証報告",
                   f"{vision.vision_name_en} — annual evaluation report")
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
        signed = view.signed
        baseline = (f'{lang.t("基準値", "Baseline")} {esc(view.unit.text(base_value, lang))}'
                    f"{esc(lang.paren(period_label(base_period, lang)))}"
                    if base_value is not None else lang.t("基準値なし", "No baseline"))
        sections.append(f"""<section class="kpi" id="r-{esc(view.kpi_id)}"><div class="keep">
<h4>({i}) {esc(view.name(lang))}</h4>
<p class="note">{baseline} → {lang.t("目標値", "Target")}
{esc(view.unit.text(target_value, lang, signed=signed))}{esc(lang.paren(period_label(target_period, lang)))}</p>
{evaluation_table(view, lang, year)}</div>
<div class="keep">{chart}
{commentary(view, release, lang, year)}</div>
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
{_members_section(release, ctx, lang)}{_largest_members(release, views, ctx, lang)}
"""
    return page(lang=lang, name="report", title=title, body=body, ctx=ctx, body_class="report",
                head_extra=print_footer(ctx, lang))


def _css_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def print_footer(ctx: SiteContext, lang: Lang) -> str:
    """Page numbers and the release on every printed page (report.pdf): CSS page-margin boxes,
    which headless Chromium prints while its own header and footer (the file's URL) are off."""
    left = lang.t(f"年次効果検証報告 · 公開版 {ctx.release_id}",
                  f"Annual evaluation report · release {ctx.release_id}")
    box = "font-size:8pt;color:#5b6673"
    return ("<style>@media print{@page{"
            f"@bottom-left{{content:{_css_string(left)};{box}}}"
            f'@bottom-right{{content:counter(page) " / " counter(pages);{box}}}'
            "}}</style>\n")
