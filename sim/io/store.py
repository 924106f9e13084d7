"""Storage: atomic writes of result files and the provenance every result carries."""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import os
import platform
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import yaml

from sim.errors import DataError, UserError
from sim.version import __version__

if TYPE_CHECKING:
    from sim.scenarios.schema import Scenario

try:
    import fcntl
except ImportError:  # not POSIX: no folder lock
    fcntl = None

#: Values of `output.format`: the files a task writes each table as.
OUTPUT_FORMATS = ("parquet", "csv", "both", "wide")
#: How a missing number is written in CSV (an empty field is an empty string).
CSV_NAN = "NaN"
_HELD_LOCKS: set[int] = set()  # descriptors of the folder locks this process holds


def write_atomic(path: Path, write: Callable[[Path], None]) -> Path:
    """Write through a temporary file in the same folder, then rename over `path`.

    A crash mid-write leaves no partial file under the final name, and the write is durable:
    the file is flushed to disk (fsync) before the rename, and its folder after it, so a
    power loss cannot leave an empty or partial file under the final name either.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(handle)
    try:
        write(Path(tmp))
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        _fsync(tmp, os.O_RDONLY)
        os.replace(tmp, path)
        if os.name == "posix":  # folders cannot be opened for fsync elsewhere
            _fsync(path.parent, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path


def write_if_changed(path: Path, data: bytes) -> Path:
    """Write `data` to `path` atomically, unless the file already holds exactly these bytes
    (then it is left untouched, modification time included)."""
    if not (path.is_file() and path.read_bytes() == data):
        write_atomic(path, lambda tmp: tmp.write_bytes(data))
    return path


def _fsync(path: str | Path, flags: int) -> None:
    """Flush a file's or a folder's content to disk."""
    handle = os.open(path, flags)
    try:
        os.fsync(handle)
    finally:
        os.close(handle)


def file_digest(path: Path) -> dict[str, Any]:
    """A file's size in bytes and SHA-256 (hex)."""
    digest, size = hashlib.sha256(), 0
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
            size += len(block)
    return {"size": size, "sha256": digest.hexdigest()}


#: The key of this project's record in a Parquet file's metadata (`write_parquet`).
RECORD_KEY = b"sim.record"


def write_parquet(frame: pd.DataFrame, path: Path, record: dict[str, Any] | None = None) -> Path:
    """Atomically write a frame as Parquet (pyarrow), with `record` (plain data: what the
    file is and what made it) as JSON in the file's metadata (`parquet_record` reads it)."""
    if record is None:
        return write_atomic(path, lambda tmp: frame.to_parquet(tmp, engine="pyarrow", index=False))
    table = pa.Table.from_pandas(frame, preserve_index=False)
    metadata = {**(table.schema.metadata or {}), RECORD_KEY: json.dumps(record, sort_keys=True).encode()}
    return write_atomic(path, lambda tmp: pq.write_table(table.replace_schema_metadata(metadata), tmp))


def parquet_record(path: Path) -> dict[str, Any] | None:
    """The record `write_parquet` stored in a Parquet file's metadata, or None if it has none
    (a file written by hand or by other code). An unreadable file is a `DataError`."""
    with reading(path):
        raw = (pq.read_schema(path).metadata or {}).get(RECORD_KEY)
    try:
        record = json.loads(raw) if raw is not None else None
    except ValueError:
        return None
    return record if isinstance(record, dict) else None


#: The first characters that make a spreadsheet read a cell as a formula (CSV injection:
#: `=HYPERLINK(...)`, `=cmd|...`, `+`, `-`, `@`, tab, carriage return).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
#: The end of a CSV line (RFC 4180): a text cell holding a line break of either kind is quoted.
CSV_LINE_END = "\r\n"
#: What escapes a text cell in a CSV: a leading apostrophe, which spreadsheets show as text.
ESCAPE = "'"


def escape_text(value: Any) -> Any:
    """A text cell as written to CSV: with a leading apostrophe when it starts like a formula,
    starts with an apostrophe itself, or reads `NaN` (the missing-number mark), so that no
    spreadsheet runs it and `unescape_text` gives back exactly the text; other values as they are."""
    if isinstance(value, str) and (value.startswith((*FORMULA_PREFIXES, ESCAPE)) or value == CSV_NAN):
        return ESCAPE + value
    return value


def unescape_text(value: Any) -> Any:
    """A text cell as read from a CSV this project wrote: `escape_text` undone."""
    return value[1:] if isinstance(value, str) and value.startswith(ESCAPE) else value


def _text_columns(frame: pd.DataFrame) -> list[str]:
    """The columns of `frame` that may hold text (object, string or categorical)."""
    return [c for c in frame.columns if frame[c].dtype == object or isinstance(
        frame[c].dtype, (pd.CategoricalDtype, pd.StringDtype))]


def write_csv(frame: pd.DataFrame, path: Path, float_format: str | None = None) -> Path:
    """Atomically write a frame as CSV: no index column, dates in ISO 8601, a missing number
    as `NaN` (an empty field is an empty string), floats as `float_format` if given, lines
    ended CRLF (RFC 4180), and text cells and column names safe for spreadsheets (`escape_text`)."""
    safe = frame.rename(columns=escape_text)
    for column in _text_columns(safe):
        safe[column] = safe[column].astype(object).map(escape_text)
    return write_atomic(path, lambda tmp: safe.to_csv(tmp, index=False, na_rep=CSV_NAN, float_format=float_format,
                                                      lineterminator=CSV_LINE_END))


def write_table(frame: pd.DataFrame, base: Path, fmt: str) -> list[Path]:
    """Write a table as `base`.parquet, `base`.csv or both (`fmt`, one of OUTPUT_FORMATS;
    `wide`, which adds a wide time-series table beside the main job's tables, writes Parquet)."""
    suffixes = ("parquet", "csv") if fmt == "both" else ("parquet",) if fmt == "wide" else (fmt,)
    writers = {"parquet": write_parquet, "csv": write_csv}
    return [writers[suffix](frame, base.with_suffix(f".{suffix}")) for suffix in suffixes]


#: What reading a truncated, corrupt or non-table file raises.
UNREADABLE = (pa.ArrowException, pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError)


@contextmanager
def reading(path: Path) -> Iterator[None]:
    """Turn a failure to read `path` as a table (truncated, corrupt, not UTF-8) into a
    one-line `DataError` naming it."""
    try:
        yield
    except UNREADABLE as error:
        reason = (str(error).strip().splitlines() or [type(error).__name__])[0]
        raise DataError(str(path), "file", reason[:200], "a table this project wrote, complete "
                        "(this one is truncated, corrupt or not a table)") from None


def read_table(path: Path, dates: tuple[str, ...] = ()) -> pd.DataFrame:
    """A table written by `write_table`, Parquet or CSV by its suffix; a CSV reads back to the
    Parquet's values (the columns in `dates` as dates, empty strings kept, categories as strings).
    An unreadable file is a `DataError`."""
    with reading(path):
        if path.suffix == ".parquet":
            return pd.read_parquet(path)
        frame = pd.read_csv(path, keep_default_na=False, na_values=[CSV_NAN], parse_dates=list(dates))
    frame = frame.rename(columns=unescape_text)
    for column in _text_columns(frame):
        frame[column] = frame[column].map(unescape_text)
    return frame


def table_columns(path: Path) -> list[str]:
    """The column names of a Parquet or CSV table, read from its footer or header only."""
    with reading(path):
        if path.suffix == ".parquet":
            return list(pq.read_schema(path).names)
        return [unescape_text(name) for name in pd.read_csv(path, nrows=0).columns]


def read_json(path: Path) -> Any:
    """A JSON file's content, or None if it is missing or unreadable."""
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def write_json(data: Any, path: Path) -> Path:
    """Atomically write plain data as indented JSON."""
    return write_atomic(path, lambda tmp: tmp.write_text(json.dumps(data, indent=2), encoding="utf-8"))


class _PlainDumper(yaml.SafeDumper):
    """A safe dumper that writes a value given twice (a posterior draw picked twice) out
    in full each time, not as an anchor and an alias a reader must look up."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def write_yaml(data: Any, path: Path) -> Path:
    """Atomically write plain data as YAML."""
    def dump(tmp: Path) -> None:
        tmp.write_text(yaml.dump(data, Dumper=_PlainDumper, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return write_atomic(path, dump)


#: The libraries whose versions a result records (they can change its numbers or files).
LIBRARIES = ("numpy", "scipy", "pandas", "pyarrow", "mesa", "hydra-core", "omegaconf", "SALib", "dask",
             "distributed", "ema_workbench", "matplotlib")


def library_versions() -> dict[str, str]:
    """Installed versions of LIBRARIES ('not installed' for an optional one that is absent)."""
    versions = {}
    for name in LIBRARIES:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


SOURCE_SUFFIXES = (".py", ".csv", ".yaml", ".md")
#: The package's folder (sim/), whose files `source_digest` reads.
PACKAGE = Path(__file__).resolve().parents[1]


@lru_cache(maxsize=1)
def source_digest() -> str:
    """SHA-256 (16 hex digits) of the package's own files (code and packaged data), by path
    and content: the identity of the code behind a result, the same in any clone or
    install of the same source, whether or not it is committed."""
    package = PACKAGE
    digest = hashlib.sha256()
    for path in sorted(p for p in package.rglob("*") if p.suffix in SOURCE_SUFFIXES and "__pycache__" not in p.parts):
        digest.update(path.relative_to(package).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def code_version() -> dict[str, Any]:
    """Package version, the digest of its source, the Python and library versions and,
    inside a git checkout, the commit and whether it is dirty."""
    root = Path(__file__).resolve().parents[2]
    info: dict[str, Any] = {"package": __version__, "source_digest": source_digest(),
                            "python": platform.python_version(), "libraries": library_versions()}
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True,
                                text=True, timeout=5, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=root,
                               capture_output=True, text=True, timeout=5, check=True).stdout.strip()
        info.update(git_commit=commit, git_dirty=bool(dirty))
    except (OSError, subprocess.SubprocessError):
        info.update(git_commit="unknown", git_dirty=None)
    return info


def provenance(config: dict[str, Any], seeds: list[int]) -> dict[str, Any]:
    """The resolved config together with the seeds and the code version."""
    return {"config": config, "seeds": list(seeds), "code_version": code_version()}


#: The lock file of a folder a task writes into (a run folder, a multirun folder, a results
#: folder `task=plot` or `task=collect` writes into); sweeps and calibrations keep their own.
JOB_LOCK = ".sim.lock"


@contextmanager
def folder_lock(folder: Path, job: str, name: str | None = None, remove: bool = False) -> Iterator[None]:
    """Hold a folder's exclusive lock (flock on `name`, by default `<job>.lock`) until the
    block ends.

    Non-blocking: if another job holds it, raise at once, having written nothing. The
    kernel releases the lock when the holder exits, however it exits. With `remove`, the
    lock file is deleted as the block ends (while still held; a job waiting on the deleted
    file sees that it changed and takes the lock of the new one instead). No lock where
    fcntl is missing (not POSIX).
    """
    path = folder / (name or f"{job}.lock")
    handle = _acquire(folder, path, job)
    _HELD_LOCKS.add(handle)
    try:
        yield
    finally:
        if remove:
            path.unlink(missing_ok=True)
        _HELD_LOCKS.discard(handle)
        os.close(handle)


def _acquire(folder: Path, path: Path, job: str) -> int:
    """The descriptor of `path`, locked: created (with its folder) if missing; a lock file
    that a finishing job removed as this one waited for it is opened anew."""
    for _ in range(20):
        folder.mkdir(parents=True, exist_ok=True)
        try:
            handle = os.open(path, os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), 0o666)
        except FileNotFoundError:  # the folder was removed as it emptied: make it again
            continue
        if fcntl is None:
            return handle
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(handle)
            raise UserError(f"another {job} is writing to {folder}") from None
        if _same_file(handle, path):
            return handle
        os.close(handle)
    raise UserError(f"another {job} is writing to {folder}")


def _same_file(handle: int, path: Path) -> bool:
    """Whether the open `handle` is still the file at `path` (not one removed meanwhile)."""
    try:
        return os.path.samestat(os.fstat(handle), os.stat(path, follow_symlinks=False))
    except FileNotFoundError:
        return False


def held_locks() -> set[int]:
    """The descriptors of the folder locks this process holds (a forked worker closes the
    ones it inherits: the coordinating process alone holds them)."""
    return _HELD_LOCKS


def fingerprint(scenario: "Scenario") -> dict[str, Any]:
    """A plain description of a scenario's content (horizon, institutions, events, cast)."""
    return {"name": scenario.name, "start": scenario.start, "steps": scenario.n_steps,
            "institutions": [{**asdict(spec), "charter": spec.charter.tolist()} for spec in scenario.institutions],
            "events": [{"kind": e.kind, **asdict(e)} for e in scenario.events],
            "cast": {"codes": scenario.cast.codes, "norms": scenario.cast.norms.tolist(),
                     "attributes": {k: v.tolist() for k, v in scenario.cast.attributes.items()},
                     "relations": {k: v.tolist() for k, v in scenario.cast.relations.items()}}}


def spec_hash(identity: dict[str, Any], base: dict[str, Any], scenarios: dict[str, Any]) -> str:
    """A short hash of everything that determines a stored result's numbers (a sweep's or
    a calibration's spec, the base parameters, the scenarios' fingerprints)."""
    text = json.dumps({"spec": identity, "base": base, "scenarios": scenarios}, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]
