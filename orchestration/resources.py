"""Dagster resources shared by the asset modules."""

from __future__ import annotations

import os

import dagster as dg

from orchestration.home import HOME_ENV, Home


class HubHome(dg.ConfigurableResource):
    """Where the platform's home is; every asset reads and writes only below it.

    ``root`` unset means: ``KURUME_HUB_HOME`` (else ``./.kurume-hub``) as it is when a step
    runs, not when the definitions were imported; a process that loaded the definitions
    once can then run against another home (the CLI's ``--home``, tests).
    """

    root: str | None = None

    @property
    def home(self) -> Home:
        home = Home.resolve(self.root)
        # dbt's profile and any subprocess find the warehouse through this variable.
        os.environ[HOME_ENV] = str(home.root)
        return home
