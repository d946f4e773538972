"""Language, numbers, units and periods as the pages print them.

Pages are rendered twice from the same code: Japanese (``index.html``) and English
(``index.en.html``); ``Lang.t(ja, en)`` picks the text.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import pandas as pd

from orchestration.numbers import number_text

JST = timezone(timedelta(hours=9))

MARK_CLASSES = {"○": "mark-ok", "△": "mark-near", "×": "mark-ng", "—": "mark-na"}
MARK_ORDER = ("○", "△", "×", "—")
OUTLOOK_ORDER = ("A+", "A", "A-", "B", "C")


@dataclass(frozen=True)
class Lang:
    code: str  # "ja" or "en"

    def t(self, ja: str, en: str) -> str:
        return en if self.code == "en" else ja

    @property
    def suffix(self) -> str:
        return ".en" if self.code == "en" else ""

    def paren(self, text: str) -> str:
        """Brackets as each language prints them: （…） in Japanese, (…) in English."""
        return f"（{text}）" if self.code == "ja" else f" ({text})"

    def page(self, name: str) -> str:
        """File name of a page in this language: ``index`` -> ``index.html``/``index.en.html``."""
        return f"{name}{self.suffix}.html"

    @property
    def other(self) -> Lang:
        return Lang("ja" if self.code == "en" else "en")


JA = Lang("ja")
EN = Lang("en")


def esc(value) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def missing(value) -> bool:
    if value is None:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def text_of(*values) -> str:
    """The first value that is really there (a missing cell may arrive as None, NaN or NA)."""
    for value in values:
        if not missing(value) and str(value).strip():
            return str(value)
    return ""


def num(value, decimals: int | None = None, signed: bool = False) -> str:
    """``1234.5`` -> ``1,234.5`` (orchestration/numbers.py); missing -> ``—``."""
    if missing(value):
        return "—"
    return number_text(float(value), decimals, signed)


def pct(rate, decimals: int = 0) -> str:
    """Achievement rate (1 = 100%) as a percentage."""
    if missing(rate):
        return "—"
    text = f"{abs(float(rate)) * 100:,.{decimals}f}%"
    # the minus sign, as num() prints it (a hyphen reads as a dash in these tables)
    return ("−" + text) if float(rate) < 0 and text.strip("0.,%") else text


@dataclass(frozen=True)
class Unit:
    """A display unit: values are stored in base units (persons, yen) and divided by factor."""

    ja: str
    en: str
    factor: float = 1.0
    en_factor: float | None = None  # English prints 億円 as billions, not "hundred millions"

    def in_lang(self, lang: Lang) -> Unit:
        if lang.code == "en" and self.en_factor:
            return Unit(self.en, self.en, self.en_factor)
        return self

    def label(self, lang: Lang) -> str:
        return lang.t(self.ja, self.en)

    def scale(self, value):
        return None if missing(value) else float(value) / self.factor

    def text(self, value, lang: Lang, signed: bool = False, decimals: int | None = None) -> str:
        if missing(value):
            return "—"
        label = self.label(lang)
        sep = "" if lang.code == "ja" or label.startswith("%") or not label else " "
        return f"{num(self.scale(value), decimals, signed)}{sep}{label}"


def _units() -> dict[str, Unit]:
    """Display units from the one unit table (orchestration/units.py): a KPI scales on the
    pages by the same factor as in the model and in a member's cell."""
    from orchestration.units import unit_table

    return {u.unit: Unit(u.unit, u.label_en, u.factor, u.en_factor) for u in unit_table()}


def _base_units() -> dict[str, Unit]:
    from orchestration.units import BASE_UNITS as TABLE

    return {key: Unit(ja, en) for key, (ja, en) in TABLE.items()}


# Display units (a KPI's display_unit, members' KPI records) and base units of published values.
UNITS = _units()
BASE_UNITS = _base_units()


def unit_for(text: str | None) -> Unit:
    """A unit from a KPI's display unit, a base unit id (``persons``) or a member's unit cell
    (``億円 (100 million JPY)``: the text before the first space)."""
    if missing(text) or not text:
        return Unit("", "")
    key = str(text).split(" ")[0].strip()
    if key in UNITS:
        return UNITS[key]
    if key in BASE_UNITS:
        return BASE_UNITS[key]
    return Unit(key, key)


# Members' own KPIs count all sorts of things; their units in English.
MEMBER_UNITS_EN = {"件": "cases", "人": "persons", "社": "companies", "か所": "sites",
                   "冊": "books", "回": "times", "事業": "projects", "点": "points",
                   "流域": "river basins", "校区": "school districts", "区": "districts",
                   "データセット": "datasets", "学年": "grades", "人/ha": "persons/ha",
                   "g/人・日": "g/person/day"}


def member_unit(text: str | None, sample_value=None) -> Unit:
    """Members' KPI units: yen amounts of 億 or more print in 億円 rather than 12 digits."""
    if not missing(text) and str(text).strip() in ("—", "-", "－"):
        return Unit("", "")  # a dimensionless figure (合計特殊出生率): "1.45", not "1.45—"
    unit = unit_for(text)
    if unit.ja == "円" and not missing(sample_value) and abs(float(sample_value)) >= 1e8:
        return UNITS["億円"]
    if unit.ja in MEMBER_UNITS_EN:
        return Unit(unit.ja, MEMBER_UNITS_EN[unit.ja], unit.factor, unit.en_factor)
    return unit


def period_year(period: str) -> int | None:
    try:
        return int(str(period)[2:6])
    except ValueError:
        return None


def period_label(period: str | None, lang: Lang) -> str:
    """``CY2023`` -> 2023年 / 2023; ``FY2022`` -> 2022年度 / FY2022; ranges keep their ends."""
    if missing(period) or not period:
        return "—"
    text = str(period).split(" ")[0]
    if "-" in text:
        first, last = text.split("-", 1)
        return f"{period_label(first, lang)}{lang.t('〜', '–')}{period_label(last, lang)}"
    year = period_year(text)
    if year is None:
        return text
    if text.startswith("FY"):
        return lang.t(f"{year}年度", f"FY{year}")
    return lang.t(f"{year}年", str(year))


def year_label(year: int, period_type: str, lang: Lang) -> str:
    return period_label(f"{period_type}{year}", lang)


def era_label(period: str | None) -> str:
    """``FY2024`` -> ``R6年度``, ``CY2016`` -> ``H28年`` (the way the area's reports print years)."""
    if missing(period) or not period:
        return "—"
    year = period_year(str(period))
    if year is None:
        return str(period)
    era = f"R{year - 2018}" if year >= 2019 else f"H{year - 1988}"
    era = "R元" if year == 2019 else era
    return f"{era}年度" if str(period).startswith("FY") else f"{era}年"


def jst(timestamp: str | None, lang: Lang) -> str:
    if not timestamp:
        return "—"
    try:
        moment = datetime.fromisoformat(str(timestamp).replace("Z", "+00:00")).astimezone(JST)
    except ValueError:
        return str(timestamp)
    return lang.t(moment.strftime("%Y年%-m月%-d日 %H:%M（日本時間）"),
                  moment.strftime("%Y-%m-%d %H:%M JST"))


STATUS_EN = {"実績なし": "no actual yet", "集計中": "being compiled", "未把握": "not measured",
             "削除": "deleted", "判断困難": "cannot judge"}


def status_text(note, lang: Lang) -> str:
    """Why a year has no actual (the scorecard's status_note), in the page's language."""
    if missing(note) or not note:
        return ""
    return str(note) if lang.code == "ja" else STATUS_EN.get(str(note), str(note))


# The scorecard's achievement_rate_note (macros/evaluation.sql writes the Japanese text).
RATE_NOTE_EN = {
    "目標値が基準値と同じため達成率は算出しません（目標に達すれば ○）":
        "no rate: the target equals the baseline (○ when reached)",
    "目標値と基準値の差が小さく達成率は算出しません（±1,000% 超）":
        "no rate: the target differs too little from the baseline (beyond ±1,000%)",
}


def rate_html(rate, note, lang: Lang) -> str:
    """The achievement rate, or — with the published reason when there is none."""
    if not missing(rate):
        return esc(pct(rate))
    if missing(note) or not note:
        return "—"
    text = str(note) if lang.code == "ja" else RATE_NOTE_EN.get(str(note), str(note))
    return f'—<small class="rate-note">{esc(text)}</small>'


# actual_flags of the scorecard: what a submitted figure is. 約 reads before the number, as
# the member wrote it; the others are said after it.
FLAG_PREFIX = {"approximate": ("約", "approx. ")}
FLAG_SUFFIX = {"preliminary": ("速報値", "preliminary"), "estimate": ("推計値", "estimate"),
               "average": ("平均", "average")}


def flag_list(flags) -> list[str]:
    return [] if missing(flags) or not flags else [f for f in str(flags).split(";") if f]


def flagged_value_html(text: str, flags, lang: Lang) -> str:
    """A value as printed (``450人``) with what the member said about it: ``約450人``."""
    found = flag_list(flags)
    if not found or text == "—":
        return esc(text)
    prefix = "".join(lang.t(*FLAG_PREFIX[f]) for f in found if f in FLAG_PREFIX)
    words = [lang.t(*FLAG_SUFFIX[f]) for f in found if f in FLAG_SUFFIX]
    said = "・".join(words) if lang.code == "ja" else ", ".join(words)
    suffix = f' <small class="muted">{esc(lang.paren(said).strip())}</small>' if words else ""
    return f'<span class="flagged">{esc(prefix)}{esc(text)}</span>{suffix}'


def mark_html(mark) -> str:
    mark = "—" if missing(mark) or not mark else str(mark)
    return f'<span class="mark {MARK_CLASSES.get(mark, "mark-na")}">{esc(mark)}</span>'


def outlook_html(outlook, source, lang: Lang) -> str:
    if missing(outlook) or not outlook:
        return '<span class="muted">—</span>'
    note = {"submitted": lang.t("提出", "submitted"),
            "projected": lang.t("推計", "projected")}.get(str(source), "")
    cls = "outlook-" + str(outlook)[0].lower()
    small = f' <small class="muted">（{esc(note)}）</small>' if lang.code == "ja" and note else (
        f' <small class="muted">({esc(note)})</small>' if note else "")
    return f'<span class="outlook {cls}">{esc(outlook)}</span>{small}'
