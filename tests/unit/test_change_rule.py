"""The one rule for suspicious changes and the unit slip it names."""

from __future__ import annotations

import pytest

from orchestration.intake.messages import Msg
from orchestration.quality import change_rule


@pytest.mark.parametrize(("new", "before", "exponent"), [
    (801, 801_000, -3),          # 801 typed for 801 千人
    (801, 812_000, -3),          # ... together with a small genuine revision
    (3_209.75e6, 320_975e6, -2),  # 億円 typed in a 百万円 column
    (5e9, 5e6, 3),               # yen typed in a 千円 column
    (12, 120_000, -4),           # 万人 left out
])
def test_a_factor_near_a_power_of_ten_is_a_unit_slip(new, before, exponent):
    change = change_rule.suspicious(new, before)
    assert change is not None and change.slip_exponent == exponent


@pytest.mark.parametrize(("new", "before"), [
    (1_000, 1_500),   # within ×3 / ÷3: not suspicious at all
    (2_900, 1_000),
    (4, 1),           # both small: a town's 1 → 4 projects swing freely
    (None, 1_000),
    (1_000, 0),
])
def test_ordinary_changes_and_small_counts_are_not_suspicious(new, before):
    assert change_rule.suspicious(new, before) is None


def test_a_large_change_that_is_no_power_of_ten_is_suspicious_without_a_named_unit():
    change = change_rule.suspicious(100, 450)
    assert change is not None and change.slip_exponent is None
    assert change_rule.likely_unit(change, "人") is None
    message = change_rule.revision_message(change, "人", Msg("2022年度", "FY2022"))
    assert message.ja == "2022年度: 前回 450 人 → 今回 100 人（1/4.5）。単位や桁の誤りがないか確認してください。"


def test_a_tiny_value_against_a_large_one_is_caught():
    change = change_rule.suspicious(0.25, 609_000)
    assert change is not None and change.ratio_text.startswith("1/")


@pytest.mark.parametrize(("new", "before", "unit", "likely"), [
    (801, 801_000, "人", "千人"),
    (3_209.75e6, 320_975e6, "百万円", "億円"),
    (5e9, 5e6, "千円", "円"),
    (12, 120_000, "人", "万人"),
])
def test_the_likely_unit_comes_from_the_one_multiplier_table(new, before, unit, likely):
    assert change_rule.likely_unit(change_rule.suspicious(new, before), unit) == likely


def test_revision_message_reads_as_the_member_typed_it():
    change = change_rule.suspicious(801, 801_000)
    message = change_rule.revision_message(change, "人", Msg("2023年", "CY2023"))
    assert message.ja == ("2023年: 前回 801,000 人 → 今回 801 人（1/1000）。"
                          "単位「千人」の書き忘れではありませんか。")
    assert message.en == ("CY2023: previously 801,000 人, now 801 人 (1/1000). "
                          "Did you leave out the unit 千人?")


def test_values_are_shown_in_the_columns_unit():
    change = change_rule.suspicious(3_209.75e6, 320_975e6)
    message = change_rule.revision_message(change, "百万円", Msg("2022年度", "FY2022"))
    assert "前回 320,975 百万円 → 今回 3,209.75 百万円（1/100）" in message.ja
    assert "単位「億円」の書き忘れ" in message.ja
