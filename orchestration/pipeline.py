"""``kurume-hub build``: materialize the same Dagster definitions that ``dagster dev`` loads.

One run loads all six members (a single-run partition range), invokes dbt once, audits the
candidate with the blocking GX check, publishes and rebuilds the dashboard, all with the
in-process executor. Runs are recorded in the home's Dagster instance, so the UI shows them.
"""

from __future__ import annotations

import os
import sys
import time
from dataclasses import dataclass

from orchestration.home import Home

GATE_CHECK = "great_expectations_gate"


@dataclass
class BuildOutcome:
    exit_code: int
    release_id: str | None = None
    report_path: str | None = None
    seconds: float = 0.0


def prepare_instance(home: Home):
    home.create()
    os.environ["DAGSTER_HOME"] = str(home.dagster_home)
    from dagster import DagsterInstance

    return DagsterInstance.get()


def _say(lang: str, ja: str, en: str, stream=None) -> None:
    print(en if lang == "en" else ja, file=stream or sys.stdout, flush=True)


def run_build(home: Home, lang: str = "ja") -> BuildOutcome:
    started = time.perf_counter()
    _say(lang, "パイプラインを実行します: 取り込み → dbt → 品質検査 → 公開 → ダッシュボード",
         "Running the pipeline: intake → dbt → quality gate → publish → dashboard")
    instance = prepare_instance(home)
    from orchestration.definitions import defs
    from orchestration.jobs import ALL_MEMBERS_TAGS

    job = defs.resolve_job_def("build_all")
    result = job.execute_in_process(
        instance=instance,
        raise_on_error=False,
        tags={**ALL_MEMBERS_TAGS, "kurume/entry_point": "cli"},
        run_config={"loggers": {"console": {"config": {"log_level": "WARNING"}}}},
    )
    seconds = time.perf_counter() - started
    gate = [e for e in result.get_asset_check_evaluations() if e.check_name == GATE_CHECK]
    if result.success:
        release_id = os.readlink(home.latest)
        _say(lang, f"公開しました: releases/{release_id}（{seconds:.1f} 秒）",
             f"Published release {release_id} ({seconds:.1f} s)")
        return BuildOutcome(0, release_id=release_id, seconds=seconds)
    if gate and not gate[0].passed:
        return _blocked(gate[0], lang, seconds)
    _report_failure(result, lang)
    return BuildOutcome(1, seconds=seconds)


def _blocked(evaluation, lang: str, seconds: float) -> BuildOutcome:
    meta = evaluation.metadata
    report = meta["report"].value
    _say(lang, "品質検査で公開を停止しました。releases/latest は変更していません。",
         "The quality gate blocked publication; releases/latest is unchanged.", sys.stderr)
    for failure in meta["blocking_failures"].value:
        rows = "; ".join(_row_text(r) for r in failure["rows"][:5])
        _say(lang, f"  - データセット {failure['dataset']}: {failure['ja']}"
                   f"（{failure['expectation']}）{' 該当: ' + rows if rows else ''}",
             f"  - dataset {failure['dataset']}: {failure['en']} ({failure['expectation']})"
             f"{' rows: ' + rows if rows else ''}", sys.stderr)
    _say(lang, f"検査レポート: {report}", f"Validation report: {report}", sys.stderr)
    return BuildOutcome(3, report_path=report, seconds=seconds)


def _row_text(row) -> str:
    """A failing row by its key, with member names: "municipality_code=40216（小郡市）"."""
    from orchestration.intake.contracts import municipalities

    if not isinstance(row, dict):
        return str(row)
    names = municipalities()
    parts = []
    for key, value in row.items():
        name = names.get(str(value), {}).get("name_ja") if key.endswith("code") else None
        parts.append(f"{key}={value}（{name}）" if name else f"{key}={value}")
    return ", ".join(parts)


def _report_failure(result, lang: str) -> None:
    for event in result.all_events:
        if event.event_type_value == "STEP_FAILURE":
            error = event.step_failure_data.error
            message = error.message.strip() if error else "unknown error"
            _say(lang, f"ステップ {event.step_key} が失敗しました: {message}",
                 f"Step {event.step_key} failed: {message}", sys.stderr)
    _say(lang, "ビルドに失敗しました（公開は行っていません）。",
         "Build failed; nothing was published.", sys.stderr)
