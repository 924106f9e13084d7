"""Command line: `python -m sim [task=run|validate|compare|...|list] [overrides...]` (a Hydra app).

Before Hydra starts a run (and creates its output folder), the overrides are composed
and the whole config, cast and scenario are validated: a user mistake ends in one line
on stderr and exit status 2, with no traceback and no files written. A fault during the
run (a file that cannot be read or written, an unreachable Dask scheduler, Ctrl-C) ends
the same way with the exit status of its class (`sim.errors.EXIT_STATUS`), and the run
folder it created is removed.
"""

from __future__ import annotations

import logging
import os
import re
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from dataclasses import fields
from pathlib import Path

import mesa  # before the others: Mesa's logger setup (inspect.stack) scans every module loaded so far (~0.15 s less)
import hydra
import matplotlib
import yaml
from hydra.core.hydra_config import HydraConfig
from hydra.types import RunMode
from hydra.errors import HydraException
from omegaconf import DictConfig
from omegaconf.errors import OmegaConfBaseException

from sim.app import tasks
from sim.app.console import compile_kernels
from sim.scenarios.cast import Cast
from sim.app.config import CONFIG_DIR, compose, explain_schema_error, register_configs, resolve, scenario_from
from sim.errors import DataError, UserError, fault_report
from sim.extras import check_extras
from sim.limits import refuse_aliases
from sim.app.listing import help_text, listing
from sim.io.outdir import WRITING_TASKS, check_writable, discard, missing_folders, prepare, remove_if_empty
from sim.io.results import mark_latest, timestamped_folder
from sim.core.params import Params
from sim.scenarios.schema import Scenario

register_configs()
matplotlib.use("Agg")

#: The tasks that run the model (and so need its compiled kernels).
MODEL_TASKS = ("run", "validate", "calibrate", "compare", "sweep", "sensitivity", "score")
#: Loggers quiet unless `verbose=true`: this project's progress details and Dask's cluster.
CHATTY_LOGGERS = ("sim", "distributed", "MESA")


class _LogFormat(logging.Formatter):
    """Information lines as they are; warnings and errors prefixed like the `error:` lines."""

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        return text if record.levelno < logging.WARNING else f"{record.levelname.lower()}: {text}"


def configure_logging(verbose: bool) -> None:
    """One handler on stderr. By default only warnings and errors, and Hydra's multirun
    lines (which job runs); with `verbose`, also the progress details of this project and
    Dask (sweep chunks, the cluster's start and stop), with time and logger name."""
    level = logging.INFO if verbose else logging.WARNING
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_LogFormat("%(asctime)s %(name)s: %(message)s" if verbose else "%(message)s"))
    logging.basicConfig(level=level, handlers=[handler], force=True)
    logging.getLogger("hydra").setLevel(logging.INFO)
    _dask_log_level(logging.getLevelName(level).lower())
    for name in CHATTY_LOGGERS:
        logging.getLogger(name).setLevel(level)


def _dask_log_level(level: str) -> None:
    """Dask's cluster logs at `level` (its workers too, which take Dask's config with them).
    Dask is optional and takes ~0.2 s to import: when it is not loaded yet, the setting goes
    into the environment variable Dask reads its config from when it loads."""
    if "dask.config" in sys.modules:
        sys.modules["dask.config"].set({"logging.distributed": level})
    else:
        os.environ["DASK_LOGGING__DISTRIBUTED"] = level


def _value_of(key: str, overrides: list[str]) -> str:
    for item in overrides:
        name, _, value = item.lstrip("+~").partition("=")
        if name == key:
            return value
    return ""


def explain_config_error(error: Exception, overrides: list[str]) -> str:
    """One line for a Hydra/OmegaConf/YAML error: where, the field, the value, what is allowed."""
    if (line := explain_schema_error(error, lambda key: _value_of(key, overrides))) is not None:
        return line
    text = str(error)
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if isinstance(error, yaml.YAMLError):
        mark = getattr(error, "problem_mark", None)
        where = f'{mark.name}: line {mark.line + 1}' if mark else "a YAML file"
        problem = getattr(error, "problem", None) or lines[0]
        return f"{where}: YAML syntax error ({problem}); allowed: valid YAML"
    if match := re.search(r"Could not override '([^']+)'", text):
        key = match[1]
        section = key.rsplit(".", 1)[0] if "." in key else ""
        known = ", ".join(f.name for f in fields(Params)) if section == "params" else "the keys of configs/config.yaml"
        return f"command line: {key} = '{_value_of(key, overrides)}' is invalid; allowed: {known}"
    if match := re.search(r"Error merging override ([^=\s]+)=(\S*)", text):
        cause = str(error.__cause__ or "")
        kind = re.search(r"converted to (\w+)", cause)
        reason = f"a value of type {kind[1]}" if kind else (cause.splitlines() or ["a valid value"])[0]
        return f"command line: {match[1]} = '{match[2]}' is invalid; allowed: {reason}"
    if match := re.search(r"Could not find '([^'/]+)/([^']+)'", text):
        options = []
        listing = False
        for line in lines:
            if line.startswith("Config search path"):
                break
            if listing:
                options.append(line)
            listing = listing or line.startswith("Available options")
        return (f"command line: {match[1]} = '{match[2]}' is invalid; allowed: "
                f"{', '.join(options) or 'a config of the ' + match[1] + ' group'}")
    return f"command line: {lines[0] if lines else type(error).__name__}; allowed: see the README"


def _config_overrides(items: list[str]) -> list[str]:
    """The overrides that shape the composed config (Hydra's own ones only via its search path)."""
    return [o for o in items if not o.startswith("-")
            and (not o.startswith("hydra.") or o.startswith("hydra.searchpath"))]


def single_run(argv: list[str]) -> bool:
    """True when the arguments start one job (not a multirun, help or config printout)."""
    return not any(a in ("-m", "--multirun", "--help", "-h", "--hydra-help", "--info", "-i") or
                   a.startswith(("--cfg", "-c", "--info")) for a in argv)


def prevalidate(argv: list[str]) -> None:
    """Compose and validate the overrides exactly as the run will, or raise a `UserError`
    (one line) before Hydra creates anything."""
    if not single_run(argv):
        return
    overrides = _config_overrides(argv)
    try:
        _refuse_user_aliases(overrides)
        cfg = compose(overrides, with_hydra=True)
        check_extras(cfg)
        spec = resolve(cfg)
        tasks.check_inputs(spec, _scenario_loader(overrides))
    except (HydraException, OmegaConfBaseException, yaml.YAMLError) as error:
        raise UserError(explain_config_error(error, overrides)) from None
    if run_dir := _value_of("hydra.run.dir", argv):
        check_writable(Path(run_dir))
        if spec.config.task in WRITING_TASKS:
            prepare(Path(run_dir), bool(spec.config.overwrite))


def _refuse_user_aliases(overrides: list[str]) -> None:
    """Refuse YAML anchors and aliases, and files not in UTF-8, in the user's config folders
    (`hydra.searchpath`) before Hydra reads them: scenario, params and sweep files are plain data."""
    for folder in re.findall(r"file://([^,\]\s]+)", _value_of("hydra.searchpath", overrides)):
        root = Path(folder)
        for path in sorted([*root.glob("*.yaml"), *root.glob("*/*.yaml")]):
            try:
                refuse_aliases(str(path), path.read_text(encoding="utf-8"))
            except UnicodeDecodeError:
                raise DataError(str(path), "encoding", "not UTF-8", "a UTF-8 YAML text file") from None


class JobFailed(BaseException):
    """A task's exception on its way to `main` (a BaseException, which Hydra lets through
    without printing its own report); the task's exception is its `__cause__`."""


@hydra.main(config_path=str(CONFIG_DIR), config_name="config", version_base="1.3")
def app(cfg: DictConfig) -> None:
    """The Hydra application: run the chosen task (its exception reaches `main` as
    `JobFailed`); remove the run folder if the task left it empty (a sweep writes under
    sweeps/, a plot into the results folder)."""
    configure_logging(bool(cfg.verbose))
    out = Path(HydraConfig.get().runtime.output_dir)
    try:
        _dispatch(cfg, out)
    except Exception as error:
        raise JobFailed() from error
    finally:
        remove_if_empty(out, Path.cwd())
    if HydraConfig.get().mode == RunMode.MULTIRUN:
        mark_latest("multirun", Path(HydraConfig.get().sweep.dir))
    elif cfg.task in WRITING_TASKS and out.is_dir():
        mark_latest(str(cfg.task), out)


def _dispatch(cfg: DictConfig, out: Path) -> None:
    """Run the task `cfg.task` into `out`; the optional-extras check is repeated here for a
    multirun's jobs, which `prevalidate` does not see."""
    check_extras(cfg)
    spec = resolve(cfg, HydraConfig.get().runtime)
    given = HydraConfig.get().overrides
    load = _scenario_loader(list(given.task) + list(given.hydra))
    if cfg.task in MODEL_TASKS:
        compile_kernels(spec.scenario, spec.params)
    tasks.run(spec, out, load)


def _scenario_loader(overrides: list[str]) -> "tasks.ScenarioLoader":
    """Load another scenario by name with the same overrides as this run (against `cast`
    when given, e.g. a perturbed cast, else the configured one)."""
    kept = [o for o in _config_overrides(overrides) if not o.startswith(("scenario=", "scenarios="))]

    def load(name: str, cast: Cast | None = None) -> Scenario:
        cfg = compose(kept + [f"scenario={name}"])
        return resolve(cfg).scenario if cast is None else scenario_from(cfg, cast)
    return load


def with_run_dir(argv: list[str]) -> list[str]:
    """`argv` with the default run folder (`results/<task>/<date>_<time>`) made explicit,
    so that the folder a failed run created is known and can be removed."""
    if not single_run(argv) or _value_of("hydra.run.dir", argv):
        return argv
    return [*argv, f"hydra.run.dir={timestamped_folder(_value_of('task', argv) or 'run', datetime.now())}"]


@contextmanager
def _hydra_raising() -> Iterator[None]:
    """Let exceptions out of Hydra unprinted (HYDRA_FULL_ERROR), for `main` to report."""
    saved = os.environ.get("HYDRA_FULL_ERROR")
    os.environ["HYDRA_FULL_ERROR"] = "1"
    try:
        yield
    finally:
        if saved is None:
            del os.environ["HYDRA_FULL_ERROR"]
        else:
            os.environ["HYDRA_FULL_ERROR"] = saved


def main() -> None:
    """Entry point of `python -m sim` and the `protective-sim` script; `task=list` and
    `--help` print their text and exit before Hydra creates an output folder. Every expected
    fault ends in one line on stderr and its exit status, leaving no run folder it created."""
    if _value_of("task", sys.argv[1:]) == "list":
        print(listing())
        return
    if {"--help", "-h"} & set(sys.argv[1:]):
        print(help_text())
        return
    configure_logging(_value_of("verbose", sys.argv[1:]).lower() in ("true", "yes", "1", "on"))
    sys.argv[1:] = with_run_dir(sys.argv[1:])
    if (error := _failure(lambda: prevalidate(sys.argv[1:]))) is not None:
        _report(error)
    run_dir = Path(_value_of("hydra.run.dir", sys.argv[1:]) or ".")
    created = missing_folders(run_dir)
    results = _value_of("task", sys.argv[1:]) in ("", *WRITING_TASKS)
    if (error := _failure(_run_app)) is not None:
        _report(error, (lambda: discard(run_dir, created, results)) if single_run(sys.argv[1:]) else None)


def _run_app() -> None:
    """Run the Hydra application, its exceptions unprinted."""
    with _hydra_raising():
        app()


def _failure(step: Callable[[], None]) -> BaseException | None:
    """What `step` raised (a task's exception unwrapped from `JobFailed`), or None."""
    try:
        step()
    except (Exception, KeyboardInterrupt, JobFailed) as error:
        return error.__cause__ if isinstance(error, JobFailed) else error
    return None


def _report(error: BaseException, cleanup: Callable[[], None] | None = None) -> None:
    """Exit with an expected fault's line and status, after `cleanup` (removing what the
    failed run created); re-raise anything else."""
    report = fault_report(error)
    if report is None:
        raise error
    if cleanup is not None:
        cleanup()
    print(f"error: {report[0]}", file=sys.stderr)
    raise SystemExit(report[1]) from None

