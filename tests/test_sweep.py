"""The experiment engine: backends agree, interrupted sweeps resume exactly, specs are guarded."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from sim.errors import InputError
from sim.runs.sweep import parse_spec, run_sweep

SMALL = {"name": "small", "scenarios": ["history"], "design": "grid",
         "parameters": {"rally_gain": {"values": [0.5, 2.0]}, "memory": {"values": [8.0, 12.0]}},
         "seeds_per_point": 3, "metrics": ["cohesion", "UZB:engagement.CSTO"], "chunk_size": 4}


def _sweep(spec, tmp_path: Path, name: str, **engine) -> pd.DataFrame:
    sweep = parse_spec({**SMALL, **engine})
    store = run_sweep(sweep, {"history": spec.scenario}, spec.params, tmp_path / name, progress=False)
    return store.timeseries()


def test_serial_local_and_dask_give_identical_tables(spec, tmp_path):
    serial = _sweep(spec, tmp_path, "serial", backend="serial")
    local = _sweep(spec, tmp_path, "local", backend="local", workers=2)
    dask = _sweep(spec, tmp_path, "dask", backend="dask", workers=2)
    assert serial["run"].nunique() == 12
    pd.testing.assert_frame_equal(serial, local)
    pd.testing.assert_frame_equal(serial, dask)


def test_a_different_spec_in_the_same_folder_is_refused(spec, tmp_path):
    _sweep(spec, tmp_path, "guarded", backend="serial")
    changed = parse_spec({**SMALL, "seeds_per_point": 4, "backend": "serial"})
    with pytest.raises(InputError, match="manifest.json: spec_hash"):
        run_sweep(changed, {"history": spec.scenario}, spec.params, tmp_path / "guarded", progress=False)


def test_rerunning_a_finished_sweep_runs_nothing(spec, tmp_path):
    first = _sweep(spec, tmp_path, "again", backend="serial")
    stamps = {p: p.stat().st_mtime_ns for p in (tmp_path / "again" / "parts").iterdir()}
    second = _sweep(spec, tmp_path, "again", backend="serial")
    assert stamps == {p: p.stat().st_mtime_ns for p in (tmp_path / "again" / "parts").iterdir()}
    pd.testing.assert_frame_equal(first, second)


def test_a_resumed_sweep_keeps_its_first_chunking(spec, tmp_path):
    """Resuming with another chunk size or worker count neither skips nor repeats runs."""
    whole = _sweep(spec, tmp_path, "whole", backend="serial")
    _sweep(spec, tmp_path, "resumed", backend="serial")
    parts = sorted((tmp_path / "resumed" / "parts").iterdir())
    for part in parts[1::2]:
        part.unlink()
    resumed = _sweep(spec, tmp_path, "resumed", backend="local", workers=2, chunk_size=0)
    assert len(list((tmp_path / "resumed" / "parts").iterdir())) == len(parts)
    pd.testing.assert_frame_equal(whole, resumed)
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "whole" / "runs_summary.parquet"),
                                  pd.read_parquet(tmp_path / "resumed" / "runs_summary.parquet"))


def test_a_sweep_summarises_each_run_from_its_parts(spec, tmp_path):
    series = _sweep(spec, tmp_path, "summary", backend="serial")
    summary = pd.read_parquet(tmp_path / "summary" / "runs_summary.parquet")
    assert list(summary["run"]) == list(range(12)) and list(summary["seed"]) == [0, 1, 2] * 4
    assert list(summary["rally_gain"]) == [0.5] * 6 + [2.0] * 6
    assert list(summary["memory"]) == ([8.0] * 3 + [12.0] * 3) * 2
    assert (summary["trust_gain"] == spec.params.trust_gain).all()               # base values
    last = series[series["step"] == series["step"].max()]
    for column in ("SCO.cohesion", "CSTO.cohesion", "UZB.engagement.CSTO"):
        entity, _, metric = column.partition(".")
        values = last[(last["entity"] == entity) & (last["metric"] == metric)].sort_values("run")["value"]
        assert summary[column].tolist() == values.tolist(), column


def test_automatic_chunks_give_each_worker_several_and_at_most_one_batch():
    from sim.runs.ensemble import BATCH_SIZE
    from sim.runs.sweep import auto_chunk_size
    assert auto_chunk_size(200, 2) == 25
    assert auto_chunk_size(10_000, 2) == BATCH_SIZE
    assert auto_chunk_size(3, 8) == 1


KILLABLE = """
import sys, time
import sim
from sim.app.config import resolve
from sim.runs.sweep import parse_spec, run_sweep
import sim.runs.sweep as engine
spec = resolve(sim.compose([]))
original = engine.run_and_store_chunk
def slow(task):
    result = original(task)
    time.sleep(0.4)
    return result
engine.run_and_store_chunk = slow
sweep = parse_spec({**%r, "backend": "serial"})
run_sweep(sweep, {"history": spec.scenario}, spec.params, sys.argv[1], progress=False)
"""


def test_a_sweep_killed_with_sigkill_resumes_to_identical_tables(spec, tmp_path):
    folder = tmp_path / "killed"
    script = tmp_path / "killable.py"
    script.write_text(KILLABLE % (SMALL,))
    process = subprocess.Popen([sys.executable, str(script), str(folder)], env=os.environ.copy())
    deadline = time.time() + 120
    while time.time() < deadline and len(list((folder / "parts").glob("part-*.parquet"))) < 1:
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait()
    finished = len(list((folder / "parts").glob("part-*.parquet")))
    assert 1 <= finished < 3, "the kill should land part-way"
    (folder / "parts" / ".part-00002.parquet.abc.tmp").write_bytes(b"half a part")  # as a kill mid-write leaves
    resumed = _sweep(spec, tmp_path, "killed", backend="serial")
    clean = _sweep(spec, tmp_path, "clean", backend="serial")
    pd.testing.assert_frame_equal(resumed, clean)
    assert not list((folder / "parts").glob(".*tmp"))
    runs = pd.read_parquet(folder / "runs.parquet")
    assert (runs["status"] == "done").all() and runs["run"].is_unique
    assert list(pd.read_parquet(folder / "runs_summary.parquet")["run"]) == list(range(12))  # rebuilt


def test_morris_screening_of_eight_parameters_end_to_end(tmp_path, monkeypatch, capsys):
    from sim.app.cli import main
    params = ["trust_gain", "memory", "rally_gain", "betrayal_exposure", "w_legitimacy",
              "w_sovereignty", "mandate_cost", "deference"]
    monkeypatch.setattr(sys, "argv", [
        "sim", "task=sensitivity", f"sensitivity.parameters=[{','.join(params)}]",
        "sensitivity.samples=2", "sensitivity.seeds_per_point=2", f"sensitivity.dir={tmp_path / 'runs'}",
        "sweep.backend=serial", "progress=false", f"hydra.run.dir={tmp_path / 'out'}"])
    main()
    assert not (tmp_path / "out").exists()                   # everything is in the sensitivity folder
    table = pd.read_csv(tmp_path / "runs" / "sensitivity.csv")
    assert set(table["parameter"]) == set(params)
    assert len(table) == 8 * 3 and (table["value"] >= 0).all()
    numbers = table[["value", "conf", "sigma", "seed_variance_share"]].to_numpy().ravel()
    assert all(v == float(f"{v:.4g}") for v in numbers)     # rounded to 4 significant digits
    assert (tmp_path / "runs" / "sensitivity.png").stat().st_size > 10_000
    assert table.loc[table["output"] == "UZB:engagement.CSTO@2014-01", "value"].max() > 0


def test_bad_sweep_specs_are_one_line():
    with pytest.raises(InputError, match="sweep.design = 'factorial'"):
        parse_spec({**SMALL, "design": "factorial"})
    with pytest.raises(InputError, match="sweep.parameters.nonsense"):
        parse_spec({**SMALL, "parameters": {"nonsense": {"values": [1]}}})
    with pytest.raises(InputError, match=r"sweep.parameters.memory.values"):
        parse_spec({**SMALL, "parameters": {"memory": {"values": [0.1]}}})
    with pytest.raises(InputError, match="sweep.parameters.memory.high"):
        parse_spec({**SMALL, "design": "lhs", "parameters": {"memory": {"low": 9.0, "high": 8.0}}})
