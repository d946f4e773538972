"""A build recovers from a dead predecessor by itself, or refuses at once with what to run.

A build killed with ``kill -9`` (OOM, power cut, a full disk) never writes its end: its run
stays STARTED in the home's Dagster instance and keeps the one ``duckdb_warehouse`` pool
slot, so every later build would wait for that slot forever, printing nothing. Each run
therefore records who executes it (tags: host, PID, the PID's start time, and the run id the
tags were written for, since a re-executed run copies its parent's tags). Before a build
starts, a run that is not finished, or that still holds a slot, is judged:

- its process is gone from this host: marked failed and its slots freed (one line says so);
- its process is alive (a build is really running): the build stops at once (exit 1),
  naming the PID and what to run;
- it cannot be checked (another host, or a run the daemon launched that has not started a
  step yet) but holds a slot: the build stops at once and says to end that run in the UI.

Locks: the ledger, the acknowledgements and dbt's manifest use ``flock`` on files whose mere
existence blocks nothing; the kernel drops the lock with the dead process, and DuckDB's and
SQLite's locks are of the same kind. The slot table is the only lock a dead build keeps.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TextIO

from orchestration.home import Home
from orchestration.intake.messages import Msg

# Held (flock) by a running ``kurume-hub build``: the portal's build queue waits while it is.
# It only signals; whether a build may start is still recover()'s judgement on the runs.
BUILD_LOCK = "build.lock"

PID_TAG = "kurume/pid"
HOST_TAG = "kurume/host"
PID_START_TAG = "kurume/pid_started"
OWNER_RUN_TAG = "kurume/owner_run"


def process_start(pid: int) -> str | None:
    """When ``pid`` started (clock ticks since boot, /proc), to tell it from a later process
    that got the same number; None where /proc is not available."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as fh:
            stat = fh.read()
    except OSError:
        return None
    # The command name (field 2) may hold spaces and parentheses: count after the last ")".
    return stat.rsplit(")", 1)[1].split()[19]


def owner_tags(run_id: str, pid: int | None = None) -> dict[str, str]:
    """The tags that say which process executes ``run_id``."""
    pid = os.getpid() if pid is None else pid
    tags = {PID_TAG: str(pid), HOST_TAG: socket.gethostname(), OWNER_RUN_TAG: run_id}
    started = process_start(pid)
    if started is not None:
        tags[PID_START_TAG] = started
    return tags


def process_alive(pid: int, started: str | None) -> bool:
    if pid == os.getpid():
        return False  # this process: it is about to start a build, so it runs no other
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # another user's process, alive
    current = process_start(pid)
    return started is None or current is None or current == started


@dataclass(frozen=True)
class Verdict:
    run: object  # dagster DagsterRun
    state: str  # dead | alive | unknown
    holds_slot: bool

    @property
    def pid(self) -> str:
        return self.run.tags.get(PID_TAG, "?")

    @property
    def host(self) -> str:
        return self.run.tags.get(HOST_TAG, "?")


def judge(run, holds_slot: bool) -> Verdict:
    tags = run.tags
    if run.is_finished:
        return Verdict(run, "dead", holds_slot)
    if tags.get(OWNER_RUN_TAG) == run.run_id and PID_TAG in tags:
        if tags.get(HOST_TAG) != socket.gethostname():
            return Verdict(run, "unknown", holds_slot)
        alive = process_alive(int(tags[PID_TAG]), tags.get(PID_START_TAG))
        return Verdict(run, "alive" if alive else "dead", holds_slot)
    if tags.get("kurume/entry_point") == "cli" and PID_TAG not in tags:
        # A CLI build from before runs carried their owner: no such build runs any more.
        return Verdict(run, "dead", holds_slot)
    return Verdict(run, "unknown", holds_slot)


def slot_holders(instance) -> set[str]:
    """Runs that hold, or wait in the queue for, a slot of any pool."""
    storage = instance.event_log_storage
    if not storage.supports_global_concurrency_limits:
        return set()
    holders = set(storage.get_concurrency_run_ids())
    for key in storage.get_concurrency_keys():
        info = storage.get_concurrency_info(key)
        holders |= {slot.run_id for slot in info.claimed_slots}
        holders |= {step.run_id for step in info.pending_steps}
    return holders


def inspect(instance) -> list[Verdict]:
    """Every run that could keep a new build waiting: not finished, or holding a slot."""
    from dagster import DagsterRunStatus, RunsFilter

    # A queued run has no process and holds nothing; the daemon starts it later.
    active = [DagsterRunStatus.STARTING, DagsterRunStatus.STARTED, DagsterRunStatus.CANCELING]
    holders = slot_holders(instance)
    runs = {r.run_id: r for r in instance.get_runs(RunsFilter(statuses=active))}
    if holders - set(runs):
        runs.update({r.run_id: r for r in instance.get_runs(
            RunsFilter(run_ids=sorted(holders - set(runs))))})
    verdicts = [judge(run, run.run_id in holders) for run in runs.values()]
    # Unknown runs that hold nothing do not block: the pool orders them with this build.
    return [v for v in verdicts if v.state != "unknown" or v.holds_slot]


def release(instance, verdict: Verdict) -> None:
    """Mark a dead run failed (the UI stops showing it running) and free its slots."""
    run = verdict.run
    if not run.is_finished:
        instance.report_run_failed(
            run, message=f"The process of this run (PID {verdict.pid} on {verdict.host}) "
                         "is gone; marked failed by the next build.")
    instance.event_log_storage.free_concurrency_slots_for_run(run.run_id)


RECOVERED = Msg(
    "前回のビルド（実行 {runs}）は途中で停止していました。失敗として記録し、倉庫の実行枠を"
    "解放してからビルドを続けます。",
    "An earlier build (run {runs}) had died; it is marked failed and its warehouse slot is "
    "released. Building now.")
BUSY = Msg(
    "別のビルドが実行中です（実行 {run}、PID {pid}）。終わるのを待ってから kurume-hub build を"
    "再実行してください。止める場合は kill {pid} の後に kurume-hub build を実行してください。",
    "Another build is running (run {run}, PID {pid}). Wait for it to end, then run "
    "kurume-hub build again; to stop it, run kill {pid}, then kurume-hub build.")
UNKNOWN = Msg(
    "Dagster の実行 {run}（{job}、ホスト {host}）が倉庫の実行枠を使用中で、動いているか"
    "確認できません。Dagster UI（make dev）の Runs でこの実行の終了を待つか、Terminate で"
    "止めてから kurume-hub build を再実行してください。",
    "Dagster run {run} ({job}, host {host}) holds the warehouse slot and cannot be checked "
    "from here. In the Dagster UI (make dev), Runs, wait for it or Terminate it, then run "
    "kurume-hub build again.")


def recover(instance, lang: str, out: TextIO) -> bool:
    """Free what dead builds hold; False (and one line saying why) when a build must not
    start. Called by ``run_build`` before its run starts."""
    verdicts = inspect(instance)
    blocking = [v for v in verdicts if v.state != "dead"]
    if blocking:
        first = blocking[0]
        short = first.run.run_id[:8]
        msg = (BUSY.format(run=short, pid=first.pid) if first.state == "alive" else
               UNKNOWN.format(run=short, job=first.run.job_name, host=first.host))
        print(msg.get(lang), file=out, flush=True)
        return False
    dead = [v for v in verdicts if v.state == "dead"]
    for verdict in dead:
        release(instance, verdict)
    if dead:
        runs = "、".join(v.run.run_id[:8] for v in dead)
        print(RECOVERED.format(runs=runs if lang == "ja" else runs.replace("、", ", "))
              .get(lang), file=out, flush=True)
    return True


def _lock_file(home: Home):
    folder = home.root / "locks"
    folder.mkdir(parents=True, exist_ok=True)
    return open(folder / BUILD_LOCK, "a+b")  # noqa: SIM115 (closed by the callers)


@contextlib.contextmanager
def holding_build_lock(home: Home) -> Iterator[bool]:
    """Hold the build lock for the block if it is free (yields whether it was)."""
    with _lock_file(home) as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False  # another build runs: recover() refuses with its PID
            return
        try:
            yield True
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def build_running(home: Home) -> bool:
    """A ``kurume-hub build`` holds the lock right now (any process on this host)."""
    with holding_build_lock(home) as free:
        return not free
