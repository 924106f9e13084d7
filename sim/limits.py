"""Limits on a job's inputs, checked before any work: a scenario's dates and horizon, and
YAML aliases in user files. A leaf: the scenarios and the input readers use it, and it
imports nothing of the package but its faults (the job-size estimate, which knows every
task, is `sim.app.job_size`)."""

from __future__ import annotations

from typing import Any

import yaml

from sim.errors import InputError

MAX_QUARTERS = 400                 # a scenario horizon of at most 100 years
YEARS = (1900, 2200)               # years a scenario date may use (pandas spans 1677-2262)


def check_horizon(source: str, field: str, value: Any, year: int, steps: int) -> None:
    """Refuse a scenario date outside `YEARS` or a horizon longer than `MAX_QUARTERS`."""
    if not YEARS[0] <= year <= YEARS[1]:
        raise InputError(source, field, value, f"a year from {YEARS[0]} to {YEARS[1]}")
    if steps > MAX_QUARTERS:
        raise InputError(source, field, value, f"a horizon of at most {MAX_QUARTERS} quarters "
                         f"({MAX_QUARTERS // 4} years; this one has {steps})")


def refuse_aliases(source: str, text: str) -> None:
    """Refuse YAML anchors and aliases (`&a`, `*a`): user data files are plain trees, and an
    alias bomb would otherwise expand before validation. Scanning is linear in the text."""
    try:
        for token in yaml.scan(text, Loader=yaml.SafeLoader):
            if isinstance(token, (yaml.AnchorToken, yaml.AliasToken)):
                sign = "&" if isinstance(token, yaml.AnchorToken) else "*"
                raise InputError(source, f"line {token.start_mark.line + 1}", f"{sign}{token.value}",
                                 "plain YAML without anchors or aliases (&name, *name)")
    except yaml.YAMLError:
        return  # the loader reports syntax errors with their own line
