"""Six members at the same moment (issue 13, acceptance: "six members uploading at once, none
lost, none duplicated"), against a real ``kurume-hub serve`` process.

Every member of the area gets its own account (made with ``kurume-hub users add``) and its own
new, valid file: the member's tourist-visitor template filled with one year it has not sent
yet. All six requests are released together by a barrier, so the ledger's lock, the
portal's SQLite state and the upload folder see truly simultaneous writers.
"""

from __future__ import annotations

import hashlib
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from orchestration.home import Home
from orchestration.intake.ledger import Ledger
from orchestration.intake.submissions import current_records
from orchestration.intake.templates import fill_template, write_template
from orchestration.portal import store
from tests.conftest import run_cli
from tests.portal import PASSWORD, Account, area_member_codes, visitor

pytestmark = pytest.mark.integration

DATASET = "tourism_visitors"  # every member submits it (area.yaml: members: all)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture(scope="module")
def members(portal_site) -> dict[str, Account]:
    """One account per member of the area, made as the secretariat would make them."""
    accounts = {}
    for code in area_member_codes(portal_site.home):
        account = Account(f"concurrent-{code}@member.example", PASSWORD, code)
        run_cli("users", "add", account.email, "--municipality", code, "--password-stdin",
                home=portal_site.home, check=True, input=PASSWORD + "\n")
        accounts[code] = account
    return accounts


@pytest.fixture(scope="module")
def clients(portal_site, members):
    """A logged-in HTTP client per member (session cookie + CSRF token)."""
    logged_in = {code: visitor(portal_site.base, account) for code, account in members.items()}
    yield logged_in
    for client in logged_in.values():
        client.close()


def new_year_file(home: Path, code: str, folder: Path, years_back: int) -> Path:
    """The member's own template with one year it has never sent: ``years_back`` years before
    its earliest accepted year, with that year's count (a plausible value, no warning)."""
    rows = current_records(Ledger(Home(home)), code, DATASET)
    assert rows, f"the demo home has no {DATASET} for {code}"
    first = min(rows, key=lambda r: r["calendar_year"])
    year = first["calendar_year"] - years_back
    path = folder / f"{DATASET}_{code}_{year}.xlsx"
    write_template(DATASET, path, "xlsx", code)
    return fill_template(path, [{"calendar_year": year, "visitors": first["visitors"],
                                 "note": f"concurrency test {code}"}], DATASET)


def all_at_once(work, items):
    """Run ``work(item)`` for every item in its own thread, all released by one barrier."""
    barrier = threading.Barrier(len(items))

    def run(item):
        barrier.wait(timeout=60)
        return work(item)

    with ThreadPoolExecutor(max_workers=len(items)) as pool:
        return list(pool.map(run, items))


def _post_submission(client: httpx.Client, code: str, path: Path) -> httpx.Response:
    return client.post("/api/v1/submissions", headers={"X-CSRF-Token": client.csrf},
                       data={"municipality": code, "dataset": DATASET},
                       files={"file": (path.name, path.read_bytes(), XLSX)})


def test_six_members_submit_at_once_none_lost_none_duplicated(portal_site, clients,
                                                              tmp_path):
    home = Home(portal_site.home)
    files = {code: new_year_file(home.root, code, tmp_path, 1) for code in clients}
    sent = {code: hashlib.sha256(path.read_bytes()).hexdigest() for code, path in files.items()}
    before = Ledger(home).entries()

    answers = dict(zip(clients, all_at_once(
        lambda code: _post_submission(clients[code], code, files[code]), list(clients))))

    for code, answer in answers.items():
        assert answer.status_code == 201, (code, answer.status_code, answer.text[:2000])
        assert answer.json()["recorded"] is True
    after = Ledger(home).entries()
    new = after[len(before):]
    assert after[:len(before)] == before, "earlier ledger lines changed"
    assert len(new) == 6 and sorted(e.municipality for e in new) == sorted(clients)
    assert len({e.submission_id for e in after}) == len(after), "duplicate submission ids"
    assert [e.seq for e in new] == list(range(len(before) + 1, len(before) + 7))
    ledger = Ledger(home)
    for entry in new:
        code = entry.municipality
        assert entry.outcome == "accepted" and entry.dataset == DATASET
        assert entry.submission_id == answers[code].json()["submission_id"]
        assert entry.sha256 == sent[code]
        assert entry.submitter == f"concurrent-{code}@member.example"
        stored = home.root / entry.stored_path
        assert hashlib.sha256(stored.read_bytes()).hexdigest() == sent[code]
        assert ledger.records_path(entry.submission_id).is_file()
        assert len(ledger.load_records(entry.submission_id)) == 1

    # The same six files again, at once: each is its member's current file, nothing recorded.
    again = dict(zip(clients, all_at_once(
        lambda code: _post_submission(clients[code], code, files[code]), list(clients))))
    by_member = {e.municipality: e.submission_id for e in new}
    for code, answer in again.items():
        assert answer.status_code == 200, (code, answer.status_code, answer.text[:2000])
        assert answer.json()["recorded"] is False
        assert answer.json()["duplicate_of"] == by_member[code]
    assert Ledger(home).entries() == after, "a re-sent file was recorded"


def test_six_members_upload_pages_at_once(portal_site, clients, tmp_path):
    home = Home(portal_site.home)
    files = {code: new_year_file(home.root, code, tmp_path, 2) for code in clients}
    with store.connect(home) as db:
        rows_before = db.execute("SELECT COUNT(*) FROM uploads").fetchone()[0]
    ledger_before = Ledger(home).entries()

    def upload(code: str) -> tuple[httpx.Response, httpx.Response]:
        client, path = clients[code], files[code]
        posted = client.post(f"/m/{code}/upload",
                             data={"csrf_token": client.csrf, "dataset": DATASET},
                             files={"file": (path.name, path.read_bytes(), XLSX)})
        assert posted.status_code == 303, (code, posted.status_code, posted.text[:2000])
        return posted, client.get(posted.headers["location"])

    answers = dict(zip(clients, all_at_once(upload, list(clients))))

    locations = set()
    for code, (posted, page) in answers.items():
        location = posted.headers["location"]
        assert location.startswith(f"/m/{code}/uploads/")
        locations.add(location)
        assert page.status_code == 200, (code, page.status_code)
        assert files[code].name in page.text  # the member's own file, not a neighbour's
        assert 'id="submit-button"' in page.text  # accepted: 「提出する」 is offered
    assert len(locations) == 6
    ids = [location.rsplit("/", 1)[1] for location in locations]
    with store.connect(home) as db:
        rows_after = db.execute("SELECT COUNT(*) FROM uploads").fetchone()[0]
        mine = db.execute(f"SELECT upload_id, municipality, sha256 FROM uploads WHERE upload_id"
                          f" IN ({','.join('?' * len(ids))})", ids).fetchall()
    assert rows_after - rows_before == 6
    assert len(mine) == 6
    for row in mine:
        path = files[row["municipality"]]
        assert row["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert Ledger(home).entries() == ledger_before, "an upload alone recorded a submission"
