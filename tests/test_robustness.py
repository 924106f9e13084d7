"""Robustness points run on any backend with the same numbers, and kept points let an
interrupted validation resume."""

from __future__ import annotations

import pandas as pd
import pytest

import sim.experiments.robustness as robustness_module
from sim.experiments.robustness import PointRunner, evaluate_point, robustness
from sim.experiments.validation import twin_scenarios
from tests.helpers import packaged_scenario

POINTS, SEEDS, SPREAD = 3, 1, 0.2


@pytest.fixture(scope="module")
def scenarios(spec):
    return twin_scenarios(spec.scenario, packaged_scenario)


@pytest.fixture(scope="module")
def serial(scenarios, spec):
    return robustness(scenarios, spec.params, POINTS, SEEDS, SPREAD)


def test_points_give_the_same_numbers_in_worker_processes(scenarios, spec, serial):
    summary, points = robustness(scenarios, spec.params, POINTS, SEEDS, SPREAD,
                                 runner=PointRunner(backend="local", workers=2))
    pd.testing.assert_frame_equal(points, serial[1])
    pd.testing.assert_frame_equal(summary, serial[0])


def test_a_killed_validation_resumes_from_its_kept_points(scenarios, spec, serial, tmp_path, monkeypatch):
    monkeypatch.setattr(robustness_module, "_version", lambda: "test:clean")
    calls = []

    def counted(task):
        calls.append(task.number)
        if len(calls) == 2 and first_pass:
            raise KeyboardInterrupt
        return evaluate_point(task)

    monkeypatch.setattr(robustness_module, "evaluate_point", counted)
    runner = PointRunner(folder=tmp_path)
    first_pass = True
    with pytest.raises(KeyboardInterrupt):
        robustness(scenarios, spec.params, POINTS, SEEDS, SPREAD, runner=runner)
    assert len(list(tmp_path.glob("*.json"))) == 1
    first_pass, calls[:] = False, []
    _, points = robustness(scenarios, spec.params, POINTS, SEEDS, SPREAD, runner=runner)
    assert calls == [1, 2]
    pd.testing.assert_frame_equal(points, serial[1])
    calls.clear()
    robustness(scenarios, spec.params, POINTS, SEEDS, SPREAD, runner=runner)
    assert calls == []


def test_points_of_a_changed_checkout_are_never_reused(scenarios, spec, tmp_path, monkeypatch):
    monkeypatch.setattr(robustness_module, "_version", lambda: "test:dirty")
    calls = []
    monkeypatch.setattr(robustness_module, "evaluate_point", lambda task: calls.append(task.number) or
                        evaluate_point(task))
    runner = PointRunner(folder=tmp_path)
    robustness(scenarios, spec.params, 1, SEEDS, SPREAD, runner=runner)
    robustness(scenarios, spec.params, 1, SEEDS, SPREAD, runner=runner)
    assert calls == [0, 0]


def test_a_point_s_key_changes_with_what_its_numbers_depend_on(scenarios, spec):
    runner = PointRunner()
    base = runner.tasks([(scenarios, spec.params)], [0])[0].key
    assert runner.tasks([(scenarios, spec.params)], [0])[0].key == base
    assert runner.tasks([(scenarios, spec.params)], [1])[0].key != base
    changed = type(spec.params)(**{**spec.params.__dict__, "rally_gain": spec.params.rally_gain + 0.1})
    assert runner.tasks([(scenarios, changed)], [0])[0].key != base
    fewer = {k: v for k, v in scenarios.items() if k != next(iter(scenarios))}
    assert runner.tasks([(fewer, spec.params)], [0])[0].key != base
