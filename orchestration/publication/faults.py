"""Fault injection for the crash tests: ``KURUME_HUB_FAULT=<point>`` kills the process at
that publication step, as a power cut or an OOM kill would (no cleanup, no finally)."""

from __future__ import annotations

import os

POINTS = ("after_data", "after_audit", "during_promotion")


def crash_point(point: str) -> None:
    if os.environ.get("KURUME_HUB_FAULT") == point:
        os._exit(70)
