"""Scenarios: a horizon, institutions and a dated set of events, validated against the cast.

A scenario arrives as a plain mapping (from a Hydra `scenario/` config or any YAML file).
`load_scenario` checks it completely before any run starts, so a mistake ends in one
`InputError` line and no results are written.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from sim.scenarios.cast import NORMS, Cast
from sim.checks import is_finite_number
from sim.scenarios.calendar import DATE, Calendar, quarter_of_date
from sim.errors import InputError
from sim.scenarios.events import Event, Founding, LoadContext, MembershipLedger, parse_event
from sim.core.institutions import DECISION_RULES, InstitutionSpec
from sim.core.plan import Plan
from sim.limits import check_horizon

SCENARIO_KEYS = ("name", "description", "start", "end", "institutions", "events")
INSTITUTION_KEYS = ("name", "charter", "decision_rule", "operation_rule", "agenda_setters", "summit_quarters",
                    "ministerial_quarters", "collective_defence", "intrastate_mandate",
                    "founded", "founding_members", "observers", "ref")


@dataclass
class Scenario:
    """A validated scenario, ready for the model."""

    name: str
    source: str
    cast: Cast
    start: tuple[int, int]
    n_steps: int
    institutions: list[InstitutionSpec]
    events: list[Event]
    calendar: Calendar = field(init=False)
    _by_step: dict[int, list[Event]] = field(init=False, repr=False)
    _plan: Plan | None = field(init=False, repr=False, default=None)

    def __post_init__(self) -> None:
        self.calendar = Calendar(*self.start, self.n_steps)
        self._by_step = {}
        for event in self.events:
            self._by_step.setdefault(event.step, []).append(event)

    @property
    def dates(self) -> list[str]:
        """The first day of each quarter of the horizon ('YYYY-MM-DD')."""
        return self.calendar.dates

    def events_at(self, step: int) -> list[Event]:
        """Events dated in quarter `step`, in file order."""
        return self._by_step.get(step, [])

    def compile(self) -> Plan:
        """What the engine runs: the cast, the institutions, each quarter's date and
        quarter of the year, and each quarter's events as (key, operations) pairs (computed
        once; a scenario is not changed after loading)."""
        if self._plan is None:
            steps, codes = range(self.n_steps), [spec.code for spec in self.institutions]
            actions = tuple(tuple((e.key, e.action(self.cast.codes, codes)) for e in self.events_at(t)) for t in steps)
            self._plan = Plan(self.cast, tuple(self.institutions), tuple(self.dates),
                              tuple(self.calendar.quarter_of(t) for t in steps), actions)
        return self._plan

    def founding_step(self, institution: str) -> int | None:
        """Step of the quarter in which `institution` is founded (its metrics exist from
        then on); None if it is not founded within the horizon."""
        steps = [e.step for e in self.events if e.kind == "founding" and e.institution == institution]
        return min(steps, default=None)

def _parse_date(source: str, value: Any, where: str) -> tuple[int, int]:
    """(year, quarter) of a 'YYYY-MM' or 'YYYY-MM-DD' value."""
    text = value.isoformat() if isinstance(value, dt.date) else value
    if not (isinstance(text, str) and DATE.match(text)):
        raise InputError(source, where, value, "a date written YYYY-MM-DD or YYYY-MM")
    parsed = quarter_of_date(text)
    if parsed is None:
        raise InputError(source, where, value, "a real calendar date")
    return parsed


def _require_keys(source: str, where: str, raw: Mapping, allowed: tuple[str, ...],
                  required: tuple[str, ...]) -> None:
    if not isinstance(raw, Mapping):
        raise InputError(source, where, raw, "a mapping")
    for key in raw:
        if key not in allowed:
            raise InputError(source, f"{where}.{key}" if where else str(key), raw[key],
                             f"the keys {', '.join(allowed)}")
    for key in required:
        if raw.get(key) is None:
            raise InputError(source, f"{where}.{key}" if where else key, None, "a value (required)")


def _quarters(source: str, where: str, value: Any) -> tuple[int, ...]:
    if not isinstance(value, list) or not all(isinstance(q, int) and 1 <= q <= 4 for q in value):
        raise InputError(source, where, value, "a list of quarters 1-4")
    return tuple(value)


def _institution(source: str, code: str, raw: Mapping, cast: Cast) -> InstitutionSpec:
    where = f"institutions.{code}"
    _require_keys(source, where, raw, INSTITUTION_KEYS, ("charter", "agenda_setters"))
    charter = raw["charter"]
    if not isinstance(charter, Mapping):
        raise InputError(source, f"{where}.charter", charter, f"a mapping of norms ({', '.join(NORMS)}) to weights")
    for norm, weight in charter.items():
        if norm not in NORMS:
            raise InputError(source, f"{where}.charter.{norm}", weight, ", ".join(NORMS))
        if not is_finite_number(weight) or weight < 0:
            raise InputError(source, f"{where}.charter.{norm}", weight, "a finite weight >= 0")
    weights = np.array([float(charter.get(n, 0.0)) for n in NORMS])
    if weights.sum() <= 0:
        raise InputError(source, f"{where}.charter", dict(charter), "at least one positive weight")
    rule = raw.get("decision_rule", "consensus")
    operation_rule = raw.get("operation_rule", rule)
    for name, value in (("decision_rule", rule), ("operation_rule", operation_rule)):
        if value not in DECISION_RULES:
            raise InputError(source, f"{where}.{name}", value, ", ".join(DECISION_RULES))
    setters = raw["agenda_setters"]
    if not isinstance(setters, list) or any(s not in cast.codes for s in setters):
        raise InputError(source, f"{where}.agenda_setters", setters, "a list of state codes of the cast")
    flags = {}
    for name in ("collective_defence", "intrastate_mandate"):
        flags[name] = raw.get(name, False)
        if not isinstance(flags[name], bool):
            raise InputError(source, f"{where}.{name}", flags[name], "true or false")
    return InstitutionSpec(
        code=code, name=str(raw.get("name", code)), charter=weights, decision_rule=rule,
        operation_rule=operation_rule,
        agenda_setters=[cast.index(s) for s in setters],
        summit_quarters=_quarters(source, f"{where}.summit_quarters", raw.get("summit_quarters", [2])),
        ministerial_quarters=_quarters(source, f"{where}.ministerial_quarters",
                                       raw.get("ministerial_quarters", [])),
        **flags)


def _founding_events(institutions: Mapping) -> dict[str, Any]:
    """Founding events generated from the institutions' `founded` blocks."""
    generated = {}
    for code, raw in institutions.items():
        if raw.get("founded") is None:
            continue
        generated[f"{code}_founding"] = {
            "kind": "founding", "date": raw["founded"], "institution": code,
            "members": raw.get("founding_members") or [], "observers": raw.get("observers") or [],
            "ref": raw.get("ref", ""),
        }
    return generated


def load_scenario(raw: Mapping[str, Any], cast: Cast, source: str = "scenario") -> Scenario:
    """Validate a scenario mapping against the cast and build a `Scenario`."""
    _require_keys(source, "", raw, SCENARIO_KEYS, ("start", "end", "institutions"))
    start = _parse_date(source, raw["start"], "start")
    end = _parse_date(source, raw["end"], "end")
    n_steps = Calendar(*start, 1).step_of(*end) + 1
    if n_steps < 1:
        raise InputError(source, "end", raw["end"], f"a date after start ({raw['start']})")
    check_horizon(source, "start", raw["start"], start[0], 1)
    check_horizon(source, "end", raw["end"], end[0], n_steps)
    institutions = raw["institutions"]
    if not isinstance(institutions, Mapping) or not institutions:
        raise InputError(source, "institutions", institutions, "a non-empty mapping of institution codes")
    specs = [_institution(source, str(code), spec, cast) for code, spec in institutions.items()]

    def in_horizon(value: Any, where: str) -> int:
        """Step of a date, refused outside the horizon."""
        step = Calendar(*start, n_steps).step_of(*_parse_date(source, value, where))
        if not 0 <= step < n_steps:
            raise InputError(source, where, value, f"a date from {raw['start']} to {raw['end']}")
        return step

    ctx = LoadContext(source, cast.codes, {c for c, k in zip(cast.codes, cast.kinds) if k != "state"},
                      [s.code for s in specs], in_horizon)
    raw_events = _founding_events(institutions)
    listed = raw.get("events") or {}
    if not isinstance(listed, Mapping):
        raise InputError(source, "events", listed, "a mapping of event ids to events")
    raw_events.update({k: v for k, v in listed.items() if v is not None})
    events = [parse_event(str(key), dict(value) if isinstance(value, Mapping) else value, ctx)
              for key, value in raw_events.items()]
    for event in events:
        event.step = in_horizon(event.date, f"events.{event.key}.date")
    events.sort(key=lambda e: (e.step, e.date, not isinstance(e, Founding)))
    ledger = MembershipLedger()
    for event in events:
        event.check_membership(ledger, source)
    _check_external_members(source, events, ctx)
    return Scenario(name=str(raw.get("name", "scenario")), source=source, cast=cast, start=start,
                    n_steps=n_steps, institutions=specs, events=events)


def _check_external_members(source: str, events: list[Event], ctx: LoadContext) -> None:
    """External actors (e.g. the West as a pressure source) never join an institution."""
    for event in events:
        joined = getattr(event, "members", None) or [getattr(event, "state", None)]
        if event.kind in ("founding", "accession"):
            for state in joined:
                if state in ctx.external:
                    raise InputError(source, f"events.{event.key}", state,
                                     "a state of kind 'state' (external actors join no institution)")
