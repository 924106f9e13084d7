"""Calibration as inference: recovery of known parameters, resumption, bad input."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.analysis import calibration
from sim.io import calibration_store, store
from sim.analysis.calibration import (CalibrationSpec, Problem, calibrate, distances, flat_statistics,
                                     floor_scale, floored_statistics, parse_calibration, scales, simulate,
                                     statistic_names, statistic_weights, stopping_rule, weighted_quantiles,
                                     zeroth_generation)
from sim.analysis.predictive import predictive_table
from sim.errors import InputError
from sim.analysis.time_split import period_targets, time_split
from sim.analysis.validation import CHECKS, TARGETS, twin_scenarios
from sim.runs.executors import executor
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


def _killed_in_second_generation(small: CalibrationSpec, scenarios, spec, tmp_path, monkeypatch):
    """Calibrate `small` whole on the local backend into tmp_path/a, then serially into
    tmp_path/b with a KeyboardInterrupt as the second generation starts; returns the whole
    run's folder and the function to restore (the caller resumes b)."""
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
    return whole, original


def test_a_killed_calibration_resumes_to_the_same_posterior_on_any_backend(tmp_path, scenarios, spec, monkeypatch):
    small = _spec(targets=[12], particles=12, seeds_per_particle=1, truth_seeds=4)
    whole, original = _killed_in_second_generation(small, scenarios, spec, tmp_path, monkeypatch)
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
    ("calibrate.statistics=means", ["calibrate.statistics", "'means'", "checks, shares, shares_and_values"]),
    ("calibrate.statistics=shares_and_values", ["calibrate.statistics", "checks or shares when observed=article"]),
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
        assert first["statistics"] == statistic_names(tuple(early if fit == "early" else late), "checks")
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


# -- statistics=checks ----------------------------------------------------------------------

ARTICLE_CHECKS = {"observed": "article", "truth": {}, "statistics": "checks"}


def test_checks_statistics_are_the_joint_share_then_one_per_check():
    """Read from the validation's CHECKS: every check of the chosen targets, consistency
    checks included (the article reports those patterns too), the joint share first."""
    every = statistic_names(tuple(t.number for t in TARGETS), "checks")
    assert every == ["joint", *(f"check_{c.key}" for c in CHECKS)]
    assert any(not c.evidence for c in CHECKS)
    some = statistic_names((4, 12), "checks")
    assert some[1:] == [f"check_{c.key}" for t in TARGETS if t.number in (4, 12) for c in t.checks]
    assert "check_4.csto_recognition_neutral" in some
    assert statistic_names((3, 12), "shares") == ["share_3", "share_12"]
    assert statistic_names((3, 12), "shares_and_values") == ["share_3", "share_12", "value_3", "value_12"]


def test_checks_statistics_agree_with_the_posterior_predictive_check(scenarios, spec):
    """Two particles on the same two seeds: `joint` is the predictive check's `every_check`
    over the same checks and draws (computed by other code), each `check_<key>` its share;
    and joint is at most the smallest per-check share."""
    cal = _spec(**ARTICLE_CHECKS, targets=[t.number for t in TARGETS], seeds_per_particle=2)
    values = np.array([[0.5, 2.0, 0.3], [2.5, 8.0, 3.0]])
    names = statistic_names(cal.targets, cal.statistics)
    with executor("serial", 1, None) as engine:
        problem = Problem(cal, scenarios, spec.params, np.ones(len(names)), names, engine)
        stats = simulate(problem, values, np.array([[11, 12], [11, 12]]))
    draws = [replace(spec.params, **dict(zip(cal.names, row))) for row in values.tolist()]
    table = predictive_table(scenarios, draws, [11, 12], [c.key for c in CHECKS])
    expected = table[["every_check", *(c for c in table.columns if c.startswith("check_"))]].to_numpy()
    np.testing.assert_array_equal(stats, expected)
    assert (stats[:, 0] <= stats[:, 1:].min(axis=1)).all()


def test_joint_weighs_as_much_as_the_checks_together_so_meeting_all_at_once_is_nearer():
    """Twenty-five checks (about as many as the validation has) and the joint share, all on
    the same scale. A particle meeting every check is nearer than one meeting all but one;
    one meeting each check in 90% of its seeds but never all at once is farther than one
    meeting all together in 70%, which an equal weight of the joint share (as `shares`
    would give) gets the other way round."""
    checks = 25
    weights = statistic_weights("checks", 1 + checks)
    assert weights.tolist() == [checks, *[1.0] * checks] and statistic_weights("shares", 6) is None
    everything = np.ones(1 + checks)
    all_but_one = np.r_[0.0, np.ones(checks - 1), 0.0]
    never_together = np.r_[0.0, np.full(checks, 0.9)]
    together = np.full(1 + checks, 0.7)
    stats = np.vstack([everything, all_but_one, never_together, together])
    spread = np.full(1 + checks, 0.3)
    d = distances(stats, np.ones(1 + checks), spread, weights)
    assert d[0] < d[1] and d[3] < d[2]
    equal = distances(stats, np.ones(1 + checks), spread)
    assert equal[2] < equal[3]


def test_a_statistic_without_prior_spread_keeps_the_floor_scale_and_is_recorded():
    """Under checks a flat statistic stays in the distance at 0.5/sqrt(seeds), named in the
    record; under shares it is left out, as before."""
    cal = _spec(**ARTICLE_CHECKS, targets=[3], seeds_per_particle=4)
    names = statistic_names(cal.targets, "checks")
    stats = np.tile(np.linspace(0.0, 1.0, 60)[:, None], (1, len(names)))
    stats[:, 0] = np.minimum(stats[:, 0], stats[:, 1:].min(axis=1))
    stats[:, 2] = 0.0                                               # no prior particle meets this check
    problem = Problem(cal, {}, None, np.ones(len(names)), names, None)
    frame, meta = zeroth_generation(problem, np.zeros((60, 3)), stats, scales(stats), 0.0)
    assert floor_scale(cal) == 0.25 and meta["floored"] == [names[2]]
    assert meta["scales"][2] == 0.25 and min(meta["scales"]) > 0
    assert meta["weights"] == [len(names) - 1.0, *[1.0] * (len(names) - 1)]
    nearer = stats[-1:].copy()
    farther = nearer.copy()
    nearer[0, 2] = 1.0                                              # the flat check met: rewarded
    both = np.vstack([nearer, farther])
    d = distances(both, np.ones(len(names)), np.asarray(meta["scales"]), problem.weights)
    assert d[0] < d[1]
    shares = replace(cal, statistics="shares")
    assert floor_scale(shares) == 0.0


def test_shares_distances_are_what_they_always_were():
    """Shares and shares_and_values: an equal-weight root mean square over the statistics
    with spread, a flat one left out (pinned on a fixed input)."""
    stats = np.array([[1.0, 0.5, 0.4], [0.0, 0.5, 0.2], [0.5, 0.5, 0.2]])
    spread = scales(stats)
    assert spread[1] == 0.0
    d = distances(stats, np.ones(3), spread)
    expected = np.sqrt(((stats[:, [0, 2]] - 1.0) / spread[[0, 2]]) ** 2 @ [0.5, 0.5])
    np.testing.assert_allclose(d, expected, rtol=0, atol=1e-15)
    assert d.tolist() == [4.5, 6.244997998398399, 6.062177826491071]      # from the code before statistics=checks


def test_a_shares_calibration_keeps_its_old_distances(tmp_path, scenarios, spec):
    """Every stored distance of a small shares calibration is the equal-weight root mean
    square over its statistics with spread, and nothing is floored."""
    small = _spec(**{**ARTICLE_CHECKS, "statistics": "shares"}, targets=[3, 5, 12], particles=12,
                  seeds_per_particle=1)
    folder = calibrate(small, scenarios, spec.params, tmp_path / "s", progress=False)
    first = json.loads((folder / "generations" / "g000.json").read_text())
    assert first["statistics"] == ["share_3", "share_5", "share_12"] and first["floored"] == []
    assert first["weights"] is None and floored_statistics(folder) == []
    spread = np.asarray(first["scales"])
    used = spread > 0
    population = pd.read_parquet(folder / "populations.parquet")
    scaled = (population[first["statistics"]].to_numpy()[:, used] - 1.0) / spread[used]
    np.testing.assert_array_equal(population["distance"], np.sqrt(np.mean(scaled ** 2, axis=1)))
    assert flat_statistics(folder) == [n for n, scale in zip(first["statistics"], spread) if scale == 0]


def test_a_killed_checks_calibration_resumes_to_the_same_posterior_and_records_its_floor(
        tmp_path, scenarios, spec, monkeypatch):
    """Targets with checks the prior meets only sometimes, so the sampler runs all three generations."""
    small = _spec(**ARTICLE_CHECKS, targets=[2, 8, 9], particles=12, seeds_per_particle=1)
    whole, original = _killed_in_second_generation(small, scenarios, spec, tmp_path, monkeypatch)
    monkeypatch.setattr(calibration, "_next_generation", original)
    resumed = calibrate(small, scenarios, spec.params, tmp_path / "b", progress=False)
    posterior = pd.read_parquet(resumed / "posterior.parquet")
    pd.testing.assert_frame_equal(pd.read_parquet(whole / "posterior.parquet"), posterior)
    first = json.loads((resumed / "generations" / "g000.json").read_text())
    names = statistic_names(small.targets, "checks")
    assert first["statistics"] == names and first["observation"] == [1.0] * len(names)
    floor = floor_scale(small)
    assert floored_statistics(resumed) == first["floored"]
    assert set(first["floored"]) <= {n for n, scale in zip(names, first["scales"]) if scale == floor}
    assert flat_statistics(resumed) == [] and min(first["scales"]) > 0
    kept = pd.read_parquet(resumed / "populations.parquet").query("population == 0")
    assert all(kept[name].nunique() == 1 for name in first["floored"])
    assert (posterior["joint"] <= posterior[names[1:]].min(axis=1)).all()


def test_checks_fit_the_models_own_statistics_when_observed_is_simulated(tmp_path, scenarios, spec):
    small = _spec(statistics="checks", targets=[3, 12], particles=8, generations=2, seeds_per_particle=1,
                  truth_seeds=4)
    folder = calibrate(small, scenarios, spec.params, tmp_path / "t", progress=False)
    first = json.loads((folder / "generations" / "g000.json").read_text())
    observation = np.asarray(first["observation"])
    assert len(observation) == len(statistic_names(small.targets, "checks"))
    assert observation[0] <= observation[1:].min() and ((observation * 4) % 1 == 0).all()   # shares of 4 seeds
    assert "covered" in pd.read_csv(folder / "posterior.csv")


def test_the_report_names_floored_statistics_as_such_and_left_out_ones_as_before(tmp_path, monkeypatch):
    """docs/CALIBRATION.md's generator (experiments/calibration_report.py), on the record
    of generation 0 of a checks and of a shares calibration."""
    monkeypatch.syspath_prepend(str(Path(__file__).resolve().parents[1] / "experiments"))
    from calibration_report import dropped_statistics

    records = {"checks": {"statistics": ["joint", "check_5.a", "check_5.b"], "scales": [0.25, 0.3, 0.25],
                          "floored": ["joint", "check_5.b"]},
               "shares": {"statistics": ["share_3", "share_5"], "scales": [0.3, 0.0], "floored": []},
               "even": {"statistics": ["joint", "check_5.a"], "scales": [0.3, 0.3], "floored": []}}
    for name, record in records.items():
        (tmp_path / name / "generations").mkdir(parents=True)
        (tmp_path / name / "generations" / "g000.json").write_text(json.dumps(record))
    checks = dropped_statistics(tmp_path / "checks")
    assert "floor scale" in checks and "scale 0.25" in checks and "`joint`, `check_5.b`." in checks
    assert "no information" not in checks and "check_5.a" not in checks
    shares = dropped_statistics(tmp_path / "shares")
    assert "carry no information" in shares and "`share_5`." in shares and "floor" not in shares
    assert "Every summary statistic varied" in dropped_statistics(tmp_path / "even")
