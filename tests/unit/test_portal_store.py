"""The portal's own storage: uploads kept under names the portal chooses, the size cap while
copying, stale uploads removed, the state file private to its owner."""

from __future__ import annotations

import io
import os
import sqlite3
import stat
import time

import pytest

from orchestration.home import Home
from orchestration.intake.contracts import municipalities
from orchestration.portal import store, uploads


@pytest.fixture
def home(tmp_path) -> Home:
    home = Home(tmp_path / "home")
    home.create()
    store.initialise(home)
    return home


def test_an_upload_is_stored_under_the_portals_name_with_only_a_plain_suffix(home):
    # The member's suffix is kept when plain (the reader names it in its refusal).
    for name, suffix in (("../../etc/passwd.csv", ".csv"), ("データ.XLSX", ".xlsx"),
                         ("evil.html", ".html"), ("..\\..\\x.csv", ".csv"), ("", ""),
                         ("x.c$v", ""), ("a.ｃｓｖ", "")):
        upload_id, path = uploads.receive(home, io.BytesIO(b"a,b\n"), name)
        assert path.parent == store.uploads_dir(home)
        assert path.name == upload_id + suffix
        assert path.read_bytes() == b"a,b\n"


def test_an_upload_over_the_limit_is_refused_while_copying_and_leaves_nothing(home, monkeypatch):
    monkeypatch.setattr(uploads, "MAX_UPLOAD_BYTES", 1000)
    with pytest.raises(uploads.UploadTooLarge):
        uploads.receive(home, io.BytesIO(b"x" * 1001), "big.csv")
    assert list(store.uploads_dir(home).iterdir()) == []
    _, path = uploads.receive(home, io.BytesIO(b"x" * 1000), "fits.csv")
    assert path.stat().st_size == 1000


def test_uploads_older_than_a_day_are_removed_when_the_next_one_arrives(home):
    _, old = uploads.receive(home, io.BytesIO(b"old"), "old.csv")
    past = time.time() - uploads.UPLOAD_TTL_SECONDS - 60
    os.utime(old, (past, past))
    _, new = uploads.receive(home, io.BytesIO(b"new"), "new.csv")
    assert not old.exists() and new.exists()


def test_a_stored_verdict_gives_back_the_same_report(home, tmp_path):
    member = next(iter(municipalities()))
    bad = tmp_path / "bad.csv"
    bad.write_text("年,観光入込客数（人）\n2023,abc\n", encoding="utf-8")
    upload_id, path = uploads.receive(home, bad.open("rb"), "観光<script>.csv")
    received = uploads.check(home, upload_id, path, "観光<script>.csv", "a@example.jp", member,
                             None)
    report = uploads.report_from_record(received.report)
    assert not report.accepted
    assert received.original_name == "観光<script>.csv"  # kept as text, escaped on pages
    assert [(p.code, p.row, p.column, p.raw) for p in report.errors] == [
        (p["code"], p["row"], p["column"], p["raw"]) for p in received.report["problems"]
        if p["severity"] == "error"]
    assert report.errors[0].row == 2 and report.errors[0].raw == "abc"


def test_the_state_folder_and_file_are_private_and_the_audit_log_append_only(home):
    from orchestration.portal import audit

    assert stat.S_IMODE(store.portal_dir(home).stat().st_mode) == 0o700
    assert stat.S_IMODE(store.db_path(home).stat().st_mode) == 0o600
    audit.record(home, "login", actor="a@example.jp")
    db = sqlite3.connect(store.db_path(home))
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        db.execute("UPDATE audit SET actor = 'someone-else'")
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        db.execute("DELETE FROM audit")
    db.close()
    assert [e["actor"] for e in audit.entries(home)] == ["a@example.jp"]


def test_the_cookie_key_is_made_once_and_kept(home):
    key = store.secret_key(home)
    assert len(key) == 64 and store.secret_key(home) == key
    assert stat.S_IMODE((store.portal_dir(home) / "secret.key").stat().st_mode) == 0o600
