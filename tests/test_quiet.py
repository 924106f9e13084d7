"""Quiet by default: no Dask scheduler chatter, no log lines over the progress bar, no empty
run folder, log file or .hydra/ folder; `verbose=true` brings the details back."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from tests.helpers import run_main

ROOT = Path(__file__).resolve().parent.parent
#: A two-run sweep of the default sweep file.
TINY_SWEEP = ("task=sweep", "sweep.seeds_per_point=1", "~sweep.parameters.memory",
              "sweep.parameters.rally_gain.values=[1.0,2.0]", "sweep.chunk_size=1")


def _cli(folder: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "sim", *args], cwd=folder, env=env, text=True,
                          capture_output=True, timeout=300)


def test_a_dask_sweep_prints_its_result_and_nothing_else(tmp_path):
    done = _cli(tmp_path, *TINY_SWEEP, "sweep.backend=dask", "sweep.workers=1", "progress=false")
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""                       # no scheduler logs, no "Lost all workers"
    assert done.stdout.startswith("Sweep 'rally_memory_grid': 2 runs (2 done)")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["results"]
    assert sorted(p.name for p in (tmp_path / "results").iterdir()) == ["sweeps"]   # no empty results/sweep/<time>/


def test_verbose_logs_each_chunk_on_its_own_line_above_the_bar(tmp_path):
    done = _cli(tmp_path, *TINY_SWEEP, "sweep.backend=serial", "verbose=true")
    assert done.returncode == 0, done.stderr
    pieces = [piece for piece in re.split(r"[\r\n]", done.stderr) if "done (" in piece]
    assert len(pieces) == 2
    assert all(re.match(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+ sim\.runs\.sweep: chunk \d done", p) for p in pieces)
    assert "100%" in done.stderr                   # the bar is still drawn


def test_a_run_leaves_its_results_and_no_log_file_or_hydra_folder(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert run_main(monkeypatch, "seeds=2") == 0
    folders = list((tmp_path / "results" / "run").glob("20*"))
    assert len(folders) == 1
    names = {p.name for p in folders[0].iterdir()}
    assert {"config.yaml", "timeseries.parquet", "cohesion.png"} <= names
    assert not any(name.endswith(".log") or name == ".hydra" for name in names)
