"""Observation: the cohesion index of an institution and its components.

Cohesion (docs/ODD.md, 'Observation') is a weighted mean of three documented components, each in
[0, 1]:
- trust: mean trust among members in good standing (ordered pairs, beta reputation);
- congruence: one minus the mean charter-weighted norm distance among them;
- engagement: mean engagement of all members that have not withdrawn (a suspended member
  counts with its low engagement, so a suspension lowers cohesion).
"""

from __future__ import annotations

import numpy as np

#: What `club_metrics` returns for each institution, in this order.
CLUB_METRICS = ("cohesion", "trust", "congruence", "engagement")


def norm_distances(norms: np.ndarray, charters: np.ndarray) -> np.ndarray:
    """Charter-weighted distances: norms (..., N, D) and charters (D, K) give (..., K, N, N).

    Summed norm by norm, in a fixed order, so a run's distances do not depend on what
    else is stacked with it.
    """
    n, d = norms.shape[-2:]
    out = np.zeros(norms.shape[:-2] + (charters.shape[1], n, n))
    term = np.empty_like(out)
    gap = np.empty(norms.shape[:-2] + (n, n))
    for j in range(d):
        column = norms[..., j]
        np.subtract(column[..., :, None], column[..., None, :], out=gap)
        np.abs(gap, out=gap)
        np.multiply(charters[j][:, None, None], gap[..., None, :, :], out=term)
        out += term
    return out


def closeness(distance: np.ndarray, bound: float | np.ndarray) -> np.ndarray:
    """Bounded confidence: 1 - distance / bound, zero beyond the bound."""
    return np.maximum(1.0 - distance * (1.0 / bound), 0.0)


def club_metrics(good: np.ndarray, member: np.ndarray, engagement: np.ndarray,
                 trust: np.ndarray, distance: np.ndarray,
                 weights: tuple[float, float, float]) -> np.ndarray:
    """The CLUB_METRICS of K institutions, optionally over time.

    Shapes: `good`, `member`, `engagement` (..., K, N); `trust` (..., N, N); `distance`
    (..., K, N, N). Returns (..., K, 4).
    """
    weight = good.astype(float)
    n = weight.sum(axis=-1)
    pairs = np.maximum(n * (n - 1), 1.0)
    mutual = np.where(n >= 2, (np.einsum("...ki,...ij,...kj->...k", weight, trust, weight) - n) / pairs, 0.0)
    spread = np.einsum("...ki,...kij,...kj->...k", weight, distance, weight)
    congruence = np.where(n >= 2, 1.0 - spread / pairs, 0.0)
    members = member.sum(axis=-1)
    engaged = np.divide((engagement * member).sum(axis=-1), members, out=np.zeros(members.shape),
                        where=members > 0)
    cohesion = weights[0] * mutual + weights[1] * congruence + weights[2] * engaged
    return np.stack([cohesion, mutual, congruence, engaged], axis=-1)
