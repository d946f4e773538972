"""The GX suites in ``expectations/``, resolved for an area.

A suite never types in what belongs to an area (member codes, KPI ids, service codes, project
numbers, how many members there are): it names it by a placeholder, ``{"$area": "member_codes"}``,
and :func:`resolve` replaces the placeholder with the active area's value when the gate loads
the suite. An unknown name is an error rather than an empty set: a typo would otherwise make an
expectation check nothing.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from orchestration.area import Area
from orchestration.home import EXPECTATIONS_DIR

PLACEHOLDER = "$area"


class SuiteError(ValueError):
    """A suite that cannot be resolved for an area; the message names the suite and the key."""

    def __init__(self, ja: str, en: str):
        super().__init__(f"{ja} / {en}")
        self.ja, self.en = ja, en


def _reference(name: str, area: Area) -> list[dict[str, str]]:
    from orchestration.area_tables import reference_rows

    return reference_rows(name, area)


def _nonnegative_condition(area: Area) -> str:
    """Rows of the KPIs whose values cannot be negative (a pandas row condition)."""
    signed = [k.id for k in area.kpis if k.signed]
    return f"kpi_id not in {json.dumps(signed, ensure_ascii=False)}"


def _outside_groups(area: Area) -> list[str]:
    """The groups of the area's counterparts outside the area (the members are 'member')."""
    groups = {r["area_group"] for r in _reference("counterpart_areas", area)}
    return sorted(groups - {"member"})


# name -> the value for an area. One entry per fact a suite may ask for.
VALUES: dict[str, Callable[[Area], object]] = {
    "member_codes": lambda a: list(a.member_codes),
    "scope_codes": lambda a: ["area", *a.member_codes],   # the area row, then each member
    "member_count": lambda a: len(a.members),
    "kpi_ids": lambda a: [k.id for k in a.kpis],
    "kpi_count": lambda a: len(a.kpis),
    "kpi_units": lambda a: sorted({k.unit for k in a.kpis}),
    "nonnegative_kpis_condition": _nonnegative_condition,
    "outside_groups": _outside_groups,
    "service_codes": lambda a: [r["service_code"] for r in _reference("shared_services", a)],
    "project_numbers": lambda a: [int(r["no"]) for r in _reference("collaboration_projects", a)],
}


def resolve(spec, area: Area, suite: str = "suite"):
    """``spec`` with every ``{"$area": name}`` replaced by the area's value (a new object)."""
    if isinstance(spec, dict):
        if PLACEHOLDER in spec:
            return _value(spec, area, suite)
        return {key: resolve(value, area, suite) for key, value in spec.items()}
    if isinstance(spec, list):
        return [resolve(item, area, suite) for item in spec]
    return spec


def _value(placeholder: dict, area: Area, suite: str):
    name = placeholder[PLACEHOLDER]
    known = ", ".join(VALUES)
    if len(placeholder) != 1 or not isinstance(name, str):
        raise SuiteError(
            f"{suite}: 地域の値の指定 {placeholder} は {{\"$area\": 名前}} の形だけで書いてください",
            f"{suite}: placeholder {placeholder} must be exactly {{\"$area\": name}}")
    if name not in VALUES:
        raise SuiteError(f"{suite}: 地域の値「{name}」はありません（使える名前: {known}）",
                         f"{suite}: unknown area value {name!r} (known: {known})")
    return VALUES[name](area)


def load_suite(name: str, area: Area) -> dict:
    """The suite ``expectations/<name>.json`` with the area's values filled in."""
    spec = json.loads((EXPECTATIONS_DIR / f"{name}.json").read_text(encoding="utf-8"))
    return resolve(spec, area, f"expectations/{name}.json")


def has_suite(name: str) -> bool:
    return (EXPECTATIONS_DIR / f"{name}.json").exists()
