"""Optional dependencies (the extras of pyproject.toml): whether one is installed, and the
one-line refusal of a setting that needs one that is not.

Dask is optional: only the `dask` backend of the sweep engine and of the calibration uses it.
A config asking for that backend without Dask installed stops before anything runs, with one
line naming the setting and the command that installs the extra.
"""

from __future__ import annotations

import importlib.util

from omegaconf import DictConfig, OmegaConf

from sim.errors import InputError

#: The project's distribution name (pyproject.toml), as `pip install` spells its extras.
DISTRIBUTION = "protective-integration-sim"
#: The module the Dask backend imports (Dask's `distributed`; the `dask` extra brings both).
DASK_MODULE = "distributed"


def installed(module: str) -> bool:
    """True when `module` can be imported, found without importing it."""
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):  # a missing parent package; a module blocked in sys.modules
        return False


def backend_settings(cfg: DictConfig) -> list[str]:
    """The backend settings the config's task reads: `sweep.backend` (a sweep, or the
    sensitivity analysis run through the sweep engine), `calibrate.backend` (a
    calibration, or a validation with a time split, which calibrates) and
    `validate.backend` (a validation's robustness, ablation or data-ensemble points)."""
    sections = []
    if cfg.task in ("sweep", "sensitivity"):
        sections.append("sweep")
    if cfg.task == "calibrate" or (cfg.task == "validate" and cfg.validate.split):
        sections.append("calibrate")
    if cfg.task == "validate" and (cfg.validate.robustness or cfg.validate.ablation or cfg.validate.data_points):
        sections.append("validate")
    return [f"{section}.backend" for section in sections if cfg.get(section) is not None]


def require_dask(source: str, setting: str) -> None:
    """Refuse `setting` = dask (read from `source`) when Dask is not installed: an
    `InputError`, one line naming the setting and the command that installs the extra."""
    if not installed(DASK_MODULE):
        raise InputError(source, setting, "dask", f"serial or local (the dask backend needs Dask, "
                         f'an optional extra: pip install "{DISTRIBUTION}[dask]")')


def check_extras(cfg: DictConfig) -> None:
    """Refuse a backend setting of this task that asks for Dask when Dask is not installed."""
    for setting in backend_settings(cfg):
        if OmegaConf.select(cfg, setting) == "dask":
            require_dask("config", setting)


def progress_bar() -> type:
    """The progress bar class: tqdm's notebook widget where Jupyter's widgets (ipywidgets)
    are installed (`tqdm.auto` picks it inside a notebook, the text bar elsewhere), else the
    text bar: `tqdm.auto` without ipywidgets would warn `IProgress not found` in a notebook."""
    if installed("ipywidgets"):
        from tqdm.auto import tqdm
    else:
        from tqdm.std import tqdm
    return tqdm
