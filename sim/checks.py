"""Shared checks of user values: finite numbers, months inside a horizon, plain data.

Every loader (cast tables, scenarios, events, parameters, observed outcomes, sweeps) and
every reader of an ensemble by date uses these, so NaN, an infinity, a malformed month
or a month outside the simulated quarters is refused in one place, and so is an
interpolation or resolver (`${...}`) in a scenario, params or sweep config.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from enum import StrEnum
from typing import Any

from sim.errors import InputError

MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


def choices(name: str, values: Iterable[str], module: str, doc: str) -> type[StrEnum]:
    """A closed choice of a config schema, made from the code's own list of `values` (so the
    two never drift apart): a StrEnum whose members are named like their values, since Hydra
    accepts a member's name on the command line and the code compares members with strings."""
    kind = StrEnum(name, [(value, value) for value in values], module=module)
    kind.__doc__ = doc
    return kind


def allowed(text: str) -> dict[str, str]:
    """Field metadata of a config schema: what the field allows, in the words of the
    one-line error that refuses a value of the wrong type (`sim.config.explain_schema_error`)."""
    return {"allowed": text}


def is_finite_number(value: Any) -> bool:
    """True for an int or float (not a bool) that is neither NaN nor infinite."""
    return not isinstance(value, bool) and isinstance(value, (int, float)) and math.isfinite(value)


def month_step(value: Any, first: str, steps: int) -> int | None:
    """Quarter step of a 'YYYY-MM' month counted from the quarter of `first` ('YYYY-MM...'),
    or None when the value is not a real 'YYYY-MM' month or falls outside steps 0..steps-1."""
    match = MONTH.match(value) if isinstance(value, str) else None
    if not match:
        return None
    year, month = int(first[:4]), int(first[5:7])
    step = (int(match[1]) - year) * 4 + (int(match[2]) - 1) // 3 - (month - 1) // 3
    return step if 0 <= step < steps else None


def horizon_text(dates: list[str]) -> str:
    """What a month option allows, given the quarters' first days ('YYYY-MM-DD' or 'YYYY-MM'):
    e.g. 'a date written YYYY-MM from 2001-01 to 2018-12'."""
    last_month = int(dates[-1][5:7]) + 2
    return f"a date written YYYY-MM from {dates[0][:7]} to {dates[-1][:4]}-{last_month:02d}"


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
