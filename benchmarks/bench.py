"""Benchmarks: prints one JSON object with timings of the model and where the time goes.

    python benchmarks/bench.py            # default history run, 30 repetitions
    python benchmarks/bench.py --runs 100

Figures are wall-clock on the machine at hand; compare them on the same machine.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import pstats
import statistics
import time

import sim
from sim.config import resolve
from sim.model import ProtectiveIntegrationModel
from sim.records import timeseries_frame


def time_runs(spec, runs: int) -> list[float]:
    """Wall-clock seconds of building and running the model, one per seed."""
    times = []
    for seed in range(runs):
        start = time.perf_counter()
        ProtectiveIntegrationModel(spec.scenario, spec.params, seed=seed).run_model()
        times.append(time.perf_counter() - start)
    return times


def profile_top(spec, entries: int) -> list[dict]:
    """The functions with the most own time over ten runs (cProfile)."""
    profiler = cProfile.Profile()
    profiler.enable()
    for seed in range(10):
        ProtectiveIntegrationModel(spec.scenario, spec.params, seed=seed).run_model()
    profiler.disable()
    stats = pstats.Stats(profiler).sort_stats("tottime")
    top = []
    for (path, line, name), (_, calls, own, cumulative, _) in list(stats.stats.items()):
        top.append({"function": f"{path.rsplit('/', 1)[-1]}:{line}({name})", "calls_per_run": calls / 10,
                    "own_ms_per_run": 1000 * own / 10, "cumulative_ms_per_run": 1000 * cumulative / 10})
    return sorted(top, key=lambda r: -r["own_ms_per_run"])[:entries]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--top", type=int, default=12)
    args = parser.parse_args()
    spec = resolve(sim.compose([]))
    time_runs(spec, 3)
    times = time_runs(spec, args.runs)
    model = ProtectiveIntegrationModel(spec.scenario, spec.params, seed=0)
    model.run_model()
    start = time.perf_counter()
    rows = len(timeseries_frame(model))
    records_ms = 1000 * (time.perf_counter() - start)
    print(json.dumps({
        "scenario": spec.scenario.name, "quarters": spec.scenario.n_steps, "states": spec.scenario.cast.size,
        "institutions": len(spec.scenario.institutions), "runs": args.runs,
        "run_ms_median": 1000 * statistics.median(times), "run_ms_min": 1000 * min(times),
        "records_ms_one_run": records_ms, "records_rows_one_run": rows,
        "profile_top": profile_top(spec, args.top),
    }, indent=2))


if __name__ == "__main__":
    main()
