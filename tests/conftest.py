"""Shared fixtures: the default config, resolved once per session."""

from __future__ import annotations

import matplotlib
import pytest

import sim
from sim.app.config import RunSpec, resolve

matplotlib.use("Agg")


@pytest.fixture(scope="session")
def spec() -> RunSpec:
    """The default (history) run specification at the default parameters, seed-only
    (`posterior=none`: the tests that use it are about the model at one parameter set;
    tests/test_posterior.py covers the posterior default)."""
    return resolve(sim.compose(["posterior=none"]))
