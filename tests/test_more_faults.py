"""The remaining faults of issue 23 as one line each, with the status of their class:
an observed file too large or with a record id given twice, a seed too large for the
tables, a worker process that dies, a Dask scheduler lost as the work runs."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from distributed.comm.core import CommClosedError

import sim.runs.sweep
from sim.errors import EXIT_STATUS, NetworkError, WorkerLost, fault_report
from sim.runs.executors import DaskExecutor, LocalExecutor
from sim.analysis.observed import MAX_OBSERVED_BYTES
from tests.test_faults import _fails

OBSERVED = Path(__file__).resolve().parents[1] / "observed" / "history_2001_2018.yaml"


def _score(tmp_path: Path, observed: Path) -> list[str]:
    return ["task=score", f"observed={observed}", "seeds=1", f"hydra.run.dir={tmp_path / 'out'}"]


def test_an_observed_file_over_the_size_limit_is_refused_before_it_is_read(tmp_path, monkeypatch, capsys):
    path = tmp_path / "huge.yaml"
    path.write_text(OBSERVED.read_text() + "#" * MAX_OBSERVED_BYTES)
    line = _fails(monkeypatch, capsys, _score(tmp_path, path), 2)
    assert str(path) in line and "size" in line and "at most 5 MB" in line, line
    assert not (tmp_path / "out").exists()


def test_a_record_id_given_twice_is_refused(tmp_path, monkeypatch, capsys):
    text = OBSERVED.read_text()
    block = text[text.index("  sco_georgia_action:"):text.index("  csto_georgia_action:")]
    path = tmp_path / "twice.yaml"
    path.write_text(text + block.replace("outcome: neutral", "outcome: endorse"))
    line = _fails(monkeypatch, capsys, _score(tmp_path, path), 2)
    assert str(path) in line and "sco_georgia_action" in line and "twice" in line and "line" in line, line
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("seeds", ["[123456789012345678901234]", "[0,9223372036854775808]"])
def test_a_seed_too_large_for_the_tables_is_one_line(seeds, tmp_path, monkeypatch, capsys):
    line = _fails(monkeypatch, capsys, [f"seeds={seeds}", f"hydra.run.dir={tmp_path / 'out'}"], 2)
    assert "seeds" in line and str(2**63 - 1) in line, line
    assert not (tmp_path / "out").exists()


def _die(task: object) -> None:
    os._exit(1)


def test_a_local_worker_that_dies_is_one_line_with_its_status():
    with pytest.raises(WorkerLost) as caught, LocalExecutor(1) as engine:
        list(engine.completed(_die, [1, 2]))
    line, status = fault_report(caught.value)
    assert status == EXIT_STATUS["worker"] == 71 and "worker process died" in line and "\n" not in line


def _dying_chunk(task: object) -> None:
    os._exit(1)


def test_a_sweep_whose_worker_dies_stops_in_one_line(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(sim.runs.sweep, "run_and_store_chunk", _dying_chunk)
    line = _fails(monkeypatch, capsys, ["task=sweep", "sweep.backend=local", "sweep.workers=1",
                                        f"sweep.dir={tmp_path / 'sweep'}", "sweep.seeds_per_point=1",
                                        f"hydra.run.dir={tmp_path / 'out'}"], 71)
    assert "worker process died" in line and "resumes" in line, line


class _LostScheduler:
    """A Dask client whose scheduler has gone: every call fails as Dask's do."""

    def submit(self, *args: object, **kwargs: object) -> None:
        raise CommClosedError("in <TCP (closed) ConnectionPool.submit local=tcp://127.0.0.1:1>: Stream is closed")


def test_a_lost_dask_scheduler_is_a_network_fault():
    engine = DaskExecutor(1, "tcp://127.0.0.1:1")
    engine.client = _LostScheduler()
    with pytest.raises(NetworkError) as caught:
        list(engine.completed(_die, [1]))
    line, status = fault_report(caught.value)
    assert status == EXIT_STATUS["network"] == 69 and "tcp://127.0.0.1:1" in line and "was lost" in line


def test_a_file_error_of_the_work_itself_stays_a_file_error():
    class _DiskFull:
        def submit(self, *args: object, **kwargs: object) -> None:
            raise OSError(28, "No space left on device")
    engine = DaskExecutor(1, "tcp://127.0.0.1:1")
    engine.client = _DiskFull()
    with pytest.raises(OSError) as caught:
        list(engine.completed(_die, [1]))
    assert fault_report(caught.value)[1] == EXIT_STATUS["io"]
