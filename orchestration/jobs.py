"""Jobs and schedules.

``build_all`` is what ``kurume-hub build`` and the monthly schedule run: every member, every
dataset. ``ingest_<dataset>`` runs one member's partition of one dataset and what depends
on it (launched by the ledger sensor).
"""

import dagster as dg

from orchestration.intake.contracts import load_contracts, municipalities

ALL_MEMBERS_TAGS = {
    "dagster/asset_partition_range_start": min(municipalities()),
    "dagster/asset_partition_range_end": max(municipalities()),
}

build_all_job = dg.define_asset_job(
    "build_all",
    selection=dg.AssetSelection.all(),
    description="Load every member's accepted submissions, build the dbt models, audit the "
                "candidate release, publish it and regenerate the dashboard.",
)


def ingest_job_name(dataset: str) -> str:
    return f"ingest_{dataset}"


def ingest_jobs() -> list:
    return [
        dg.define_asset_job(
            ingest_job_name(dataset),
            # the area's reference tables too: dbt reads them with the area's KPIs (vars), so
            # both come from the same area.yaml even when it changed since the last build
            selection=(dg.AssetSelection.assets(dg.AssetKey(["raw", dataset])).downstream()
                       | dg.AssetSelection.key_prefixes(["reference"])),
            description=f"One member's {dataset} submission through to publication.",
        )
        for dataset in load_contracts()
    ]


@dg.schedule(
    name="monthly_full_rebuild",
    job=build_all_job,
    cron_schedule="0 6 1 * *",
    execution_timezone="Asia/Tokyo",
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Full rebuild on the 1st of every month at 06:00 JST (catches reference and "
                "model changes even when nobody submitted).",
)
def monthly_rebuild(context: dg.ScheduleEvaluationContext):
    # One run over all six members' partitions, as `kurume-hub build` does.
    tick = context.scheduled_execution_time
    return dg.RunRequest(run_key=tick.isoformat() if tick else None, tags=ALL_MEMBERS_TAGS)
