"""The members' portal in a real browser (issue 13, deliverables 3 and 5).

Playwright for Python drives Debian's Chromium (``tests/browser.ensure_chromium`` installs it
and a Japanese font when missing and fails, never skips) against a real ``kurume-hub serve``
(the ``portal_site`` fixture). One journey, walked once per module the way people use it:

member A, in Japanese: logs in through the form → its datasets and their states → downloads
its own template (bound to it) → fills it as staff do (a title row, 千人, △, R5年) → uploads
it with the file input → no errors → 「提出する」 → the receipt (id, SHA-256 of the file) →
the history with a download link → its published figures → a bad file (``abc`` in a number
column) dropped on the drop zone → the cell error on the page and the error file → member
B's page is refused → the English switch → logs out. Then the secretariat: the members'
matrix and the audit log, which show what member A did.

Every page is watched for JavaScript errors, failed requests and requests to any host other
than the portal, and photographed (full page) into the test's tmp folder (path printed) for a
person to look at.
"""

from __future__ import annotations

import base64
import hashlib
import io
import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from openpyxl import Workbook, load_workbook

from orchestration.area import area_for
from orchestration.home import Home
from orchestration.intake.contracts import get_contract
from orchestration.intake.readers import template_member
from orchestration.portal.status import STATE_LABELS, area_status, member_status
from tests.browser import ensure_chromium
from tests.conftest import run_cli

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
GOOD_DATASET = "kpi_records"        # its value column reads △69人 and 9,028千人
BAD_DATASET = "tourism_visitors"    # a quantity column: abc is an error there
RETURNED_DATASET = "municipal_gross_product"  # sent with an error by the CLI: 差し戻し
TITLE_ROW = "令和5年度 総合戦略KPI 実績報告"
GOOD_ROWS = [
    ["1-1", "社会増減数", "人", "高いほど良い", "R5年", "実績値", "△69人", "速報値"],
    ["1-2", "観光入込客数", "千人", "高いほど良い", "R5年", "実績値", "9,028千人", ""],
]
BAD_ROWS = [["R4年", "4,410千人", ""], ["R5年", "abc", ""]]
BAD_ROW_NUMBER = "3"  # the header is row 1, R4年 row 2
BAD_VALUE_MESSAGE = "「abc」を数値として読めません。"
# Chromium logs a page answered with an error status as a console error; the refusal page
# is a 403 on purpose (its status is asserted), so that line about the page itself is not one.
DOCUMENT_STATUS_LOG = re.compile(r"^Failed to load resource: the server responded with a "
                                 r"status of (\d{3})")
JAPANESE = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uff01-\uff60]+")


# ------------------------------------------------------------------ records


@dataclass
class Visit:
    """One page as the browser showed it."""

    name: str
    url: str
    status: int | None
    title: str
    text: str
    problems: list[str]
    screenshot: Path


@dataclass
class Journey:
    base: str
    member_a: str
    member_b: str
    visits: dict[str, Visit] = field(default_factory=dict)
    downloads: dict[str, tuple[str, bytes]] = field(default_factory=dict)  # what: (name, data)
    good_file: bytes = b""
    member_rows: dict[str, str] = field(default_factory=dict)  # dataset -> state label shown
    receipt_id: str = ""
    receipt_sha256: str = ""
    history_row: str = ""
    dropped_name: str = ""
    drop_zone_after: str = ""
    problem_rows: list[dict[str, str]] = field(default_factory=list)
    submit_offered_on_errors: int = -1  # 「提出する」 buttons on the result with errors
    after_logout_url: str = ""


class Watcher:
    """Everything the browser reports, cut into one slice per page (``take``)."""

    def __init__(self, page, base: str):
        self.host = urlsplit(base).netloc
        self.problems: list[str] = []
        self.status: int | None = None
        self.documents: dict[str, int] = {}  # page URL -> the status it was answered with
        self.main_frame = page.main_frame
        page.on("console", self._console)
        page.on("pageerror", lambda exc: self.problems.append(f"uncaught exception: {exc}"))
        page.on("requestfailed", self._failed)
        page.on("request", self._request)
        page.on("response", self._response)

    def _console(self, message) -> None:
        if message.type not in ("error", "assert"):
            return
        status = DOCUMENT_STATUS_LOG.match(message.text)
        if status and self.documents.get(message.location.get("url")) == int(status.group(1)):
            return
        self.problems.append(f"console.{message.type}: {message.text} "
                             f"({message.location.get('url')})")

    def _failed(self, request) -> None:
        self.problems.append(f"request failed: {request.url} ({request.failure})")

    def _request(self, request) -> None:
        parts = urlsplit(request.url)
        if parts.scheme not in ("data", "blob", "about") and parts.netloc != self.host:
            self.problems.append(f"request to another host: {request.url}")

    def _response(self, response) -> None:
        request = response.request
        if request.is_navigation_request() and request.frame == self.main_frame:
            self.status = self.documents[response.url] = response.status
        elif response.status >= 400:
            self.problems.append(f"{response.status} for {response.url}")

    def take(self) -> tuple[int | None, list[str]]:
        found, self.problems = self.problems, []
        return self.status, found


class Walker:
    """One browser tab: visits are recorded and photographed under ``shots``."""

    def __init__(self, page, base: str, shots: Path, journey: Journey):
        self.page, self.base, self.shots, self.journey = page, base, shots, journey
        self.watch = Watcher(page, base)

    def record(self, name: str) -> Visit:
        page = self.page
        page.wait_for_load_state("load")
        shot = page.screenshot(path=str(self.shots / f"{name}.png"), full_page=True)
        assert shot, name
        status, problems = self.watch.take()
        visit = Visit(name=name, url=page.url, status=status, title=page.title(),
                      text=page.inner_text("body"), problems=problems,
                      screenshot=self.shots / f"{name}.png")
        self.journey.visits[name] = visit
        return visit

    def goto(self, path: str, name: str) -> Visit:
        self.page.goto(self.base + path)
        return self.record(name)

    def download(self, what: str, selector: str) -> tuple[str, bytes]:
        with self.page.expect_download() as info:
            self.page.click(selector)
        download = info.value
        assert download.failure() is None, download.failure()
        found = (download.suggested_filename, Path(download.path()).read_bytes())
        self.journey.downloads[what] = found
        return found

    def log_in(self, email: str, password: str) -> None:
        self.page.fill("input[name=email]", email)
        self.page.fill("input[name=password]", password)
        with self.page.expect_navigation():
            self.page.click("main form button[type=submit]")


# ---------------------------------------------------------------- the files


def staff_fill(template: bytes, rows: list[list], title: str | None = None) -> bytes:
    """What a member's staff do with the template in Excel: a title above the header, then
    the figures as they write them (units in the cell, △ for minus, 和暦 years)."""
    wb = load_workbook(io.BytesIO(template))
    sheet = wb["データ"]
    if title:
        sheet.insert_rows(1)
        sheet["A1"] = title
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def returned_file(path: Path) -> Path:
    """A file with an error, for the member's ``RETURNED_DATASET`` (the CLI records it)."""
    wb = Workbook()
    sheet = wb.active
    sheet.append([c.ja for c in get_contract(RETURNED_DATASET).columns])
    sheet.append([2024, "未記入あり", ""])
    wb.save(path)
    return path


def drop_file(page, selector: str, name: str, data: bytes) -> None:
    """Drag and drop as a person does it: the file travels in a DataTransfer built in the
    page from its bytes, through dragenter, dragover and drop on the drop zone."""
    page.evaluate(
        """([selector, name, type, b64]) => {
            const bytes = Uint8Array.from(atob(b64), c => c.charCodeAt(0));
            const transfer = new DataTransfer();
            transfer.items.add(new File([bytes], name, {type}));
            const zone = document.querySelector(selector);
            for (const kind of ["dragenter", "dragover", "drop"]) {
              zone.dispatchEvent(new DragEvent(kind, {bubbles: true, cancelable: true,
                                                      dataTransfer: transfer}));
            }
        }""",
        [selector, name, XLSX_TYPE, base64.b64encode(data).decode()])


# ---------------------------------------------------------------- the walk


def walk(site, chromium: str, shots: Path) -> Journey:
    """The whole journey; everything seen on the way is kept in the returned Journey."""
    from playwright.sync_api import sync_playwright

    a, b = site.accounts["member_a"], site.accounts["member_b"]
    journey = Journey(base=site.base, member_a=a.municipality, member_b=b.municipality)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        try:
            context = browser.new_context(accept_downloads=True, locale="ja-JP",
                                          viewport={"width": 1280, "height": 900})
            walker = Walker(context.new_page(), site.base, shots, journey)
            _member_journey(walker, journey, a)
            _secretariat_journey(walker, site.accounts["secretariat"])
        finally:
            browser.close()
    return journey


def _member_journey(walker: Walker, journey: Journey, account) -> None:
    page, code = walker.page, journey.member_a
    walker.goto("/login", "login")
    walker.log_in(account.email, account.password)
    walker.record("member")
    for row in page.locator("table.grid tbody tr").all():
        journey.member_rows[row.locator("th code").inner_text()] = \
            row.locator(".state").inner_text()

    _, template = walker.download("template", f"a[href$='/template/{GOOD_DATASET}.xlsx']")
    journey.good_file = staff_fill(template, GOOD_ROWS, title=TITLE_ROW)
    page.set_input_files("#file-input", files=[{
        "name": "KPI実績_R5.xlsx", "mimeType": XLSX_TYPE, "buffer": journey.good_file}])
    with page.expect_navigation():
        page.click("#upload-form button[type=submit]")
    walker.record("result_ok")

    with page.expect_navigation():
        page.click("#submit-button")
    walker.record("receipt")
    journey.receipt_id = page.inner_text("#submission-id")
    journey.receipt_sha256 = page.inner_text("code.hash")

    with page.expect_navigation():
        page.click("nav.tabs a[href$='/history']")
    walker.record("history")
    row = page.locator("table.grid tbody tr", has_text=journey.receipt_id)
    journey.history_row = row.inner_text()
    walker.download("history_file", f"a[href$='/submissions/{journey.receipt_id}/file']")

    with page.expect_navigation():
        page.click("nav.tabs a[href$='/figures']")
    walker.record("figures")

    _bad_file_by_drag_and_drop(walker, journey)

    walker.goto(f"/m/{journey.member_b}", "forbidden")

    walker.goto(f"/m/{code}", "member_again")
    with page.expect_navigation():
        page.click("header.top a[href^='/lang/en']")
    walker.record("member_en")
    walker.goto(f"/m/{code}/submissions/{journey.receipt_id}", "receipt_en")
    with page.expect_navigation():
        page.click("header.top a[href^='/lang/ja']")
    walker.record("member_ja_again")

    with page.expect_navigation():
        page.click("header.top form[action='/logout'] button")
    walker.record("logged_out")
    page.goto(walker.base + f"/m/{code}")
    journey.after_logout_url = page.url
    walker.record("after_logout")


def _bad_file_by_drag_and_drop(walker: Walker, journey: Journey) -> None:
    page = walker.page
    with page.expect_navigation():
        page.click(f"nav.tabs a[href='/m/{journey.member_a}']")
    walker.record("member_before_drop")
    _, template = walker.download("template_bad", f"a[href$='/template/{BAD_DATASET}.xlsx']")
    bad = staff_fill(template, BAD_ROWS)
    page.select_option("select[name=dataset]", BAD_DATASET)
    drop_file(page, "#drop-zone", "観光_誤りあり.xlsx", bad)
    journey.dropped_name = page.inner_text("#dropped-name")
    journey.drop_zone_after = page.get_attribute("#drop-zone", "class") or ""
    with page.expect_navigation():
        page.click("#upload-form button[type=submit]")
    walker.record("result_errors")
    journey.submit_offered_on_errors = page.locator("#submit-button").count()
    for row in page.locator("#problems tbody tr").all():
        cells = [c.inner_text() for c in row.locator("td").all()]
        journey.problem_rows.append(dict(zip(
            ("kind", "sheet", "row", "column", "value", "message", "expected"), cells)))
    walker.download("error_file", "a[href$='/errors.xlsx']")


def _secretariat_journey(walker: Walker, account) -> None:
    page = walker.page
    page.goto(walker.base + "/login")
    walker.log_in(account.email, account.password)
    walker.record("members")
    with page.expect_navigation():
        page.click("header.top a[href='/audit']")
    walker.record("audit")


# ---------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def chromium() -> str:
    return ensure_chromium()


@pytest.fixture(scope="module")
def shots(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("portal-screenshots")
    print(f"\nportal screenshots: {folder}")
    return folder


@pytest.fixture(scope="module")
def journey(portal_site, chromium: str, shots: Path, tmp_path_factory) -> Journey:
    member_a = portal_site.accounts["member_a"].municipality
    sent = returned_file(tmp_path_factory.mktemp("returned") / "総生産_誤り.xlsx")
    run_cli("submit", str(sent), "--municipality", member_a, "--dataset", RETURNED_DATASET,
            "--submitter", "secretariat-by-mail", home=portal_site.home)
    return walk(portal_site, chromium, shots)


def _label(state: str) -> str:
    return STATE_LABELS[state].ja


# ---------------------------------------------------------------- the tests


def test_the_login_form_leads_member_a_to_its_datasets_and_their_states(journey: Journey,
                                                                        portal_site):
    login, member = journey.visits["login"], journey.visits["member"]
    assert "ログイン" in login.title and "メールアドレス" in login.text
    assert urlsplit(member.url).path == f"/m/{journey.member_a}"
    assert member.status == 200
    name = area_for(Home(portal_site.home)).member(journey.member_a).name_ja
    assert f"{name}の提出状況" in member.text
    expected = {s.dataset: _label(s.state)
                for s in member_status(Home(portal_site.home), journey.member_a)}
    assert journey.member_rows == expected
    assert journey.member_rows[RETURNED_DATASET] == "差し戻し"
    assert set(journey.member_rows.values()) <= {m.ja for m in STATE_LABELS.values()}


def test_the_template_downloaded_is_an_xlsx_bound_to_member_a(journey: Journey):
    name, data = journey.downloads["template"]
    assert name == f"{GOOD_DATASET}_{journey.member_a}.xlsx"
    assert data[:2] == b"PK"
    workbook = load_workbook(io.BytesIO(data))
    assert template_member(workbook) == journey.member_a
    headers = [c.value for c in workbook["データ"][1]]
    assert headers == [c.ja for c in get_contract(GOOD_DATASET).columns]


def test_the_filled_template_has_no_errors_and_the_receipt_carries_its_sha256(
        journey: Journey):
    result, receipt = journey.visits["result_ok"], journey.visits["receipt"]
    assert "エラーはありません" in result.text
    assert re.search(r"エラー / 警告\s*0 / \d+", result.text), result.text
    assert "タイトル行として読み飛ばしました" in result.text  # the staff's title row
    assert "提出する" in result.text
    assert re.fullmatch(r"\S+", journey.receipt_id)
    assert journey.receipt_id in receipt.text and "提出を受け付けました" in receipt.text
    assert journey.receipt_sha256 == hashlib.sha256(journey.good_file).hexdigest()


def test_the_history_lists_the_submission_and_gives_back_the_file_as_sent(journey: Journey):
    assert "受付" in journey.history_row and "2/2" in journey.history_row
    assert "KPI実績_R5.xlsx" in journey.history_row
    assert "ダウンロード" in journey.history_row
    name, data = journey.downloads["history_file"]
    assert name == "KPI実績_R5.xlsx"
    assert data == journey.good_file


def test_the_published_figures_page_shows_the_members_figures(journey: Journey):
    figures = journey.visits["figures"]
    assert figures.status == 200
    assert "公表値と評価" in figures.text and "公表版" in figures.text


def test_a_dropped_bad_file_shows_the_cell_error_and_offers_the_error_file(journey: Journey):
    assert journey.dropped_name == "選択したファイル: 観光_誤りあり.xlsx"
    assert "over" not in journey.drop_zone_after.split()
    result = journey.visits["result_errors"]
    assert "エラーが 1 件あります" in result.text
    errors = [r for r in journey.problem_rows if r["kind"] == "エラー"]
    assert len(errors) == 1, journey.problem_rows
    error = errors[0]
    value_column = get_contract(BAD_DATASET).columns[1].ja
    assert (error["sheet"], error["row"], error["column"], error["value"]) == (
        "データ", BAD_ROW_NUMBER, value_column, "abc")
    assert BAD_VALUE_MESSAGE in error["message"]
    assert "0 以上の数値" in error["expected"]
    assert journey.submit_offered_on_errors == 0
    name, data = journey.downloads["error_file"]
    assert name == "観光_誤りあり_errors.xlsx"
    sheet = load_workbook(io.BytesIO(data)).worksheets[0]
    headers = [c.value for c in sheet[1]]
    assert headers[-1] == "エラー"
    assert BAD_VALUE_MESSAGE in str(sheet.cell(int(BAD_ROW_NUMBER), len(headers)).value)


def test_member_bs_page_is_refused_in_japanese(journey: Journey):
    forbidden = journey.visits["forbidden"]
    assert forbidden.status == 403
    assert "この操作・ページを利用する権限がありません。" in forbidden.text
    assert "(403)" in forbidden.text


def test_the_header_link_switches_to_english_and_back(journey: Journey, portal_site):
    english = journey.visits["member_en"]
    name_en = area_for(Home(portal_site.home)).member(journey.member_a).name_en
    assert urlsplit(english.url).path == f"/m/{journey.member_a}"
    assert f"Datasets of {name_en}" in english.text and "Check and submit a file" in english.text
    # Untranslated text: nothing Japanese but the link back to Japanese (and, on the
    # receipt, the member's own file name).
    assert set(JAPANESE.findall(english.text)) <= {"日本語"}, JAPANESE.findall(english.text)
    receipt = journey.visits["receipt_en"]
    assert "Receipt" in receipt.text and journey.receipt_id in receipt.text
    assert "accepted (rows 2/2, warnings 0)" in receipt.text
    shown = receipt.text.replace("KPI実績_R5.xlsx", "")
    assert set(JAPANESE.findall(shown)) <= {"日本語"}, JAPANESE.findall(shown)
    assert "提出状況と提出" in journey.visits["member_ja_again"].text


def test_logging_out_ends_the_session(journey: Journey):
    assert urlsplit(journey.visits["logged_out"].url).path == "/login"
    assert urlsplit(journey.after_logout_url).path == "/login"
    assert "ログアウト" not in journey.visits["after_logout"].text


def test_the_secretariat_sees_the_matrix_and_the_uploads_in_the_audit_log(journey: Journey,
                                                                         portal_site):
    members, audit = journey.visits["members"], journey.visits["audit"]
    assert urlsplit(members.url).path == "/members" and members.status == 200
    status = area_status(Home(portal_site.home))
    labels = [_label(s.state) for rows in status.values() for s in rows]
    assert members.text.count("差し戻し") == labels.count("差し戻し") >= 1
    assert members.text.count("提出済み") == labels.count("提出済み")
    assert audit.status == 200
    for expected in ("KPI実績_R5.xlsx", "観光_誤りあり.xlsx", journey.receipt_id,
                     f"/m/{journey.member_b}", portal_site.accounts["member_a"].email):
        assert expected in audit.text, expected
    for event in ("アップロード", "提出", "アクセス拒否", "ログイン"):
        assert event in audit.text, event


def test_no_page_had_a_javascript_error_a_failed_request_or_another_host(journey: Journey):
    found = {name: visit.problems for name, visit in journey.visits.items() if visit.problems}
    assert not found
    assert len(journey.visits) >= 15


def test_every_page_was_photographed(journey: Journey, shots: Path):
    wanted = ("login", "member", "result_ok", "result_errors", "receipt", "history", "figures",
              "forbidden", "member_en", "members", "audit")
    for name in wanted:
        shot = journey.visits[name].screenshot
        assert shot.is_file() and shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", name
