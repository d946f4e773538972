"""Who may do what on the portal, asserted rather than assumed: every route of the app walked
as anonymous, member A, member B and the secretariat; the JSON API's contract (DESIGN.md
"Submission portal"); accounts, sessions, API tokens and the append-only audit log.

One ``kurume-hub serve`` for the whole module (``portal_site``): tests that lock, disable or
re-password an account make their own account for it, so the shared ones stay usable.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import sqlite3
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import openpyxl
import pytest
from fastapi.routing import APIRoute

try:
    from fastapi.routing import iter_route_contexts
except ImportError:  # FastAPI before lazy included routers: app.routes is already flat
    iter_route_contexts = None

from orchestration.area import area_for
from orchestration.home import HOME_ENV, Home
from orchestration.intake.ledger import Ledger
from orchestration.portal.errors import REFUSALS
from orchestration.portal.pages import LOGIN_REFUSALS
from tests.conftest import ROOT, run_cli
from tests.portal import PASSWORD, Account, Visitor, visitor

ANON, A, B, SEC = "anonymous", "member_a", "member_b", "secretariat"
LOGIN = "login"  # a page refused to an anonymous visitor: 303 to /login
UNKNOWN_CODE = "99999"  # never a member code (codes are real 5-digit municipality codes)
NOT_B = "<a dataset of the area that member B does not submit>"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


# ------------------------------------------------------------------ fixtures


@dataclass
class Site:
    base: str
    home: Path
    accounts: dict[str, Account]
    code_a: str
    code_b: str
    dataset: str  # a dataset with a current xlsx submission of member A
    a_file: bytes  # that file (re-sent: a duplicate, nothing new recorded)
    a_file_name: str
    a_submission: str
    a_upload: str = ""  # made by member A through the upload form
    clients: dict[str, Visitor] = field(default_factory=dict)

    def db(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.home / "portal" / "portal.sqlite3", timeout=15)
        db.row_factory = sqlite3.Row
        return db

    def audit(self, event: str | None = None) -> list[dict]:
        with self.db() as db:
            rows = db.execute("SELECT * FROM audit" + (" WHERE event = ?" if event else "")
                              + " ORDER BY seq", (event,) if event else ()).fetchall()
        return [dict(r) for r in rows]

    def count(self, table: str) -> int:
        with self.db() as db:
            return db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]  # noqa: S608

    def ledger(self) -> list:
        return Ledger(Home(self.home)).entries()

    def stored_uploads(self) -> set[str]:
        return {p.name for p in (self.home / "portal" / "uploads").iterdir()}

    def cli(self, *args: str, input: str | None = None) -> str:
        return run_cli(*args, home=self.home, check=True, input=input).stdout

    def add_account(self, email: str, municipality: str | None = None) -> Account:
        account = Account(email, PASSWORD, municipality or self.code_a)
        self.cli("users", "add", email, "--municipality", account.municipality,
                 "--password-stdin", input=PASSWORD + "\n")
        return account

    def token(self, email: str) -> str:
        return self.cli("users", "token", email).strip()


@pytest.fixture(scope="module")
def site(portal_site) -> Site:
    home = Home(portal_site.home)
    accounts = portal_site.accounts
    code_a, code_b = accounts[A].municipality, accounts[B].municipality
    entry = _current_xlsx(home, code_a)
    s = Site(portal_site.base, portal_site.home, accounts, code_a, code_b, entry.dataset,
             (home.root / entry.stored_path).read_bytes(), entry.original_name,
             entry.submission_id)
    s.clients = {ANON: visitor(s.base)} | {who: visitor(s.base, accounts[who])
                                            for who in (A, B, SEC)}
    answer = s.clients[A].post(f"/m/{code_a}/upload", data={
        "dataset": s.dataset, "csrf_token": s.clients[A].csrf},
        files={"file": (s.a_file_name, s.a_file, XLSX)})
    assert answer.status_code == 303, answer.text
    s.a_upload = answer.headers["location"].rsplit("/", 1)[-1]
    yield s
    for client in s.clients.values():
        client.close()


def _current_xlsx(home: Home, code: str):
    ledger = Ledger(home)
    for dataset in area_for(home).datasets:
        entry = ledger.current(code, dataset)
        if entry is not None and entry.stored_path.endswith(".xlsx"):
            return entry
    raise AssertionError(f"the demo home has no current xlsx submission of {code}")


# ----------------------------------------------------- 1. every route by role


def csrf_refusal(page: str) -> bool:
    """The page is the CSRF refusal (in either language), not the access rule's."""
    return REFUSALS["csrf"].ja in page or REFUSALS["csrf"].en in page


def every(anon, a, b, sec) -> list[tuple]:
    return [(ANON, anon, {}), (A, a, {}), (B, b, {}), (SEC, sec, {})]


def member_page(*extra: tuple) -> list[tuple]:
    """A page of member A: B is refused, the secretariat sees it."""
    return every(LOGIN, 200, 403, 200) + list(extra)


# (method, path) of every route -> [(who, expected status or LOGIN, path parameters)].
# Parameters default to member A's: its code, its upload, its current submission.
EXPECTED: dict[tuple[str, str], list[tuple]] = {
    ("GET", "/"): every(LOGIN, 303, 303, 303),
    ("GET", "/healthz"): every(200, 200, 200, 200),
    ("GET", "/favicon.ico"): every(204, 204, 204, 204),
    ("GET", "/login"): every(200, 200, 200, 200),
    ("POST", "/login"): every(LOGIN, 303, 303, 303),
    ("POST", "/logout"): every(LOGIN, 303, 303, 303),
    ("GET", "/lang/{lang}"): every(303, 303, 303, 303),
    ("GET", "/account"): every(LOGIN, 200, 200, 200),
    ("POST", "/account/password"): every(LOGIN, 303, 303, 303),
    ("GET", "/members"): every(LOGIN, 403, 403, 200),
    ("GET", "/audit"): every(LOGIN, 403, 403, 200),
    ("GET", "/m/{code}"): member_page(
        (B, 200, {"code": "B"}), (A, 403, {"code": "B"}), (A, 403, {"code": UNKNOWN_CODE}),
        (SEC, 404, {"code": UNKNOWN_CODE})),
    ("GET", "/m/{code}/template/{dataset}.xlsx"): member_page(
        (B, 200, {"code": "B"}), (A, 404, {"dataset": "no_such_dataset"}),
        (B, 404, {"code": "B", "dataset": NOT_B}), (SEC, 404, {"code": "B", "dataset": NOT_B}),
        (SEC, 404, {"code": UNKNOWN_CODE})),
    ("POST", "/m/{code}/upload"): every(LOGIN, 303, 403, 303) + [
        (SEC, 404, {"code": UNKNOWN_CODE})],
    # A's upload or submission under B's own code is not B's: 404, as for an unknown id.
    ("GET", "/m/{code}/uploads/{upload_id}"): member_page(
        (A, 404, {"upload_id": "no-such-upload"}), (B, 404, {"code": "B"}),
        (SEC, 404, {"code": "B"})),
    ("GET", "/m/{code}/uploads/{upload_id}/errors.xlsx"): member_page(
        (A, 404, {"upload_id": "no-such-upload"}), (B, 404, {"code": "B"}),
        (SEC, 404, {"code": "B"})),
    ("POST", "/m/{code}/uploads/{upload_id}/submit"): every(LOGIN, 303, 403, 303) + [
        (A, 404, {"upload_id": "no-such-upload"}), (B, 404, {"code": "B"}),
        (SEC, 404, {"code": "B"})],
    ("GET", "/m/{code}/history"): member_page(
        (B, 200, {"code": "B"}), (SEC, 404, {"code": UNKNOWN_CODE})),
    ("GET", "/m/{code}/submissions/{submission_id}"): member_page(
        (A, 404, {"submission_id": "no-such-submission"}), (B, 404, {"code": "B"}),
        (SEC, 404, {"code": "B"})),
    ("GET", "/m/{code}/submissions/{submission_id}/file"): member_page(
        (A, 404, {"submission_id": "no-such-submission"}), (B, 404, {"code": "B"}),
        (SEC, 404, {"code": "B"})),
    ("GET", "/m/{code}/figures"): member_page(
        (B, 200, {"code": "B"}), (SEC, 404, {"code": UNKNOWN_CODE})),
    # The API names the municipality in the body ({code} here): the file re-sent is A's
    # current one, so /submissions answers 200 (duplicate) and records nothing new. An
    # unknown code is the validator's verdict (unknown_municipality), as `validate --json`.
    ("POST", "/api/v1/validate"): every(401, 200, 403, 200) + [
        (B, 200, {"code": "B"}), (SEC, 200, {"code": UNKNOWN_CODE})],
    ("POST", "/api/v1/submissions"): every(401, 200, 403, 200) + [
        (SEC, 422, {"code": UNKNOWN_CODE})],
    ("GET", "/api/v1/status"): every(401, 200, 200, 200),
    # The secretariat's console: a member reaches none of it. The secretariat's requests
    # here change nothing: no such job or release, an empty reason (refused); the one
    # build it queues finds nothing new.
    ("GET", "/members/late.csv"): every(LOGIN, 403, 403, 200),
    ("GET", "/console/build"): every(LOGIN, 403, 403, 200),
    ("POST", "/console/build"): every(LOGIN, 403, 403, 303),
    ("GET", "/console/jobs/{job_id}"): every(LOGIN, 403, 403, 404),
    ("GET", "/console/review"): every(LOGIN, 403, 403, 200),
    ("POST", "/console/acknowledge"): every(LOGIN, 403, 403, 422),  # no reason: refused
    ("GET", "/console/releases"): every(LOGIN, 403, 403, 200),
    ("POST", "/console/releases/{release_id}/approve"): every(LOGIN, 403, 403, 303),
    ("POST", "/console/releases/{release_id}/reject"): every(LOGIN, 403, 403, 303),
    ("POST", "/console/releases/{release_id}/rollback"): every(LOGIN, 403, 403, 303),
    ("GET", "/console/preview/{release_id}/{page:path}"): every(LOGIN, 403, 403, 404),
}


def app_routes(home: Path) -> tuple[set[tuple[str, str]], list[str]]:
    """(method, path) of every APIRoute of the app, and the paths of anything else."""
    from orchestration.portal.app import create_app

    before = os.environ.get(HOME_ENV)
    try:
        app = create_app(Home(home))
    finally:  # create_app points the process at the home; this process is a test runner
        if before is None:
            os.environ.pop(HOME_ENV, None)
        else:
            os.environ[HOME_ENV] = before
    # Since FastAPI 0.16x an included router stays one lazy entry of app.routes; its routes,
    # with the prefix, come from iter_route_contexts.
    flat = iter_route_contexts(app.routes) if iter_route_contexts else app.routes
    routes, others = set(), []
    for route in flat:
        if isinstance(getattr(route, "original_route", route), APIRoute):
            routes |= {(method, route.path) for method in route.methods}
        else:
            others.append(route.path)
    return routes, others


def _params(site: Site, overrides: dict) -> dict | None:
    """The case's path parameters; None when this area has nothing to fill one with."""
    params = {"code": site.code_a, "upload_id": site.a_upload, "submission_id": site.a_submission,
              "dataset": site.dataset, "lang": "ja", "job_id": "no-such-job",
              "release_id": "20990101T000000Z-000000000000", "page": "index.html"} | overrides
    if params["code"] == "B":
        params["code"] = site.code_b
    if params["dataset"] == NOT_B:
        params["dataset"] = _not_submitted_by(site.home, site.code_b)
    return params if params["dataset"] else None


def fill(template: str, params: dict) -> str:
    """The route's path with its parameters (``{page:path}`` takes any text)."""
    return template.replace(":path}", "}").format(**params)


def _not_submitted_by(home: Path, code: str) -> str | None:
    area = area_for(Home(home))
    return next((d for d in area.datasets
                 if area.dataset_submitters(d) and code not in area.dataset_submitters(d)), None)


def _request(site: Site, who: str, method: str, template: str, params: dict) -> httpx.Response:
    path = fill(template, params)
    if method == "GET":
        return site.clients[who].get(path)
    if template in ("/login", "/logout"):
        return _fresh_session_post(site, who, path)
    client = site.clients[who]
    data, headers, files = {}, {}, None
    if who != ANON:  # a valid token: a 403 below comes from the access rule, not the CSRF check
        if template.startswith("/api/"):
            headers["X-CSRF-Token"] = client.csrf
        else:
            data["csrf_token"] = client.csrf
    if template.endswith("/upload") or template.startswith("/api/"):
        files = {"file": (site.a_file_name, site.a_file, XLSX)}
        data["dataset"] = site.dataset
    if template.startswith("/api/"):
        data["municipality"] = params["code"]
    return client.post(path, data=data, headers=headers, files=files)


def _fresh_session_post(site: Site, who: str, path: str) -> httpx.Response:
    """Logging in or out changes the client's session: use a client of its own."""
    if who == ANON:  # no form token at all
        return httpx.post(site.base + path, data={"email": "x@example.jp", "password": "x" * 12})
    if path == "/logout":
        client = visitor(site.base, site.accounts[who])
        try:
            return client.post(path, data={"csrf_token": client.csrf})
        finally:
            client.close()
    return run_login(site.base, site.accounts[who])


def test_every_route_of_the_app_has_an_expectation_for_each_role(site):
    routes, others = app_routes(site.home)
    missing = sorted(routes - EXPECTED.keys())
    assert not missing, f"routes without an access expectation in this test: {missing}"
    assert not sorted(EXPECTED.keys() - routes), "expectations for routes the app lacks"
    assert others == ["/static"], f"routes that are not FastAPI routes: {others}"
    static = ROOT / "orchestration" / "portal" / "static"
    for asset in static.iterdir():  # public to everyone: the login page needs them
        assert httpx.get(f"{site.base}/static/{asset.name}").status_code == 200, asset.name
    for (method, path), cases in EXPECTED.items():
        assert {who for who, _, over in cases if not over} == {ANON, A, B, SEC}, (method, path)


def test_every_route_answers_each_role_as_the_table_says(site):
    failures, denied = [], []
    for (method, template), cases in EXPECTED.items():
        for who, expected, overrides in cases:
            params = _params(site, overrides)
            if params is None:  # e.g. every member submits every dataset of this area
                continue
            answer = _request(site, who, method, template, params)
            path = fill(template, params)
            status = 303 if expected == LOGIN else expected
            if answer.status_code != status:
                failures.append(f"{who} {method} {path}: {answer.status_code} != {status} "
                                f"{answer.text[:200]}")
                continue
            location = answer.headers.get("location", "")
            if expected == LOGIN and not location.startswith("/login"):
                failures.append(f"{who} {method} {path}: redirected to {location}, not /login")
            if expected == 403:
                assert not csrf_refusal(answer.text), f"{who} {method} {path}: a CSRF refusal"
                denied.append((site.accounts[who].email, path))
            if expected == 401:
                assert answer.headers.get("www-authenticate") == "Bearer", path
    assert not failures, "\n".join(failures)
    logged = {(e["actor"], (e["target"] or "").split(" ")[0]) for e in site.audit("denied")}
    assert set(denied) <= logged, f"403s not in the audit log: {set(denied) - logged}"


def test_the_login_redirect_keeps_the_refused_path_as_text(site):
    answer = site.clients[ANON].get(f"/m/{site.code_a}&error=locked")
    assert answer.status_code == 303
    assert answer.headers["location"] == f"/login?next=/m/{site.code_a}%26error%3Dlocked"
    page = site.clients[ANON].get(answer.headers["location"]).text
    assert not any(m.ja in page for m in LOGIN_REFUSALS.values())


def test_member_b_is_refused_every_page_of_member_a_that_the_secretariat_sees(site):
    pages = [f"/m/{site.code_a}", f"/m/{site.code_a}/template/{site.dataset}.xlsx",
             f"/m/{site.code_a}/uploads/{site.a_upload}",
             f"/m/{site.code_a}/uploads/{site.a_upload}/errors.xlsx",
             f"/m/{site.code_a}/submissions/{site.a_submission}",
             f"/m/{site.code_a}/submissions/{site.a_submission}/file",
             f"/m/{site.code_a}/figures", f"/m/{site.code_a}/history"]
    for page in pages:
        refused = site.clients[B].get(page)
        assert refused.status_code == 403, page
        assert site.accounts[A].email not in refused.text
        assert site.clients[SEC].get(page).status_code == 200, page
    downloaded = site.clients[SEC].get(pages[5])
    assert downloaded.content == site.a_file
    assert downloaded.headers["content-disposition"].startswith("attachment")


def test_a_post_without_or_with_a_wrong_csrf_token_is_refused_and_records_nothing(site):
    client = site.clients[A]
    before = (site.count("uploads"), len(site.audit("upload")), len(site.audit("submission")),
              site.stored_uploads(), len(site.ledger()))
    posts = [(f"/m/{site.code_a}/upload", True),
             (f"/m/{site.code_a}/uploads/{site.a_upload}/submit", False),
             ("/account/password", False), ("/logout", False)]
    for path, with_file in posts:
        for token in (None, "forged-" + client.csrf[7:], ""):
            data = {"dataset": site.dataset, "current": PASSWORD, "new": "x" * 20,
                    "confirm": "x" * 20}
            if token is not None:
                data["csrf_token"] = token
            files = {"file": (site.a_file_name, site.a_file, XLSX)} if with_file else None
            answer = client.post(path, data=data, files=files)
            assert answer.status_code == 403 and csrf_refusal(answer.text), (path, token)
    for headers in ({}, {"X-CSRF-Token": "forged"}):
        answer = client.post("/api/v1/validate", headers=headers,
                             data={"municipality": site.code_a, "dataset": site.dataset},
                             files={"file": (site.a_file_name, site.a_file, XLSX)})
        assert answer.status_code == 403 and answer.json()["error"] == "csrf", headers
    after = (site.count("uploads"), len(site.audit("upload")), len(site.audit("submission")),
             site.stored_uploads(), len(site.ledger()))
    assert after == before
    assert client.get("/account").status_code == 200  # no logout, no password change happened
    assert run_login(site.base, site.accounts[A]).status_code == 303  # password unchanged


# ------------------------------------------------------------- 2. the JSON API


def run_login(base: str, account: Account, password: str | None = None) -> httpx.Response:
    client = visitor(base)
    try:
        return client.post("/login", data={
            "email": account.email, "password": password or account.password,
            "csrf_token": client.form_token("/login"), "next": "/"})
    finally:
        client.close()


def _variant(xlsx: bytes, *, bad_value: bool = False, mark: str = "") -> bytes:
    """A's file with other bytes: the same rows (a new accepted file), or the first number
    after the header replaced by text (a rejected file with one cell error)."""
    book = openpyxl.load_workbook(io.BytesIO(xlsx))
    book.properties.title = f"portal access test {mark}"
    if bad_value:
        sheet = book.worksheets[0]
        cell = next(c for row in sheet.iter_rows(min_row=2) for c in row
                    if isinstance(c.value, int | float))
        cell.value = "abc"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _api(site: Site, route: str, content: bytes, token: str | None, code: str,
         name: str = "api.xlsx") -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.post(f"{site.base}/api/v1/{route}", headers=headers, timeout=60,
                      data={"municipality": code, "dataset": site.dataset},
                      files={"file": (name, content, XLSX)})


def test_api_validate_gives_the_same_json_as_the_cli(site, tmp_path):
    token = site.token(site.accounts[A].email)
    for name, content, accepted in (
            ("good.xlsx", site.a_file, True),
            ("bad.xlsx", _variant(site.a_file, bad_value=True, mark="validate"), False)):
        answer = _api(site, "validate", content, token, site.code_a, name=name)
        assert answer.status_code == 200, answer.text
        path = tmp_path / name
        path.write_bytes(content)
        cli = run_cli("validate", str(path), "--municipality", site.code_a, "--dataset",
                      site.dataset, "--json", home=site.home)
        expected, got = json.loads(cli.stdout), answer.json()
        assert got.keys() == expected.keys()
        assert got == expected, name  # the same validator: the same verdict, field by field
        assert got["accepted"] is accepted and got["checked_only"] and not got["recorded"]
        assert accepted or any(p["row"] and p["column"] and p["raw"] == "abc"
                               for p in got["problems"])


def test_api_submissions_201_accepted_422_rejected_200_duplicate(site):
    token = site.token(site.accounts[A].email)
    before = len(site.ledger())
    new = _variant(site.a_file, mark="accepted")
    accepted = _api(site, "submissions", new, token, site.code_a)
    assert accepted.status_code == 201, accepted.text
    body = accepted.json()
    assert body["accepted"] and body["recorded"] and body["submission_id"]
    assert len(site.ledger()) == before + 1
    assert site.ledger()[-1].submission_id == body["submission_id"]

    again = _api(site, "submissions", new, token, site.code_a)
    assert again.status_code == 200, again.text
    assert again.json()["duplicate_of"] == body["submission_id"]
    assert len(site.ledger()) == before + 1  # nothing new recorded

    rejected = _api(site, "submissions", _variant(site.a_file, bad_value=True, mark="422"),
                    token, site.code_a)
    assert rejected.status_code == 422, rejected.text
    errors = [p for p in rejected.json()["problems"] if p["severity"] == "error"]
    assert errors and all(p["row"] and p["column"] for p in errors)
    assert any(p["raw"] == "abc" for p in errors)
    assert site.ledger()[-1].outcome == "rejected"  # kept as `kurume-hub submit` keeps it


def test_api_without_or_with_a_bad_token_is_401_with_www_authenticate(site):
    for route in ("validate", "submissions"):  # credentials first, then the form
        empty = httpx.post(f"{site.base}/api/v1/{route}")
        assert empty.status_code == 401 and empty.headers["www-authenticate"] == "Bearer"
    for token in (None, "khp_not-a-token", "garbage"):
        for route in ("validate", "submissions"):
            answer = _api(site, route, site.a_file, token, site.code_a)
            assert answer.status_code == 401, (route, token)
            assert answer.headers["www-authenticate"] == "Bearer"
            assert answer.json()["error"] == "unauthorized"
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        status = httpx.get(f"{site.base}/api/v1/status", headers=headers)
        assert status.status_code == 401 and status.headers["www-authenticate"] == "Bearer"


def test_api_member_naming_another_municipality_is_403_and_stores_nothing(site):
    token = site.token(site.accounts[A].email)
    before = (len(site.ledger()), site.stored_uploads(), site.count("uploads"))
    for route in ("validate", "submissions"):
        answer = _api(site, route, site.a_file, token, site.code_b)
        assert answer.status_code == 403, answer.text
        assert answer.json()["error"] == "forbidden"
    assert (len(site.ledger()), site.stored_uploads(), site.count("uploads")) == before
    denied = [e for e in site.audit("denied") if e["actor"] == site.accounts[A].email]
    assert any(e["target"] == f"/api/v1/submissions {site.code_b}" for e in denied)


def test_api_status_member_sees_its_own_code_the_secretariat_every_member(site):
    member = httpx.get(f"{site.base}/api/v1/status",
                       headers={"Authorization": f"Bearer {site.token(site.accounts[A].email)}"})
    assert member.status_code == 200
    assert list(member.json()["members"]) == [site.code_a]
    office = httpx.get(f"{site.base}/api/v1/status", headers={
        "Authorization": f"Bearer {site.token(site.accounts[SEC].email)}"})
    assert office.status_code == 200
    codes = [m.code for m in area_for(Home(site.home)).members]
    assert sorted(office.json()["members"]) == sorted(codes)


def test_api_with_the_session_cookie_needs_the_csrf_header(site):
    client = site.clients[A]
    args = {"data": {"municipality": site.code_a, "dataset": site.dataset}}
    refused = client.post("/api/v1/validate", **args,
                          files={"file": (site.a_file_name, site.a_file, XLSX)})
    assert refused.status_code == 403 and refused.json()["error"] == "csrf"
    allowed = client.post("/api/v1/validate", **args, headers={"X-CSRF-Token": client.csrf},
                          files={"file": (site.a_file_name, site.a_file, XLSX)})
    assert allowed.status_code == 200 and allowed.json()["accepted"] is True


# ---------------------------------------------------------------- 3. accounts


def _state_bytes(site: Site) -> bytes:
    folder = site.home / "portal"
    return b"".join(p.read_bytes() for p in sorted(folder.glob("portal.sqlite3*")))


def test_passwords_are_argon2id_hashes_and_tokens_only_sha256(site):
    token = site.token(site.accounts[B].email)
    with site.db() as db:
        hashes = [r[0] for r in db.execute("SELECT password_hash FROM users")]
        token_hashes = {r[0] for r in db.execute("SELECT token_sha256 FROM api_tokens")}
    assert hashes and all(h.startswith("$argon2id$") for h in hashes)
    assert hashlib.sha256(token.encode()).hexdigest() in token_hashes
    state = _state_bytes(site)
    assert PASSWORD.encode() not in state
    assert token.encode() not in state
    assert token.removeprefix("khp_").encode() not in state


def test_session_cookie_is_httponly_samesite_and_signed(site):
    client = visitor(site.base)
    answer = client.post("/login", data={
        "email": site.accounts[A].email, "password": PASSWORD,
        "csrf_token": client.form_token("/login"), "next": "/"})
    cookie = next(c for c in answer.headers.get_list("set-cookie")
                  if c.startswith("kh_session="))
    value = client.cookies["kh_session"]
    client.close()
    flags = {part.strip().lower() for part in cookie.split(";")[1:]}
    assert "httponly" in flags and "samesite=lax" in flags and "path=/" in flags
    assert client_with(site, value).get("/account").status_code == 200
    tampered = value[:-2] + ("AA" if not value.endswith("AA") else "BB")
    for forged in (tampered, value.split(".")[0], "x" + value):
        assert client_with(site, forged).get("/account").status_code == 303  # anonymous
        assert client_with(site, forged).get(f"/m/{site.code_a}").headers["location"] \
            .startswith("/login")


def client_with(site: Site, session_cookie: str) -> httpx.Client:
    return httpx.Client(base_url=site.base, cookies={"kh_session": session_cookie},
                        follow_redirects=False)


def test_five_wrong_passwords_lock_the_account_until_the_secretariat_resets_it(site):
    account = site.add_account("locked@member.example")
    for _ in range(5):
        wrong = run_login(site.base, account, "not the password at all")
        assert "error=bad_credentials" in wrong.headers["location"]
    locked = run_login(site.base, account)
    assert "error=locked" in locked.headers["location"]
    page = httpx.get(site.base + locked.headers["location"]).text
    assert "ロックされています" in page
    failed = [e for e in site.audit("login_failed") if e["actor"] == account.email]
    assert [e["outcome"] for e in failed] == ["bad_credentials"] * 5 + ["locked"]

    site.cli("users", "password", account.email, "--password-stdin",
             input="a brand new password\n")
    assert "error" not in run_login(site.base, account, "a brand new password").headers["location"]
    assert "error=bad_credentials" in run_login(site.base, account).headers["location"]


def test_logout_ends_the_session_and_the_old_cookie_no_longer_works(site):
    client = visitor(site.base, site.accounts[A])
    cookie = client.cookies["kh_session"]
    out = client.post("/logout", data={"csrf_token": client.csrf})
    assert out.status_code == 303 and out.headers["location"] == "/login"
    assert client_with(site, cookie).get("/account").status_code == 303
    assert site.clients[A].get("/account").status_code == 200  # other sessions stay


def test_a_password_change_ends_the_accounts_other_sessions(site):
    account = site.add_account("changer@member.example")
    here, elsewhere = visitor(site.base, account), visitor(site.base, account)
    new = "another long password"
    changed = here.post("/account/password", data={
        "current": PASSWORD, "new": new, "confirm": new, "csrf_token": here.csrf})
    assert changed.headers["location"] == "/account?done=1"
    assert here.get("/account").status_code == 200  # this device gets a new session
    assert elsewhere.get("/account").status_code == 303
    assert "error=bad_credentials" in run_login(site.base, account).headers["location"]
    assert "error" not in run_login(site.base, account, new).headers["location"]


def test_a_disabled_account_cannot_log_in_and_its_token_stops_working(site):
    account = site.add_account("leaver@member.example")
    token = site.token(account.email)
    session = visitor(site.base, account)
    bearer = {"Authorization": f"Bearer {token}"}
    assert httpx.get(f"{site.base}/api/v1/status", headers=bearer).status_code == 200
    site.cli("users", "disable", account.email)
    assert "error=disabled" in run_login(site.base, account).headers["location"]
    assert httpx.get(f"{site.base}/api/v1/status", headers=bearer).status_code == 401
    assert _api(site, "validate", site.a_file, token, site.code_a).status_code == 401
    assert session.get("/account").status_code == 303  # its open session ended too
    site.cli("users", "enable", account.email)
    assert httpx.get(f"{site.base}/api/v1/status", headers=bearer).status_code == 401  # revoked


def test_the_audit_log_is_append_only_and_records_each_kind_of_event(site):
    run_login(site.base, site.accounts[B], "wrong password, once")
    token = site.token(site.accounts[A].email)
    _api(site, "submissions", site.a_file, token, site.code_a)  # token_use + submission
    site.clients[B].get(f"/m/{site.code_a}")  # denied
    visitor(site.base, site.accounts[B]).close()  # login
    # upload: made by the module's fixture through the upload form
    events = {e["event"] for e in site.audit()}
    assert {"login", "login_failed", "upload", "submission", "denied", "token_use"} <= events
    rows = site.count("audit")
    with site.db() as db:
        for statement in ("UPDATE audit SET event = 'login' WHERE event = 'denied'",
                          "DELETE FROM audit", "DELETE FROM audit WHERE seq = 1"):
            with pytest.raises(sqlite3.Error, match="append-only"):
                db.execute(statement)
    assert site.count("audit") == rows
    page = site.clients[SEC].get("/audit?event=denied")
    assert page.status_code == 200 and site.accounts[B].email in page.text


# ----------------------------------------------------------------- 4. fast path

HEAVY = ("dagster", "dbt", "great_expectations")


def test_the_portal_app_imports_none_of_the_pipeline_and_how_long_it_takes():
    code = ("import sys, json, orchestration.portal.app, orchestration.portal.pages, "
            "orchestration.portal.api\n"
            f"print(json.dumps(sorted({{m.split('.')[0] for m in sys.modules}} & set({HEAVY!r}))))")
    env = {**os.environ, "PYTHONUTF8": "1"}
    env.pop(HOME_ENV, None)
    started = time.perf_counter()
    result = subprocess.run([sys.executable, "-X", "importtime", "-c", code], cwd=ROOT,
                            env=env, capture_output=True, text=True, check=True)
    seconds = time.perf_counter() - started
    assert json.loads(result.stdout) == [], result.stdout
    # -X importtime: "import time: self [us] | cumulative | name"; the app's own line.
    cumulative = {m.group(2).strip(): int(m.group(1)) for m in re.finditer(
        r"import time:\s+\d+ \|\s+(\d+) \|(.+)", result.stderr)}
    modules = ("orchestration.portal.app", "orchestration.portal.pages", "orchestration.portal.api")
    own = ", ".join(f"{m} {cumulative.get(m, 0) / 1000:.0f} ms" for m in modules)
    print(f"\nportal import: {seconds:.2f} s for the whole process; cumulative: {own}")
    assert seconds < 30

