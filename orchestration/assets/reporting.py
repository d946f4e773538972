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
    from orchestration.dashboard.site import build_site_result

    if area_for(hub.home).approval == "required":
        # The release waits for approval: the public site stays as it is until
        # `kurume-hub approve` promotes it (and rebuilds the site then).
        context.log.info("release awaits approval: the public site is unchanged")
        return dg.MaterializeResult(metadata={"awaiting_approval": True})
    result = build_site_result(hub.home)
    if result.pdf_skipped:
        # The site is complete without the PDF; a machine without Chromium still publishes.
        context.log.warning(result.pdf_skipped)
    return dg.MaterializeResult(metadata={
        "index": dg.MetadataValue.path(str(result.index)),
        "report_pdf": dg.MetadataValue.path(str(result.pdf)) if result.pdf
        else dg.MetadataValue.text(result.pdf_skipped or "skipped"),
        "pages": dg.MetadataValue.int(len(result.pages)),
        # the site is named after the home's area (its names, members, vision, publisher)
        "area": dg.MetadataValue.text(area_for(hub.home).id),
        "seconds": dg.MetadataValue.float(round(result.seconds, 2)),
    })
