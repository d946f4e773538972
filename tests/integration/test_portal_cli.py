"""``kurume-hub users`` and ``serve`` as the secretariat types them."""

from __future__ import annotations

import json

from tests.conftest import run_cli
from tests.portal import area_member_codes


def test_accounts_are_made_listed_disabled_and_refused_with_clear_errors(tmp_path):
    home = tmp_path / "home"
    run_cli("init", home=home, check=True)
    code = area_member_codes(home)[0]

    made = run_cli("users", "add", "Tokei@City.Example.jp", "--municipality", code, home=home)
    assert made.returncode == 0, made.stderr
    assert "初期パスワード" in made.stdout  # generated and shown once
    password = made.stdout.strip().splitlines()[-1].split(": ")[-1]
    assert len(password) >= 12 and password not in (home / "portal" / "portal.sqlite3").read_bytes().decode("latin-1")

    again = run_cli("users", "add", "tokei@city.example.jp", "--municipality", code, home=home)
    assert again.returncode == 2 and "既に登録" in again.stderr

    stranger = run_cli("users", "add", "x@example.jp", "--municipality", "99999", home=home)
    assert stranger.returncode == 2 and "99999" in stranger.stderr and code in stranger.stderr

    short = run_cli("users", "add", "s@example.jp", "--role", "secretariat", "--password-stdin",
                    home=home, input="short\n")
    assert short.returncode == 2 and "12 文字以上" in short.stderr

    ok = run_cli("users", "add", "s@example.jp", "--role", "secretariat", "--password-stdin",
                 home=home, input="a long enough password\n")
    assert ok.returncode == 0 and "初期パスワード" not in ok.stdout

    token = run_cli("users", "token", "tokei@city.example.jp", home=home, check=True).stdout.strip()
    assert token.startswith("khp_") and len(token) > 40

    listed = json.loads(run_cli("users", "list", "--json", home=home, check=True).stdout)
    assert {(u["email"], u["role"], u["municipality"], u["tokens"]) for u in listed} == {
        ("tokei@city.example.jp", "member", code, 1), ("s@example.jp", "secretariat", None, 0)}

    run_cli("users", "disable", "tokei@city.example.jp", home=home, check=True)
    listed = json.loads(run_cli("users", "list", "--json", home=home, check=True).stdout)
    member = next(u for u in listed if u["role"] == "member")
    assert member["disabled"] == 1 and member["tokens"] == 0  # its token was revoked with it
    refused = run_cli("users", "token", "tokei@city.example.jp", home=home)
    assert refused.returncode == 2 and "無効" in refused.stderr

    unknown = run_cli("users", "password", "nobody@example.jp", home=home)
    assert unknown.returncode == 2 and "nobody@example.jp" in unknown.stderr


def test_serve_and_users_refuse_a_folder_that_is_not_a_home(tmp_path):
    for args in (("serve",), ("users", "list")):
        result = run_cli(*args, home=tmp_path / "nothing")
        assert result.returncode == 2
        assert "kurume-hub init" in result.stderr
        assert not (tmp_path / "nothing").exists()
