"""The quality gate: Great Expectations 1.x suites on the exact files about to be published.

GX validates pandas frames read back from the candidate's parquet files (GX over
SQLAlchemy/duckdb_engine fails every expectation, see DESIGN.md). A failed expectation of
severity ``error`` blocks publication; ``warning`` is reported in the release. The suites
take the area's values (members, KPIs ...) from its definition (quality/suites.py); the
suites of datasets the area does not publish are skipped, and the report says so.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

import pandas as pd

from orchestration.area import Area, area_or_active
from orchestration.publication.catalog import PUBLISHED, published_datasets
from orchestration.quality.derived import (
    area_vs_members,
    kpi_completeness,
    member_changes,
    member_revisions,
)
from orchestration.quality.suites import has_suite, load_suite


@dataclass
class Finding:
    dataset: str
    expectation: str
    severity: str
    description_ja: str
    description_en: str
    success: bool
    unexpected: list = field(default_factory=list)  # rows (by primary key) that failed


@dataclass
class GateResult:
    findings: list[Finding]
    # Published datasets of the catalogue the area does not publish: their suites were skipped.
    skipped: list[str] = field(default_factory=list)

    @property
    def blocking(self) -> list[Finding]:
        return [f for f in self.findings if not f.success and f.severity == "error"]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if not f.success and f.severity == "warning"]

    @property
    def passed(self) -> bool:
        return not self.blocking


def import_gx():
    """Great Expectations, imported without its usage analytics and with its logger quiet
    (also called ahead of the gate while dbt runs, orchestration/assets/dbt.py)."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    logging.getLogger("great_expectations").setLevel(logging.ERROR)
    import great_expectations as gx

    return gx


def _quiet_gx():
    gx = import_gx()
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    return gx, context


@dataclass(frozen=True)
class AuditTarget:
    """A frame to validate with the suite of the same name, and the columns naming a row."""

    name: str
    frame: pd.DataFrame
    key: tuple[str, ...]


def skipped_datasets(area: Area) -> list[str]:
    """The catalogue's datasets the area does not publish (their suites do not apply)."""
    published = {d.name for d in published_datasets(area)}
    return [d.name for d in PUBLISHED if d.name not in published]


def audit_targets(frames: dict[str, pd.DataFrame],
                  acknowledged: set[tuple[str, str, str]],
                  published: dict[str, pd.DataFrame] | None = None,
                  area: Area | None = None) -> list[AuditTarget]:
    """The frames of the datasets the area publishes, plus derived frames: year-over-year
    changes, revisions of the values ``published`` (the latest release) holds, the area
    against its members, and the members each area value needs."""
    area = area_or_active(area)
    targets = [AuditTarget(d.name, frames[d.name], d.primary_key)
               for d in published_datasets(area) if d.name in frames]
    indicators = frames.get("municipal_indicators")
    # A failing row names the member's value and the one it is compared with, so the
    # report reads "CY2023: 747,000 → 747 (1/1000)" without opening the data.
    member_key = ("kpi_id", "municipality_code", "period", "value", "previous_value")
    if indicators is not None:
        targets.append(AuditTarget("member_changes",
                                   member_changes(indicators, acknowledged, area),
                                   (*member_key, "previous_period", "likely_unit_slip")))
        before = (published or {}).get("municipal_indicators")
        targets.append(AuditTarget("member_revisions",
                                   member_revisions(indicators, before, acknowledged, area),
                                   (*member_key, "likely_unit_slip")))
        targets.append(AuditTarget("area_vs_members",
                                   area_vs_members(frames["regional_kpis"], indicators),
                                   ("kpi_id", "period")))
    if "regional_kpis" in frames:
        targets.append(AuditTarget("kpi_completeness",
                                   kpi_completeness(frames["regional_kpis"], area),
                                   ("kpi_id", "period", "members_reporting", "required_members")))
    return [t for t in targets if has_suite(t.name)]


def validate_frames(frames: dict[str, pd.DataFrame],
                    acknowledged: set[tuple[str, str, str]] | None = None,
                    published: dict[str, pd.DataFrame] | None = None,
                    area: Area | None = None) -> GateResult:
    from great_expectations.expectations.expectation_configuration import (
        ExpectationConfiguration,
    )

    area = area_or_active(area)
    gx, context = _quiet_gx()
    source = context.data_sources.add_pandas("candidate")
    findings: list[Finding] = []
    for target in audit_targets(frames, acknowledged or set(), published, area):
        spec = load_suite(target.name, area)
        suite = gx.ExpectationSuite(name=spec["name"])
        for item in spec["expectations"]:
            meta = {**item.get("meta", {}), "severity": item["severity"]}
            config = ExpectationConfiguration(type=item["type"], kwargs=item["kwargs"], meta=meta)
            suite.add_expectation(config.to_domain_obj())
        suite = context.suites.add(suite)
        batch = source.add_dataframe_asset(target.name).add_batch_definition_whole_dataframe("all")
        definition = context.validation_definitions.add(
            gx.ValidationDefinition(data=batch, suite=suite, name=f"{target.name}-gate"))
        result = definition.run(
            batch_parameters={"dataframe": target.frame},
            result_format={"result_format": "COMPLETE",
                           "unexpected_index_column_names": list(target.key)},
        )
        findings += [_finding(target.name, r) for r in result.results]
    return GateResult(findings, skipped_datasets(area))


def _finding(dataset: str, result) -> Finding:
    config = result.expectation_config
    meta = config.meta or {}
    details = result.result or {}
    unexpected = details.get("unexpected_index_list") or []
    if not unexpected and details.get("partial_unexpected_list"):
        unexpected = details["partial_unexpected_list"]
    return Finding(
        dataset=dataset,
        expectation=config.type,
        severity=meta.get("severity", "error"),
        description_ja=meta.get("ja", config.type),
        description_en=meta.get("en", config.type),
        success=bool(result.success),
        unexpected=_jsonable(unexpected[:50]),
    )


def _jsonable(value):
    return json.loads(json.dumps(value, default=str, ensure_ascii=False))


def read_candidate_frames(candidate: Path) -> dict[str, pd.DataFrame]:
    """The data files of a candidate or release (a dataset an older release lacks is left out)."""
    return {d.name: pd.read_parquet(candidate / "data" / f"{d.name}.parquet") for d in PUBLISHED
            if (candidate / "data" / f"{d.name}.parquet").exists()}


def run_gate(candidate: Path, acknowledged: set[tuple[str, str, str]] | None = None,
             published: Path | None = None, area: Area | None = None) -> GateResult:
    """Audit a written candidate against ``published`` (the latest release, if any) and
    store the report in its ``validation/`` folder. ``area`` defaults to the active one."""
    from orchestration.publication.faults import crash_point

    before = read_candidate_frames(published) if published is not None else None
    result = validate_frames(read_candidate_frames(candidate), acknowledged, before, area)
    write_report(candidate / "validation", result)
    crash_point("after_audit")
    return result


def write_report(folder: Path, result: GateResult) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    payload = {"passed": result.passed, "skipped_datasets": result.skipped,
               "findings": [asdict(f) for f in result.findings]}
    (folder / "results.json").write_text(
        json.dumps(payload, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    # folder is <release or candidate>/validation: the page names the release it audited.
    (folder / "index.html").write_text(render_html(result, folder.parent.name), encoding="utf-8")


def render_html(result: GateResult, release_id: str | None = None) -> str:
    """Failing expectations first, in Japanese, with their rows as a table (quality/report.py)."""
    from orchestration.quality.report import render

    return render(result.findings, result.passed, release_id, result.skipped)
