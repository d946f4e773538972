"""Fault injection for the crash tests, one place for every crash point of a build.

``KURUME_HUB_FAULT=<point>`` kills the process at that step, as a power cut or an OOM kill
would (no cleanup, no finally); ``KURUME_HUB_FAULT=raise:<point>`` raises instead, as a
failing step does in a Dagster run; ``KURUME_HUB_FAULT=pause:<point>`` prints one line to
stderr and waits, so that a test can SIGKILL the build at a known moment (for instance in
the middle of a member's warehouse transaction, holding the ``duckdb_warehouse`` slot), or
act meanwhile and let it go on with SIGUSR1."""

from __future__ import annotations

import os
import signal
import sys

POINTS = ("during_intake", "after_data", "after_audit", "during_promotion")
PAUSED = "KURUME_HUB_FAULT paused at"
_paused: set[str] = set()


class InjectedFault(RuntimeError):
    pass


def crash_point(point: str) -> None:
    fault = os.environ.get("KURUME_HUB_FAULT")
    if not fault:
        return
    if fault == point:
        os._exit(70)
    if fault == f"raise:{point}":
        raise InjectedFault(f"injected failure at {point}")
    if fault == f"pause:{point}" and point not in _paused:
        _paused.add(point)  # once per process: a point inside a loop pauses the first time
        # Block SIGUSR1 before saying so: the test's SIGUSR1 resumes the build, SIGKILL ends it.
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGUSR1})
        print(f"{PAUSED} {point} (pid {os.getpid()})", file=sys.stderr, flush=True)
        signal.sigtimedwait({signal.SIGUSR1}, 3600)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGUSR1})
