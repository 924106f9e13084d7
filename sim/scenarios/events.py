"""The event catalogue: typed, validated, reusable kinds of exogenous shock.

A scenario is a dated set of events. Each kind is a declaration: a dataclass registered
by name with the engine's effect it triggers (`sim.core.effects`), its fields and their
roles. A scenario file names a kind and gives its parameters, and is never allowed to
name code. Loading checks every field (required, type, range, that states and
institutions exist) and refuses unknown ones. `Event.action` compiles an event into its
effect bound to its fields (states and institutions as positions); what the effect does,
and what follows (stances, recognitions, votes, interventions, suspensions), is the
engine's, never written here. Adding a kind over an existing effect is one class here.
"""

from __future__ import annotations

import math
import types
import typing
from collections.abc import Sequence
from dataclasses import MISSING, dataclass, field, fields
from functools import partial
from typing import Any, ClassVar

from sim.scenarios.cast import NORMS, NUMERIC_ATTRIBUTES
from sim.checks import is_finite_number
from sim.errors import InputError
from sim.core.effects import DRAFTS, EFFECTS
from sim.core.institutions import DECISION_RULES
from sim.core.plan import Action

REGISTRY: dict[str, type["Event"]] = {}


def register(kind: str, effect: str):
    """Class decorator: make an event kind available to scenario files by name, triggering
    the engine's effect of that name (`sim.core.effects.EFFECTS`)."""
    if effect not in EFFECTS:
        raise KeyError(f"event kind '{kind}': no effect '{effect}' in sim.core.effects")

    def wrap(cls: type[Event]) -> type[Event]:
        cls.kind, cls.effect = kind, effect
        REGISTRY[kind] = cls
        return cls
    return wrap


def _f(role: str, doc: str, default: Any = MISSING, **extra: Any) -> Any:
    meta = {"role": role, "doc": doc, **extra}
    if default is MISSING:
        return field(metadata=meta)
    if isinstance(default, (list, dict)):
        return field(default_factory=lambda: type(default)(default), metadata=meta)
    return field(default=default, metadata=meta)


@dataclass(kw_only=True)
class Event:
    """Fields shared by every kind: when it happens and where the claim comes from."""

    kind: ClassVar[str] = ""
    effect: ClassVar[str] = ""
    date: str = _f("date", "Date of the event, YYYY-MM-DD or YYYY-MM")
    ref: str = _f("text", "Source: article section or public record", default="")
    key: str = field(default="", metadata={"internal": True})
    step: int = field(default=0, metadata={"internal": True})

    def check_membership(self, members: "MembershipLedger", source: str) -> None:
        """Refuse membership-inconsistent events (overridden by kinds that need it)."""

    def decisions(self) -> dict[str, tuple[str, ...]]:
        """The decisions this event asks for: decision kind (the `kind` column of the
        decisions table) -> the topics of its texts (empty for votes, recognitions and
        interventions). Lets observed outcomes (`sim.analysis.observed`) be checked against a
        scenario before any run."""
        return {}

    def action(self, states: Sequence[str], institutions: Sequence[str]) -> Action:
        """The event compiled: its effect bound to its fields, a state as its position in
        `states` (None when not given), an institution as its position in `institutions`."""
        arguments = {spec.name: _position(spec.metadata["role"], getattr(self, spec.name), states, institutions)
                     for spec in event_fields(type(self)) if spec.name not in COMMON}
        return partial(EFFECTS[self.effect], **arguments)


#: The fields every kind shares (when and whence), which no effect reads.
COMMON = ("date", "ref")


def _position(role: str, value: Any, states: Sequence[str], institutions: Sequence[str]) -> Any:
    """A field's value as an effect takes it: codes of states and institutions as positions."""
    if role == "state":
        return states.index(value) if value else None
    if role == "states":
        return [states.index(code) for code in value]
    if role == "institution":
        return institutions.index(value)
    return value


class MembershipLedger:
    """Exogenous membership along a scenario's timeline, for load-time checks."""

    def __init__(self) -> None:
        self.founded: set[str] = set()
        self.members: dict[str, set[str]] = {}
        self.observers: dict[str, set[str]] = {}

    def require_founded(self, source: str, event: Event, institution: str) -> None:
        if institution not in self.founded:
            raise InputError(source, f"events.{event.key}.institution", institution,
                             "an institution founded before this date")

    def require_member(self, source: str, event: Event, name: str, institution: str,
                       state: str) -> None:
        self.require_founded(source, event, institution)
        if state not in self.members[institution]:
            current = ", ".join(sorted(self.members[institution]))
            raise InputError(source, f"events.{event.key}.{name}", state,
                             f"a current member of {institution} ({current})")


# -- membership -------------------------------------------------------------------------
@register("founding", "found")
@dataclass(kw_only=True)
class Founding(Event):
    """An institution is founded (normally generated from the institution's config block)."""

    institution: str = _f("institution", "Institution founded")
    members: list[str] = _f("states", "Founding members")
    observers: list[str] = _f("states", "Founding observers", default=[])

    def check_membership(self, members: MembershipLedger, source: str) -> None:
        if self.institution in members.founded:
            raise InputError(source, f"events.{self.key}.institution", self.institution,
                             "an institution not yet founded")
        members.founded.add(self.institution)
        members.members[self.institution] = set(self.members)
        members.observers[self.institution] = set(self.observers)


@register("accession", "accede")
@dataclass(kw_only=True)
class Accession(Event):
    """A state joins an institution as a member, or as an observer."""

    institution: str = _f("institution", "Institution joined")
    state: str = _f("state", "Acceding state")
    as_observer: bool = _f("flag", "Join as observer rather than member", default=False)

    def check_membership(self, members: MembershipLedger, source: str) -> None:
        members.require_founded(source, self, self.institution)
        current = members.members[self.institution]
        if self.state in current or (self.as_observer and self.state in members.observers[self.institution]):
            raise InputError(source, f"events.{self.key}.state", self.state,
                             f"a state that is not already a member of {self.institution}")
        if self.as_observer:
            members.observers[self.institution].add(self.state)
        else:
            current.add(self.state)


@register("suspension", "suspend")
@dataclass(kw_only=True)
class Suspension(Event):
    """A member requests suspension for reasons outside the model (scenario-imposed)."""

    institution: str = _f("institution", "Institution")
    state: str = _f("state", "Suspending member")

    def check_membership(self, members: MembershipLedger, source: str) -> None:
        members.require_member(source, self, "state", self.institution, self.state)


@register("return", "readmit")
@dataclass(kw_only=True)
class Return(Event):
    """A suspended member returns for reasons outside the model (scenario-imposed)."""

    institution: str = _f("institution", "Institution")
    state: str = _f("state", "Returning member")

    def check_membership(self, members: MembershipLedger, source: str) -> None:
        members.require_member(source, self, "state", self.institution, self.state)


# -- pressure, protest and regime change -------------------------------------------------
@register("colour_revolution", "protest")
@dataclass(kw_only=True)
class ColourRevolution(Event):
    """Mass protest (possibly toppling the government) in a member or a neighbour."""

    state: str = _f("state", "Where the protest happens")
    magnitude: float = _f("unit", "Strength of the protest, 0-1")
    regime_change: bool = _f("flag", "Whether the government falls", default=False)
    attributes: dict[str, float] = _f("attributes", "New attribute values of the new government", default={})


@register("normative_pressure", "promote_democracy")
@dataclass(kw_only=True)
class NormativePressure(Event):
    """External democracy promotion or a wave of uprisings (e.g. the Arab Spring)."""

    source: str = _f("state", "Who exerts the pressure")
    magnitude: float = _f("unit", "Strength, 0-1")
    targets: list[str] = _f("states", "States targeted (empty: every state)", default=[])


@register("crackdown", "crack_down")
@dataclass(kw_only=True)
class Crackdown(Event):
    """A domestic crackdown criticised abroad; the state's clubs are asked to back it."""

    state: str = _f("state", "Government cracking down")
    magnitude: float = _f("unit", "Severity and salience, 0-1")
    criticised_by: str | None = _f("state", "Critic (e.g. WEST)", default=None)

    def decisions(self) -> dict[str, tuple[str, ...]]:
        return {"declaration": (DRAFTS["crackdown"].topic,)}


@register("separatist_unrest", "face_separatists")
@dataclass(kw_only=True)
class SeparatistUnrest(Event):
    """Separatist violence inside a state; its clubs are asked to back its response."""

    state: str = _f("state", "State facing the unrest")
    magnitude: float = _f("unit", "Severity, 0-1")

    def decisions(self) -> dict[str, tuple[str, ...]]:
        return {"declaration": (DRAFTS["separatist_unrest"].topic,)}


@register("separatism_support", "back_separatists")
@dataclass(kw_only=True)
class SeparatismSupport(Event):
    """A state backs separatists in another state, possibly recognising or annexing."""

    actor: str = _f("state", "State supporting separatism")
    target: str = _f("state", "State whose territory is at stake")
    magnitude: float = _f("unit", "Scale of the support (military, political), 0-1")
    recognition: bool = _f("flag", "Actor recognises the breakaway entities", default=False)
    annexation: bool = _f("flag", "Actor annexes territory", default=False)
    compatriot_claim: bool = _f("flag", "Actor justifies it by protecting its compatriots", default=False)

    @property
    def formal(self) -> bool:
        """Whether the actor recognises or annexes (then every state decides on recognition)."""
        return self.recognition or self.annexation

    def decisions(self) -> dict[str, tuple[str, ...]]:
        if not self.formal:
            return {"declaration": (DRAFTS["separatism_action"].topic,)}
        return {"declaration": (DRAFTS["separatism_action"].topic, DRAFTS["recognition"].topic), "recognition": ()}


# -- crises, clashes and attacks ---------------------------------------------------------
@register("intrastate_crisis", "crisis")
@dataclass(kw_only=True)
class IntrastateCrisis(Event):
    """A coup, ethnic violence or insurgency inside a state; help may be requested."""

    state: str = _f("state", "State in crisis")
    magnitude: float = _f("unit", "Severity, 0-1")
    crisis: str = _f("choice", "Kind of crisis", choices=("coup", "ethnic_violence", "insurgency"))
    regime_threat: float = _f("unit", "How far the crisis threatens the government itself rather than order "
                              "between communities, 0-1", default=0.5)
    request_help: bool = _f("flag", "The government asks its clubs for help", default=False)
    attributes: dict[str, float] = _f("attributes", "New attribute values if the government falls", default={})

    def decisions(self) -> dict[str, tuple[str, ...]]:
        return {"intervention": ()}


@register("armed_clash", "clash")
@dataclass(kw_only=True)
class ArmedClash(Event):
    """An armed clash between two states (e.g. members on a disputed border)."""

    state: str = _f("state", "One side")
    other: str = _f("state", "Other side")
    magnitude: float = _f("unit", "Severity, 0-1")


@register("external_attack", "attack")
@dataclass(kw_only=True)
class ExternalAttack(Event):
    """A non-member attacks a member, which may invoke collective defence."""

    attacker: str = _f("state", "Attacking state")
    target: str = _f("state", "Member attacked")
    magnitude: float = _f("unit", "Severity, 0-1")
    request_defence: bool = _f("flag", "The member invokes collective defence", default=True)

    def decisions(self) -> dict[str, tuple[str, ...]]:
        return {"intervention": ()}


# -- institutional change and great-power initiatives -------------------------------------
@register("charter_revision", "revise_charter")
@dataclass(kw_only=True)
class CharterRevision(Event):
    """A revision of an institution's mandates, decision rule or quota for collective
    operations (adopted as given)."""

    institution: str = _f("institution", "Institution revised")
    intrastate_mandate: bool | None = _f("flag", "New intrastate-crisis mandate", default=None)
    collective_defence: bool | None = _f("flag", "New collective-defence mandate", default=None)
    decision_rule: str | None = _f("choice", "New decision rule", default=None, choices=DECISION_RULES)
    operation_rule: str | None = _f("choice", "New quota for collective operations (interventions)", default=None,
                                    choices=DECISION_RULES)

    def check_membership(self, members: MembershipLedger, source: str) -> None:
        members.require_founded(source, self, self.institution)


@register("proposal", "propose")
@dataclass(kw_only=True)
class Proposal(Event):
    """A great-power proposal to deepen a club (a development bank, a military staff)."""

    proposer: str = _f("state", "Proposing state")
    institution: str = _f("institution", "Institution")
    topic: str = _f("text", "What is proposed")
    magnitude: float = _f("unit", "Resources on offer, 0-1")
    pooling: float = _f("unit", "Sovereignty it would pool, 0-1")

    def check_membership(self, members: MembershipLedger, source: str) -> None:
        members.require_member(source, self, "proposer", self.institution, self.proposer)


@register("solidarity_request", "request_solidarity")
@dataclass(kw_only=True)
class SolidarityRequest(Event):
    """A member asks its club to side with it against a third party."""

    requester: str = _f("state", "Member asking for solidarity")
    institution: str = _f("institution", "Institution asked")
    target: str | None = _f("state", "Party the statement would condemn", default=None)
    magnitude: float = _f("unit", "Strength of the requested statement, 0-1")
    out_of_area: bool = _f("flag", "The dispute lies outside the club's zone", default=True)
    topic: str = _f("text", "Subject of the request", default=DRAFTS["solidarity"].topic)

    def decisions(self) -> dict[str, tuple[str, ...]]:
        return {"solidarity": (self.topic,)}

    def check_membership(self, members: MembershipLedger, source: str) -> None:
        members.require_member(source, self, "requester", self.institution, self.requester)


@register("outside_channel", "open_channel")
@dataclass(kw_only=True)
class OutsideChannel(Event):
    """A great power opens a bilateral channel outside its clubs (e.g. the Belt and Road)."""

    actor: str = _f("state", "State opening the channel")
    magnitude: float = _f("unit", "Value of the outside option, 0-1")


@register("leadership_change", "change_leadership")
@dataclass(kw_only=True)
class LeadershipChange(Event):
    """A new leadership: new attribute values, norm positions or rivalries from this date."""

    state: str = _f("state", "State whose leadership changes")
    attributes: dict[str, float] = _f("attributes", "New attribute values", default={})
    norms: dict[str, float] = _f("norms", "New norm positions", default={})
    rivalry: dict[str, float] = _f("rivalry", "New rivalry levels with other states", default={})


# -- statements and votes ----------------------------------------------------------------
@register("statement", "state_theme")
@dataclass(kw_only=True)
class Statement(Event):
    """A joint statement on a shared theme (a norm of the charter)."""

    institution: str = _f("institution", "Institution")
    theme: str = _f("norm", "Norm the statement upholds")
    magnitude: float = _f("unit", "Strength of the text, 0-1", default=1.0)
    proposer: str | None = _f("state", "Drafting member", default=None)

    def decisions(self) -> dict[str, tuple[str, ...]]:
        return {"statement": (self.theme,)}

    def check_membership(self, members: MembershipLedger, source: str) -> None:
        members.require_founded(source, self, self.institution)
        if self.proposer:
            members.require_member(source, self, "proposer", self.institution, self.proposer)


@register("designation", "designate")
@dataclass(kw_only=True)
class Designation(Event):
    """A member asks its club to list groups based in another state as terrorist."""

    proposer: str = _f("state", "Member proposing the listing")
    institution: str = _f("institution", "Institution")
    target: str = _f("state", "State where the listed groups are based")
    magnitude: float = _f("unit", "Salience, 0-1", default=1.0)

    def decisions(self) -> dict[str, tuple[str, ...]]:
        return {"designation": (DRAFTS["designation"].topic,)}

    def check_membership(self, members: MembershipLedger, source: str) -> None:
        members.require_member(source, self, "proposer", self.institution, self.proposer)


@register("vote", "vote")
@dataclass(kw_only=True)
class Vote(Event):
    """A vote (e.g. in the UN General Assembly) on a state's territorial integrity."""

    subject: str = _f("state", "State whose territorial integrity the motion upholds")
    violator: str | None = _f("state", "State the motion implicitly censures", default=None)
    sponsor: str | None = _f("state", "State or bloc that drafted the motion", default=None)

    def decisions(self) -> dict[str, tuple[str, ...]]:
        return {"vote": ()}


# -- parsing -----------------------------------------------------------------------------
class LoadContext:
    """What a scenario's events may refer to."""

    def __init__(self, source: str, states: list[str], external: set[str],
                 institutions: list[str], parse_date) -> None:
        self.source = source
        self.states = states
        self.external = external
        self.institutions = institutions
        self.parse_date = parse_date


def event_fields(cls: type[Event]) -> list:
    """The user-facing fields of an event kind."""
    return [f for f in fields(cls) if not f.metadata.get("internal")]


def parse_event(key: str, raw: Any, ctx: LoadContext) -> Event:
    """Validate one event mapping from a scenario file and build its event object."""
    where = f"events.{key}"
    if not isinstance(raw, dict):
        raise InputError(ctx.source, where, raw, "a mapping with a 'kind' and its parameters")
    kind = raw.get("kind")
    if kind not in REGISTRY:
        raise InputError(ctx.source, f"{where}.kind", kind, ", ".join(sorted(REGISTRY)))
    cls = REGISTRY[kind]
    specs = {f.name: f for f in event_fields(cls)}
    for name in raw:
        if name != "kind" and name not in specs:
            raise InputError(ctx.source, f"{where}.{name}", raw[name],
                             f"the fields of '{kind}': {', '.join(specs)}")
    values = {}
    for name, spec in specs.items():
        if name not in raw:
            if spec.default is MISSING and spec.default_factory is MISSING:
                raise InputError(ctx.source, f"{where}.{name}", None, f"a value (required by '{kind}')")
            continue
        values[name] = _check_field(spec, raw[name], f"{where}.{name}", ctx)
    event = cls(**values)
    event.key = key
    return event


def _check_field(spec, value: Any, where: str, ctx: LoadContext) -> Any:
    role = spec.metadata["role"]
    optional = _is_optional(spec.type)
    if value is None and optional:
        return None
    checker = _CHECKERS[role]
    return checker(spec, value, where, ctx)


def _is_optional(annotation: Any) -> bool:
    if isinstance(annotation, str):
        return "None" in annotation
    return isinstance(annotation, types.UnionType) and type(None) in typing.get_args(annotation)


def _check_state(spec, value, where, ctx):
    if not isinstance(value, str) or value not in ctx.states:
        raise InputError(ctx.source, where, value, f"a state code of the cast ({', '.join(ctx.states)})")
    return value


def _check_states(spec, value, where, ctx):
    if not isinstance(value, list):
        raise InputError(ctx.source, where, value, "a list of state codes")
    for item in value:
        _check_state(spec, item, where, ctx)
    if len(set(value)) != len(value):
        raise InputError(ctx.source, where, value, "a list without repeated states")
    return list(value)


def _check_institution(spec, value, where, ctx):
    if not isinstance(value, str) or value not in ctx.institutions:
        raise InputError(ctx.source, where, value, f"an institution of the scenario ({', '.join(ctx.institutions)})")
    return value


def _number(value, where, ctx, low=0.0, high=1.0):
    """A finite number in [low, high] (high may be infinite: unbounded above, still finite)."""
    if not is_finite_number(value) or not low <= value <= high:
        allowed = f"a finite number >= {low}" if math.isinf(high) else f"a number in [{low}, {high}]"
        raise InputError(ctx.source, where, value, allowed)
    return float(value)


def _check_unit(spec, value, where, ctx):
    return _number(value, where, ctx)


def _check_flag(spec, value, where, ctx):
    if not isinstance(value, bool):
        raise InputError(ctx.source, where, value, "true or false")
    return value


def _check_text(spec, value, where, ctx):
    if not isinstance(value, str):
        raise InputError(ctx.source, where, value, "a text")
    return value


def _check_choice(spec, value, where, ctx):
    choices = spec.metadata["choices"]
    if value not in choices:
        raise InputError(ctx.source, where, value, ", ".join(choices))
    return value


def _check_norm(spec, value, where, ctx):
    if value not in NORMS:
        raise InputError(ctx.source, where, value, ", ".join(NORMS))
    return value


def _check_date(spec, value, where, ctx):
    ctx.parse_date(value, where)
    return str(value)


def _mapping(value, where, ctx, keys, what):
    if not isinstance(value, dict):
        raise InputError(ctx.source, where, value, f"a mapping of {what} to numbers in [0, 1]")
    for name, number in value.items():
        if name not in keys:
            raise InputError(ctx.source, f"{where}.{name}", number, f"one of {', '.join(keys)}")
        high = math.inf if name == "power" else 1.0
        _number(number, f"{where}.{name}", ctx, 0.0, high)
    return {k: float(v) for k, v in value.items()}


def _check_attributes(spec, value, where, ctx):
    return _mapping(value, where, ctx, NUMERIC_ATTRIBUTES, "attributes")


def _check_norms(spec, value, where, ctx):
    return _mapping(value, where, ctx, NORMS, "norms")


def _check_rivalry(spec, value, where, ctx):
    return _mapping(value, where, ctx, ctx.states, "state codes")


_CHECKERS = {
    "state": _check_state, "states": _check_states, "institution": _check_institution,
    "unit": _check_unit, "flag": _check_flag, "text": _check_text, "choice": _check_choice,
    "norm": _check_norm, "date": _check_date, "attributes": _check_attributes,
    "norms": _check_norms, "rivalry": _check_rivalry,
}
