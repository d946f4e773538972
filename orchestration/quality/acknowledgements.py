"""Acknowledged suspicious changes: a value that moves more than ×3 or ÷3 year over year
blocks publication until the secretariat confirms it is true, with a reason.

Stored append-only in ``<home>/acknowledgements.jsonl`` (who, when, why); the release
metadata and CHANGES.md list the ones that were used. Stdlib only (CLI fast path).
"""

from __future__ import annotations

import fcntl
import getpass
import json
import re
from dataclasses import asdict, dataclass
from datetime import UTC, datetime

from orchestration.home import Home


@dataclass(frozen=True)
class Acknowledgement:
    kpi_id: str
    municipality_code: str
    period: str
    reason: str
    acknowledged_by: str
    acknowledged_at: str

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.kpi_id, self.municipality_code, self.period)


def path(home: Home):
    return home.root / "acknowledgements.jsonl"


def load(home: Home) -> list[Acknowledgement]:
    if not path(home).exists():
        return []
    lines = path(home).read_text(encoding="utf-8").splitlines()
    return [Acknowledgement(**json.loads(line)) for line in lines if line.strip()]


def acknowledged_keys(home: Home) -> set[tuple[str, str, str]]:
    return {a.key for a in load(home)}


def add(home: Home, kpi_id: str, municipality_code: str, period: str, reason: str,
        who: str | None = None) -> Acknowledgement:
    ack = Acknowledgement(kpi_id, municipality_code, period, reason.strip(),
                          who or _os_user(), datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"))
    home.root.mkdir(parents=True, exist_ok=True)
    with path(home).open("a", encoding="utf-8") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        fh.write(json.dumps(asdict(ack), ensure_ascii=False) + "\n")
    return ack


def _os_user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no passwd entry in some containers
        return "unknown"


# ------------------------------------------------------------------ checks before recording


class InvalidAcknowledgement(ValueError):
    """What was asked cannot be acknowledged; ``msg`` says why and what to use instead."""

    def __init__(self, msg):
        super().__init__(msg.en)
        self.msg = msg


def check(home: Home, kpi_id: str, municipality_code: str, period: str) -> None:
    """Refuse an acknowledgement that could never match a published value: an unknown KPI or
    member of the home's area, a period of the wrong kind for the KPI (its period_type), or a
    period the data does not have."""
    from orchestration.area import area_for
    from orchestration.intake.messages import Msg

    area = area_for(home)
    kpis = {k.id: k for k in area.kpis}
    if kpi_id not in kpis:
        listing = "、".join(f"{k}（{kpi.name_ja}）" for k, kpi in kpis.items())
        raise InvalidAcknowledgement(Msg(
            f"KPI「{kpi_id}」はありません。{_closest(kpi_id, kpis)}指定できる KPI: {listing}",
            f"Unknown KPI '{kpi_id}'. {_closest(kpi_id, kpis, 'en')}Known: {', '.join(kpis)}"))
    member = area.member(municipality_code)
    if member is None:
        listing = "、".join(f"{m.code} {m.name_ja}" for m in area.members)
        raise InvalidAcknowledgement(Msg(
            f"団体コード {municipality_code} は構成市町ではありません（{listing}）。",
            f"{municipality_code} is not a member code ({', '.join(area.member_codes)})."))
    kind = kpis[kpi_id].period_type
    name_ja = kpis[kpi_id].name_ja
    if not re.fullmatch(r"(CY|FY)\d{4}", period):
        raise InvalidAcknowledgement(Msg(
            f"期間「{period}」は {kind}2024 の形式で指定してください（{name_ja}は"
            f"{_KIND_JA[kind]}の KPI です）。",
            f"Period '{period}' must look like {kind}2024 ({kpi_id} is a {kind} KPI)."))
    if not period.startswith(kind):
        suggestion = kind + period[2:]
        raise InvalidAcknowledgement(Msg(
            f"{name_ja}は{_KIND_JA[kind]}（{kind}）の KPI です。{period} ではなく {suggestion} "
            "ではありませんか。",
            f"{kpi_id} is a {kind} KPI; did you mean {suggestion} rather than {period}?"))
    _check_period_in_data(home, kpi_id, municipality_code, period, name_ja, member.name_ja)


_KIND_JA = {"CY": "暦年", "FY": "年度"}


def _check_period_in_data(home: Home, kpi_id: str, code: str, period: str, name_ja: str,
                          member_ja: str) -> None:
    from orchestration.intake.messages import Msg

    known = built_periods(home)
    if known is None:
        raise InvalidAcknowledgement(Msg(
            "まだ build されたデータがありません。kurume-hub build を実行し、品質検査が示した"
            "期間を確認してください。",
            "Nothing has been built yet; run kurume-hub build and acknowledge a period the "
            "quality gate names."))
    periods = sorted(known.get((kpi_id, code), set()))
    if period not in periods:
        have = f"{periods[0]}〜{periods[-1]}" if periods else "なし"
        raise InvalidAcknowledgement(Msg(
            f"{member_ja}の{name_ja}に {period} のデータはありません（データのある期間: {have}）。",
            f"{code} has no {kpi_id} value for {period} (periods with data: "
            f"{have if periods else 'none'})."))


def built_periods(home: Home) -> dict[tuple[str, str], set[str]] | None:
    """(kpi_id, member) -> periods in the latest release, the newest rejected candidate and
    any pending release: every value a gate has judged. None when nothing was built."""
    import csv

    folders = [home.latest] if home.latest.exists() else []
    for parent in (home.rejected_releases, home.releases / "pending"):
        if parent.is_dir():
            folders += sorted(p for p in parent.iterdir() if p.is_dir())[-1:]
    found: dict[tuple[str, str], set[str]] = {}
    files = [f / "data" / "municipal_indicators.csv" for f in folders]
    files = [f for f in files if f.exists()]
    for file in files:
        with file.open(encoding="utf-8-sig", newline="") as fh:
            for row in csv.DictReader(fh):
                found.setdefault((row["kpi_id"], row["municipality_code"]), set()).add(
                    row["period"])
    return found if files else None


def _closest(word: str, choices, lang: str = "ja") -> str:
    import difflib

    match = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.5)
    if not match:
        return ""
    return f"「{match[0]}」ではありませんか。" if lang == "ja" else f"Did you mean '{match[0]}'? "
