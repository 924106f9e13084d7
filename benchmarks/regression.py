"""Regression table: the numbers a refactor of the engine must leave unchanged.

    python benchmarks/regression.py capture DIR   # write DIR/series.parquet, DIR/decisions.parquet
    python benchmarks/regression.py compare OLD NEW

`capture` runs six scenarios (history and five twins or futures) under three parameter
sets (the defaults and two points a fifth of each range away) and five seeds, and writes
the full time-series and decision tables. `compare` prints, per table, whether the two
captures are identical and, if not, the largest difference and the first differing rows.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import asdict
from pathlib import Path

import numpy as np
import pandas as pd

from sim.app.config import compose, resolve
from sim.experiments.ensemble import run_pairs
from sim.core.params import BEHAVIOURAL, INTEGER_PARAMS, Params, check_params, spread_bounds

SCENARIOS = ("history", "no_crimea", "no_sco_enlargement", "quiet_future", "csto_requested_crisis",
             "iran_joins_sco")
SEEDS = range(5)
KEYS = ["scenario", "point", "run", "step", "entity", "metric"]


def points() -> list[Params]:
    """The defaults and two points with every behavioural parameter shifted by -20% and
    +15% (kept in its range)."""
    base = asdict(Params())
    shifted = []
    for factor in (0.8, 1.15):
        values = dict(base)
        for name in BEHAVIOURAL:
            low, high = spread_bounds(Params(), name, abs(factor - 1.0))
            value = low if factor < 1.0 else high
            values[name] = int(round(value)) if name in INTEGER_PARAMS else value
        shifted.append(check_params(values, source="regression points"))
    return [Params(), *shifted]


def capture(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    series, decisions = [], []
    for name in SCENARIOS:
        spec = resolve(compose([f"scenario={name}"]))
        for p, params in enumerate(points()):
            s, d = run_pairs(spec.scenario, [(params, seed) for seed in SEEDS])
            series.append(s.assign(scenario=name, point=p))
            decisions.append(d.assign(scenario=name, point=p))
    pd.concat(series, ignore_index=True).to_parquet(out / "series.parquet")
    pd.concat(decisions, ignore_index=True).to_parquet(out / "decisions.parquet")
    print(f"wrote {out}")


def compare(old: Path, new: Path) -> int:
    status = 0
    for table in ("series", "decisions"):
        a = pd.read_parquet(old / f"{table}.parquet")
        b = pd.read_parquet(new / f"{table}.parquet")
        for frame in (a, b):
            for column in frame.columns:
                if isinstance(frame[column].dtype, pd.CategoricalDtype):
                    frame[column] = frame[column].astype(str)
        if a.shape != b.shape or list(a.columns) != list(b.columns):
            print(f"{table}: shapes differ {a.shape} vs {b.shape}")
            status = 1
            continue
        differ = pd.Series(False, index=a.index)
        for column in a.columns:
            if a[column].dtype.kind == "f":
                x, y = a[column].to_numpy(), b[column].to_numpy()
                differ |= ~((x == y) | (np.isnan(x) & np.isnan(y)))
            else:
                differ |= a[column].astype(str) != b[column].astype(str)
        if not differ.any():
            print(f"{table}: identical ({len(a)} rows)")
            continue
        status = 1
        print(f"{table}: {int(differ.sum())} of {len(a)} rows differ")
        if "value" in a:
            print("  largest value difference:", float(np.nanmax(np.abs(a.value - b.value))))
        print(a[differ].head(5).to_string())
        print(b[differ].head(5).to_string())
    return status


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("capture").add_argument("dir", type=Path)
    pair = sub.add_parser("compare")
    pair.add_argument("old", type=Path)
    pair.add_argument("new", type=Path)
    args = parser.parse_args()
    if args.command == "capture":
        capture(args.dir)
        return 0
    return compare(args.old, args.new)


if __name__ == "__main__":
    sys.exit(main())
