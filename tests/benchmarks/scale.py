"""How a build grows with the number of members (issue 16, "Scale benchmark", deliverable 1).

    .venv/bin/python -m tests.benchmarks.scale [--sizes 24,200,1741] [--runs 1]
                                               [--out /tmp/scale_bench] [--keep DIR] [--strict]

For each size N: ``kurume-hub init --synthetic --members N`` (a made-up national-style area,
orchestration/synthetic_area.py; timed apart, not part of the build), then ``--runs`` full
``kurume-hub build`` in a fresh process, each on a fresh copy of that home (the median is
reported: a shared two-core machine is noisy), measuring

* wall seconds, and the stages from the build's events (tests/benchmarks/build.py reads them
  the same way), so the dashboard's share is visible on its own;
* peak memory of the whole process tree: every ~50 ms the proportional set sizes (PSS: a
  shared page split between the processes that map it) of the build and all its descendants
  (dbt, Chromium) are summed and the largest sum is kept; the largest sum of RSS (shared
  pages counted once per process, an upper bound) is reported beside it;
* rows: raw (``raw.*``, what the intake loaded) and marts (the tables dbt publishes from);
* the reference, "the limit": the compiled SQL of the same build (``<home>/dbt/target``),
  models in DAG order then data tests (as ``select count(*) from (<test>)``), executed
  directly with the duckdb package on a copy of the warehouse's input tables (raw and
  reference). ``ratio to raw DuckDB`` = the build's dbt stage / that time; the same ratio for
  dbt's own node times (run_results.json) shows how much is dbt's fixed start-up.

Targets (issue 16), for the largest size against the smallest (24 by default): build ≤ 4× the
small build, dbt stage ≤ 1.5× raw DuckDB, peak ≤ 2 GiB. Writes ``results.json`` and
``results.md`` into ``--out`` and prints the Markdown; exit 0 even when a target is missed
unless ``--strict``.
"""

from __future__ import annotations

import argparse
import graphlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from tests.benchmarks.build import _env, latest, read_events, stage_times, write_results
from tests.benchmarks.portal_upload import machine
from tests.conftest import CLI, ROOT

DEFAULT_SIZES = (24, 200, 1741)
STAGES = ("imports", "intake", "dbt", "gate", "publish", "dashboard", "after the stages")
POLL_SECONDS = 0.05
TARGET_GROWTH, TARGET_RAW_RATIO, TARGET_PEAK_MIB = 4.0, 1.5, 2048


# ------------------------------------------------------------------ memory of a process tree


def _children_map() -> dict[int, list[int]]:
    """parent pid -> child pids, from /proc/<pid>/stat (the field after the command name)."""
    children: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as fh:
                stat = fh.read()
        except OSError:
            continue  # exited meanwhile
        ppid = int(stat[stat.rfind(b")") + 2:].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    return children


def _memory(pid: int) -> tuple[int, int]:
    """(RSS, PSS) bytes of one process. PSS splits each shared page between the processes
    that map it: Chromium's renderers and dbt's threads share most of their pages, so a sum
    of RSS over the tree counts them many times (1.9 GiB for a 24-member build) while a sum
    of PSS is what the tree really holds."""
    rss = pss = 0
    try:
        with open(f"/proc/{pid}/smaps_rollup", "rb") as fh:
            for line in fh:
                if line.startswith(b"Rss:"):
                    rss = int(line.split()[1]) * 1024
                elif line.startswith(b"Pss:"):
                    pss = int(line.split()[1]) * 1024
    except OSError:
        pass  # exited meanwhile
    return rss, pss


def _descendants(pid: int) -> list[int]:
    try:
        import psutil
    except ImportError:
        children = _children_map()
        todo, found = [pid], []
        while todo:
            current = todo.pop()
            found.append(current)
            todo += children.get(current, [])
        return found
    try:
        return [pid, *(p.pid for p in psutil.Process(pid).children(recursive=True))]
    except psutil.NoSuchProcess:
        return []


def tree_memory(pid: int) -> tuple[int, int]:
    """(RSS, PSS) bytes of ``pid`` and all its descendants, summed."""
    sizes = [_memory(p) for p in _descendants(pid)]
    return sum(r for r, _ in sizes), sum(p for _, p in sizes)


@dataclass
class Measured:
    seconds: float
    started_wall: float
    peak_bytes: int      # the largest sum of PSS over the tree
    peak_rss_bytes: int  # the largest sum of RSS (shared pages counted per process)
    stdout: str
    returncode: int


def measured(argv: list[str], events: Path | None = None) -> Measured:
    """Run a command, polling its process tree's memory until it exits."""
    started_wall, started = time.time(), time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            env=_env(events), cwd=ROOT)
    peak = [0, 0]

    def poll() -> None:
        while proc.poll() is None:
            rss, pss = tree_memory(proc.pid)
            peak[0], peak[1] = max(peak[0], pss), max(peak[1], rss)
            time.sleep(POLL_SECONDS)

    poller = threading.Thread(target=poll, daemon=True)
    poller.start()
    stdout = proc.communicate()[0]
    seconds = time.perf_counter() - started
    poller.join()
    return Measured(seconds, started_wall, peak[0], peak[1], stdout, proc.returncode)


# ------------------------------------------------------------------ rows


def row_counts(home: Path, manifest: dict) -> dict[str, int]:
    import duckdb

    marts = [n["relation_name"] for n in manifest["nodes"].values()
             if n["resource_type"] == "model" and "marts" in n["fqn"]
             and n["config"].get("materialized") == "table"]
    con = duckdb.connect(str(home / "warehouse.duckdb"), read_only=True)
    try:
        raw = con.execute("select table_name from information_schema.tables "
                          "where table_schema = 'raw'").fetchall()
        return {"raw": sum(con.execute(f'select count(*) from raw."{t}"').fetchone()[0]
                           for (t,) in raw),
                "marts": sum(con.execute(f"select count(*) from {r}").fetchone()[0]
                             for r in marts)}
    finally:
        con.close()


# ------------------------------------------------------------------ the reference


def _compiled(node: dict) -> str:
    code = node.get("compiled_code")
    if code:
        return code
    return Path(node["compiled_path"]).read_text(encoding="utf-8")


def _dag_order(manifest: dict) -> list[dict]:
    """Models (ephemeral ones are inlined by dbt) and data tests, each after what it reads."""
    nodes = {k: n for k, n in manifest["nodes"].items()
             if n["resource_type"] in ("model", "test")
             and n["config"].get("materialized") != "ephemeral"}
    graph = graphlib.TopologicalSorter(
        {k: [d for d in n["depends_on"]["nodes"] if d in nodes] for k, n in nodes.items()})
    return [nodes[k] for k in graph.static_order()]


def raw_duckdb(home: Path, manifest: dict, work: Path) -> dict[str, float]:
    """Seconds the build's compiled SQL takes run directly with duckdb, on a copy of the
    warehouse's inputs (the copy has the warehouse's file name: the compiled SQL names the
    catalog after it)."""
    import duckdb

    folder = work / "reference-run"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    con = duckdb.connect(str(folder / "warehouse.duckdb"))
    try:
        con.execute(f"attach '{home / 'warehouse.duckdb'}' as source_copy (read_only)")
        for schema in ("raw", "reference"):
            con.execute(f"create schema {schema}")
            tables = con.execute("select table_name from duckdb_tables() where database_name = "
                                 "'source_copy' and schema_name = ?", [schema]).fetchall()
            for (table,) in tables:
                con.execute(f'create table {schema}."{table}" as '
                            f'select * from source_copy.{schema}."{table}"')
        con.execute("detach source_copy")
        con.execute("checkpoint")
        models = tests = 0.0
        schemas: set[str] = set()
        for node in _dag_order(manifest):
            sql = _compiled(node)
            started = time.perf_counter()
            if node["resource_type"] == "model":
                if node["schema"] not in schemas:
                    con.execute(f'create schema if not exists "{node["schema"]}"')
                    schemas.add(node["schema"])
                kind = "view" if node["config"]["materialized"] == "view" else "table"
                con.execute(f"create or replace {kind} {node['relation_name']} as (\n{sql}\n)")
                models += time.perf_counter() - started
            else:
                con.execute(f"select count(*) from (\n{sql}\n) as dbt_internal_test").fetchone()
                tests += time.perf_counter() - started
        return {"models": round(models, 3), "tests": round(tests, 3),
                "total": round(models + tests, 3)}
    finally:
        con.close()
        shutil.rmtree(folder, ignore_errors=True)


def dbt_node_seconds(home: Path) -> float:
    """dbt's own time in the nodes it ran (run_results.json), without its start-up."""
    results = json.loads((home / "dbt" / "target" / "run_results.json").read_text())
    return round(sum(r["execution_time"] for r in results["results"]), 3)


# ------------------------------------------------------------------ one size


def cli(*args: str, home: Path, events: Path | None = None) -> Measured:
    done = measured([*CLI, *args, "--home", str(home)], events)
    if done.returncode != 0:
        raise RuntimeError(f"kurume-hub {' '.join(args)} -> {done.returncode}\n{done.stdout}")
    return done


def one_size(members: int, work: Path, runs: int = 1) -> dict:
    """``init`` once, then ``runs`` full builds, each on a fresh copy of the initialised
    home: the median build (seconds, stages) and the largest peak are reported."""
    initialised = work / f"members-{members}-init"
    shutil.rmtree(initialised, ignore_errors=True)
    print(f"[{members}] kurume-hub init --synthetic --members {members} ...", flush=True)
    init = cli("init", "--synthetic", "--members", str(members), home=initialised)
    builds = []
    for run in range(runs):
        home = work / f"members-{members}"
        shutil.rmtree(home, ignore_errors=True)
        shutil.copytree(initialised, home, symlinks=True)
        events = work / f"build-{members}.jsonl"
        events.unlink(missing_ok=True)
        print(f"[{members}] kurume-hub build (run {run + 1}/{runs}) ...", flush=True)
        build = cli("build", home=home, events=events)
        if latest(home) is None:
            raise RuntimeError(f"the build of {members} members published nothing:\n"
                               f"{build.stdout}")
        builds.append((build, stage_times(read_events(events), build.started_wall,
                                          build.seconds)))
    build, stages = sorted(builds, key=lambda b: b[0].seconds)[len(builds) // 2]
    manifest = json.loads((home / "dbt" / "target" / "manifest.json").read_text())
    print(f"[{members}] the compiled SQL directly on DuckDB ...", flush=True)
    reference = raw_duckdb(home, manifest, work)
    dbt_seconds = stages.get("dbt")
    result = {
        "members": members, "init_seconds": round(init.seconds, 2),
        "init_peak_mib": round(init.peak_bytes / 2**20, 1),
        "seconds": round(build.seconds, 2),
        "runs": [round(b.seconds, 2) for b, _ in builds],
        "peak_mib": round(max(b.peak_bytes for b, _ in builds) / 2**20, 1),
        "peak_rss_sum_mib": round(max(b.peak_rss_bytes for b, _ in builds) / 2**20, 1),
        "rows": row_counts(home, manifest),
        "stages": {k: round(v, 2) for k, v in stages.items()},
        "dbt_seconds": round(dbt_seconds, 2) if dbt_seconds is not None else None,
        "dbt_node_seconds": dbt_node_seconds(home),
        "raw_duckdb_seconds": reference,
        "release": latest(home),
    }
    total = reference["total"] or None
    result["ratio_to_raw_duckdb"] = round(dbt_seconds / total, 2) if dbt_seconds and total else None
    result["node_ratio_to_raw_duckdb"] = (round(result["dbt_node_seconds"] / total, 2)
                                          if total else None)
    print(f"[{members}] {result['seconds']:.1f} s, peak {result['peak_mib']:.0f} MiB, "
          f"raw rows {result['rows']['raw']:,}", flush=True)
    return result


# ------------------------------------------------------------------ report


def add_growth(results: list[dict]) -> None:
    base = results[0]["seconds"]
    for r in results:
        r["ratio_to_smallest"] = round(r["seconds"] / base, 2)


def verdict(results: list[dict]) -> dict:
    largest, smallest = results[-1], results[0]
    checks = {
        f"build ≤ {TARGET_GROWTH}× the {smallest['members']}-member build":
            largest["ratio_to_smallest"] <= TARGET_GROWTH,
        f"dbt stage ≤ {TARGET_RAW_RATIO}× raw DuckDB":
            largest["ratio_to_raw_duckdb"] is not None
            and largest["ratio_to_raw_duckdb"] <= TARGET_RAW_RATIO,
        f"peak ≤ {TARGET_PEAK_MIB} MiB": largest["peak_mib"] <= TARGET_PEAK_MIB,
    }
    return {"members": largest["members"], "checks": checks}


def _cell(value, fmt: str = "{:.2f}") -> str:
    return "" if value is None else fmt.format(value)


def markdown(result: dict) -> str:
    rows = result["sizes"]
    base = rows[0]["members"]
    m = result["machine"]
    lines = [f"# Build at scale ({result['date']}, commit {m['commit']}, {m['cpus']} CPUs, "
             f"load average at start {' '.join(f'{v:.2f}' for v in m['loadavg_at_start'])})",
             "",
             f"| members | raw rows | mart rows | seconds | peak MiB (PSS; RSS sum) | dbt s | "
             f"dbt nodes s | raw DuckDB s | ratio to raw DuckDB | ratio to {base} |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(
            f"| {r['members']:,} | {r['rows']['raw']:,} | {r['rows']['marts']:,} | "
            f"{r['seconds']:.1f} | {r['peak_mib']:.0f} ({r['peak_rss_sum_mib']:.0f}) | "
            f"{_cell(r['dbt_seconds'], '{:.1f}')} | "
            f"{r['dbt_node_seconds']:.1f} | {r['raw_duckdb_seconds']['total']:.2f} | "
            f"{_cell(r['ratio_to_raw_duckdb'])}× (nodes {_cell(r['node_ratio_to_raw_duckdb'])}×)"
            f" | {r['ratio_to_smallest']:.2f}× |")
    names = [s for s in STAGES if any(s in r["stages"] for r in rows)]
    lines += ["", "## Stages (seconds)", "",
              "| stage | " + " | ".join(f"{r['members']:,}" for r in rows) + " |",
              "|---|" + "---|" * len(rows)]
    for name in names:
        lines.append(f"| {name} | " + " | ".join(_cell(r["stages"].get(name), "{:.1f}")
                                              for r in rows) + " |")
    lines.append("| every build run (the median above) | " + " | ".join(
        " / ".join(f"{v:.1f}" for v in r.get("runs", [r["seconds"]])) for r in rows) + " |")
    lines.append("| init (not in the build) | " + " | ".join(
        f"{r['init_seconds']:.1f}" for r in rows) + " |")
    lines += ["", f"## Targets ({result['verdict']['members']:,} members)", ""]
    lines += [f"- {name}: {'met' if ok else '**not met**'}"
              for name, ok in result["verdict"]["checks"].items()]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default=",".join(map(str, DEFAULT_SIZES)),
                        help="member counts, comma-separated (default %(default)s)")
    parser.add_argument("--out", type=Path, default=Path(tempfile.gettempdir()) / "scale_bench",
                        help="folder for results.json and results.md")
    parser.add_argument("--keep", type=Path,
                        help="build the homes in this folder and keep them (default: a "
                             "temporary folder, removed)")
    parser.add_argument("--runs", type=int, default=1,
                        help="builds per size, the median is reported (default 1)")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args(argv)
    sizes = sorted({int(s) for s in args.sizes.split(",") if s.strip()})
    args.out.mkdir(parents=True, exist_ok=True)
    load_at_start = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="scale_bench_") as tmp:
        work = args.keep.resolve() if args.keep else Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        results = [one_size(n, work, args.runs) for n in sizes]
    add_growth(results)
    result = {"date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
              "machine": machine(load_at_start), "sizes": results, "verdict": verdict(results)}
    write_results(args.out, result, markdown(result))
    missed = not all(result["verdict"]["checks"].values())
    return 1 if missed and args.strict else 0


if __name__ == "__main__":
    sys.exit(main())
