"""Accounts, passwords, sessions and API tokens of the portal.

Passwords are hashed with Argon2id (argon2-cffi). Session ids and API tokens are random
256-bit values: only their SHA-256 is stored, so a copy of the state file opens nothing.
A member account belongs to one municipality; the secretariat sees every member.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from orchestration.home import Home
from orchestration.intake.messages import Msg
from orchestration.portal import store

# Five wrong passwords in a row lock an account for 15 minutes; an address that fails 20
# times in 15 minutes (trying many accounts) is refused for the rest of that window.
MAX_FAILED_LOGINS = 5
LOCK_MINUTES = 15
MAX_FAILURES_PER_IP = 20
SESSION_HOURS = 8
MIN_PASSWORD_LENGTH = 12
TOKEN_PREFIX = "khp_"

_hasher = PasswordHasher()


class AccountError(Exception):
    def __init__(self, msg: Msg):
        super().__init__(msg.en)
        self.msg = msg


@dataclass(frozen=True)
class User:
    email: str
    role: str  # member | secretariat
    municipality: str | None
    disabled: bool = False

    @property
    def is_secretariat(self) -> bool:
        return self.role == "secretariat"

    def may_act_for(self, municipality: str) -> bool:
        """The one access rule: a member acts for its own municipality only."""
        return self.is_secretariat or self.municipality == municipality


@dataclass(frozen=True)
class Session:
    user: User
    csrf_token: str


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _user(row) -> User:
    return User(row["email"], row["role"], row["municipality"], bool(row["disabled"]))


def normalise_email(email: str) -> str:
    email = email.strip().lower()
    if "@" not in email or len(email) > 254 or any(ch.isspace() for ch in email):
        raise AccountError(Msg(f"メールアドレスの形式ではありません: {email!r}",
                               f"Not an e-mail address: {email!r}"))
    return email


def check_password_strength(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(Msg(
            f"パスワードは {MIN_PASSWORD_LENGTH} 文字以上にしてください。",
            f"A password needs at least {MIN_PASSWORD_LENGTH} characters."))


def new_password() -> str:
    return secrets.token_urlsafe(12)


# ------------------------------------------------------------------ users


def add_user(home: Home, email: str, role: str, municipality: str | None,
             password: str) -> User:
    email = normalise_email(email)
    check_password_strength(password)
    at = store.now()
    with store.connect(home) as db:
        if db.execute("SELECT 1 FROM users WHERE email = ?", (email,)).fetchone():
            raise AccountError(Msg(f"{email} は既に登録されています。",
                                   f"{email} already has an account."))
        db.execute("INSERT INTO users (email, role, municipality, password_hash, created_at, "
                   "password_changed_at) VALUES (?, ?, ?, ?, ?, ?)",
                   (email, role, municipality, _hasher.hash(password), at, at))
    return User(email, role, municipality)


def get_user(home: Home, email: str) -> User | None:
    with store.connect(home) as db:
        row = db.execute("SELECT * FROM users WHERE email = ?", (email.strip().lower(),)).fetchone()
    return _user(row) if row else None


def list_users(home: Home) -> list[dict]:
    with store.connect(home) as db:
        rows = db.execute(
            "SELECT u.email, u.role, u.municipality, u.disabled, u.locked_until, u.created_at, "
            "(SELECT COUNT(*) FROM api_tokens t WHERE t.email = u.email AND NOT t.revoked) "
            "AS tokens FROM users u ORDER BY u.role DESC, u.municipality, u.email").fetchall()
    return [dict(r) for r in rows]


def set_disabled(home: Home, email: str, disabled: bool = True) -> User:
    """Disabling also ends the account's sessions and revokes its tokens at once."""
    email = normalise_email(email)
    with store.connect(home) as db:
        if db.execute("UPDATE users SET disabled = ? WHERE email = ?",
                      (int(disabled), email)).rowcount == 0:
            raise _unknown(email)
        if disabled:
            db.execute("DELETE FROM sessions WHERE email = ?", (email,))
            db.execute("UPDATE api_tokens SET revoked = 1 WHERE email = ?", (email,))
    return get_user(home, email)


def set_password(home: Home, email: str, password: str) -> None:
    """A new password also unlocks the account and ends its other sessions."""
    check_password_strength(password)
    email = normalise_email(email)
    with store.connect(home) as db:
        if db.execute("UPDATE users SET password_hash = ?, failed_logins = 0, locked_until = NULL,"
                      " password_changed_at = ? WHERE email = ?",
                      (_hasher.hash(password), store.now(), email)).rowcount == 0:
            raise _unknown(email)
        db.execute("DELETE FROM sessions WHERE email = ?", (email,))


def _unknown(email: str) -> AccountError:
    return AccountError(Msg(f"アカウント {email} はありません。", f"No account {email}."))


# ------------------------------------------------------------------ login


@dataclass(frozen=True)
class LoginResult:
    user: User | None
    reason: str | None = None  # bad_credentials | locked | ip_throttled | disabled

    @property
    def ok(self) -> bool:
        return self.user is not None


def authenticate(home: Home, email: str, password: str, ip: str) -> LoginResult:
    """Check a password with the throttles applied first: a locked account is refused
    without looking at the password, so guessing while locked teaches nothing."""
    email = email.strip().lower()
    at = datetime.now(UTC)
    with store.connect(home) as db:
        window = (at - timedelta(minutes=LOCK_MINUTES)).strftime("%Y-%m-%dT%H:%M:%SZ")
        db.execute("DELETE FROM login_failures WHERE at < ?", (window,))
        if db.execute("SELECT COUNT(*) FROM login_failures WHERE ip = ?",
                      (ip,)).fetchone()[0] >= MAX_FAILURES_PER_IP:
            return LoginResult(None, "ip_throttled")
        row = db.execute("SELECT * FROM users WHERE email = ?", (email,)).fetchone()
        if row is not None and row["locked_until"] and store.parse_time(row["locked_until"]) > at:
            return LoginResult(None, "locked")
        if row is None or not _verify(row["password_hash"], password):
            _record_failure(db, row, ip, at)
            return LoginResult(None, "bad_credentials")
        if row["disabled"]:
            return LoginResult(None, "disabled")
        db.execute("UPDATE users SET failed_logins = 0, locked_until = NULL WHERE email = ?",
                   (email,))
        if _hasher.check_needs_rehash(row["password_hash"]):
            db.execute("UPDATE users SET password_hash = ? WHERE email = ?",
                       (_hasher.hash(password), email))
    return LoginResult(_user(row))


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def _record_failure(db, row, ip: str, at: datetime) -> None:
    db.execute("INSERT INTO login_failures (ip, at) VALUES (?, ?)", (ip, store.now()))
    if row is None:
        _hasher.hash("timing-equaliser")  # an unknown address costs as much as a wrong password
        return
    failed = row["failed_logins"] + 1
    locked = (at + timedelta(minutes=LOCK_MINUTES)).strftime("%Y-%m-%dT%H:%M:%SZ") \
        if failed >= MAX_FAILED_LOGINS else None
    db.execute("UPDATE users SET failed_logins = ?, locked_until = ? WHERE email = ?",
               (0 if locked else failed, locked, row["email"]))


def check_current_password(home: Home, email: str, password: str) -> bool:
    with store.connect(home) as db:
        row = db.execute("SELECT password_hash FROM users WHERE email = ?", (email,)).fetchone()
    return row is not None and _verify(row["password_hash"], password)


# --------------------------------------------------------------- sessions


def open_session(home: Home, user: User) -> str:
    """A new session id (for the cookie); the store keeps its hash and a CSRF token."""
    session_id = secrets.token_urlsafe(32)
    at = datetime.now(UTC)
    with store.connect(home) as db:
        db.execute("DELETE FROM sessions WHERE expires_at < ?", (store.now(),))
        db.execute("INSERT INTO sessions VALUES (?, ?, ?, ?, ?)",
                   (_sha256(session_id), user.email, secrets.token_urlsafe(32), store.now(),
                    (at + timedelta(hours=SESSION_HOURS)).strftime("%Y-%m-%dT%H:%M:%SZ")))
    return session_id


def session_for(home: Home, session_id: str) -> Session | None:
    with store.connect(home) as db:
        row = db.execute(
            "SELECT u.*, s.csrf_token FROM sessions s JOIN users u ON u.email = s.email "
            "WHERE s.id_sha256 = ? AND s.expires_at > ? AND NOT u.disabled",
            (_sha256(session_id), store.now())).fetchone()
    return Session(_user(row), row["csrf_token"]) if row else None


def close_session(home: Home, session_id: str) -> None:
    with store.connect(home) as db:
        db.execute("DELETE FROM sessions WHERE id_sha256 = ?", (_sha256(session_id),))


# ----------------------------------------------------------------- tokens


def new_token(home: Home, email: str) -> str:
    """A new API token for the account, shown once."""
    email = normalise_email(email)
    user = get_user(home, email)
    if user is None:
        raise _unknown(email)
    if user.disabled:
        raise AccountError(Msg(f"アカウント {email} は無効です。", f"The account {email} is disabled."))
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with store.connect(home) as db:
        db.execute("INSERT INTO api_tokens (token_sha256, email, created_at) VALUES (?, ?, ?)",
                   (_sha256(token), email, store.now()))
    return token


def user_for_token(home: Home, token: str) -> User | None:
    with store.connect(home) as db:
        row = db.execute(
            "SELECT u.* FROM api_tokens t JOIN users u ON u.email = t.email "
            "WHERE t.token_sha256 = ? AND NOT t.revoked AND NOT u.disabled",
            (_sha256(token),)).fetchone()
        if row is not None:
            db.execute("UPDATE api_tokens SET last_used_at = ? WHERE token_sha256 = ?",
                       (store.now(), _sha256(token)))
    return _user(row) if row else None
