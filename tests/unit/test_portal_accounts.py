"""The portal's account rules without a server: who may act for whom, the login throttles,
sessions and API tokens, disabling and re-passwording."""

from __future__ import annotations

import hashlib
import sqlite3

import pytest
from argon2 import PasswordHasher

from orchestration.home import Home
from orchestration.portal import accounts, store

PASSWORD = "correct horse battery staple"
CODE_A, CODE_B = "00001", "00002"  # the rules never look a code up in the area
IP = "192.0.2.1"


@pytest.fixture
def home(tmp_path, monkeypatch) -> Home:
    # Argon2id with its cheapest settings: the same rules, without seconds of hashing.
    monkeypatch.setattr(accounts, "_hasher", PasswordHasher(time_cost=1, memory_cost=8,
                                                             parallelism=1))
    home = Home(tmp_path / "home")
    home.create()
    store.initialise(home)
    accounts.add_user(home, "a@member.example", "member", CODE_A, PASSWORD)
    accounts.add_user(home, "office@secretariat.example", "secretariat", None, PASSWORD)
    return home


def login(home: Home, password: str = PASSWORD, email: str = "a@member.example",
          ip: str = IP) -> accounts.LoginResult:
    return accounts.authenticate(home, email, password, ip)


def rows(home: Home, query: str) -> list:
    db = sqlite3.connect(store.db_path(home))
    try:
        return db.execute(query).fetchall()
    finally:
        db.close()


def test_a_member_acts_for_its_own_municipality_only_the_secretariat_for_all():
    member = accounts.User("a@x.jp", "member", CODE_A)
    office = accounts.User("o@x.jp", "secretariat", None)
    assert member.may_act_for(CODE_A) and not member.may_act_for(CODE_B)
    assert not member.may_act_for("") and not member.is_secretariat
    assert office.may_act_for(CODE_A) and office.may_act_for(CODE_B) and office.is_secretariat


def test_passwords_are_stored_as_argon2id_hashes_never_as_text(home):
    hashes = [r[0] for r in rows(home, "SELECT password_hash FROM users")]
    assert len(hashes) == 2 and all(h.startswith("$argon2id$") for h in hashes)
    assert PASSWORD.encode() not in store.db_path(home).read_bytes()


def test_short_passwords_and_malformed_addresses_are_refused_in_both_languages(home):
    with pytest.raises(accounts.AccountError) as short:
        accounts.add_user(home, "b@member.example", "member", CODE_B,
                          "x" * (accounts.MIN_PASSWORD_LENGTH - 1))
    assert str(accounts.MIN_PASSWORD_LENGTH) in short.value.msg.ja
    assert str(accounts.MIN_PASSWORD_LENGTH) in short.value.msg.en
    for bad in ("no-at-sign", "a b@x.jp", "x" * 250 + "@x.jp"):
        with pytest.raises(accounts.AccountError):
            accounts.normalise_email(bad)
    assert accounts.normalise_email("  A@Member.Example ") == "a@member.example"
    with pytest.raises(accounts.AccountError):
        accounts.add_user(home, "A@MEMBER.example", "member", CODE_A, PASSWORD)


def test_five_wrong_passwords_in_a_row_lock_the_account_even_for_the_right_one(home):
    for _ in range(accounts.MAX_FAILED_LOGINS):
        assert login(home, "wrong password").reason == "bad_credentials"
    assert login(home).reason == "locked"
    assert login(home, "wrong password").reason == "locked"  # guessing while locked: no answer


def test_a_successful_login_resets_the_count_of_failures(home):
    for _ in range(accounts.MAX_FAILED_LOGINS - 1):
        login(home, "wrong password")
    assert login(home).ok
    for _ in range(accounts.MAX_FAILED_LOGINS - 1):
        login(home, "wrong password")
    assert login(home).ok


def test_the_lock_ends_after_its_minutes_or_when_the_password_is_reset(home):
    for _ in range(accounts.MAX_FAILED_LOGINS):
        login(home, "wrong password")
    accounts.set_password(home, "a@member.example", "a brand new password")
    assert login(home, "a brand new password").ok

    for _ in range(accounts.MAX_FAILED_LOGINS):
        login(home, "wrong password")
    with store.connect(home) as db:  # the lock's minutes have passed
        db.execute("UPDATE users SET locked_until = '2000-01-01T00:00:00Z'")
    assert login(home, "a brand new password").ok


def test_an_address_failing_too_often_is_refused_whatever_the_account(home):
    for n in range(accounts.MAX_FAILURES_PER_IP):  # unknown addresses: no account locks
        assert login(home, "wrong password", email=f"nobody{n}@example.jp").reason \
            == "bad_credentials"
    assert login(home).reason == "ip_throttled"
    assert login(home, ip="192.0.2.2").ok  # another address is not punished


def test_a_disabled_account_cannot_log_in_and_loses_its_sessions_and_tokens(home):
    session = accounts.open_session(home, accounts.get_user(home, "a@member.example"))
    token = accounts.new_token(home, "a@member.example")
    accounts.set_disabled(home, "a@member.example")
    assert login(home).reason == "disabled"
    assert login(home, "wrong password").reason == "bad_credentials"  # disabled is not hinted
    assert accounts.session_for(home, session) is None
    assert accounts.user_for_token(home, token) is None
    with pytest.raises(accounts.AccountError):
        accounts.new_token(home, "a@member.example")
    accounts.set_disabled(home, "a@member.example", False)
    assert login(home).ok
    assert accounts.user_for_token(home, token) is None  # a revoked token stays revoked


def test_api_tokens_are_random_and_kept_only_as_sha256(home):
    token = accounts.new_token(home, "a@member.example")
    other = accounts.new_token(home, "a@member.example")
    assert token.startswith(accounts.TOKEN_PREFIX) and token != other
    stored = {r[0] for r in rows(home, "SELECT token_sha256 FROM api_tokens")}
    assert stored == {hashlib.sha256(t.encode()).hexdigest() for t in (token, other)}
    assert token.encode() not in store.db_path(home).read_bytes()
    assert accounts.user_for_token(home, token).municipality == CODE_A
    assert accounts.user_for_token(home, token + "x") is None
    assert accounts.user_for_token(home, "") is None


def test_sessions_end_at_logout_at_expiry_and_when_the_password_changes(home):
    user = accounts.get_user(home, "a@member.example")
    first, second = accounts.open_session(home, user), accounts.open_session(home, user)
    found = accounts.session_for(home, first)
    assert found.user == user and found.csrf_token
    assert found.csrf_token != accounts.session_for(home, second).csrf_token
    assert hashlib.sha256(first.encode()).hexdigest() in {
        r[0] for r in rows(home, "SELECT id_sha256 FROM sessions")}
    assert first.encode() not in store.db_path(home).read_bytes()

    accounts.close_session(home, first)
    assert accounts.session_for(home, first) is None
    assert accounts.session_for(home, second) is not None

    accounts.set_password(home, user.email, "another long password")
    assert accounts.session_for(home, second) is None

    third = accounts.open_session(home, user)
    with store.connect(home) as db:
        db.execute("UPDATE sessions SET expires_at = '2000-01-01T00:00:00Z'")
    assert accounts.session_for(home, third) is None


def test_the_audit_log_refuses_update_and_delete(home):
    from orchestration.portal import audit

    audit.record(home, "login", actor="a@member.example")
    with pytest.raises(ValueError):
        audit.record(home, "made_up_event")
    for statement in ("UPDATE audit SET actor = 'someone else'", "DELETE FROM audit"):
        with pytest.raises(sqlite3.Error, match="append-only"), store.connect(home) as db:
            db.execute(statement)
    assert [e["actor"] for e in audit.entries(home)] == ["a@member.example"]
