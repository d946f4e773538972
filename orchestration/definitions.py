"""Dagster entry point: only assembles what the modules define.

    dagster dev -m orchestration.definitions
"""

import dagster as dg

from orchestration.assets.dbt import dbt_resource, kurume_dbt_models
from orchestration.assets.freshness_checks import freshness_checks
from orchestration.assets.intake import intake_assets
from orchestration.assets.publication import release, release_candidate
from orchestration.assets.quality import great_expectations_gate
from orchestration.assets.reference import reference_tables
from orchestration.assets.reporting import dashboard
from orchestration.jobs import build_all_job, ingest_jobs, monthly_rebuild
from orchestration.resources import HubHome
from orchestration.sensors import build_ledger_sensor

_ingest_jobs = ingest_jobs()

defs = dg.Definitions(
    assets=[*intake_assets(), reference_tables, kurume_dbt_models, release_candidate, release, dashboard],
    asset_checks=[great_expectations_gate, *freshness_checks()],
    jobs=[build_all_job, *_ingest_jobs],
    schedules=[monthly_rebuild],
    sensors=[build_ledger_sensor(_ingest_jobs)],
    resources={"dbt": dbt_resource(), "hub": HubHome()},
    executor=dg.in_process_executor,
)
