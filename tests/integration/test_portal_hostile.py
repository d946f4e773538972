"""Hostile input through the portal (issue 13, deliverable 4), against a real ``kurume-hub
serve`` process: the bad-file corpus gets the CLI's verdicts, the size cap answers before the
body is read, a file name is never a path, and nothing a member uploads is ever rendered as
markup or written as a formula.

The CLI side of the comparisons runs in ONE fresh process that calls the CLI's own ``main()``
once per file (``kurume-hub validate FILE --municipality M [--dataset D] --json --home H``
with the manifest's flags): argument parsing, ``check_file`` and the JSON printing are the
CLI's, but ~100 process starts (~1 s each on the shared test machine) are not paid. Two files
are also run through ``run_cli`` as separate processes to show the batch answers the same.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import select
import socket
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from openpyxl import Workbook, load_workbook

from orchestration.intake.ledger import safe_original_name
from orchestration.portal.uploads import MAX_UPLOAD_BYTES
from tests.conftest import ROOT, run_cli
from tests.fixtures.make_bad_corpus import BAD_DIR, read_manifest
from tests.portal import PASSWORD, area_member_codes, visitor

pytestmark = pytest.mark.integration

CORPUS = read_manifest()
TOURISM_HEADER = "年,観光入込客数（人）,備考\r\n"
TOO_LARGE_JA = "ファイルが大きすぎます"
TOO_LARGE_EN = "too large"


# ------------------------------------------------------------------ helpers

_CLI_BATCH = """\
import contextlib, io, json, sys
from orchestration.cli import main
answers = []
for argv in json.load(sys.stdin):
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main(argv)
    answers.append([code, out.getvalue()])
json.dump(answers, sys.stdout)
"""


def cli_validate_many(calls: list[tuple[Path, str, str, str]], home: Path) -> list[dict]:
    """``kurume-hub validate PATH --municipality M [--dataset D] ARGS --json --home H`` for
    each (path, municipality, dataset, args), in one process; the parsed JSON of each."""
    argvs = [["validate", str(path), "--municipality", code, "--json", "--home", str(home),
              *(["--dataset", dataset] if dataset else []), *args.split()]
             for path, code, dataset, args in calls]
    env = {**os.environ, "PYTHONUTF8": "1"}
    env.pop("KURUME_HUB_HOME", None)
    done = subprocess.run([sys.executable, "-c", _CLI_BATCH], input=json.dumps(argvs),
                          capture_output=True, text=True, env=env, cwd=ROOT, timeout=600)
    assert done.returncode == 0 and not done.stderr.strip(), done.stderr
    answers = []
    for argv, (code, out) in zip(argvs, json.loads(done.stdout), strict=True):
        report = json.loads(out)
        assert code == (0 if report["accepted"] else 1), argv
        answers.append(report)
    return answers


def verdict(report: dict) -> tuple[bool, Counter]:
    """What must agree between the portal and the CLI: accepted, and the problems as a
    multiset of (severity, code)."""
    return report["accepted"], Counter((p["severity"], p["code"]) for p in report["problems"])


def where(report: dict) -> list[tuple]:
    return sorted((p["severity"], p["code"], str(p["sheet"]), str(p["row"]), str(p["column"]),
                   str(p["raw"]), p["message"]) for p in report["problems"])


def api_post(base: str, route: str, token: str, name: str, data: bytes, municipality: str,
             dataset: str = "") -> httpx.Response:
    return httpx.post(f"{base}/api/v1/{route}", headers={"Authorization": f"Bearer {token}"},
                      files={"file": (name, data, "application/octet-stream")},
                      data={"municipality": municipality, "dataset": dataset}, timeout=120)


def page_upload(client, code: str, name: str, data: bytes) -> str:
    """Upload through the member's page; the result page's path."""
    answer = client.post(f"/m/{code}/upload", files={"file": (name, data, "text/csv")},
                         data={"dataset": "", "csrf_token": client.csrf})
    assert answer.status_code == 303, (answer.status_code, answer.text[:500])
    return answer.headers["location"]


def token_for(home: Path, email: str) -> str:
    return run_cli("users", "token", email, home=home, check=True).stdout.strip()


def accepted_state(home: Path) -> tuple[dict[str, bytes], list[str]]:
    """The accepted records and the accepted ledger lines, byte for byte."""
    records = home / "submissions" / "records"
    files = {str(p.relative_to(records)): p.read_bytes() for p in sorted(records.rglob("*"))
             if p.is_file()}
    lines = (home / "submissions" / "ledger.jsonl").read_text(encoding="utf-8").splitlines()
    return files, [line for line in lines if json.loads(line)["outcome"] == "accepted"]


def ledger_lines(home: Path) -> list[dict]:
    text = (home / "submissions" / "ledger.jsonl").read_text(encoding="utf-8")
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def tourism_csv(*rows: str) -> bytes:
    return (TOURISM_HEADER + "".join(f"{row}\r\n" for row in rows)).encode("utf-8")


@pytest.fixture(scope="module")
def tokens(portal_site) -> dict[str, str]:
    """An API token per member of the corpus (a member account of its own, made with
    ``kurume-hub users add``); the secretariat's for a code that is no member at all."""
    home = portal_site.home
    members = set(area_member_codes(home))
    have = {a.municipality: a.email for a in portal_site.accounts.values() if a.municipality}
    found = {"secretariat": token_for(home, portal_site.accounts["secretariat"].email)}
    for code in sorted(({row["municipality"] for row in CORPUS} & members) | set(have)):
        email = have.get(code)
        if email is None:
            email = f"hostile-{code}@member.example"
            run_cli("users", "add", email, "--municipality", code, "--password-stdin",
                    home=home, check=True, input=PASSWORD + "\n")
        found[code] = token_for(home, email)
    return found


def token_of(tokens: dict[str, str], code: str) -> str:
    return tokens.get(code, tokens["secretariat"])


# ----------------------------------------------- 1. the corpus: the CLI's verdicts


def test_corpus_through_the_api_gets_the_cli_verdicts_and_refusals_record_nothing_accepted(
        portal_site, tokens):
    site, started = portal_site, time.monotonic()
    portal = {}
    for row in CORPUS:
        answer = api_post(site.base, "validate", token_of(tokens, row["municipality"]),
                          row["file"], (BAD_DIR / row["file"]).read_bytes(),
                          row["municipality"], row["dataset"])
        assert answer.status_code == 200, (row["file"], answer.status_code, answer.text)
        portal[row["file"]] = answer.json()

    # The CLI on the same home (same ledger, so the same revision check), with the
    # manifest's flags. ``--max-bytes`` has no counterpart in the API: the portal's cap is
    # the CLI's default limit, so such a file is also checked without the flag and the
    # portal must give that verdict.
    flagged = [row for row in CORPUS if row["args"]]
    calls = [(BAD_DIR / r["file"], r["municipality"], r["dataset"], r["args"]) for r in CORPUS]
    calls += [(BAD_DIR / r["file"], r["municipality"], r["dataset"], "") for r in flagged]
    answers = cli_validate_many(calls, site.home)
    cli = dict(zip([r["file"] for r in CORPUS], answers[:len(CORPUS)], strict=True))
    cli_default = dict(zip([r["file"] for r in flagged], answers[len(CORPUS):], strict=True))

    differ = []
    for row in CORPUS:
        name, got = row["file"], portal[row["file"]]
        want = cli_default[name] if row["args"] else cli[name]
        if verdict(got) != verdict(want) or where(got) != where(want):
            differ.append(f"{name}:\n portal {json.dumps(got['problems'], ensure_ascii=False)}"
                          f"\n cli    {json.dumps(want['problems'], ensure_ascii=False)}")
        for key in ("accepted", "file", "municipality", "dataset", "sha256", "rows_total",
                    "rows_accepted", "checked_only", "recorded"):
            if got[key] != want[key]:
                differ.append(f"{name}: {key} portal {got[key]!r} != cli {want[key]!r}")
    assert not differ, "\n".join(differ)

    # Every file the manifest expects refused is refused by the portal, but for a size
    # limit given on the command line: under the portal's cap that file is read.
    for row in flagged:
        assert row["args"].split()[0] == "--max-bytes", row
        assert verdict(cli[row["file"]])[1][("error", row["code"])] >= 1
        assert all(p["code"] != "file_too_large" for p in portal[row["file"]]["problems"])
        assert (BAD_DIR / row["file"]).stat().st_size < MAX_UPLOAD_BYTES
    refused = [r for r in CORPUS if not portal[r["file"]]["accepted"]]
    assert {r["file"] for r in refused} == (
        {r["file"] for r in CORPUS if r["expect"] == "refused" and not r["args"]}
        | {r["file"] for r in flagged if not cli_default[r["file"]]["accepted"]})
    for row in refused:
        if not row["args"]:
            codes = {p["code"] for p in portal[row["file"]]["problems"]
                     if p["severity"] == "error"}
            assert row["code"] in codes, (row["file"], codes)

    # Submitting every refused file: 422 each time, nothing accepted moves.
    before, lines_before = accepted_state(site.home), len(ledger_lines(site.home))
    recorded = []
    for row in refused:
        answer = api_post(site.base, "submissions", token_of(tokens, row["municipality"]),
                          row["file"], (BAD_DIR / row["file"]).read_bytes(),
                          row["municipality"], row["dataset"])
        assert answer.status_code == 422, (row["file"], answer.status_code, answer.text)
        body = answer.json()
        assert body["accepted"] is False and body["rows_accepted"] == 0, row["file"]
        assert verdict(body) == verdict(portal[row["file"]]), row["file"]
        if body["recorded"]:
            recorded.append((body["submission_id"], row["file"]))
        else:  # another member's template or rows: refused and not traced (as the CLI)
            assert body["submission_id"] is None, row["file"]
    assert accepted_state(site.home) == before
    new = ledger_lines(site.home)[lines_before:]
    assert {e["outcome"] for e in new} == {"rejected"}
    assert [(e["submission_id"], e["original_name"]) for e in new] == recorded
    print(f"\ncorpus: {len(CORPUS)} validated, {len(refused)} submitted and refused "
          f"in {time.monotonic() - started:.1f} s")


def test_the_batch_cli_answers_as_separate_cli_processes_do(portal_site):
    rows = [r for r in CORPUS if r["file"] in ("not_a_number.xlsx", "enc_euc_jp.csv")]
    batch = cli_validate_many([(BAD_DIR / r["file"], r["municipality"], r["dataset"], "")
                               for r in rows], portal_site.home)
    for row, from_batch in zip(rows, batch, strict=True):
        alone = run_cli("validate", str(BAD_DIR / row["file"]), "--municipality",
                        row["municipality"], "--json", home=portal_site.home)
        assert alone.returncode == 1 and json.loads(alone.stdout) == from_batch


# ------------------------------------------------- 2. the size cap, before the body


def raw_request(base: str, request_head: str, body_parts, wait: float = 2.0) -> tuple[bytes, float]:
    """Send a request head and body parts over a plain socket, stopping as soon as the
    server answers (or stops reading); the answer and the seconds it took."""
    host, port = urlsplit(base).hostname, urlsplit(base).port
    started = time.monotonic()
    with socket.create_connection((host, port), timeout=wait) as sock:
        sock.sendall(request_head.encode("latin-1"))
        for part in body_parts:
            if select.select([sock], [], [], 0)[0]:
                break  # the answer is already there
            try:
                sock.sendall(part)
            except OSError:  # the server closed the connection: read what it said
                break
        answer = b""
        with contextlib.suppress(OSError):
            while b"\r\n\r\n" not in answer or len(answer) < _length(answer):
                chunk = sock.recv(65536)
                if not chunk:
                    break
                answer += chunk
    return answer, time.monotonic() - started


def _length(answer: bytes) -> int:
    head, _, _ = answer.partition(b"\r\n\r\n")
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            return len(head) + 4 + int(line.split(b":")[1])
    return 1 << 40


def _head(path: str, base: str, extra: dict[str, str]) -> str:
    lines = [f"POST {path} HTTP/1.1", f"Host: {urlsplit(base).netloc}",
             "Content-Type: multipart/form-data; boundary=hostileboundary",
             *(f"{k}: {v}" for k, v in extra.items())]
    return "\r\n".join(lines) + "\r\n\r\n"


def _multipart_start(name: str = "big.csv") -> bytes:
    return (f'--hostileboundary\r\nContent-Disposition: form-data; name="file"; '
            f'filename="{name}"\r\nContent-Type: text/csv\r\n\r\n').encode() + \
        TOURISM_HEADER.encode()


def _status(answer: bytes) -> int:
    return int(answer.split(b" ", 2)[1]) if answer.startswith(b"HTTP/1.1 ") else 0


def _body(answer: bytes) -> str:
    return answer.partition(b"\r\n\r\n")[2].decode("utf-8", "replace")


@pytest.fixture(scope="module")
def member_a(portal_site):
    account = portal_site.accounts["member_a"]
    client = visitor(portal_site.base, account)
    yield account.municipality, client
    client.close()


def _routes(site, member_a, tokens) -> list[tuple[str, dict[str, str], bool]]:
    code, client = member_a
    cookie = "; ".join(f"{k}={v}" for k, v in client.cookies.items())
    return [(f"/m/{code}/upload", {"Cookie": cookie, "X-CSRF-Token": client.csrf}, False),
            ("/api/v1/validate", {"Authorization": f"Bearer {token_of(tokens, code)}"}, True)]


def _uploads(home: Path) -> set[Path]:
    folder = home / "portal" / "uploads"
    return set(folder.rglob("*")) if folder.exists() else set()


def test_a_200_mb_announcement_is_refused_at_once_without_reading_the_body(
        portal_site, member_a, tokens):
    for path, headers, is_api in _routes(portal_site, member_a, tokens):
        head = _head(path, portal_site.base, {**headers, "Content-Length": "209715200"})
        answer, seconds = raw_request(portal_site.base, head, [_multipart_start(),
                                                               b"2023,1,\r\n" * 400])
        assert _status(answer) == 413, (path, answer[:300])
        assert seconds < 2.0, (path, seconds)
        body = _body(answer)
        assert TOO_LARGE_JA in body, body[:400]
        if is_api:
            payload = json.loads(body)
            assert payload["error"] == "too_large" and TOO_LARGE_EN in payload["message_en"]
        else:
            assert "<html" in body.lower() and "<script>" not in body


def _chunked(parts) -> list[bytes]:
    return [f"{len(p):x}\r\n".encode() + p + b"\r\n" for p in parts]


def test_a_chunked_upload_growing_past_the_cap_is_refused_and_leaves_nothing(
        portal_site, member_a, tokens):
    before = _uploads(portal_site.home)
    block = b"2023,812000," + b"x" * (1024 * 1024 - 14) + b"\r\n"
    blocks = MAX_UPLOAD_BYTES // len(block) + 3  # past the cap and its multipart allowance
    for path, headers, is_api in _routes(portal_site, member_a, tokens):
        head = _head(path, portal_site.base, {**headers, "Transfer-Encoding": "chunked"})
        parts = _chunked([_multipart_start(), *(block for _ in range(blocks)),
                          b"\r\n--hostileboundary--\r\n"]) + [b"0\r\n\r\n"]
        answer, seconds = raw_request(portal_site.base, head, parts, wait=30)
        assert _status(answer) == 413, (path, answer[:300])
        assert TOO_LARGE_JA in _body(answer)
        if is_api:
            assert TOO_LARGE_EN in json.loads(_body(answer))["message_en"]
    assert _uploads(portal_site.home) == before


def test_a_file_just_under_the_cap_is_read_by_the_validator(portal_site, member_a, tokens):
    """Up to the cap the validator decides: here it refuses the over-long cell (the cap
    would have said 413, not 200 with a verdict); one byte more and the cap refuses."""
    code, client = member_a
    start = TOURISM_HEADER.encode() + b"2023,812000,"
    exactly = start + b"x" * (MAX_UPLOAD_BYTES - len(start) - 2) + b"\r\n"
    assert len(exactly) == MAX_UPLOAD_BYTES
    answer = api_post(portal_site.base, "validate", token_of(tokens, code), "limit.csv",
                      exactly, code)
    assert answer.status_code == 200, answer.text[:400]
    report = answer.json()
    assert report["accepted"] is False
    assert report["problems"] and all(p["code"] != "file_too_large" for p in report["problems"])
    page = client.get(page_upload(client, code, "limit.csv", exactly))
    assert page.status_code == 200 and report["sha256"] in page.text

    over = exactly + b"x"
    answer = api_post(portal_site.base, "validate", token_of(tokens, code), "over.csv",
                      over, code)
    assert answer.status_code == 413
    assert answer.json()["message"].startswith(TOO_LARGE_JA)
    assert TOO_LARGE_EN in answer.json()["message_en"]
    refused = client.post(f"/m/{code}/upload", files={"file": ("over.csv", over, "text/csv")},
                          data={"csrf_token": client.csrf})
    assert refused.status_code == 413 and TOO_LARGE_JA in refused.text


# --------------------------------------------------------- 3. a name is never a path

HOSTILE_NAMES = ["../../../../tmp/pwned.csv", "..\\..\\evil.csv", "/etc/passwd",
                 "report\u202egnp.csv", "n" * 296 + ".csv"]


def _files_under(root: Path) -> set[Path]:
    return {p for p in root.rglob("*") if p.is_file()}


def test_file_names_are_names_never_paths(portal_site, member_a, tokens, tmp_path):
    home, (code, client) = portal_site.home, member_a
    assert not Path("/tmp/pwned.csv").exists()
    files_before = _files_under(home)
    outside_before = {p for p in home.parent.iterdir()} | {p for p in Path("/tmp").iterdir()}
    verdicts = []
    for i, name in enumerate(HOSTILE_NAMES):
        # A readable, refused file (a negative count): nothing accepted changes.
        data = tourism_csv(f"2023,-{i + 1},", "2024,5,")
        shown = safe_original_name(name)
        assert "/" not in shown and "\\" not in shown and "\u202e" not in shown
        assert len(shown) <= 200

        result = client.get(page_upload(client, code, name, data))
        assert result.status_code == 200
        assert shown in result.text and name not in result.text

        answer = api_post(portal_site.base, "submissions", token_of(tokens, code), name,
                          data, code)
        assert answer.status_code == 422, answer.text
        entry = ledger_lines(home)[-1]
        assert entry["original_name"] == shown and answer.json()["file"] == shown
        # The suffix still chooses the reader, as for the CLI reading a file of that name.
        (tmp_path / shown).write_bytes(data)
        verdicts.append(verdict(answer.json()))
        stored = (home / entry["stored_path"]).resolve()
        assert stored.is_relative_to((home / "submissions" / "files").resolve())
        assert shown not in str(stored)
        receipt = client.get(f"/m/{code}/submissions/{entry['submission_id']}")
        assert receipt.status_code == 200 and shown in receipt.text
        assert name not in receipt.text
    from_cli = cli_validate_many([(tmp_path / safe_original_name(n), code, "", "")
                                  for n in HOSTILE_NAMES], home)
    assert verdicts == [verdict(r) for r in from_cli]
    assert [("error", "unsupported_format") in v[1] for v in verdicts] == [
        not n.endswith(".csv") for n in HOSTILE_NAMES]
    history = client.get(f"/m/{code}/history")
    assert all(safe_original_name(n) in history.text for n in HOSTILE_NAMES)
    assert "../../" not in history.text and "..\\" not in history.text

    # New files only under the uploads folder and the ledger's files folder (the state files
    # that already existed were appended to, not created; SQLite may add its -wal/-journal).
    allowed = [home / "portal" / "uploads", home / "submissions" / "files"]
    created = _files_under(home) - files_before
    stray = [p for p in created if not any(p.is_relative_to(a) for a in allowed)
             and not (p.parent == home / "portal" and p.name.startswith("portal.sqlite3-"))]
    assert stray == [], stray
    assert not Path("/tmp/pwned.csv").exists() and not Path("/evil.csv").exists()
    outside_after = {p for p in home.parent.iterdir()} | {p for p in Path("/tmp").iterdir()}
    assert not {p.name for p in outside_after - outside_before} & {"pwned.csv", "evil.csv",
                                                                   "passwd"}


# ------------------------------------------------- 4. uploaded markup is only text

PAYLOADS = ["<script>alert(1)</script>", "<img src=x onerror=alert(1)>",
            '"><svg onload=alert(1)>']
# Names keep no '/', which would make everything before it a folder (see above).
PAYLOAD_NAMES = ["<img src=x onerror=alert(1)>.csv", '"><svg onload=alert(1)>.csv',
                 "<script>alert(1)<.csv"]


def _assert_only_escaped(page: httpx.Response, *texts: str) -> None:
    assert page.status_code == 200, (page.url, page.status_code, page.text[:1000])
    policy = page.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    assert "unsafe-eval" not in policy
    for raw in (*PAYLOADS, *PAYLOAD_NAMES, "<script>alert", "<img src=x", "<svg onload"):
        assert raw not in page.text, raw
    for text in texts:
        assert text in page.text, text


def test_uploaded_html_is_shown_escaped_and_downloaded_as_a_file(portal_site, member_a,
                                                                 tokens):
    site, (code, client) = portal_site, member_a
    secretariat = visitor(site.base, site.accounts["secretariat"])
    for i, (payload, name) in enumerate(zip(PAYLOADS, PAYLOAD_NAMES, strict=True)):
        quoted = payload.replace('"', '""')
        data = tourism_csv(f'2023,"{quoted}","{quoted}"', f'2024,{900 + i},"{quoted}"')
        result = client.get(page_upload(client, code, name, data))
        escaped = payload.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;") \
            .replace('"', "&#34;")
        _assert_only_escaped(result, escaped, "&lt;")
        assert "not_a_number" in result.text or "数値" in result.text

        answer = api_post(site.base, "submissions", token_of(tokens, code), name, data, code)
        assert answer.status_code == 422
        entry = ledger_lines(site.home)[-1]
        receipt = client.get(f"/m/{code}/submissions/{entry['submission_id']}")
        _assert_only_escaped(receipt)
        download = client.get(f"/m/{code}/submissions/{entry['submission_id']}/file")
        assert download.status_code == 200 and download.content == data
        assert download.headers["content-disposition"].startswith("attachment;")
        assert "html" not in download.headers["content-type"]
        assert download.headers["x-content-type-options"] == "nosniff"

    _assert_only_escaped(client.get(f"/m/{code}/history"), "&lt;img src=x onerror=alert(1)&gt;")
    _assert_only_escaped(secretariat.get("/audit?event=upload"),
                         "&lt;img src=x onerror=alert(1)&gt;.csv")

    # A page saved as .html: refused (not a table), recorded, downloaded as bytes only.
    html = b"<!doctype html><html><body><script>alert(document.cookie)</script></body></html>"
    answer = api_post(site.base, "submissions", token_of(tokens, code), "index.html", html, code)
    assert answer.status_code == 422
    entry = ledger_lines(site.home)[-1]
    assert entry["original_name"] == "index.html"
    download = client.get(f"/m/{code}/submissions/{entry['submission_id']}/file")
    assert download.content == html and "html" not in download.headers["content-type"]
    assert download.headers["content-disposition"].startswith("attachment;")
    secretariat.close()


FORMULAS = ['=HYPERLINK("http://example.invalid/x","詳細")', "=cmd|' /C calc'!A0",
            "@SUM(A1:A9)", "+1+1"]


def _formula_files(folder: Path) -> list[Path]:
    wb = Workbook()
    ws = wb.active
    ws.title = "データ"
    ws.append(["年", "観光入込客数（人）", "備考"])
    ws.append([2023, 812_000, FORMULAS[0]])  # openpyxl stores these two as real formulas
    ws.append([2024, FORMULAS[1], "note"])
    xlsx = folder / "formulas.xlsx"
    wb.save(xlsx)
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\r\n")
    writer.writerows([["年", "観光入込客数（人）", "備考"], [2023, 812_001, FORMULAS[0]],
                      [2024, FORMULAS[1], FORMULAS[2]], [2022, FORMULAS[3], FORMULAS[1]]])
    plain = folder / "formulas.csv"
    plain.write_bytes(text.getvalue().encode("utf-8-sig"))
    return [xlsx, plain]


def test_formula_cells_get_the_cli_verdict_and_the_error_file_holds_no_formula(
        portal_site, member_a, tokens, tmp_path):
    site, (code, client) = portal_site, member_a
    files = _formula_files(tmp_path)
    from_cli = cli_validate_many([(path, code, "", "") for path in files], site.home)
    for path, want in zip(files, from_cli, strict=True):
        result_path = page_upload(client, code, path.name, path.read_bytes())
        upload_id = result_path.rsplit("/", 1)[-1]
        answer = api_post(site.base, "validate", token_of(tokens, code), path.name,
                          path.read_bytes(), code)
        assert verdict(answer.json()) == verdict(want) and where(answer.json()) == where(want)
        _assert_only_escaped(client.get(result_path))

        errors = client.get(f"{result_path}/errors.xlsx")
        assert errors.status_code == 200, upload_id
        assert errors.headers["content-disposition"].startswith("attachment;")
        book = load_workbook(io.BytesIO(errors.content))
        cells = [c for ws in book.worksheets for row in ws.iter_rows() for c in row]
        assert [c.coordinate for c in cells if c.data_type == "f"] == []
        if path.suffix == ".csv":  # its rows are read: the formula texts are kept as text
            texts = {c.value for c in cells if c.data_type == "s"}
            assert {FORMULAS[0], FORMULAS[1], FORMULAS[2]} <= texts, texts


