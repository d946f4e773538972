"""The ledger sensor: every newly accepted submission launches one run for that member's
partition of the dataset and everything downstream of it.

The cursor is the ledger's sequence number, so a burst of submissions from several members
is neither lost nor repeated; the run key is the submission id, so Dagster also refuses a
duplicate run if the cursor were ever rewound.
"""

import dagster as dg

from orchestration.intake.ledger import Ledger, LedgerEntry
from orchestration.jobs import ingest_job_name
from orchestration.resources import HubHome


def run_requests(entries: list[LedgerEntry], after_seq: int) -> list[dg.RunRequest]:
    return [
        dg.RunRequest(
            run_key=entry.submission_id,
            job_name=ingest_job_name(entry.dataset),
            partition_key=entry.municipality,
            tags={"kurume/submission_id": entry.submission_id,
                  "kurume/municipality": entry.municipality,
                  "kurume/dataset": entry.dataset},
        )
        for entry in entries
        if entry.seq > after_seq and entry.outcome == "accepted" and entry.dataset
    ]


def build_ledger_sensor(jobs: list) -> dg.SensorDefinition:
    @dg.sensor(
        name="submission_ledger_sensor",
        jobs=jobs,
        minimum_interval_seconds=30,
        default_status=dg.DefaultSensorStatus.RUNNING,
        description="Launches a run for each newly accepted submission (cursor = ledger seq).",
    )
    def _sensor(context: dg.SensorEvaluationContext, hub: HubHome):
        entries = Ledger(hub.home).entries()
        newest = max((e.seq for e in entries), default=0)
        if context.cursor is None:
            # A new deployment starts after the ledger's history: that history is what the
            # last build published (and the monthly rebuild covers it); replaying it would
            # queue one run per past submission.
            return dg.SensorResult(skip_reason=f"starting after ledger #{newest}",
                                   cursor=str(newest))
        after = int(context.cursor)
        requests = run_requests(entries, after)
        if not requests:
            return dg.SensorResult(
                skip_reason=f"no new accepted submission after ledger #{after}",
                cursor=str(newest))
        return dg.SensorResult(run_requests=requests, cursor=str(newest))

    return _sensor
