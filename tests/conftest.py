"""Shared fixtures: the default config, resolved once per session."""

from __future__ import annotations

import matplotlib
import pytest

import sim
from sim.app.config import RunSpec, resolve

matplotlib.use("Agg")


@pytest.fixture(scope="session")
def spec() -> RunSpec:
    """The default (history) run specification."""
    return resolve(sim.compose([]))
