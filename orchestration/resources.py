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

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        # Every run records the process that executes it (runs the daemon or the UI
        # launched too), so that a later build can tell a dead run from a live one
        # (orchestration/recovery.py).
        if context.instance is not None and context.run_id:
            from orchestration.recovery import owner_tags

            context.instance.add_run_tags(context.run_id, owner_tags(context.run_id))

    @property
    def home(self) -> Home:
        from orchestration.warehouse import dbt_environment

        home = Home.resolve(self.root)
        # dbt's profile and any subprocess find the warehouse through these variables
        # (the DuckDB file in the home, or a PostgreSQL database: KURUME_HUB_PG_*).
        os.environ[HOME_ENV] = str(home.root)
        os.environ.update(dbt_environment(home))
        return home
