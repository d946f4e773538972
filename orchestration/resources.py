"""Dagster resources shared by the asset modules."""

from __future__ import annotations

import os

import dagster as dg

from orchestration.home import HOME_ENV, Home


class HubHome(dg.ConfigurableResource):
    """Where the platform's home is; every asset reads and writes only below it."""

    root: str

    @property
    def home(self) -> Home:
        home = Home.resolve(self.root)
        # dbt's profile and any subprocess find the warehouse through this variable.
        os.environ[HOME_ENV] = str(home.root)
        return home


def default_home_root() -> str:
    """The home as the environment says at load time (``make dev`` sets it)."""
    return str(Home.resolve().root)
