"""`task=collect`: the per-run summaries of a Hydra multirun's job folders in one table.

A multirun (`python -m sim -m key=a,b,...`) leaves one folder per job (`0/`, `1/`, ...),
each with its own `runs_summary` table; `collect` stacks them, one row per run of every
job, with the job's folder name in a first column `job`. A multirun some of whose jobs
left no table (failed, killed, deleted) is refused unless `allow_partial`; how many jobs
were used, of how many launched (from Hydra's multirun.yaml, else the numbered folders),
is said either way.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import yaml
from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.errors import HydraException

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


def launched_jobs(root: Path) -> int | None:
    """How many jobs the multirun in `root` launched: the product of the sizes of the sweeps
    in its multirun.yaml (Hydra's record of the command), or None without a readable one."""
    try:
        record = yaml.safe_load((root / "multirun.yaml").read_text(encoding="utf-8"))
        overrides = [str(item) for item in record["hydra"]["overrides"]["task"]]
        count = 1
        for override in OverridesParser.create().parse_overrides(overrides):
            if override.is_sweep_override():
                count *= len(list(override.sweep_string_iterator()))
        return count
    except (OSError, UnicodeDecodeError, yaml.YAMLError, TypeError, KeyError, HydraException):
        return None


def collect(root: Path, allow_partial: bool = False) -> tuple[pd.DataFrame, str]:
    """One row per run of every job in `root`: `job` (the folder's name), then the job's
    columns (a column only some jobs have, another scenario's states, is missing
    elsewhere); and a line saying how many jobs of how many were used. A multirun with a
    job that left no table is refused unless `allow_partial`."""
    jobs = job_folders(root)
    if not jobs:
        raise InputError("config", "results", str(root),
                         "a Hydra multirun folder whose job folders (0/, 1/, ...) hold runs_summary.parquet or .csv")
    numbered = [int(path.name) for path in root.iterdir() if path.is_dir() and path.name.isdigit()]
    total = max(launched_jobs(root) or 0, max(numbered, default=-1) + 1, len(jobs))
    line = f"{len(jobs)} of {total} jobs of the multirun in {root}"
    if len(jobs) < total:
        if not allow_partial:
            raise InputError("config", "results", str(root), f"a complete multirun (it holds {len(jobs)} of {total} "
                             "jobs with a runs_summary table), or allow_partial=true to use those")
        line += " (allow_partial=true)"
    frames = [read_table(summary_file(job)).assign(job=job.name) for job in jobs]
    table = pd.concat(frames, ignore_index=True, sort=False)
    return table[["job", *(column for column in table.columns if column != "job")]], line
