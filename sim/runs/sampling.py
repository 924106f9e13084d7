"""The project's Latin-hypercube sampler; the robustness design of `task=validate` draws from it.

It wraps `scipy.stats.qmc.LatinHypercube` seeded with an integer through SciPy's `seed`
argument, which draws from a legacy `numpy.random.RandomState(seed)` stream: the robustness
numbers in docs/VALIDATION.md come from that stream. SciPy's newer `rng` argument (a
`numpy.random.Generator`) draws other points, so switching to it would change those numbers.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def latin_hypercube(bounds: Sequence[tuple[float, float]], points: int, seed: int) -> np.ndarray:
    """`points` rows of a Latin hypercube over `bounds` (one (low, high) pair per column):
    each column's range is cut into `points` equal strata, each stratum holding one row."""
    from scipy.stats import qmc  # SciPy's stats take ~1 s to import: loaded when needed

    low, high = np.asarray(bounds, dtype=float).reshape(-1, 2).T
    unit = qmc.LatinHypercube(d=low.size, seed=seed).random(points)
    return low + unit * (high - low)
