"""Behavioural parameters of the model, with their ranges and provenance.

`Params` is also the structured-config schema of the Hydra `params` group, so a wrong
type or an unknown key is refused when a config is composed; `check_params` adds the
range checks. Each field's metadata says which submodel uses it and where it comes
from (an article section or an explicit modelling assumption); docs/ODD.md lists them.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

from sim.checks import is_finite_number
from sim.errors import InputError


#: Kinds of parameter (field metadata "kind"): a mechanism's weight, gain, rate or threshold;
#: the scale of a noise term (switching it off leaves a deterministic model, so the
#: calibration, not the ablation, judges it); an observation weight (the cohesion index,
#: which defines what is measured, not what happens; excluded from the ablation).
MECHANISM, NOISE, OBSERVATION = "mechanism", "noise", "observation"
#: What the source of a field the calibration fits ends with: its default is the shipped
#: posterior's median (docs/CALIBRATION.md; the free fields of configs/calibrate/default.yaml).
CALIBRATED = "default: the calibration's posterior median"


def _p(default: float, low: float, high: float, source: str, neutral: float | None = None,
       kind: str = MECHANISM) -> Any:
    """A `Params` field with its documented range, its source and its neutral value.

    The neutral value switches the field's own effect off, and is what the one-at-a-time
    ablation sets it to: 0 for a weight, gain, cost, hazard or rate (a rate's clause then
    does nothing); for a threshold that gates a move (suspend), the value at which the move
    never fires; for a relative weight whose identity is 1 (`recognition_factor`) or a
    scale, the value at which the clause changes nothing; for a decay
    or forgetting rate the range excludes, the end of its range nearest no decay (`memory`
    200 quarters, `pressure_decay` 0.01).
    docs/ODD.md (7.10) gives the reason for each value that is not 0.
    """
    return field(default=default, metadata={"range": (low, high), "source": source, "neutral": neutral,
                                            "kind": kind})


@dataclass
class Params:
    """Behavioural parameters (one quarter per step)."""

    # Socialisation (ODD process 1; article: 'Protective integration', talking clubs)
    trust_gain: float = _p(0.404, 0.0, 5.0, "Positive experience per summit between close members; assumption; " + CALIBRATED, neutral=0.0)
    ministerial_weight: float = _p(0.25, 0.0, 1.0, "Weight of a ministerial meeting relative to a summit; assumption", neutral=0.0)
    memory: float = _p(10.0, 1.0, 200.0, "Half-life of remembered experience in quarters (beta-reputation forgetting factor 0.5^(1/memory)); assumption: a few years", neutral=200.0)
    rivalry_friction: float = _p(0.20, 0.0, 2.0, "Negative experience per quarter per unit of rivalry; article 'Conclusion'", neutral=0.0)
    norm_rate: float = _p(0.01, 0.0, 0.5, "Norm convergence rate per meeting (weighted Hegselmann-Krause)", neutral=0.0)
    experience_noise: float = _p(0.211, 0.0, 2.0, "Log-normal spread of each meeting's experience; assumption; " + CALIBRATED, neutral=0.0, kind=NOISE)
    rally_gain: float = _p(1.72, 0.0, 10.0, "Extra bonding per unit of shared regime insecurity; article 'Protective integration' (rally effect); " + CALIBRATED, neutral=0.0)
    # Regime legitimation and pressure (ODD processes 2-3)
    pressure_decay: float = _p(0.12, 0.01, 1.0, "Quarterly decay of external pressure on regime insecurity; assumption", neutral=0.01)
    # Separatism, threat and trust penalties (article 'The separatist challenge')
    betrayal_exposure: float = _p(3.8, 0.0, 50.0, "Extra negative experience per unit of the observer's separatism exposure; " + CALIBRATED, neutral=0.0)
    recognition_factor: float = _p(1.5, 1.0, 5.0, "Multiplier when the support includes recognition or annexation", neutral=1.0)
    # Engagement decisions (ODD process 4; Axelrod-Bennett style utility)
    w_legitimacy: float = _p(6.61, 0.0, 50.0, "Weight of the legitimation benefit; article 'Protective integration'; " + CALIBRATED, neutral=0.0)
    w_functional: float = _p(2.73, 0.0, 50.0, "Weight of the functional benefit: the great powers' investment in the club reaching a member through its economic dependence on them, plus adopted projects, less the value of the member's own outside channel (an opportunity cost); article 'Literature review' (functionalist account), 'Protective integration' and 'Conclusion' (it weighs less than legitimation); assumption, fitted by calibration; " + CALIBRATED, neutral=0.0)
    w_sovereignty: float = _p(3.32, 0.0, 50.0, "Weight of sovereignty costs (hierarchy, mandates); article 'Conclusion'; " + CALIBRATED, neutral=0.0)
    w_balance: float = _p(1.0, 0.0, 50.0, "Weight of the room for manoeuvre a balanced club gives smaller members (1 - hierarchy) x (1 - share); article 'Literature review'", neutral=0.0)
    mandate_cost: float = _p(1.83, 0.0, 10.0, "Sovereignty cost of an intrastate-crisis mandate per unit of distrust of the agenda setter who would lead it plus rivalry with the fellow members it could prop up; article 'Responses to intrastate crises'; " + CALIBRATED, neutral=0.0)
    engagement_rate: float = _p(0.25, 0.0, 1.0, "Quarterly adjustment of engagement toward its target", neutral=0.0)
    suspend_threshold: float = _p(0.30, 0.0, 1.0, "Engagement below which a member may suspend", neutral=0.0)
    suspend_hazard: float = _p(0.5, 0.0, 1.0, "Quarterly probability of suspending while below the threshold", neutral=0.0)
    # Institutional responses (ODD process 5)
    content_weight: float = _p(1.0, 0.0, 5.0, "Weight of a text's agreement with a member's norm positions in its ideal text; 1 sets the scale of the text space; assumption", neutral=0.0)
    stance_noise: float = _p(0.0553, 0.0, 2.0, "Standard deviation of idiosyncratic noise in a member's stance score; " + CALIBRATED, neutral=0.0, kind=NOISE)
    loyalty: float = _p(0.773, 0.0, 10.0, "Weight of trust in the favoured party in a stance score; " + CALIBRATED, neutral=0.0)
    deference: float = _p(1.65, 0.0, 10.0, "Pull toward the agenda setter's stance per unit hierarchy x dependence; " + CALIBRATED, neutral=0.0)
    intervention_solidarity: float = _p(0.5, -5.0, 5.0, "Baseline support for helping a fellow member's government, net of the cut-point a consent score must pass (a member consents when its score is above 0; a separate cut-point would only shift this value); article 'Responses to intrastate crises'", neutral=0.0)
    # Great-power balance and outside options (ODD process 6)
    investment_rate: float = _p(0.15, 0.0, 1.0, "Quarterly adjustment of a great power's investment in a club", neutral=0.0)
    # Cohesion index weights (observation)
    cohesion_trust: float = _p(0.4, 0.0, 1.0, "Weight of mutual trust in cohesion", kind=OBSERVATION)
    cohesion_congruence: float = _p(0.3, 0.0, 1.0, "Weight of normative congruence in cohesion", kind=OBSERVATION)
    cohesion_engagement: float = _p(0.3, 0.0, 1.0, "Weight of engagement in cohesion", kind=OBSERVATION)


@dataclass(frozen=True)
class Constant:
    """A fixed modelling assumption: a mechanism's setting with its source."""

    value: float
    source: str


#: Fixed modelling assumptions, not parameters. Each was a `Params` field that the
#: one-at-a-time ablation found no check needing (docs/VALIDATION.md: the history's checks
#: and the quiet future pass with it switched off), so it cannot be estimated from the
#: article's record and is not offered for sweeps or calibration: a value no evidence can
#: move would only widen intervals with noise. The mechanisms still run with these values
#: (docs/ODD.md, 7.10 lists them); the compiled processes read them beside the parameters.
CONSTANTS: dict[str, Constant] = {
    "confidence_bound": Constant(0.30, "Bounded-confidence radius on the charter-weighted norm distance (Deffuant-Weisbuch); fixed: no check needs it one at a time"),
    "grievance_memory": Constant(20.0, "Half-life in quarters of the memory of a breach (support for separatism, an armed clash), longer than `memory`: trust is destroyed faster than it is rebuilt (Slovic 1993); article 'The separatist challenge' (Crimea a lasting fraying, the reverberations of 2008); assumption: five years, the span from the Georgia war to Crimea; fixed: no check needs it one at a time (at its neutral value, everyday memory's 10 quarters, the fraying still lasts)"),
    "out_of_area_cost": Constant(2.0, "Aversion to solidarity beyond the organisation's zone per unit sovereignty sensitivity; article 'Foreign policy coordination'; fixed: no check needs it one at a time (the line members draw at out-of-area deference orders their objections, docs/ODD.md 7.5)"),
    "betrayal_base": Constant(1.0, "Negative experience for every observer of support for separatism (the exposure term, a parameter, carries the differences between observers); fixed: no check needs it one at a time"),
    "observer_weight": Constant(0.5, "Weight of observers' participation in meetings; article 'Implications of enlargement'"),
    "accession_welcome": Constant(3.0, "Summit-equivalents of bonding between a newcomer and the members who admitted it by consensus; assumption"),
    "region_spillover": Constant(0.35, "Share of a protest's pressure felt outside its region; assumption"),
    "legitimacy_rate": Constant(0.30, "Smoothing of legitimacy toward what the clubs deliver; assumption"),
    "regime_protection": Constant(0.5, "Share of external and domestic pressure on a regime that a unit of legitimacy drawn from the clubs absorbs: the protection protective integration delivers; article 'Protective integration'"),
    "domestic_pressure": Constant(0.5, "Regime insecurity added per unit magnitude of a domestic crisis (crackdown, separatist unrest, coup or insurgency); assumption"),
    "threat_gain": Constant(0.4, "Threat added per unit of compatriot and separatism exposure to the violator"),
    "separatism_threat": Constant(0.5, "Weight of an observer's own separatism exposure in the threat it perceives from a sponsor of separatism (compatriot exposure weighs 1); article 'The separatist challenge'"),
    "action_breach": Constant(0.5, "How far armed support for separatists without annexation breaches territorial integrity, against 1 for a recognition or an annexation; article 'The separatist challenge' (the SCO convention counts annexation as separatism)"),
    "threat_decay": Constant(0.03, "Quarterly decay of perceived threat toward its rivalry baseline"),
    "w_security": Constant(2.0, "Weight of security dependence on the institution's dominant powers"),
    "w_threat": Constant(0.5, "Weight of threat from a dominant power"),
    "rule_cost": Constant(0.4, "Sovereignty cost of a non-consensus decision rule or quota for operations; article 'Responses to intrastate crises'"),
    "engagement_bias": Constant(0.4, "Utility offset of staying engaged (status-quo habit); calibrated"),
    "joining_engagement": Constant(0.8, "Engagement of a state on joining or returning as a member; assumption"),
    "hedging_participation": Constant(0.5, "Weight of a hedging member's participation in meetings relative to an active one; assumption"),
    "hedge_threshold": Constant(0.7, "Engagement below which an active member hedges"),
    "return_threshold": Constant(0.60, "Target engagement above which a suspended member may return"),
    "return_hazard": Constant(0.25, "Quarterly probability of returning while above the return threshold"),
    "withdraw_after": Constant(16, "Quarters of suspension after which a still-disengaged member withdraws"),
    "withdraw_threshold": Constant(0.15, "Engagement below which a long-suspended member withdraws"),
    "text_grain": Constant(0.5, "Step of the graded text scale between silence and full endorsement or condemnation; a member accepts a text only if it likes it at least as much as silence, so a text of one step needs every veto holder's ideal at half a step or more; assumption"),
    "relative_gain": Constant(1.5, "Great powers' aversion to proposals that raise a rival's weight; article 'Conclusion'"),
    "intervention_sovereignty": Constant(2.0, "Sovereignty objection to an operation per unit sovereignty sensitivity x (1 + rivalry with the host + distrust of the leader); article 'Responses to intrastate crises'"),
    "willingness_threshold": Constant(0.45, "Willingness a great power needs to lead an intervention"),
    "embroilment_cost": Constant(0.25, "Cost to a leading power of an operation per unit severity of the crisis; article 'Responses to intrastate crises'"),
    "recognition_threshold": Constant(0.9, "Score a state needs to recognise a breakaway entity"),
    "cross_pressure": Constant(1.5, "A voter abstains when |pull to yes - pull to no| <= this x the weaker pull, i.e. unless one side outweighs the other 2.5 to 1 (cross-pressure hypothesis, Lazarsfeld et al. 1944); article 'The separatist challenge' (hedging)"),
    "vote_indifference": Constant(0.2, "A voter whose net pull is at most this abstains (abstention from indifference, Riker and Ordeshook 1968); assumption"),
    "vote_dependence": Constant(1.0, "Pull of security and economic dependence on a state in a public vote, per unit dependence; assumption"),
    "project_output": Constant(0.15, "Functional output added by an adopted proposal, per unit magnitude"),
    "proposal_gain": Constant(0.5, "A member's expected gain from a proposal per unit magnitude x its economic plus security dependence on the proposer; assumption"),
    "project_decay": Constant(0.05, "Quarterly decay of project output; assumption"),
}


def retention(params: "Params") -> float:
    """Quarterly retention factor of experience implied by the memory half-life."""
    return 0.5 ** (1.0 / params.memory)


PARAM_NAMES: tuple[str, ...] = tuple(f.name for f in fields(Params))

#: Every field but the observation weights: what the robustness ensemble perturbs and the
#: one-at-a-time ablation switches off.
BEHAVIOURAL: tuple[str, ...] = tuple(f.name for f in fields(Params) if f.metadata["kind"] != OBSERVATION)


#: The neutral value of every behavioural field (what the one-at-a-time ablation sets it to).
NEUTRAL: dict[str, float] = {name: Params.__dataclass_fields__[name].metadata["neutral"] for name in BEHAVIOURAL}

#: The noise scales: reported by the ablation but never counted as inert.
NOISE_SCALES: frozenset[str] = frozenset(f.name for f in fields(Params) if f.metadata["kind"] == NOISE)


def spread_bounds(params: Params, name: str, spread: float) -> tuple[float, float]:
    """The interval value x (1 -+ spread) of one parameter, clipped to its documented range."""
    low, high = Params.__dataclass_fields__[name].metadata["range"]
    value = getattr(params, name)
    return max(low, value * (1.0 - spread)), min(high, value * (1.0 + spread))


def check_params(values: dict[str, Any], source: str = "params") -> Params:
    """Build `Params` from a mapping, refusing unknown names, wrong types and out-of-range values."""
    known = {f.name: f for f in fields(Params)}
    for name in values:
        if name not in known:
            raise InputError(source, name, values[name], f"one of the parameters {', '.join(known)}")
    checked: dict[str, Any] = {}
    for name, value in values.items():
        low, high = known[name].metadata["range"]
        if not is_finite_number(value):
            raise InputError(source, f"params.{name}", value, "a finite number")
        if not low <= value <= high:
            raise InputError(source, f"params.{name}", value, f"a number in [{low}, {high}]")
        checked[name] = float(value)
    weights = [checked.get(n, getattr(Params, n)) for n in
               ("cohesion_trust", "cohesion_congruence", "cohesion_engagement")]
    if abs(sum(weights) - 1.0) > 1e-9:
        raise InputError(source, "params.cohesion_*", weights, "cohesion weights summing to 1")
    return Params(**checked)


#: Mechanisms carried by more than one field, switched off together by the one-at-a-time
#: ablation (`task=validate validate.ablation=true`) besides each field alone: fields that
#: may substitute for each other can each look inert alone and still be needed together.
#: A mechanism of one field is that field's own row. None today: the betrayal penalty's
#: base term, once bundled with its exposure term, became a fixed assumption when no check
#: needed it alone.
MECHANISMS: dict[str, dict[str, float]] = {}

#: The null model of the ablation report: no socialisation, no legitimation, stances
#: that ignore norms, loyalties and hierarchy (noise only).
NULL_MODEL: dict[str, float] = {
    "trust_gain": 0.0, "rally_gain": 0.0, "norm_rate": 0.0,
    "w_legitimacy": 0.0, "loyalty": 0.0, "deference": 0.0, "stance_noise": 1.0,
}
