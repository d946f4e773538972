"""What a build reports to whoever launched it, as JSON lines (the portal's console).

The terminal gets words (orchestration/progress.py); a program that starts
``kurume-hub build`` sets ``KURUME_HUB_BUILD_EVENTS`` to a file and reads the stages, the
messages in both languages and the outcome from it, without parsing text or importing
Dagster. Nothing is written when the variable is not set.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

EVENTS_ENV = "KURUME_HUB_BUILD_EVENTS"


def emit(kind: str, **fields) -> None:
    target = os.environ.get(EVENTS_ENV)
    if not target:
        return
    line = json.dumps({"kind": kind, "at": round(time.time(), 3), **fields}, ensure_ascii=False)
    # One write per line in append mode: a reader never sees half a line from this writer.
    with open(target, "a", encoding="utf-8") as fh:
        fh.write(line + "\n")


def read(path: Path) -> list[dict]:
    """Every complete event so far (a line still being written is left for the next read)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        return []
    events = []
    for line in text.splitlines(keepends=True):
        if not line.endswith("\n"):
            break
        try:
            events.append(json.loads(line))
        except ValueError:
            continue
    return events
