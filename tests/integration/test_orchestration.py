"""Dagster as the secretariat operates it: sensor, partitions, schedule, the UI's API."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import dagster as dg
import pytest

from tests.conftest import ROOT, run_cli


def _ledger_entry(seq: int, municipality: str, dataset: str = "tourism_visitors",
                  outcome: str = "accepted"):
    from orchestration.intake.ledger import LedgerEntry

    return LedgerEntry(seq=seq, submission_id=f"{municipality}-{dataset}-{seq:012d}",
                       received_at="2026-11-22T00:00:00Z", municipality=municipality,
                       dataset=dataset, original_name="x.xlsx", stored_path="x",
                       sha256="0" * 64, size_bytes=1, submitter="t", outcome=outcome,
                       rows_total=1, rows_accepted=1, errors=0, warnings=0)


def _write_ledger(home: Path, entries) -> None:
    from dataclasses import asdict

    (home / "submissions").mkdir(parents=True, exist_ok=True)
    with (home / "submissions" / "ledger.jsonl").open("a", encoding="utf-8") as fh:
        for entry in entries:
            fh.write(json.dumps(asdict(entry), ensure_ascii=False) + "\n")


def _evaluate(sensor, home: Path, cursor: str | None):
    from orchestration.resources import HubHome

    with dg.build_sensor_context(cursor=cursor, resources={"hub": HubHome(root=str(home))}) as ctx:
        result = sensor(ctx)
    return result, result.cursor


def test_sensor_launches_one_run_per_new_accepted_submission_in_a_burst(tmp_path: Path):
    from orchestration.definitions import defs

    sensor = defs.get_sensor_def("submission_ledger_sensor")
    home = tmp_path / "home"
    _write_ledger(home, [_ledger_entry(1, "40203")])
    first, cursor = _evaluate(sensor, home, None)
    assert not first.run_requests and cursor == "1"  # history is not replayed

    _write_ledger(home, [_ledger_entry(2, "40216"), _ledger_entry(3, "40212", outcome="rejected"),
                         _ledger_entry(4, "40225", "population_moves"),
                         _ledger_entry(5, "40503")])
    burst, cursor = _evaluate(sensor, home, cursor)

    assert [(r.partition_key, r.job_name, r.run_key) for r in burst.run_requests] == [
        ("40216", "ingest_tourism_visitors", "40216-tourism_visitors-000000000002"),
        ("40225", "ingest_population_moves", "40225-population_moves-000000000004"),
        ("40503", "ingest_tourism_visitors", "40503-tourism_visitors-000000000005"),
    ]
    assert cursor == "5"
    again, cursor = _evaluate(sensor, home, cursor)
    assert not again.run_requests and cursor == "5"  # nothing twice
    _write_ledger(home, [_ledger_entry(6, "40522")])
    later, _ = _evaluate(sensor, home, cursor)
    assert [r.partition_key for r in later.run_requests] == ["40522"]


def test_schedule_requests_one_run_over_all_members():
    from orchestration.definitions import defs

    schedule = defs.get_schedule_def("monthly_full_rebuild")
    assert schedule.cron_schedule == "0 6 1 * *"
    from datetime import datetime

    with dg.build_schedule_context(scheduled_execution_time=datetime(2026, 12, 1, 6)) as ctx:
        (request,) = schedule.evaluate_tick(ctx).run_requests
    assert request.tags["dagster/asset_partition_range_start"] == "40203"
    assert request.tags["dagster/asset_partition_range_end"] == "40522"
    assert request.run_key == "2026-12-01T06:00:00"


def test_resubmission_rematerializes_that_member_and_downstream_only(built_home: Path,
                                                                    monkeypatch):
    monkeypatch.setenv("KURUME_HUB_HOME", str(built_home))
    from orchestration.definitions import defs
    from orchestration.resources import HubHome

    job = defs.resolve_job_def("ingest_tourism_visitors")
    with dg.instance_for_test() as instance:
        result = job.execute_in_process(
            instance=instance, partition_key="40216", raise_on_error=False,
            resources={"hub": HubHome(root=str(built_home))})
    assert result.success
    materialized = {(m.asset_key.to_user_string(), m.partition)
                    for m in (e.event_specific_data.materialization
                              for e in result.get_asset_materialization_events())}
    assert ("raw/tourism_visitors", "40216") in materialized
    assert not {p for k, p in materialized if k == "raw/tourism_visitors"} - {"40216"}
    assert {"marts/regional_kpis", "marts/kpi_scorecard", "release", "dashboard"} <= {
        k for k, _ in materialized}
    assert not any(k.startswith("raw/") and k != "raw/tourism_visitors" for k, _ in materialized)
    assert "marts/project_budgets" not in {k for k, _ in materialized}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _graphql(port: int, query: str, variables: dict | None = None) -> dict:
    body = json.dumps({"query": query, "variables": variables or {}}).encode()
    request = urllib.request.Request(f"http://127.0.0.1:{port}/graphql", data=body,
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


@pytest.fixture
def dagster_dev(built_home: Path):
    port = _free_port()
    env = {**os.environ, "KURUME_HUB_HOME": str(built_home),
           "DAGSTER_HOME": str(built_home / "dagster")}
    log = (built_home / "dagster-dev.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "dagster", "dev", "-m", "orchestration.definitions",
         "-h", "127.0.0.1", "-p", str(port)],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                if _graphql(port, "{ version }").get("data"):
                    break
            except OSError:
                time.sleep(1)
        else:
            pytest.fail("dagster dev did not answer within 120 s: "
                        + (built_home / "dagster-dev.log").read_text()[-2000:])
        yield port
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:  # the daemon may be mid-tick; do not hang CI
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=30)
        log.close()


ASSETS_QUERY = "{ assetNodes { assetKey { path } groupName } }"
WORKSPACE_QUERY = """{ workspaceOrError { ... on Workspace { locationEntries {
  name locationOrLoadError { ... on RepositoryLocation { repositories { name } } } } } } }"""
LAUNCH = """mutation($params: ExecutionParams!) { launchRun(executionParams: $params) {
  __typename ... on LaunchRunSuccess { run { runId } } ... on PythonError { message } } }"""
STATUS = """query($id: ID!) { runOrError(runId: $id) { ... on Run { status } } }"""


def test_dagster_dev_serves_the_asset_graph_and_runs_a_member_partition(dagster_dev: int,
                                                                       built_home: Path):
    nodes = _graphql(dagster_dev, ASSETS_QUERY)["data"]["assetNodes"]
    groups = {"/".join(n["assetKey"]["path"]): n["groupName"] for n in nodes}
    assert groups["raw/tourism_visitors"] == "intake"
    assert groups["marts/regional_kpis"] == "marts"
    assert groups["release_candidate"] == "quality"
    assert groups["release"] == "publication" and groups["dashboard"] == "reporting"
    assert {"intake", "staging", "marts", "quality", "publication", "reporting"} <= set(
        groups.values())
    location = _graphql(dagster_dev, WORKSPACE_QUERY)["data"]["workspaceOrError"][
        "locationEntries"][0]
    repository = location["locationOrLoadError"]["repositories"][0]["name"]
    params = {"selector": {"repositoryLocationName": location["name"],
                           "repositoryName": repository, "jobName": "ingest_tourism_visitors"},
              "executionMetadata": {"tags": [{"key": "dagster/partition", "value": "40216"}]},
              "runConfigData": {}}
    launched = _graphql(dagster_dev, LAUNCH, {"params": params})["data"]["launchRun"]
    assert launched["__typename"] == "LaunchRunSuccess", launched
    run_id = launched["run"]["runId"]
    deadline, status = time.monotonic() + 300, None
    while time.monotonic() < deadline:
        status = _graphql(dagster_dev, STATUS, {"id": run_id})["data"]["runOrError"]["status"]
        if status in ("SUCCESS", "FAILURE", "CANCELED"):
            break
        time.sleep(2)
    assert status == "SUCCESS", (built_home / "dagster-dev.log").read_text()[-3000:]
    listing = run_cli("releases", "--json", home=built_home)
    assert json.loads(listing.stdout)[0]["status"] == "latest"


def ingest_tourism_job():
    """Module-level so Dagster can reconstruct the job for re-execution."""
    from orchestration.definitions import defs

    return defs.resolve_job_def("ingest_tourism_visitors")


def test_a_failed_run_reexecuted_from_failure_ends_like_a_clean_run(built_home: Path,
                                                                   monkeypatch):
    monkeypatch.setenv("KURUME_HUB_HOME", str(built_home))
    monkeypatch.chdir(ROOT)
    before = os.readlink(built_home / "releases" / "latest")
    job = dg.reconstructable(ingest_tourism_job)
    with dg.instance_for_test() as instance:
        monkeypatch.setenv("KURUME_HUB_FAULT", "raise:during_promotion")
        with dg.execute_job(job, instance, tags={"dagster/partition": "40216"}) as failed:
            assert not failed.success
            failed_steps = [e.step_key for e in failed.all_events
                            if e.event_type_value == "STEP_FAILURE"]
        assert failed_steps == ["release"]
        assert os.readlink(built_home / "releases" / "latest") == before
        monkeypatch.delenv("KURUME_HUB_FAULT")
        options = dg.ReexecutionOptions.from_failure(failed.run_id, instance)
        with dg.execute_job(job, instance, reexecution_options=options) as resumed:
            assert resumed.success
            ran = {e.step_key for e in resumed.all_events if e.event_type_value == "STEP_SUCCESS"}
    assert ran == {"release", "dashboard"}  # nothing before the failure ran again
    after = os.readlink(built_home / "releases" / "latest")
    assert after != before and after.split("-")[-1] == before.split("-")[-1]  # same content
    assert not list((built_home / "releases" / ".candidates").iterdir())
    assert after in (built_home / "site" / "index.html").read_text(encoding="utf-8")
