"""The run folder: refuse one that cannot be written or would write over earlier results
(unless `overwrite=true`, which clears only the files this project writes there: tables,
config.yaml, figures), and leave nothing behind when a run fails."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import yaml

from sim.errors import InputError

#: Files the tasks write into a run folder (figures also as .svg; task=plot under figures/).
RESULT_FILES = (
    "timeseries.parquet", "timeseries.csv", "timeseries_wide.csv", "decisions.parquet", "decisions.csv",
    "runs_summary.parquet", "runs_summary.csv", "compare.parquet", "compare.csv",
    "validation.csv", "quiet_future.csv", "robustness.csv", "robustness_points.csv", "ablation.csv",
    "data_robustness.csv", "data_robustness_points.csv", "time_split.csv", "score_records.csv", "score_summary.csv",
    "score_confusion.csv", "sensitivity.csv", "discover_trajectory.csv", "discover_box.csv",
    *(f"{name}.{ext}" for name in ("cohesion", "compare", "sensitivity", "discover_tradeoff", "discover_box")
      for ext in ("png", "svg")))
FIGURE_STEMS = ("cohesion", "trajectories", "components", "membership_timeline", "trust_heatmap_*",
                "trust_network_*", "phase_diagram", "sensitivity")
#: Tasks that write their results into the run folder (a sweep, sensitivity or calibration writes
#: into its own folder, `sim.io.results`).
WRITING_TASKS = ("run", "validate", "compare", "score", "discover")


#: What a `sweep.name` or `calibrate.name` allows (it names a folder under sweeps/ or calibrations/).
FOLDER_NAMES = ("a folder name without a path: no '/' or '\\', not starting with '.', at most 200 "
                "characters (sweep.dir or calibrate.dir choose another place)")


def check_folder_name(source: str, field: str, name: object) -> str:
    """A name that becomes a folder under a root (`sweeps/<name>`, `calibrations/<name>`):
    refused, in one line, unless it stays inside that root (no separator, no `..`)."""
    text = name if isinstance(name, str) else ""
    if (not text.strip() or "/" in text or "\\" in text or "\0" in text or text.startswith(".")
            or len(text) > 200):
        raise InputError(source, field, name, FOLDER_NAMES)
    return text


def check_writable(folder: Path) -> None:
    """Refuse, in one line, a run folder that is a file or that cannot be created or written."""
    missing = missing_folders(folder)
    existing = missing[-1].parent if missing else folder
    if not existing.is_dir():
        raise InputError("config", "hydra.run.dir", str(folder),
                         f"a folder path ({existing} is a file)")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise InputError("config", "hydra.run.dir", str(folder),
                         f"a folder you can write to ({existing} is read-only for you)")


def _is_our_config(path: Path) -> bool:
    """True for a config.yaml holding this project's provenance (config, seeds, code version)."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return False
    return isinstance(data, dict) and {"config", "seeds", "code_version"} <= set(data)


def our_files(folder: Path) -> list[Path]:
    """The files of `folder` this project wrote: result tables and figures, our config.yaml."""
    found = [folder / name for name in RESULT_FILES if (folder / name).is_file()]
    found += [path for stem in FIGURE_STEMS for ext in ("png", "svg")
              for path in sorted((folder / "figures").glob(f"{stem}.{ext}")) if path.is_file()]
    if _is_our_config(folder / "config.yaml"):
        found.append(folder / "config.yaml")
    return found


def refuse_links(folder: Path, field: str, inside: tuple[str, ...] = ("figures",)) -> None:
    """Refuse, in one line, a results folder holding a symbolic link, directly or in its
    subfolders `inside` (figures/, parts/, ...): a task would write or delete through it,
    in a folder it does not own."""
    for where in (folder, *(folder / name for name in inside)):
        if not where.is_dir():
            continue
        for path in sorted(where.iterdir()):
            if path.is_symlink():
                raise InputError("config", field, str(folder), f"a folder without symbolic links ({path} links "
                                 f"to {os.readlink(path)}; results are written and deleted inside the folder only)")


def prepare(folder: Path, overwrite: bool) -> None:
    """Refuse a run folder that holds a symbolic link, or our results unless `overwrite`,
    in one line; with it, delete our files there (files we did not write are kept)."""
    refuse_links(folder, "hydra.run.dir")
    found = our_files(folder)
    if found and not overwrite:
        raise InputError("config", "hydra.run.dir", str(folder),
                         f"a folder without results of this project (it holds {found[0].name}"
                         f"{f' and {len(found) - 1} more' if len(found) > 1 else ''}), "
                         "or overwrite=true to replace them")
    for path in found:
        path.unlink()


def prepare_multirun(folder: Path, overwrite: bool) -> None:
    """Refuse a multirun folder (`hydra.sweep.dir`) that holds a symbolic link or results of
    this project (in its job folders, or a collected runs_summary), in one line, unless
    `overwrite`; with it, delete them all, so that no job of an earlier multirun is left to
    be mixed with this one's."""
    refuse_links(folder, "hydra.sweep.dir")
    jobs = sorted(path for path in folder.iterdir() if path.is_dir() and our_files(path))
    collected = [folder / name for name in ("runs_summary.parquet", "runs_summary.csv", "collect.yaml")
                 if (folder / name).is_file()]
    if (jobs or collected) and not overwrite:
        held = f"{len(jobs)} job folders with results" if jobs else collected[0].name
        raise InputError("config", "hydra.sweep.dir", str(folder),
                         f"a folder without results of this project (it holds {held}), or overwrite=true "
                         "to replace them")
    for job in jobs:
        refuse_links(job, "hydra.sweep.dir")
    for path in [*collected, *(path for job in jobs for path in our_files(job))]:
        path.unlink()


def missing_folders(folder: Path) -> list[Path]:
    """`folder` and those of its ancestors that do not exist yet, deepest first: what
    creating it creates."""
    missing = []
    for path in (folder, *folder.parents):
        if path.exists() or path.is_symlink():
            break
        missing.append(path)
    return missing


def discard(folder: Path, created: list[Path], results: bool) -> None:
    """After a failed run, leave no folder and no partial results: remove the folders the
    run created (`created`, deepest first, from `missing_folders` before it started) with
    everything in them, ancestors only while empty; in a folder that existed before, delete
    the result files (`results`: for the tasks that write there, which `prepare` found none of)."""
    if folder in created:
        shutil.rmtree(folder, ignore_errors=True)
        for parent in created[1:]:
            try:
                parent.rmdir()
            except OSError:
                break
    elif results and folder.is_dir():
        for path in our_files(folder):
            path.unlink(missing_ok=True)


def remove_if_empty(folder: Path, root: Path) -> None:
    """Remove `folder` if a task left it empty, then its parents while they are empty and
    inside `root` (Hydra's `outputs/<date>/<time>/` of a sweep, whose results are elsewhere)."""
    folder, root = folder.resolve(), root.resolve()
    while folder.is_dir() and not any(folder.iterdir()):
        folder.rmdir()
        folder = folder.parent
        if folder == root or root not in folder.parents:
            return
