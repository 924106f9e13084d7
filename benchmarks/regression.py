"""Regression table: the numbers a refactor of the engine must leave unchanged.

    python benchmarks/regression.py capture DIR   # write DIR/series.parquet, DIR/decisions.parquet
    python benchmarks/regression.py compare OLD NEW

    python benchmarks/regression.py capture DIR --seeds 200 --ends   # for `distributions`
    python benchmarks/regression.py distributions OLD NEW

`capture` runs six scenarios (history and five twins or futures) under three parameter
sets (the defaults and two points a fifth of each range away) and five seeds (or
`--seeds N`), and writes the full time-series and decision tables (with `--ends`, the
series of the middle and the last quarter only). `compare` prints, per table, whether the
two captures are identical and, if not, the largest difference and the first differing
rows.

A change that draws its noise differently cannot leave the numbers identical; what it must
leave unchanged is their distribution. `distributions` compares two captures of many seeds
as ensembles: for every (scenario, point, quarter, entity, metric) the difference of the
two means in pooled standard errors (Welch's z), and for every decision outcome (scenario,
point, event, institution, state, kind, outcome) the difference of the two shares of runs
that reach it (two-proportion z). It prints how many exceed |z| > 3 (about 0.3% would by
chance if nothing changed, fewer since the tests are correlated) and the largest ones.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import asdict
from pathlib import Path

import numpy as np
import pandas as pd

from sim.app.config import compose, resolve
from sim.runs.ensemble import run_pairs
from sim.core.params import BEHAVIOURAL, Params, check_params, spread_bounds

SCENARIOS = ("history", "no_crimea", "no_sco_enlargement", "quiet_future", "csto_requested_crisis",
             "iran_joins_sco")
SEEDS = 5
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
            values[name] = low if factor < 1.0 else high
        shifted.append(check_params(values, source="regression points"))
    return [Params(), *shifted]


def capture(out: Path, seeds: int = SEEDS, ends: bool = False) -> None:
    out.mkdir(parents=True, exist_ok=True)
    series, decisions = [], []
    for name in SCENARIOS:
        spec = resolve(compose([f"scenario={name}"]))
        for p, params in enumerate(points()):
            s, d = run_pairs(spec.scenario, [(params, seed) for seed in range(seeds)])
            if ends:
                s = s[s.step.isin([spec.scenario.n_steps // 2, spec.scenario.n_steps])]
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


def distributions(old: Path, new: Path, show: int = 8) -> int:
    """Compare two many-seed captures as ensembles (module docstring); 1 if any |z| > 3."""
    tables = []
    a, b = (pd.read_parquet(folder / "series.parquet") for folder in (old, new))
    keys = ["scenario", "point", "step", "entity", "metric"]
    stats = [frame.groupby(keys, observed=True).value.agg(["mean", "var", "count"]) for frame in (a, b)]
    joined = stats[0].add_suffix("_old").join(stats[1].add_suffix("_new"), how="inner")
    error = np.sqrt(joined.var_old / joined.count_old + joined.var_new / joined.count_new)
    joined["z"] = (joined.mean_new - joined.mean_old) / error.where(error > 0)
    fixed = joined[(error == 0) & ~np.isclose(joined.mean_old, joined.mean_new, rtol=0, atol=1e-9)]
    print(f"series without spread in either capture: {int((error == 0).sum())}, of which "
          f"{len(fixed)} changed value")
    tables.append(("series means", joined.dropna(subset=["z"])))
    a, b = (pd.read_parquet(folder / "decisions.parquet") for folder in (old, new))
    keys = ["scenario", "point", "event", "institution", "state", "kind", "outcome"]
    shares = []
    for frame in (a, b):
        frame = frame.astype({key: str for key in keys})
        runs = frame.groupby(["scenario", "point"]).run.nunique().rename("runs")
        reached = frame.drop_duplicates(keys + ["run"]).groupby(keys).size().rename("reached")
        shares.append(reached.reset_index().join(runs, on=["scenario", "point"]).set_index(keys))
    joined = shares[0].add_suffix("_old").join(shares[1].add_suffix("_new"), how="outer")
    joined["runs"] = joined.runs_old.fillna(joined.runs_new)
    for side in ("old", "new"):
        joined[f"reached_{side}"] = joined[f"reached_{side}"].fillna(0)
    p_old, p_new = joined.reached_old / joined.runs, joined.reached_new / joined.runs
    pooled = (joined.reached_old + joined.reached_new) / (2 * joined.runs)
    error = np.sqrt(pooled * (1 - pooled) * 2 / joined.runs)
    joined["share_old"], joined["share_new"] = p_old, p_new
    joined["z"] = (p_new - p_old) / error.where(error > 0)
    tables.append(("decision shares", joined.dropna(subset=["z"])))
    status = 0
    for name, table in tables:
        beyond = table[table.z.abs() > 3]
        print(f"{name}: {len(table)} compared, {len(beyond)} with |z| > 3 "
              f"({100 * len(beyond) / max(len(table), 1):.2f}%), largest |z| {table.z.abs().max():.2f}")
        columns = ["mean_old", "mean_new", "z"] if "mean_old" in table else ["share_old", "share_new", "z"]
        print(table.reindex(table.z.abs().sort_values(ascending=False).index)[columns].head(show).to_string())
        status |= int(len(beyond) > 0)
    return status


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    take = sub.add_parser("capture")
    take.add_argument("dir", type=Path)
    take.add_argument("--seeds", type=int, default=SEEDS, help="seeds per scenario and point (default 5)")
    take.add_argument("--ends", action="store_true", help="keep the middle and last quarters' series only")
    for command in ("compare", "distributions"):
        pair = sub.add_parser(command)
        pair.add_argument("old", type=Path)
        pair.add_argument("new", type=Path)
    args = parser.parse_args()
    if args.command == "capture":
        capture(args.dir, args.seeds, args.ends)
        return 0
    return (compare if args.command == "compare" else distributions)(args.old, args.new)


if __name__ == "__main__":
    sys.exit(main())
