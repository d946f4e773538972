"""``kurume-hub build``: materialize the same Dagster definitions that ``dagster dev`` loads.

One run loads every member of the area (a single-run partition range), invokes dbt once, audits the
candidate with the blocking GX check, publishes and rebuilds the dashboard, all with the
in-process executor. Runs are recorded in the home's Dagster instance, so the UI shows them.
The terminal gets one line per stage (orchestration/progress.py); everything the run writes
(dbt, Dagster, warnings) goes to ``<home>/logs/build-<UTC>.log``, named at the end.
"""

from __future__ import annotations

import os
import sys
import time
import traceback
import uuid
from dataclasses import dataclass

from orchestration import build_events
from orchestration.home import Home
from orchestration.progress import (
    Progress,
    log_path,
    logs_to_file,
    one_line_reason,
    stage_names,
    step_stages,
)
from orchestration.recovery import holding_build_lock

GATE_CHECK = "great_expectations_gate"
# Dagster logs a "planned" event per partition and asset before a run starts: 13,961 events,
# 30 s, for 1,741 members and eight datasets (issue 16). Dagster's own switch makes it one
# event per asset naming the partition range; what it costs is that the partitions of a run
# that fails are not marked failed in the UI (the build's outcome says so all the same). A
# small area keeps Dagster's default.
PLANNED_SUBSET_ENV = "DAGSTER_EMIT_PARTITION_SUBSET_IN_PLANNED_EVENTS"


@dataclass
class BuildOutcome:
    exit_code: int
    release_id: str | None = None
    report_path: str | None = None
    seconds: float = 0.0
    log_path: str | None = None
    awaiting_approval: bool = False


def prepare_instance(home: Home):
    home.create()
    os.environ["DAGSTER_HOME"] = str(home.dagster_home)
    _planned_events_for(home)
    from dagster import DagsterInstance

    return DagsterInstance.get()


def _planned_events_for(home: Home) -> None:
    """One planned event per asset for a large area's runs (see PLANNED_SUBSET_ENV); an
    operator's own setting of the variable wins."""
    from orchestration.area import PER_MEMBER_DETAIL_UP_TO, area_for

    if len(area_for(home).members) > PER_MEMBER_DETAIL_UP_TO:
        os.environ.setdefault(PLANNED_SUBSET_ENV, "true")


def _say(lang: str, ja: str, en: str, stream=None, local: bool = False) -> None:
    """``local``: the line names a file on this machine (a log, the report), of use at the
    terminal only; a launcher in a browser (the portal's console) leaves it out."""
    print(en if lang == "en" else ja, file=stream or sys.stdout, flush=True)
    build_events.emit("say", ja=ja, en=en, error=stream is sys.stderr, local=local)


def run_build(home: Home, lang: str = "ja", rebuild_warehouse: bool = False) -> BuildOutcome:
    """``rebuild_warehouse``: set the warehouse aside and load everything again from the
    ledger (every accepted file is kept, so this is always safe)."""
    with holding_build_lock(home):
        outcome = _run_build(home, lang, rebuild_warehouse)
    build_events.emit("outcome", exit_code=outcome.exit_code, release_id=outcome.release_id,
                      awaiting_approval=outcome.awaiting_approval,
                      report=outcome.report_path, seconds=round(outcome.seconds, 1))
    return outcome


def _run_build(home: Home, lang: str, rebuild_warehouse: bool) -> BuildOutcome:
    started = time.perf_counter()
    from orchestration import operator_errors
    from orchestration.publication.fingerprint import nothing_new

    problem = operator_errors.preflight(home, warehouse=not rebuild_warehouse)
    if problem is not None:
        _say(lang, problem.ja, problem.en, sys.stderr)
        return BuildOutcome(1, seconds=time.perf_counter() - started)
    if rebuild_warehouse:
        aside = operator_errors.set_broken_warehouse_aside(home)
        if aside is not None:
            _say(lang, f"倉庫ファイルを退避しました: {aside.name}（提出台帳から作り直します）",
                 f"Warehouse set aside as {aside.name}; rebuilding it from the ledger.")
    unchanged = None if rebuild_warehouse else nothing_new(home)
    if unchanged is not None:
        waiting = (home.pending_releases / unchanged).is_dir()
        if waiting:
            _say(lang, f"変更はありません（公開版 {unchanged} が承認待ちです: kurume-hub approve "
                       f"{unchanged}）。",
                 f"Nothing changed (release {unchanged} awaits approval: kurume-hub approve "
                 f"{unchanged}).")
        else:
            _say(lang, f"変更はありません（公開版 {unchanged} のまま）。",
                 f"Nothing changed (release {unchanged} stays published).")
        return BuildOutcome(0, release_id=unchanged, seconds=time.perf_counter() - started,
                            awaiting_approval=waiting)
    _say(lang, f"パイプラインを実行します: {stage_names('ja')}",
         f"Running the pipeline: {stage_names('en')}")
    log = log_path(home)
    result = progress = crash = None
    with logs_to_file(log) as terminal:
        try:
            instance = prepare_instance(home)
            from orchestration.recovery import owner_tags, recover

            if not recover(instance, lang, terminal):  # a live build runs: refuse at once
                return BuildOutcome(1, seconds=time.perf_counter() - started, log_path=str(log))
            from orchestration.definitions import defs
            from orchestration.jobs import ALL_MEMBERS_TAGS

            job = defs.resolve_job_def("build_all")
            progress = _progress(defs, terminal, lang)
            run_id = str(uuid.uuid4())
            instance.add_event_listener(run_id, progress.on_event)
            result = job.execute_in_process(
                instance=instance,
                raise_on_error=False,
                run_id=run_id,
                tags={**ALL_MEMBERS_TAGS, "kurume/entry_point": "cli", **owner_tags(run_id)},
                # The console logger writes to the log file: all of it, step events included.
                run_config={"loggers": {"console": {"config": {"log_level": "DEBUG"}}}},
            )
        except Exception as exc:  # the definitions did not load, the instance is unusable, …
            traceback.print_exc()  # into the log file
            crash = exc
        finally:
            if progress is not None:
                progress.finish()
    seconds = time.perf_counter() - started
    if result is None:
        from orchestration.operator_errors import explain

        known = explain(home, f"{type(crash).__name__}: {crash}")
        if known is not None:
            _say(lang, known.ja, known.en, sys.stderr)
        else:
            _say(lang, f"ビルドを開始できませんでした: {type(crash).__name__}: {crash}",
                 f"The build could not start: {type(crash).__name__}: {crash}", sys.stderr)
        _say_log(lang, log, sys.stderr)
        return BuildOutcome(1, seconds=seconds, log_path=str(log))
    gate = [e for e in result.get_asset_check_evaluations() if e.check_name == GATE_CHECK]
    if result.success and _awaiting_approval(result):
        release_id = _awaiting_approval(result)
        _say(lang, f"品質検査に合格し、承認待ちになりました: releases/pending/{release_id}"
                   f"（{seconds:.1f} 秒）。公開サイトは変わっていません。確認して "
                   f"kurume-hub approve {release_id} で公開、または kurume-hub reject "
                   f"{release_id} --reason \"…\" で差し戻してください。",
             f"Passed the gate; release {release_id} awaits approval in releases/pending "
             f"({seconds:.1f} s). The public site is unchanged: kurume-hub approve {release_id} "
             f"publishes it, kurume-hub reject {release_id} --reason \"…\" turns it down.")
        _say_log(lang, log)
        return BuildOutcome(0, release_id=release_id, seconds=seconds, log_path=str(log),
                            awaiting_approval=True)
    if result.success:
        release_id = os.readlink(home.latest)
        _say(lang, f"公開しました: releases/{release_id}（{seconds:.1f} 秒）",
             f"Published release {release_id} ({seconds:.1f} s)")
        _say_log(lang, log)
        return BuildOutcome(0, release_id=release_id, seconds=seconds, log_path=str(log))
    if gate and not gate[0].passed:
        outcome = _blocked(gate[0], lang, seconds)
        _say_log(lang, log, sys.stderr)
        outcome.log_path = str(log)
        return outcome
    _report_failure(result, lang, home)
    _say_log(lang, log, sys.stderr)
    return BuildOutcome(1, seconds=seconds, log_path=str(log))


def _awaiting_approval(result) -> str | None:
    """The release id when this run left its release waiting for approval."""
    for event in result.asset_materializations_for_node("release"):
        metadata = event.metadata
        if metadata.get("awaiting_approval") and metadata["awaiting_approval"].value:
            return metadata["release_id"].value
    return None


def _progress(defs, terminal, lang: str) -> Progress:
    from orchestration.assets.dbt import build_node_count
    from orchestration.dbt_manifest import ensure_manifest

    return Progress(terminal, lang, step_stages(defs.resolve_asset_graph()),
                    build_node_count(ensure_manifest()), GATE_CHECK)


def _say_log(lang: str, log, stream=None) -> None:
    _say(lang, f"ログ: {log}", f"Log: {log}", stream, local=True)


def _blocked(evaluation, lang: str, seconds: float) -> BuildOutcome:
    """Each blocking expectation in words, its failing rows by name, and the report's path."""
    from orchestration.quality.report import dataset_title, row_text

    meta = evaluation.metadata
    report = meta["report"].value
    _say(lang, "品質検査で公開を停止しました。releases/latest は変更していません。",
         "The quality gate blocked publication; releases/latest is unchanged.", sys.stderr)
    for failure in meta["blocking_failures"].value:
        dataset = failure["dataset"]
        _say(lang, f"  - {failure['ja']}［{dataset_title(dataset)}: {dataset}］",
             f"  - {failure['en']} [{dataset_title(dataset, 'en')}: {dataset}]", sys.stderr)
        for row in failure["rows"][:_ROWS_SHOWN]:
            _say(lang, f"      {row_text(row)}", f"      {row_text(row, 'en')}", sys.stderr)
        if len(failure["rows"]) > _ROWS_SHOWN:
            _say(lang, "      ほかの行は検査レポートにあります。",
                 "      more rows in the validation report", sys.stderr)
    _say(lang, f"検査レポート: {report}", f"Validation report: {report}", sys.stderr, local=True)
    return BuildOutcome(3, report_path=report, seconds=seconds)


# Failing rows printed per expectation; the report lists up to 50.
_ROWS_SHOWN = 5


def _report_failure(result, lang: str, home: Home) -> None:
    """The first failing step and its innermost cause on one line (or, for a full disk, a
    read-only release folder or a damaged warehouse, what to do); the trace is in the log."""
    from orchestration.operator_errors import explain

    failures = [e for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
    if failures:
        error = failures[0].step_failure_data.error
        step, reason = failures[0].step_key, one_line_reason(error)
        _say(lang, f"ステップ {step} が失敗しました: {reason}",
             f"Step {step} failed: {reason}", sys.stderr)
        known = explain(home, _error_text(error))
        if known is not None:
            _say(lang, known.ja, known.en, sys.stderr)
    _say(lang, "ビルドに失敗しました（公開は行っていません）。詳しくはログを見てください。",
         "Build failed; nothing was published. The log has the details.", sys.stderr)


def _error_text(error) -> str:
    """A step's error with all its causes, for recognising a known operator problem."""
    parts = []
    while error is not None:
        parts.append(f"{error.cls_name}: {error.message}")
        error = getattr(error, "cause", None)
    return "\n".join(parts)
