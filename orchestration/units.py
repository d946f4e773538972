"""The one unit table: display unit -> base unit and factor (DESIGN.md "Area definition").

Intake, dbt and the pages all read it from here: the factors are not typed in but derived
from the intake's multiplier grammar (``parse_unit("千人") == (1000, "人")``), so a display
unit cannot scale differently on a page than in the model or in a member's cell. dbt reads
the same rows as ``reference.units`` (written with the area's tables, see area_tables.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from orchestration.intake.values import parse_unit

# Base units of published values: id -> (Japanese counter, English label).
BASE_UNITS: dict[str, tuple[str, str]] = {
    "persons": ("人", "persons"),
    "yen": ("円", "yen"),
    "projects": ("件", "projects"),
    "cases": ("件", "cases"),
    "percent": ("%", "%"),
}
_BASE_BY_COUNTER = {"人": "persons", "円": "yen", "件": "projects", "%": "percent"}

# Display units a KPI may declare, with their English label; English prints 億円 in
# billions (en_factor) rather than "hundred millions".
_DISPLAY: tuple[tuple[str, str, float | None], ...] = (
    ("億円", "bn yen", 1e9),
    ("百万円", "M yen", None),
    ("千円", "k yen", None),
    ("円", "yen", None),
    ("万人", "ten thousand persons", None),
    ("千人", "k persons", None),
    ("人", "persons", None),
    ("件", "projects", None),
    ("%", "%", None),
)


@dataclass(frozen=True)
class DisplayUnit:
    unit: str          # as printed in Japanese: 千人
    base_unit: str     # id of the base unit: persons
    factor: float      # base units per display unit: 1000
    label_en: str
    en_factor: float | None = None


@cache
def unit_table() -> tuple[DisplayUnit, ...]:
    rows = []
    for unit, label_en, en_factor in _DISPLAY:
        factor, counter = parse_unit(unit)
        rows.append(DisplayUnit(unit, _BASE_BY_COUNTER[counter], float(factor), label_en, en_factor))
    return tuple(rows)


def display_unit(unit: str) -> DisplayUnit:
    """The row of a display unit; KeyError names the unit when it is not in the table."""
    for row in unit_table():
        if row.unit == unit:
            return row
    raise KeyError(unit)


def base_unit_of(unit: str) -> str:
    """persons / yen / projects for a display unit or a base unit id."""
    return unit if unit in BASE_UNITS else display_unit(unit).base_unit
