"""The one rule for suspicious changes, used at intake (a warning the member sees at once)
and at the gate (a blocking failure unless the secretariat acknowledges it).

Two comparisons use it: a value against the member's neighbouring year, and a resubmitted
value against the value accepted (or published) before for the same key. A change beyond
×3 or ÷3 is suspicious; when the factor is close to a power of ten it is most likely a unit
slip (801 typed for 801 千人), and the message names the unit the member probably meant.

Stdlib only: ``kurume-hub validate`` imports it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

# A component moving by more than this factor is suspicious (×3 or ÷3).
CHANGE_FACTOR = 3.0
# Pairs where both values are this small (a town's 1 → 4 university projects) swing freely;
# a unit slip always makes one side large, so the larger of the two must reach this.
CHANGE_MIN_VALUE = 100
# A factor within this tolerance of 10^k (k ≠ 0) reads as a unit slip: a slip usually comes
# with a small genuine revision (801 千人 typed for a value revised from 812,000 人).
UNIT_SLIP_TOLERANCE = 0.15


@dataclass(frozen=True)
class Change:
    """How ``new`` compares with ``before``; ``slip_exponent`` is k when new ≈ before × 10^k."""

    new: float
    before: float
    ratio: float
    slip_exponent: int | None

    @property
    def ratio_text(self) -> str:
        """1/1000, 1,000 倍 or 0.25 倍: how a member reads the factor."""
        if self.ratio < 1 / CHANGE_FACTOR:
            return f"1/{self._inverse()}"
        return f"{self._factor()} 倍"

    @property
    def ratio_text_en(self) -> str:
        if self.ratio < 1 / CHANGE_FACTOR:
            return f"1/{self._inverse()}"
        return f"x{self._factor()}"

    def _inverse(self) -> str:
        if self.slip_exponent is not None:
            return str(10 ** -self.slip_exponent)
        if self.ratio <= 0:
            return "∞"
        inverse = 1 / self.ratio
        return f"{inverse:,.1f}" if inverse < 10 else f"{inverse:,.0f}"

    def _factor(self) -> str:
        if self.slip_exponent is not None:
            return f"{10 ** self.slip_exponent:,}"
        return f"{self.ratio:,.2f}"


def comparable(new: float | None, before: float | None) -> bool:
    """Only positive pairs where at least one side is large enough for a slip to matter."""
    if new is None or before is None or _nan(new) or _nan(before):
        return False
    return new >= 0 and before > 0 and max(new, before) >= CHANGE_MIN_VALUE


def suspicious(new: float | None, before: float | None) -> Change | None:
    """The change when it is beyond ×3 or ÷3 (None when it is not, or cannot be compared)."""
    if not comparable(new, before):
        return None
    ratio = new / before
    if 1 / CHANGE_FACTOR <= ratio <= CHANGE_FACTOR:
        return None
    return Change(new, before, ratio, slip_exponent(ratio))


def slip_exponent(ratio: float) -> int | None:
    """k when ratio is within the tolerance of 10^k for some k ≠ 0, else None."""
    if ratio <= 0:
        return None
    exponent = round(math.log10(ratio))
    if exponent == 0:
        return None
    closeness = ratio / 10**exponent
    if 1 / (1 + UNIT_SLIP_TOLERANCE) <= closeness <= 1 + UNIT_SLIP_TOLERANCE:
        return exponent
    return None


def likely_unit(change: Change, column_unit: str) -> str | None:
    """The unit the member most likely typed in: 801 for 801 千人 in a 人 column -> 千人."""
    from orchestration.intake.values import MULTIPLIERS, parse_unit

    if change.slip_exponent is None:
        return None
    multiplier, base = parse_unit(column_unit)
    typed = multiplier * 10.0 ** (-change.slip_exponent)
    if math.isclose(typed, 1):
        return base
    for prefix, factor in MULTIPLIERS.items():
        if math.isclose(typed, factor):
            return f"{prefix}{base or ''}"
    return None


def _nan(value: float) -> bool:
    return isinstance(value, float) and math.isnan(value)


def _shown(value: float, column_unit: str) -> str:
    """A value as the member typed it: in the column's unit, with thousands separators."""
    from orchestration.intake.values import parse_unit

    multiplier, _ = parse_unit(column_unit)
    shown = value / multiplier
    if float(shown).is_integer():
        return f"{shown:,.0f}"
    return f"{shown:,.3f}".rstrip("0").rstrip(".")


def _cause(change: Change, column_unit: str):
    from orchestration.intake.messages import Msg

    typed = likely_unit(change, column_unit)
    if typed is None and change.slip_exponent is not None and change.slip_exponent > 0:
        # Larger by a power of ten than a value in the base unit: the earlier value is the
        # likelier slip (this file may be its correction).
        return Msg("単位や桁を確認してください（前回の値の単位が誤っていて、今回がその訂正であれば"
                   "このままで構いません）。",
                   "Check the unit and the digits (if the earlier value had the wrong unit and "
                   "this corrects it, nothing needs to change).")
    if typed is None:
        return Msg("単位や桁の誤りがないか確認してください。",
                   "Check the unit and the number of digits.")
    if change.slip_exponent < 0:
        return Msg(f"単位「{typed}」の書き忘れではありませんか。",
                   f"Did you leave out the unit {typed}?")
    return Msg(f"この列の単位は「{column_unit}」です。「{typed}」の値を入力していませんか。",
               f"This column is in {column_unit}; did you type the value in {typed}?")


def _parts(change: Change, column_unit: str):
    """The likely cause, and the two values as the member typed them (column's unit)."""
    return (_cause(change, column_unit), _shown(change.before, column_unit),
            _shown(change.new, column_unit))


def revision_message(change: Change, column_unit: str, period):
    """A resubmitted value against the value accepted before for the same key.
    ``period`` is a Msg (2023年 / CY2023)."""
    from orchestration.intake.messages import Msg

    cause, old, new = _parts(change, column_unit)
    return Msg(
        f"{period.ja}: 前回 {old} {column_unit} → 今回 {new} {column_unit}"
        f"（{change.ratio_text}）。{cause.ja}",
        f"{period.en}: previously {old} {column_unit}, now {new} {column_unit} "
        f"({change.ratio_text_en}). {cause.en}")


def year_change_message(change: Change, column_unit: str, period, previous_period):
    """A value against the member's own previous year (periods as Msg)."""
    from orchestration.intake.messages import Msg

    cause, old, new = _parts(change, column_unit)
    return Msg(
        f"{period.ja}: {new} {column_unit} は前年（{previous_period.ja}: {old} {column_unit}）"
        f"の {change.ratio_text} です。{cause.ja}",
        f"{period.en}: {new} {column_unit} is {change.ratio_text_en} the previous year "
        f"({previous_period.en}: {old} {column_unit}). {cause.en}")
