"""What each kind of exogenous shock does to the runs, as compositions of the operations.

A scenario's event kinds (`sim.scenarios.events`) are declarations: fields, their roles
and the name of the effect they trigger. The behaviour lives here, in the engine: which
operations an effect calls, in which order, and the norm content of the drafts it puts to
the clubs (`DRAFTS`: weights by norm name, turned into norm positions through the cast's
norm names). An effect receives the event's fields by name, states and institutions
already as positions; what follows from it (stances, votes, interventions, suspensions)
the operations compute.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, NamedTuple

from sim.core.decisions import Motion
from sim.core.institutions import ACTIVE, SUSPENDED, WITHDRAWN

if TYPE_CHECKING:
    from sim.core.operations import Operations


class Draft(NamedTuple):
    """A text an effect puts to a club: its topic and norm content (weights by norm name)."""

    topic: str
    content: dict[str, float]


#: The drafts effects put to clubs, by name (a statement's and a solidarity request's
#: topic and content come from the event).
DRAFTS = {
    "crackdown": Draft("backing a member's crackdown", {"non_interference": 1.0, "constitutional_order": 1.0}),
    "separatist_unrest": Draft("backing a member against separatism",
                               {"territorial_integrity": 1.0, "anti_extremism": 0.5}),
    "separatism_action": Draft("support for the action", {"territorial_integrity": -1.0}),
    "recognition": Draft("endorsing recognition", {"territorial_integrity": -1.0}),
    "designation": Draft("terrorist designation", {"anti_extremism": 1.0}),
    "solidarity": Draft("out-of-area solidarity", {"multipolarity": 0.5}),
}

#: Effect name -> function (ops, **fields).
EFFECTS: dict[str, Callable[..., None]] = {}


def effect(function: Callable[..., None]) -> Callable[..., None]:
    """Register an effect under its function's name."""
    EFFECTS[function.__name__] = function
    return function


def content(ops: "Operations", weights: dict[str, float]) -> dict[int, float]:
    """Norm weights by name as weights by norm position in the runs' cast."""
    return {ops.norm(name): weight for name, weight in weights.items()}


def _motion(ops: "Operations", draft: str, magnitude: float, scale: float = 1.0, **sides: Any) -> Motion:
    topic, weights = DRAFTS[draft]
    return Motion(topic, content(ops, {n: w * scale for n, w in weights.items()}), magnitude, **sides)


# -- membership -------------------------------------------------------------------------
@effect
def found(ops: "Operations", institution: int, members: list[int], observers: list[int]) -> None:
    """An institution is founded with its members and observers."""
    ops.found(institution, members, observers)


@effect
def accede(ops: "Operations", institution: int, state: int, as_observer: bool) -> None:
    """A state joins (a state already a member is logged as not applicable)."""
    member = ops.is_member(institution, state)
    ops.not_applicable(institution, state, member, "accession of a state already a member")
    ops.admit(institution, state, as_observer, ~member)


@effect
def suspend(ops: "Operations", institution: int, state: int) -> None:
    """A member in good standing is suspended from outside the model."""
    ops.set_status(institution, state, SUSPENDED, "scenario suspension", ops.in_good_standing(institution, state))


@effect
def readmit(ops: "Operations", institution: int, state: int) -> None:
    """A suspended or withdrawn member returns from outside the model."""
    ops.set_status(institution, state, ACTIVE, "scenario return",
                   ops.has_status(institution, state, (SUSPENDED, WITHDRAWN)))


# -- pressure, protest and regime change -------------------------------------------------
@effect
def protest(ops: "Operations", state: int, magnitude: float, regime_change: bool,
            attributes: dict[str, float]) -> None:
    """Mass protest centred on a state; a fallen government brings new attributes."""
    ops.pressure(magnitude, centre=state)
    if regime_change:
        ops.set_attributes(state, attributes)


@effect
def promote_democracy(ops: "Operations", source: int, magnitude: float, targets: list[int]) -> None:
    """Normative pressure on the targets (every state when none is named); the source
    is the event's record of who exerts it and changes nothing by itself."""
    ops.pressure(magnitude, targets=targets)


@effect
def crack_down(ops: "Operations", state: int, magnitude: float, criticised_by: int | None) -> None:
    """Domestic pressure on the regime; each of its clubs is asked to back it."""
    ops.regime_pressure(state, magnitude)
    motion = _motion(ops, "crackdown", magnitude, favoured=state, disfavoured=criticised_by)
    for k, runs in ops.clubs_of(state):
        ops.declare(k, motion, proposer=state, runs=runs)


@effect
def face_separatists(ops: "Operations", state: int, magnitude: float) -> None:
    """Domestic pressure on the regime; each of its clubs is asked to back it."""
    ops.regime_pressure(state, magnitude)
    motion = _motion(ops, "separatist_unrest", magnitude, favoured=state)
    for k, runs in ops.clubs_of(state):
        ops.declare(k, motion, proposer=state, runs=runs)


@effect
def back_separatists(ops: "Operations", actor: int, target: int, magnitude: float, recognition: bool,
                     annexation: bool, compatriot_claim: bool) -> None:
    """The actor backs separatists in the target; its clubs are asked to support the
    action (a breach weighted by `action_breach` unless it annexes) and, if it recognises
    or annexes, the recognition, on which every state then decides."""
    formal = recognition or annexation
    ops.betray(actor, target, magnitude, formal, compatriot_claim)
    endorse = _motion(ops, "recognition", 1.0, favoured=actor, disfavoured=target)
    for k, runs in ops.clubs_of(actor):
        for breach, group in ops.split_by_parameter(runs, None if annexation else "action_breach"):
            action = _motion(ops, "separatism_action", magnitude, breach, favoured=actor, disfavoured=target)
            ops.declare(k, action, proposer=actor, runs=group)
        if formal:
            ops.declare(k, endorse, proposer=actor, runs=runs)
    if formal:
        ops.recognitions(actor, target, "annexation" if annexation else "recognition")


# -- crises, clashes and attacks ---------------------------------------------------------
@effect
def crisis(ops: "Operations", state: int, magnitude: float, crisis: str, regime_threat: float,
           request_help: bool, attributes: dict[str, float]) -> None:
    """Domestic pressure, new attributes if the government falls, and each club's answer
    to a request for help."""
    ops.pressure(magnitude, centre=state, scale="domestic_pressure")
    ops.set_attributes(state, attributes)
    for k, runs in ops.clubs_of(state):
        ops.intervene(k, state, magnitude, request_help, crisis, regime_threat, runs=runs)


@effect
def clash(ops: "Operations", state: int, other: int, magnitude: float) -> None:
    """An armed clash between two states."""
    ops.clash(state, other, magnitude)


@effect
def attack(ops: "Operations", attacker: int, target: int, magnitude: float, request_defence: bool) -> None:
    """A clash, and each of the target's clubs answering a call for collective defence."""
    ops.clash(attacker, target, magnitude)
    for k, runs in ops.clubs_of(target):
        ops.intervene(k, target, magnitude, request_defence, "external attack",
                      regime_threat=1.0, needs="collective_defence", runs=runs)


# -- institutional change and great-power initiatives -------------------------------------
@effect
def revise_charter(ops: "Operations", institution: int, intrastate_mandate: bool | None,
                   collective_defence: bool | None, decision_rule: str | None,
                   operation_rule: str | None) -> None:
    """The given mandates and rules replace the institution's."""
    changes = {"intrastate_mandate": intrastate_mandate, "collective_defence": collective_defence,
               "decision_rule": decision_rule, "operation_rule": operation_rule}
    ops.revise_charter(institution, {name: value for name, value in changes.items() if value is not None})


@effect
def propose(ops: "Operations", proposer: int, institution: int, topic: str, magnitude: float,
            pooling: float) -> None:
    """A proposal to deepen the club, in the runs where the proposer is in good standing."""
    ops.propose(institution, proposer, topic, magnitude, pooling, runs=ops.in_good_standing(institution, proposer))


@effect
def request_solidarity(ops: "Operations", requester: int, institution: int, target: int | None,
                       magnitude: float, out_of_area: bool, topic: str) -> None:
    """A draft siding with the requester (against the target) put to its club."""
    motion = Motion(topic, content(ops, DRAFTS["solidarity"].content), magnitude, favoured=requester,
                    disfavoured=target, out_of_area=out_of_area)
    ops.declare(institution, motion, proposer=requester, kind="solidarity",
                runs=ops.in_good_standing(institution, requester))


@effect
def open_channel(ops: "Operations", actor: int, magnitude: float) -> None:
    """A great power's outside channel gains value."""
    ops.open_channel(actor, magnitude)


@effect
def change_leadership(ops: "Operations", state: int, attributes: dict[str, float], norms: dict[str, float],
                      rivalry: dict[str, float]) -> None:
    """New attributes, norm positions and rivalries of one state."""
    ops.set_attributes(state, attributes)
    ops.set_norms(state, norms)
    ops.set_rivalry(state, rivalry)


# -- statements and votes ----------------------------------------------------------------
@effect
def state_theme(ops: "Operations", institution: int, theme: str, magnitude: float, proposer: int | None) -> None:
    """A joint statement upholding one norm."""
    ops.declare(institution, Motion(theme, content(ops, {theme: 1.0}), magnitude), proposer=proposer,
                kind="statement")


@effect
def designate(ops: "Operations", proposer: int, institution: int, target: int, magnitude: float) -> None:
    """A listing of groups based in the target, put to the proposer's club."""
    motion = _motion(ops, "designation", magnitude, favoured=proposer, disfavoured=target)
    ops.declare(institution, motion, proposer=proposer, kind="designation",
                runs=ops.in_good_standing(institution, proposer))


@effect
def vote(ops: "Operations", subject: int, violator: int | None, sponsor: int | None) -> None:
    """A vote upholding the subject's territorial integrity."""
    ops.vote(subject, violator, sponsor)
