"""Fault injection for the crash tests: ``KURUME_HUB_FAULT=<point>`` kills the process at
that publication step, as a power cut or an OOM kill would (no cleanup, no finally);
``KURUME_HUB_FAULT=raise:<point>`` raises instead, as a failing step does in a Dagster run."""

from __future__ import annotations

import os

POINTS = ("after_data", "after_audit", "during_promotion")


class InjectedFault(RuntimeError):
    pass


def crash_point(point: str) -> None:
    fault = os.environ.get("KURUME_HUB_FAULT")
    if fault == point:
        os._exit(70)
    if fault == f"raise:{point}":
        raise InjectedFault(f"injected failure at {point}")
