"""The portal's state: one SQLite file in the home (accounts, sessions, API tokens, uploads
waiting to be submitted, the audit log). Never the DuckDB warehouse: a build holds the
warehouse for a minute, and the portal must answer while it does.
"""

from __future__ import annotations

import os
import secrets
import sqlite3
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from orchestration.home import Home

SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
    email TEXT PRIMARY KEY,
    role TEXT NOT NULL CHECK (role IN ('member', 'secretariat')),
    municipality TEXT,                 -- 5-digit code for a member, NULL for the secretariat
    password_hash TEXT NOT NULL,
    disabled INTEGER NOT NULL DEFAULT 0,
    failed_logins INTEGER NOT NULL DEFAULT 0,
    locked_until TEXT,
    created_at TEXT NOT NULL,
    password_changed_at TEXT NOT NULL,
    CHECK ((role = 'member') = (municipality IS NOT NULL))
);
CREATE TABLE IF NOT EXISTS sessions (
    id_sha256 TEXT PRIMARY KEY,        -- the cookie holds the id; only its hash is kept
    email TEXT NOT NULL REFERENCES users(email),
    csrf_token TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS api_tokens (
    token_sha256 TEXT PRIMARY KEY,     -- a token is shown once; only its hash is kept
    email TEXT NOT NULL REFERENCES users(email),
    created_at TEXT NOT NULL,
    last_used_at TEXT,
    revoked INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS uploads (
    upload_id TEXT PRIMARY KEY,
    email TEXT NOT NULL,
    municipality TEXT NOT NULL,
    dataset TEXT,
    original_name TEXT NOT NULL,
    stored_name TEXT NOT NULL,         -- chosen by the portal, never by the uploader
    sha256 TEXT NOT NULL,
    size_bytes INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    report_json TEXT NOT NULL,         -- the validator's verdict, in both languages
    submission_id TEXT                 -- set once the member pressed 「提出する」
);
CREATE TABLE IF NOT EXISTS login_failures (
    ip TEXT NOT NULL,
    at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS audit (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    event TEXT NOT NULL,
    actor TEXT,
    role TEXT,
    municipality TEXT,
    target TEXT,
    ip TEXT,
    outcome TEXT,
    detail TEXT
);
CREATE TABLE IF NOT EXISTS jobs (       -- the console's builds, approvals and rollbacks
    job_id TEXT PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('build', 'approve', 'rollback')),
    release_id TEXT,                   -- approve / rollback: which release
    reason TEXT,                       -- rollback: why
    requested_by TEXT NOT NULL,
    requested_at TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('queued', 'running', 'finished')),
    started_at TEXT,
    finished_at TEXT,
    pid INTEGER,
    exit_code INTEGER                  -- NULL when finished without one (the portal stopped)
);
-- The audit log is append-only: nothing (not even the portal's own code) may rewrite it.
CREATE TRIGGER IF NOT EXISTS audit_no_update BEFORE UPDATE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER IF NOT EXISTS audit_no_delete BEFORE DELETE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
"""


def portal_dir(home: Home) -> Path:
    return home.root / "portal"


def db_path(home: Home) -> Path:
    return portal_dir(home) / "portal.sqlite3"


def uploads_dir(home: Home) -> Path:
    return portal_dir(home) / "uploads"


def now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


def initialise(home: Home) -> Path:
    """Create the portal folder (owner-only) and the schema; idempotent."""
    folder = portal_dir(home)
    folder.mkdir(parents=True, exist_ok=True)
    os.chmod(folder, 0o700)
    uploads_dir(home).mkdir(exist_ok=True)
    db = sqlite3.connect(db_path(home), timeout=15)
    try:
        db.execute("PRAGMA journal_mode=WAL")
        db.executescript(SCHEMA)  # runs in its own transaction
    finally:
        db.close()
    os.chmod(db_path(home), 0o600)
    return db_path(home)


@contextmanager
def connect(home: Home):
    """One short transaction; WAL lets pages read while an upload writes."""
    db = sqlite3.connect(db_path(home), timeout=15, isolation_level=None)
    db.row_factory = sqlite3.Row
    try:
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA foreign_keys=ON")
        db.execute("BEGIN IMMEDIATE")
        yield db
        db.execute("COMMIT")
    except BaseException:
        if db.in_transaction:
            db.execute("ROLLBACK")
        raise
    finally:
        db.close()


def secret_key(home: Home) -> bytes:
    """The key that signs session cookies: made once per home, readable by its owner only
    (kept out of backups' way by living beside the state it protects)."""
    path = portal_dir(home) / "secret.key"
    if not path.exists():
        folder = portal_dir(home)
        folder.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process made it first
            return path.read_text().strip().encode()
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(32))
    return path.read_text().strip().encode()
