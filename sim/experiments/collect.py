"""`task=collect`: the per-run summaries of a Hydra multirun's job folders in one table.

A multirun (`python -m sim -m key=a,b,...`) leaves one folder per job (`0/`, `1/`, ...),
each with its own `runs_summary` table; `collect` stacks them, one row per run of every
job, with the job's folder name in a first column `job`.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from sim.errors import InputError
from sim.io.store import read_table

SUMMARY_FILES = ("runs_summary.parquet", "runs_summary.csv")


def summary_file(folder: Path) -> Path | None:
    """A job folder's runs_summary table (Parquet preferred, else CSV), if any."""
    return next((folder / name for name in SUMMARY_FILES if (folder / name).is_file()), None)


def job_folders(root: Path) -> list[Path]:
    """The folders in `root` holding a runs_summary table: numbered jobs in number order,
    then any others by name."""
    found = [path for path in root.iterdir() if path.is_dir() and summary_file(path)]
    return sorted(found, key=lambda path: (not path.name.isdigit(), int(path.name) if path.name.isdigit() else 0,
                                           path.name))


def collect(root: Path) -> pd.DataFrame:
    """One row per run of every job in `root`: `job` (the folder's name), then the job's
    columns; a column only some jobs have (another scenario's states) is missing elsewhere."""
    jobs = job_folders(root)
    if not jobs:
        raise InputError("config", "results", str(root),
                         "a Hydra multirun folder whose job folders (0/, 1/, ...) hold runs_summary.parquet or .csv")
    frames = [read_table(summary_file(job)).assign(job=job.name) for job in jobs]
    table = pd.concat(frames, ignore_index=True, sort=False)
    return table[["job", *(column for column in table.columns if column != "job")]]
