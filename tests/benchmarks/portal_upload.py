"""Time from upload to result page in the members' portal (issue 13, acceptance figures).

    .venv/bin/python -m tests.benchmarks.portal_upload [--home BUILT_HOME] [--runs 5]
                                                        [--out /tmp/portal_upload_bench]

On a private copy of a built home (``--home``; else ``kurume-hub demo`` builds one in a
temporary folder), a real ``kurume-hub serve`` process is started and one account per member
logs in through the login form. Measured, per file and run, as a member meets it: POST
/m/{code}/upload → the 303 → GET the result page, body fully received. Files: every sample
file of the area as its own member, a generated 10,000-row xlsx with valid values, and the
same workbook with 100 bad cells. Floors measured in the same run: GET /healthz (the HTTP
round trip) and ``check_file`` in this process (the validator alone, as ``kurume-hub
validate`` runs it). Also: six members uploading at once (wall time and per request).

Targets: median ≤ 1.0 s per sample file, ≤ 2.0 s for the 10,000-row xlsx. When one is
missed (or with ``--profile``), the in-process check and the result page render are run
under cProfile and the top functions are written next to the results.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from tests.conftest import ROOT, run_cli
from tests.portal import PASSWORD, Account, area_member_codes, portal_server, visitor

TARGET_SAMPLE_S = 1.0
TARGET_LARGE_S = 2.0
LARGE_ROWS = 10_000
BAD_CELLS = 100
LARGE_DATASET = "university_collaborations"  # key (year, title): 10,000 distinct valid rows
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CONTENT_TYPES = {".xlsx": XLSX, ".csv": "text/csv"}


@dataclass
class Case:
    label: str
    code: str
    path: Path
    target_s: float
    kind: str  # sample | large
    upload_s: list[float] = field(default_factory=list)
    server_check_s: list[float] = field(default_factory=list)  # the portal's own audit figure
    in_process_s: list[float] = field(default_factory=list)
    first_s: float = 0.0  # the warm-up upload, not in the statistics
    verdict: str = ""

    def summary(self) -> dict:
        return {"label": self.label, "member": self.code, "file": self.path.name,
                "kind": self.kind, "bytes": self.path.stat().st_size, "verdict": self.verdict,
                "target_s": self.target_s, "upload_to_page": stats(self.upload_s),
                "first_upload_s": round(self.first_s, 4),
                "server_receive_and_check": stats(self.server_check_s),
                "check_file_in_process": stats(self.in_process_s),
                "met": statistics.median(self.upload_s) <= self.target_s}


def stats(values: list[float]) -> dict:
    if not values:
        return {}
    return {"median": round(statistics.median(values), 4), "min": round(min(values), 4),
            "max": round(max(values), 4), "n": len(values)}


# ------------------------------------------------------------------ preparing the home


def prepare_home(given: Path | None, work: Path) -> Path:
    """A private copy of a built home (the portal writes its state into it)."""
    home = work / "home"
    if given is None:
        print("building a demo home (kurume-hub demo, ~1-2 min) ...", flush=True)
        run_cli("demo", home=work / "built", check=True)
        given = work / "built"
    shutil.copytree(given, home, symlinks=True)
    return home


def add_member_accounts(home: Path) -> dict[str, Account]:
    accounts = {}
    for code in area_member_codes(home):
        account = Account(f"bench-{code}@member.example", PASSWORD, code)
        run_cli("users", "add", account.email, "--municipality", code, "--password-stdin",
                home=home, check=True, input=PASSWORD + "\n")
        accounts[code] = account
    return accounts


def sample_files(home: Path) -> list[tuple[str, Path]]:
    """Every sample file of the home's area, with the member that sends it."""
    from orchestration.area import area_source_dir
    from orchestration.home import Home

    samples = area_source_dir(Home(home)) / "samples"
    return [(code, path) for code in area_member_codes(home)
            for path in sorted((samples / code).glob("*")) if path.is_file()]


def large_rows(bad_cells: int = 0) -> list[dict]:
    """10,000 valid rows (distinct keys, past fiscal years); with ``bad_cells``, that many
    spread-out cells are wrong: half years that are not years, half required cells empty."""
    last_year = date.today().year - 1
    years = list(range(last_year - 15, last_year + 1))
    rows = [{"fiscal_year": years[i % len(years)], "project_title": f"連携事業 {i:05d}",
             "partner_institution": f"大学{i % 37:02d}", "collaboration_project_no": None,
             "note": "bench" if i % 10 == 0 else None} for i in range(LARGE_ROWS)]
    for n, i in enumerate(range(0, LARGE_ROWS, LARGE_ROWS // bad_cells) if bad_cells else []):
        rows[i] = ({**rows[i], "partner_institution": None} if n % 2
                   else {**rows[i], "fiscal_year": "20X0年度"})
    return rows


def large_workbook(code: str, folder: Path, bad_cells: int = 0) -> Path:
    """The member's own template (as downloaded from its page) filled with ``large_rows``."""
    from orchestration.intake.templates import fill_template, write_template

    path = folder / (f"{LARGE_DATASET}_{code}_{LARGE_ROWS}"
                     f"{f'_bad{bad_cells}' if bad_cells else ''}.xlsx")
    write_template(LARGE_DATASET, path, "xlsx", code)
    return fill_template(path, large_rows(bad_cells), LARGE_DATASET)


# ------------------------------------------------------------------ measuring


def upload_to_page(client, code: str, path: Path) -> tuple[float, str]:
    """POST the file as the member's page does, follow the 303, read the result page."""
    data = path.read_bytes()
    started = time.perf_counter()
    posted = client.post(f"/m/{code}/upload", data={"csrf_token": client.csrf},
                         files={"file": (path.name, data, CONTENT_TYPES.get(path.suffix,
                                                                            "text/csv"))})
    if posted.status_code != 303:
        raise RuntimeError(f"{path}: {posted.status_code} {posted.text[:500]}")
    page = client.get(posted.headers["location"])
    elapsed = time.perf_counter() - started
    if page.status_code != 200 or "id=\"verdict\"" not in page.text:
        raise RuntimeError(f"{path}: result page {page.status_code}")
    return elapsed, posted.headers["location"].rsplit("/", 1)[1]


def last_server_seconds(home: Path) -> float | None:
    """The portal's own figure for store + check (``seconds=`` in the latest upload's audit
    line; uploads are measured one after another, so the latest is the one just made)."""
    from orchestration.home import Home
    from orchestration.portal import store

    with store.connect(Home(home)) as db:
        row = db.execute("SELECT detail FROM audit WHERE event = 'upload' "
                         "ORDER BY seq DESC LIMIT 1").fetchone()
    if row is None or "seconds=" not in (row["detail"] or ""):
        return None
    return float(row["detail"].rsplit("seconds=", 1)[1].split()[0])


def check_in_process(home: Path, case: Case) -> tuple[float, object]:
    from orchestration.home import Home
    from orchestration.intake.submissions import check_file

    started = time.perf_counter()
    report = check_file(Home(home), case.path, case.code, None, original_name=case.path.name)
    return time.perf_counter() - started, report


def measure_cases(home: Path, clients: dict, cases: list[Case], runs: int) -> None:
    for case in cases:
        client = clients[case.code]
        # Warm-up (kept apart): the first upload of a kind reads contracts and templates.
        case.first_s = upload_to_page(client, case.code, case.path)[0]
        check_in_process(home, case)
        for _ in range(runs):
            case.upload_s.append(upload_to_page(client, case.code, case.path)[0])
            server = last_server_seconds(home)
            if server is not None:
                case.server_check_s.append(server)
            seconds, report = check_in_process(home, case)
            case.in_process_s.append(seconds)
        case.verdict = (f"{'accepted' if report.accepted else 'errors'} "
                        f"({len(report.errors)} errors, {len(report.warnings)} warnings, "
                        f"{report.rows_total} rows)")
        print(f"  {case.label:<48} median {statistics.median(case.upload_s):.3f} s  "
              f"[{case.verdict}]", flush=True)


def healthz_floor(base: str, runs: int) -> list[float]:
    import httpx

    times = []
    with httpx.Client(base_url=base) as client:
        client.get("/healthz")
        for _ in range(max(runs, 20)):
            started = time.perf_counter()
            client.get("/healthz").raise_for_status()
            times.append(time.perf_counter() - started)
    return times


def six_at_once(clients: dict, files: dict[str, Path], runs: int) -> dict:
    """Every member uploads its file at the same moment (a barrier releases six threads)."""
    def one(code: str, barrier: threading.Barrier) -> float:
        barrier.wait(timeout=60)
        return upload_to_page(clients[code], code, files[code])[0]

    walls, each = [], []
    for _ in range(runs):
        barrier = threading.Barrier(len(files))
        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=len(files)) as pool:
            times = list(pool.map(one, files, [barrier] * len(files)))
        walls.append(time.perf_counter() - started)
        each.extend(times)
    return {"files": {code: path.name for code, path in files.items()},
            "wall_all_six": stats(walls), "per_request": stats(each)}


# ------------------------------------------------------------------ profiling


def profile_case(home: Path, case: Case, top: int = 25) -> str:
    """cProfile of what the server does for this upload, in this process: the validator
    (``check_file``), the stored verdict, and the result page render."""
    from orchestration.area import area_for
    from orchestration.home import Home
    from orchestration.intake.contracts import load_contracts
    from orchestration.portal import uploads
    from orchestration.portal.accounts import User
    from orchestration.portal.app import render_page
    from orchestration.portal.security import Principal

    profiler = cProfile.Profile()
    profiler.enable()
    seconds, report = check_in_process(home, case)
    record = uploads.report_record(report)
    json.dumps(record, ensure_ascii=False)  # what the uploads table stores
    render_started = time.perf_counter()
    page = render_page(
        Home(home), "result.html", "ja", f"/m/{case.code}/uploads/x",
        who=Principal(User("bench@member.example", "member", case.code), "token"),
        code=case.code, member=area_for(Home(home)).member(case.code),
        upload=uploads.Upload("x", "bench@member.example", case.code, report.dataset,
                              case.path.name, case.path, report.sha256, 0, "", None, record),
        report=record, contract=load_contracts().get(report.dataset or ""))
    render_s = time.perf_counter() - render_started
    profiler.disable()
    out = io.StringIO()
    out.write(f"# {case.label}: check_file {seconds:.3f} s, result page render {render_s:.3f} s "
              f"({len(page) / 1024:.0f} KiB)\n")
    stats_ = pstats.Stats(profiler, stream=out)
    stats_.sort_stats("cumulative").print_stats(top)
    stats_.sort_stats("tottime").print_stats(top)
    return out.getvalue()


# ------------------------------------------------------------------ report


def markdown(result: dict) -> str:
    lines = [f"# Portal upload → result page ({result['date']}, {result['runs']} runs each)", "",
             f"Floors: GET /healthz median {result['healthz']['median'] * 1000:.1f} ms "
             f"(min {result['healthz']['min'] * 1000:.1f}, max "
             f"{result['healthz']['max'] * 1000:.1f}); load average at start "
             f"{result['machine']['loadavg_at_start']}, at end "
             f"{result['machine']['loadavg_at_end']}.", "",
             "| file | member | rows / verdict | upload→page median | min | max | "
             "server store+check median | check_file in-process median | target | met |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for case in result["cases"]:
        up, srv, inproc = (case["upload_to_page"], case["server_receive_and_check"],
                           case["check_file_in_process"])
        lines.append(
            f"| {case['label']} | {case['member']} | {case['verdict']} | {up['median']:.3f} s "
            f"| {up['min']:.3f} | {up['max']:.3f} | "
            f"{srv.get('median', float('nan')):.3f} s | {inproc['median']:.3f} s | "
            f"≤ {case['target_s']:.1f} s | {'yes' if case['met'] else '**no**'} |")
    samples = [c for c in result["cases"] if c["kind"] == "sample"]
    medians = sorted(c["upload_to_page"]["median"] for c in samples)
    lines += ["", f"Sample files ({len(samples)}): median of medians "
              f"{statistics.median(medians):.3f} s, slowest median {medians[-1]:.3f} s.", ""]
    first = result["cases"][0]
    lines += [f"First upload after the server started ({first['label']}): "
              f"{first['first_upload_s']:.3f} s (not in the statistics).", ""]
    for key, title in (("six_at_once", "Six members uploading at once (sample files)"),
                       ("six_at_once_large", f"Six members uploading at once ({LARGE_ROWS:,}"
                                             "-row xlsx each)")):
        six = result[key]
        lines += [f"## {title}", "", "| measure | median | min | max | n |",
                  "|---|---|---|---|---|"]
        for name in ("wall_all_six", "per_request"):
            s = six[name]
            lines.append(f"| {name} | {s['median']:.3f} s | {s['min']:.3f} | {s['max']:.3f} | "
                         f"{s['n']} |")
        lines += ["", "Files: " + ", ".join(f"{k}: {v}" for k, v in six["files"].items()), ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--home", type=Path, help="a built home to copy (default: build one)")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--out", type=Path, default=Path(tempfile.gettempdir()) /
                        "portal_upload_bench", help="folder for portal_upload.json/.md")
    parser.add_argument("--profile", action="store_true",
                        help="profile the large files even when every target is met")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    load_at_start = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="portal_bench_") as tmp:
        work = Path(tmp)
        home = prepare_home(args.home.resolve() if args.home else None, work)
        accounts = add_member_accounts(home)
        codes = list(accounts)
        print("writing the 10,000-row workbooks ...", flush=True)
        large = {code: large_workbook(code, work) for code in codes}
        good, bad = large[codes[0]], large_workbook(codes[0], work, BAD_CELLS)
        cases = [Case(f"sample {code}/{path.name}", code, path, TARGET_SAMPLE_S, "sample")
                 for code, path in sample_files(home)]
        cases += [Case(f"{LARGE_ROWS:,}-row xlsx, valid", codes[0], good, TARGET_LARGE_S,
                       "large"),
                  Case(f"{LARGE_ROWS:,}-row xlsx, {BAD_CELLS} bad cells", codes[0], bad,
                       TARGET_LARGE_S, "large")]
        with portal_server(home) as base:
            clients = {code: visitor(base, account) for code, account in accounts.items()}
            floor = healthz_floor(base, args.runs)
            print(f"healthz median {statistics.median(floor) * 1000:.1f} ms", flush=True)
            measure_cases(home, clients, cases, args.runs)
            firsts = {code: next(c.path for c in cases if c.code == code and
                                 c.path.stem == "tourism_visitors") for code in codes}
            six = six_at_once(clients, firsts, args.runs)
            six_large = six_at_once(clients, large, args.runs)
            for client in clients.values():
                client.close()
        result = {"date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "runs": args.runs,
                  "machine": machine(load_at_start), "healthz": stats(floor),
                  "cases": [c.summary() for c in cases], "six_at_once": six,
                  "six_at_once_large": six_large}
        missed = [c for c in cases if statistics.median(c.upload_s) > c.target_s]
        to_profile = missed or ([c for c in cases if c.kind == "large"] if args.profile else [])
        profiles = [profile_case(home, c) for c in to_profile]
    (args.out / "portal_upload.json").write_text(json.dumps(result, ensure_ascii=False, indent=1),
                                                 encoding="utf-8")
    table = markdown(result)
    (args.out / "portal_upload.md").write_text(table, encoding="utf-8")
    if profiles:
        (args.out / "portal_upload_profile.txt").write_text("\n\n".join(profiles),
                                                           encoding="utf-8")
    print(table)
    print(f"written: {args.out}/portal_upload.json, .md"
          + (", portal_upload_profile.txt" if profiles else ""))
    return 1 if missed else 0


def machine(load_at_start) -> dict:
    import platform

    load = os.getloadavg()
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT,
                            capture_output=True, text=True).stdout.strip()
    return {"python": platform.python_version(), "cpus": os.cpu_count(),
            "loadavg_at_start": load_at_start, "loadavg_at_end": load, "commit": commit}


if __name__ == "__main__":
    sys.exit(main())
