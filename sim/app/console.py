"""What the tasks print: tables that fit the terminal, and a sweep's closing summary.

Printed tables fit `COLUMNS` (100) columns: long texts are shortened and wide tables are
cut into blocks of columns (pandas' `line_width`); the full tables are in the files each
task writes, which the printed text names.
"""

from __future__ import annotations

import importlib
import sys
import textwrap
from pathlib import Path
from typing import Any

import pandas as pd

from sim.core.params import Params
from sim.runs.ensemble import run_batch
from sim.scenarios.schema import Scenario

#: Width of everything the tasks print.
COLUMNS = 100
#: A printed text cell's longest width (longer ones end in "...").
CELL_WIDTH = 40
#: Design points a sweep's summary shows (the rest are in runs_summary.parquet).
SHOWN_POINTS = 12
#: Reporters a sweep's summary shows per point.
SHOWN_REPORTERS = 4


def console_table(frame: pd.DataFrame, width: int = COLUMNS, cell_width: int = CELL_WIDTH, wrap: str | None = None,
                  **options: Any) -> str:
    """`frame.to_string(index=False, **options)` fitted to `width` columns: text cells
    longer than `cell_width` shortened, columns that do not fit wrapped into further
    blocks, each under its own header. A `wrap` column (a long text such as a target's
    name) is not shortened but printed last, wrapped within the width left beside the
    other columns."""
    if wrap is not None:
        return _with_wrapped(frame, wrap, width, cell_width, options)
    shown = frame.copy()
    for column in shown.columns:
        if not pd.api.types.is_numeric_dtype(shown[column]) and not pd.api.types.is_bool_dtype(shown[column]):
            shown[column] = [_shorten(value, cell_width) for value in shown[column]]
    text = shown.to_string(index=False, line_width=width, **options)
    return "\n".join(line.rstrip(" \\") if len(line) > width else line for line in text.splitlines())


#: The narrowest a wrapped column may be before the table is cut into blocks instead.
MIN_WRAPPED = 24


def _with_wrapped(frame: pd.DataFrame, column: str, width: int, cell_width: int, options: dict[str, Any]) -> str:
    """The table without `column`, each row followed on the right by `column`'s text wrapped
    to the width left (continued lines indented under it)."""
    rest = console_table(frame.drop(columns=column), width, cell_width, **options).splitlines()
    left = max(map(len, rest)) + 2
    if width - left < MIN_WRAPPED or len(rest) != len(frame) + 1:
        return console_table(frame, width, cell_width, **options)
    lines = [f"{rest[0]:{left}s}{column}"]
    for row, text in zip(rest[1:], frame[column].astype(str)):
        pieces = textwrap.wrap(text, width - left) or [""]
        lines.append(f"{row:{left}s}{pieces[0]}")
        lines += [" " * left + piece for piece in pieces[1:]]
    return "\n".join(lines)


def shown(path: Path) -> Path:
    """`path` as printed: relative to the working directory when inside it (shorter), else as it is."""
    try:
        return Path(path).resolve().relative_to(Path.cwd().resolve())
    except ValueError:
        return Path(path)


def _shorten(value: Any, width: int) -> Any:
    """A text longer than `width` cut to `width` characters, ending in '...'."""
    if isinstance(value, str) and len(value) > width:
        return value[:width - 3] + "..."
    return value


def key_reporters(summary: pd.DataFrame, parameters: list[str]) -> list[str]:
    """The reporters of a runs_summary a sweep's summary shows: each institution's cohesion
    and the per-state engagements, else the first reporters (at most `SHOWN_REPORTERS`)."""
    reporters = [c for c in summary.columns if "." in c and c not in parameters]
    preferred = [c for c in reporters if c.endswith(".cohesion") or ".engagement." in c]
    return (preferred or reporters)[:SHOWN_REPORTERS]


def sweep_outcomes(summary: pd.DataFrame, parameters: list[str]) -> str:
    """A sweep's closing summary: per scenario and design point, the swept parameters'
    values, the number of finished runs and the mean of the key reporters over them."""
    reporters = key_reporters(summary, parameters)
    if summary.empty or not reporters:
        return "Outcomes: no finished runs with reporters yet"
    keys = [c for c in ("scenario", "point") if c in summary]
    table = summary.groupby(keys, sort=True).agg(
        **{name: (name, "first") for name in parameters if name in summary},
        runs=("run", "size"), **{name: (name, "mean") for name in reporters}).reset_index()
    table = table.drop(columns=[c for c in ("scenario",) if summary["scenario"].nunique() == 1 and c in table])
    shown = table.head(SHOWN_POINTS)
    more = len(table) - len(shown)
    title = "Outcomes per design point (final-quarter means over its runs; all reporters: runs_summary.parquet):"
    tail = [f"... {more} more points in runs_summary.parquet"] if more else []
    formats = {**{name: "{:g}".format for name in parameters}, **{name: "{:.3f}".format for name in reporters}}
    return "\n".join([title, console_table(shown, formatters=formats), *tail])


#: The modules whose numba kernels compile on first use.
KERNEL_MODULES = ("sim.core.decisions", "sim.core.institutions", "sim.core.metrics", "sim.core.processes")
#: The line printed (on stderr) while the kernels compile.
COMPILE_NOTICE = ("note: compiling the model's kernels on first use (numba; once per machine and code version, "
                  "20-60 s)")


def uncompiled_kernels(modules: tuple[str, ...] = KERNEL_MODULES) -> list[str]:
    """The model's numba kernels without a valid entry in numba's cache (none yet, or one
    left stale by an edit of their file): what the next run compiles. Read from numba's
    cache index; a numba whose cache cannot be read this way counts every kernel as cached
    (no notice rather than a wrong one)."""
    from numba.core.dispatcher import Dispatcher
    missing = []
    for name in modules:
        module = importlib.import_module(name)
        for attribute, value in vars(module).items():
            if not isinstance(value, Dispatcher) or value.py_func.__module__ != name:
                continue
            try:
                cached = bool(value._cache._cache_file._load_index())
            except (AttributeError, OSError):
                cached = True
            if not cached:
                missing.append(f"{name}.{attribute}")
    return missing


def compile_kernels(scenario: Scenario, params: Params) -> None:
    """If kernels would compile, say so in one line on stderr and compile them here, with
    one run of `scenario`: local workers forked afterwards inherit them, and later
    processes (Dask's workers too) load them from numba's cache."""
    if not uncompiled_kernels():
        return
    print(COMPILE_NOTICE, file=sys.stderr, flush=True)
    run_batch(scenario, [(params, 0)])


def wrapped(text: str, width: int = COLUMNS) -> str:
    """`text` with each of its lines longer than `width` wrapped (continued lines indented
    like the line's start), for titles and notes printed above tables."""
    lines = []
    for line in text.split("\n"):
        indent = " " * (len(line) - len(line.lstrip()))
        lines += textwrap.wrap(line, width, subsequent_indent=indent) if len(line) > width else [line]
    return "\n".join(lines)
