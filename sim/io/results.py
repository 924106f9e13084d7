"""The results root: where every task writes by default, and its `latest` links.

Everything a task writes goes under one root, `results/` in the working directory:
a task's timestamped folder (`results/run/2026-11-28_10-00-00/`, `results/validate/...`)
and the analysis folders named by what they contain, a readable name plus the hash of
the spec that determines their numbers (`results/sweeps/rally_memory_grid-1a2b3c4d/`,
`results/sensitivity/morris-.../`, `results/calibrations/default-.../`), so that
changing a setting gives a new folder and re-running the same spec finds (and resumes)
the old one. After each successful task, `results/<kind>/latest` is a symbolic link to
the folder it wrote, and `latest` is accepted wherever a folder is asked for
(`results=latest`, `posterior=latest`).
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from sim.errors import InputError

#: The results root, relative to the working directory.
ROOT = Path("results")
#: The name of the link to each kind's newest folder.
LATEST = "latest"
#: The folder of each task (and of Hydra multiruns) under the root; unlisted tasks use their name.
KIND_FOLDERS = {"sweep": "sweeps", "calibrate": "calibrations", "multirun": "multirun"}
#: Characters of a spec's hash in a folder's name.
HASH_CHARACTERS = 8


def kind_folder(kind: str) -> Path:
    """The folder of a task's (or `multirun`'s) results under the root in the working directory."""
    return Path.cwd() / ROOT / KIND_FOLDERS.get(kind, kind)


def named_folder(kind: str, name: str, digest: str) -> Path:
    """An analysis folder named by what it holds: `results/<kind>/<name>-<hash>` (the name
    made safe for a file system, the hash shortened to `HASH_CHARACTERS`)."""
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._") or kind
    return kind_folder(kind) / f"{safe}-{digest[:HASH_CHARACTERS]}"


def timestamped_folder(kind: str, when: datetime | None = None) -> Path:
    """A task's folder for one run, `results/<kind>/<YYYY-MM-DD_HH-MM-SS>` (relative), with
    `_2`, `_3`, ... when a run of the same second already has it (two commands in one
    second each get their own folder; two at once are kept apart by the folder's lock)."""
    first = ROOT / KIND_FOLDERS.get(kind, kind) / f"{(when or datetime.now()):%Y-%m-%d_%H-%M-%S}"
    folder, number = first, 1
    while folder.exists():
        number += 1
        folder = first.with_name(f"{first.name}_{number}")
    return folder


def mark_latest(kind: str, folder: Path) -> Path | None:
    """Point `results/<kind>/latest` at `folder` (replaced atomically, relative when the
    folder is inside it) and return the link; a folder outside the results root (a
    `hydra.run.dir` or `sweep.dir` elsewhere) is not linked (None), so that naming a folder
    of your own never creates a results root beside it."""
    parent = kind_folder(kind)
    target = Path(folder).resolve()
    if (Path.cwd() / ROOT).resolve() not in target.parents:
        return None
    parent.mkdir(parents=True, exist_ok=True)
    try:
        pointed = target.relative_to(parent.resolve())
    except ValueError:
        pointed = target
    link = parent / LATEST
    temporary = parent / f".{LATEST}.{os.getpid()}.tmp"
    temporary.unlink(missing_ok=True)
    temporary.symlink_to(pointed, target_is_directory=True)
    os.replace(temporary, link)
    return link


def latest_of(kinds: Sequence[str], field: str, allowed: str) -> Path:
    """The folder the newest `latest` link among `kinds` points to; refused in one line
    naming `field` when no task of those kinds has written one yet."""
    links = [kind_folder(kind) / LATEST for kind in kinds]
    present = [link for link in links if link.is_symlink() and link.resolve().is_dir()]
    if not present:
        raise InputError("config", field, LATEST, f"{allowed} (no {' or '.join(str(l) for l in links)} "
                                                 "yet: run the task first)")
    return max(present, key=lambda link: os.lstat(link).st_mtime_ns).resolve()


def resolve_folder(value: str, kinds: Sequence[str], field: str, allowed: str) -> str:
    """`value` with `latest` replaced by the newest folder of `kinds` (see `latest_of`);
    any other value is returned as it is."""
    if value != LATEST:
        return value
    return str(latest_of(kinds, field, allowed))
