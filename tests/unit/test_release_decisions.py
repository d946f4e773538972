"""Decisions on releases (orchestration/publication/approval.py): only the newest build can
wait for approval; who decided and why are kept beside the releases."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from orchestration.home import Home
from orchestration.publication.approval import (
    SYSTEM,
    UnknownRelease,
    approve,
    decisions,
    list_releases,
    reject_pending,
    supersede_pending,
)

OLD, NEW = "20261101T000000Z-aaaaaaaaaaaa", "20261201T000000Z-bbbbbbbbbbbb"


def _waiting(home: Home, *ids: str) -> None:
    for release_id in ids:
        folder = home.pending_releases / release_id
        folder.mkdir(parents=True)
        (folder / "datapackage.json").write_text(json.dumps({"created": release_id[:16]}))
        (home.previews / release_id).mkdir(parents=True)
        (home.previews / release_id / "index.html").write_text(release_id)


def test_a_newer_build_supersedes_the_release_that_was_waiting(tmp_path: Path):
    home = Home(tmp_path / "home")
    home.create()
    _waiting(home, OLD, NEW)

    assert supersede_pending(home, NEW) == [OLD]

    assert sorted(p.name for p in home.pending_releases.iterdir()) == [NEW]
    assert (home.rejected_releases / OLD / "datapackage.json").is_file()  # kept, not deleted
    assert not (home.previews / OLD).exists() and (home.previews / NEW).is_dir()
    decided = decisions(home)[OLD]
    assert (decided["decision"], decided["by"]) == ("superseded", SYSTEM)
    assert NEW in decided["reason"]
    with pytest.raises(UnknownRelease):  # the superseded one can no longer be approved
        approve(home, OLD, "kikaku")
    statuses = {r["release_id"]: r["status"] for r in list_releases(home)}
    assert statuses == {OLD: "rejected", NEW: "pending"}


def test_approving_and_rejecting_drop_the_preview(tmp_path: Path):
    home = Home(tmp_path / "home")
    home.create()
    _waiting(home, OLD)
    reject_pending(home, OLD, "kikaku", "速報値のため差し戻し")
    assert not (home.previews / OLD).exists()

    _waiting(home, NEW)
    approve(home, NEW, "kikaku")
    assert not (home.previews / NEW).exists()
    assert (home.releases / NEW).is_dir() and home.latest.resolve() == home.releases / NEW
