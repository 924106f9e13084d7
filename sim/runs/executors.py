"""Executors: where a sweep's chunks and a calibration's particle groups run.

Each backend (`serial`, `local` processes, `dask`) is a class with a lifecycle, chosen by
name from `EXECUTORS`: entering it starts its workers or connects its client, leaving it
always shuts them down (a Dask client and its LocalCluster are closed even on an error or
Ctrl-C inside the block), so a caller holds one set of workers for a whole sweep or
calibration. Inside, `completed` runs a work function over tasks and yields each result as
it comes, `map` yields them in the tasks' order; both keep at most a few tasks per worker in
flight, so a plan of any size streams through bounded memory. A result depends only on its
task, never on the backend, the worker count or the order tasks finish in.
"""

from __future__ import annotations

import ctypes
import gc
import logging
import multiprocessing
import os
import re
import signal
import sys
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, BrokenExecutor, CancelledError, Future, ProcessPoolExecutor, wait
from contextlib import ExitStack, contextmanager
from types import TracebackType
from typing import Any, ClassVar

from sim.checks import choices
from sim.errors import NetworkError, WorkerLost
from sim.io.store import held_locks

PR_SET_PDEATHSIG = 1  # <linux/prctl.h>
#: A Dask scheduler address: tcp, tls, ucx, ws or wss, a host (name, IPv4 or [IPv6]) and a port.
SCHEDULER_ADDRESS = re.compile(r"^((tcp|tls|ucx|wss?)://)?([\w.-]+|\[[0-9A-Fa-f:]+\]):\d{1,5}$")
#: Seconds to wait for a Dask scheduler to answer before giving up (Dask's default is 30).
SCHEDULER_TIMEOUT = 5
#: Tasks in flight per worker: enough to keep every worker busy, few enough to bound memory.
TASKS_PER_WORKER = 2

Work = Callable[[Any], Any]


class Executor(ABC):
    """A backend with a lifecycle: `with EXECUTORS[name](workers, scheduler) as executor:`
    starts it, `executor.completed(work, tasks)` / `executor.map(work, tasks)` run `work` on
    every task, and leaving the block shuts it down, however the block ends."""

    #: The backend's name in the config (`sweep.backend`, `calibrate.backend`).
    name: ClassVar[str]

    def __init__(self, workers: int = 1, scheduler: str | None = None) -> None:
        self.workers = max(1, workers)
        self.scheduler = scheduler

    def __enter__(self) -> Executor:
        try:
            self.start()
        except BaseException as error:  # a half-started executor: release what did start
            self.close(error)
            raise
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.close(error)

    def start(self) -> None:
        """Start workers or connect a client (nothing by default)."""

    def close(self, error: BaseException | None = None) -> None:
        """Shut down what `start` started; `error` is what ended the block, if anything."""

    @abstractmethod
    def completed(self, work: Work, tasks: Iterable[Any]) -> Iterator[Any]:
        """Run `work` on each task, yielding each result as it completes (in any order)."""

    def map(self, work: Work, tasks: Iterable[Any]) -> Iterator[Any]:
        """Run `work` on each task, yielding the results in the order of `tasks`."""
        done: dict[int, Any] = {}
        following = 0
        for index, result in self.completed(_Numbered(work), enumerate(tasks)):
            done[index] = result
            while following in done:
                yield done.pop(following)
                following += 1


class SerialExecutor(Executor):
    """Every task in this process, one after the other (no workers to start)."""

    name = "serial"

    def completed(self, work: Work, tasks: Iterable[Any]) -> Iterator[Any]:
        for task in tasks:
            yield work(task)


class LocalExecutor(Executor):
    """A pool of `workers` local processes (forked on Linux), which exit with their parent."""

    name = "local"

    def __init__(self, workers: int = 1, scheduler: str | None = None) -> None:
        super().__init__(workers, scheduler)
        self.pool: ProcessPoolExecutor | None = None

    def start(self) -> None:
        gc.freeze()  # forked workers then leave the parent's objects alone (no copy-on-write by their GC)
        self.pool = ProcessPoolExecutor(max_workers=self.workers, mp_context=_worker_context(),
                                        initializer=_init_worker, initargs=(os.getpid(),))

    def close(self, error: BaseException | None = None) -> None:
        try:
            if self.pool is not None:
                self.pool.shutdown(wait=True, cancel_futures=error is not None)
                self.pool = None
        finally:
            gc.unfreeze()

    def completed(self, work: Work, tasks: Iterable[Any]) -> Iterator[Any]:
        pool = _started(self.pool, self.name)
        try:
            yield from _bounded(lambda task: pool.submit(work, task), tasks, TASKS_PER_WORKER * self.workers,
                                lambda pending: wait(pending, return_when=FIRST_COMPLETED).done)
        except BrokenExecutor:
            raise WorkerLost("a local worker process died as it ran (killed, or out of memory)") from None


class DaskExecutor(Executor):
    """A Dask client: of the cluster at `scheduler` (a `NetworkError` if it does not answer
    within SCHEDULER_TIMEOUT seconds), or of a LocalCluster of `workers` single-threaded
    processes started for the block (whose logs show only critical messages unless
    `distributed` logs at INFO: verbose=true)."""

    name = "dask"

    def __init__(self, workers: int = 1, scheduler: str | None = None) -> None:
        super().__init__(workers, scheduler)
        self.client: Any = None
        self._resources = ExitStack()

    def start(self) -> None:
        from distributed import Client, LocalCluster
        verbose = logging.getLogger("distributed").getEffectiveLevel() <= logging.INFO
        if not verbose:  # a lost scheduler is one line of ours, not Dask's reconnection tracebacks
            for name in ("distributed", "distributed.client"):  # Dask's config sets the client's level apart
                self._resources.enter_context(_log_level(name, logging.CRITICAL))
        if self.scheduler is not None:
            self.client = self._resources.enter_context(_remote_client(self.scheduler))
            return
        with _ignoring_ctrl_c():  # the workers inherit it: Ctrl-C stops the caller, which stops them
            cluster = LocalCluster(n_workers=self.workers, threads_per_worker=1, processes=True,
                                   dashboard_address=None, silence_logs=False if verbose else logging.CRITICAL,
                                   # the scheduler's HTTP server on a free local port, not 8787
                                   scheduler_kwargs={"dashboard_address": "127.0.0.1:0"})
        self._resources.enter_context(cluster)
        self.client = self._resources.enter_context(Client(cluster))

    def close(self, error: BaseException | None = None) -> None:
        interrupted = isinstance(error, KeyboardInterrupt)
        if interrupted:  # Dask's warnings while it kills busy workers are noise then
            logging.getLogger("distributed").setLevel(logging.ERROR)
        self.client = None
        with _without_slow_exit_warnings():
            self._resources.close()  # gives back the level the block had (`_log_level`)
        if interrupted:  # and after it, as the killed workers go
            logging.getLogger("distributed").setLevel(logging.ERROR)

    def completed(self, work: Work, tasks: Iterable[Any]) -> Iterator[Any]:
        from distributed import wait as dask_wait
        from distributed.scheduler import KilledWorker
        client = _started(self.client, self.name)
        try:
            yield from _bounded(lambda task: client.submit(work, task, pure=False), tasks,
                                TASKS_PER_WORKER * self.workers,
                                lambda pending: dask_wait(pending, return_when="FIRST_COMPLETED").done)
        except KilledWorker:
            raise WorkerLost("Dask workers died as they ran a task (killed, or out of memory)") from None
        except (OSError, CancelledError) as error:
            if not type(error).__module__.startswith(("distributed", "tornado", "concurrent")):
                raise  # a file error of the work itself
            where = f"'{self.scheduler}'" if self.scheduler else "of the local cluster"
            raise NetworkError(f"network: the Dask scheduler {where} was lost as the work ran "
                               f"({type(error).__name__}); allowed: a scheduler that stays reachable (a sweep or "
                               "calibration resumes where it stopped when run again)") from None


#: What a Dask nanny logs when a worker it closes takes longer than its wait (a loaded machine):
#: the worker is killed then, after its results were written and recorded, so it is noise.
SLOW_EXIT = "Worker process still alive"


class _SlowExitFilter(logging.Filter):
    """Drops the nanny's `SLOW_EXIT` lines unless `distributed` logs at INFO (verbose=true)."""

    def filter(self, record: logging.LogRecord) -> bool:
        verbose = logging.getLogger("distributed").getEffectiveLevel() <= logging.INFO
        return verbose or not record.getMessage().startswith(SLOW_EXIT)


@contextmanager
def _without_slow_exit_warnings() -> Iterator[None]:
    """While a LocalCluster closes, its nannies' `SLOW_EXIT` warnings are not shown."""
    nanny, quiet = logging.getLogger("distributed.nanny"), _SlowExitFilter()
    nanny.addFilter(quiet)
    try:
        yield
    finally:
        nanny.removeFilter(quiet)


#: The backends by name: every caller chooses its executor here.
EXECUTORS: dict[str, type[Executor]] = {cls.name: cls for cls in (SerialExecutor, LocalExecutor, DaskExecutor)}
#: The backend names, in the order the docs list them.
BACKENDS = tuple(EXECUTORS)
Backend = choices("Backend", BACKENDS, __name__, "Where a sweep or calibration runs (`EXECUTORS`).")


def executor(backend: str, workers: int = 1, scheduler: str | None = None) -> Executor:
    """The (not yet started) executor of a backend named in `EXECUTORS`."""
    return EXECUTORS[backend](workers, scheduler)


class _Numbered:
    """`work` on a numbered task, returning the number with the result (picklable, so it
    crosses to process and Dask workers when `work` does)."""

    def __init__(self, work: Work) -> None:
        self.work = work

    def __call__(self, item: tuple[int, Any]) -> tuple[int, Any]:
        index, task = item
        return index, self.work(task)


def _started(handle: Any, name: str) -> Any:
    """The pool or client of a started executor; running work outside its `with` is a bug."""
    if handle is None:
        raise RuntimeError(f"the {name} executor runs work only inside its `with` block")
    return handle


@contextmanager
def _log_level(name: str, level: int) -> Iterator[None]:
    """The logger `name` at `level` inside the block, at its own level again after it."""
    logger = logging.getLogger(name)
    saved = logger.level
    logger.setLevel(level)
    try:
        yield
    finally:
        logger.setLevel(saved)


@contextmanager
def _remote_client(scheduler: str) -> Iterator[Any]:
    """A client of a running Dask scheduler, closed when the block ends."""
    from distributed import Client
    try:
        client = Client(scheduler, timeout=SCHEDULER_TIMEOUT)
    except OSError as error:
        reason = (str(error).splitlines() or [type(error).__name__])[0]
        raise NetworkError(f"config: the Dask scheduler '{scheduler}' (sweep.scheduler or calibrate.scheduler) "
                           f"did not answer within {SCHEDULER_TIMEOUT} s ({reason}); allowed: the address of a "
                           "running Dask scheduler") from None
    with client:
        yield client


@contextmanager
def _ignoring_ctrl_c() -> Iterator[None]:
    """Ignore SIGINT while processes are started (they inherit it), in the main thread."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _worker_context() -> multiprocessing.context.BaseContext:
    """Fork local workers on Linux (the platform default, which importing mesa.batchrunner
    switches to spawn process-wide): a forked worker starts in milliseconds, a spawned
    one re-imports numpy, pandas, Mesa and the model (about 1.5 s here). Elsewhere spawn."""
    return multiprocessing.get_context("fork" if sys.platform.startswith("linux") else "spawn")


def _init_worker(parent: int) -> None:
    """Start a local worker: let go of the folder locks a forked worker inherits (the
    coordinating process alone holds them), and exit when the parent dies."""
    locks = held_locks()
    for handle in locks:
        try:
            os.close(handle)
        except OSError:
            pass
    locks.clear()
    _exit_with_parent(parent)


def _exit_with_parent(parent: int) -> None:
    """Best effort, Linux only: have the kernel SIGKILL this process when its parent dies
    (prctl PR_SET_PDEATHSIG), or else poll the parent's pid from a daemon thread; either way
    exit at once if the parent is already gone. Elsewhere, nothing."""
    if not sys.platform.startswith("linux"):
        return
    try:
        armed = ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0) == 0
    except (OSError, AttributeError):
        armed = False
    if not armed:
        threading.Thread(target=_watch_parent, args=(parent,), daemon=True, name="parent-watch").start()
    if os.getppid() != parent:
        os._exit(1)


def _watch_parent(parent: int, every: float = 0.5) -> None:
    """Exit this process as soon as its parent is no longer `parent`."""
    while os.getppid() == parent:
        time.sleep(every)
    os._exit(1)


def _bounded(submit: Callable[[Any], Future], tasks: Iterable[Any], window: int,
             wait_for: Callable[[set[Future]], set[Future]]) -> Iterator[Any]:
    """Keep at most `window` tasks in flight; yield each result as its future completes.

    `wait_for(pending)` blocks until at least one future is done and returns the done ones.
    """
    pending: set[Future] = set()
    for task in tasks:
        pending.add(submit(task))
        while len(pending) >= window:
            for future in set(wait_for(pending)):
                pending.discard(future)
                yield future.result()
    while pending:
        for future in set(wait_for(pending)):
            pending.discard(future)
            yield future.result()
