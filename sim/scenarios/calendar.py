"""Quarter arithmetic, in one place: the quarters of a horizon, the step of a month, the
calendar quarter of a step and the words a month option allows.

A step is one quarter; step 0 is the quarter of the scenario's start. Months are written
'YYYY-MM'; a date 'YYYY-MM-DD' names the quarter that contains it.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np

MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
DATE = re.compile(r"^(\d{4})-(\d{2})(?:-(\d{2}))?$")


def quarter_of_date(value: Any) -> tuple[int, int] | None:
    """(year, quarter) of a real 'YYYY-MM' or 'YYYY-MM-DD' date (or a `datetime.date`);
    None for anything else."""
    if isinstance(value, dt.date):
        value = value.isoformat()
    match = DATE.match(value) if isinstance(value, str) else None
    if not match:
        return None
    year, month, day = int(match[1]), int(match[2]), int(match[3] or 1)
    try:
        dt.date(year, month, day)
    except ValueError:
        return None
    return year, (month - 1) // 3 + 1


@dataclass(frozen=True)
class Calendar:
    """The `steps` quarters from the quarter `quarter` (1-4) of `year`."""

    year: int
    quarter: int
    steps: int
    dates: list[str] = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        first = self.quarter - 1
        object.__setattr__(self, "dates", [f"{self.year + (first + t) // 4:04d}-{3 * ((first + t) % 4) + 1:02d}-01"
                                           for t in range(self.steps)])

    @classmethod
    def of_dates(cls, dates: list[str]) -> "Calendar":
        """The calendar whose quarters start on `dates` ('YYYY-MM-DD' or 'YYYY-MM', in order)."""
        year, quarter = quarter_of_date(dates[0][:7])
        return cls(year, quarter, len(dates))

    def step_of(self, year: int, quarter: int) -> int:
        """The step of a (year, quarter), which may fall outside the horizon."""
        return (year - self.year) * 4 + quarter - self.quarter

    def month_step(self, value: Any) -> int | None:
        """Step of a 'YYYY-MM' month; None when the value is not a real 'YYYY-MM' month or
        falls outside the horizon."""
        match = MONTH.match(value) if isinstance(value, str) else None
        if not match:
            return None
        step = self.step_of(int(match[1]), (int(match[2]) - 1) // 3 + 1)
        return step if 0 <= step < self.steps else None

    def quarter_of(self, step: int) -> int:
        """Calendar quarter (1-4) of a step."""
        return (self.quarter - 1 + step) % 4 + 1

    def year_of(self, step: np.ndarray | int) -> Any:
        """The decimal year at the start of a step (2001.25 for the second quarter of 2001)."""
        return self.year + (self.quarter - 1) / 4 + np.asarray(step) / 4.0

    def horizon_text(self) -> str:
        """What a month option allows, e.g. 'a date written YYYY-MM from 2001-01 to 2018-12'."""
        last = self.dates[-1]
        return f"a date written YYYY-MM from {self.dates[0][:7]} to {last[:4]}-{int(last[5:7]) + 2:02d}"
