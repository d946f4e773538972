"""The gate's report as people read it: the failing expectations first, in Japanese, each
with a table of the failing rows (members by name, KPIs by name, numbers grouped); the
passed expectations follow, collapsed.

The rows are whatever the failing expectation returned (the audit target's key columns and
the checked column), so the table is generic over their keys; known columns get a Japanese
label. ``row_text`` prints the same cells on one line for the terminal (``kurume-hub build``).
The page is a Jinja2 template with autoescaping (``templates/gate_report.html.j2``).
"""

from __future__ import annotations

import math
from functools import cache

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
    "members_reporting": ("集計市町数", "Members reporting"),
    "required_members": ("必要な市町数", "Members needed"),
    "listed_members": ("対象市町数", "KPI's members"),
}
# Audit frames that are not published datasets (orchestration/quality/derived.py).
_DERIVED_TITLES = {
    "member_changes": ("市町の構成値の前年比", "Members' year-over-year changes"),
    "member_revisions": ("公開済みの値の修正", "Revisions of published values"),
    "area_vs_members": ("圏域の値と構成市町の合計", "Area value against the members' total"),
    "kpi_completeness": ("圏域の値に必要な市町の報告", "Members each area value needs"),
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


def _kpi_names() -> dict[str, tuple[str, str]]:
    """The active area's KPIs by id: (Japanese name, English name)."""
    from orchestration.area import active_area

    return {k.id: (k.name_ja, k.name_en) for k in active_area().kpis}


def dataset_title(name: str, lang: str = "ja") -> str:
    titles = {**_catalogue()[0], **_DERIVED_TITLES}
    pair = titles.get(name)
    return (pair[1] if lang == "en" else pair[0]) if pair else name


def column_label(column: str, lang: str = "ja") -> str:
    pair = _LABELS.get(column) or _catalogue()[1].get(column)
    return (pair[1] if lang == "en" else pair[0]) if pair else column


def cell_text(column: str, value, lang: str = "ja") -> str:
    """A failing row's value as a reader wants it: a member as 「name（code）」, a KPI by its
    name with its id, numbers with thousands separators (812,000)."""
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
    """One failing row on one line: "KPI：<KPI 名>（<id>）、団体：<市町名>（<code>）、期間：…"."""
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


def render(findings: list, passed: bool, release_id: str | None = None,
           skipped: list[str] | None = None) -> str:
    """The whole page for a list of gate findings (objects with the Finding fields);
    ``skipped`` names the datasets the area does not publish (their suites did not run)."""
    blocking = [f for f in findings if not f.success and f.severity == "error"]
    warnings = [f for f in findings if not f.success and f.severity != "error"]
    if passed:
        verdict = ("合格：公開できます", "passed")
    else:
        verdict = ("不合格：公開を停止しました（releases/latest は変更していません）", "blocked")
    return _template().render(
        css=_CSS, release_id=release_id, verdict_ja=verdict[0], verdict_class=verdict[1],
        blocking=blocking, warnings=warnings, ok=[f for f in findings if f.success],
        skipped=list(skipped or ())) + "\n"


@cache
def _template():
    """Jinja2 with autoescaping: every value from the data is escaped by the engine."""
    from pathlib import Path

    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"),
        autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=False)
    env.globals.update(dataset_title=dataset_title, column_label=column_label,
                       cell_text=cell_text, columns_of=columns_of, is_number=_is_number)
    return env.get_template("gate_report.html.j2")


def _is_number(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)
