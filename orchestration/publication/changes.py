"""CHANGES.md: what a release changes against the previous one, in Japanese.

New periods, revised member values (old → new, and whose resubmission caused it), progress
marks that moved, datasets added or removed, and the acknowledged suspicious changes.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from orchestration.intake.contracts import municipalities
from orchestration.publication.inputs import ROLE_LABELS
from orchestration.quality.change_rule import CHANGE_FACTOR

_MEMBER_KEY = ["kpi_id", "municipality_code", "period"]
_SCORE_KEY = ["scope_code", "kpi_id", "period"]


def _name(code: str) -> str:
    return municipalities().get(str(code), {}).get("name_ja", str(code))


def _role(role: str) -> str:
    """A published acknowledgement names a role (inputs.public_acknowledgement), never a
    person; anything else is shown as the secretariat rather than echoed."""
    return ROLE_LABELS.get(role, ROLE_LABELS["secretariat"])[0]


def _scope(code: str) -> str:
    return "圏域" if code == "area" else _name(code)


def _fmt(value) -> str:
    if value is None or pd.isna(value):
        return "—"
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"


def _read_previous(previous: Path | None, name: str) -> pd.DataFrame | None:
    if previous is None or not (previous / "data" / f"{name}.parquet").exists():
        return None
    return pd.read_parquet(previous / "data" / f"{name}.parquet")


def render_changes(release_id: str, frames: dict[str, pd.DataFrame], previous: Path | None,
                   inputs: list[dict], acknowledgements: list[dict]) -> str:
    lines = [f"# 変更内容 {release_id}", ""]
    if previous is None:
        lines += ["初回の公開です。", ""]
    else:
        lines += [f"前回の公開版: `{previous.name}`", ""]
        lines += _datasets_section(frames, previous)
        lines += _new_periods_section(frames, previous)
        lines += _revisions_section(frames, previous, inputs)
        lines += _marks_section(frames, previous)
    lines += _acknowledgements_section(acknowledgements)
    return "\n".join(lines).rstrip() + "\n"


def _datasets_section(frames, previous: Path) -> list[str]:
    before = {p.stem for p in (previous / "data").glob("*.csv")}
    added, removed = sorted(set(frames) - before), sorted(before - set(frames))
    if not added and not removed:
        return []
    out = ["## データセット", ""]
    out += [f"- 追加: `{name}`" for name in added]
    out += [f"- 削除: `{name}`" for name in removed]
    return out + [""]


def _new_periods_section(frames, previous: Path) -> list[str]:
    old = _read_previous(previous, "regional_kpis")
    new = frames.get("regional_kpis")
    if old is None or new is None:
        return []
    known = set(zip(old["kpi_id"], old["period"]))
    fresh = [(k, p, v, n) for k, p, v, n in zip(new["kpi_id"], new["period"], new["value"],
                                                 new["kpi_name_ja"]) if (k, p) not in known]
    if not fresh:
        return []
    return (["## 新しい期間", ""]
            + [f"- {n}（{k}）{p}: {_fmt(v)}" for k, p, v, n in sorted(fresh)] + [""])


def _revisions_section(frames, previous: Path, inputs: list[dict]) -> list[str]:
    old = _read_previous(previous, "municipal_indicators")
    new = frames.get("municipal_indicators")
    if old is None or new is None:
        return []
    merged = new.merge(old, on=_MEMBER_KEY, how="inner", suffixes=("", "_old"))
    changed = merged[(merged["value"] - merged["value_old"]).abs() > 1e-9]
    if changed.empty:
        return []
    files = {i["submission_id"]: i for i in inputs}
    out = ["## 修正された値", ""]
    for row in changed.sort_values(_MEMBER_KEY).itertuples():
        source = files.get(row.submission_id, {})
        cause = (f"{_name(row.municipality_code)}の再提出 {source.get('file_name', '')}"
                 f"（{row.submission_id}、{source.get('received_at', '')}）")
        out.append(f"- {row.kpi_id} {_name(row.municipality_code)} {row.period}: "
                   f"{_fmt(row.value_old)} → {_fmt(row.value)}（{cause}）")
    return out + [""]


def _marks_section(frames, previous: Path) -> list[str]:
    old = _read_previous(previous, "kpi_scorecard")
    new = frames.get("kpi_scorecard")
    if old is None or new is None:
        return []
    merged = new.merge(old, on=_SCORE_KEY, how="inner", suffixes=("", "_old"))
    moved = merged[merged["progress_mark"] != merged["progress_mark_old"]]
    if moved.empty:
        return []
    out = ["## 進捗度が変わった KPI", ""]
    for row in moved.sort_values(_SCORE_KEY).itertuples():
        out.append(f"- {_scope(row.scope_code)} {row.kpi_name_ja}（{row.kpi_id}）{row.period}: "
                   f"{row.progress_mark_old} → {row.progress_mark}")
    return out + [""]


def _acknowledgements_section(acknowledgements: list[dict]) -> list[str]:
    if not acknowledgements:
        return []
    factor = f"{CHANGE_FACTOR:g}"
    out = [f"## 確認済みの大きな変化（前年比・公開済みの値からの修正が {factor} 倍超・"
           f"{factor} 分の 1 未満）", ""]
    for ack in acknowledgements:
        out.append(f"- {ack['kpi_id']} {_name(ack['municipality_code'])} {ack['period']}: "
                   f"{ack['reason']}（確認: {_role(ack['acknowledged_by'])}、"
                   f"{ack['acknowledged_at']}）")
    return out + [""]
