"""Observation: the cohesion index of an institution and its components.

Cohesion (docs/ODD.md, 'Observation') is a weighted mean of three documented components, each in
[0, 1]:
- trust: mean trust among members in good standing (ordered pairs, beta reputation);
- congruence: one minus the mean charter-weighted norm distance among them;
- engagement: mean engagement of all members that have not withdrawn (a suspended member
  counts with its low engagement, so a suspension lowers cohesion).

The module also holds what the processes and the observables share: charter-weighted norm
distances and bounded-confidence closeness. Every function is compiled with numba.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from sim.core.institutions import SUSPENDED, in_good_standing

#: What `club_metrics` returns for each institution, in this order.
CLUB_METRICS = ("cohesion", "trust", "congruence", "engagement")


@njit(cache=True, error_model="numpy", nogil=True)
def distances_of(norms: np.ndarray, charters: np.ndarray, out: np.ndarray) -> None:
    """Charter-weighted distances of one run into `out`: norms (N, D) and charters (D, K)
    give (K, N, N), the sum over norms of charter weight x |norm_i - norm_j|."""
    n, d = norms.shape
    for k in range(charters.shape[1]):
        for i in range(n):
            out[k, i, i] = 0.0
            for j in range(i + 1, n):
                total = 0.0
                for m in range(d):
                    total += charters[m, k] * abs(norms[i, m] - norms[j, m])
                out[k, i, j] = out[k, j, i] = total


@njit(cache=True, error_model="numpy", nogil=True)
def closeness(distance: float | np.ndarray, bound: float) -> float | np.ndarray:
    """Bounded confidence: 1 - distance / bound, zero beyond the bound (of a number or an
    array, from Python or inside compiled kernels)."""
    return np.maximum(1.0 - distance * (1.0 / bound), 0.0)


@njit(cache=True, error_model="numpy", nogil=True)
def club_metrics(status: np.ndarray, engagement: np.ndarray, trust: np.ndarray, distance: np.ndarray,
                 params: np.ndarray) -> np.ndarray:
    """The CLUB_METRICS of K institutions in each of R runs: (R, K, 4).

    Shapes: `status`, `engagement` (R, K, N); `trust` (R, N, N); `distance` (R, K, N, N);
    `params` the runs' parameter table (the cohesion weights). Trust and congruence are
    zero with fewer than two members in good standing, engagement with no member.
    """
    runs, k_count, n = status.shape
    out = np.zeros((runs, k_count, 4))
    for r in range(runs):
        p = params[r]
        for k in range(k_count):
            st = status[r, k]
            count, members, engaged, together, spread = 0, 0, 0.0, 0.0, 0.0
            for i in range(n):
                if in_good_standing(st[i]) or st[i] == SUSPENDED:
                    members += 1
                    engaged += engagement[r, k, i]
                if not in_good_standing(st[i]):
                    continue
                count += 1
                for j in range(n):
                    if j != i and in_good_standing(st[j]):
                        together += trust[r, i, j]
                        spread += distance[r, k, i, j]
            pairs = count * (count - 1)
            mutual = together / pairs if count >= 2 else 0.0
            congruence = 1.0 - spread / pairs if count >= 2 else 0.0
            engaged = engaged / members if members > 0 else 0.0
            out[r, k, 0] = p.cohesion_trust * mutual + p.cohesion_congruence * congruence + p.cohesion_engagement * engaged
            out[r, k, 1], out[r, k, 2], out[r, k, 3] = mutual, congruence, engaged
    return out


@njit(cache=True, nogil=True)
def status_counts(status: np.ndarray, codes: int) -> np.ndarray:
    """(R, K, codes) how many states hold each status code in each institution of each run."""
    runs, k_count, n = status.shape
    out = np.zeros((runs, k_count, codes))
    for r in range(runs):
        for k in range(k_count):
            for i in range(n):
                out[r, k, status[r, k, i]] += 1.0
    return out


@njit(cache=True, error_model="numpy", nogil=True)
def good_mean(status: np.ndarray, values: np.ndarray) -> np.ndarray:
    """(R, K) the mean of (R, K, N) values over each institution's members in good
    standing (zero with none)."""
    runs, k_count, n = status.shape
    out = np.zeros((runs, k_count))
    for r in range(runs):
        for k in range(k_count):
            total, count = 0.0, 0
            for i in range(n):
                if in_good_standing(status[r, k, i]):
                    total += values[r, k, i]
                    count += 1
            if count:
                out[r, k] = total / count
    return out
