"""Value normalisation (orchestration.intake.values) against real cells and the contract.

The table-driven tests read tests/fixtures/value_examples.csv, a byte-identical copy of
shared/reference/value_examples.csv (columns seed_file, raw_string, meaning, value, unit,
period, flags). Every row is either

* in scope: listed in tests/fixtures/value_examples_expected.csv (what the parser returns,
  and the column unit the source table printed in its header, where the cell has none), and
  it must parse to the reference's documented value and base unit; or
* out of scope: listed in OUT_OF_SCOPE below with a reason from OUT_OF_SCOPE_REASONS and the
  error code we expect, and parse_quantity must refuse it (ValueParseError) rather than
  mis-parse it.

A row in neither list (or in both) fails test_every_reference_row_is_classified_once.
"""

from __future__ import annotations

import csv
import math
import pickle
import re
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

import pytest

from orchestration.intake.values import (
    ERROR_CODES,
    FLAGS,
    MULTIPLIERS,
    Quantity,
    ValueParseError,
    parse_outlook,
    parse_period,
    parse_quantity,
    parse_unit,
)

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures"
REFERENCE_COPY = FIXTURES / "value_examples.csv"
EXPECTED = FIXTURES / "value_examples_expected.csv"
SHARED_REFERENCE = ROOT.parent / "shared" / "reference" / "value_examples.csv"


def _read(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


REFERENCE_ROWS = _read(REFERENCE_COPY)
EXPECTED_BY_RAW = {row["raw_string"]: row for row in _read(EXPECTED)}

# Why a reference row is not one value, and which ValueParseError codes may say so.
OUT_OF_SCOPE_REASONS = {
    "two_values": "an arrow (▼ → ⇒), a from→to change, or several numbers in one cell "
    "(weekday/holiday, breakdowns, two targets); the contract is one value per cell",
    "mark_counts": "counts per evaluation mark (○ 7 △ 2 × 2 - 1, A 7 B 3); △ and - are "
    "marks here, not minus signs",
    "period_range": "a value over a range of years (H27～R1, ～R11, R3～) or an average "
    "over years; one period string cannot carry it",
    "date_or_period": "a date, or a period without any value",
    "label_text": "words around the number carry meaning (a label, a benchmark, a sign in "
    "words such as 転出超過, a pace such as 年3人); reading only the number would mis-parse",
    "prose": "prose, notes (※…), OCR artefacts (二, 创业者) or a unit heading (〔件〕): "
    "nothing to read as a value",
    "unit_inconsistent": "the cell's unit (件) differs from its series' unit (人)",
}

# raw string -> (reason, expected error code)
OUT_OF_SCOPE: dict[str, tuple[str, str]] = {
    # two values
    "- → 12件(R12年度)": ("two_values", "arrow"),
    "— → 2,500 人 (R8~R12 年の累計)": ("two_values", "arrow"),
    "16,507人 ▼ 基準年を毎年上回る": ("two_values", "arrow"),
    "12% ▼ 17%": ("two_values", "arrow"),
    "650人/年 ▼ 5年間の平均 550人/年": ("two_values", "arrow"),
    "515万人 ▼ 700万人": ("two_values", "arrow"),
    "70.8%(H26年度) ⇒ 80%(H31年度)": ("two_values", "arrow"),
    "650人 ⇒ 550人": ("two_values", "arrow"),
    "23校区→36校区": ("two_values", "arrow"),
    "36事業所→73事業所": ("two_values", "arrow"),
    "2回⇒6回": ("two_values", "arrow"),
    "平日：240,014人 休日：239,602人": ("two_values", "multiple_values"),
    "基準年の滞在人口 平日：241,724人 休日：240,408人 (15歳以上80歳未満) を維持する": (
        "two_values",
        "multiple_values",
    ),
    "7組13名": ("two_values", "multiple_values"),
    "5施設、定員23名": ("two_values", "multiple_values"),
    "全80プログラム80件中、3市2町関連プログラム10件": ("two_values", "multiple_values"),
    "0.90 1.00": ("two_values", "multiple_values"),
    "7,000 以上 7,000 以上": ("two_values", "multiple_values"),
    "0 0": ("two_values", "multiple_values"),
    "久留米市内4施設、大川市内1施設、小郡市内2施設、大刀洗町内1施設": (
        "two_values",
        "multiple_values",
    ),
    "4市2町": ("two_values", "multiple_values"),
    "人口 30 万 5 千人": ("two_values", "multiple_values"),
    "… 1 2": ("two_values", "multiple_values"),
    "4市1町（208施設）": ("two_values", "annotation"),
    "3.0点 (小学校:2.9点 中学校:3.1点)": ("two_values", "annotation"),
    "36事業/39事業(92.3%)": ("two_values", "annotation"),
    "H31.4.1で40人 (年度内最大61人)": ("two_values", "annotation"),
    # mark counts (U+00A0 no-break spaces as printed)
    "○ 7 △ 2 × 2 - 1": ("mark_counts", "multiple_values"),
    "A 7 \u00a0\u00a0 B 3": ("mark_counts", "multiple_values"),
    "○ 2 \u00a0\u00a0 △ 3 \u00a0\u00a0 × 1 \u00a0\u00a0 — 4": ("mark_counts", "multiple_values"),
    # ranges of years
    "3,345 人（R7年度までの5年間の平均）": ("period_range", "annotation"),
    "H28～H30 の平均：3,152 人": ("period_range", "range"),
    "1,070人 (H27～R1)": ("period_range", "range"),
    "+1,080人(R2～R6(推計値)の累計)": ("period_range", "range"),
    "4,854人 (～R1)": ("period_range", "range"),
    "78,627件 (H27～R1)": ("period_range", "range"),
    "45件(R3～累計)": ("period_range", "range"),
    "438件(～R11)": ("period_range", "range"),
    "299人 (R1~R5)": ("period_range", "range"),
    # dates and periods without a value (parse_period reads some of them: see below)
    "令和12(2030)年": ("date_or_period", "period_only"),
    "令和 32（2050）年": ("date_or_period", "period_only"),
    "(H25年)": ("date_or_period", "period_only"),
    "令和 8 年 4 月 1 日住民基本台帳": ("date_or_period", "date"),
    "7/22": ("date_or_period", "date"),
    "令和 5 年 月 発 行": ("date_or_period", "no_number"),
    "（H29.5）": ("date_or_period", "annotation"),
    "（H29年10月）": ("date_or_period", "annotation"),
    "(H31年度までの5年間平均)": ("date_or_period", "annotation"),
    "(H24~26年度平均)": ("date_or_period", "range"),
    "第3期 (R7-11)": ("date_or_period", "range"),
    "人口の社会増(2020R2～2024R6年)": ("date_or_period", "range"),
    "(H28~)": ("date_or_period", "range"),
    "令和2（2019）年2月14日": ("date_or_period", "period_conflict"),
    # words that carry meaning
    "市内9カ所": ("label_text", "unrecognised"),
    "来場者約8,000人": ("label_text", "unrecognised"),
    "平成30年度 全国平均から▲2.6": ("label_text", "unrecognised"),
    "H30 の年間観光消費額：127 億円": ("label_text", "unrecognised"),
    "令和7年度 全国平均以上": ("label_text", "no_number"),
    "滞在人口を維持": ("label_text", "no_number"),
    "経営開始 5 年目の農業収入 1 千万円以上の割合": ("label_text", "multiple_values"),
    "46人(年3人)": ("label_text", "annotation"),
    "1,394人の転出超過": ("label_text", "unknown_unit"),
    "560人の転入超過": ("label_text", "unknown_unit"),
    "基準値は平成 27 年 10 月 1 日から平成 28 年 1 月 31 日までの 4 ヶ月間の数値": (
        "label_text",
        "date",
    ),
    # prose, notes, OCR, unit headings
    "※毎年度予算の決定後に、各市町合計額により更新（以下同じ）": ("prose", "annotation"),
    "※H30の出生数は、概算値。10月に数値確定": ("prose", "date"),
    "※H28年度は地震によりアンケート未実施。": ("prose", "no_number"),
    "2(4)から移動": ("prose", "multiple_values"),
    "创业者": ("prose", "no_number"),
    "二": ("prose", "no_number"),
    "小都市": ("prose", "no_number"),
    "0〜4歳の人口": ("prose", "range"),
    "\u3000基本目標 1": ("prose", "unrecognised"),
    "〔十億円〕": ("prose", "annotation"),
    "〔人／ha〕": ("prose", "annotation"),
    "〔件〕": ("prose", "annotation"),
    # a real single value, refused in its series because the unit is wrong
    "18,305件": ("unit_inconsistent", "unit_mismatch"),
}
# The column unit a refused row is read against (the series' unit), where it matters.
OUT_OF_SCOPE_COLUMN_UNIT = {"18,305件": "人"}

# Reference units that describe a unitless number rather than name a unit.
DESCRIPTIVE_REFERENCE_UNITS = {"(rate)"}

JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")


def _in_scope_rows() -> list[dict[str, str]]:
    return [row for row in REFERENCE_ROWS if row["raw_string"] in EXPECTED_BY_RAW]


def _out_of_scope_rows() -> list[dict[str, str]]:
    return [row for row in REFERENCE_ROWS if row["raw_string"] in OUT_OF_SCOPE]


def _row_id(row: dict[str, str]) -> str:
    return row["raw_string"] or "<empty>"


def _split_flags(text: str) -> frozenset[str]:
    return frozenset(flag for flag in text.split(";") if flag)


def _period_agrees(parsed: str, reference: str) -> bool:
    """A bare year ("2021") agrees with the reference's CY2021, FY2021 or 2021."""
    if parsed == reference:
        return True
    return parsed.isdigit() and reference in {f"CY{parsed}", f"FY{parsed}"}


# ---------------------------------------------------------------- fixture integrity


def test_fixture_is_a_byte_identical_copy_of_the_shared_reference():
    if not SHARED_REFERENCE.exists():
        pytest.skip(f"shared reference not present at {SHARED_REFERENCE}")
    assert REFERENCE_COPY.read_bytes() == SHARED_REFERENCE.read_bytes()


def test_every_reference_row_is_classified_once():
    raws = {row["raw_string"] for row in REFERENCE_ROWS}
    both = set(EXPECTED_BY_RAW) & set(OUT_OF_SCOPE)
    neither = raws - set(EXPECTED_BY_RAW) - set(OUT_OF_SCOPE)
    assert not both, f"listed as in scope and out of scope: {sorted(both)}"
    assert not neither, f"reference rows nobody classified: {sorted(neither)}"
    stale = (set(EXPECTED_BY_RAW) | set(OUT_OF_SCOPE)) - raws
    assert not stale, f"classified strings that are not in the reference: {sorted(stale)}"


def test_every_out_of_scope_row_names_a_documented_reason_and_error_code():
    for raw, (reason, code) in OUT_OF_SCOPE.items():
        assert reason in OUT_OF_SCOPE_REASONS, raw
        assert code in ERROR_CODES, raw


# ---------------------------------------------------------------- reference table


@pytest.mark.parametrize("row", _in_scope_rows(), ids=_row_id)
def test_single_value_reference_row_parses_to_its_documented_meaning(row):
    expected = EXPECTED_BY_RAW[row["raw_string"]]
    q = parse_quantity(row["raw_string"], expected_unit=expected["column_unit"] or None)

    assert q.status == expected["status"]
    if row["value"]:
        assert q.value == pytest.approx(float(row["value"]), rel=1e-12, abs=1e-12)
    else:
        assert q.value is None
    assert q.unit == (expected["unit"] or None)
    if q.unit is not None:
        assert q.unit == row["unit"], "base unit differs from the reference's"
    else:
        assert row["unit"] in {""} | DESCRIPTIVE_REFERENCE_UNITS
    assert q.qualifier == (expected["qualifier"] or None)
    assert q.period == (expected["period"] or None)
    if q.period is not None:
        assert _period_agrees(q.period, row["period"]), (q.period, row["period"])
    assert q.flags == _split_flags(expected["flags"])


@pytest.mark.parametrize("row", _out_of_scope_rows(), ids=_row_id)
def test_out_of_scope_reference_row_is_refused_not_misparsed(row):
    raw = row["raw_string"]
    reason, code = OUT_OF_SCOPE[raw]
    with pytest.raises(ValueParseError) as caught:
        parse_quantity(raw, expected_unit=OUT_OF_SCOPE_COLUMN_UNIT.get(raw))
    assert caught.value.code == code, f"{raw!r} ({reason}) refused for another reason"
    assert raw in caught.value.message_ja
    assert raw in caught.value.message_en


def test_every_flag_the_reference_rows_produce_is_documented():
    produced = set()
    for row in _in_scope_rows():
        column_unit = EXPECTED_BY_RAW[row["raw_string"]]["column_unit"] or None
        produced |= parse_quantity(row["raw_string"], expected_unit=column_unit).flags
    assert produced <= set(FLAGS)


def test_series_unit_mismatch_row_reads_with_its_own_unit_when_no_column_unit_is_given():
    q = parse_quantity("18,305件")
    assert (q.value, q.unit) == (18305.0, "件")


# ---------------------------------------------------------------- numbers and signs


def test_full_width_digits_and_comma_are_read():
    assert parse_quantity("１２，３４５人") == Quantity(
        12345.0, "人", None, "ok", frozenset(), None
    )


def test_full_width_decimal_point_and_percent_are_read():
    q = parse_quantity("８１．７％")
    assert (q.value, q.unit) == (81.7, "%")


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        ("△69人", -69.0),
        ("▲2.6", -2.6),
        ("-37", -37.0),
        ("－37", -37.0),  # full-width hyphen-minus
        ("−37", -37.0),  # U+2212 minus sign
        ("△236人 (R5)", -236.0),
        ("△0人", 0.0),
    ],
)
def test_triangle_and_dash_before_a_number_make_it_negative(raw, value):
    q = parse_quantity(raw)
    assert q.value == value
    assert q.status == "ok"
    if value == 0:
        assert math.copysign(1.0, q.value) == 1.0  # △0 is 0, not -0.0


def test_explicit_plus_is_allowed_and_flagged():
    q = parse_quantity("+1,520人")
    assert q.value == 1520.0
    assert "explicit_plus" in q.flags


def test_plus_minus_is_allowed_before_zero_only():
    assert parse_quantity("±0人").value == 0.0
    with pytest.raises(ValueParseError) as caught:
        parse_quantity("±3人")
    assert caught.value.code == "bad_number"


@pytest.mark.parametrize("raw", ["▼5", "5 ▼ 7", "12% ▼ 17%"])
def test_down_triangle_is_an_arrow_never_a_minus(raw):
    with pytest.raises(ValueParseError) as caught:
        parse_quantity(raw)
    assert caught.value.code == "arrow"


def test_sign_separated_from_number_is_refused_because_it_may_be_a_mark_count():
    with pytest.raises(ValueParseError):
        parse_quantity("△ 2")


@pytest.mark.parametrize("raw", ["1,2345人", "12,34", "1.2.3"])
def test_malformed_thousands_separator_or_decimal_point_is_refused(raw):
    with pytest.raises(ValueParseError) as caught:
        parse_quantity(raw)
    assert caught.value.code == "bad_number"


@pytest.mark.parametrize("raw", ["①5人", "5²人", "½"])
def test_digit_like_characters_are_refused_not_turned_into_digits(raw):
    with pytest.raises(ValueParseError) as caught:
        parse_quantity(raw)
    assert caught.value.code == "digit_like"


@pytest.mark.parametrize("raw", ["二", "三十人"])
def test_kanji_numerals_are_refused(raw):
    with pytest.raises(ValueParseError) as caught:
        parse_quantity(raw)
    assert caught.value.code == "no_number"


def test_unitless_number_has_no_unit():
    assert parse_quantity("9,336") == Quantity(9336.0, None, None, "ok", frozenset(), None)


def test_percent_is_a_unit():
    q = parse_quantity("81.7%")
    assert (q.value, q.unit) == (81.7, "%")


# ---------------------------------------------------------------- multipliers and units


@pytest.mark.parametrize("multiplier", sorted(MULTIPLIERS, key=MULTIPLIERS.get))
@pytest.mark.parametrize("unit", ["人", "円"])
def test_every_multiplier_scales_the_value_to_the_base_unit(multiplier, unit):
    q = parse_quantity(f"3 {multiplier}{unit}")
    assert q.value == 3.0 * MULTIPLIERS[multiplier]
    assert q.unit == unit


@pytest.mark.parametrize(
    ("raw", "value", "unit"),
    [
        ("9,028 千人", 9_028_000.0, "人"),
        ("15,048 億円", 1.5048e12, "円"),
        ("320,975 百万円", 320_975_000_000.0, "円"),
        ("55.3 万人", 553_000.0, "人"),
        ("1 千万円", 10_000_000.0, "円"),
        ("2,325十億円", 2.325e12, "円"),
        ("108万件", 1_080_000.0, "件"),
        ("39.3 万人", 393_000.0, "人"),
    ],
)
def test_documented_multiplier_examples_are_exact(raw, value, unit):
    q = parse_quantity(raw)
    assert q.value == value  # exact: decimal arithmetic, not 552999.9999…
    assert q.unit == unit


@pytest.mark.parametrize(
    ("raw", "unit"),
    [
        ("52 人/ha", "人/ha"),
        ("237,673 人／日", "人/日"),
        ("650人/年", "人/年"),
        ("870g/人・日", "g/人・日"),
        ("742ha", "ha"),
        ("31校区", "校区"),
        ("5学年", "学年"),
        ("6か所", "か所"),
        ("6カ所", "か所"),
        ("6箇所", "か所"),
    ],
)
def test_counters_and_compound_units_are_returned_as_base_units(raw, unit):
    assert parse_quantity(raw).unit == unit


@pytest.mark.parametrize("raw", ["80%にする", "1,394人の転出超過", "5人超", "10人未満"])
def test_words_after_the_number_are_refused_as_unknown_units(raw):
    with pytest.raises(ValueParseError) as caught:
        parse_quantity(raw)
    assert caught.value.code == "unknown_unit"


# ---------------------------------------------------------------- qualifiers and flags


@pytest.mark.parametrize(
    ("raw", "qualifier", "unit"),
    [
        ("16,507人以上", "at_least", "人"),
        ("7,000 以上", "at_least", None),
        ("<u>令和7年度</u> 1,603人以上", "at_least", "人"),
        ("30%以下", "at_most", "%"),
        ("838g/人・日以下", "at_most", "g/人・日"),
    ],
)
def test_ijou_and_ika_become_at_least_and_at_most(raw, qualifier, unit):
    q = parse_quantity(raw)
    assert q.qualifier == qualifier
    assert q.unit == unit


@pytest.mark.parametrize("raw", ["約450人", "約 450 人", "およそ450人"])
def test_yaku_marks_the_value_approximate(raw):
    q = parse_quantity(raw)
    assert q.value == 450.0
    assert q.flags == {"approximate"}


@pytest.mark.parametrize(
    ("raw", "flag"),
    [
        ("(速報値) 81.7%", "preliminary"),
        ("81.7%（速報値）", "preliminary"),
        ("(速報) 81.7%", "preliminary"),
        ("【暫定値】81.7%", "preliminary"),
        ("81.7% (概算値)", "preliminary"),
        ("(推計値) 81.7%", "estimate"),
        ("81.7%(R6見込み)", "estimate"),
    ],
)
def test_provisional_notes_become_preliminary_or_estimate_flags(raw, flag):
    q = parse_quantity(raw)
    assert q.value == 81.7
    assert flag in q.flags


def test_underline_markup_is_stripped_and_flagged():
    q = parse_quantity("<u>令和 7 年度</u> <u>368,700 百万円</u>")
    assert (q.value, q.unit, q.period) == (368_700_000_000.0, "円", "FY2025")
    assert q.flags == {"markup"}


# ---------------------------------------------------------------- status words


@pytest.mark.parametrize("raw", [None, "", "   ", "—", "-", "－", "―", "ー", "<u></u>"])
def test_dashes_blank_and_none_are_missing(raw):
    q = parse_quantity(raw)
    assert q.status == "missing"
    assert q.value is None
    assert q.unit is None


def test_nan_from_a_spreadsheet_is_missing():
    assert parse_quantity(float("nan")).status == "missing"


@pytest.mark.parametrize(
    ("raw", "status", "flags"),
    [
        ("集計中", "pending", set()),
        ("調査中", "pending", set()),
        ("未把握", "not_measured", set()),
        ("イベント未実施により未把握", "not_measured", {"reason_given"}),
        ("削除", "deleted", set()),
        ("（削除）", "deleted", set()),
        ("削減", "deleted", {"deleted_typo"}),
    ],
)
def test_status_words_give_a_status_and_no_value(raw, status, flags):
    q = parse_quantity(raw)
    assert (q.status, q.value, q.unit, q.qualifier) == (status, None, None, None)
    assert q.flags == flags


def test_status_word_may_carry_a_period():
    q = parse_quantity("集計中 (R5年度)")
    assert (q.status, q.period) == ("pending", "FY2023")


def test_unimplemented_alone_is_refused_because_it_may_mean_zero_events():
    with pytest.raises(ValueParseError):
        parse_quantity("未実施")


# ---------------------------------------------------------------- periods in value cells


@pytest.mark.parametrize(
    ("raw", "period", "unspecified"),
    [
        ("100人(R4 年度)", "FY2022", False),
        ("100人(R5 年)", "CY2023", False),
        ("100人（H29年度）", "FY2017", False),
        ("100人(令和元年度)", "FY2019", False),
        ("100人(R元年)", "CY2019", False),
        ("100人(平成元年度)", "FY1989", False),
        ("100人(H31年度)", "FY2019", False),
        ("100人(2016年度)", "FY2016", False),
        ("100人(FY2016)", "FY2016", False),
        ("100人(平成 30(2018)年)", "CY2018", False),
        ("100人(R3)", "2021", True),
        ("100人(H28)", "2016", True),
        ("平成 30 年度 100人", "FY2018", False),
        ("令和7年 100人", "CY2025", False),
        ("H30：100人", "2018", True),
        ("R5年度:100人", "FY2023", False),
    ],
)
def test_period_suffix_or_prefix_sets_fiscal_or_calendar_year(raw, period, unspecified):
    q = parse_quantity(raw)
    assert q.value == 100.0
    assert q.period == period
    assert ("year_type_unspecified" in q.flags) is unspecified


def test_survey_year_and_cumulative_period_words_become_flags():
    assert parse_quantity("81.7%(R3 調査)").flags == {"survey_year", "year_type_unspecified"}
    q = parse_quantity("403件 (R5年度までの累計)")
    assert (q.period, q.flags) == ("FY2023", {"cumulative"})


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("100人(令和2(2019)年)", "period_conflict"),
        ("平成30年度 100人 (R1)", "period_conflict"),
        ("100人(R0)", "bad_period"),
        ("R5 100人", "unrecognised"),  # a bare era year as prefix needs a colon
        ("R5年度", "period_only"),
        ("1,070人 (H27～R1)", "range"),
    ],
)
def test_contradictory_missing_or_ranged_periods_are_refused(raw, code):
    with pytest.raises(ValueParseError) as caught:
        parse_quantity(raw)
    assert caught.value.code == code


# ---------------------------------------------------------------- column units


def test_multiplied_cell_in_a_base_unit_column_is_converted_and_flagged():
    q = parse_quantity("747千人", expected_unit="人")
    assert (q.value, q.unit) == (747_000.0, "人")
    assert "converted" in q.flags


def test_cell_in_the_column_unit_is_not_flagged_converted():
    q = parse_quantity("747千人", expected_unit="千人")
    assert (q.value, q.unit) == (747_000.0, "人")
    assert "converted" not in q.flags


def test_base_unit_cell_in_a_multiplied_column_is_converted():
    q = parse_quantity("747,000人", expected_unit="千人")
    assert (q.value, q.unit) == (747_000.0, "人")
    assert "converted" in q.flags


def test_unitless_cell_takes_the_column_unit_without_conversion():
    q = parse_quantity("9,336", expected_unit="人")
    assert (q.value, q.unit) == (9336.0, "人")
    assert q.flags == {"unit_from_column"}


def test_unitless_cell_in_a_multiplied_column_is_scaled_to_the_base_unit():
    q = parse_quantity("747", expected_unit="千人")
    assert (q.value, q.unit) == (747_000.0, "人")
    assert q.flags == {"unit_from_column"}


def test_multiplier_without_unit_takes_the_column_base_unit():
    q = parse_quantity("30万", expected_unit="人")
    assert (q.value, q.unit) == (300_000.0, "人")
    assert q.flags == {"unit_from_column", "converted"}


@pytest.mark.parametrize(("raw", "column"), [("100円", "人"), ("18,305件", "人"), ("5%", "人")])
def test_cell_with_another_base_unit_than_the_column_is_refused(raw, column):
    with pytest.raises(ValueParseError) as caught:
        parse_quantity(raw, expected_unit=column)
    error = caught.value
    assert error.code == "unit_mismatch"
    assert column in error.message_ja
    assert column in error.message_en


def test_column_unit_outside_the_known_units_is_accepted_in_its_cells():
    with pytest.raises(ValueParseError):
        parse_quantity("12ライセンス")
    q = parse_quantity("12ライセンス", expected_unit="ライセンス")
    assert (q.value, q.unit) == (12.0, "ライセンス")


def test_status_cells_ignore_the_column_unit():
    q = parse_quantity("集計中", expected_unit="千人")
    assert (q.status, q.value, q.unit) == ("pending", None, None)


@pytest.mark.parametrize(
    ("text", "split"),
    [
        ("人", (1, "人")),
        ("千人", (1_000, "人")),
        ("〔十億円〕", (10**9, "円")),
        ("[万件]", (10_000, "件")),
        ("人／ha", (1, "人/ha")),
        ("％", (1, "%")),
        ("万", (10_000, None)),
        ("箇所", (1, "か所")),
    ],
)
def test_parse_unit_splits_column_units_into_multiplier_and_base(text, split):
    assert parse_unit(text) == split


@pytest.mark.parametrize("text", ["", "億円 (100 million JPY)", "10人"])
def test_parse_unit_refuses_text_that_is_not_a_unit(text):
    with pytest.raises(ValueParseError):
        parse_unit(text)


# ---------------------------------------------------------------- spreadsheet numbers


@pytest.mark.parametrize(
    ("raw", "value"), [(9336, 9336.0), (81.7, 81.7), (Decimal("1.45"), 1.45), (0, 0.0)]
)
def test_numeric_cells_are_floats_without_unit(raw, value):
    q = parse_quantity(raw)
    assert q == Quantity(value, None, None, "ok", frozenset(), None)
    assert isinstance(q.value, float)


def test_numeric_cell_in_a_multiplied_column_is_exact():
    q = parse_quantity(55.3, expected_unit="万人")
    assert (q.value, q.unit) == (553_000.0, "人")
    assert q.flags == {"unit_from_column"}


@pytest.mark.parametrize("raw", [True, float("inf"), 10**400, "9" * 400 + "兆", [1], object()])
def test_booleans_infinities_overflows_and_other_types_are_refused(raw):
    with pytest.raises(ValueParseError):
        parse_quantity(raw)


def test_column_unit_that_is_not_text_is_refused():
    with pytest.raises(ValueParseError) as caught:
        parse_quantity("5", expected_unit=float("nan"))
    assert caught.value.code == "bad_unit"


# ---------------------------------------------------------------- error messages


@pytest.mark.parametrize(
    "raw", ["12% ▼ 17%", "来場者約8,000人", "1,394人の転出超過", "二", "abc", "1,070人 (H27～R1)"]
)
def test_error_message_is_bilingual_and_names_the_raw_cell(raw):
    with pytest.raises(ValueParseError) as caught:
        parse_quantity(raw)
    error = caught.value
    assert isinstance(error, ValueError)
    assert error.raw == raw
    assert error.code in ERROR_CODES
    assert raw in error.message_ja and raw in error.message_en
    assert JAPANESE.search(error.message_ja.replace(raw, ""))
    assert len(re.findall(r"[A-Za-z]{2,}", error.message_en.replace(raw, ""))) >= 4
    assert str(error) == f"{error.message_ja} / {error.message_en}"


def test_error_for_a_non_text_cell_names_its_repr():
    with pytest.raises(ValueParseError) as caught:
        parse_quantity([1])
    assert "[1]" in caught.value.message_ja
    assert "[1]" in caught.value.message_en


def test_value_parse_error_survives_pickling():
    with pytest.raises(ValueParseError) as caught:
        parse_quantity("650人 ⇒ 550人")
    copy = pickle.loads(pickle.dumps(caught.value))
    assert (copy.raw, copy.code, str(copy)) == (
        caught.value.raw,
        caught.value.code,
        str(caught.value),
    )


# ---------------------------------------------------------------- parse_period


@pytest.mark.parametrize(
    ("text", "period"),
    [
        ("FY2016", "FY2016"),
        ("CY2016", "CY2016"),
        ("fy2016", "FY2016"),
        ("FY 2016", "FY2016"),
        ("2016年度", "FY2016"),
        ("2016年", "CY2016"),
        ("H28年度", "FY2016"),
        ("R5年", "CY2023"),
        ("令和5年度", "FY2023"),
        ("令和元年度", "FY2019"),
        ("平成元年", "CY1989"),
        ("平成 30 年度", "FY2018"),
        ("２０１６年度", "FY2016"),
        ("Ｒ５年度", "FY2023"),
        ("令和12(2030)年", "CY2030"),
        ("令和 32（2050）年", "CY2050"),
        ("(H25年)", "CY2013"),
        ("<u>令和 7 年度</u>", "FY2025"),
    ],
)
def test_parse_period_normalises_fiscal_and_calendar_years(text, period):
    assert parse_period(text) == period


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("2016", "year_type_missing"),
        (2016, "year_type_missing"),
        ("R3", "year_type_missing"),
        ("令和2（2019）年", "period_conflict"),
        ("R0年度", "bad_period"),
        ("FY2016年度", "bad_period"),
        ("H29.5", "bad_period"),
        ("令和 8 年 4 月 1 日", "bad_period"),
        ("H27～R1", "bad_period"),
        ("", "bad_period"),
        (None, "bad_type"),
    ],
)
def test_parse_period_refuses_bare_years_conflicts_dates_and_ranges(text, code):
    with pytest.raises(ValueParseError) as caught:
        parse_period(text)
    assert caught.value.code == code


# ---------------------------------------------------------------- parse_outlook


@pytest.mark.parametrize(
    ("text", "grade"),
    [
        ("A", "A"),
        ("B", "B"),
        ("C", "C"),
        ("A+", "A+"),
        ("A-", "A-"),
        ("Ａ", "A"),
        ("Ａ＋", "A+"),
        ("Ａ－", "A-"),
        ("A−", "A-"),  # U+2212
        ("Aー", "A-"),  # katakana long mark typed as a minus
        (" b ", "B"),
        ("A +", "A+"),
    ],
)
def test_parse_outlook_normalises_grades(text, grade):
    assert parse_outlook(text) == grade


@pytest.mark.parametrize("text", ["", "D", "B+", "C-", "A++", "○", "AB", None, 1])
def test_parse_outlook_refuses_anything_else(text):
    with pytest.raises(ValueParseError) as caught:
        parse_outlook(text)
    assert caught.value.code == "bad_outlook"


# ---------------------------------------------------------------- module budget


def test_module_imports_no_heavy_dependency():
    code = (
        "import sys, orchestration.intake.values; "
        "print([m for m in ('pandas', 'dagster', 'dbt', 'great_expectations', 'numpy') "
        "if m in sys.modules])"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]"


def test_ten_thousand_distinct_cells_parse_within_two_seconds():
    cells = [f"{n * 7:,}人 (R{n % 9 + 1})" for n in range(10_000)]
    start = time.perf_counter()
    for cell in cells:
        parse_quantity(cell)
    assert time.perf_counter() - start < 2.0  # measured ≈ 0.1 s; generous for slow CI
