"""The comparison's bootstrap interval of a mean paired difference (scipy.stats.bootstrap,
percentile method, seeded): reproducible, sensible in size, defined for degenerate samples."""

from __future__ import annotations

import numpy as np

from sim.analysis.compare import bootstrap_interval, paired_difference


def test_the_same_values_and_seed_give_the_same_interval():
    values = np.random.default_rng(1).normal(size=30)
    assert bootstrap_interval(values, 500) == bootstrap_interval(values, 500)
    assert bootstrap_interval(values, 500, seed=1) != bootstrap_interval(values, 500, seed=2)


def test_the_interval_holds_the_mean_and_has_the_normal_theory_width():
    values = np.random.default_rng(2).normal(0.3, 1.0, size=400)
    low, high = bootstrap_interval(values, 4000)
    assert low < values.mean() < high
    normal_width = 2 * 1.96 * values.std(ddof=1) / np.sqrt(values.size)
    assert abs((high - low) / normal_width - 1) < 0.1


def test_a_constant_sample_and_a_single_value_have_a_point_interval():
    assert bootstrap_interval(np.full(12, 0.25), 200) == (0.25, 0.25)
    assert bootstrap_interval(np.array([-0.5]), 200) == (-0.5, -0.5)


def test_a_paired_difference_leaves_out_missing_seeds_and_keeps_its_columns():
    row = paired_difference(np.array([0.1, np.nan, 0.3, 0.2]), 300)
    assert set(row) == {"difference", "ci_low", "ci_high", "runs", "share_positive"}
    assert row["runs"] == 3 and np.isclose(row["difference"], 0.2) and row["share_positive"] == 1.0
    assert 0.1 <= row["ci_low"] < row["difference"] < row["ci_high"] <= 0.3
