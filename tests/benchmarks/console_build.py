"""Time from pressing 「ビルドを実行」 in the secretariat's console to the result on the page
(issue 14, acceptance figure).

    .venv/bin/python -m tests.benchmarks.console_build [--home BUILT_HOME] [--runs 3]
                                                       [--out /tmp/console_build_bench]

On a private copy of a built home (``--home``; else ``kurume-hub demo`` builds one in a
temporary folder) with ``publication.approval: required``, a real ``kurume-hub serve`` runs
and the secretariat logs in through the login form. Each run: member 40216's tourism file
with a new value is submitted (so the build has something new), then, as the secretariat
meets it: POST /console/build → the 303 → the job page fetched every 0.5 s (as its own
refresh does) until it shows a final state. The floor, interleaved: the same kind of change
built by ``kurume-hub build`` in a terminal on a second copy of the home. Writes
``results.json`` and ``results.md`` (median, min, max, ratio to the floor).
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests.conftest import ROOT, run_cli
from tests.integration.test_publication import _ogori_tourism
from tests.portal import Account, portal_server, require_approval, visitor

MEMBER = "40216"  # the member whose file changes each run (the sample area's)
FINAL = re.compile(r'id="job-state" data-state="(published|awaiting_approval|unchanged|'
                   r'blocked|failed|done|interrupted)"')
POLL_S = 0.5


def _submit(home: Path, work: Path, value: int) -> None:
    run_cli("submit", str(_ogori_tourism(work / f"ogori_{value}.xlsx", value)),
            "--municipality", MEMBER, home=home, check=True)


def _secretariat(home: Path) -> Account:
    password = "bench-secretariat-pw-1"
    subprocess.run([sys.executable, "-m", "orchestration.cli", "users", "add",
                    "bench-secretariat@example.invalid", "--role", "secretariat",
                    "--password-stdin", "--home", str(home)], input=password, text=True,
                   cwd=ROOT, check=True, capture_output=True)
    return Account("bench-secretariat@example.invalid", password, None)


def press_build(client) -> tuple[float, str]:
    """Seconds from the POST to a page showing a final state, and that state."""
    started = time.perf_counter()
    answer = client.post("/console/build", data={"csrf_token": client.csrf})
    assert answer.status_code == 303, answer.text[:500]
    job = answer.headers["location"]
    while True:
        found = FINAL.search(client.get(job).text)
        if found:
            return time.perf_counter() - started, found.group(1)
        time.sleep(POLL_S)


def cli_build(home: Path) -> float:
    started = time.perf_counter()
    run_cli("build", home=home, check=True)
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", type=Path, help="a built home to copy (default: make one)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--out", type=Path, default=Path("/tmp/console_build_bench"))
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="console-bench-"))
    try:
        source = args.home
        if source is None:
            source = work / "demo"
            run_cli("demo", home=source, check=True)
        homes = {}
        for name in ("console", "terminal"):
            homes[name] = work / name
            shutil.copytree(source, homes[name], symlinks=True)
            require_approval(homes[name])
        account = _secretariat(homes["console"])
        console_s, states, floor_s = [], [], []
        with portal_server(homes["console"]) as base:
            client = visitor(base, account)
            for run in range(args.runs):
                value = 815_000 + run * 1_000  # a new value each run: never "nothing new"
                _submit(homes["console"], work, value)
                seconds, state = press_build(client)
                console_s.append(seconds)
                states.append(state)
                _submit(homes["terminal"], work, value)
                floor_s.append(cli_build(homes["terminal"]))
                print(f"run {run + 1}: console {seconds:.1f} s ({state}), "
                      f"terminal {floor_s[-1]:.1f} s", flush=True)
        _write(args.out, console_s, states, floor_s)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


def _write(out: Path, console_s: list[float], states: list[str], floor_s: list[float]) -> None:
    def stats(values):
        return {"median": round(statistics.median(values), 2), "min": round(min(values), 2),
                "max": round(max(values), 2), "runs": [round(v, 2) for v in values]}

    result = {"press_build_to_result_s": stats(console_s), "states": states,
              "kurume_hub_build_s": stats(floor_s),
              "ratio_to_terminal": round(statistics.median(console_s)
                                         / statistics.median(floor_s), 2)}
    (out / "results.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    rows = [("press 「ビルドを実行」 → result on the page", result["press_build_to_result_s"]),
            ("`kurume-hub build` in a terminal (floor)", result["kurume_hub_build_s"])]
    lines = ["| case | median s | min | max |", "|---|---|---|---|"]
    lines += [f"| {label} | {s['median']} | {s['min']} | {s['max']} |" for label, s in rows]
    lines.append(f"\nratio console / terminal (medians): {result['ratio_to_terminal']}; "
                 f"outcomes: {', '.join(states)}")
    text = "\n".join(lines) + "\n"
    (out / "results.md").write_text(text, encoding="utf-8")
    print(text)


if __name__ == "__main__":
    raise SystemExit(main())
