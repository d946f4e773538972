"""The secretariat's long actions from the console (build, approve, roll back), one at a time.

A job is a row of the portal's SQLite ``jobs`` table. One worker thread of the portal runs the
oldest queued job as the same ``kurume-hub`` command the terminal runs, in its own process:
a build therefore goes through the home's Dagster instance (the Dagster UI lists the run) and
the portal's request path never imports Dagster, dbt or GX. The command writes its stages,
its messages in both languages and its outcome to ``<home>/portal/jobs/<id>.jsonl``
(orchestration/build_events.py) and everything else to ``<id>.log``.

One at a time: a job waits while another job of the portal runs, and while a build started
elsewhere (a terminal, ``make demo``) holds the build lock. A portal stopped in the middle
leaves its command running (own session); the next portal start waits for that process and
reads its outcome from the events file.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from orchestration import build_events
from orchestration.home import HOME_ENV, PROJECT_ROOT, Home
from orchestration.intake.messages import Msg
from orchestration.portal import store
from orchestration.progress import STAGES
from orchestration.recovery import build_running, process_alive

log = logging.getLogger(__name__)

KINDS: dict[str, Msg] = {
    "build": Msg("ビルド", "Build"),
    "approve": Msg("承認して公開", "Approve and publish"),
    "rollback": Msg("公開版を戻す", "Roll back"),
}
STATE_LABELS: dict[str, Msg] = {
    "queued": Msg("順番待ち", "Queued"),
    "waiting": Msg("別のビルドの終了待ち", "Waiting for another build to end"),
    "running": Msg("実行中", "Running"),
    "published": Msg("公開しました", "Published"),
    "awaiting_approval": Msg("承認待ちになりました", "Awaiting approval"),
    "unchanged": Msg("変更なし", "Nothing changed"),
    "blocked": Msg("品質検査で停止", "Blocked by the quality gate"),
    "failed": Msg("失敗", "Failed"),
    "done": Msg("完了", "Done"),
    "interrupted": Msg("中断（ポータルが停止しました）", "Interrupted (the portal stopped)"),
}
STAGE_STATUS: dict[str, Msg] = {
    "pending": Msg("未着手", "not started"),
    "running": Msg("実行中", "running"),
    "done": Msg("完了", "done"),
    "passed": Msg("合格", "passed"),
    "blocked": Msg("不合格・公開停止", "blocked"),
    "failed": Msg("失敗", "failed"),
}
# How often the worker looks for a queued job or a finished process.
_POLL_SECONDS = 0.25


def jobs_dir(home: Home) -> Path:
    return store.portal_dir(home) / "jobs"


def events_path(home: Home, job_id: str) -> Path:
    return jobs_dir(home) / f"{job_id}.jsonl"


def log_path(home: Home, job_id: str) -> Path:
    return jobs_dir(home) / f"{job_id}.log"


# ------------------------------------------------------------------- the queue


def enqueue(home: Home, kind: str, requested_by: str, release_id: str | None = None,
            reason: str | None = None) -> str:
    if kind not in KINDS:
        raise ValueError(kind)
    job_id = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime()) + "-" + uuid.uuid4().hex[:8]
    with store.connect(home) as db:
        db.execute("INSERT INTO jobs (job_id, kind, release_id, reason, requested_by, "
                   "requested_at, state) VALUES (?, ?, ?, ?, ?, ?, 'queued')",
                   (job_id, kind, release_id, reason, requested_by, store.now()))
    return job_id


def _rows(home: Home, where: str = "", args: tuple = (), limit: int = 20) -> list[dict]:
    with store.connect(home) as db:
        # rowid is the order of the requests: requested_at has whole seconds only, and two
        # jobs requested in the same second must still run in the order they were asked for.
        return [dict(r) for r in db.execute(
            f"SELECT * FROM jobs {where} ORDER BY rowid DESC LIMIT ?",
            (*args, limit))]


def get(home: Home, job_id: str) -> dict | None:
    found = _rows(home, "WHERE job_id = ?", (job_id,), 1)
    return found[0] if found else None


def recent(home: Home, limit: int = 10) -> list[dict]:
    return _rows(home, limit=limit)


def unfinished(home: Home) -> list[dict]:
    """Queued and running jobs, oldest first."""
    return list(reversed(_rows(home, "WHERE state != 'finished'", limit=1000)))


# ------------------------------------------------------------------- the worker


class Worker:
    """The one thread that runs the console's jobs in order."""

    def __init__(self, home: Home):
        self.home = home
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="console-jobs", daemon=True)

    def start(self) -> None:
        jobs_dir(self.home).mkdir(parents=True, exist_ok=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout=5)

    def wake(self) -> None:
        self._wake.set()

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self._step()
            except Exception:  # a broken job must not end the queue for the next ones
                log.exception("console job worker")
            self._wake.wait(_POLL_SECONDS)
            self._wake.clear()

    def _step(self) -> None:
        pending = unfinished(self.home)
        if not pending:
            return
        job = pending[0]
        if job["state"] == "running":  # left by an earlier portal process
            self._follow(job)
            return
        if build_running(self.home):
            return  # a build started elsewhere: this job waits its turn (shown as waiting)
        self._run(job)

    def _run(self, job: dict) -> None:
        home = self.home
        events = events_path(home, job["job_id"])
        env = {**os.environ, HOME_ENV: str(home.root), build_events.EVENTS_ENV: str(events)}
        with log_path(home, job["job_id"]).open("ab") as out:
            process = subprocess.Popen(
                [sys.executable, "-m", "orchestration.cli", *command(job), "--home",
                 str(home.root)],
                cwd=PROJECT_ROOT, env=env, stdin=subprocess.DEVNULL, stdout=out,
                stderr=subprocess.STDOUT, start_new_session=True)
        with store.connect(home) as db:
            db.execute("UPDATE jobs SET state = 'running', started_at = ?, pid = ? "
                       "WHERE job_id = ?", (store.now(), process.pid, job["job_id"]))
        while process.poll() is None:
            if self._stop.wait(_POLL_SECONDS):
                return  # the portal stops; the command goes on (the next start follows it)
        _finish(home, job["job_id"], process.returncode)

    def _follow(self, job: dict) -> None:
        """A job whose command an earlier portal started: wait for that process."""
        pid = job["pid"]
        while pid and _alive(pid):
            if self._stop.wait(_POLL_SECONDS):
                return
        outcome = next((e for e in build_events.read(events_path(self.home, job["job_id"]))
                        if e["kind"] == "outcome"), None)
        _finish(self.home, job["job_id"], outcome["exit_code"] if outcome else None)


def _alive(pid: int) -> bool:
    return process_alive(pid, None)


def _finish(home: Home, job_id: str, exit_code: int | None) -> None:
    with store.connect(home) as db:
        db.execute("UPDATE jobs SET state = 'finished', finished_at = ?, exit_code = ? "
                   "WHERE job_id = ?", (store.now(), exit_code, job_id))


def command(job: dict) -> list[str]:
    """The ``kurume-hub`` arguments of a job: what the secretariat would type."""
    who = ["--by", job["requested_by"]]
    if job["kind"] == "build":
        return ["build"]
    if job["kind"] == "approve":
        return ["approve", job["release_id"], *who]
    return ["rollback", job["release_id"], "--reason", job["reason"] or "", *who]


# ------------------------------------------------------------------- what the page shows


@dataclass
class StageView:
    name: str
    label: Msg
    status: str = "pending"
    seconds: float | None = None
    dbt_done: int | None = None
    dbt_total: int | None = None


@dataclass
class JobView:
    job: dict
    state: str
    stages: list[StageView]
    messages: list[dict] = field(default_factory=list)  # {"ja", "en", "error"}
    outcome: dict | None = None
    elapsed_seconds: float | None = None

    @property
    def finished(self) -> bool:
        return self.job["state"] == "finished"

    @property
    def job_id(self) -> str:
        return self.job["job_id"]


def view(home: Home, job: dict) -> JobView:
    """The job as the console shows it: state, stages (a build), messages, outcome."""
    events = build_events.read(events_path(home, job["job_id"]))
    stages = [StageView(s.name, Msg(s.ja, s.en)) for s in STAGES]
    by_name = {s.name: s for s in stages}
    messages, outcome = [], None
    for event in events:
        if event["kind"] == "stage" and event["stage"] in by_name:
            stage = by_name[event["stage"]]
            stage.status, stage.seconds = event["status"], event.get("seconds")
            stage.dbt_done, stage.dbt_total = event.get("dbt_done"), event.get("dbt_total")
        elif event["kind"] == "say" and not event.get("local"):
            messages.append({"ja": event["ja"], "en": event["en"], "error": event["error"]})
        elif event["kind"] == "outcome":
            outcome = event
    ran_a_stage = any(e["kind"] == "stage" for e in events)
    return JobView(job, _state(home, job, outcome, ran_a_stage), stages, messages, outcome,
                   _elapsed(job))


def _state(home: Home, job: dict, outcome: dict | None, ran_a_stage: bool) -> str:
    if job["state"] == "queued":
        return "waiting" if build_running(home) else "queued"
    if job["state"] == "running":
        return "running"
    code = job["exit_code"]
    if code is None:
        return "interrupted"
    if job["kind"] != "build":
        return "done" if code == 0 else "failed"
    if code == 3:
        return "blocked"
    if code != 0:
        return "failed"
    if outcome and not ran_a_stage:  # a build with nothing new runs no stage
        return "unchanged"  # the page still links to the review when a release waits
    if outcome and outcome.get("awaiting_approval"):
        return "awaiting_approval"
    return "published"


def _elapsed(job: dict) -> float | None:
    if not job["started_at"]:
        return None
    end = store.parse_time(job["finished_at"]) if job["finished_at"] else None
    start = store.parse_time(job["started_at"])
    if end is None:
        from datetime import UTC, datetime

        end = datetime.now(UTC)
    return round((end - start).total_seconds(), 1)
