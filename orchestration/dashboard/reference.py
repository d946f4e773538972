"""What the pages know besides the release: the active area (orchestration/area.py).

Names, members, KPI definitions, vision years, the publisher, counterpart groups, projects and
the approximate population all come from the home's area definition; the figures on the pages
come from ``releases/latest`` only. These tables only name and order things (and the
population reference is printed as approximate wherever it is used).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from orchestration.area import Area, Kpi, Member, active_area
from orchestration.area_tables import reference_rows
from orchestration.intake.values import parse_unit

# Datasets a page is built on, beside the KPIs every area has.
PROJECTS_DATASET = "project_budgets"
MEMBER_KPIS_DATASET = "kpi_records"  # members' own strategy KPIs (the scorecards page)
# A counterpart group an area does not name is shown under this one.
OTHER_GROUP = "other"
_OTHER_LABEL = ("その他", "Other")
# English counts as words up to twelve ("the area's six KPIs"), digits beyond.
_EN_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
             "ten", "eleven", "twelve")


# The area of the home whose site is being rendered (site.py sets it for the pages it renders).
_RENDERING: ContextVar[Area | None] = ContextVar("dashboard_area", default=None)


def area() -> Area:
    """The area of the site being rendered, else of the home in use (KURUME_HUB_HOME)."""
    return _RENDERING.get() or active_area()


@contextmanager
def rendering(for_area: Area) -> Iterator[Area]:
    """Render pages for this area, whatever home the process was started for."""
    token = _RENDERING.set(for_area)
    try:
        yield for_area
    finally:
        _RENDERING.reset(token)


def members() -> tuple[Member, ...]:
    """The members in the order of the area's definition (its documents' order)."""
    return area().members


# The members of the area being rendered by code: a national area has 1,741, and a page
# names them thousands of times (one dict per area, not a scan of the list per name).
_BY_CODE: dict[int, tuple[Area, dict[str, Member]]] = {}


def member_by_code() -> dict[str, Member]:
    current = area()
    hit = _BY_CODE.get(id(current))
    if hit is None or hit[0] is not current:
        _BY_CODE.clear()
        hit = _BY_CODE[id(current)] = (current, {m.code: m for m in current.members})
    return hit[1]


def member_name(code, lang) -> str:
    member = member_by_code().get(str(code))
    return member.name(lang) if member else str(code)


# Up to this many members every page names them all (the footer's 出典, the overview's lead);
# a larger area is named by its count.
NAMED_MEMBERS = 12


def member_names(lang) -> str:
    """``A・B・C`` in Japanese, ``A, B and C`` in English; ``構成 1,741 団体`` beyond
    NAMED_MEMBERS."""
    if len(members()) > NAMED_MEMBERS:
        n = len(members())
        return lang.t(f"構成 {n:,} 団体", f"its {n:,} members")
    names = [m.name(lang) for m in members()]
    if lang.code == "ja" or len(names) < 2:
        return "・".join(names)
    return f"{', '.join(names[:-1])} and {names[-1]}"


def count_words(n: int, lang) -> str:
    return str(n) if lang.code == "ja" or n >= len(_EN_WORDS) else _EN_WORDS[n]


def vision_years() -> range:
    a = area()
    return range(a.first_year, a.last_year + 1)


def vision_name(lang) -> str:
    """The vision as the pages name it in running text: area.yaml ``vision.short_name_ja/en``
    (the area's name is already in the page's title), else its full name."""
    a = area()
    vision = a.raw.get("vision") or {}
    return lang.t(str(vision.get("short_name_ja") or a.vision_name_ja),
                  str(vision.get("short_name_en") or a.vision_name_en))


def vision_label(lang) -> str:
    """``<vision>（first〜last year）``: the band on the charts."""
    a = area()
    return lang.t(f"{vision_name(lang)}（{a.first_year}〜{a.last_year}）",
                  f"{vision_name(lang)} ({a.first_year}–{a.last_year})")


def population(code: str) -> int | None:
    member = member_by_code().get(str(code))
    return member.population_approx if member else None


POPULATION_NOTE_JA = ("人口は住民基本台帳人口の概数（参考値）で、公開データではありません。"
                      "市町の規模の違いを踏まえた参考比較であり、順位付けではありません。")
POPULATION_NOTE_EN = ("Population is an approximate resident-register figure (reference only), not "
                      "published data. This is context between members of very different size, "
                      "not a ranking.")


def outside_groups() -> dict[str, tuple[str, str]]:
    """Counterpart groups outside the area, in the order of area.yaml (a reader scans them
    near to far); a group the area does not name falls under ``other``."""
    groups = {g: (ja, en) for g, ja, en in area().counterpart_groups if g != "member"}
    groups.setdefault(OTHER_GROUP, _OTHER_LABEL)
    return groups


def kpi_definitions() -> tuple[Kpi, ...]:
    """The area's KPIs in the vision's order (baseline and target in base units)."""
    return area().kpis


def field_name(field_ja: str, lang) -> str:
    """A policy field in the page's language: the field_en a KPI of the area gives it."""
    if lang.code == "ja":
        return field_ja
    return next((k.field_en for k in area().kpis if k.field_ja == field_ja and k.field_en),
                field_ja)


@dataclass(frozen=True)
class PerCapita:
    """Per-capita context of a KPI: value / population × per / divisor, in unit_ja/unit_en."""

    per: int
    unit_ja: str
    unit_en: str
    divisor: float


def per_capita(kpi: Kpi) -> PerCapita | tuple[str, str]:
    """How a KPI compares per resident, or why it does not (ja, en).

    area.yaml may say it (``per_capita: {per, unit_ja, unit_en}`` or ``{note_ja, note_en}``);
    otherwise a survey at points or a count of rows is not compared and sums of members' figures
    are, per resident for yen and per 1,000 residents for the rest. The divisor comes from the
    unit before the slash (万円/人 -> 10,000 yen), by the intake's unit grammar.
    """
    spec = dict(kpi.per_capita)
    if "per" not in spec:
        if "note_ja" in spec:
            return spec["note_ja"], spec.get("note_en", spec["note_ja"])
        spec = _default_per_capita(kpi)
        if "per" not in spec:
            return spec["note_ja"], spec["note_en"]
    numerator = spec["unit_ja"].split("/", 1)[0]
    try:
        divisor = float(parse_unit(numerator)[0])
    except ValueError:
        divisor = 1.0
    return PerCapita(int(float(spec["per"])), spec["unit_ja"], spec["unit_en"], divisor)


def _default_per_capita(kpi: Kpi) -> dict[str, str]:
    if kpi.method == "survey_points_mean":
        return {"note_ja": "調査地点の計測値のため、市町別・人口当たりの比較はしません。",
                "note_en": "A survey at fixed points: no per-member or per-capita comparison."}
    if kpi.method == "count_of_rows":
        return {"note_ja": "件数は人口に比例する量ではないため、人口当たりの比較はしません。",
                "note_en": "A count does not scale with population: no per-capita comparison."}
    if kpi.unit == "yen":
        return {"per": "1", "unit_ja": "万円/人", "unit_en": "10k yen per resident"}
    from orchestration.units import BASE_UNITS

    counter, label = BASE_UNITS.get(kpi.unit, (kpi.display_unit, kpi.display_unit))
    # A quantity at least as large as the population reads per resident (visitors), a smaller
    # one per 1,000 residents (service users, net moves).
    residents = sum(m.population_approx or 0 for m in area().members)
    size = max(abs(kpi.baseline_value or 0), abs(kpi.target_value or 0))
    if residents and size >= residents:
        return {"per": "1", "unit_ja": f"{counter}/住民1人", "unit_en": f"{label} per resident"}
    return {"per": "1000", "unit_ja": f"{counter}/住民千人",
            "unit_en": f"{label} per 1,000 residents"}


def published(dataset: str) -> bool:
    """Whether the area publishes a dataset (and so has its page and links): the publication
    catalogue decides (no projects table, no project budgets)."""
    from orchestration.publication.catalog import published_datasets

    return dataset in {d.name for d in published_datasets(area())}


def has_flows() -> bool:
    """The flows page needs a KPI of net moves between members and outside areas."""
    return migration_kpi() is not None


def migration_kpi() -> Kpi | None:
    return next((k for k in area().kpis if k.method == "net_moves"), None)


@dataclass(frozen=True)
class Project:
    no: int
    field_ja: str
    subfield_ja: str
    policy_direction_ja: str
    name_ja: str
    name_en: str
    participants: tuple[str, ...]

    def name(self, lang) -> str:
        return lang.t(self.name_ja, self.name_en)


def projects() -> tuple[Project, ...]:
    """The area's collaboration projects and the members taking part in each (none when the
    area has no projects table)."""
    found = []
    for r in reference_rows("collaboration_projects", area()):
        codes = tuple(c.strip() for c in (r.get("participating_lg_code5") or "").split(";")
                      if c.strip())
        found.append(Project(int(r["no"]), r["field_ja"], r.get("subfield_ja") or "",
                             r.get("policy_direction_ja") or "", r["name_ja"],
                             r.get("name_en") or r["name_ja"], codes))
    return tuple(sorted(found, key=lambda p: p.no))
