"""Shared checks of user values (finite numbers, plain data) and the helpers of the config
schemas (closed choices as Enums, what a field allows).

Every loader (cast tables, scenarios, events, parameters, observed outcomes, sweeps) uses
these, so NaN or an infinity is refused in one place, and so is an interpolation or
resolver (`${...}`) in a scenario, params or sweep config. Months are checked by the
calendar (sim.scenarios.calendar).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from enum import StrEnum
from typing import Any

from sim.errors import InputError


def choices(name: str, values: Iterable[str], module: str, doc: str) -> type[StrEnum]:
    """A closed choice of a config schema, made from the code's own list of `values` (so the
    two never drift apart): a StrEnum whose members are named like their values, since Hydra
    accepts a member's name on the command line and the code compares members with strings."""
    kind = StrEnum(name, [(value, value) for value in values], module=module)
    kind.__doc__ = doc
    return kind


def allowed(text: str) -> dict[str, str]:
    """Field metadata of a config schema: what the field allows, in the words of the
    one-line error that refuses a value of the wrong type (`sim.app.config.explain_schema_error`)."""
    return {"allowed": text}


def is_finite_number(value: Any) -> bool:
    """True for an int or float (not a bool) that is neither NaN nor infinite."""
    return not isinstance(value, bool) and isinstance(value, (int, float)) and math.isfinite(value)


def refuse_interpolations(data: Any, source: str, prefix: str = "") -> None:
    """Refuse an OmegaConf interpolation or resolver (`${...}`, e.g. `${oc.env:HOME}`) in
    unresolved config data (`OmegaConf.to_container(node, resolve=False)`): scenario,
    params and sweep configs are data, and a resolver would copy the user's environment
    into shared results. The error names `source` and the field (after `prefix`)."""
    if isinstance(data, dict):
        for key, value in data.items():
            refuse_interpolations(value, source, f"{prefix}{key}.")
    elif isinstance(data, list):
        for index, value in enumerate(data):
            refuse_interpolations(value, source, f"{prefix}{index}.")
    elif isinstance(data, str) and "${" in data:
        raise InputError(source, prefix.rstrip(".") or "(value)", data,
                         "plain values (no interpolation or resolver such as ${oc.env:VAR}: the file is data)")
