"""Command line: `python -m sim [task=run|validate|compare|...|list] [overrides...]` (a Hydra app).

Before Hydra starts a run (and creates its output folder), the overrides are composed
and the whole config, cast and scenario are validated: a user mistake ends in one line
on stderr and exit status 2, with no traceback and no files written. A fault during the
run (a file that cannot be read or written, an unreachable Dask scheduler, Ctrl-C) ends
the same way with the exit status of its class (`sim.errors.EXIT_STATUS`), and the run
folder it created is removed. Every folder a job writes into is locked for that job before
anything is written there (`app`, `hold_multirun`), so no two jobs write into, or clean up,
the same folder; folder paths are read as Hydra reads them (`hydra_value`).
"""

from __future__ import annotations

import atexit
import logging
import os
import re
import sys
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from datetime import datetime
from dataclasses import fields
from pathlib import Path

import hydra
import matplotlib
import yaml
from hydra.core.hydra_config import HydraConfig
from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.errors import HydraException
from hydra.types import RunMode
from omegaconf import DictConfig
from omegaconf.errors import OmegaConfBaseException

from sim.app import interrupts, tasks
from sim.app.console import compile_kernels
from sim.scenarios.cast import Cast
from sim.app.config import (CONFIG_DIR, compose, explain_schema_error, register_configs, resolve, scenario_from,
                             seed_only_when_params_given)
from sim.errors import DataError, InputError, UserError, exit_for
from sim.extras import check_extras
from sim.limits import refuse_aliases
from sim.app.listing import help_text, listing
from sim.io.outdir import (WRITING_TASKS, check_writable, discard, missing_folders, prepare, prepare_multirun,
                           refuse_links, remove_if_empty)
from sim.io.results import mark_latest, timestamped_folder
from sim.io.store import JOB_LOCK, folder_lock
from sim.core.params import Params
from sim.scenarios.schema import Scenario

register_configs()
matplotlib.use("Agg")

#: How a boolean override reads true on the command line.
TRUE = ("true", "yes", "1", "on")
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


def hydra_value(argv: list[str], key: str) -> str:
    """The value of the override `key=...` in `argv` as Hydra reads it (quotes and escapes
    removed, e.g. `hydra.run.dir='my results'`), or '' when it is not given."""
    for item in argv:
        name, sep, _ = item.lstrip("+~").partition("=")
        if name == key and sep:
            value = OverridesParser.create().parse_overrides([item])[0].value()
            if not isinstance(value, (str, int, float)) or isinstance(value, bool):
                raise InputError("command line", key, item.partition("=")[2], "a folder path")
            return str(value)
    return ""


def check_overrides(argv: list[str]) -> None:
    """Parse every override as Hydra will (Hydra's own ones included), refusing one it
    cannot read in one line, before anything is created."""
    parser = OverridesParser.create()
    for item in argv:
        if not item.startswith("-") and "=" in item:
            try:
                parser.parse_overrides([item])
            except HydraException:
                key, _, value = item.partition("=")
                raise InputError("command line", key, value, "a value Hydra can read: quote one with spaces or "
                                 f"other special characters, e.g. {key}='{value}'") from None


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
        cfg = compose(overrides, with_hydra=True)
        check_extras(cfg)
        seed_only_when_params_given(cfg, overrides)
        spec = resolve(cfg)
        tasks.check_inputs(spec, _scenario_loader(overrides))
    except (HydraException, OmegaConfBaseException, yaml.YAMLError) as error:
        raise UserError(explain_config_error(error, overrides)) from None
    if (run_dir := hydra_value(argv, "hydra.run.dir")) and "${" not in run_dir:
        check_writable(Path(run_dir))


def user_config_folders(argv: list[str]) -> list[Path]:
    """The user's config folders: the `file://` entries of `hydra.searchpath`, read as Hydra
    reads the override (quotes included)."""
    for item in argv:
        if item.lstrip("+~").partition("=")[0] == "hydra.searchpath":
            value = OverridesParser.create().parse_overrides([item])[0].value()
            entries = value if isinstance(value, list) else [value]
            return [Path(str(entry)[len("file://"):]) for entry in entries if str(entry).startswith("file://")]
    return []


def check_user_configs(argv: list[str]) -> None:
    """Refuse, before Hydra reads them, files of the user's config folders (`hydra.searchpath`)
    that are not plain UTF-8 data (YAML anchors and aliases included: scenario, params and
    sweep files are data), and files named like a packaged config: Hydra would silently use
    the packaged one (its folder comes first on the search path)."""
    for root in user_config_folders(argv):
        for path in sorted([*root.glob("*.yaml"), *root.glob("*/*.yaml")]):
            try:
                refuse_aliases(str(path), path.read_text(encoding="utf-8"))
            except UnicodeDecodeError:
                raise DataError(str(path), "encoding", "not UTF-8", "a UTF-8 YAML text file") from None
            packaged = CONFIG_DIR / path.relative_to(root)
            if packaged.is_file():
                group = path.parent.name if path.parent != root else "config"
                shown = packaged.relative_to(CONFIG_DIR.parent)
                raise InputError(str(path), "file name", path.name,
                                 f"a name no packaged config has (Hydra would use the packaged {shown} instead): "
                                 f"rename it and choose it by its new name, e.g. {group}=my_{path.stem}")


class JobFailed(BaseException):
    """A task's exception on its way to `main` (a BaseException, which Hydra lets through
    without printing its own report); the task's exception is its `__cause__`."""


#: Folders a multirun's jobs write into, with the locks this process holds on them
#: (released, and the folder removed if empty, when the process exits).
_MULTIRUN_FOLDERS: dict[str, ExitStack] = {}
#: The folders `main` saw missing before Hydra created the run folder, deepest first
#: (absolute): what a failed run removes.
_CREATED: list[str] = []
#: The multirun folders whose earlier results have been checked (`prepare_multirun`).
_PREPARED: set[str] = set()


@hydra.main(config_path=str(CONFIG_DIR), config_name="config", version_base="1.3")
def app(cfg: DictConfig) -> None:
    """The Hydra application: own the folders the task writes into (a lock on each, taken
    before anything is written: the run folder, a multirun's folder, the results folder
    `task=plot` and `task=collect` write into), refuse earlier results there unless
    `overwrite=true`, then run the chosen task (its exception reaches `main` as
    `JobFailed`). A failed task leaves no results: what it wrote is removed while the lock
    is still held, so no other job's files are touched. A folder left empty (a sweep
    writes under sweeps/, a plot into the results folder) is removed."""
    configure_logging(bool(cfg.verbose))
    out = Path(HydraConfig.get().runtime.output_dir)
    writing = str(cfg.task) in WRITING_TASKS
    try:
        with ExitStack() as held:
            if HydraConfig.get().mode == RunMode.MULTIRUN:
                hold_multirun(Path(os.path.abspath(str(HydraConfig.get().sweep.dir))), bool(cfg.overwrite))
            for folder in _owned_folders(cfg, out):
                held.enter_context(folder_lock(folder, "job", JOB_LOCK, remove=True))
            if writing:
                prepare(out, bool(cfg.overwrite))
            _run_owned(cfg, out, writing)
    except Exception as error:
        raise JobFailed() from error
    finally:
        remove_if_empty(out, Path.cwd())
    if HydraConfig.get().mode == RunMode.MULTIRUN:
        mark_latest("multirun", Path(HydraConfig.get().sweep.dir))
    elif cfg.task in WRITING_TASKS and out.is_dir():
        mark_latest(str(cfg.task), out)


def _owned_folders(cfg: DictConfig, out: Path) -> list[Path]:
    """The folders a task writes into: its run folder and, for `task=plot` and
    `task=collect`, the results folder (refused if it holds a symbolic link); each once."""
    folders = [out]
    if str(cfg.task) in ("plot", "collect"):
        results = Path(os.path.abspath(str(cfg.results)))
        refuse_links(results, "results")
        folders.append(results)
    return list({os.path.realpath(folder): folder for folder in folders}.values())


def _run_owned(cfg: DictConfig, out: Path, writing: bool) -> None:
    """Run the task into `out`, which this job owns; if it fails (Ctrl-C included), remove
    what it wrote: the folders it created, or its result files in a folder that existed (a
    task that ends with its own exit status, e.g. a failed validation, keeps them)."""
    try:
        _dispatch(cfg, out)
        interrupts.raise_if_interrupted()
    except (Exception, KeyboardInterrupt):
        created = [Path(p) for p in _CREATED] if _CREATED and _CREATED[0] == str(out) else []
        discard(out, created, writing)
        raise


def hold_multirun(folder: Path, overwrite: bool) -> None:
    """Hold a multirun folder's lock until this process exits (once per folder), so that
    no other job writes there meanwhile, and refuse earlier results there unless
    `overwrite` (`prepare_multirun`, once per folder): before Hydra starts (`main`) and,
    should the folder only be known then, as its first job starts."""
    key = str(folder)
    if key not in _MULTIRUN_FOLDERS:
        stack = ExitStack()
        stack.callback(remove_if_empty, folder, Path.cwd())
        try:
            stack.enter_context(folder_lock(folder, "job", JOB_LOCK, remove=True))
        except BaseException:
            stack.pop_all()
            raise
        _MULTIRUN_FOLDERS[key] = stack
    if key not in _PREPARED:
        prepare_multirun(folder, overwrite)
        _PREPARED.add(key)


def _dispatch(cfg: DictConfig, out: Path) -> None:
    """Run the task `cfg.task` into `out`; the optional-extras check is repeated here for a
    multirun's jobs, which `prevalidate` does not see."""
    check_extras(cfg)
    given = HydraConfig.get().overrides
    seed_only_when_params_given(cfg, list(given.task))
    spec = resolve(cfg, HydraConfig.get().runtime)
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


def multirun(argv: list[str]) -> bool:
    """True when the arguments start a Hydra multirun (`-m`, `--multirun`)."""
    return any(a in ("-m", "--multirun") for a in argv)


def with_run_dir(argv: list[str]) -> list[str]:
    """`argv` with the default run folder (`results/<task>/<date>_<time>`), or a
    multirun's (`results/multirun/<date>_<time>`), made explicit, so that the folder is
    known before Hydra creates it: to lock it, and to remove it after a failed run."""
    now = datetime.now()
    if single_run(argv) and not _value_of("hydra.run.dir", argv):
        return [*argv, f"hydra.run.dir={timestamped_folder(_value_of('task', argv) or 'run', now)}"]
    if multirun(argv) and not _value_of("hydra.sweep.dir", argv):
        return [*argv, f"hydra.sweep.dir={timestamped_folder('multirun', now)}"]
    return argv


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
    configure_logging(_value_of("verbose", sys.argv[1:]).lower() in TRUE)
    restore_handler = interrupts.install()
    try:
        if (error := _failure(_start_job)) is not None:
            exit_for(error)
        if (error := _failure(_run_app)) is not None:
            if _CREATED and Path(_CREATED[0]).is_dir():
                remove_if_empty(Path(_CREATED[0]), Path.cwd())
            exit_for(error)
    finally:
        restore_handler()
        release_folders()


@atexit.register
def release_folders() -> None:
    """Release the multirun folders' locks this process holds (removing a folder left
    empty) and forget the folders of the last run."""
    for stack in _MULTIRUN_FOLDERS.values():
        stack.close()
    _MULTIRUN_FOLDERS.clear()
    _PREPARED.clear()
    _CREATED.clear()


def _start(argv: list[str]) -> None:
    """Before Hydra starts: check every override and the whole config (`prevalidate`),
    make the output folder explicit, note which folders creating it creates, and hold a
    multirun folder's lock (so a second multirun into it stops before Hydra writes there)."""
    check_overrides(argv)
    check_user_configs(argv)
    sys.argv[1:] = argv = with_run_dir(argv)
    prevalidate(argv)
    if single_run(argv):
        run_dir = os.path.abspath(hydra_value(argv, "hydra.run.dir"))
        _CREATED[:] = [str(path) for path in missing_folders(Path(run_dir))]
    elif multirun(argv) and "${" not in (sweep_dir := hydra_value(argv, "hydra.sweep.dir")):
        hold_multirun(Path(os.path.abspath(sweep_dir)), _value_of("overwrite", argv).lower() in TRUE)


def _start_job() -> None:
    """`_start` on the command line, then a Ctrl-C that a library swallowed meanwhile."""
    _start(sys.argv[1:])
    interrupts.raise_if_interrupted()


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
