"""Regional institutions: their specs, membership statuses and the scale of texts.

One spec serves the SCO, the CSTO and any organisation a user defines in config: an
institution differs from another only by its spec (charter norm weights, decision rule,
agenda-setting powers, calendar and mandates) and by who has joined it (the engine's
state). Collective decisions are in `sim.core.decisions`.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from numba import njit

NONE, ACTIVE, HEDGING, SUSPENDED, WITHDRAWN, OBSERVER = range(6)
STATUS_NAMES = ("none", "active", "hedging", "suspended", "withdrawn", "observer")
GOOD_STANDING = (ACTIVE, HEDGING)
#: Membership transitions the model may make (from, to); anything else is a bug.
VALID_TRANSITIONS = frozenset({
    (NONE, ACTIVE), (NONE, OBSERVER), (OBSERVER, ACTIVE), (WITHDRAWN, ACTIVE),
    (ACTIVE, HEDGING), (HEDGING, ACTIVE), (ACTIVE, SUSPENDED), (HEDGING, SUSPENDED),
    (SUSPENDED, ACTIVE), (SUSPENDED, WITHDRAWN),
})
ENDORSE, NEUTRAL, OPPOSE = 1, 0, -1
STANCE_NAMES = {ENDORSE: "endorse", NEUTRAL: "neutral", OPPOSE: "oppose"}
DECISION_RULES = ("consensus", "qualified_majority", "majority")


@njit(cache=True, nogil=True)
def in_good_standing(code: int) -> bool:
    """Whether one status code is in good standing (active or hedging): the test the
    compiled kernels make, member by member."""
    return code == ACTIVE or code == HEDGING


def standing(status: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(in good standing, member) masks of status codes of any shape.

    In good standing: active or hedging; member: also suspended (not withdrawn).
    """
    good = (status == ACTIVE) | (status == HEDGING)
    return good, good | (status == SUSPENDED)


@dataclass
class InstitutionSpec:
    """Static definition of an institution, read from the scenario config."""

    code: str
    name: str
    charter: np.ndarray
    decision_rule: str
    operation_rule: str
    agenda_setters: list[int]
    summit_quarters: tuple[int, ...]
    ministerial_quarters: tuple[int, ...]
    collective_defence: bool
    intrastate_mandate: bool


@lru_cache(maxsize=64)
def text_scale(grain: float) -> np.ndarray:
    """The graded texts a draft can take, from condemnation of the favoured party (-1)
    through silence (0) to full endorsement (+1), in steps of `grain` (the last step to
    either end may be shorter). Read-only: one array per grain is shared."""
    steps = int(np.floor(1.0 / grain + 1e-9))
    scale = np.unique(np.round(np.concatenate([grain * np.arange(-steps, steps + 1), [-1.0, 1.0]]), 12))
    scale.flags.writeable = False
    return scale


def stance_of(text: float) -> int:
    """The class of an adopted text: endorse (> 0), neutral (silence) or oppose (< 0)."""
    return ENDORSE if text > 0 else OPPOSE if text < 0 else NEUTRAL

