"""The gate's report as people read it: the failing expectations first, in Japanese, each
with a table of the failing rows (members by name, KPIs by name, numbers grouped); the
passed expectations follow, collapsed.

The rows are whatever the failing expectation returned (the audit target's key columns and
the checked column), so the table is generic over their keys; known columns get a Japanese
label. ``row_text`` prints the same cells on one line for the terminal (``kurume-hub build``).
The page is built with ``html.escape`` on every value, as the dashboard is (no template
engine in the project).
"""

from __future__ import annotations

import math
from functools import cache
from html import escape

# Columns of the derived audit frames, and published columns whose catalogue title reads
# worse in a table of failing rows ("KPI ID" where the cell shows the KPI's name).
_LABELS = {
    "kpi_id": ("KPI", "KPI"),
    "municipality_code": ("団体", "Member"),
    "scope_code": ("対象", "Scope"),
    "period": ("期間", "Period"),
    "value": ("値", "Value"),
    "previous_period": ("前回の期間", "Previous period"),
    "previous_value": ("前回の値", "Previous value"),
    "change_ratio": ("倍率", "Ratio"),
    "likely_unit_slip": ("単位の誤りの疑い", "Likely unit slip"),
    "area_value": ("圏域の値", "Area value"),
    "members_total": ("構成市町の合計", "Members' total"),
    "difference": ("差", "Difference"),
    "acknowledged": ("確認済み", "Acknowledged"),
    "suspicious": ("要確認", "Suspicious"),
}
# Audit frames that are not published datasets (orchestration/quality/derived.py).
_DERIVED_TITLES = {
    "member_changes": ("市町の構成値の前年比", "Members' year-over-year changes"),
    "member_revisions": ("公開済みの値の修正", "Revisions of published values"),
    "area_vs_members": ("圏域の値と構成市町の合計", "Area value against the members' total"),
}
# Flags a failing row always has (the checked flag, the row condition): the heading says it.
_HIDDEN = ("suspicious", "acknowledged")


@cache
def _catalogue() -> tuple[dict[str, tuple[str, str]], dict[str, tuple[str, str]]]:
    """Dataset titles and field titles (ja, en) of the published catalogue."""
    from orchestration.publication.catalog import PUBLISHED

    titles = {d.name: (d.title_ja, d.title_en) for d in PUBLISHED}
    fields = {f.name: (f.title_ja, f.title_en) for d in PUBLISHED for f in d.fields}
    return titles, fields


@cache
def _kpi_names() -> dict[str, tuple[str, str]]:
    from orchestration.intake.contracts import seed_rows

    return {r["kpi_id"]: (r["name_ja"], r["name_en"])
            for r in seed_rows("regional_kpi_definitions")}


def dataset_title(name: str, lang: str = "ja") -> str:
    titles = {**_catalogue()[0], **_DERIVED_TITLES}
    pair = titles.get(name)
    return (pair[1] if lang == "en" else pair[0]) if pair else name


def column_label(column: str, lang: str = "ja") -> str:
    pair = _LABELS.get(column) or _catalogue()[1].get(column)
    return (pair[1] if lang == "en" else pair[0]) if pair else column


def cell_text(column: str, value, lang: str = "ja") -> str:
    """A failing row's value as a reader wants it: 小郡市（40216）, 観光入込客数, 812,000."""
    from orchestration.intake.contracts import member_label, municipalities

    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if isinstance(value, bool) or value in ("True", "False"):
        yes = value is True or value == "True"
        return ("yes" if yes else "no") if lang == "en" else ("はい" if yes else "いいえ")
    if column.endswith("code") and str(value) in municipalities():
        ja, en = member_label(str(value))
        return en if lang == "en" else ja
    if column == "kpi_id" and value in _kpi_names():
        ja, en = _kpi_names()[value]
        return f"{en} ({value})" if lang == "en" else f"{ja}（{value}）"
    if isinstance(value, int | float):
        return _number(float(value))
    return str(value)


def _number(value: float) -> str:
    if value.is_integer():
        return f"{int(value):,}"
    if abs(value) >= 1000:
        return f"{value:,.2f}".rstrip("0").rstrip(".")
    return f"{value:.4g}"


def columns_of(rows: list) -> list[str]:
    """The rows' keys to show, known columns first in a reading order."""
    seen: list[str] = []
    for row in rows:
        for key in row if isinstance(row, dict) else ():
            if key not in seen:
                seen.append(key)
    known = [c for c in _LABELS if c in seen and c not in _HIDDEN]
    return known + [c for c in seen if c not in _LABELS]


def row_text(row, lang: str = "ja") -> str:
    """One failing row on one line: "KPI：観光入込客数（tourist_visitors）、団体：小郡市（40216）…"."""
    if not isinstance(row, dict):
        return str(row)
    if lang == "en":
        return ", ".join(f"{column_label(c, lang)}: {cell_text(c, row[c], lang)}"
                         for c in columns_of([row]))
    return "、".join(f"{column_label(c)}：{cell_text(c, row[c])}" for c in columns_of([row]))


# ------------------------------------------------------------------------ the page

_CSS = """
body{font-family:"Noto Sans CJK JP","Hiragino Sans","Yu Gothic",sans-serif;margin:2em;
 color:#222;line-height:1.5;max-width:72em}
h1{font-size:1.5em;margin-bottom:.2em}h2{font-size:1.2em;margin-top:1.6em}
h3{font-size:1.05em;margin:0 0 .3em}
.verdict{font-size:1.1em;padding:.6em .9em;border-radius:4px}
.verdict.blocked{background:#fdecea;border:1px solid #e0a39c}
.verdict.passed{background:#eaf6ec;border:1px solid #9cc9a4}
.finding{border-left:5px solid #c0392b;padding:.4em .9em;margin:1em 0;background:#fff8f7}
.finding.warning{border-color:#d4a017;background:#fffcf0}
.meta{color:#555;font-size:.9em;margin:.2em 0 .6em}.en{color:#666;font-size:.85em}
table{border-collapse:collapse;margin:.4em 0}
td,th{border:1px solid #ccc;padding:3px 8px;vertical-align:top;text-align:left}
th{background:#f3f3f3;font-weight:600}td.num{text-align:right;font-variant-numeric:tabular-nums}
details{margin-top:1.6em}summary{cursor:pointer;font-weight:600}
code{font-size:.85em}.nowrap{white-space:nowrap}
"""


def render(findings: list, passed: bool, release_id: str | None = None) -> str:
    """The whole page for a list of gate findings (objects with the Finding fields)."""
    blocking = [f for f in findings if not f.success and f.severity == "error"]
    warnings = [f for f in findings if not f.success and f.severity != "error"]
    ok = [f for f in findings if f.success]
    if passed:
        verdict = ("合格：公開できます", "passed")
    else:
        verdict = ("不合格：公開を停止しました（releases/latest は変更していません）", "blocked")
    counts = (f"公開を止めた検査 {len(blocking)} 件、警告 {len(warnings)} 件、合格 {len(ok)} 件",
              f"{len(blocking)} blocking, {len(warnings)} warnings, {len(ok)} passed")
    parts = [
        "<!doctype html>",
        '<html lang="ja"><head><meta charset="utf-8">',
        "<title>品質検査結果 / Validation report</title>",
        f"<style>{_CSS}</style></head><body>",
        "<h1>品質検査結果</h1>",
        '<p class="en">Validation report (Great Expectations)'
        + (f" · {escape(release_id)}" if release_id else "") + "</p>",
        f'<p class="verdict {verdict[1]}"><strong>判定: {escape(verdict[0])}</strong><br>'
        f'{escape(counts[0])} <span class="en">/ {verdict[1]}: {escape(counts[1])}</span></p>',
    ]
    if blocking:
        parts.append(f"<h2>公開を止めた検査（{len(blocking)} 件）</h2>")
        parts += [_finding_section(f, i) for i, f in enumerate(blocking, 1)]
    if warnings:
        parts.append(f"<h2>警告（{len(warnings)} 件）<span class='en'> 公開は止めません / "
                     "reported, not blocking</span></h2>")
        parts += [_finding_section(f, i) for i, f in enumerate(warnings, 1)]
    parts.append(_passed_section(ok))
    parts.append("</body></html>\n")
    return "\n".join(parts)


def _finding_section(f, number: int) -> str:
    rows = f.unexpected or []
    title = dataset_title(f.dataset)
    meta = (f"{escape(title)}（<code>{escape(f.dataset)}</code>）・該当 {len(rows)} 行"
            f"{'（先頭 50 行まで）' if len(rows) >= 50 else ''}")
    return (
        f'<section class="finding {escape(f.severity)}">'
        f"<h3>{number}. {escape(f.description_ja)}</h3>"
        f'<p class="meta">{meta}<br><span class="en">{escape(f.description_en)} · '
        f"<code>{escape(f.expectation)}</code></span></p>"
        f"{_rows_table(rows)}</section>")


def _rows_table(rows: list) -> str:
    if not rows:
        return ""
    columns = columns_of(rows)
    if not columns:  # values without a key (no index columns): one column
        cells = "".join(f"<tr><td>{escape(cell_text('', r))}</td></tr>" for r in rows)
        return f"<table><tr><th>該当値</th></tr>{cells}</table>"
    head = "".join(f"<th>{escape(column_label(c))}</th>" for c in columns)
    body = []
    for row in rows:
        cells = []
        for c in columns:
            value = row.get(c) if isinstance(row, dict) else None
            cls = ' class="num"' if isinstance(value, int | float) and not isinstance(
                value, bool) else ""
            cells.append(f"<td{cls}>{escape(cell_text(c, value))}</td>")
        body.append(f"<tr>{''.join(cells)}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _passed_section(ok: list) -> str:
    rows = "".join(
        f"<tr><td>{escape(dataset_title(f.dataset))}<br><code>{escape(f.dataset)}</code></td>"
        f"<td>{escape(f.description_ja)}<br><span class='en'>{escape(f.description_en)}</span>"
        f"</td><td><code>{escape(f.expectation)}</code></td>"
        f"<td class='nowrap'>{'公開停止' if f.severity == 'error' else '警告のみ'}</td></tr>"
        for f in ok)
    return (f"<details><summary>合格した検査（{len(ok)} 件）</summary>"
            "<table><thead><tr><th>データセット</th><th>検査内容</th><th>GX expectation</th>"
            "<th class='nowrap'>重大度</th></tr></thead>"
            f"<tbody>{rows}</tbody></table></details>")
