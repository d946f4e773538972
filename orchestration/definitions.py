"""Dagster entry point: only assembles what the asset modules define.

    dagster dev -m orchestration.definitions
"""

import dagster as dg

from orchestration.assets.dbt import dbt_resource, kurume_dbt_models
from orchestration.assets.intake import intake_assets
from orchestration.assets.publication import release, release_candidate
from orchestration.assets.quality import great_expectations_gate
from orchestration.assets.reporting import dashboard
from orchestration.jobs import build_all_job
from orchestration.resources import HubHome, default_home_root

defs = dg.Definitions(
    assets=[*intake_assets(), kurume_dbt_models, release_candidate, release, dashboard],
    asset_checks=[great_expectations_gate],
    jobs=[build_all_job],
    resources={"dbt": dbt_resource(), "hub": HubHome(root=default_home_root())},
    executor=dg.in_process_executor,
)
