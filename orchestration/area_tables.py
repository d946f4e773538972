"""The area's reference tables, derived from its definition (area.yaml and its CSVs).

One layout per table serves both readers: Python (contract code lists, pages, messages)
reads :func:`reference_rows`, and dbt reads the same rows as sources ``reference.<table>``,
written into the warehouse by ``orchestration/assets/reference.py`` before dbt runs. An area
without an optional table (projects, shared services) gets an empty table of the same shape.
"""

from __future__ import annotations

from functools import cache

from orchestration.area import Area, active_area

# table -> (column, DuckDB type); every table has these columns whatever the area provides.
SCHEMAS: dict[str, tuple[tuple[str, str], ...]] = {
    "area": (("area_id", "VARCHAR"), ("name_ja", "VARCHAR"), ("name_en", "VARCHAR"),
             ("publisher_ja", "VARCHAR"), ("publisher_en", "VARCHAR"), ("license", "VARCHAR"),
             ("vision_first_year", "INTEGER"), ("vision_last_year", "INTEGER"),
             ("member_count", "INTEGER")),
    "municipalities": (("lg_code5", "VARCHAR"), ("lg_code", "VARCHAR"), ("name_ja", "VARCHAR"),
                       ("name_en", "VARCHAR"), ("kind", "VARCHAR"), ("role", "VARCHAR"),
                       ("population_approx", "INTEGER"), ("sort_order", "INTEGER")),
    "regional_kpi_definitions": (
        ("kpi_id", "VARCHAR"), ("sort_order", "INTEGER"), ("field_ja", "VARCHAR"),
        ("field_en", "VARCHAR"), ("name_ja", "VARCHAR"), ("name_en", "VARCHAR"),
        ("unit", "VARCHAR"), ("display_unit", "VARCHAR"), ("period_type", "VARCHAR"),
        ("direction", "VARCHAR"), ("baseline_value", "DOUBLE"), ("baseline_period", "VARCHAR"),
        ("target_value", "DOUBLE"), ("target_period", "VARCHAR"),
        ("target_final_period", "VARCHAR"), ("cumulative_from", "VARCHAR"),
        ("running_total", "BOOLEAN"), ("method", "VARCHAR"), ("dataset", "VARCHAR"),
        ("measure", "VARCHAR"), ("members", "VARCHAR"), ("required_members", "INTEGER"),
        ("synthetic", "BOOLEAN"), ("notes", "VARCHAR")),
    "collaboration_projects": (
        ("no", "INTEGER"), ("field_ja", "VARCHAR"), ("subfield_ja", "VARCHAR"),
        ("policy_direction_ja", "VARCHAR"), ("name_ja", "VARCHAR"), ("name_en", "VARCHAR"),
        ("participating_lg_code5", "VARCHAR"), ("n_participants", "INTEGER"),
        ("hub_role_ja", "VARCHAR"), ("partner_role_ja", "VARCHAR"), ("notes", "VARCHAR")),
    "shared_services": (("service_code", "VARCHAR"), ("name_ja", "VARCHAR"),
                        ("name_en", "VARCHAR"), ("project_no", "INTEGER"),
                        ("cost_per_use_yen", "DOUBLE"), ("cost_basis_ja", "VARCHAR")),
    "counterpart_areas": (("area_code", "VARCHAR"), ("name_ja", "VARCHAR"), ("name_en", "VARCHAR"),
                          ("area_group", "VARCHAR"), ("note", "VARCHAR")),
    "units": (("unit", "VARCHAR"), ("base_unit", "VARCHAR"), ("factor", "DOUBLE"),
              ("label_en", "VARCHAR"), ("en_factor", "DOUBLE")),
}
# The area folder's CSV that feeds a table (the rest is built from area.yaml).
_CSV_OF = {"collaboration_projects": "projects", "shared_services": "shared_services",
           "counterpart_areas": "counterpart_areas"}


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _kpi_row(order: int, kpi) -> dict:
    return {
        "kpi_id": kpi.id, "sort_order": order, "field_ja": kpi.field_ja, "field_en": kpi.field_en,
        "name_ja": kpi.name_ja, "name_en": kpi.name_en, "unit": kpi.unit,
        "display_unit": kpi.display_unit, "period_type": kpi.period_type,
        "direction": kpi.direction, "baseline_value": kpi.baseline_value,
        "baseline_period": kpi.baseline_period, "target_value": kpi.target_value,
        "target_period": kpi.target_period_text, "target_final_period": kpi.target_period,
        "cumulative_from": kpi.cumulative_from, "running_total": kpi.running_total,
        "method": kpi.method, "dataset": kpi.dataset, "measure": kpi.measure,
        "members": ";".join(kpi.members), "required_members": kpi.required_members,
        "synthetic": kpi.synthetic, "notes": kpi.notes,
    }


def typed_rows(name: str, area: Area) -> list[dict]:
    """The rows of a reference table with Python values (None for empty)."""
    if name == "area":
        return [{"area_id": area.id, "name_ja": area.name_ja, "name_en": area.name_en,
                 "publisher_ja": area.publisher_ja, "publisher_en": area.publisher_en,
                 "license": area.license, "vision_first_year": area.first_year,
                 "vision_last_year": area.last_year, "member_count": len(area.members)}]
    if name == "municipalities":
        return [{"lg_code5": m.code, "lg_code": m.lg_code, "name_ja": m.name_ja,
                 "name_en": m.name_en, "kind": m.kind, "role": m.role,
                 "population_approx": m.population_approx, "sort_order": i}
                for i, m in enumerate(area.members, 1)]
    if name == "regional_kpi_definitions":
        return [_kpi_row(i, k) for i, k in enumerate(area.kpis, 1)]
    if name == "units":
        from orchestration.units import unit_table

        return [{"unit": u.unit, "base_unit": u.base_unit, "factor": u.factor,
                 "label_en": u.label_en, "en_factor": u.en_factor} for u in unit_table()]
    columns = [c for c, _ in SCHEMAS[name]]
    rows = []
    if name == "counterpart_areas":
        rows += [{"area_code": m.code, "name_ja": m.name_ja, "name_en": m.name_en,
                  "area_group": "member", "note": ""} for m in area.members]
    for raw in area.table(_CSV_OF[name]):
        rows.append({c: (raw.get(c) if raw.get(c) not in ("",) else None) for c in columns})
    return rows


@cache
def _rows_cached(name: str, area: Area) -> tuple[dict[str, str], ...]:
    return tuple({k: _text(v) for k, v in row.items()} for row in typed_rows(name, area))


def reference_rows(name: str, area: Area | None = None) -> list[dict[str, str]]:
    """A reference table as text rows (as a CSV reader gives them), for the active area."""
    return list(_rows_cached(name, area or active_area()))
