"""The secretariat's console over HTTP (a real ``kurume-hub serve``): the rules a browser test
does not check. Who is late (the CSV for the reminder mail), the job queue (one at a time,
waiting for a build started elsewhere), rejecting, rolling back, acknowledging and the
preview, and that a member's POSTs change nothing.

Builds are slow, so one home is shared by the release tests, in order: a console build
leaves release P1 pending (tests 2-6 use it), test 6 rejects it, test 7 builds P2, approves
it and rolls back to the demo's release. Three builds in all (the demo, P1, P2).
"""

from __future__ import annotations

import csv
import html
import io
import json
import os
import re
import shutil
import sqlite3
import time
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import parse_qs, urlsplit

import pytest

from orchestration.area import area_for
from orchestration.home import Home
from orchestration.intake.messages import VAGUE_REASON
from orchestration.publication.approval import list_releases
from orchestration.quality import acknowledgements
from orchestration.recovery import holding_build_lock
from tests.conftest import ROOT, run_cli
from tests.integration.test_publication import _ogori_tourism
from tests.portal import Visitor, add_accounts, portal_server, require_approval, visitor

SAMPLES = ROOT / "sources" / "areas" / "kurume" / "samples"
LATE_HEADER = ["団体コード", "団体名", "データセット", "データセット名", "状態", "期限超過の期間",
               "期限", "超過日数", "最終受付日時 (UTC)"]
FINISHED = {"published", "awaiting_approval", "unchanged", "blocked", "failed", "done",
            "interrupted"}
JOB_STATE = re.compile(r'id="job-state" data-state="([a-z_]+)"')
STAGE = re.compile(r'data-stage="([a-z]+)" data-status="([a-z]+)"')
REASON = "小郡市に確認済み: 大型イベントで観光客が増えたため"


# ------------------------------------------------------------------ helpers


def _db(home: Path) -> sqlite3.Connection:
    db = sqlite3.connect(home / "portal" / "portal.sqlite3", timeout=15)
    db.row_factory = sqlite3.Row
    return db


def _jobs(home: Path) -> list[dict]:
    with _db(home) as db:
        return [dict(r) for r in db.execute("SELECT * FROM jobs ORDER BY rowid")]


def _job(home: Path, job_id: str) -> dict:
    return next(j for j in _jobs(home) if j["job_id"] == job_id)


def _audit(home: Path, event: str) -> list[dict]:
    with _db(home) as db:
        return [dict(r) for r in db.execute("SELECT * FROM audit WHERE event = ? ORDER BY seq",
                                            (event,))]


def _bytes(path: Path) -> bytes | None:
    return path.read_bytes() if path.exists() else None


def _decisions(home: Path) -> list[dict]:
    path = home / "releases" / "decisions.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]


def _latest(home: Path) -> str:
    return os.readlink(home / "releases" / "latest")


def _pending_ids(home: Path) -> list[str]:
    folder = home / "releases" / "pending"
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def _public_state(home: Path) -> tuple[str, bytes]:
    return _latest(home), (home / "site" / "index.html").read_bytes()


def _job_id(answer) -> str:
    assert answer.status_code == 303, (answer.status_code, answer.text[:500])
    location = answer.headers["location"]
    assert location.startswith("/console/jobs/"), location
    return location.rsplit("/", 1)[1]


def _state(client: Visitor, job_id: str) -> tuple[str, str]:
    page = client.get(f"/console/jobs/{job_id}")
    assert page.status_code == 200, page.status_code
    found = JOB_STATE.search(page.text)
    assert found, page.text[:2000]
    return found.group(1), page.text


def _wait_job(client: Visitor, job_id: str, timeout: float = 600) -> tuple[str, str]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        state, text = _state(client, job_id)
        if state in FINISHED:
            return state, text
        time.sleep(0.5)
    raise AssertionError(f"job {job_id} did not finish within {timeout} s: {state}")


def _messages(page: str) -> str:
    found = re.search(r'<pre class="messages">(.*?)</pre>', page, re.S)
    return html.unescape(re.sub(r"<[^>]+>", "", found.group(1))) if found else ""


def _alert(page: str) -> str:
    found = re.search(r'<p class="alert error" role="alert">(.*?)</p>', page, re.S)
    assert found, "no error shown"
    return html.unescape(found.group(1)).strip()


def _query(answer) -> dict[str, list[str]]:
    assert answer.status_code == 303, answer.status_code
    return parse_qs(urlsplit(answer.headers["location"]).query)


def _cli_runs(home: Path) -> dict[str, object]:
    """The home's Dagster runs started by ``kurume-hub build`` (run id -> status)."""
    from dagster import RunsFilter

    from orchestration.home import Home
    from orchestration.pipeline import prepare_instance

    with prepare_instance(Home(home)) as instance:
        runs = instance.get_runs(filters=RunsFilter(tags={"kurume/entry_point": "cli"}))
        return {r.run_id: r.status for r in runs}


# ------------------------------------------------------------------ 1. late members CSV


@pytest.fixture(scope="module")
def late_site(tmp_path_factory):
    """A home without a build: every sample submitted except member B's tourism file, and
    member A's last tourism file refused (so B is overdue and A's dataset is returned)."""
    from orchestration.intake.submissions import submit_file

    home = tmp_path_factory.mktemp("late") / "home"
    run_cli("init", home=home, check=True)
    accounts = add_accounts(home)
    code_b = accounts["member_b"].municipality
    skipped = next(SAMPLES.glob(f"{code_b}/tourism_visitors.*"))
    for path in sorted(SAMPLES.rglob("*")):
        if path.suffix in (".xlsx", ".csv") and path != skipped and path.parent.name.isdigit():
            result = submit_file(Home(home), path, path.parent.name, None, submitter="test")
            assert result.accepted, path
    with portal_server(home) as base:
        yield SimpleNamespace(base=base, home=home, accounts=accounts)


def test_late_members_csv_lists_overdue_and_returned_as_the_status_api_does(late_site):
    home, accounts = late_site.home, late_site.accounts
    code_a, code_b = accounts["member_a"].municipality, accounts["member_b"].municipality
    member_a = visitor(late_site.base, accounts["member_a"])
    bad = "年,観光入込客数（人）,備考\n2025,たくさん,\n".encode()
    refused = member_a.post("/api/v1/submissions", headers={"x-csrf-token": member_a.csrf},
                            data={"municipality": code_a, "dataset": "tourism_visitors"},
                            files={"file": ("tourism.csv", bad, "text/csv")})
    assert refused.status_code == 422, refused.text

    office = visitor(late_site.base, accounts["secretariat"])
    answer = office.get("/members/late.csv")

    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/csv")
    assert answer.headers["content-disposition"].startswith("attachment;")
    assert answer.content.startswith(b"\xef\xbb\xbf")  # the BOM: Excel reads UTF-8
    rows = list(csv.reader(io.StringIO(answer.content.decode("utf-8-sig"), newline="")))
    assert rows[0] == LATE_HEADER
    table = {(r[0], r[2]): r for r in rows[1:]}
    area = area_for(Home(home))

    late = table[(code_b, "tourism_visitors")]
    assert late[0] == code_b  # the code as typed, text (no 40212.0, no lost digits)
    assert late[1] == area.member(code_b).name_ja and late[4] == "期限超過"
    assert late[5] and int(late[7]) > 0 and late[8] == ""  # never received: no date
    returned = table[(code_a, "tourism_visitors")]
    assert returned[4] == "差し戻し" and returned[8]

    # The same data as the status API: one row per overdue or returned dataset, same facts.
    status = office.get("/api/v1/status").json()["members"]
    expected = {(code, s["dataset"]): s for code, items in status.items() for s in items
                if s["state"] in ("overdue", "returned")}
    assert set(table) == set(expected) == {(code_b, "tourism_visitors"),
                                           (code_a, "tourism_visitors")}
    for key, s in expected.items():
        row = table[key]
        assert (row[4], row[5], row[6], int(row[7]), row[8]) == (
            s["state_label"], " ".join(s["overdue_periods"]), s["deadline"] or "",
            s["days_late"], s["last_received_at"] or "")

    for name in ("member_a", "member_b"):
        assert visitor(late_site.base, accounts[name]).get("/members/late.csv").status_code == 403
    anonymous = visitor(late_site.base).get("/members/late.csv")
    assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/login")


# ------------------------------------------------------------------ the shared release home


@pytest.fixture(scope="module")
def site(demo_home: Path, tmp_path_factory):
    """A copy of the demo home with approval required and a new tourism file from the third
    member, served; ``r0`` is the demo's published release, ``p1`` set by the queue test."""
    home = tmp_path_factory.mktemp("console") / "home"
    shutil.copytree(demo_home, home, symlinks=True)
    require_approval(home)
    accounts = add_accounts(home)
    code = area_for(Home(home)).member_codes[2]
    resend = _ogori_tourism(home.parent / "tourism.xlsx", 815_000)
    run_cli("submit", str(resend), "--municipality", code, home=home, check=True)
    with portal_server(home) as base:
        yield SimpleNamespace(
            base=base, home=home, accounts=accounts, r0=_latest(home), p1=None,
            office=visitor(base, accounts["secretariat"]),
            member=visitor(base, accounts["member_a"]), runs_before=_cli_runs(home))


# ------------------------------------------------------------------ 2. the queue


def test_jobs_wait_for_a_cli_build_then_run_one_at_a_time(site):
    home, office = site.home, site.office
    with holding_build_lock(Home(home)) as free:  # a `kurume-hub build` in a terminal
        assert free
        first = _job_id(office.post("/console/build", data={"csrf_token": office.csrf}))
        second = _job_id(office.post("/console/build", data={"csrf_token": office.csrf}))
        time.sleep(2)  # the worker looks every 0.25 s: it had its chances to start one
        assert _state(office, first)[0] == "waiting"
        assert _state(office, second)[0] == "waiting"
        assert [(j["state"], j["started_at"]) for j in _jobs(home)] == [("queued", None)] * 2

    # Lock released: the first runs; the second stays queued behind it.
    deadline = time.monotonic() + 60
    while _job(home, first)["state"] == "queued":
        assert time.monotonic() < deadline, "the first job never started"
        time.sleep(0.2)
    assert _job(home, second)["state"] == "queued"
    assert _state(office, second)[0] in ("queued", "waiting")

    state, page = _wait_job(office, first)
    assert state == "awaiting_approval", _messages(page)
    (site.p1,) = _pending_ids(home)
    assert dict(STAGE.findall(page)) == {"intake": "done", "dbt": "done", "gate": "passed",
                                         "publish": "done", "dashboard": "done"}
    assert site.p1 in _messages(page) and 'href="/console/review"' in page
    assert _latest(home) == site.r0  # approval required: the public site waits

    state, page = _wait_job(office, second)
    a, b = _job(home, first), _job(home, second)
    assert (a["exit_code"], b["exit_code"]) == (0, 0)
    assert b["started_at"] >= a["finished_at"]  # one at a time
    # Nothing new since the first: no stage ran, the same release still waits. The page
    # says nothing changed, names the release that waits and links to its review.
    assert set(dict(STAGE.findall(page)).values()) == {"pending"}
    assert "変更はありません" in _messages(page) and site.p1 in _messages(page)
    assert state == "unchanged" and 'href="/console/review"' in page
    assert _pending_ids(home) == [site.p1]

    from dagster import DagsterRunStatus

    new_runs = {k: v for k, v in _cli_runs(home).items() if k not in site.runs_before}
    assert list(new_runs.values()) == [DagsterRunStatus.SUCCESS]  # the second ran no run
    requested = _audit(home, "build_requested")
    assert [(r["target"], r["actor"]) for r in requested] == [
        (first, site.accounts["secretariat"].email), (second, site.accounts["secretariat"].email)]


# ------------------------------------------------------------------ 3. preview


def test_preview_is_the_secretariats_and_stays_inside_its_folder(site):
    home, office, p1 = site.home, site.office, site.p1
    assert p1, "needs the pending release of the queue test"
    page = office.get(f"/console/preview/{p1}/index.html")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    csp = page.headers["content-security-policy"]
    assert "script-src 'self' 'unsafe-inline'" in csp
    assert csp != office.get("/console/releases").headers["content-security-policy"]
    assert page.headers["x-robots-tag"] == "noindex"
    assert office.get(f"/console/preview/{p1}/release/datapackage.json").status_code == 200

    assert site.member.get(f"/console/preview/{p1}/index.html").status_code == 403
    anonymous = visitor(site.base).get(f"/console/preview/{p1}/index.html")
    assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/login")

    outside = home / "portal" / "portal.sqlite3"  # the accounts: must never be served
    (home / "preview" / p1 / "leak.html").symlink_to(outside)
    for path in ("leak.html", "%2e%2e/%2e%2e/portal/portal.sqlite3",
                 "release/%2e%2e/%2e%2e/%2e%2e/portal/portal.sqlite3", "..%2f..%2fportal%2fportal.sqlite3",
                 "%2Fetc%2Fpasswd", "/etc/passwd", "release//etc/passwd", "no-such-page.html"):
        answer = office.get(f"/console/preview/{p1}/{path}")
        assert answer.status_code == 404, (path, answer.status_code)
    assert office.get(f"/console/preview/{site.r0}/index.html").status_code == 404  # published
    assert office.get("/console/preview/20990101T000000Z-0/index.html").status_code == 404
    (home / "preview" / p1 / "leak.html").unlink()


# ------------------------------------------------------------------ 4. a member's POSTs


def test_a_members_console_posts_are_refused_and_change_nothing(site):
    home, member, p1 = site.home, site.member, site.p1
    assert p1
    ack_file = acknowledgements.path(Home(home))
    before = (_jobs(home), list_releases(Home(home)), _bytes(home / "releases" / "decisions.jsonl"),
              _bytes(ack_file), _public_state(home))
    denied_before = len(_audit(home, "denied"))
    posts = {
        "/console/build": {},
        "/console/acknowledge": {"kpi": "tourist_visitors", "municipality": "40216",
                                 "period": "CY2024", "reason": REASON},
        f"/console/releases/{p1}/approve": {},
        f"/console/releases/{p1}/reject": {"reason": REASON},
        f"/console/releases/{site.r0}/rollback": {"reason": REASON},
    }
    for path, form in posts.items():
        answer = member.post(path, data={**form, "csrf_token": member.csrf})
        assert answer.status_code == 403, (path, answer.status_code)
    time.sleep(1)  # a job wrongly queued would have started by now
    after = (_jobs(home), list_releases(Home(home)), _bytes(home / "releases" / "decisions.jsonl"),
             _bytes(ack_file), _public_state(home))
    assert after == before
    denied = _audit(home, "denied")[denied_before:]
    assert [d["target"] for d in denied] == list(posts)
    assert {d["actor"] for d in denied} == {site.accounts["member_a"].email}


# ------------------------------------------------------------------ 5. acknowledge


def test_acknowledge_from_the_console_follows_the_clis_rules(site):
    home, office = site.home, site.office
    ack_file = acknowledgements.path(Home(home))
    with (home / "releases" / "latest" / "data" / "municipal_indicators.csv").open(
            encoding="utf-8-sig", newline="") as fh:
        row = next(csv.DictReader(fh))
    target = {"kpi": row["kpi_id"], "municipality": row["municipality_code"],
              "period": row["period"]}
    before = _bytes(ack_file)

    vague = office.post("/console/acknowledge",
                        data={**target, "reason": "ok", "csrf_token": office.csrf})
    assert vague.status_code == 422 and _alert(vague.text) == VAGUE_REASON.ja
    assert _bytes(ack_file) == before
    # The message is shown where it was refused, never taken from a URL a link could forge.
    forged = office.get("/console/review?error=" + "公開は中止されました")
    assert "公開は中止されました" not in forged.text

    unknown = {**target, "kpi": "tourist_visitor"}
    refused = office.post("/console/acknowledge",
                          data={**unknown, "reason": REASON, "csrf_token": office.csrf})
    cli = run_cli("acknowledge", "--kpi", unknown["kpi"], "--municipality",
                  unknown["municipality"], "--period", unknown["period"], "--reason", REASON,
                  home=home)
    assert cli.returncode == 2
    assert refused.status_code == 422
    shown = _alert(refused.text)
    assert shown == cli.stderr.strip().removeprefix("エラー: ")
    assert "tourist_visitors" in shown  # the close match the CLI suggests
    assert _bytes(ack_file) == before

    done = office.post("/console/acknowledge",
                       data={**target, "reason": REASON, "csrf_token": office.csrf})
    assert done.status_code == 303
    assert done.headers["location"] == "/console/review?done=acknowledged"
    last = acknowledgements.load(Home(home))[-1]
    assert (last.kpi_id, last.municipality_code, last.period) == (
        target["kpi"], target["municipality"], target["period"])
    assert (last.acknowledged_by, last.reason) == (site.accounts["secretariat"].email, REASON)
    outcomes = [(a["outcome"], a["actor"]) for a in _audit(home, "acknowledged")]
    email = site.accounts["secretariat"].email
    assert outcomes == [("refused", email), ("refused", email), ("ok", email)]


# ------------------------------------------------------------------ 6. reject


def test_reject_needs_a_reason_and_leaves_the_public_site_alone(site):
    home, office, p1 = site.home, site.office, site.p1
    assert _pending_ids(home) == [p1]
    public = _public_state(home)
    decisions_before = _bytes(home / "releases" / "decisions.jsonl")

    vague = office.post(f"/console/releases/{p1}/reject",
                        data={"reason": "no", "csrf_token": office.csrf})
    assert _query(vague)["error"] == ["vague_reason"]
    assert VAGUE_REASON.ja in html.unescape(office.get(vague.headers["location"]).text)
    assert _pending_ids(home) == [p1]
    assert _bytes(home / "releases" / "decisions.jsonl") == decisions_before
    assert (home / "preview" / p1 / "index.html").is_file()

    reason = "観光入込客数の速報値を確定値に差し替えるため"
    done = office.post(f"/console/releases/{p1}/reject",
                       data={"reason": reason, "csrf_token": office.csrf})
    assert _query(done)["done"] == ["rejected"]
    listing = office.get(done.headers["location"]).text
    assert "差し戻しました" in listing
    assert f'data-release="{p1}" data-status="rejected"' in listing
    assert _pending_ids(home) == [] and (home / "releases" / "rejected" / p1).is_dir()
    email = site.accounts["secretariat"].email
    last = _decisions(home)[-1]
    assert (last["release_id"], last["decision"], last["by"], last["reason"]) == (
        p1, "rejected", email, reason)
    (audited,) = _audit(home, "release_rejected")
    assert (audited["target"], audited["actor"], audited["detail"]) == (p1, email, reason)
    assert _public_state(home) == public
    assert not (home / "preview" / p1).exists()
    assert office.get(f"/console/preview/{p1}/index.html").status_code == 404

    again = office.post(f"/console/releases/{p1}/reject",
                        data={"reason": reason, "csrf_token": office.csrf})
    assert _query(again)["error"] == ["not_pending"]
    assert [d["release_id"] for d in _decisions(home)].count(p1) == 1


# ------------------------------------------------------------------ 7. rollback


def test_rollback_needs_a_reason_then_points_latest_back(site):
    home, office = site.home, site.office
    state, page = _wait_job(office, _job_id(office.post(
        "/console/build", data={"csrf_token": office.csrf})))
    assert state == "awaiting_approval", _messages(page)
    (p2,) = _pending_ids(home)
    state, page = _wait_job(office, _job_id(office.post(
        f"/console/releases/{p2}/approve", data={"csrf_token": office.csrf})))
    assert state == "done", _messages(page)
    assert _latest(home) == p2 and p2 in (home / "site" / "index.html").read_text("utf-8")

    jobs_before, decisions_before = _jobs(home), _bytes(home / "releases" / "decisions.jsonl")
    vague = office.post(f"/console/releases/{site.r0}/rollback",
                        data={"reason": "no", "csrf_token": office.csrf})
    assert _query(vague)["error"] == ["vague_reason"]
    assert VAGUE_REASON.ja in html.unescape(office.get(vague.headers["location"]).text)
    time.sleep(0.5)
    assert _jobs(home) == jobs_before and _latest(home) == p2
    assert _bytes(home / "releases" / "decisions.jsonl") == decisions_before

    reason = "公開後に小郡市の数値の誤りが判明したため"
    job_id = _job_id(office.post(f"/console/releases/{site.r0}/rollback",
                                 data={"reason": reason, "csrf_token": office.csrf}))
    state, page = _wait_job(office, job_id)
    assert state == "done", _messages(page)
    assert _latest(home) == site.r0
    email = site.accounts["secretariat"].email
    last = _decisions(home)[-1]
    assert (last["release_id"], last["decision"], last["by"], last["reason"]) == (
        site.r0, "rollback", email, reason)
    index = (home / "site" / "index.html").read_text("utf-8")
    assert site.r0 in index and p2 not in index
    (audited,) = _audit(home, "rollback_requested")
    assert (audited["target"], audited["detail"]) == (site.r0, reason)
    listing = office.get("/console/releases").text
    assert f'data-release="{site.r0}" data-status="latest"' in listing
    assert f'data-release="{p2}" data-status="published"' in listing
