"""Command line: `python -m sim [task=run|validate|compare] [overrides...]` (a Hydra app).

Before Hydra starts a run (and creates its output folder), the overrides are composed
and the whole config, cast and scenario are validated: a user mistake ends in one line
on stderr and exit status 2, with no traceback and no files written.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import hydra
from hydra.core.hydra_config import HydraConfig
from hydra.errors import HydraException
from omegaconf import DictConfig
from omegaconf.errors import OmegaConfBaseException

from sim import tasks
from sim.config import CONFIG_DIR, compose, register_configs, resolve
from sim.errors import InputError

register_configs()
logging.getLogger("MESA").setLevel(logging.WARNING)


def _fail(message: str) -> None:
    print(f"error: {' '.join(str(message).split())}", file=sys.stderr)
    raise SystemExit(2)


def _hydra_error(error: Exception) -> str:
    """First meaningful line of a Hydra/OmegaConf error, with the offending override."""
    text = str(error).strip().splitlines()
    return "; ".join(line.strip() for line in text[:3] if line.strip())


def prevalidate(argv: list[str]) -> None:
    """Compose and validate the overrides exactly as the run will, or fail in one line."""
    if any(a in ("-m", "--multirun", "--help", "-h", "--hydra-help", "--info", "-i") or
           a.startswith(("--cfg", "-c", "--info")) for a in argv):
        return
    overrides = [a for a in argv if not a.startswith("-")
                 and (not a.startswith("hydra.") or a.startswith("hydra.searchpath"))]
    try:
        resolve(compose(overrides))
    except InputError as error:
        _fail(str(error))
    except (HydraException, OmegaConfBaseException) as error:
        _fail(f"config: {_hydra_error(error)}; allowed: see configs/ and the README")


@hydra.main(config_path=str(CONFIG_DIR), config_name="config", version_base="1.3")
def app(cfg: DictConfig) -> None:
    """The Hydra application: dispatch to the chosen task."""
    try:
        spec = resolve(cfg)
    except InputError as error:
        _fail(str(error))
    out = Path(HydraConfig.get().runtime.output_dir)
    if cfg.task == "run":
        tasks.run_task(spec, out)
        return
    load = _scenario_loader(HydraConfig.get().overrides)
    try:
        if cfg.task == "validate":
            if not tasks.validate_task(spec, out, load):
                raise SystemExit(1)
        else:
            tasks.compare_task(spec, out, load)
    except InputError as error:
        _fail(str(error))


def _scenario_loader(overrides) -> "tasks.ScenarioLoader":
    """Load another scenario by name with the same overrides as this run."""
    kept = [o for o in list(overrides.task) + list(overrides.hydra)
            if not o.startswith(("scenario=", "scenarios=", "hydra.")) or o.startswith("hydra.searchpath")]

    def load(name: str):
        return resolve(compose(kept + [f"scenario={name}"])).scenario
    return load


def main() -> None:
    """Entry point of `python -m sim` and the `protective-sim` script."""
    prevalidate(sys.argv[1:])
    app()


if __name__ == "__main__":
    main()
