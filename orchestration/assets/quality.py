"""The blocking quality gate (Great Expectations) on the release candidate."""

import dagster as dg

from orchestration.assets.publication import CANDIDATE_KEY, latest_candidate
from orchestration.publication.release import reject
from orchestration.resources import HubHome


@dg.asset_check(
    asset=CANDIDATE_KEY,
    name="great_expectations_gate",
    blocking=True,
    description="Runs the GX suites in expectations/ (with the area's members, KPIs ...) on "
                "the candidate's data files; suites of datasets the area does not publish are "
                "skipped. A failed error-severity expectation blocks publication and moves the "
                "candidate to releases/rejected/ with its validation report.",
)
def great_expectations_gate(context: dg.AssetCheckExecutionContext,
                            hub: HubHome) -> dg.AssetCheckResult:
    from orchestration.area import area_for
    from orchestration.quality.acknowledgements import acknowledged_keys
    from orchestration.quality.gate import run_gate  # GX import costs ~4 s; only here

    home = hub.home
    candidate = latest_candidate(context, home)
    published = home.latest.resolve() if home.latest.exists() else None
    result = run_gate(candidate.path, acknowledged_keys(home), published, area_for(home))
    failures = [
        {"dataset": f.dataset, "expectation": f.expectation, "ja": f.description_ja,
         "en": f.description_en, "rows": f.unexpected[:10]}
        for f in result.blocking
    ]
    report = candidate.path / "validation" / "index.html"
    if not result.passed:
        report = reject(home, candidate) / "validation" / "index.html"
    return dg.AssetCheckResult(
        passed=result.passed,
        severity=dg.AssetCheckSeverity.ERROR,
        metadata={
            "release_id": candidate.release_id,
            "report": dg.MetadataValue.path(str(report)),
            "blocking_failures": dg.MetadataValue.json(failures),
            "warnings": dg.MetadataValue.json(
                [{"dataset": f.dataset, "ja": f.description_ja, "rows": f.unexpected[:10]}
                 for f in result.warnings]),
            # Datasets the area does not publish: their suites did not run.
            "skipped_datasets": dg.MetadataValue.json(result.skipped),
        },
    )
