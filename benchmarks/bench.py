"""Benchmarks: prints one JSON object with the figures below (wall-clock, this machine).

    python benchmarks/bench.py           # everything (about five minutes on two cores)
    python benchmarks/bench.py --quick   # skip the 1,000- and 10,000-run sweeps

- run_ms_median: one default history run alone through the Mesa adapter
  (`ProtectiveIntegrationModel`, 72 quarters, 18 states, 2 institutions), and
  engine_run_ms_median: the same run as an engine of one run;
- batched_run_ms: the same run's share of a batch of 50 seeds advanced together
  (`sim.core.engine.Engine`, what the sweep's chunks do; same numbers as alone), and
  profile_top: where a batch's time goes (cProfile, own time per run);
- run_ensemble_ms_per_run: `sim.run_ensemble` of 50 seeds, the full long table included;
- main_job_seconds: `python -m sim` (the main job on its default config: 20 draws from the
  packaged posterior x 2 seeds, 40 runs) from start to finish, imports, reading the
  posterior and the figure included (best of three; the goal is at most 5 s), and
  main_job_seed_only_seconds: the same with `posterior=none` (20 seeds at the defaults), and
  import_errors_seconds: `python -c "import sim.errors"` (a leaf import; best of five);
- sweep_runs_per_s_1_worker / _2_workers: the engine on a 200-run sweep, local backend,
  automatic chunks (after a warm-up sweep, best of five trials alternating 1 and 2
  workers: this VM's speed drifts by 30-50% from minute to minute);
- machine_2_vs_1_ceiling: the same ratio for a pure-Python busy loop, the most a second
  core adds on this machine at the moment (on this VM it swings between about 1.4 and 2);
- batch_run_*: the same 200 runs through mesa.batch_run (same model class, parameters and
  seeds, its default single process), whether the numbers are identical, and the
  engine's speed ratio (against its slowest 2-worker trial, to stay conservative);
- hydra_multirun_ms_per_run: Hydra's basic launcher running the main job once per value
  of a 20-value override (`python -m sim -m ...`), and the engine's per-run speed ratio
  (again its slowest 2-worker trial);
- sweep_1000 / sweep_10000: seconds and peak resident memory (main process and the
  largest worker) of 1,000- and 10,000-run history sweeps in a fresh process (Linux:
  the main process's peak is read from /proc/self/status);
- worker_rss_mb_after_chunks: resident memory of one process running 60 chunks of 50
  runs in turn, as a worker does, after chunks 1, 5, 10, ..., 60.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import multiprocessing
import pstats
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import mesa
import numpy as np

import sim
from sim.app.config import resolve
from sim.core.engine import run_engine
from sim.runs.ensemble import BATCH_SIZE, run_batch
from sim.model import ProtectiveIntegrationModel, batch_run_arguments
from sim.runs.sweep import parse_spec, run_sweep

ROOT = Path(__file__).resolve().parent.parent
GRID = {"rally_gain": [0.5, 1.0, 1.5, 2.0, 2.5], "memory": [6.0, 8.0, 10.0, 12.0]}
SEEDS = list(range(10))


def time_runs(spec, runs: int) -> list[float]:
    """Wall-clock seconds of building and running the model, one per seed."""
    times = []
    for seed in range(runs):
        start = time.perf_counter()
        ProtectiveIntegrationModel(spec.scenario, spec.params, seed=seed).run_model()
        times.append(time.perf_counter() - start)
    return times


def engine_run_ms(spec, runs: int) -> list[float]:
    """Milliseconds of one run as an engine of one run, one per seed."""
    times = []
    for seed in range(runs):
        start = time.perf_counter()
        run_engine(spec.scenario, [(spec.params, seed)])
        times.append(1000 * (time.perf_counter() - start))
    return times


def batched_run_ms(spec, size: int = BATCH_SIZE, repeats: int = 5) -> float:
    """Milliseconds per run of building and running `size` seeds as one batch (best of `repeats`)."""
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        run_batch(spec.scenario, [(spec.params, seed) for seed in range(size)])
        best = min(best, (time.perf_counter() - start) / size)
    return 1000 * best


def run_ensemble_ms(cfg, seeds: int = 50, repeats: int = 3) -> float:
    """Milliseconds per run of `sim.run_ensemble` (the full long table) over `seeds` seeds."""
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        sim.run_ensemble(cfg, seeds=range(seeds))
        best = min(best, (time.perf_counter() - start) / seeds)
    return 1000 * best


def command_seconds(command: Callable[[int], list[str]], repeats: int) -> float:
    """Wall-clock seconds of a command (`command(i)` for repeat i) in a fresh process, best of `repeats`."""
    best = float("inf")
    for i in range(repeats):
        start = time.perf_counter()
        subprocess.run(command(i), check=True, capture_output=True, cwd=ROOT)
        best = min(best, time.perf_counter() - start)
    return best


def main_job_seconds(repeats: int = 3, *overrides: str) -> float:
    """`python -m sim` on its default config (plus `overrides`), start to finish (throw-away
    output folders)."""
    with tempfile.TemporaryDirectory() as folder:
        return command_seconds(lambda i: [sys.executable, "-m", "sim", "progress=false", *overrides,
                                          f"hydra.run.dir={folder}/run{i}"], repeats)


def profile_top(spec, entries: int, size: int = BATCH_SIZE) -> list[dict]:
    """The functions with the most own time in a batch of `size` runs (cProfile), per run."""
    profiler = cProfile.Profile()
    profiler.enable()
    run_batch(spec.scenario, [(spec.params, seed) for seed in range(size)])
    profiler.disable()
    rows = []
    for (path, line, name), (_, calls, own, cumulative, _) in pstats.Stats(profiler).stats.items():
        rows.append({"function": f"{Path(path).name}:{line}({name})", "calls_per_run": calls / size,
                     "own_ms_per_run": round(1000 * own / size, 3),
                     "cumulative_ms_per_run": round(1000 * cumulative / size, 3)})
    return sorted(rows, key=lambda r: -r["own_ms_per_run"])[:entries]


def engine_sweep(spec, workers: int, folder: Path):
    """The 200-run grid through the engine; returns (seconds, final cohesion per run)."""
    sweep = parse_spec({"name": "bench200", "design": "grid", "seeds_per_point": len(SEEDS),
                        "parameters": {k: {"values": v} for k, v in GRID.items()},
                        "metrics": ["cohesion"], "chunk_size": 0, "backend": "local", "workers": workers})
    start = time.perf_counter()
    store = run_sweep(sweep, {"history": spec.scenario}, spec.params, folder, progress=False)
    elapsed = time.perf_counter() - start
    table = store.timeseries()
    last = table[table["step"] == table["step"].max()]
    runs = store.runs()
    keyed = {}
    for row in runs.itertuples():
        values = last[last["run"] == row.run].set_index("entity")["value"]
        keyed[(row.rally_gain, row.memory, row.seed)] = (values["SCO"], values["CSTO"])
    return elapsed, keyed


def _seconds(result: tuple) -> float:
    return result[0]


def batch_run_sweep(spec):
    """The same 200 runs through mesa.batch_run; returns (seconds, final cohesion per run)."""
    start = time.perf_counter()
    results = mesa.batch_run(ProtectiveIntegrationModel,
                             **batch_run_arguments({"scenario": spec.scenario, **GRID}, SEEDS),
                             number_processes=1, data_collection_period=-1, display_progress=False)
    elapsed = time.perf_counter() - start
    keyed = {(row["rally_gain"], row["memory"], row["seed"]): (row["SCO.cohesion"], row["CSTO.cohesion"])
             for row in results}
    return elapsed, keyed


def _busy_loop(_: int) -> float:
    start = time.perf_counter()
    total = 0
    for i in range(3_000_000):
        total += i * i
    return time.perf_counter() - start


def machine_2_vs_1_ceiling(trials: int = 5) -> float:
    """Throughput of two processes over one on a pure-Python busy loop (best of `trials`
    each, alternating): what this machine's second core adds to CPU-bound work at all."""
    alone, paired = [], []
    with multiprocessing.get_context("fork").Pool(2) as pool:
        for _ in range(trials):
            start = time.perf_counter()
            pool.map(_busy_loop, [0])
            alone.append(time.perf_counter() - start)
            start = time.perf_counter()
            pool.map(_busy_loop, [0, 1], chunksize=1)
            paired.append(time.perf_counter() - start)
    return 2 * min(alone) / min(paired)


def hydra_multirun_ms(runs: int = 20) -> float:
    """Milliseconds per job of Hydra's basic launcher running the main job with one seed."""
    values = ",".join(f"{1.0 + i / 100:.2f}" for i in range(runs))
    with tempfile.TemporaryDirectory() as folder:
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "sim", "-m", "seeds=1", "progress=false",
                        f"params.rally_gain={values}", f"hydra.sweep.dir={folder}"],
                       check=True, capture_output=True, cwd=ROOT)
        return 1000 * (time.perf_counter() - start) / runs


#: The history sweep of the large benchmarks (a Latin hypercube of two parameters).
LHS = {"design": "lhs", "seeds_per_point": 5, "metrics": ["cohesion"],
       "parameters": {"rally_gain": {"low": 0.5, "high": 3.0}, "memory": {"low": 6.0, "high": 16.0}}}

PRELUDE = """
import json, resource, sys, time
from dataclasses import asdict
import sim
from sim.app.config import resolve
from sim.runs.sweep import ChunkTask, parse_spec, plan, run_chunk, run_sweep
spec = resolve(sim.compose([]))
lhs = json.loads(sys.argv[1])

def status_mb(field):
    return next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith(field)) / 1024
"""

CHILD = PRELUDE + """
sweep = parse_spec({**lhs, "name": "bench", "samples": int(sys.argv[2]) // 5, "chunk_size": 100,
                    "backend": "local", "workers": 2})
start = time.perf_counter()
store = run_sweep(sweep, {"history": spec.scenario}, spec.params, sys.argv[3], progress=False)
elapsed = time.perf_counter() - start
# VmHWM: this process's own peak (ru_maxrss would carry the launching process's over exec)
print(json.dumps({"runs": len(store.runs()), "seconds": elapsed, "peak_rss_main_mb": status_mb("VmHWM"),
                  "peak_rss_largest_worker_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024}))
"""

WORKER = PRELUDE + """
sweep = parse_spec({**lhs, "name": "rss", "samples": 600, "chunk_size": 50})
rss = {}
for chunk, rows in plan(sweep).groupby("chunk"):
    run_chunk(ChunkTask(int(chunk), rows.to_dict("records"), {"history": spec.scenario}, asdict(spec.params),
                        sweep.metrics, ""))
    rss[int(chunk) + 1] = status_mb("VmRSS")
print(json.dumps({str(k): round(rss[k], 1) for k in (1, 5, 10, 20, 30, 40, 50, 60)}))
"""


def worker_memory_by_chunk() -> dict:
    """Resident memory of one process running 60 chunks of 50 runs in turn (what a
    worker does), after chunks 1, 5, 10, ..., 60: it levels off instead of growing."""
    done = subprocess.run([sys.executable, "-c", WORKER, json.dumps(LHS)], check=True, capture_output=True,
                          text=True, cwd=ROOT)
    return json.loads(done.stdout.strip().splitlines()[-1])


def sweep_in_child(runs: int) -> dict:
    """A history sweep of `runs` runs (2 workers) in a fresh process: time and peak memory."""
    with tempfile.TemporaryDirectory() as folder:
        done = subprocess.run([sys.executable, "-c", CHILD, json.dumps(LHS), str(runs), str(Path(folder) / "sweep")],
                              check=True, capture_output=True, text=True, cwd=ROOT)
        result = json.loads(done.stdout.strip().splitlines()[-1])
        result["runs_per_s"] = result["runs"] / result["seconds"]
        return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=30, help="repetitions of the single run")
    parser.add_argument("--top", type=int, default=10, help="profile entries")
    parser.add_argument("--quick", action="store_true", help="skip the 1,000- and 10,000-run sweeps")
    args = parser.parse_args()
    cfg = sim.compose([])
    spec = resolve(cfg)
    time_runs(spec, 3)
    times = time_runs(spec, args.runs)
    alone = engine_run_ms(spec, args.runs)
    report = {"run_ms_median": 1000 * statistics.median(times), "run_ms_min": 1000 * min(times),
              "engine_run_ms_median": statistics.median(alone),
              "batched_run_ms": batched_run_ms(spec), "run_ensemble_ms_per_run": run_ensemble_ms(cfg),
              "main_job_seconds": main_job_seconds(),
              "main_job_seed_only_seconds": main_job_seconds(3, "posterior=none"),
              "import_errors_seconds": command_seconds(lambda _: [sys.executable, "-c", "import sim.errors"], 5),
              "profile_top": profile_top(spec, args.top)}
    with tempfile.TemporaryDirectory() as folder:
        engine_sweep(spec, 2, Path(folder) / "warm-up")
        trials = [(engine_sweep(spec, 1, Path(folder) / f"w1-{i}"), engine_sweep(spec, 2, Path(folder) / f"w2-{i}"))
                  for i in range(5)]
    one, ours = min((first for first, _ in trials), key=_seconds)
    two, _ = min((second for _, second in trials), key=_seconds)
    slowest_two = max(second[0] for _, second in trials)
    batch, theirs = batch_run_sweep(spec)
    identical = ours.keys() == theirs.keys() and all(np.array_equal(ours[k], theirs[k]) for k in ours)
    hydra = hydra_multirun_ms()
    runs = len(ours)
    report.update({
        "sweep_runs": runs, "sweep_runs_per_s_1_worker": runs / one, "sweep_runs_per_s_2_workers": runs / two,
        "speedup_2_vs_1_workers": one / two,
        "machine_2_vs_1_ceiling": machine_2_vs_1_ceiling(), "batch_run_seconds": batch, "engine_seconds_2_workers": two,
        "batch_run_identical_numbers": bool(identical), "engine_seconds_2_workers_slowest_trial": slowest_two,
        "engine_vs_batch_run_speed_ratio": batch / slowest_two,
        "hydra_multirun_ms_per_run": hydra, "engine_ms_per_run_2_workers": 1000 * slowest_two / runs,
        "engine_vs_hydra_per_run_ratio": hydra / (1000 * slowest_two / runs),
        "peak_rss_this_process_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    })
    if not args.quick:
        report["sweep_1000"] = sweep_in_child(1000)
        report["sweep_10000"] = sweep_in_child(10000)
        report["worker_rss_mb_after_chunks"] = worker_memory_by_chunk()
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
