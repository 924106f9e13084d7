"""Simulation-based calibration (sim/analysis/sbc.py): the coverage check tells a
calibrated method from an overconfident one, and a CI-sized study of the real sampler runs,
resumes and reports a rank per truth and parameter."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from sim.analysis import calibration
from sim.analysis.calibration import parse_calibration
from sim.analysis.sbc import coverage, coverage_holds, rank_rows, sbc, sbc_truths, truth_spec
from sim.analysis.validation import twin_scenarios
from tests.helpers import packaged_scenario

SMALL = {"name": "sbc", "free": {"rally_gain": [0.0, 3.0], "deference": [0.0, 3.3]}, "targets": [3, 12],
         "particles": 12, "generations": 3, "seeds_per_particle": 1, "truth_seeds": 4, "min_acceptance": 0.0,
         "min_improvement": 0.0, "backend": "serial", "workers": 1}


def _synthetic(spread: float, shift: float, truths: int = 200) -> pd.DataFrame:
    """Rank rows of 400-particle posteriors of rally_gain around truth + error + `shift`
    with standard deviation `spread`; the error is N(0, 1), so spread 1 and shift 0 is a
    calibrated method, a smaller spread an overconfident one, a shift a biased one."""
    rng = np.random.default_rng(1)
    base = parse_calibration({**SMALL, "free": {"rally_gain": [0.0, 10.0]}})
    rows = []
    for number in range(truths):
        truth = float(rng.uniform(3.0, 7.0))
        sample = pd.DataFrame({"rally_gain": rng.normal(truth + rng.normal() + shift, spread, 400),
                               "weight": np.ones(400)})
        rows += rank_rows(replace(base, truth={"rally_gain": truth}), sample, number)
    return pd.DataFrame(rows)


def test_the_coverage_check_passes_a_calibrated_posterior_and_fails_an_overconfident_one():
    calibrated = _synthetic(spread=1.0, shift=0.0)
    assert 0.85 <= coverage(calibrated) <= 0.95 and coverage_holds(calibrated)
    assert np.histogram(calibrated["rank"], bins=5, range=(0, 1))[0].min() >= 25    # ranks about uniform
    overconfident = _synthetic(spread=0.2, shift=0.0)
    assert coverage(overconfident) < 0.5 and not coverage_holds(overconfident)
    biased = _synthetic(spread=1.0, shift=2.0)
    assert not coverage_holds(biased) and biased["rank"].mean() < 0.2


def test_truths_are_drawn_from_the_prior_reproducibly():
    spec = parse_calibration(SMALL)
    first = sbc_truths(spec, 30, seed=0)
    assert first == sbc_truths(spec, 30, seed=0) and first != sbc_truths(spec, 30, seed=1)
    for name, (low, high) in spec.free.items():
        values = np.array([t[name] for t in first])
        assert values.min() >= low and values.max() <= high and values.std() > 0.15 * (high - low)


def test_each_truth_is_calibrated_on_the_study_s_statistics():
    """Shares gain the targets' values (simulated data have them); checks stay checks."""
    spec = parse_calibration(SMALL)
    truth = sbc_truths(spec, 1, seed=0)[0]
    assert spec.statistics == "checks" and truth_spec(spec, truth, 0).statistics == "checks"
    assert truth_spec(replace(spec, statistics="shares"), truth, 0).statistics == "shares_and_values"
    assert truth_spec(spec, truth, 3).observed == "simulated" and truth_spec(spec, truth, 3).seed == spec.seed + 3


def test_a_small_study_of_the_real_sampler_ranks_every_truth_and_resumes(tmp_path, spec, monkeypatch):
    truths = 3
    scenarios = twin_scenarios(spec.scenario, packaged_scenario)
    small = parse_calibration(SMALL)
    table = sbc(small, scenarios, spec.params, tmp_path, truths)
    assert len(table) == truths * len(small.names)
    assert table["rank"].between(0.0, 1.0).all() and (table["q05"] <= table["q95"]).all()
    assert table.groupby("truth_number")["truth"].nunique().eq(len(small.names)).all()

    def no_simulation(*args, **kwargs):
        raise AssertionError("a finished truth was simulated again")

    monkeypatch.setattr(calibration, "simulate", no_simulation)
    pd.testing.assert_frame_equal(sbc(small, scenarios, spec.params, tmp_path, truths), table)
