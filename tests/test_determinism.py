"""Same config and seed give identical tables, alone or batched; different seeds differ."""

from __future__ import annotations

import copy
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from sim.core.engine import Engine
from sim.model import run_one
from sim.runs.ensemble import run_batch, run_seeds
from sim.model import ProtectiveIntegrationModel
from sim.io.records import decisions_frame, timeseries_frame


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


def test_an_engine_refuses_mismatched_runs_and_wrong_rank_parameter_columns(spec):
    with pytest.raises(ValueError, match="one parameter set per seed"):
        Engine(spec.scenario, [spec.params, spec.params], [1])
    engine = Engine(spec.scenario, [spec.params] * 3, [1, 2, 3])
    columns = engine.columns.like(engine.state.engagement)
    assert columns.rally_gain.shape == (3, 1, 1)
    for wrong in (np.zeros((4, 18)), np.zeros(())):
        with pytest.raises(ValueError, match="leading axis must be the runs"):
            engine.columns.like(wrong)
    # an (R, 1) column against an (R, N) array of three runs and three states would have
    # broadcast to (R, R, N); shaped by the array it keeps the array's shape
    square = Engine(spec.scenario, [spec.params] * 18, list(range(18)))
    per_state = square.state.legitimacy
    assert (square.columns.like(per_state).rally_gain * per_state).shape == per_state.shape


def _observations(model):
    return model.observations()


def test_a_copy_taken_mid_run_continues_exactly_like_the_original(spec):
    """Branching a run (copy.deepcopy of a model or of an engine) gives an independent
    run that continues with the same numbers."""
    model = ProtectiveIntegrationModel(spec.scenario, spec.params, seed=3)
    for _ in range(30):
        model.step()
    branch = copy.deepcopy(model)
    model.run_model()
    assert len(_observations(branch)["institutions"]) == 30
    branch.run_model()
    for name, values in _observations(model).items():
        np.testing.assert_array_equal(values, _observations(branch)[name])
    assert model.decisions == branch.decisions
    engine = Engine(spec.scenario, [spec.params] * 3, [0, 1, 2])
    for _ in range(30):
        engine.step()
    copied = copy.deepcopy(engine)
    engine.run()
    copied.run()
    for original, twin in zip(engine.results(), copied.results()):
        for name, values in original.observations().items():
            np.testing.assert_array_equal(values, twin.observations()[name])
        assert original.rows == twin.rows


def test_a_shorter_horizon_leaves_the_first_quarters_unchanged(spec):
    """The quarterly noise comes from child streams drawn for the whole horizon, apart
    from the events' noise: cutting the horizon short changes none of the quarters kept,
    though every event after the cut is dropped."""
    cut = 36
    short = replace(spec.scenario, n_steps=cut, events=[e for e in spec.scenario.events if e.step < cut])
    assert len(short.events) < len(spec.scenario.events)
    full = Engine(spec.scenario, [spec.params] * 2, [4, 5]).run().results()
    kept = Engine(short, [spec.params] * 2, [4, 5]).run().results()
    for whole, part in zip(full, kept):
        for name, values in part.observations().items():
            assert len(values) == cut
            np.testing.assert_array_equal(values, whole.observations()[name][:cut])
        assert part.rows == [row for row in whole.rows if row[0] < cut]
