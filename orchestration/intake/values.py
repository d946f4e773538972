"""Read the value cells Japanese municipal staff type into numbers with base units.

Public API
==========

``parse_quantity(raw, *, expected_unit=None) -> Quantity``
    ``raw`` is a cell: ``str``, ``int``, ``float``, ``decimal.Decimal`` or ``None``.
    Returns ``Quantity(value, unit, qualifier, status, flags, period)``; ``value`` is in the
    base unit (``9,028 千人`` -> 9028000.0 人). Raises ``ValueParseError`` for anything else.

``parse_unit(text) -> tuple[int, str | None]``
    Splits a column's declared unit into (multiplier, base unit): ``千人`` -> (1000, "人"),
    ``〔十億円〕`` -> (10**9, "円"), ``%`` -> (1, "%").

``parse_period(text) -> str``
    A period cell: ``FY2016``, ``CY2016``, ``2016年度`` -> FY2016, ``2016年`` -> CY2016,
    ``H28年度`` -> FY2016, ``R5年`` -> CY2023, ``令和元年度`` -> FY2019,
    ``令和6(2024)年`` -> CY2024. Bare years (``2016``, ``R3``) are refused.

``parse_outlook(text) -> str``
    ``A``, ``B``, ``C``, ``A+``, ``A-`` (full-width, lower case and ``Ａー`` too) -> normalised.

``ValueParseError(ValueError)``
    ``.raw`` (the cell as given), ``.code`` (a machine-readable reason, see ERROR_CODES),
    ``.message_ja``, ``.message_en``; ``str(error)`` is ``"<ja> / <en>"`` and both messages
    quote the raw cell.

Column units (the ``expected_unit`` keyword)
============================================
A submission contract declares each value column's unit, e.g. ``人`` or ``千人``. Pass it as
``expected_unit`` and the result is in that unit's base (persons, yen):

* a cell without a unit is in the column's unit: ``747`` in a ``千人`` column -> 747000 人,
  flag ``unit_from_column``; ``9,336`` in a ``人`` column -> 9336 人 (no conversion);
* a cell with the same base unit but another multiplier is converted and flagged
  ``converted``: ``747千人`` in a ``人`` column -> 747000 人, so the intake report can say so;
  ``747千人`` in a ``千人`` column is not flagged;
* a cell with another base unit (``18,305件`` in a ``人`` column, ``円`` in a ``人`` column)
  raises ``ValueParseError`` with code ``unit_mismatch``;
* the column's own unit is accepted in cells even when it is not in ``KNOWN_UNITS``.

Without ``expected_unit`` the cell's own unit (or ``None``) is returned.

What a cell may hold
====================
After NFKC normalisation (full-width digits, commas, parentheses, ``％``, ``／``; circled or
superscript digits are refused rather than silently turned into digits), markup removal
(``<u>…</u>``; flag ``markup``) and whitespace collapsing, a cell is either a status word or::

    [(note)] [period prefix] [約|およそ|平均] [sign] number [multiplier] [unit]
        [以上|以下] [(period or note)]

* number: ``12345``, ``12,345`` (thousands groups must be of three), ``81.7``.
* sign: ``△``/``▲`` (Japanese accounting minus), ``-`` (also ``－`` and ``−``) minus; ``+`` is
  allowed (flag ``explicit_plus``); ``±`` only before zero. The sign must touch the number:
  ``△ 2`` is refused because ``○ 7 △ 2 × 2`` is a count per evaluation mark, not a minus.
  ``▼`` is an arrow, never a minus.
* multiplier (see MULTIPLIERS): 十, 百, 千, 万, 十万, 百万, 千万, 億, 十億, 百億, 千億, 兆.
* unit: one of KNOWN_UNITS (counters such as 人, 円, 件, %, ha, 冊, 社, 校区, 学年 …), or a
  known unit over a denominator (人/日, 人/年, 人/ha, g/人・日). カ所/ヶ所/箇所 read as か所.
  Anything else after the number (``人の転出超過``, ``%にする``) is refused: the words change the
  meaning, so guessing would mis-parse.
* qualifier: ``以上`` -> ``at_least``, ``以下`` -> ``at_most`` (``超``/``未満`` are strict bounds
  that the contract cannot express, so they are refused).
* ``約``/``およそ`` -> flag ``approximate``; ``平均`` -> flag ``average`` (the value is an average,
  e.g. ``平均2.6人``).
* notes in brackets, before or after the number: 速報値/速報, 暫定値/暫定, 概算値/概算 ->
  flag ``preliminary`` (a provisional figure that will be revised); 推計値/推計, 見込み/見込値
  -> flag ``estimate`` (a modelled or projected figure, not a count).

Periods (suffix in brackets, or a prefix)
-----------------------------------------
``(R4 年度)``, ``（H29年度）``, ``(R5 年)``, ``(2016年度)``, ``(FY2016)`` after the value, or
a prefix: ``平成 30 年度 39.3 万人``, ``H26年度:16,507人``, ``H30：82,687人`` (a bare
era year as a prefix needs the colon; a cell may carry one period only). Era letters
H (平成, H1 = 1989) and R (令和, R1 = 2019), spelled-out 平成/令和, 元 = year 1, an
optional western year in brackets (``平成 30(2018)年``; a mismatch is refused).
年度 -> ``FY<year>``, 年 -> ``CY<year>``. A year that says neither (``(R3)``, ``H30：``)
gives the bare year ``"2021"`` plus flag ``year_type_unspecified``: the printed documents
use such years for both calendar and fiscal series, so the caller (who knows the series)
decides; we do not guess. A period may end with 調査 (flag ``survey_year``), 実績/実績値,
末, 時点, or (までの)累計 (flag ``cumulative``: the value is the running total at the end
of that period). Ranges (``(H27～R1)``, ``(～R11)``, ``(R7-11)``) and averages over years
are refused: one period string cannot carry them.

Status words
------------
empty, ``None``, NaN, ``-``, ``—``, ``―``, ``－``, ``ー`` … -> ``missing``; 集計中, 調査中, 算定中,
算出中, 未公表, 未確定 -> ``pending``; 未把握, 把握できず, 把握不能, 未測定, 未調査, 調査未実施
-> ``not_measured``; 削除 -> ``deleted``; 削減 (printed where 削除 is meant) -> ``deleted`` with
flag ``deleted_typo``. A pending/not-measured word may follow a reason that ends in
により/のため/につき (``イベント未実施により未把握``; flag ``reason_given``). A status word may
carry a period (``集計中 (R5年度)``). Status results have ``value`` and ``unit`` ``None``.
未実施 alone is refused: in a count column it may mean zero events, not "not measured".

Refused (``ValueParseError``)
-----------------------------
Arrows and several values in one cell, ranges, dates, labels around the number, unknown
units, kanji numerals (``二``), digits of other scripts (``٢٠٢٣``, ``๒๕๖๖``: ``int()`` would
read them), prose and notes. See ERROR_CODES for the reasons reported.

``748.000`` reads as 748 with flag ``ambiguous_thousands``: in much of Europe the dot is the
thousands separator, so the caller decides (a persons column refuses it).

Performance: stdlib only, regexes precompiled, ASCII cells skip NFKC, and string results are
memoised (a ``Quantity`` is immutable), so repeated cells in 10,000-row files cost a lookup.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from typing import Literal

__all__ = [
    "ERROR_CODES",
    "FLAGS",
    "KNOWN_UNITS",
    "MULTIPLIERS",
    "Quantity",
    "ValueParseError",
    "parse_outlook",
    "parse_period",
    "parse_quantity",
    "parse_unit",
]

Qualifier = Literal["at_least", "at_most"]
Status = Literal["ok", "missing", "pending", "not_measured", "deleted"]


@dataclass(frozen=True, slots=True)
class Quantity:
    value: float | None
    unit: str | None
    qualifier: Qualifier | None
    status: Status
    flags: frozenset[str]
    period: str | None


MULTIPLIERS: dict[str, int] = {
    "十": 10,
    "百": 100,
    "千": 1_000,
    "万": 10_000,
    "十万": 100_000,
    "百万": 1_000_000,
    "千万": 10_000_000,
    "億": 10**8,
    "十億": 10**9,
    "百億": 10**10,
    "千億": 10**11,
    "兆": 10**12,
}

KNOWN_UNITS: frozenset[str] = frozenset(
    {
        "人", "名", "人日", "人泊", "泊", "世帯", "戸", "組", "団体", "企業", "社", "事業所",
        "店舗", "施設", "機関", "館", "校", "園", "校区", "地区", "区", "流域", "学年", "歳",
        "件", "回", "事業", "講座", "冊", "本", "個", "台", "棟", "軒", "頭", "か所", "点",
        "倍", "%", "ポイント", "pt", "円", "ha", "m", "m2", "km", "km2", "g", "kg", "t",
        "トン", "時間", "データセット",
    }
)  # fmt: skip

# Units that may follow a known unit after "/": 人/日, 人/年, 人/ha, g/人・日.
_DENOMINATORS = frozenset(
    {"日", "週", "月", "年", "年度", "人", "人・日", "世帯", "戸", "ha", "km2"}
)

_UNIT_ALIASES = {"カ所": "か所", "ヶ所": "か所", "ケ所": "か所", "ヵ所": "か所", "箇所": "か所"}

FLAGS: dict[str, str] = {
    "approximate": "約/およそ: approximate figure",
    "average": "平均: the value is an average",
    "preliminary": "速報値/暫定値/概算値: provisional figure, to be revised",
    "estimate": "推計値/見込み: estimated or projected figure",
    "markup": "HTML markup such as <u>…</u> was removed",
    "deleted_typo": "削減 printed where 削除 (deleted) is meant",
    "year_type_unspecified": "period is a bare year: neither 年 (calendar) nor 年度 (fiscal)",
    "survey_year": "period names the survey (調査) year",
    "cumulative": "累計: running total at the end of the period",
    "explicit_plus": "the value carried an explicit + sign",
    "reason_given": "a status word came with a reason (…により未把握)",
    "unit_from_column": "the cell had no unit; the column's unit was applied",
    "converted": "the cell's multiplier differed from the column's; the value was converted",
    "ambiguous_thousands": "a dot followed by exactly three digits (748.000): a decimal point, "
                           "or a thousands separator as written in Europe",
}

ERROR_CODES: dict[str, str] = {
    "arrow": "arrows (▼ → ⇒) join several values",
    "range": "a range (～, R7-11)",
    "date": "a date, not a value",
    "multiple_values": "more than one number",
    "no_number": "no number at all (prose, OCR text, kanji numerals)",
    "period_only": "a period but no value",
    "annotation": "bracketed text that is neither a period nor a known note",
    "unknown_unit": "text after the number that is not a known unit",
    "unit_mismatch": "base unit differs from the column's unit",
    "bad_number": "malformed number (thousands separator, decimal point, ± on non-zero)",
    "digit_like": "circled/superscript/fraction digits",
    "foreign_digit": "digits of another script (Arabic-Indic, Devanagari, Thai ...)",
    "period_conflict": "two periods, or era and western year disagree",
    "bad_period": "not a period",
    "year_type_missing": "period without 年 or 年度 (or FY/CY)",
    "bad_outlook": "not one of A, B, C, A+, A-",
    "bad_unit": "a column unit that cannot be read",
    "bad_type": "a cell type that is not text or a number",
    "unrecognised": "text around the number (a label or explanation)",
}

_MESSAGES: dict[str, tuple[str, str]] = {
    "arrow": (
        "「{raw}」は矢印（▼ → ⇒）で複数の値をつないでいます。"
        "1つのセルには1つの値だけを入力してください。",
        '"{raw}" joins several values with an arrow (▼ → ⇒); enter exactly one value per cell.',
    ),
    "range": (
        "「{raw}」は範囲（～）を含むため、1つの値として読めません。期間は期間の列に入力してください。",
        '"{raw}" contains a range (～) and cannot be read as one value; '
        "put the period in the period column.",
    ),
    "date": (
        "「{raw}」は日付のようです。値のセルには数値を入力してください。",
        '"{raw}" looks like a date; a value cell needs a number.',
    ),
    "multiple_values": (
        "「{raw}」には数値が複数含まれています。1つのセルには1つの値だけを入力してください。",
        '"{raw}" contains more than one number; enter exactly one value per cell.',
    ),
    "no_number": (
        "「{raw}」は数値として読めません。数値、または「-」「集計中」「未把握」「削除」を入力してください。",
        '"{raw}" is not a number; enter a number, or - (missing), 集計中 (pending), '
        "未把握 (not measured) or 削除 (deleted).",
    ),
    "period_only": (
        "「{raw}」には期間だけがあり、値がありません。",
        '"{raw}" holds only a period, no value.',
    ),
    "annotation": (
        "「{raw}」の括弧内「{detail}」を読めません。括弧には期間（例：R4年度）か"
        "「速報値」などの注記だけを書けます。説明は備考欄に書いてください。",
        '"{raw}": cannot read the bracketed text "{detail}"; brackets may hold only a period '
        "(e.g. R4年度) or a note such as 速報値 (preliminary); "
        "put explanations in the note column.",
    ),
    "unknown_unit": (
        "「{raw}」の単位「{detail}」を認識できません。",
        '"{raw}": the unit "{detail}" is not recognised.',
    ),
    "unit_mismatch": (
        "「{raw}」の単位「{detail}」は、この列の単位「{expected}」と異なります。",
        '"{raw}": the unit "{detail}" differs from this column\'s unit "{expected}".',
    ),
    "bad_number": (
        "「{raw}」の数値の書き方（桁区切りのカンマ、小数点、符号）が正しくありません。",
        '"{raw}": the number is malformed (thousands separator, decimal point or sign).',
    ),
    "digit_like": (
        "「{raw}」には丸数字・上付き数字・分数など、数字に似た文字が含まれています。",
        '"{raw}" contains digit-like characters (circled, superscript or fraction digits).',
    ),
    "foreign_digit": (
        "「{raw}」には 0〜9 以外の数字（アラビア・インド数字、タイ数字など）が含まれています。"
        "半角または全角の 0〜9 で入力してください。",
        '"{raw}" contains digits of another script (Arabic-Indic, Thai, ...); '
        "type the digits 0-9.",
    ),
    "period_conflict": (
        "「{raw}」の期間が矛盾しています（{detail}）。",
        '"{raw}": the period is contradictory ({detail}).',
    ),
    "bad_period": (
        "「{raw}」を期間として読めません。FY2016、CY2016、2016年度、H28年度、R5年、"
        "令和5年度 のように書いてください。",
        '"{raw}" is not a period; write it like FY2016, CY2016, 2016年度, H28年度, R5年 '
        "or 令和5年度.",
    ),
    "year_type_missing": (
        "「{raw}」は暦年か年度かが分かりません。「年」または「年度」を付けてください。",
        '"{raw}" does not say calendar year (年) or fiscal year (年度); add 年 or 年度.',
    ),
    "bad_outlook": (
        "「{raw}」は見通しの評価として読めません。A、B、C、A+、A- のいずれかを入力してください。",
        '"{raw}" is not an outlook grade; enter A, B, C, A+ or A-.',
    ),
    "bad_unit": (
        "列の単位「{raw}」を読めません。",
        'cannot read the column unit "{raw}".',
    ),
    "bad_type": (
        "「{raw}」（型 {detail}）は値として読めません。",
        '"{raw}" (type {detail}) cannot be read as a value.',
    ),
    "unrecognised": (
        "「{raw}」を値として読めません。数値の前後に説明の文字があります。説明は備考欄に書いてください。",
        '"{raw}" cannot be read as a value: there is text around the number; '
        "put explanations in the note column.",
    ),
}


class ValueParseError(ValueError):
    """A cell that cannot be read; the message is in Japanese and English."""

    def __init__(self, raw: object, code: str, message_ja: str, message_en: str) -> None:
        self.raw = raw
        self.code = code
        self.message_ja = message_ja
        self.message_en = message_en
        super().__init__(f"{message_ja} / {message_en}")

    def __reduce__(self):  # keep it picklable despite the custom __init__
        return (type(self), (self.raw, self.code, self.message_ja, self.message_en))


def _error(raw: object, code: str, **details: str) -> ValueParseError:
    shown = raw if isinstance(raw, str) else repr(raw)
    ja, en = _MESSAGES[code]
    return ValueParseError(
        raw, code, ja.format(raw=shown, **details), en.format(raw=shown, **details)
    )


# ---------------------------------------------------------------- normalisation

_ZERO_WIDTH = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"), None)
# After NFKC: U+2212 MINUS SIGN is a minus; the wave dash 〜 is the same range mark as ～.
_AFTER_NFKC = str.maketrans({"\u2212": "-", "\u301c": "~"})
_ASCII_DIGIT = re.compile(r"[0-9]")
_PLAIN_DIGIT = re.compile(r"[0-9０-９]")
# A decimal digit of any other script (\d is every Unicode digit; int() reads them all).
_FOREIGN_DIGIT = re.compile(r"[^\D0-9]")
# 748.000: the dot may be a decimal point or, as written in much of Europe, a thousands
# separator (748.000 = 748,000). A leading 0 (0.250) is never a thousands group.
_DOT_THREE = re.compile(r"[1-9][0-9]{0,2}\.[0-9]{3}")
_MARKUP = re.compile(r"<\s*/?\s*(?:u|b|i|em|strong|span)\s*>", re.IGNORECASE)


def _normalise(raw: str) -> tuple[str, bool]:
    """NFKC, markup removal and whitespace collapsing; returns (text, markup_removed)."""
    text = raw
    if not text.isascii():  # ASCII is already NFKC
        text = unicodedata.normalize("NFKC", text.translate(_ZERO_WIDTH))
        # NFKC turns ① ² ½ ㏠ into digits; a cell that relies on that is not a plain number.
        if len(_ASCII_DIGIT.findall(text)) != len(_PLAIN_DIGIT.findall(raw)):
            raise _error(raw, "digit_like")
        if _FOREIGN_DIGIT.search(text):
            raise _error(raw, "foreign_digit")
        text = text.translate(_AFTER_NFKC)
    markup = False
    if "<" in text:
        stripped = _MARKUP.sub(" ", text)
        markup = stripped != text
        text = stripped
    return " ".join(text.split()), markup


# ---------------------------------------------------------------- periods

_ERA = r"(?:平成|令和|[HhRr])\s*(?:[0-9]{1,2}|元)(?:\s*\(\s*[0-9]{4}\s*\))?"
_WEST = r"(?:19|20)[0-9]{2}"
_FYCY = r"(?:[Ff][Yy]|[Cc][Yy])\s*(?:19|20)[0-9]{2}"
_PERIOD_TYPED = rf"(?:(?:{_ERA}|{_WEST})\s*(?:年度|年)|{_FYCY})"
_PERIOD_BARE = rf"(?:{_ERA}|{_WEST})"

_PERIOD_PARTS = re.compile(
    r"(?:(?P<era>平成|令和|[HhRr])\s*(?P<ey>[0-9]{1,2}|元)(?:\s*\(\s*(?P<ew>[0-9]{4})\s*\))?"
    r"|(?P<fc>[Ff][Yy]|[Cc][Yy])\s*(?P<fy>[0-9]{4})"
    r"|(?P<wy>(?:19|20)[0-9]{2}))"
    r"\s*(?P<kind>年度|年)?"
)
_ERA_BASE = {"平成": 1988, "H": 1988, "h": 1988, "令和": 2018, "R": 2018, "r": 2018}


@lru_cache(maxsize=512)
def _period(raw: object, text: str) -> tuple[str, bool]:
    """(period, year_type_unspecified) for text matching _PERIOD_PARTS; raw is for errors."""
    m = _PERIOD_PARTS.fullmatch(text)
    if m is None:
        raise _error(raw, "bad_period")
    if m["fc"]:
        if m["kind"]:
            raise _error(raw, "bad_period")
        return f"{m['fc'].upper()}{m['fy']}", False
    if m["era"]:
        number = 1 if m["ey"] == "元" else int(m["ey"])
        if number == 0:
            raise _error(raw, "bad_period")
        year = _ERA_BASE[m["era"]] + number
        if m["ew"] and int(m["ew"]) != year:
            detail = f"{m['era']}{m['ey']} = {year} ≠ {m['ew']}"
            raise _error(raw, "period_conflict", detail=detail)
    else:
        year = int(m["wy"])
    if m["kind"] == "年度":
        return f"FY{year}", False
    if m["kind"] == "年":
        return f"CY{year}", False
    return str(year), True


# ---------------------------------------------------------------- cell grammar

_NOTE_FLAGS = {
    "速報値": "preliminary", "速報": "preliminary",
    "暫定値": "preliminary", "暫定": "preliminary",
    "概算値": "preliminary", "概算": "preliminary",
    "推計値": "estimate", "推計": "estimate",
    "見込み": "estimate", "見込": "estimate", "見込値": "estimate", "見込み値": "estimate",
}  # fmt: skip
# Words allowed after a period inside its brackets, and the flag each adds.
_PERIOD_TAILS: dict[str, str | None] = {
    "調査": "survey_year",
    "実績": None,
    "実績値": None,
    "末": None,
    "時点": None,
    "累計": "cumulative",
    "まで累計": "cumulative",
    "までの累計": "cumulative",
    **_NOTE_FLAGS,
}


def _alternation(words) -> str:
    return "|".join(map(re.escape, sorted(words, key=len, reverse=True)))


_OPEN = r"[(\[【〔]"
_CLOSE = r"[)\]】〕]"
_BODY = r"((?:[^()\[\]【】〔〕]|\([0-9]{4}\))*)"  # one level of nesting: 平成 30(2018)年
_LEAD_BRACKET = re.compile(rf"{_OPEN}{_BODY}{_CLOSE}\s*")
_TRAIL_BRACKET = re.compile(rf"\s*{_OPEN}{_BODY}{_CLOSE}$")
_BRACKET_PERIOD = re.compile(
    rf"(?P<p>{_PERIOD_TYPED}|{_PERIOD_BARE})\s*(?P<tail>{_alternation(_PERIOD_TAILS)})?"
)
# "(R1:75.0%)": a whole cell in brackets, led by a period label.
_WRAPPED = re.compile(rf"{_OPEN}\s*((?:{_PERIOD_TYPED}|{_PERIOD_BARE})\s*:.+?)\s*{_CLOSE}")
# A bare era year as prefix needs the colon ("H30：82,687人"); a typed one may stand alone.
_PREFIX_PERIOD = re.compile(rf"(?:(?P<typed>{_PERIOD_TYPED})\s*:?|(?P<bare>{_PERIOD_BARE})\s*:)\s*")

_CORE = re.compile(
    r"(?P<word>約|およそ|平均)?\s*"
    r"(?P<sign>[+\-△▲±])?"
    r"(?P<num>[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]+)?|[0-9]+(?:\.[0-9]+)?)"
    rf"\s*(?P<mult>{_alternation(MULTIPLIERS)})?"
    r"\s*(?P<unit>[^\s0-9()\[\]【】〔〕]+?)??"
    r"\s*(?P<qual>以上|以下)?"
)
_WORD_FLAGS = {"約": "approximate", "およそ": "approximate", "平均": "average"}
_QUALIFIERS: dict[str, Qualifier] = {"以上": "at_least", "以下": "at_most"}

_ARROW = re.compile(r"[▼▽→⇒➡⇨⟶➔⇢]|->|=>")
_RANGE = re.compile(r"[~～]|[0-9]-[0-9]")
_DATE = re.compile(
    r"[0-9]\s*月|年\s*[0-9]*\s*月|[0-9]\s*日|^[0-9]{1,2}/[0-9]{1,2}$|[HR][0-9]{1,2}\.[0-9]"
)
_NUMBER_TOKEN = re.compile(r"[0-9][0-9,.]*")
_PERIOD_ANYWHERE = re.compile(rf"{_PERIOD_TYPED}|(?:平成|令和|[HR])\s*[0-9]{{1,2}}")
_VALID_NUMBER = re.compile(r"[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]+)?|[0-9]+(?:\.[0-9]+)?")

_MISSING = re.compile(r"[-‐‑‒–—―ー─━]{1,3}")
_STATUS_WORDS: dict[str, tuple[Status, tuple[str, ...]]] = {
    "集計中": ("pending", ()),
    "調査中": ("pending", ()),
    "算定中": ("pending", ()),
    "算出中": ("pending", ()),
    "未公表": ("pending", ()),
    "未確定": ("pending", ()),
    "未把握": ("not_measured", ()),
    "把握できず": ("not_measured", ()),
    "把握不能": ("not_measured", ()),
    "未測定": ("not_measured", ()),
    "未調査": ("not_measured", ()),
    "調査未実施": ("not_measured", ()),
    "削除": ("deleted", ()),
    "削減": ("deleted", ("deleted_typo",)),
}
_REASONED_STATUS = re.compile(
    r"[^0-9]+?(?:により|のため|につき)(?P<word>"
    + _alternation(w for w, (s, _) in _STATUS_WORDS.items() if s in ("pending", "not_measured"))
    + ")"
)
_UNWRAP = re.compile(rf"{_OPEN}([^()\[\]【】〔〕]*){_CLOSE}")

_EMPTY: frozenset[str] = frozenset()
_MISSING_Q = Quantity(None, None, None, "missing", _EMPTY, None)


def _status(text: str, flags: set[str], period: str | None) -> Quantity | None:
    key = text.replace(" ", "")
    m = _UNWRAP.fullmatch(key)
    if m:
        key = m.group(1)
    if not key or _MISSING.fullmatch(key):
        status: Status = "missing"
    elif key in _STATUS_WORDS:
        status, extra = _STATUS_WORDS[key]
        flags.update(extra)
    else:
        m = _REASONED_STATUS.fullmatch(key)
        if m is None:
            return None
        status = _STATUS_WORDS[m["word"]][0]
        flags.add("reason_given")
    return Quantity(None, None, None, status, frozenset(flags), period)


def _canonical_unit(unit: str, column_base: str | None) -> str | None:
    unit = _UNIT_ALIASES.get(unit, unit)
    if unit in KNOWN_UNITS or unit == column_base:
        return unit
    top, slash, bottom = unit.partition("/")
    if slash and top in KNOWN_UNITS and bottom in _DENOMINATORS:
        return unit
    return None


def _finite(raw: object, exact: int | Decimal) -> float:
    """Exact product to float; Decimal keeps 55.3 万 at 553000, not 552999.99…."""
    try:
        value = float(exact)
    except OverflowError:
        value = math.inf
    if not math.isfinite(value):
        raise _error(raw, "bad_number")
    return value + 0.0  # -0.0 + 0.0 is 0.0


def _diagnose(raw: str, text: str) -> ValueParseError:
    """Why a cell that passed the early checks does not fit the grammar."""
    if _RANGE.search(text):
        return _error(raw, "range")
    if _DATE.search(text):
        return _error(raw, "date")
    # "H30 の年間観光消費額：127 億円" is one value with a label, not two values.
    numbers = _NUMBER_TOKEN.findall(_PERIOD_ANYWHERE.sub(" ", text))
    if len(numbers) > 1:
        return _error(raw, "multiple_values")
    if not numbers:
        return _error(raw, "no_number")
    if not _VALID_NUMBER.fullmatch(numbers[0].rstrip(".")):
        return _error(raw, "bad_number")
    return _error(raw, "unrecognised")


def _bracket(raw: str, content: str, period: str | None, flags: set[str]) -> str | None:
    """Read one bracketed note or period; returns the (possibly new) period."""
    content = content.strip()
    note = _NOTE_FLAGS.get(content.replace(" ", ""))
    if note:
        flags.add(note)
        return period
    m = _BRACKET_PERIOD.fullmatch(content)
    if m is None:
        if _RANGE.search(content):
            raise _error(raw, "range")
        raise _error(raw, "annotation", detail=content)
    if period is not None:
        raise _error(raw, "period_conflict", detail=f"{period} / {content}")
    found, unspecified = _period(raw, m["p"])
    if unspecified:
        flags.add("year_type_unspecified")
    tail = m["tail"]
    if tail and _PERIOD_TAILS[tail]:
        flags.add(_PERIOD_TAILS[tail])
    return found


@lru_cache(maxsize=256)
def parse_unit(text: str) -> tuple[int, str | None]:
    """Split a column's unit into (multiplier, base unit): 千人 -> (1000, "人").

    Brackets (〔十億円〕, [人]) are dropped and カ所/箇所 read as か所. A unit that is only a
    multiplier (万) has base ``None``. Any other text is taken as the column's own base unit.
    """
    if not isinstance(text, str):
        raise _error(text, "bad_unit")
    cleaned, _ = _normalise(text)
    m = _UNWRAP.fullmatch(cleaned)
    if m:
        cleaned = m.group(1).strip()
    if not cleaned or " " in cleaned or _ASCII_DIGIT.search(cleaned):
        raise _error(text, "bad_unit")
    for prefix in sorted(MULTIPLIERS, key=len, reverse=True):
        if cleaned.startswith(prefix):
            base = cleaned[len(prefix) :]
            return MULTIPLIERS[prefix], _UNIT_ALIASES.get(base, base) or None
    return 1, _UNIT_ALIASES.get(cleaned, cleaned)


@lru_cache(maxsize=8192)
def _parse_text(raw: str, expected_unit: str | None) -> Quantity:
    text, markup = _normalise(raw)
    flags: set[str] = {"markup"} if markup else set()
    found = _status(text, flags, None)
    if found is not None:
        return found
    if _ARROW.search(text):
        raise _error(raw, "arrow")

    m = _WRAPPED.fullmatch(text)
    if m:
        text = m.group(1)
    period: str | None = None
    while (m := _LEAD_BRACKET.match(text)) is not None:
        period = _bracket(raw, m.group(1), period, flags)
        text = text[m.end() :]
    while (m := _TRAIL_BRACKET.search(text)) is not None:
        period = _bracket(raw, m.group(1), period, flags)
        text = text[: m.start()]
    m = _PREFIX_PERIOD.match(text)
    if m:
        if period is not None:
            raise _error(raw, "period_conflict", detail=f"{period} / {m.group(0).strip()}")
        period, unspecified = _period(raw, m["typed"] or m["bare"])
        if unspecified:
            flags.add("year_type_unspecified")
        text = text[m.end() :]
    if not text:
        raise _error(raw, "period_only" if period else "no_number")
    if period is not None:
        found = _status(text, flags, period)
        if found is not None:
            return found

    m = _CORE.fullmatch(text)
    if m is None:
        raise _diagnose(raw, text)
    if m["word"]:
        flags.add(_WORD_FLAGS[m["word"]])
    unit = None
    if m["unit"]:
        column_base = parse_unit(expected_unit)[1] if expected_unit else None
        unit = _canonical_unit(m["unit"], column_base)
        if unit is None:
            raise _error(raw, "unknown_unit", detail=m["unit"])

    scale = MULTIPLIERS[m["mult"]] if m["mult"] else 1
    if expected_unit:
        column_scale, column_base = parse_unit(expected_unit)
        if unit is None and not m["mult"]:
            scale = column_scale
        elif unit is not None and unit != column_base:
            raise _error(raw, "unit_mismatch", detail=unit, expected=expected_unit)
        elif scale != column_scale:
            flags.add("converted")
        if unit is None and column_base is not None:
            unit = column_base
            flags.add("unit_from_column")

    if _DOT_THREE.fullmatch(m["num"]):
        flags.add("ambiguous_thousands")
    number = m["num"].replace(",", "")
    value = _finite(raw, Decimal(number) * scale if "." in number else int(number) * scale)
    sign = m["sign"]
    if sign in ("-", "△", "▲"):
        value = -value if value else 0.0
    elif sign == "+":
        flags.add("explicit_plus")
    elif sign == "±" and value:
        raise _error(raw, "bad_number")
    qualifier = _QUALIFIERS[m["qual"]] if m["qual"] else None
    return Quantity(value, unit, qualifier, "ok", frozenset(flags), period)


def _parse_number(raw: int | float | Decimal, expected_unit: str | None) -> Quantity:
    if isinstance(raw, float) and math.isnan(raw) or isinstance(raw, Decimal) and raw.is_nan():
        return _MISSING_Q  # an empty spreadsheet cell read by pandas
    scale, base = parse_unit(expected_unit) if expected_unit else (1, None)
    # Decimal(str()) so 55.3 in a 万人 column is 553000, as it would be from text.
    value = _finite(raw, raw * scale if isinstance(raw, int) else Decimal(str(raw)) * scale)
    flags = frozenset({"unit_from_column"}) if base else _EMPTY
    return Quantity(value, base, None, "ok", flags, None)


def parse_quantity(
    raw: str | int | float | Decimal | None, *, expected_unit: str | None = None
) -> Quantity:
    """Read one value cell; see the module docstring for the grammar and ``expected_unit``."""
    if expected_unit is not None and not isinstance(expected_unit, str):
        raise _error(expected_unit, "bad_unit")
    if raw is None:
        return _MISSING_Q
    if isinstance(raw, str):
        return _parse_text(raw, expected_unit or None)
    if isinstance(raw, (int, float, Decimal)) and not isinstance(raw, bool):
        return _parse_number(raw, expected_unit or None)
    raise _error(raw, "bad_type", detail=type(raw).__name__)


def parse_period(text: str | int) -> str:
    """Normalise a period cell to ``FY<year>`` or ``CY<year>``; raise ValueParseError."""
    if isinstance(text, int) and not isinstance(text, bool):
        text = str(text)
    if not isinstance(text, str):
        raise _error(text, "bad_type", detail=type(text).__name__)
    cleaned, _ = _normalise(text)
    m = _UNWRAP.fullmatch(cleaned)
    if m:
        cleaned = m.group(1).strip()
    if _PERIOD_PARTS.fullmatch(cleaned) is None:
        raise _error(text, "bad_period")
    period, unspecified = _period(text, cleaned)
    if unspecified:
        raise _error(text, "year_type_missing")
    return period


_OUTLOOKS = frozenset({"A", "B", "C", "A+", "A-"})
# Minus look-alikes typed after a grade: ‐ – − and the katakana long mark ー.
_OUTLOOK_MINUS = str.maketrans({"‐": "-", "–": "-", "ー": "-"})


def parse_outlook(text: str) -> str:
    """Normalise an outlook grade to one of A, B, C, A+, A-; raise ValueParseError."""
    if not isinstance(text, str):
        raise _error(text, "bad_outlook")
    cleaned, _ = _normalise(text)
    grade = cleaned.replace(" ", "").translate(_OUTLOOK_MINUS).upper()
    if grade not in _OUTLOOKS:
        raise _error(text, "bad_outlook")
    return grade
