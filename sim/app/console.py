"""What the tasks print: tables that fit the terminal, and a sweep's closing summary.

Printed tables fit `COLUMNS` (100) columns: long texts are shortened and wide tables are
cut into blocks of columns (pandas' `line_width`); the full tables are in the files each
task writes, which the printed text names.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

#: Width of everything the tasks print.
COLUMNS = 100
#: A printed text cell's longest width (longer ones end in "...").
CELL_WIDTH = 40
#: Design points a sweep's summary shows (the rest are in runs_summary.parquet).
SHOWN_POINTS = 12
#: Reporters a sweep's summary shows per point.
SHOWN_REPORTERS = 4


def console_table(frame: pd.DataFrame, width: int = COLUMNS, cell_width: int = CELL_WIDTH, **options: Any) -> str:
    """`frame.to_string(index=False, **options)` fitted to `width` columns: text cells
    longer than `cell_width` shortened, columns that do not fit wrapped into further
    blocks, each under its own header."""
    shown = frame.copy()
    for column in shown.columns:
        if shown[column].dtype == object:
            shown[column] = [_shorten(value, cell_width) for value in shown[column]]
    text = shown.to_string(index=False, line_width=width, **options)
    return "\n".join(line.rstrip(" \\") if len(line) > width else line for line in text.splitlines())


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
