"""User-facing errors and the faults the command line reports in one line.

Every mistake a user can make in a config, an override or a scenario file ends in one
`InputError`, whose message is a single line naming the file, the field, the offending
value and what is allowed. The command-line entry point prints that line and exits
non-zero without a traceback. Other problems the user must resolve (a sweep folder held by
another sweep, or one that is not a sweep store) are a `UserError`, printed the same way.

`fault_report` is the one place that turns an expected fault into that line and an exit
status of its class (see `EXIT_STATUS`), and `exit_for` prints it and exits; anything else
is a bug and keeps its traceback.
"""

from __future__ import annotations

import errno
import sys
from typing import Any, NoReturn

#: Exit status of each fault class (the non-zero ones follow BSD sysexits and the shell).
EXIT_STATUS = {
    "input": 2,          # a wrong value in a config, an override or a data file
    "data": 65,          # an input file that cannot be read as what it should be (EX_DATAERR)
    "network": 69,       # a service (a Dask scheduler) that cannot be reached (EX_UNAVAILABLE)
    "worker": 71,        # a worker process that died as it ran (killed, out of memory) (EX_OSERR)
    "io": 74,            # reading or writing a file failed: disk full, no permission (EX_IOERR)
    "interrupted": 130,  # Ctrl-C (128 + SIGINT)
}


class UserError(ValueError):
    """A problem the user must resolve; the message is one self-contained line."""

    exit_status = EXIT_STATUS["input"]

    def __init__(self, message: str) -> None:
        super().__init__(" ".join(str(message).split()))


class InputError(UserError):
    """A user-supplied value is invalid; the message is one self-contained line."""

    def __init__(self, source: str, field: str, value: Any, allowed: str) -> None:
        self.source = source
        self.field = field
        self.value = value
        self.allowed = allowed
        shown = repr(value) if not isinstance(value, str) else f"'{value}'"
        message = f"{source}: {field} = {shown} is invalid; allowed: {allowed}"
        super().__init__(message)


class DataError(InputError):
    """An input file that cannot be read as what it should be (its encoding, a corrupt or
    truncated table): named like an `InputError`, with the data exit status."""

    exit_status = EXIT_STATUS["data"]


class NetworkError(UserError):
    """A service the run needs (a Dask scheduler) cannot be reached."""

    exit_status = EXIT_STATUS["network"]


class WorkerLost(UserError):
    """A worker process died as it ran (killed, or out of memory): the work it held is lost,
    what was finished is kept (a sweep or calibration resumes when run again)."""

    exit_status = EXIT_STATUS["worker"]

    def __init__(self, what: str) -> None:
        super().__init__(f"{what}; allowed: workers that finish their work (fewer workers use less memory; "
                         "a sweep or calibration resumes where it stopped when run again)")


_IO_REASONS = {errno.ENOSPC: "the disk is full", errno.EDQUOT: "the disk quota is exceeded",
               errno.EACCES: "permission denied", errno.EPERM: "permission denied",
               errno.EROFS: "the file system is read-only", errno.ENOTDIR: "a part of the path is a file",
               errno.EISDIR: "it is a folder", errno.ENOENT: "no such file or folder"}


def _io_line(error: OSError) -> str:
    """`file: reason` for a failed read or write, with what to do."""
    where = error.filename or "a file"
    reason = _IO_REASONS.get(error.errno or 0, error.strerror or type(error).__name__)
    return (f"{where}: reading or writing failed ({reason}); allowed: a readable input and a "
            f"writable output folder with free space (nothing of this run was kept)")


def fault_report(error: BaseException) -> tuple[str, int] | None:
    """One line and the exit status for an expected fault (user mistake, unreadable or
    unwritable file, unreachable service, Ctrl-C); None for anything else (a bug)."""
    if isinstance(error, UserError):
        return str(error), error.exit_status
    if isinstance(error, KeyboardInterrupt):
        return ("interrupted (Ctrl-C); nothing of this run was kept (a sweep resumes where it "
                "stopped when run again)"), EXIT_STATUS["interrupted"]
    if isinstance(error, (ConnectionError, TimeoutError)):
        return f"network: {error}; allowed: a reachable service", EXIT_STATUS["network"]
    if isinstance(error, OSError):
        return _io_line(error), EXIT_STATUS["io"]
    return None


def exit_for(error: BaseException) -> NoReturn:
    """Exit with an expected fault's one line on stderr and its status (`fault_report`);
    re-raise anything else, so a bug keeps its traceback."""
    report = fault_report(error)
    if report is None:
        raise error
    print(f"error: {report[0]}", file=sys.stderr)
    _forget_escaped_interrupt()
    raise SystemExit(report[1]) from None


def _forget_escaped_interrupt() -> None:
    """Keep the exit status the one the fault names. CPython marks a KeyboardInterrupt
    that escaped source text run by `exec` (numba execs generated source while it loads
    the model's kernels, so a Ctrl-C often lands there) and, once the interpreter has
    finished, kills the process by SIGINT instead of returning its status (a caller then
    sees -2, not 130); running any source text clears that mark."""
    exec("")
