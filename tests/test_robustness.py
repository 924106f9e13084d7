"""Robustness points run on any backend with the same numbers, and kept points let an
interrupted validation resume."""

from __future__ import annotations

from dataclasses import replace

import pandas as pd
import pytest

import sim.analysis.robustness as robustness_module
from sim.analysis.robustness import PointRunner, evaluate_point, perturbed_params, robustness
from sim.analysis.validation import QUIET_SCENARIO, twin_scenarios
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


def test_points_of_changed_code_are_never_reused(scenarios, spec, tmp_path, monkeypatch):
    """The key carries the digest of the package's source: a point computed by other code,
    committed or not, is computed again."""
    calls = []
    monkeypatch.setattr(robustness_module, "evaluate_point", lambda task: calls.append(task.number) or
                        evaluate_point(task))
    for source in ("before", "after", "after"):
        monkeypatch.setattr(robustness_module, "source_digest", lambda: source)
        robustness(scenarios, spec.params, 1, SEEDS, SPREAD, runner=PointRunner(folder=tmp_path))
    assert calls == [0, 0]


def test_the_source_digest_follows_the_package_s_content(tmp_path, monkeypatch):
    from sim.io import store
    package = tmp_path / "sim"
    (package / "core").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "core" / "engine.py").write_text("x = 1\n")
    monkeypatch.setattr(store, "PACKAGE", package)
    digests = []
    for content in ("x = 1\n", "x = 1\n", "x = 2\n"):
        (package / "core" / "engine.py").write_text(content)
        store.source_digest.cache_clear()
        digests.append(store.source_digest())
    store.source_digest.cache_clear()
    assert digests[0] == digests[1] != digests[2]


def test_a_point_s_key_changes_with_what_its_numbers_depend_on(scenarios, spec):
    runner = PointRunner()
    base = runner.tasks([(scenarios, spec.params)], [0])[0].key
    assert runner.tasks([(scenarios, spec.params)], [0])[0].key == base
    assert runner.tasks([(scenarios, spec.params)], [1])[0].key != base
    changed = type(spec.params)(**{**spec.params.__dict__, "rally_gain": spec.params.rally_gain + 0.1})
    assert runner.tasks([(scenarios, changed)], [0])[0].key != base
    fewer = {k: v for k, v in scenarios.items() if k != next(iter(scenarios))}
    assert runner.tasks([(fewer, spec.params)], [0])[0].key != base
    quiet = (packaged_scenario(QUIET_SCENARIO), "2018-10")
    assert runner.tasks([(scenarios, spec.params)], [0], quiet)[0].key != base


def test_fixed_parameters_stay_put_and_the_others_pair_with_the_free_design(spec):
    """A switched-off field keeps its value at every point of the robustness ensemble."""
    free = perturbed_params(spec.params, 4, SPREAD)
    held = perturbed_params(spec.params, 4, SPREAD, fixed={"memory": 200.0, "rally_gain": 0.0})
    for a, b in zip(free, held):
        assert (b.memory, b.rally_gain) == (200.0, 0.0)
        assert {k: v for k, v in a.__dict__.items() if k not in ("memory", "rally_gain")} == \
            {k: v for k, v in b.__dict__.items() if k not in ("memory", "rally_gain")}
    assert len({p.memory for p in free}) == 4


def test_points_around_posterior_draws_scale_each_draw_by_the_factors_of_its_point(spec):
    """Centred on several parameter sets, point i perturbs set i (cycling), by the same
    Latin-hypercube factors as around one point: the ensemble spreads over the posterior."""
    low = replace(spec.params, w_legitimacy=2.0, trust_gain=0.2)
    high = replace(spec.params, w_legitimacy=8.0, trust_gain=0.6)
    around_one = perturbed_params(spec.params, 4, SPREAD)
    around_two = perturbed_params([low, high], 4, SPREAD)
    for number, (single, several) in enumerate(zip(around_one, around_two)):
        centre = (low, high)[number % 2]
        for name in ("w_legitimacy", "trust_gain"):
            factor = getattr(single, name) / getattr(spec.params, name)
            assert getattr(several, name) == pytest.approx(getattr(centre, name) * factor)
        assert several.memory == single.memory
    with pytest.raises(ValueError, match="at least one centre"):
        perturbed_params([], 2, SPREAD)
