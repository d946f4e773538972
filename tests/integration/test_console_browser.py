"""The secretariat's console in a real browser (issue 14, deliverable 6 and the acceptance:
"a secretariat account can take the sample data from 'who has reported' to an approved public
release in the browser alone").

Playwright for Python drives Debian's Chromium (``tests/browser.ensure_chromium`` installs it
when missing and fails, never skips) against a real ``kurume-hub serve`` on a copy of the demo
home whose area requires approval. One journey per module, every step a click:

the secretariat logs in → the members' matrix → downloads the late members' CSV. Member 40216
(in its own browser session) sends its tourism file with CY2025 typed in 千人 (812) → the
secretariat presses 「ビルドを実行」 → the job page refreshes itself until the gate blocks → 確認
shows the failing row; a too-short reason is refused; the slip is not acknowledged: the member
sends the corrected file → build again → 承認待ち → the review shows CHANGES.md and the preview
(a new tab) while the public site keeps the old release → 「承認して公開する」 → public →
rolled back to the previous release with a reason → every console page in English.

Every page is watched for JavaScript errors and failed requests and photographed (full page)
into the test's tmp folder (path printed) for a person to look at.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from orchestration.area import area_for
from orchestration.home import Home
from orchestration.intake.messages import REASON_MIN_CHARS, VAGUE_REASON
from tests.browser import ensure_chromium
from tests.conftest import run_cli
from tests.integration.test_portal_browser import JAPANESE, Walker
from tests.integration.test_publication import _ogori_tourism
from tests.portal import PASSWORD, Account, add_accounts, portal_server, require_approval

MEMBER = "40216"  # 小郡市: its tourism file carries the unit slip
DATASET = "tourism_visitors"
SLIP, CORRECTED = 812, 815_000  # CY2025 typed in 千人 into the 人 column, then corrected
PREVIOUS = "812,000"            # CY2025 in the demo's public release
LATE_HEADER = ("団体コード,団体名,データセット,データセット名,状態,期限超過の期間,期限,超過日数,"
               "最終受付日時 (UTC)")
SHORT_REASON = "誤り"  # shorter than a reason needs (REASON_MIN_CHARS)
ROLLBACK_REASON = "テスト: 承認した版の確認のため前の版に戻す"
UNFINISHED = ("queued", "waiting", "running")
BUILD_TIMEOUT_S = 900  # two builds share two cores with other work; a build is ~60 s alone


# ------------------------------------------------------------------ records


@dataclass
class JobSeen:
    """A job as its page showed it once it had finished."""

    url: str
    state: str
    stages: dict[str, str]      # data-stage -> data-status, in page order
    seconds: float              # from the click that started it to the final state on the page
    messages: str
    next_steps: str


@dataclass
class Journey:
    base: str
    email: str
    public_before: str = ""     # releases/latest when the journey began
    visits: dict = field(default_factory=dict)      # name -> tests.integration...Visit
    downloads: dict = field(default_factory=dict)   # what -> (name, bytes)
    matrix_cells: list[list[str]] = field(default_factory=list)  # one list per member row
    matrix_members: list[str] = field(default_factory=list)
    matrix_columns: int = 0
    member_receipts: list[str] = field(default_factory=list)
    jobs: dict[str, JobSeen] = field(default_factory=dict)
    failing_rows: list[list[str]] = field(default_factory=list)
    empty_reason: tuple[bool, str, str] = (True, "", "")   # (valid, message, url after click)
    short_reason: tuple[bool, str, str] = (True, "", "")
    server_refusal: str = ""    # the alert after the short reason reached the server
    acks_cy2025: int = -1       # acknowledgements of 40216's CY2025 after the refusals
    pending_id: str = ""
    changes_text: str = ""
    changes_html: str = ""
    preview_release_shown: bool = False
    preview_banner: str = ""
    site_during_pending: str = ""   # home/site/index.html while the release waited
    latest_during_pending: str = ""
    release_rows: dict[str, dict[str, str]] = field(default_factory=dict)  # after approval
    latest_after_approval: str = ""
    site_after_approval: str = ""
    rollback_rows: dict[str, dict[str, str]] = field(default_factory=dict)


# ---------------------------------------------------------------- the files


# ---------------------------------------------------------------- the steps


def wait_for_job(walker: Walker, name: str, clicked_at: float) -> JobSeen:
    """The job page reloads itself every second until the job is over: read its state on
    each load (the page may be replaced while it is read) until it is final."""
    page = walker.page
    deadline = clicked_at + BUILD_TIMEOUT_S
    state = ""
    while time.monotonic() < deadline:
        try:
            state = page.locator("#job-state").get_attribute("data-state", timeout=2000) or ""
        except Exception:  # noqa: BLE001 - the page was reloading: read it again
            state = ""
        if state and state not in UNFINISHED:
            break
        time.sleep(0.2)
    seconds = time.monotonic() - clicked_at
    assert state and state not in UNFINISHED, f"{name}: still {state!r} after {seconds:.0f} s"
    visit = walker.record(name)
    stages = {li.get_attribute("data-stage"): li.get_attribute("data-status")
              for li in page.locator("ol.stages li").all()}
    messages = page.locator("pre.messages")
    seen = JobSeen(url=visit.url, state=state, stages=stages, seconds=seconds,
                   messages=messages.inner_text() if messages.count() else "",
                   next_steps=page.inner_text("#next-steps"))
    walker.journey.jobs[name] = seen
    return seen


def click_and_wait(walker: Walker, selector: str, name: str) -> JobSeen:
    page = walker.page
    clicked_at = time.monotonic()
    with page.expect_navigation():
        page.click(selector)
    assert "/console/jobs/" in page.url, page.url
    return wait_for_job(walker, name, clicked_at)


def run_build(walker: Walker, name: str) -> JobSeen:
    walker.page.click("header.top a[href='/console/build']")
    walker.page.wait_for_url("**/console/build")
    walker.record(f"{name}_page")
    return click_and_wait(walker, "form[action='/console/build'] button[type=submit]", name)


def member_sends(walker: Walker, path: Path, name: str) -> str:
    """The member uploads the file on its page, sees it checked, and submits it."""
    page = walker.page
    walker.goto(f"/m/{MEMBER}", f"{name}_member")
    page.select_option("select[name=dataset]", DATASET)
    page.set_input_files("#file-input", str(path))
    with page.expect_navigation():
        page.click("#upload-form button[type=submit]")
    walker.record(f"{name}_checked")
    with page.expect_navigation():
        page.click("#submit-button")
    walker.record(f"{name}_receipt")
    return page.inner_text("#submission-id")


def refused_reason(page, form, reason: str) -> tuple[bool, str, str]:
    """Type ``reason`` into the acknowledge form and press its button: what the browser
    thought of the field, its message, and where the page is afterwards."""
    field_ = form.locator("input[name=reason]")
    field_.fill(reason)
    form.locator("button[type=submit]").click()
    page.wait_for_timeout(500)  # a submission would have started navigating by now
    valid = field_.evaluate("e => e.validity.valid")
    return valid, field_.evaluate("e => e.validationMessage"), page.url


def secretariat_journey(walker: Walker, member: Walker, journey: Journey, home: Path,
                        files: Path, account: Account) -> None:
    page = walker.page
    walker.goto("/login", "login")
    walker.log_in(account.email, account.password)
    walker.record("members")
    journey.matrix_columns = page.locator("table.matrix thead th").count() - 1
    for row in page.locator("table.matrix tbody tr").all():
        journey.matrix_members.append(row.locator("th small").inner_text())
        journey.matrix_cells.append([c.inner_text() for c in row.locator("td").all()])
    walker.download("late_csv", "a[href='/members/late.csv']")

    member.goto("/login", "member_login")
    member.log_in(f"{MEMBER}@member.example", PASSWORD)
    slip = _ogori_tourism(files / "小郡市_観光_2025.xlsx", SLIP)
    journey.member_receipts.append(member_sends(member, slip, "slip"))

    run_build(walker, "build_blocked")
    _review_the_slip(walker, journey, home)

    fixed = _ogori_tourism(files / "小郡市_観光_2025_修正.xlsx", CORRECTED)
    journey.member_receipts.append(member_sends(member, fixed, "corrected"))
    # The number the closing note quotes: the click on 「ビルドを実行」 to the result shown.
    seen = run_build(walker, "build_pending")
    print(f"\nbuild → result on the page (pending build): {seen.seconds:.1f} s")
    _review_the_pending_release(walker, journey, home)

    with page.expect_navigation():
        page.click("#pending form[action$='/approve'] button[type=submit]")
    walker.record("approve_requested")
    wait_for_job(walker, "approve", time.monotonic())
    page.click("#next-steps a[href='/console/releases']")
    page.wait_for_url("**/console/releases")
    walker.record("releases_after_approval")
    journey.release_rows = release_rows(page)
    journey.latest_after_approval = os.readlink(home / "releases" / "latest")
    journey.site_after_approval = (home / "site" / "index.html").read_text(encoding="utf-8")

    form = page.locator(f"tr[data-release='{journey.public_before}'] form.rollback-form")
    form.locator("input[name=reason]").fill(ROLLBACK_REASON)
    click_and_wait(walker, f"tr[data-release='{journey.public_before}'] form.rollback-form "
                           "button[type=submit]", "rollback")
    walker.goto("/console/releases", "releases_after_rollback")
    journey.rollback_rows = release_rows(page)

    for path, name in (("/console/build", "build"), ("/console/review", "review"),
                       ("/console/releases", "releases")):
        walker.goto(path, f"{name}_ja")
        with page.expect_navigation():
            page.click("header.top a[href^='/lang/en']")
        walker.record(f"{name}_en")
        with page.expect_navigation():
            page.click("header.top a[href^='/lang/ja']")


def _review_the_slip(walker: Walker, journey: Journey, home: Path) -> None:
    page = walker.page
    page.click("#next-steps a[href='/console/review']")
    page.wait_for_url("**/console/review")
    walker.record("review_blocked")
    for row in page.locator("section.finding.error tbody tr").all():
        journey.failing_rows.append([c.inner_text() for c in row.locator("td").all()])
    form = page.locator("section.finding.error tr", has_text="CY2025").locator(
        "form.ack-form").first
    journey.empty_reason = refused_reason(page, form, "")
    journey.short_reason = refused_reason(page, form, SHORT_REASON)
    # Past the browser's own check (as an old browser would send it): the server's rule.
    form.locator("input[name=reason]").evaluate(
        "e => { e.removeAttribute('required'); e.removeAttribute('minlength'); }")
    form.locator("input[name=reason]").fill(SHORT_REASON)
    with page.expect_navigation():
        form.locator("button[type=submit]").click()
    walker.record("review_refused")
    journey.server_refusal = page.inner_text("p.alert.error[role=alert]")
    journey.acks_cy2025 = len(slip_acknowledgements(home))


def _review_the_pending_release(walker: Walker, journey: Journey, home: Path) -> None:
    page = walker.page
    page.click("#next-steps a[href='/console/review']")
    page.wait_for_url("**/console/review")
    walker.record("review_pending")
    journey.pending_id = page.inner_text("#pending strong.hash")
    journey.changes_text = page.inner_text("#pending .changes")
    journey.changes_html = page.inner_html("#pending .changes")
    journey.latest_during_pending = os.readlink(home / "releases" / "latest")
    journey.site_during_pending = (home / "site" / "index.html").read_text(encoding="utf-8")

    # The new tab's first response can come before the tab is handed over: the context
    # sees every tab's documents.
    documents: dict[str, int] = {}
    page.context.on("response", lambda r: documents.setdefault(r.url, r.status)
                    if r.request.is_navigation_request() else None)
    with page.context.expect_page() as opened:
        page.click("#pending a[href$='/index.html']")
    preview = Walker(opened.value, walker.base, walker.shots, journey)
    preview.page.wait_for_load_state("networkidle")
    visit = preview.record("preview")
    visit.status = visit.status or documents.get(visit.url)
    journey.preview_release_shown = journey.pending_id in preview.page.content()
    journey.preview_banner = preview.page.inner_text(".preview-banner")
    assert urlsplit(visit.url).path == f"/console/preview/{journey.pending_id}/index.html"
    preview.page.close()


def release_rows(page) -> dict[str, dict[str, str]]:
    return {row.get_attribute("data-release"): {"status": row.get_attribute("data-status"),
                                                 "text": row.inner_text()}
            for row in page.locator("table.releases tbody tr[data-release]").all()}


def walk(base: str, home: Path, accounts: dict, chromium: str, shots: Path,
         files: Path) -> Journey:
    from playwright.sync_api import sync_playwright

    account = accounts["secretariat"]
    journey = Journey(base=base, email=account.email,
                      public_before=os.readlink(home / "releases" / "latest"))
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        try:
            options = {"accept_downloads": True, "locale": "ja-JP",
                       "viewport": {"width": 1280, "height": 900}}
            office = Walker(browser.new_context(**options).new_page(), base, shots, journey)
            member = Walker(browser.new_context(**options).new_page(), base, shots, journey)
            secretariat_journey(office, member, journey, home, files, account)
        finally:
            browser.close()
    return journey


# ---------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def chromium() -> str:
    return ensure_chromium()


@pytest.fixture(scope="module")
def shots(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("console-screenshots")
    print(f"\nconsole screenshots: {folder}")
    return folder


@pytest.fixture(scope="module")
def console_home(demo_home: Path, tmp_path_factory) -> Path:
    home = tmp_path_factory.mktemp("console") / "home"
    shutil.copytree(demo_home, home, symlinks=True)
    require_approval(home)
    return home


@pytest.fixture(scope="module")
def journey(console_home: Path, chromium: str, shots: Path, tmp_path_factory) -> Journey:
    accounts = add_accounts(console_home)
    run_cli("users", "add", f"{MEMBER}@member.example", "--municipality", MEMBER,
            "--password-stdin", home=console_home, check=True, input=PASSWORD + "\n")
    files = tmp_path_factory.mktemp("member-files")
    with portal_server(console_home) as base:
        return walk(base, console_home, accounts, chromium, shots, files)


def slip_acknowledgements(home: Path) -> list[dict]:
    path = home / "acknowledgements.jsonl"
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    return [r for r in rows if (r["kpi_id"], r["municipality_code"], r["period"]) ==
            ("tourist_visitors", MEMBER, "CY2025")]


def decisions(home: Path) -> list[dict]:
    path = home / "releases" / "decisions.jsonl"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


# ---------------------------------------------------------------- the tests


def test_the_matrix_has_a_cell_per_member_and_dataset(journey: Journey, console_home: Path):
    area = area_for(Home(console_home))
    assert journey.visits["members"].status == 200
    assert journey.matrix_members == [m.code for m in area.members]
    assert journey.matrix_columns == len(area.datasets)
    assert all(len(cells) == len(area.datasets) for cells in journey.matrix_cells)
    assert "期限超過の団体（CSV）" in journey.visits["members"].text


def test_the_late_members_csv_opens_in_excel_with_the_japanese_header(journey: Journey):
    name, data = journey.downloads["late_csv"]
    assert name.startswith("late_members_") and name.endswith(".csv"), name
    assert data.startswith(b"\xef\xbb\xbf"), data[:10]
    assert data[3:].decode("utf-8").splitlines()[0] == LATE_HEADER


def test_the_member_sent_both_files_through_the_portal(journey: Journey):
    assert len(journey.member_receipts) == 2 and all(journey.member_receipts)
    assert journey.visits["slip_receipt"].status == 200
    assert journey.visits["corrected_receipt"].status == 200


def test_the_slip_blocks_the_build_at_the_gate(journey: Journey):
    job = journey.jobs["build_blocked"]
    assert job.state == "blocked", (job.state, job.messages)
    names = list(job.stages)
    gate = names.index("gate")
    assert job.stages["gate"] == "blocked", job.stages
    assert all(job.stages[n] == "done" for n in names[:gate]), job.stages
    assert "品質検査の結果を確認する" in job.next_steps
    assert "小郡市" in job.messages and "CY2025" in job.messages, job.messages


def test_the_review_names_the_member_period_and_both_values(journey: Journey):
    assert journey.visits["review_blocked"].status == 200
    rows = [r for r in journey.failing_rows
            if "CY2025" in r and any("小郡市" in c for c in r)]
    # the revision of the published value (812,000 → 812), and the change on CY2024
    assert any(PREVIOUS in r and f"{SLIP}" in r for r in rows), journey.failing_rows
    assert any("790,000" in r and f"{SLIP}" in r for r in rows), journey.failing_rows


def test_an_empty_or_short_reason_is_refused_and_nothing_is_acknowledged(journey: Journey):
    assert len(SHORT_REASON) < REASON_MIN_CHARS
    for valid, message, url in (journey.empty_reason, journey.short_reason):
        assert not valid and message, (valid, message)  # the browser kept the form
        assert urlsplit(url).path == "/console/review" and "done=" not in url, url
    assert journey.server_refusal == VAGUE_REASON.ja, journey.server_refusal
    refused = journey.visits["review_refused"]
    assert refused.status == 422 and "done=acknowledged" not in refused.url, refused.url
    assert journey.acks_cy2025 == 0


def test_the_corrected_file_makes_a_release_that_awaits_approval(journey: Journey):
    job = journey.jobs["build_pending"]
    assert job.state == "awaiting_approval", (job.state, job.messages)
    assert job.stages["gate"] == "passed", job.stages
    assert "確認して承認する" in job.next_steps
    assert journey.pending_id and journey.pending_id != journey.public_before
    assert journey.pending_id in journey.visits["review_pending"].text
    assert job.seconds > 0


def test_the_review_renders_changes_md_with_the_revised_value(journey: Journey):
    lines = [line for line in journey.changes_text.splitlines()
             if f"{PREVIOUS} → 815,000" in line]
    assert lines, journey.changes_text
    assert any("小郡市" in line and "CY2025" in line for line in lines), lines
    assert "##" not in journey.changes_text and re.search(r"<h[1-6]", journey.changes_html)


def test_the_preview_shows_the_pending_release_and_the_public_site_does_not(journey: Journey):
    preview = journey.visits["preview"]
    assert preview.status == 200 and journey.preview_release_shown
    assert preview.problems == []  # the browser's own /favicon.ico probe included
    assert "プレビュー（非公開）" in journey.preview_banner
    assert journey.pending_id in journey.preview_banner
    assert journey.latest_during_pending == journey.public_before
    assert journey.public_before in journey.site_during_pending
    assert journey.pending_id not in journey.site_during_pending


def test_approving_publishes_the_pending_release(journey: Journey, console_home: Path):
    assert journey.jobs["approve"].state == "done", journey.jobs["approve"].messages
    row = journey.release_rows[journey.pending_id]
    assert row["status"] == "latest" and "公開中" in row["text"], row
    assert journey.release_rows[journey.public_before]["status"] == "published"
    approved = [d for d in decisions(console_home) if d["decision"] == "approved"]
    assert [(d["release_id"], d["by"]) for d in approved] == [(journey.pending_id,
                                                               journey.email)]


def test_rolling_back_makes_the_previous_release_public_again(journey: Journey,
                                                              console_home: Path):
    assert journey.jobs["rollback"].state == "done", journey.jobs["rollback"].messages
    assert journey.rollback_rows[journey.public_before]["status"] == "latest"
    assert journey.rollback_rows[journey.pending_id]["status"] == "published"
    assert os.readlink(console_home / "releases" / "latest") == journey.public_before
    site = (console_home / "site" / "index.html").read_text(encoding="utf-8")
    assert journey.public_before in site
    rollbacks = [d for d in decisions(console_home) if d["decision"] == "rollback"]
    assert [(d["release_id"], d["reason"], d["by"]) for d in rollbacks] == [
        (journey.public_before, ROLLBACK_REASON, journey.email)]


def test_after_approval_latest_and_the_public_site_name_the_approved_release(journey: Journey):
    assert journey.latest_after_approval == journey.pending_id
    assert journey.pending_id in journey.site_after_approval
    assert journey.public_before not in journey.site_after_approval


def test_the_console_pages_switch_to_english(journey: Journey, console_home: Path):
    area = area_for(Home(console_home))
    from_data = {"日本語"}
    # what people typed (the rollback's reason) is shown as they wrote it
    for name in [m.name_ja for m in area.members] + [k.name_ja for k in area.kpis] + \
            [ROLLBACK_REASON]:
        from_data.update(JAPANESE.findall(name))
    for name in ("build", "review", "releases"):
        english = journey.visits[f"{name}_en"]
        assert urlsplit(english.url).path == f"/console/{name}", english.url
        left = set(JAPANESE.findall(english.text)) - from_data
        assert not left, (name, left)


def test_no_console_page_had_a_javascript_error_or_a_failed_request(journey: Journey):
    found = {name: v.problems for name, v in journey.visits.items() if v.problems}
    assert found == {}


def test_every_console_page_was_answered_and_photographed(journey: Journey, shots: Path):
    for name, visit in journey.visits.items():
        expected = 422 if name == "review_refused" else 200  # the refusal, on purpose
        assert visit.status == expected, (name, visit.status, visit.url)
        assert visit.screenshot.is_file() and visit.screenshot.stat().st_size > 10_000, name
    assert {"members", "build_blocked", "review_blocked", "review_pending", "preview",
            "releases_after_approval", "build_en"} <= set(journey.visits)
