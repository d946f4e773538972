"""What ``kurume-hub build`` shows while it runs: one line per stage, the full logs in a file.

A run writes ~450 lines (dbt's own log, Dagster's console logger, library warnings and
notices); a person at the keyboard needs the stage, dbt's n/N and the outcome. For the length
of the run, file descriptors 1 and 2 point at ``<home>/logs/build-<UTC>.log``: that catches
every writer, including handlers that kept ``sys.stderr`` from import time and subprocesses
(dbt, Chromium). The stage lines go to a duplicate of the original stdout.

Stages follow the Dagster asset groups (README "Daily operations"), read from Dagster's own
step events through an instance event listener, so ``dagster dev`` runs are not affected.
"""

from __future__ import annotations

import contextlib
import io
import os
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

from orchestration import build_events
from orchestration.home import Home


@dataclass(frozen=True)
class Stage:
    name: str
    ja: str
    en: str

    def label(self, lang: str) -> str:
        return self.en if lang == "en" else self.ja


STAGES = (
    Stage("intake", "取り込み", "intake"),
    Stage("dbt", "dbt", "dbt"),
    Stage("gate", "品質検査", "quality gate"),
    Stage("publish", "公開", "publish"),
    Stage("dashboard", "ダッシュボード", "dashboard"),
)
# Asset group -> stage. The candidate release is written in the "quality" group: writing it
# is part of what the gate audits.
GROUP_STAGES = {"intake": "intake", "staging": "dbt", "marts": "dbt", "quality": "gate",
                "publication": "publish", "reporting": "dashboard"}
# One of these per dbt node (seed or model: a materialization; test: a check result or an
# observation), so counting them in the dbt step gives dbt's "n of N".
_DBT_NODE_EVENTS = frozenset({"ASSET_MATERIALIZATION", "ASSET_CHECK_EVALUATION",
                              "ASSET_OBSERVATION"})
_REDRAW_SECONDS = 0.1
# dbt nodes between two progress events for a launcher (orchestration/build_events.py).
_DBT_EVENT_EVERY = 10


def stage_names(lang: str) -> str:
    """"取り込み → dbt → 品質検査 → 公開 → ダッシュボード"."""
    return " → ".join(s.label(lang) for s in STAGES)


def log_path(home: Home, now: datetime | None = None) -> Path:
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")
    return home.root / "logs" / f"build-{stamp}.log"


def step_stages(asset_graph) -> dict[str, str]:
    """Dagster step (op) name -> stage, from the group of the assets (or checked assets)
    each op computes."""
    stages: dict[str, str] = {}
    for assets_def in asset_graph.assets_defs:
        if not assets_def.is_executable:
            continue
        keys = list(assets_def.keys) or [c.asset_key for c in assets_def.check_keys]
        groups = [asset_graph.get(k).group_name for k in keys if asset_graph.has(k)]
        found = [GROUP_STAGES[g] for g in groups if g in GROUP_STAGES]
        if found:
            stages[assets_def.node_def.name] = min(found, key=_stage_index)
    return stages


def _stage_index(name: str) -> int:
    return next(i for i, s in enumerate(STAGES) if s.name == name)


@contextlib.contextmanager
def logs_to_file(path: Path) -> Iterator[TextIO]:
    """Everything written to stdout/stderr goes to ``path`` until the block ends; yields a
    stream to the real stdout for the progress lines."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        stdout_fd, _ = sys.stdout.fileno(), sys.stderr.fileno()
    except (AttributeError, ValueError, io.UnsupportedOperation):
        stdout_fd = None
    if stdout_fd is None:  # stdout replaced by an object without a descriptor (in-process)
        terminal = sys.stdout
        with path.open("a", encoding="utf-8") as log, contextlib.redirect_stdout(log), \
                contextlib.redirect_stderr(log):
            yield terminal
        return
    sys.stdout.flush()
    sys.stderr.flush()
    saved = {fd: os.dup(fd) for fd in (1, 2)}
    terminal = open(os.dup(saved[1]), "w", encoding=sys.stdout.encoding or "utf-8",  # noqa: SIM115
                    errors="replace", buffering=1)
    try:
        with path.open("ab", buffering=0) as log:
            os.dup2(log.fileno(), 1)
            os.dup2(log.fileno(), 2)
            try:
                yield terminal
            finally:
                with contextlib.suppress(Exception):
                    sys.stdout.flush()
                    sys.stderr.flush()
                for fd, copy in saved.items():
                    os.dup2(copy, fd)
    finally:
        for copy in saved.values():
            os.close(copy)
        terminal.close()


@dataclass
class _Open:
    index: int
    started: float
    status: tuple[str, str] = ("完了", "done")
    note: str | None = None


class Progress:
    """Turns Dagster events into stage lines. On a terminal the current stage's line is
    redrawn in place (dbt n/N); elsewhere (tests, CI, a pipe) each stage prints one plain
    line when it ends."""

    def __init__(self, stream: TextIO, lang: str, stages_by_step: dict[str, str],
                 dbt_total: int | None, gate_check: str):
        self.stream = stream
        self.lang = lang
        self.stages_by_step = stages_by_step
        self.dbt_total = dbt_total
        self.gate_check = gate_check
        self.tty = _isatty(stream)
        self.dbt_done = 0
        self.current: _Open | None = None
        self._drawn = 0.0
        self._broken = False
        self._emitted_dbt = 0

    # Dagster calls this for every event of the run (in the run's thread).
    def on_event(self, entry) -> None:
        if self._broken or not entry.is_dagster_event:
            return
        try:
            self._handle(entry.get_dagster_event())
        except Exception as exc:  # a display problem must never fail the build
            self._broken = True
            print(f"progress display stopped: {exc!r}", file=sys.stderr)

    def _handle(self, event) -> None:
        stage = self.stages_by_step.get(event.step_key or "")
        if stage is None:
            return
        index = _stage_index(stage)
        kind = event.event_type_value
        if kind == "STEP_START":
            if self.current is None or index > self.current.index:
                self._close()
                self.current = _Open(index, time.perf_counter())
                self._emit(final=False)
                self._draw(force=True)
            return
        target = self.current if self.current and self.current.index == index else None
        if kind in _DBT_NODE_EVENTS and stage == "dbt":
            self.dbt_done += 1
            self._draw()
            if self.dbt_done - self._emitted_dbt >= _DBT_EVENT_EVERY:
                self._emit(final=False)
        if kind == "ASSET_CHECK_EVALUATION" and _check_name(event) == self.gate_check:
            passed = bool(getattr(event.event_specific_data, "passed", False))
            if target:
                target.status = ("合格", "passed") if passed else ("不合格・公開停止", "blocked")
        elif kind == "ASSET_MATERIALIZATION" and target:
            target.note = _pdf_note(event) or target.note
        elif kind == "STEP_FAILURE" and target and target.status[1] != "blocked":
            target.status = ("失敗", "failed")

    def finish(self) -> None:
        self._close()

    # ---------------------------------------------------------------- rendering

    def _text(self, state: _Open, final: bool) -> str:
        stage = STAGES[state.index]
        label = stage.label(self.lang)
        if stage.name == "dbt" and self.dbt_total:
            label += f" {min(self.dbt_done, self.dbt_total)}/{self.dbt_total}"
        head = f"  [{state.index + 1}/{len(STAGES)}] {label} …"
        if not final:
            return head
        seconds = time.perf_counter() - state.started
        status = state.status[1] if self.lang == "en" else state.status[0]
        when = f" ({seconds:.1f} s)" if self.lang == "en" else f"（{seconds:.1f} 秒）"
        return f"{head} {status}{when}"

    def _draw(self, force: bool = False) -> None:
        if not self.tty or self.current is None:
            return
        now = time.perf_counter()
        if not force and now - self._drawn < _REDRAW_SECONDS:
            return
        self._drawn = now
        self.stream.write("\r\x1b[K" + self._text(self.current, final=False))
        self.stream.flush()

    def _emit(self, final: bool) -> None:
        """The stage for a program that launched the build (the portal's console)."""
        state = self.current
        stage = STAGES[state.index]
        self._emitted_dbt = self.dbt_done
        build_events.emit(
            "stage", stage=stage.name, index=state.index + 1, of=len(STAGES),
            status=state.status[1] if final else "running",
            seconds=round(time.perf_counter() - state.started, 1),
            dbt_done=min(self.dbt_done, self.dbt_total or self.dbt_done) if stage.name == "dbt"
            else None, dbt_total=self.dbt_total if stage.name == "dbt" else None,
            note=state.note if final else None)

    def _close(self) -> None:
        if self.current is None:
            return
        self._emit(final=True)
        prefix = "\r\x1b[K" if self.tty else ""
        self.stream.write(prefix + self._text(self.current, final=True) + "\n")
        if self.current.note:
            self.stream.write(f"      {self.current.note}\n")
        self.stream.flush()
        self.current = None


def one_line_reason(error) -> str:
    """The innermost cause of a step failure, on one line: "ImportError: cannot import …"."""
    if error is None:
        return "unknown error"
    while getattr(error, "cause", None) is not None:
        error = error.cause
    lines = [line.strip() for line in (error.message or "").splitlines() if line.strip()]
    text = lines[0] if lines else error.cls_name or "unknown error"
    return text if len(text) <= 200 else text[:199] + "…"


def _check_name(event) -> str | None:
    return getattr(event.event_specific_data, "check_name", None)


def _pdf_note(event) -> str | None:
    """The dashboard says so when report.pdf was skipped (no Chromium): worth a line."""
    materialization = getattr(event.event_specific_data, "materialization", None)
    value = (materialization.metadata or {}).get("report_pdf") if materialization else None
    text = getattr(value, "text", None)
    return text if isinstance(text, str) and text else None


def _isatty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False
