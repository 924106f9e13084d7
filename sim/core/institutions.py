"""Regional institutions: membership, calendar, hierarchy and collective decisions.

One class serves the SCO, the CSTO and any organisation a user defines in config. An
institution differs from another only by its spec (charter norm weights, decision rule,
agenda-setting powers, calendar and mandates) and by who has joined it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

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
    agenda_setters: list[int]
    summit_quarters: tuple[int, ...]
    ministerial_quarters: tuple[int, ...]
    collective_defence: bool
    intrastate_mandate: bool


@dataclass
class Institution:
    """Dynamic state of one institution in a run."""

    spec: InstitutionSpec
    size: int
    index: int = 0
    founded: bool = False
    decision_rule: str = ""
    intrastate_mandate: bool = False
    collective_defence: bool = False
    status: np.ndarray = field(init=False)
    engagement: np.ndarray = field(init=False)
    investment: np.ndarray = field(init=False)
    suspended_for: np.ndarray = field(init=False)
    good: np.ndarray = field(init=False)
    member: np.ndarray = field(init=False)
    _shares: tuple[bytes, np.ndarray] | None = field(init=False, default=None, repr=False)

    def __post_init__(self) -> None:
        self.status = np.zeros(self.size, dtype=np.int8)
        self.engagement = np.zeros(self.size)
        self.investment = np.zeros(self.size)
        self.suspended_for = np.zeros(self.size, dtype=np.int64)
        self.decision_rule = self.spec.decision_rule
        self.intrastate_mandate = self.spec.intrastate_mandate
        self.collective_defence = self.spec.collective_defence
        self._refresh_masks()

    @property
    def code(self) -> str:
        """Short code of the institution (e.g. SCO)."""
        return self.spec.code

    def bind(self, status: np.ndarray, engagement: np.ndarray, investment: np.ndarray,
             suspended_for: np.ndarray) -> None:
        """Use these arrays (rows of the model's (institution, state) arrays) as its own."""
        self.status, self.engagement = status, engagement
        self.investment, self.suspended_for = investment, suspended_for
        self._shares = None
        self._refresh_masks()

    def set_status(self, i: int, status: int) -> None:
        """Change one state's status (the model validates the transition)."""
        self.status[i] = status
        self._refresh_masks()

    def _refresh_masks(self) -> None:
        self.good, self.member = standing(self.status)

    def in_good_standing(self) -> np.ndarray:
        """Boolean mask of active or hedging members."""
        return self.good

    def members(self) -> np.ndarray:
        """Indices of members that have not withdrawn (active, hedging or suspended)."""
        return np.flatnonzero(self.member)

    def veto_holders(self) -> np.ndarray:
        """Members in good standing (active or hedging): each holds a veto under consensus."""
        return np.flatnonzero(self.good)

    def shares(self, power: np.ndarray) -> np.ndarray:
        """Each state's share of the power of members in good standing (read-only: it is
        kept until the power or the membership changes, as every stance asks for it)."""
        key = power.tobytes() + self.status.tobytes()
        if self._shares is None or self._shares[0] != key:
            mask = self.in_good_standing()
            total = power[mask].sum()
            value = np.where(mask, power / total, 0.0) if total > 0 else np.zeros_like(power)
            value.flags.writeable = False
            self._shares = (key, value)
        return self._shares[1]

    def agenda_setter(self, power: np.ndarray, proposer: int | None) -> int | None:
        """Who drafts the text: the proposer if a member, else the strongest agenda setter."""
        good = self.in_good_standing()
        if proposer is not None and good[proposer]:
            return proposer
        setters = [i for i in self.spec.agenda_setters if good[i]]
        return max(setters, key=lambda i: power[i]) if setters else None

    def adopt_text(self, ideals: dict[int, float], setter_ideal: float,
                   grain: float) -> tuple[float, list[int]]:
        """The text adopted under this institution's rule (see `adopt_text`), among the
        members in good standing that stated an ideal."""
        holders = {int(i): ideals[int(i)] for i in self.veto_holders() if int(i) in ideals}
        return adopt_text(holders, setter_ideal, self.decision_rule, grain)

    def passes(self, answers: dict[int, bool]) -> tuple[bool, list[int]]:
        """Whether a yes/no decision passes under the rule, and who said no."""
        holders = [i for i in self.veto_holders() if i in answers]
        refusers = [int(i) for i in holders if not answers[i]]
        if not holders:
            return False, []
        return meets_quota(self.decision_rule, 1 - len(refusers) / len(holders)), refusers


def meets_quota(rule: str, share: float) -> bool:
    """Whether a share of the members in good standing carries a decision under `rule`."""
    if rule == "consensus":
        return share >= 1.0 - 1e-12
    if rule == "qualified_majority":
        return share >= 2.0 / 3.0 - 1e-12
    return share > 0.5


def text_scale(grain: float) -> np.ndarray:
    """The graded texts a draft can take, from condemnation of the favoured party (-1)
    through silence (0) to full endorsement (+1), in steps of `grain` (the last step to
    either end may be shorter)."""
    steps = int(np.floor(1.0 / grain + 1e-9))
    return np.unique(np.round(np.concatenate([grain * np.arange(-steps, steps + 1), [-1.0, 1.0]]), 12))


def accepts(text: np.ndarray | float, ideal: float) -> np.ndarray | bool:
    """A member accepts a text it likes at least as much as silence (text 0): with
    distance from its ideal as its loss, |text - ideal| <= |ideal|."""
    return np.abs(text - ideal) <= abs(ideal) + 1e-12


def adopt_text(ideals: dict[int, float], setter_ideal: float, rule: str,
               grain: float) -> tuple[float, list[int]]:
    """Spatial veto-player bargaining over a draft (Tsebelis 2002), silence the status quo.

    The texts that enough members accept under `rule` (every member in good standing for
    consensus, the quota's pivot otherwise) form the win-set of silence; the agenda
    setter adopts the one closest to its own ideal (ties go to the weaker text), or
    silence when the win-set is empty. Under consensus no adopted text is one that a
    veto holder likes less than silence. Returns (text, blockers): the members that
    reject the text the setter would have written alone.
    """
    if not ideals:
        return 0.0, []
    texts = text_scale(grain)
    values = np.array(list(ideals.values()))
    accepted = np.abs(texts[:, None] - values[None, :]) <= np.abs(values)[None, :] + 1e-12
    feasible = np.array([meets_quota(rule, share) for share in accepted.mean(axis=1)])
    feasible[texts == 0.0] = True
    loss = np.abs(texts - setter_ideal) + 1e-9 * np.abs(texts)
    text = float(texts[np.argmin(np.where(feasible, loss, np.inf))])
    wanted = texts[np.argmin(loss)]
    blockers = [i for i, ideal in ideals.items() if not accepts(wanted, ideal)]
    return text, blockers if text != wanted else []


def stance_of(text: float) -> int:
    """The class of an adopted text: endorse (> 0), neutral (silence) or oppose (< 0)."""
    return ENDORSE if text > 0 else OPPOSE if text < 0 else NEUTRAL

