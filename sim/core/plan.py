"""What a scenario compiles to, and all the engine reads of it.

The engine knows no scenario file, event class or norm vocabulary: a scenario (or any
other source) hands it a `Plan`, the cast as arrays (`Cast`, which carries the names of
its norm dimensions), the institutions' specs, the date and quarter of the year of each
step, and for each step the dated operations, each a callable applied to the engine's
`Operations` (docs/ODD.md, 'Input data').
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from sim.core.institutions import InstitutionSpec

#: One dated operation: called with the engine's `sim.core.operations.Operations`.
Action = Callable[[Any], None]


@dataclass
class Cast:
    """All states of a run as arrays indexed by position in `codes`; `norms` has one
    column per name in `norm_names`."""

    codes: list[str]
    names: list[str]
    kinds: list[str]
    regions: list[str]
    great_power: np.ndarray
    attributes: dict[str, np.ndarray]
    norms: np.ndarray
    norm_names: tuple[str, ...]
    relations: dict[str, np.ndarray] = field(default_factory=dict)

    @property
    def size(self) -> int:
        """Number of states in the cast."""
        return len(self.codes)

    def index(self, code: str) -> int:
        """Position of a state code (the caller validates codes first)."""
        return self.codes.index(code)


@dataclass(frozen=True)
class Plan:
    """A compiled scenario: cast, institutions, each step's date ('YYYY-MM-DD') and
    quarter of the year (1-4), and each step's operations as (key, action) pairs in the
    order they apply."""

    cast: Cast
    institutions: tuple[InstitutionSpec, ...]
    dates: tuple[str, ...]
    quarters: tuple[int, ...]
    actions: tuple[tuple[tuple[str, Action], ...], ...]

    @property
    def n_steps(self) -> int:
        """Number of quarters in the horizon."""
        return len(self.dates)


class Compiles(Protocol):
    """Anything the engine can run: it compiles to a `Plan` (a `sim.scenarios` scenario)."""

    def compile(self) -> Plan:
        """The plan the engine runs."""
        ...


def plan_of(source: Plan | Compiles) -> Plan:
    """A plan as given, or the one its source compiles to."""
    return source if isinstance(source, Plan) else source.compile()
