"""Shared checks of user values: finite numbers, and months inside a horizon.

Every loader (cast tables, scenarios, events, parameters, observed outcomes, sweeps) and
every reader of an ensemble by date uses these, so NaN, an infinity, a malformed month
or a month outside the simulated quarters is refused in one place.
"""

from __future__ import annotations

import math
import re
from typing import Any

MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


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
