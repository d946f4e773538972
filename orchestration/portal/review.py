"""What the secretariat reviews before a release goes public: the last gate's findings and
the pending release's CHANGES.md.

Read from the release folders the build wrote (``validation/results.json``, ``CHANGES.md``),
so the portal needs neither the warehouse nor Great Expectations. The newest build is the
newest release id (ids start with their UTC time) among the releases waiting for approval,
the candidates the gate turned down, and ``latest``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from orchestration.home import Home
from orchestration.publication.approval import decisions, latest_release_id

# The keys a gate row needs to be acknowledged (kurume-hub acknowledge --kpi --municipality
# --period): the derived audit frames of year-over-year changes and revisions have them.
ACK_KEYS = ("kpi_id", "municipality_code", "period")


@dataclass
class FindingView:
    dataset: str
    expectation: str
    severity: str
    description_ja: str
    description_en: str
    rows: list[dict] = field(default_factory=list)

    @property
    def columns(self) -> list[str]:
        from orchestration.quality.report import columns_of

        return columns_of(self.rows)


@dataclass
class GateView:
    release_id: str
    where: str  # pending | rejected | latest | published
    passed: bool
    blocking: list[FindingView]
    warnings: list[FindingView]


def latest_gate(home: Home) -> GateView | None:
    """The findings of the newest build that reached the gate, or None before any."""
    folders = _gate_folders(home)
    if not folders:
        return None
    where, folder = max(folders, key=lambda pair: pair[1].name)
    try:
        results = json.loads((folder / "validation" / "results.json").read_text("utf-8"))
    except (OSError, ValueError):
        results = {"passed": where != "rejected", "findings": []}
    failing = [_finding(f) for f in results.get("findings", []) if not f.get("success", True)]
    return GateView(folder.name, where, bool(results.get("passed")),
                    [f for f in failing if f.severity == "error"],
                    [f for f in failing if f.severity != "error"])


def _gate_folders(home: Home) -> list[tuple[str, Path]]:
    latest = latest_release_id(home)
    # Every published release, not only latest: after a rollback, a candidate the gate
    # turned down before a later approved release is not the last word.
    found = [("latest" if p.name == latest else "published", p) for p in _dirs(home.releases)
             if p.name[:1].isdigit() and not p.is_symlink()]
    found += [("pending", p) for p in _dirs(home.pending_releases)]
    decided = decisions(home)
    # A release the secretariat rejected passed the gate: it is not what the gate found last.
    found += [("rejected", p) for p in _dirs(home.rejected_releases) if p.name not in decided]
    return found


def _dirs(parent: Path) -> list[Path]:
    return sorted(p for p in parent.iterdir() if p.is_dir()) if parent.is_dir() else []


def _finding(raw: dict) -> FindingView:
    rows = [r for r in raw.get("unexpected") or [] if isinstance(r, dict)]
    return FindingView(raw.get("dataset", ""), raw.get("expectation", ""),
                       raw.get("severity", "error"), raw.get("description_ja", ""),
                       raw.get("description_en", ""), rows)


def ack_key(row: dict) -> tuple[str, str, str] | None:
    """(KPI, member, period) of a row the secretariat may acknowledge, else None."""
    if all(row.get(k) not in (None, "") for k in ACK_KEYS):
        return tuple(str(row[k]) for k in ACK_KEYS)
    return None


# ---------------------------------------------------------------- the pending release


def pending_release(home: Home) -> Path | None:
    """The release waiting for approval (the newest, if a crash left more than one)."""
    waiting = _dirs(home.pending_releases)
    return waiting[-1] if waiting else None


def changes_html(folder: Path) -> str | None:
    """The release's CHANGES.md as HTML: Markdown without raw HTML (the text names members
    and reasons people typed; markdown-it escapes any markup in it)."""
    try:
        text = (folder / "CHANGES.md").read_text(encoding="utf-8")
    except OSError:
        return None
    return _markdown().render(text)


@cache
def _markdown():
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark", {"html": False, "linkify": False})
