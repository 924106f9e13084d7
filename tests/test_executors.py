"""Executors: chosen by name, results in the tasks' order on every backend, and workers
(a Dask LocalCluster and its client, a process pool) shut down however the block ends."""

from __future__ import annotations

import gc
import logging
import math
import time

import pytest
from distributed.core import Status

from sim.runs.executors import BACKENDS, EXECUTORS, DaskExecutor, LocalExecutor, SerialExecutor, executor


def _late_square(value: int) -> int:
    """The square of `value`, later for small values, so tasks finish out of order."""
    time.sleep(0.05 * (3 - value % 4))
    return value * value


def test_every_backend_is_chosen_by_its_name():
    assert BACKENDS == ("serial", "local", "dask")
    assert [EXECUTORS[name] for name in BACKENDS] == [SerialExecutor, LocalExecutor, DaskExecutor]
    assert isinstance(executor("local", 3), LocalExecutor) and executor("local", 3).workers == 3


@pytest.mark.parametrize("backend, workers", [("serial", 1), ("local", 1), ("local", 3)])
def test_map_yields_results_in_the_order_of_the_tasks(backend, workers):
    with executor(backend, workers) as engine:
        assert list(engine.map(_late_square, range(10))) == [v * v for v in range(10)]
        assert sorted(engine.completed(_late_square, range(10))) == sorted(v * v for v in range(10))


def test_dask_maps_in_order_and_closes_its_cluster_after_an_error_inside_the_block():
    with pytest.raises(ValueError, match="math domain error"):
        with executor("dask", 2) as engine:
            client, cluster = engine.client, engine.client.cluster
            assert list(engine.map(math.sqrt, [0.0, 4.0, 9.0, 16.0])) == [0.0, 2.0, 3.0, 4.0]
            list(engine.map(math.sqrt, [1.0, -1.0]))
    assert client.status == "closed" and cluster.status == Status.closed
    assert engine.client is None


def test_dask_closes_its_cluster_on_ctrl_c_and_quiets_its_warnings(monkeypatch):
    distributed = logging.getLogger("distributed")
    monkeypatch.setattr(distributed, "level", distributed.level)
    with pytest.raises(KeyboardInterrupt):
        with executor("dask", 1) as engine:
            client, cluster = engine.client, engine.client.cluster
            raise KeyboardInterrupt
    assert client.status == "closed" and cluster.status == Status.closed
    assert distributed.level == logging.ERROR


def test_a_local_pool_is_shut_down_and_the_heap_unfrozen_after_an_error():
    with pytest.raises(ZeroDivisionError):
        with executor("local", 2) as engine:
            pool = engine.pool
            assert gc.get_freeze_count() > 0
            list(engine.completed(_late_square, range(4)))
            raise ZeroDivisionError
    assert engine.pool is None and gc.get_freeze_count() == 0
    with pytest.raises(RuntimeError):
        pool.submit(_late_square, 1)


def test_work_outside_the_block_is_refused():
    with pytest.raises(RuntimeError, match="inside its `with` block"):
        list(executor("local", 1).completed(_late_square, [1]))


def test_dask_closes_without_the_slow_worker_exit_warning_and_gives_the_log_level_back(monkeypatch):
    """Not verbose: nothing Dask logs while the executor closes is shown (its slow-exit
    warning included), and after the block Dask's warnings show again; verbose: they all
    show, the slow-exit one too (it is a diagnostic then)."""
    nanny, seen = logging.getLogger("distributed.nanny"), []
    handler = logging.Handler(logging.WARNING)
    handler.emit = lambda record: seen.append(record.getMessage())
    nanny.addHandler(handler)
    slow = "Worker process still alive after 4.0 seconds, killing"
    try:
        for level in (logging.WARNING, logging.INFO):   # not verbose, verbose
            monkeypatch.setattr(logging.getLogger("distributed"), "level", level)
            with executor("dask", 1) as engine:
                engine._resources.callback(nanny.warning, slow)
                engine._resources.callback(nanny.warning, "another warning")
            nanny.warning("after the block")
    finally:
        nanny.removeHandler(handler)
    assert seen == ["after the block", "another warning", slow, "after the block"]
