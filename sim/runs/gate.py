"""The one gate every parameter value passes before it reaches the model.

Parameters arrive from configs and overrides (`sim.app.config.resolve`), posterior draws
(`sim.analysis.calibration.posterior_values`), sweep designs (`run_sweep`) and
calibration particles (`simulate`). Each set is checked here, whole, by the same rules
(`sim.core.params.check_params`: known names, finite numbers,
each value inside its documented range, cohesion weights summing to 1), so a value that a
config would refuse cannot reach the model by another road. A refusal is one line naming
where the set came from (file and row, design point, particle), the field, the value and
what is allowed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict
from typing import Any

from sim.core.params import Params, check_params


def checked(base: Params, values: Mapping[str, Any], source: str) -> Params:
    """`base` with `values` on top, checked whole (`check_params`); an invalid set is an
    `InputError` naming `source`, the field, the value and what is allowed."""
    return check_params({**asdict(base), **values}, source=source)
