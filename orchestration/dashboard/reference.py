"""Reference tables the pages need beside the release: names, the vision's KPI definitions,
the 39 projects' participants, and an approximate population for per-capita context.

The figures on the pages come from ``releases/latest`` only; these tables only name and
order things (and the population reference is printed as approximate wherever it is used).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from orchestration.intake.contracts import municipalities, seed_rows


@dataclass(frozen=True)
class Member:
    code: str
    name_ja: str
    name_en: str

    def name(self, lang) -> str:
        return lang.t(self.name_ja, self.name_en)


@cache
def members() -> tuple[Member, ...]:
    """The six members in the order of the area's documents (hub first, then by code)."""
    return tuple(Member(code, r["name_ja"], r["name_en"]) for code, r in municipalities().items())


def member_by_code() -> dict[str, Member]:
    return {m.code: m for m in members()}


def member_name(code, lang) -> str:
    member = member_by_code().get(str(code))
    return member.name(lang) if member else str(code)


# 住民基本台帳人口の概数 (reference only, rounded; 久留米市 is the 30万人 its plan uses).
# Used only to give per-capita context between members of very different size; not published
# data, and printed as approximate wherever it is used.
APPROX_POPULATION = {
    "40203": 300_000,
    "40212": 32_000,
    "40216": 59_000,
    "40225": 28_000,
    "40503": 15_500,
    "40522": 14_000,
}
POPULATION_NOTE_JA = ("人口は住民基本台帳人口の概数（参考値。久留米市は計画で用いる 30 万人）で、"
                      "公開データではありません。市町の規模の違いを踏まえた参考比較であり、順位付けではありません。")
POPULATION_NOTE_EN = ("Population is an approximate resident-register figure (reference only; Kurume's "
                      "plan uses 300,000), not published data. This is context between members of "
                      "very different size, not a ranking.")

# Outside areas of the population-flow data, in the order a reader scans them (near to far).
OUTSIDE_GROUPS = {
    "fukuoka_city": ("福岡市", "Fukuoka City"),
    "rest_of_prefecture": ("県内その他", "Rest of Fukuoka Pref."),
    "tokyo_area": ("東京圏", "Tokyo area"),
    "other_prefectures": ("その他の道府県", "Other prefectures"),
    "abroad": ("国外", "Abroad"),
    "other": ("その他", "Other"),
}


@dataclass(frozen=True)
class KpiDefinition:
    kpi_id: str
    field_ja: str
    name_ja: str
    name_en: str
    unit_text: str
    baseline_value: float | None
    baseline_period: str
    target_value: float | None
    target_period: str
    aggregation: str

    def name(self, lang) -> str:
        return lang.t(self.name_ja, self.name_en)


FIELD_EN = {
    "圏域全体の経済成長のけん引": "Driving the economic growth of the whole area",
    "高次の都市機能の集積・強化": "Concentrating and strengthening advanced urban functions",
    "生活関連機能サービスの向上": "Improving living-related services",
}


def field_name(field_ja: str, lang) -> str:
    return lang.t(field_ja, FIELD_EN.get(field_ja, field_ja))


def _float(text: str) -> float | None:
    try:
        return float(text) if text not in ("", None) else None
    except ValueError:
        return None


@cache
def kpi_definitions() -> tuple[KpiDefinition, ...]:
    """The vision's six regional KPIs (baseline and target in display units)."""
    return tuple(
        KpiDefinition(r["kpi_id"], r["field_ja"], r["name_ja"], r["name_en"], r["unit"],
                      _float(r["baseline_value"]), r["baseline_period"],
                      _float(r["target_value"]), r["target_period"], r["aggregation"])
        for r in seed_rows("regional_kpi_definitions"))


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


@cache
def projects() -> tuple[Project, ...]:
    """The vision's 39 collaboration projects and the members taking part in each."""
    found = []
    for r in seed_rows("collaboration_projects"):
        codes = tuple(c.strip() for c in (r.get("participating_lg_code5") or "").split(";")
                      if c.strip())
        found.append(Project(int(r["no"]), r["field_ja"], r.get("subfield_ja") or "",
                             r.get("policy_direction_ja") or "", r["name_ja"],
                             r.get("name_en") or r["name_ja"], codes))
    return tuple(sorted(found, key=lambda p: p.no))
