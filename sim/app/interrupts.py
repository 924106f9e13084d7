"""Ctrl-C that is never lost.

Python turns SIGINT into a KeyboardInterrupt raised wherever the main thread is. Some
libraries lose it there: llvmlite's ctypes callbacks, through which numba compiles and
loads the model's kernels, print an exception raised inside them and carry on, and C code
that clears errors swallows it silently; the job then ran to its end and exited 0. This
module's handler records every Ctrl-C, re-sends one that arrives inside llvmlite once the
callback is left, and `raise_if_interrupted` raises, at the command line's checkpoints, one
that was swallowed anyway. It imports only the standard library, so `python -m sim` can
install it before the heavy imports.
"""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Callable
from pathlib import Path
from types import FrameType

#: Seconds after which a Ctrl-C that arrived inside llvmlite is sent again.
INTERRUPT_RETRY = 0.05
#: Set by `interrupt` at every Ctrl-C of this job; cleared when `install` starts a new one.
_INTERRUPTED = threading.Event()
#: The re-sends of a Ctrl-C that arrived inside llvmlite, not yet fired.
_RETRIES: list[threading.Timer] = []


def interrupt(signum: int, frame: FrameType | None) -> None:
    """The SIGINT handler: record the Ctrl-C, then raise KeyboardInterrupt as Python's own
    handler does, except inside llvmlite's code, where the signal is sent again
    INTERRUPT_RETRY seconds later."""
    _INTERRUPTED.set()
    while frame is not None:
        if "llvmlite" in Path(frame.f_code.co_filename).parts:
            retry = threading.Timer(INTERRUPT_RETRY, os.kill, (os.getpid(), signum))
            retry.daemon = True
            _RETRIES.append(retry)
            retry.start()
            return
        frame = frame.f_back
    _cancel_retries()
    raise KeyboardInterrupt


def _cancel_retries() -> None:
    """Drop the pending re-sends: the Ctrl-C they carry has been raised (else one would
    fire once the job has put the default handler back, and kill it by the signal instead
    of letting it exit with its one line and status 130)."""
    while _RETRIES:
        _RETRIES.pop().cancel()


def install() -> Callable[[], None]:
    """Make `interrupt` the SIGINT handler (on the main thread, where Python keeps signal
    handlers; elsewhere nothing happens) and return what puts the replaced one back. A new
    job, one not already under `interrupt` (`python -m sim` installs it before its imports),
    starts with no Ctrl-C recorded."""
    if threading.current_thread() is not threading.main_thread():
        return lambda: None
    if signal.getsignal(signal.SIGINT) is not interrupt:
        _INTERRUPTED.clear()
    previous = signal.signal(signal.SIGINT, interrupt)

    def restore() -> None:
        _cancel_retries()
        signal.signal(signal.SIGINT, signal.SIG_DFL if previous is None else previous)
    return restore


def raise_if_interrupted() -> None:
    """Raise KeyboardInterrupt if a Ctrl-C arrived in this job, though some library swallowed
    the one `interrupt` raised."""
    if _INTERRUPTED.is_set():
        _cancel_retries()
        raise KeyboardInterrupt
