"""How a page shows "each member" for an area of any size (issue 16).

An area of up to MAX_SERIES members (the areas in sources/areas have 6 to 9) shows every member as its own series,
column or node, in the area's order, as it always has. A larger one (a prefecture, the whole
country: 1,741) shows its TOP_MEMBERS largest members by the figure at hand and one
"others" series that adds up the rest, so that no chart or table has a series per member; the
member index (pages/members.py) reaches every member's own figures.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import pandas as pd

from orchestration.dashboard import figures as F
from orchestration.dashboard.fmt import Lang, esc
from orchestration.dashboard.reference import member_name, members

MAX_SERIES = 12
TOP_MEMBERS = 10
OTHERS = "others"


def many_members() -> bool:
    """Whether the area is too large to give each member its own series."""
    return len(members()) > MAX_SERIES


@dataclass(frozen=True)
class Series:
    """One series of a chart or column of a table: a member, or the members beyond the top."""

    key: str  # the member code, or OTHERS
    codes: tuple[str, ...]
    rank: int

    @property
    def is_others(self) -> bool:
        return self.key == OTHERS

    def label(self, lang: Lang) -> str:
        if self.is_others:
            n = len(self.codes)
            return lang.t(f"その他 {n:,} 団体", f"{n:,} other members")
        return member_name(self.key, lang)

    @property
    def color(self) -> str:
        if self.is_others:
            return F.OTHER_COLOR
        if many_members():  # by rank: the ten shown get ten distinct colours
            return F.MEMBER_COLORS[self.rank % len(F.MEMBER_COLORS)]
        return F.member_color(self.key)


def member_series(size: Mapping[str, float] | pd.Series,
                  present: Iterable[str] | None = None) -> list[Series]:
    """The series a page draws for the members that have data (``present``, default the keys
    of ``size``): each member in the area's order for a small area; else the TOP_MEMBERS with
    the largest absolute ``size`` (largest first) and one series of the others."""
    size = pd.Series(size, dtype="float64") if not isinstance(size, pd.Series) else size
    have = set(size.index if present is None else present)
    ordered = [m.code for m in members() if m.code in have]
    if len(ordered) <= MAX_SERIES:
        return [Series(c, (c,), i) for i, c in enumerate(ordered)]
    magnitude = size.reindex(ordered).abs().fillna(0.0)
    # ties keep the area's order (a stable sort), so the same data gives the same pages
    top = list(magnitude.sort_values(ascending=False, kind="stable").index[:TOP_MEMBERS])
    chosen = set(top)
    rest = tuple(c for c in ordered if c not in chosen)
    return [*(Series(c, (c,), i) for i, c in enumerate(top)),
            Series(OTHERS, rest, len(top))]


def by_series(frame: pd.DataFrame, code_column: str, series: list[Series]) -> pd.Series:
    """The series key of each row of ``frame`` (NaN for a code of no series)."""
    key_of = {c: s.key for s in series for c in s.codes}
    return frame[code_column].map(key_of)


def others_note(series: list[Series], lang: Lang) -> str:
    """The sentence under a chart that groups members: what "others" is, where to look."""
    rest = next((s for s in series if s.is_others), None)
    if rest is None:
        return ""
    shown = len(series) - 1
    return lang.t(
        f"上位 {shown} 団体を個別に、残る {len(rest.codes):,} 団体を「その他」にまとめて示します。"
        "各団体の数値は「構成団体」のページにあります。",
        f"The {shown} largest members are shown one by one, the other {len(rest.codes):,} "
        "together as “others”; every member's figures are on the Members pages.")


def others_html(series: list[Series], lang: Lang) -> str:
    """others_note as a paragraph with the link to the member index ("" when nobody is
    grouped: a small area's page is as it was)."""
    text = others_note(series, lang)
    if not text:
        return ""
    link = lang.t("構成団体の一覧", "All members")
    return f'<p class="note">{esc(text)} <a href="{lang.page("members")}">{esc(link)} →</a></p>'
