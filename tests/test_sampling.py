"""The Latin-hypercube sampler: a true Latin hypercube inside its bounds, reproducible,
and on the stream the documented robustness design (docs/VALIDATION.md) was drawn from."""

from __future__ import annotations

import numpy as np

from sim.core.params import BEHAVIOURAL, Params, spread_bounds
from sim.runs.sampling import latin_hypercube
from sim.analysis.robustness import perturbed_params

BOUNDS = [(0.0, 1.0), (10.0, 20.0), (-2.0, -1.5)]


def test_each_column_has_one_point_in_each_stratum_of_its_range():
    points = latin_hypercube(BOUNDS, 40, seed=3)
    assert points.shape == (40, 3)
    for column, (low, high) in zip(points.T, BOUNDS):
        assert ((column >= low) & (column < high)).all()
        strata = np.floor((column - low) / (high - low) * 40).astype(int)
        assert sorted(strata) == list(range(40))


def test_a_seed_gives_the_same_points_and_another_seed_other_points():
    first = latin_hypercube(BOUNDS, 10, seed=7)
    np.testing.assert_array_equal(first, latin_hypercube(BOUNDS, 10, seed=7))
    assert not np.allclose(first, latin_hypercube(BOUNDS, 10, seed=8))


def test_the_stream_is_the_one_the_documented_robustness_numbers_come_from():
    """SciPy's legacy integer `seed` stream: the first points of docs/VALIDATION.md's design."""
    np.testing.assert_allclose(latin_hypercube([(0.0, 1.0), (10.0, 20.0)], 3, seed=0),
                               [[0.12101277089284856, 12.434044287453766],
                                [0.9863421586879352, 19.944907881571567],
                                [0.39557658693324255, 13.624148075740926]], rtol=1e-12)


def test_the_robustness_design_scales_the_sampler_s_points():
    """Every non-integer behavioural parameter is its default times 1 - spread + 2 spread u,
    u the sampler's unit point, clipped to the parameter's documented range."""
    base, spread = Params(), 0.2
    design = perturbed_params(base, 5, spread, seed=0)
    unit = latin_hypercube([(0.0, 1.0)] * len(BEHAVIOURAL), 5, seed=0)
    for column, name in enumerate(BEHAVIOURAL):
        expected = np.clip(getattr(base, name) * (1 - spread + 2 * spread * unit[:, column]),
                           *spread_bounds(base, name, spread))
        np.testing.assert_allclose([getattr(point, name) for point in design], expected, err_msg=name)
