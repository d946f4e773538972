"""Decisions on releases that need no data library: which releases there are, approving or
rejecting one that waits (``publication.approval: required``), rolling ``latest`` back.

Kept apart from release.py (which writes releases with pandas) so the portal can list and
decide on releases without loading the data stack. A published release names no person: who
decided, when and why go to ``releases/decisions.jsonl`` beside the releases.
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from datetime import UTC, datetime
from pathlib import Path

from orchestration.home import Home


def swap_latest(home: Home, release_id: str) -> None:
    link = home.releases / f".latest-{uuid.uuid4().hex}"
    os.symlink(release_id, link)  # relative: the home can be moved
    os.replace(link, home.latest)



class UnknownRelease(KeyError):
    pass


def _pending(home: Home, release_id: str) -> Path:
    folder = home.pending_releases / release_id
    if "/" in release_id or not release_id[:1].isdigit() or not folder.is_dir():
        raise UnknownRelease(release_id)
    return folder


def approve(home: Home, release_id: str, who: str) -> dict:
    """Promote a pending release: atomic rename into ``releases/<id>``, atomic swap of
    ``latest``. The decision (who, when) goes to ``releases/decisions.jsonl``, not into the
    release: a published release names no person."""
    folder = _pending(home, release_id)
    decision = record_decision(home, release_id, "approved", who)
    os.replace(folder, home.releases / release_id)
    swap_latest(home, release_id)
    drop_preview(home, release_id)
    return decision


def reject_pending(home: Home, release_id: str, who: str, reason: str) -> dict:
    """Keep a pending release, not public, under ``releases/rejected/<id>`` with the reason."""
    folder = _pending(home, release_id)
    decision = record_decision(home, release_id, "rejected", who, reason)
    home.rejected_releases.mkdir(parents=True, exist_ok=True)
    os.replace(folder, home.rejected_releases / release_id)
    drop_preview(home, release_id)
    return decision


# Who "decides" when a newer build replaces a release that was still waiting.
SYSTEM = "kurume-hub"


def supersede_pending(home: Home, newest: str) -> list[str]:
    """Only the newest build can be approved: an older release still waiting was built from
    older data and would publish it. It is kept under ``releases/rejected`` with the reason."""
    replaced = []
    for folder in sorted(home.pending_releases.iterdir()):
        if folder.is_dir() and folder.name != newest:
            record_decision(home, folder.name, "superseded", SYSTEM,
                            f"新しいビルド {newest} に置き換え / replaced by {newest}")
            home.rejected_releases.mkdir(parents=True, exist_ok=True)
            os.replace(folder, home.rejected_releases / folder.name)
            drop_preview(home, folder.name)
            replaced.append(folder.name)
    return replaced


def drop_preview(home: Home, release_id: str) -> None:
    """A decided release has no preview: the public site shows it, or nothing does."""
    shutil.rmtree(home.previews / release_id, ignore_errors=True)


def decisions_path(home: Home) -> Path:
    return home.releases / "decisions.jsonl"


def record_decision(home: Home, release_id: str, decision: str, who: str,
                    reason: str | None = None) -> dict:
    entry = {"release_id": release_id, "decision": decision, "by": who,
             "at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"), "reason": reason}
    with decisions_path(home).open("a", encoding="utf-8") as fh:
        fh.write(json.dumps(entry, ensure_ascii=False) + "\n")
        fh.flush()
        os.fsync(fh.fileno())
    return entry


def decisions(home: Home) -> dict[str, dict]:
    """The latest decision per release id."""
    path = decisions_path(home)
    if not path.exists():
        return {}
    found = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            entry = json.loads(line)
            found[entry["release_id"]] = entry
    return found


def latest_release_id(home: Home) -> str | None:
    return os.readlink(home.latest) if home.latest.is_symlink() else None


def _created(folder: Path) -> str | None:
    try:
        return json.loads((folder / "datapackage.json").read_text(encoding="utf-8"))["created"]
    except (OSError, ValueError, KeyError):
        return None


def list_releases(home: Home) -> list[dict]:
    """Published, pending and rejected releases, newest first, with which one is ``latest``
    (and, for one decided by the secretariat, who decided, when and why)."""
    latest = latest_release_id(home)
    decided = decisions(home)
    rows = []
    for folder in home.releases.glob("*"):
        if folder.is_dir() and not folder.is_symlink() and folder.name[:1].isdigit():
            status = "latest" if folder.name == latest else "published"
            rows.append(_row(folder, status, decided))
    for status, parent in (("pending", home.pending_releases),
                           ("rejected", home.rejected_releases)):
        if parent.exists():
            rows.extend(_row(folder, status, decided) for folder in parent.iterdir())
    return sorted(rows, key=lambda r: r["release_id"], reverse=True)


def _row(folder: Path, status: str, decided: dict) -> dict:
    decision = decided.get(folder.name) or {}
    return {"release_id": folder.name, "status": status, "created": _created(folder),
            "path": str(folder), "decision": decision.get("decision"),
            "decided_by": decision.get("by"),
            "decided_at": decision.get("at"), "reason": decision.get("reason")}


def rollback(home: Home, release_id: str) -> None:
    """Repoint ``latest`` at an earlier published release (atomic, nothing deleted)."""
    folder = home.releases / release_id
    if "/" in release_id or not release_id[:1].isdigit() or not folder.is_dir():
        raise KeyError(release_id)
    swap_latest(home, release_id)
