"""The dashboard, regenerated from releases/latest after every publication."""

import dagster as dg

from orchestration.resources import HubHome


@dg.asset(
    key="dashboard",
    group_name="reporting",
    deps=["release"],
    description="Static site in the home's site/ (plotly, offline; Japanese with English pages) "
                "and the annual evaluation report (report.html, report.pdf), built from "
                "releases/latest and named after the home's area (sources/areas/<id>).",
    kinds={"html", "plotly"},
)
def dashboard(context: dg.AssetExecutionContext, hub: HubHome) -> dg.MaterializeResult:
    from orchestration.area import area_for
    from orchestration.dashboard.site import build_preview, build_site_result

    waiting = area_for(hub.home).approval == "required"
    if waiting:
        # The release waits for approval: the public site stays as it is until
        # `kurume-hub approve` promotes it (and rebuilds the site then); the secretariat
        # looks at the site it would make in the portal's preview.
        context.log.info("release awaits approval: the public site is unchanged")
        result = build_preview(hub.home, _pending_release_id(context))
    else:
        result = build_site_result(hub.home)
    if result.pdf_skipped:
        # The site is complete without the PDF; a machine without Chromium still publishes.
        context.log.warning(result.pdf_skipped)
    return dg.MaterializeResult(metadata={
        "index": dg.MetadataValue.path(str(result.index)),
        "report_pdf": dg.MetadataValue.path(str(result.pdf)) if result.pdf
        else dg.MetadataValue.text(result.pdf_skipped or "skipped"),
        "pages": dg.MetadataValue.int(len(result.pages)),
        # issue 16: pages rendered by this run, and pages reused unchanged from the previous
        # site (a member's page whose figures did not change)
        "pages_rendered": dg.MetadataValue.int(len(result.rendered)),
        "pages_reused": dg.MetadataValue.int(len(result.reused)),
        # the site is named after the home's area (its names, members, vision, publisher)
        "area": dg.MetadataValue.text(area_for(hub.home).id),
        "seconds": dg.MetadataValue.float(round(result.seconds, 2)),
        "awaiting_approval": dg.MetadataValue.bool(waiting),
    })


def _pending_release_id(context: dg.AssetExecutionContext) -> str:
    """The release this run left in releases/pending (its materialization says which)."""
    event = context.instance.get_latest_materialization_event(dg.AssetKey("release"))
    return event.asset_materialization.metadata["release_id"].value
