"""Builders for small synthetic casts and scenarios, so mechanism tests isolate one effect."""

from __future__ import annotations

import csv
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

import sim
from sim.app.cli import main
from sim.scenarios.cast import NORMS, Cast, load_cast
from sim.app.config import resolve, scenario_from
from sim.model import run_one
from sim.core.params import CONSTANTS, Constant, Params
from sim.scenarios.schema import Scenario, load_scenario

BASE_STATE = {
    "name": "State", "kind": "state", "region": "r", "great_power": 0, "power": 0.1,
    "illiberalism": 0.8, "insecurity": 0.5, "sovereignty_sensitivity": 0.5,
    "separatism_exposure": 0.5, **{f"norm_{n}": 0.8 for n in NORMS},
}


def write_cast(folder: Path, states: dict[str, dict[str, Any]],
               relations: list[tuple[str, str, str, float]] = ()) -> tuple[Path, Path]:
    """Write a states and a relations table; each state overrides BASE_STATE."""
    states_file, relations_file = folder / "states.csv", folder / "relations.csv"
    with states_file.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["state", "attribute", "value", "source", "justification"])
        for code, overrides in states.items():
            for attribute, value in {**BASE_STATE, "name": code, **overrides}.items():
                writer.writerow([code, attribute, value, "test", "synthetic"])
    with relations_file.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["state", "other", "kind", "value", "source", "justification"])
        for row in relations:
            writer.writerow([*row, "test", "synthetic"])
    return states_file, relations_file


def club(members: list[str], setters: list[str], **extra: Any) -> dict[str, Any]:
    """An institution block meeting every quarter, founded at the start."""
    return {"charter": {n: 1.0 for n in NORMS}, "agenda_setters": setters,
            "summit_quarters": [1, 2, 3, 4], "founded": "2000-01", "founding_members": members,
            **extra}


def scenario(folder: Path, states: dict[str, dict[str, Any]], institutions: dict[str, Any],
             events: dict[str, Any] | None = None, end: str = "2004-12",
             relations: list[tuple[str, str, str, float]] = ()) -> Scenario:
    """A validated synthetic scenario starting in 2000."""
    cast = load_cast(*write_cast(folder, states, relations))
    raw = {"name": "synthetic", "start": "2000-01", "end": end, "institutions": institutions,
           "events": events or {}}
    return load_scenario(raw, cast, source="test scenario")


def final_trust(model, a: str, b: str) -> float:
    """Trust of a in b at the end of a run."""
    return float(model.trust[model.codes.index(a), model.codes.index(b)])


def ensemble(scn: Scenario, seeds: int, params: Params | None = None, **overrides: Any) -> list:
    """Run a scenario over seeds 0..seeds-1 and return the finished models; an override
    may name a parameter or a fixed assumption (`params.CONSTANTS`), so a mechanism test
    can switch off a mechanism whose setting is not a parameter."""
    base = params or Params()
    fixed = {name: value for name, value in overrides.items() if name in CONSTANTS}
    values = {**base.__dict__, **{n: v for n, v in overrides.items() if n not in fixed}}
    with assumed(**fixed):
        return [run_one(scn, Params(**values), seed) for seed in range(seeds)]


@contextmanager
def assumed(**values: float) -> Iterator[None]:
    """Within the block, the named fixed assumptions take the given values (runs in this
    process only)."""
    kept = {name: CONSTANTS[name] for name in values}
    try:
        CONSTANTS.update({name: Constant(value, kept[name].source) for name, value in values.items()})
        yield
    finally:
        CONSTANTS.update(kept)


def share(flags) -> float:
    """Share of True values."""
    return float(np.mean(list(flags)))


def packaged_scenario(name: str, cast: Cast | None = None) -> Scenario:
    """A scenario of configs/scenario/ by name, resolved with the default config (against
    `cast` when given)."""
    cfg = sim.compose([f"scenario={name}"])
    return resolve(cfg).scenario if cast is None else scenario_from(cfg, cast)


def run_main(monkeypatch, *args: str) -> int:
    """Run the command line with `args` (progress off, flags such as `-m` first); returns
    its exit status."""
    flags = [arg for arg in args if arg.startswith("-")]
    monkeypatch.setattr(sys, "argv", ["sim", *flags, "progress=false", *(a for a in args if a not in flags)])
    try:
        main()
    except SystemExit as stop:
        return int(stop.code or 0)
    return 0
