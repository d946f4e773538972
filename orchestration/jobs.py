"""Jobs. ``build_all`` is what ``kurume-hub build`` and the monthly schedule run."""

import dagster as dg

build_all_job = dg.define_asset_job(
    "build_all",
    selection=dg.AssetSelection.all(),
    description="Load every member's accepted submissions, build the dbt models, audit the "
                "candidate release, publish it and regenerate the dashboard.",
)
