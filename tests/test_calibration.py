"""Calibration as inference: recovery of known parameters, resumption, bad input."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from sim.analysis import calibration
from sim.io import calibration_store, store
from sim.analysis.calibration import (CalibrationSpec, calibrate, parse_calibration, stopping_rule,
                                         weighted_quantiles)
from sim.errors import InputError
from sim.analysis.time_split import period_targets, time_split
from sim.analysis.validation import TARGETS, twin_scenarios
from tests.helpers import packaged_scenario
from tests.test_bad_input import _run_cli

TRUTH = {"rally_gain": 1.5, "betrayal_exposure": 5.0, "deference": 1.65}


@pytest.fixture(scope="module")
def scenarios(spec):
    return twin_scenarios(spec.scenario, packaged_scenario)


def _spec(**changes) -> CalibrationSpec:
    raw = {"name": "test", "free": {"rally_gain": [0.0, 3.0], "betrayal_exposure": [0.0, 10.0],
                                    "deference": [0.0, 3.3]},
           "targets": [3, 4, 12], "observed": "simulated", "truth": TRUTH, "truth_seeds": 8,
           "statistics": "shares_and_values", "particles": 60, "alpha": 0.5, "generations": 3,
           "min_acceptance": 0.0, "min_improvement": 0.0, "seeds_per_particle": 2, "seed": 1, "backend": "serial", "workers": 1}
    return parse_calibration({**raw, **changes})


def test_a_small_calibration_recovers_the_parameters_that_simulated_the_data(tmp_path, scenarios, spec):
    """Data simulated at known values; the posterior's 90% interval covers at least two of
    the three, and the posterior is narrower than the prior for at least one (it learned)."""
    folder = calibrate(_spec(), scenarios, spec.params, tmp_path / "cal", progress=False)
    summary = pd.read_csv(folder / "posterior.csv")
    assert summary["covered"].sum() >= 2, summary.to_string()
    assert (summary["interval_share_of_prior"] < 0.8).any(), summary.to_string()
    diagnostics = pd.read_csv(folder / "diagnostics.csv")
    assert list(diagnostics["generation"]) == [0, 1, 2]
    assert diagnostics["epsilon"].is_monotonic_decreasing
    assert diagnostics["stopped_by"].fillna("").tolist() == ["", "", "cap"]
    point = (folder / "map.yaml").read_text()
    assert "params_schema" in point and all(name in point for name in TRUTH)


def test_a_killed_calibration_resumes_to_the_same_posterior_on_any_backend(tmp_path, scenarios, spec, monkeypatch):
    small = _spec(targets=[12], particles=12, seeds_per_particle=1, truth_seeds=4)
    whole = calibrate(replace(small, backend="local", workers=2), scenarios, spec.params, tmp_path / "a",
                      progress=False)
    original = calibration._next_generation
    calls = {"n": 0}

    def dies_in_second_generation(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt
        return original(*args, **kwargs)

    monkeypatch.setattr(calibration, "_next_generation", dies_in_second_generation)
    with pytest.raises(KeyboardInterrupt):
        calibrate(small, scenarios, spec.params, tmp_path / "b", progress=False)
    assert sorted(p.name for p in (tmp_path / "b" / "generations").glob("*.parquet")) == ["g000.parquet",
                                                                                         "g001.parquet"]
    monkeypatch.setattr(calibration, "_next_generation", original)
    resumed = calibrate(small, scenarios, spec.params, tmp_path / "b", progress=False)
    pd.testing.assert_frame_equal(pd.read_parquet(whole / "posterior.parquet"),
                                  pd.read_parquet(resumed / "posterior.parquet"))


def test_a_different_calibration_in_the_same_folder_is_refused(tmp_path, scenarios, spec):
    small = _spec(targets=[12], particles=8, generations=1, seeds_per_particle=1, truth_seeds=2)
    calibrate(small, scenarios, spec.params, tmp_path / "c", progress=False)
    with pytest.raises(InputError, match="spec_hash"):
        calibrate(replace(small, seed=2), scenarios, spec.params, tmp_path / "c", progress=False)


def test_a_calibration_made_by_other_code_is_not_resumed(tmp_path, scenarios, spec, monkeypatch):
    """Resuming would mix generations of two versions of the model in one posterior."""
    small = _spec(targets=[12], particles=8, generations=1, seeds_per_particle=1, truth_seeds=2)
    for module in (calibration, store, calibration_store):
        monkeypatch.setattr(module, "source_digest", lambda: "before")
    calibrate(small, scenarios, spec.params, tmp_path / "c", progress=False)
    assert calibrate(small, scenarios, spec.params, tmp_path / "c", progress=False) == tmp_path / "c"
    for module in (calibration, store, calibration_store):
        monkeypatch.setattr(module, "source_digest", lambda: "after")
    with pytest.raises(InputError, match=r"source_digest = 'before'.*\(source after\)"):
        calibrate(small, scenarios, spec.params, tmp_path / "c", progress=False)


def test_weighted_quantiles_follow_the_weights():
    values = np.array([0.0, 1.0, 2.0, 3.0])
    assert weighted_quantiles(values, np.array([1.0, 1.0, 1.0, 1.0]), (0.5,))[0] == pytest.approx(1.5)
    assert weighted_quantiles(values, np.array([0.0, 0.0, 0.0, 1.0]), (0.05, 0.95)) == pytest.approx([3.0, 3.0])


@pytest.mark.parametrize("override, expected", [
    ("+calibrate.free.no_such_parameter=[0,1]", ["calibrate.free", "no_such_parameter"]),
    ("calibrate.free.trust_gain=[0,9]", ["calibrate.free.trust_gain", "[0, 9]", "5.0"]),
    ("calibrate.targets=[1,13]", ["calibrate.targets", "target numbers"]),
    ("calibrate.observed=simulated", ["calibrate.truth", "every free parameter"]),
    ("calibrate.alpha=1.5", ["calibrate.alpha", "(0, 1)"]),
    ("calibrate.particles=2", ["calibrate.particles", "[4, "]),
])
def test_bad_calibration_settings_are_refused_in_one_line(tmp_path, monkeypatch, capsys, override, expected):
    _run_cli(monkeypatch, capsys, ["task=calibrate", override], tmp_path / "out", expected)


def test_time_split_fits_one_period_and_predicts_only_the_other(tmp_path, scenarios, spec):
    early, late = period_targets("early"), period_targets("late")
    assert early and late and not set(early) & set(late)
    assert all(t.period in ("early", "late", "span") for t in TARGETS)
    tiny = parse_calibration({"name": "split", "free": {"betrayal_exposure": [0.0, 10.0], "deference": [0.0, 3.3]},
                              "particles": 8, "generations": 2, "seeds_per_particle": 1, "backend": "serial"})
    table = time_split(tiny, scenarios, spec.params, tmp_path, draws=2, seeds=[0])
    for fit, predicted in (("early", late), ("late", early)):
        rows = table[table["fitted_on"] == fit]
        assert set(rows["target"]) == set(predicted)
        assert sorted(rows["draws_from"].unique()) == ["posterior", "prior"]
        first = json.loads((tmp_path / f"fit_{fit}" / "generations" / "g000.json").read_text())
        assert first["statistics"] == [f"share_{n}" for n in (early if fit == "early" else late)]
    assert table[["share_of_runs", "share_of_draws_passing"]].stack().between(0, 1).all()


def test_distances_skip_uninformative_statistics_and_reject_missing_ones():
    stats = np.array([[1.0, 0.5, 0.4], [0.0, 0.5, np.nan], [0.5, 0.5, 0.2]])
    spread = calibration.scales(stats)
    assert spread[1] == 0.0 and spread[0] > 0 and spread[2] > 0
    d = calibration.distances(stats, np.ones(3), spread)
    assert np.isinf(d[1]) and d[0] < d[2]


def test_particles_tied_at_the_tolerance_are_all_kept():
    spec = _spec(particles=8)   # keeps alpha N = 4
    candidates = pd.DataFrame({"generation": 0, "particle": range(8),
                               "distance": [0.0, 0.0, 0.0, 0.1, 0.1, 0.1, 0.3, 0.2]})
    kept, epsilon = calibration._keep(spec, candidates)
    assert epsilon == 0.1 and sorted(kept["particle"]) == [0, 1, 2, 3, 4, 5]


def test_new_particles_weigh_as_exact_importance_weights():
    """Prior over proposal has mean 1 under the proposal. A kernel twice as wide as the
    kept particles' spread puts about half its mass outside the prior's support, which
    `_perturbed` redraws; weights that ignored that cut would average about 2 and
    over-weigh new particles against the kept ones."""
    spec = _spec(free={"rally_gain": [0.0, 3.0], "deference": [0.0, 3.3]}, truth={"rally_gain": 1.5, "deference": 1.65})
    for seed in range(3):
        rng = np.random.default_rng(seed)
        population = pd.DataFrame({"rally_gain": rng.uniform(0.0, 3.0, 40), "deference": rng.uniform(0.0, 3.3, 40),
                                   "weight": rng.uniform(0.5, 1.5, 40)})
        values = calibration._perturbed(spec, np.random.default_rng(10 + seed), population, 20_000)
        assert ((values >= 0.0) & (values <= [3.0, 3.3])).all()
        weights = calibration._new_weights(spec, population, values, np.random.default_rng(20 + seed))
        assert abs(weights.mean() - 1.0) < 0.02


@pytest.mark.parametrize("epsilons, acceptance, expected", [
    ((1.0, 0.5), 0.3, None),               # tolerance halved, many new particles accepted: go on
    ((1.0, 0.5), 0.04, "acceptance"),      # fewer than min_acceptance beat the last tolerance
    ((1.0, 0.99), 0.3, "tolerance"),       # fell by 1%, less than min_improvement (2%)
    ((1.0, 0.97), 0.3, None),              # fell by 3%
    ((1.0, 0.5, 0.25), 0.3, "cap"),        # the third generation of three
])
def test_the_sampler_stops_by_its_convergence_rules_before_the_cap(epsilons, acceptance, expected):
    spec = _spec(min_acceptance=0.05, min_improvement=0.02, generations=3)
    metas = [{"generation": t, "epsilon": e, "acceptance": 1.0 if t == 0 else acceptance}
             for t, e in enumerate(epsilons)]
    assert stopping_rule(spec, metas) == expected
    assert stopping_rule(spec, metas[:1]) is None


def test_a_calibration_whose_tolerance_stalls_stops_before_its_cap(tmp_path, scenarios, spec):
    """With a cap far away, the default rules stop a small calibration on its own, and
    diagnostics.csv names the rule (here the targets' shares leave little to learn)."""
    folder = calibrate(_spec(targets=[12], particles=12, seeds_per_particle=1, truth_seeds=4, generations=30,
                             min_acceptance=0.05, min_improvement=0.02), scenarios, spec.params, tmp_path / "c",
                       progress=False)
    diagnostics = pd.read_csv(folder / "diagnostics.csv")
    assert len(diagnostics) < 30
    assert diagnostics["stopped_by"].iloc[-1] in ("acceptance", "tolerance")
