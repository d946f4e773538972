"""The console's job queue (orchestration/portal/jobs.py): one job at a time, each a real
``kurume-hub`` process whose messages come back in both languages; a job left running by a
portal that stopped is followed to its end by the next one."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

from orchestration.home import Home
from orchestration.portal import jobs, store
from orchestration.recovery import holding_build_lock

NO_SUCH = "20990101T000000Z-000000000000"


def _home(tmp_path: Path) -> Home:
    home = Home(tmp_path / "home")
    home.create()
    store.initialise(home)
    return home


def _wait_finished(home: Home, job_id: str, timeout: float = 60) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = jobs.get(home, job_id)
        if job["state"] == "finished":
            return job
        time.sleep(0.1)
    raise AssertionError(f"job {job_id} did not finish: {jobs.get(home, job_id)}")


def test_jobs_run_in_order_as_cli_commands_and_report_their_messages(tmp_path: Path):
    home = _home(tmp_path)
    first = jobs.enqueue(home, "rollback", "kikaku@example.jp", NO_SUCH, "速報値の誤りのため")
    second = jobs.enqueue(home, "approve", "kikaku@example.jp", NO_SUCH)
    worker = jobs.Worker(home)
    worker.start()
    try:
        done = [_wait_finished(home, first), _wait_finished(home, second)]
    finally:
        worker.stop()

    assert [j["exit_code"] for j in done] == [2, 2]  # the CLI's usage error: no such release
    assert done[1]["started_at"] >= done[0]["finished_at"]  # one at a time, in order
    view = jobs.view(home, done[0])
    assert view.state == "failed"
    assert any(f"公開版 {NO_SUCH} はありません" in m["ja"] and NO_SUCH in m["en"] and m["error"]
               for m in view.messages)
    assert jobs.command(done[0]) == ["rollback", NO_SUCH, "--reason", "速報値の誤りのため",
                                     "--by", "kikaku@example.jp"]


def test_a_job_waits_while_a_build_from_a_terminal_holds_the_lock(tmp_path: Path):
    home = _home(tmp_path)
    worker = jobs.Worker(home)
    with holding_build_lock(home) as held:
        assert held
        job_id = jobs.enqueue(home, "approve", "kikaku@example.jp", NO_SUCH)
        worker.start()
        try:
            time.sleep(1.5)
            job = jobs.get(home, job_id)
            assert job["state"] == "queued" and jobs.view(home, job).state == "waiting"
        except BaseException:
            worker.stop()
            raise
    try:
        assert _wait_finished(home, job_id)["exit_code"] == 2
    finally:
        worker.stop()


def test_a_job_left_running_by_a_stopped_portal_is_followed_to_its_end(tmp_path: Path):
    home = _home(tmp_path)
    job_id = jobs.enqueue(home, "build", "kikaku@example.jp")
    process = subprocess.Popen(["sleep", "1"])
    with store.connect(home) as db:  # what an earlier portal process left behind
        db.execute("UPDATE jobs SET state = 'running', started_at = ?, pid = ? WHERE job_id = ?",
                   (store.now(), process.pid, job_id))
    worker = jobs.Worker(home)
    worker.start()
    try:
        time.sleep(0.5)
        assert jobs.get(home, job_id)["state"] == "running"
        process.wait()
        job = _wait_finished(home, job_id)
    finally:
        worker.stop()
    # It wrote no outcome (it was not a build): finished without an exit code, shown so.
    assert job["exit_code"] is None and jobs.view(home, job).state == "interrupted"
