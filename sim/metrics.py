"""Observation: the cohesion index of an institution and its components.

Cohesion (CONCEPT 'Outputs') is a weighted mean of three documented components, each in
[0, 1]:
- trust: mean trust among members in good standing (ordered pairs, beta reputation);
- congruence: one minus the mean charter-weighted norm distance among them;
- engagement: mean engagement of all members that have not withdrawn (a suspended member
  counts with its low engagement, so a suspension lowers cohesion).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from sim.institutions import Institution


def pair_distance(norms: np.ndarray, charter: np.ndarray,
                  others: np.ndarray | None = None) -> np.ndarray:
    """Charter-weighted mean absolute norm distance between rows of two matrices (in [0, 1])."""
    others = norms if others is None else others
    weights = charter / charter.sum()
    return np.abs(norms[:, None, :] - others[None, :, :]) @ weights


def club_metrics(inst: "Institution", trust: np.ndarray, norms: np.ndarray,
                 weights: tuple[float, float, float]) -> tuple[float, float, float, float]:
    """(cohesion, trust, congruence, engagement) of one institution now."""
    if not inst.founded:
        return (0.0, 0.0, 0.0, 0.0)
    good = np.flatnonzero(inst.in_good_standing())
    members = inst.members()
    engagement = float(inst.engagement[members].mean()) if members.size else 0.0
    if good.size >= 2:
        off = ~np.eye(good.size, dtype=bool)
        mutual = float(trust[np.ix_(good, good)][off].mean())
        congruence = float(1.0 - pair_distance(norms[good], inst.spec.charter)[off].mean())
    else:
        mutual, congruence = 0.0, 0.0
    cohesion = weights[0] * mutual + weights[1] * congruence + weights[2] * engagement
    return (cohesion, mutual, congruence, engagement)
