"""The sweep store under concurrency and corruption: one writer per folder, no orphan parts
accepted, damaged parts detected and re-run, local workers gone with their parent."""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from sim.errors import UserError
from sim.io.store import file_digest
from sim.runs.sweep import parse_spec, run_sweep
from sim.io.sweep_store import SweepStore
from tests.test_sweep import SMALL, _sweep

CLI_SWEEP = ["task=sweep", "sweep.backend=serial", "~sweep.parameters.memory",
             "sweep.parameters.rally_gain.values=[0.5,2.0]", "sweep.metrics=[cohesion]",
             "sweep.chunk_size=1", "progress=false"]

# Imports everything, waits for GO, then runs the command line; its first chunk waits for
# RELEASE, so whichever process takes the folder's lock keeps it until the test lets go.
CONTENDER = """
import pathlib, sys, time
import sim.runs.sweep as engine
from sim.app.cli import main
go, release = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
original = engine.run_and_store_chunk
def held(task):
    deadline = time.time() + 120
    while not release.exists() and time.time() < deadline:
        time.sleep(0.02)
    return original(task)
engine.run_and_store_chunk = held
deadline = time.time() + 120
while not go.exists() and time.time() < deadline:
    time.sleep(0.005)
sys.argv = ["sim", *sys.argv[3:]]
main()
"""

# Starts a local pool of two workers whose chunks hang, each worker leaving its pid in a file.
POOL_PARENT = """
import os, pathlib, sys, time
import sim
from sim.app.config import resolve
from sim.runs.sweep import parse_spec, run_sweep
import sim.runs.sweep as engine
pids = pathlib.Path(sys.argv[2])
def stuck(task):
    (pids / str(os.getpid())).touch()
    time.sleep(120)
engine.run_and_store_chunk = stuck
spec = resolve(sim.compose([]))
sweep = parse_spec({**%r, "backend": "local", "workers": 2})
run_sweep(sweep, {"history": spec.scenario}, spec.params, sys.argv[1], progress=False)
"""


def _poll(condition, timeout: float, every: float = 0.02) -> bool:
    """Whether `condition()` becomes true within `timeout` seconds."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        if condition():
            return True
        time.sleep(every)
    return bool(condition())


def _files(folder: Path) -> dict[str, int]:
    """Every file under a folder with its modification time."""
    return {str(p.relative_to(folder)): p.stat().st_mtime_ns for p in folder.rglob("*") if p.is_file()}


def test_a_second_writer_is_refused_at_once_and_writes_nothing(spec, tmp_path):
    folder = tmp_path / "held"
    other = parse_spec({**SMALL, "backend": "serial"})
    with SweepStore(folder).locked():
        with pytest.raises(UserError, match=f"^another sweep is writing to {folder}$"):
            run_sweep(other, {"history": spec.scenario}, spec.params, folder, progress=False)
        assert _files(folder).keys() == {"sweep.lock"}
    assert _sweep(spec, tmp_path, "held", backend="serial")["run"].nunique() == 12  # released


def test_two_sweeps_started_together_into_one_folder_one_runs_one_is_refused(tmp_path):
    folder, go, release = tmp_path / "contested", tmp_path / "go", tmp_path / "release"
    script = tmp_path / "contender.py"
    script.write_text(CONTENDER)
    seeds = {"a": 1, "b": 2}
    processes = {name: subprocess.Popen(
        [sys.executable, str(script), str(go), str(release), *CLI_SWEEP,
         f"sweep.seeds_per_point={n}", f"sweep.dir={folder}", f"hydra.run.dir={tmp_path / ('out_' + name)}"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=os.environ.copy())
        for name, n in seeds.items()}
    try:
        go.touch()
        assert _poll(lambda: any(p.poll() is not None for p in processes.values()), 120), "neither was refused"
        loser = next(name for name, p in processes.items() if p.poll() is not None)
        release.touch()
        outputs = {name: p.communicate(timeout=120) for name, p in processes.items()}
    finally:
        release.touch()
        for process in processes.values():
            process.kill()
    winner = next(name for name in seeds if name != loser)
    assert processes[loser].returncode == 2 and processes[winner].returncode == 0, outputs
    assert outputs[loser][1].strip().splitlines() == [f"error: another sweep is writing to {folder}"]
    manifest = json.loads((folder / "manifest.json").read_text())
    runs = 2 * seeds[winner]
    assert manifest["spec"]["seeds_per_point"] == seeds[winner] and manifest["runs"] == runs
    assert sorted(p.name for p in (folder / "parts").iterdir()) == [f"part-{i:05d}.parquet" for i in range(runs)]
    table = SweepStore(folder).timeseries()
    assert sorted(table["run"].unique()) == list(range(runs))
    assert (pd.read_parquet(folder / "runs.parquet")["status"] == "done").all()


def test_a_folder_with_parts_but_no_manifest_is_refused(spec, tmp_path):
    _sweep(spec, tmp_path, "orphan", backend="serial")
    folder = tmp_path / "orphan"
    (folder / "manifest.json").unlink()
    before = _files(folder)
    other = parse_spec({**SMALL, "seeds_per_point": 4, "backend": "serial"})
    with pytest.raises(UserError, match=f"^{folder} holds parts but no manifest.json"):
        run_sweep(other, {"history": spec.scenario}, spec.params, folder, progress=False)
    assert _files(folder) == before


def test_a_truncated_or_corrupt_part_is_reported_rerun_and_the_table_is_exact(spec, tmp_path, caplog):
    clean = _sweep(spec, tmp_path, "clean", backend="serial")
    _sweep(spec, tmp_path, "damaged", backend="serial")
    parts = sorted((tmp_path / "damaged" / "parts").iterdir())
    truncated, corrupt = parts[0], parts[2]
    truncated.write_bytes(truncated.read_bytes()[: truncated.stat().st_size // 2])
    data = bytearray(corrupt.read_bytes())
    data[len(data) // 2] ^= 0xFF
    corrupt.write_bytes(bytes(data))
    with caplog.at_level(logging.WARNING, logger="sim.runs.sweep"):
        resumed = _sweep(spec, tmp_path, "damaged", backend="serial")
    warned = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warned) == 2 and all("\n" not in line for line in warned), warned
    assert truncated.name in warned[0] and "truncated" in warned[0]
    assert corrupt.name in warned[1] and "SHA-256" in warned[1]
    pd.testing.assert_frame_equal(resumed, clean)
    ledger = json.loads((tmp_path / "damaged" / "ledger.json").read_text())
    assert ledger == {str(int(p.stem.split("-")[1])): file_digest(p) for p in parts}


def _alive(pid: int) -> bool:
    """Whether a process exists and is not a zombie."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except (OSError, IndexError):
        return False


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="parent-death signal is Linux-only")
def test_local_workers_exit_when_the_sweep_process_is_killed(tmp_path):
    pids = tmp_path / "pids"
    pids.mkdir()
    script = tmp_path / "pool_parent.py"
    script.write_text(POOL_PARENT % (SMALL,))
    parent = subprocess.Popen([sys.executable, str(script), str(tmp_path / "sweep"), str(pids)],
                              env=os.environ.copy())
    workers: list[int] = []
    try:
        assert _poll(lambda: len(list(pids.iterdir())) >= 2, 120), "the workers never started a chunk"
        workers = [int(p.name) for p in pids.iterdir()]
        assert all(_alive(pid) for pid in workers)
        parent.send_signal(signal.SIGKILL)
        parent.wait(timeout=30)
        assert _poll(lambda: not any(_alive(pid) for pid in workers), 10), "workers outlived their parent"
    finally:
        parent.kill()
        for pid in filter(_alive, workers):
            os.kill(pid, signal.SIGKILL)
