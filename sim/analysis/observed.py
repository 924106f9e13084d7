"""Observed outcomes as data: a YAML file of what happened, checked against a scenario.

An observed-outcomes file says what the record shows (how a state voted, what stance an
institution's text took, whether a state was suspended at a date, a metric's bounds) so
that `task=score` can measure how often the model reproduces it. The file is data: it is
read with `yaml.safe_load`, and every record is checked against the scenario (events
exist and ask for that decision, states and institutions exist, dates inside the
horizon, outcomes allowed) before any run; a mistake is one `InputError` line.

    name: history_2001_2018
    description: optional text
    records:
      sco_georgia:                 # record id
        kind: text                 # vote | text | intervention | recognition | status | metric
        event: georgia_war
        institution: SCO
        topic: support for the action
        outcome: neutral
        ref: "The separatist challenge"
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from sim.checks import is_finite_number
from sim.errors import DataError, InputError
from sim.scenarios.events import Event
from sim.core.institutions import STATUS_NAMES
from sim.limits import refuse_aliases
from sim.core.observables import INSTITUTION_METRICS
from sim.io.records import known_metric
from sim.scenarios.schema import Scenario

FILE_KEYS = ("name", "description", "records")
#: Record kind -> (required fields, optional fields); every record also has `kind` and `ref`.
FIELDS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "vote": (("event", "state", "outcome"), ()),
    "text": (("event", "institution", "outcome"), ("topic",)),
    "intervention": (("event", "institution", "outcome"), ()),
    "recognition": (("event", "state", "outcome"), ()),
    "status": (("state", "institution", "date", "outcome"), ()),
    "metric": (("entity", "metric", "date"), ("min", "max")),
}
OUTCOMES: dict[str, tuple[str, ...]] = {
    "vote": ("yes", "abstain", "no"),
    "text": ("endorse", "neutral", "oppose"),
    "intervention": ("intervene", "no intervention"),
    "recognition": ("recognise", "not recognise"),
    "status": STATUS_NAMES[1:] + STATUS_NAMES[:1],
}
#: Decision kinds (the decisions table's `kind`) a record kind may name.
DECISION_KINDS: dict[str, tuple[str, ...]] = {
    "vote": ("vote",),
    "text": ("declaration", "solidarity", "statement", "designation"),
    "intervention": ("intervention",),
    "recognition": ("recognition",),
}
#: The observed outcome of a metric record: the value lies within its bounds.
WITHIN = "within"


@dataclass
class Record:
    """One validated observation and how to read the model's outcome for it.

    A decision record (vote, text, intervention, recognition) names its row of the
    decisions table by column values (`decision`); a status or metric record names a
    time series (`series`: entity, metric, date) and, for a metric, its bounds.
    """

    id: str
    kind: str
    observed: str
    names: str
    ref: str = ""
    decision: dict[str, str] = field(default_factory=dict)
    series: tuple[str, str, str] = ("", "", "")
    bounds: tuple[float, float] = (float("-inf"), float("inf"))


@dataclass
class Observed:
    """A validated observed-outcomes file."""

    name: str
    description: str
    source: str
    records: list[Record]


class _Checker:
    """Checks the fields of one file's records against the scenario, raising `InputError`."""

    def __init__(self, source: str, scenario: Scenario) -> None:
        self.source = source
        self.scenario = scenario
        self.events = {event.key: event for event in scenario.events}
        self.institutions = [spec.code for spec in scenario.institutions]
        cast = scenario.cast
        self.states = [c for c, k in zip(cast.codes, cast.kinds) if k == "state"]
        self.great_powers = [c for c, g in zip(cast.codes, cast.great_power) if g]

    def fail(self, where: str, value: Any, allowed: str) -> InputError:
        """The error for one field (raised by the caller)."""
        return InputError(self.source, where, value, allowed)

    def event(self, where: str, raw: Mapping, kind: str) -> Event:
        """The scenario event a decision record names, which must ask for that decision."""
        key = raw["event"]
        fits = [k for k, e in self.events.items() if set(e.decisions()) & set(DECISION_KINDS[kind])]
        if key not in fits:
            raise self.fail(f"{where}.event", key,
                            f"an event of the scenario that asks for a {kind} ({', '.join(fits)})")
        return self.events[key]

    def state(self, where: str, value: Any, excluded: tuple[str, ...] = ()) -> str:
        """A state of the cast (not an external actor), other than `excluded`."""
        allowed = [c for c in self.states if c not in excluded]
        if value not in allowed:
            raise self.fail(where, value, f"a state code of the cast ({', '.join(allowed)})")
        return value

    def institution(self, where: str, value: Any, event: Event | None = None) -> str:
        """An institution of the scenario (the event's own, when the event names one)."""
        named = getattr(event, "institution", None)
        allowed = [named] if named else self.institutions
        if value not in allowed:
            raise self.fail(where, value, f"an institution of the scenario ({', '.join(allowed)})")
        return value

    def outcome(self, where: str, value: Any, kind: str) -> str:
        """An outcome allowed for the kind; bare YAML yes/no (read as true/false) count as votes."""
        if kind == "vote" and isinstance(value, bool):
            value = "yes" if value else "no"
        if value not in OUTCOMES[kind]:
            raise self.fail(where, value, ", ".join(OUTCOMES[kind]))
        return value

    def date(self, where: str, value: Any) -> str:
        """A 'YYYY-MM' date inside the scenario's horizon."""
        if self.scenario.calendar.month_step(value) is None:
            raise self.fail(where, value, self.scenario.calendar.horizon_text())
        return value

    def topic(self, where: str, raw: Mapping, event: Event) -> tuple[str, str]:
        """(decision kind, topic) of the text a record names; the topic may be left out
        when the event puts exactly one text."""
        texts = {topic: kind for kind, topics in event.decisions().items()
                 if kind in DECISION_KINDS["text"] for topic in topics}
        topic = raw.get("topic")
        if topic is None and len(texts) == 1:
            topic = next(iter(texts))
        if topic not in texts:
            shown = ", ".join(f"'{t}'" for t in texts)
            raise self.fail(f"{where}.topic", topic, f"a topic of {event.key}'s texts ({shown})"
                            + (" (required: the event puts several texts)" if topic is None else ""))
        return texts[topic], topic

    def bounds(self, where: str, raw: Mapping) -> tuple[float, float]:
        """(min, max) of a metric record: numbers, at least one, min <= max."""
        values = {}
        for name, default in (("min", float("-inf")), ("max", float("inf"))):
            value = raw.get(name, default)
            if name in raw and not is_finite_number(value):
                raise self.fail(f"{where}.{name}", value, "a finite number")
            values[name] = float(value)
        if "min" not in raw and "max" not in raw:
            raise self.fail(f"{where}.min", None, "a number (a metric record needs min, max or both)")
        if values["min"] > values["max"]:
            raise self.fail(f"{where}.max", raw["max"], f"a number >= min ({raw['min']})")
        return values["min"], values["max"]

    def metric(self, where: str, raw: Mapping) -> tuple[str, str]:
        """(entity, metric) of a metric record: a metric the run's time-series table has."""
        codes = self.scenario.cast.codes
        entity, metric = raw["entity"], raw["metric"]
        if entity not in self.institutions and entity not in codes:
            raise self.fail(f"{where}.entity", entity,
                            f"an institution or state code ({', '.join(self.institutions + codes)})")
        if not known_metric(entity, metric, codes, self.institutions, self.great_powers):
            allowed = (", ".join(INSTITUTION_METRICS) if entity in self.institutions else
                       "legitimacy, insecurity, trust_in.<state>, threat_from.<great power>, "
                       "engagement.<institution>, status.<institution>, benefit.<institution>, "
                       "investment.<institution>")
            raise self.fail(f"{where}.metric", metric, f"a metric of {entity} in the run's tables ({allowed})")
        return entity, metric


def _vote(c: _Checker, where: str, raw: Mapping) -> dict[str, Any]:
    event = c.event(where, raw, "vote")
    state = c.state(f"{where}.state", raw["state"])
    return {"decision": {"event": event.key, "kind": "vote", "state": state}, "names": f"{event.key} {state}"}


def _text(c: _Checker, where: str, raw: Mapping) -> dict[str, Any]:
    event = c.event(where, raw, "text")
    institution = c.institution(f"{where}.institution", raw["institution"], event)
    kind, topic = c.topic(where, raw, event)
    return {"decision": {"event": event.key, "kind": kind, "institution": institution, "topic": topic},
            "names": f"{event.key} {institution} '{topic}'"}


def _intervention(c: _Checker, where: str, raw: Mapping) -> dict[str, Any]:
    event = c.event(where, raw, "intervention")
    institution = c.institution(f"{where}.institution", raw["institution"], event)
    return {"decision": {"event": event.key, "kind": "intervention", "institution": institution},
            "names": f"{event.key} {institution}"}


def _recognition(c: _Checker, where: str, raw: Mapping) -> dict[str, Any]:
    event = c.event(where, raw, "recognition")
    state = c.state(f"{where}.state", raw["state"], excluded=(event.actor, event.target))
    return {"decision": {"event": event.key, "kind": "recognition", "state": state},
            "names": f"{event.key} {state}"}


def _status(c: _Checker, where: str, raw: Mapping) -> dict[str, Any]:
    state = c.state(f"{where}.state", raw["state"])
    institution = c.institution(f"{where}.institution", raw["institution"])
    date = c.date(f"{where}.date", raw["date"])
    return {"series": (state, f"status.{institution}", date), "names": f"{state} in {institution} at {date}"}


def _metric(c: _Checker, where: str, raw: Mapping) -> dict[str, Any]:
    entity, metric = c.metric(where, raw)
    date = c.date(f"{where}.date", raw["date"])
    low, high = c.bounds(where, raw)
    return {"series": (entity, metric, date), "bounds": (low, high),
            "names": f"{entity} {metric} at {date} in [{low:g}, {high:g}]"}


_BUILDERS: dict[str, Callable[[_Checker, str, Mapping], dict[str, Any]]] = {
    "vote": _vote, "text": _text, "intervention": _intervention, "recognition": _recognition,
    "status": _status, "metric": _metric,
}


def _record(c: _Checker, key: Any, raw: Any) -> Record:
    """Validate one record and build it."""
    where = f"records.{key}"
    if not isinstance(raw, Mapping):
        raise c.fail(where, raw, "a mapping with a 'kind' and its fields")
    kind = raw.get("kind")
    if kind not in FIELDS:
        raise c.fail(f"{where}.kind", kind, ", ".join(FIELDS))
    required, optional = FIELDS[kind]
    allowed = ("kind", *required, *optional, "ref")
    for name in raw:
        if name not in allowed:
            raise c.fail(f"{where}.{name}", raw[name], f"the fields of '{kind}': {', '.join(allowed)}")
    for name in required:
        if raw.get(name) is None:
            raise c.fail(f"{where}.{name}", None, f"a value (required by '{kind}')")
    ref = raw.get("ref", "")
    if not isinstance(ref, str):
        raise c.fail(f"{where}.ref", ref, "a text (the source of the observation)")
    built = _BUILDERS[kind](c, where, raw)
    observed = c.outcome(f"{where}.outcome", raw["outcome"], kind) if kind in OUTCOMES else WITHIN
    return Record(id=str(key), kind=kind, observed=observed, ref=ref, **built)


#: The largest observed-outcomes file read (the example is about 10 kB; a file of many
#: megabytes is a mistake, and would take minutes to parse and score).
MAX_OBSERVED_BYTES = 5_000_000


class _UniqueKeyLoader(yaml.SafeLoader):
    """A safe YAML loader that refuses a key repeated in one mapping (a record id given
    twice), where PyYAML would keep the last one without a word."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if not isinstance(key, (str, int, float, bool)) and key is not None:
                continue  # not a plain key: the safe loader's own check refuses it
            if key in seen:
                raise yaml.constructor.ConstructorError(None, None, f"the key {key!r} appears twice",
                                                        key_node.start_mark)
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def _read(path: Path) -> Any:
    """The file's plain data (a safe load: nothing in it is executed), refusing a file over
    `MAX_OBSERVED_BYTES` and a key repeated in one mapping."""
    source = str(path)
    if not path.is_file():
        raise InputError("config", "observed", source, "the path of an observed-outcomes YAML file")
    size = path.stat().st_size
    if size > MAX_OBSERVED_BYTES:
        raise InputError(source, "size", f"{size} bytes", f"an observed-outcomes file of at most "
                         f"{MAX_OBSERVED_BYTES // 1_000_000} MB")
    try:
        text = path.read_text(encoding="utf-8")
        refuse_aliases(source, text)
        return yaml.load(text, Loader=_UniqueKeyLoader)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark else "(file)"
        raise InputError(source, where, getattr(error, "problem", None) or str(error),
                         "valid YAML, each key once in a mapping") from None
    except UnicodeDecodeError:
        raise DataError(source, "encoding", "not UTF-8", "a UTF-8 YAML text file") from None


def parse_observed(raw: Any, scenario: Scenario, source: str = "observed") -> Observed:
    """Validate an observed-outcomes mapping against the scenario and build it."""
    c = _Checker(source, scenario)
    if not raw:
        raise c.fail("records", None, "a non-empty mapping of record ids to records (the file is empty)")
    if not isinstance(raw, Mapping):
        raise c.fail("(top level)", raw, f"a mapping with the keys {', '.join(FILE_KEYS)}")
    for key in raw:
        if key not in FILE_KEYS:
            raise c.fail(str(key), raw[key], f"the keys {', '.join(FILE_KEYS)}")
    if not isinstance(raw.get("name"), str) or not raw["name"]:
        raise c.fail("name", raw.get("name"), "a text (required)")
    if not isinstance(raw.get("description", ""), str):
        raise c.fail("description", raw["description"], "a text")
    records = raw.get("records")
    if not isinstance(records, Mapping) or not records:
        raise c.fail("records", records, "a non-empty mapping of record ids to records")
    return Observed(name=raw["name"], description=raw.get("description", ""), source=source,
                    records=[_record(c, key, value) for key, value in records.items()])


def load_observed(path: str | Path, scenario: Scenario) -> Observed:
    """Read and validate an observed-outcomes file against the scenario."""
    return parse_observed(_read(Path(path)), scenario, source=str(path))
