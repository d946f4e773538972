"""``publication.approval: required``: a build that passes the gate waits in
releases/pending/<id> (the public site unchanged) until ``kurume-hub approve``; ``reject``
keeps it aside with the reason; who and when are recorded, never inside a release."""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

from tests.conftest import run_cli
from tests.portal import add_accounts, portal_server, require_approval, visitor


def _pending_ids(home: Path) -> list[str]:
    folder = home / "releases" / "pending"
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def _public_state(home: Path) -> tuple[str, bytes]:
    return os.readlink(home / "releases" / "latest"), (home / "site" / "index.html").read_bytes()


def test_pending_then_reject_then_pending_again_then_approve(demo_home: Path, tmp_path: Path):
    home = tmp_path / "home"
    shutil.copytree(demo_home, home, symlinks=True)
    require_approval(home)
    public_before = _public_state(home)

    built = run_cli("build", home=home)
    assert built.returncode == 0, built.stdout + built.stderr
    (first,) = _pending_ids(home)
    assert "承認待ち" in built.stdout and f"kurume-hub approve {first}" in built.stdout
    assert _public_state(home) == public_before  # latest and the public site untouched
    assert (home / "releases" / "pending" / first / "datapackage.json").is_file()
    # The site it would make waits beside it for the secretariat's preview, not in site/.
    preview = (home / "preview" / first / "index.html").read_text("utf-8")
    assert first in preview and 'href="release/datapackage.json"' in preview
    listed = json.loads(run_cli("releases", "--json", home=home, check=True).stdout)
    assert {r["release_id"]: r["status"] for r in listed}[first] == "pending"

    _members_see_their_provisional_figures(home, first)

    again = run_cli("build", home=home)
    assert again.returncode == 0 and "承認待ち" in again.stdout and first in again.stdout
    assert _pending_ids(home) == [first]  # the same content is not built twice

    unknown = run_cli("approve", "20990101T000000Z-000000000000", home=home)
    assert unknown.returncode == 2 and "承認待ちの公開版" in unknown.stderr
    vague = run_cli("reject", first, "--reason", "no", home=home)
    assert vague.returncode == 2 and _pending_ids(home) == [first]

    reason = "観光入込客数の速報値を確定値に差し替えるため"
    rejected = run_cli("reject", first, "--reason", reason, "--by", "kikaku", home=home)
    assert rejected.returncode == 0, rejected.stderr
    assert _pending_ids(home) == [] and (home / "releases" / "rejected" / first).is_dir()
    assert not (home / "preview" / first).exists()
    assert _public_state(home) == public_before
    row = next(r for r in json.loads(run_cli("releases", "--json", home=home).stdout)
               if r["release_id"] == first)
    assert (row["status"], row["decided_by"], row["reason"]) == ("rejected", "kikaku", reason)

    rebuilt = run_cli("build", home=home)
    assert rebuilt.returncode == 0, rebuilt.stdout + rebuilt.stderr
    (second,) = _pending_ids(home)
    approved = run_cli("approve", second, "--by", "kikaku", home=home)
    assert approved.returncode == 0, approved.stderr
    assert os.readlink(home / "releases" / "latest") == second
    assert _pending_ids(home) == [] and (home / "releases" / second / "data").is_dir()
    assert re.search(re.escape(second), (home / "site" / "index.html").read_text("utf-8"))
    decisions = [json.loads(line) for line in
                 (home / "releases" / "decisions.jsonl").read_text("utf-8").splitlines()]
    assert [(d["release_id"], d["decision"], d["by"]) for d in decisions] == [
        (first, "rejected", "kikaku"), (second, "approved", "kikaku")]
    # Who decided is kept beside the releases, never published inside one.
    assert "kikaku" not in (home / "releases" / second / "datapackage.json").read_text("utf-8")
    assert run_cli("approve", second, home=home).returncode == 2  # no longer pending


def _members_see_their_provisional_figures(home: Path, pending_id: str) -> None:
    accounts = add_accounts(home)
    a, b = accounts["member_a"], accounts["member_b"]
    with portal_server(home) as base:
        member = visitor(base, a)
        published = member.get(f"/m/{a.municipality}/figures")
        assert published.status_code == 200 and "?view=pending" in published.text
        provisional = member.get(f"/m/{a.municipality}/figures?view=pending")
        assert provisional.status_code == 200
        assert 'id="provisional"' in provisional.text and pending_id in provisional.text
        assert visitor(base, b).get(f"/m/{a.municipality}/figures?view=pending"
                                    ).status_code == 403
