"""Same config and seed give identical tables, alone or batched; different seeds differ."""

from __future__ import annotations

import copy
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

import sim
from sim.config import resolve
from sim.dynamics import RunBatch
from sim.ensemble import run_batch, run_one, run_seeds
from sim.model import ProtectiveIntegrationModel
from sim.records import decisions_frame, timeseries_frame


def test_same_seed_same_tables(spec):
    first = run_seeds(spec.scenario, spec.params, [3, 4])
    second = run_seeds(spec.scenario, spec.params, [3, 4])
    pd.testing.assert_frame_equal(first[0], second[0])
    pd.testing.assert_frame_equal(first[1], second[1])


def test_different_seeds_differ(spec):
    series, _ = run_seeds(spec.scenario, spec.params, [1, 2])
    trust = series[series["metric"] == "trust"]
    a = trust[trust["run"] == 0]["value"].to_numpy()
    b = trust[trust["run"] == 1]["value"].to_numpy()
    assert len(a) == len(b) and (a != b).any()


def _tables(model, run):
    return timeseries_frame(model, run), decisions_frame(model, run)


def test_a_run_gives_the_same_numbers_alone_or_in_any_batch(spec):
    """Batching is an implementation detail: every number and decision is unchanged."""
    runs = [(replace(spec.params, rally_gain=gain, memory=memory, suspend_hazard=hazard), seed)
            for gain, memory, hazard in [(0.5, 6.0, 0.1), (2.5, 14.0, 0.4), (1.0, 9.0, 0.9)]
            for seed in (0, 7)]
    alone = [_tables(run_one(spec.scenario, params, seed), i) for i, (params, seed) in enumerate(runs)]
    forward = run_batch(spec.scenario, runs)
    backward = run_batch(spec.scenario, runs[::-1])[::-1]
    for i, (a, b) in enumerate(zip(forward, backward)):
        for expected, got in zip(alone[i], _tables(a, i)):
            pd.testing.assert_frame_equal(expected, got)
        for expected, got in zip(alone[i], _tables(b, i)):
            pd.testing.assert_frame_equal(expected, got)
    cohesion = [t[0][t[0]["metric"] == "cohesion"]["value"].to_numpy() for t in alone]
    assert len({c.tobytes() for c in cohesion}) == len(runs)


def test_a_batched_run_cannot_step_alone_or_join_with_another_scenario(spec):
    batch = RunBatch(spec.scenario, 2)
    first = ProtectiveIntegrationModel(spec.scenario, spec.params, seed=1, batch=batch)
    with pytest.raises(RuntimeError, match="only 1 of the batch's 2 runs"):
        first.step()
    other = resolve(sim.compose(["scenario=no_crimea"])).scenario
    with pytest.raises(ValueError, match="share the batch's scenario"):
        ProtectiveIntegrationModel(other, spec.params, seed=2, batch=batch)
    ProtectiveIntegrationModel(spec.scenario, spec.params, seed=2, batch=batch)
    first.step()
    with pytest.raises(RuntimeError, match="stepped twice"):
        first.step()


def _snapshots(model):
    return np.stack(model.datacollector.model_vars["snapshot"])


def test_a_copy_taken_mid_run_continues_exactly_like_the_original(spec):
    """Branching a run (copy.deepcopy of a model or of a whole batch) gives an independent
    run that continues with the same numbers."""
    model = ProtectiveIntegrationModel(spec.scenario, spec.params, seed=3)
    for _ in range(30):
        model.step()
    branch = copy.deepcopy(model)
    model.run_model()
    assert len(_snapshots(branch)) == 30
    branch.run_model()
    np.testing.assert_array_equal(_snapshots(model), _snapshots(branch))
    batch = RunBatch(spec.scenario, 3)
    runs = [ProtectiveIntegrationModel(spec.scenario, spec.params, seed=s, batch=batch) for s in range(3)]
    for _ in range(30):
        batch.step()
    copied = copy.deepcopy(batch)
    batch.run()
    copied.run()
    for original, twin in zip(runs, copied.models):
        np.testing.assert_array_equal(_snapshots(original), _snapshots(twin))
