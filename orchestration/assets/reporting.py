"""The dashboard, regenerated from releases/latest after every publication."""

import dagster as dg

from orchestration.resources import HubHome


@dg.asset(
    key="dashboard",
    group_name="reporting",
    deps=["release"],
    description="Static site in the home's site/ (plotly, offline) built from releases/latest.",
    kinds={"html", "plotly"},
)
def dashboard(context: dg.AssetExecutionContext, hub: HubHome) -> dg.MaterializeResult:
    from orchestration.dashboard.site import build_site

    index = build_site(hub.home)
    return dg.MaterializeResult(metadata={"index": dg.MetadataValue.path(str(index))})
