"""The portal as its users meet it: ``kurume-hub serve`` in its own process (uvicorn, a real
port), accounts made with ``kurume-hub users``, and HTTP clients that log in through the
login form like a browser does."""

from __future__ import annotations

import contextlib
import os
import re
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import yaml

from tests.conftest import ROOT, run_cli

PASSWORD = "correct horse battery staple"


@dataclass(frozen=True)
class Account:
    email: str
    password: str
    municipality: str | None  # None: the secretariat


def area_member_codes(home: Path) -> list[str]:
    area = yaml.safe_load((home / "area" / "area.yaml").read_text(encoding="utf-8"))
    return [str(m["code"]) for m in area["members"]]


def add_accounts(home: Path) -> dict[str, Account]:
    """member_a and member_b (the area's first two members) and the secretariat."""
    a, b = area_member_codes(home)[:2]
    accounts = {"member_a": Account("a@member.example", PASSWORD, a),
                "member_b": Account("b@member.example", PASSWORD, b),
                "secretariat": Account("office@secretariat.example", PASSWORD, None)}
    for account in accounts.values():
        who = (["--municipality", account.municipality] if account.municipality
               else ["--role", "secretariat"])
        run_cli("users", "add", account.email, *who, "--password-stdin", home=home, check=True,
                input=account.password + "\n")
    return accounts


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def portal_server(home: Path):
    """Start ``kurume-hub serve`` for ``home``; yield its base URL; stop it after."""
    port = free_port()
    env = {**os.environ, "PYTHONUTF8": "1"}
    env.pop("KURUME_HUB_HOME", None)
    log = home.parent / f"portal-{port}.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "orchestration.cli", "serve", "--home", str(home),
             "--port", str(port)], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(base, process, log)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


def _wait_ready(base: str, process: subprocess.Popen, log: Path, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"the portal exited ({process.returncode}):\n{log.read_text()}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return
        time.sleep(0.1)
    raise AssertionError(f"the portal did not answer within {timeout} s:\n{log.read_text()}")


CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')


class Visitor(httpx.Client):
    """An HTTP client with the session cookie of a logged-in account (or none)."""

    csrf: str | None = None

    def form_token(self, path: str) -> str:
        page = self.get(path)
        found = CSRF_FIELD.search(page.text)
        assert found, f"no CSRF field on {path} ({page.status_code})"
        return found.group(1)


def visitor(base: str, account: Account | None = None) -> Visitor:
    client = Visitor(base_url=base, follow_redirects=False, timeout=60)
    if account is not None:
        token = client.form_token("/login")
        answer = client.post("/login", data={"email": account.email, "password": account.password,
                                             "csrf_token": token, "next": "/"})
        assert answer.status_code == 303 and "error" not in answer.headers["location"], \
            answer.headers.get("location")
        client.csrf = client.form_token("/account")
    return client


def require_approval(home: Path) -> None:
    """``publication.approval: required`` in the home's area: a passing build waits."""
    import yaml

    path = home / "area" / "area.yaml"
    area = yaml.safe_load(path.read_text(encoding="utf-8"))
    area["publication"] = {**(area.get("publication") or {}), "approval": "required"}
    path.write_text(yaml.safe_dump(area, allow_unicode=True, sort_keys=False), encoding="utf-8")
