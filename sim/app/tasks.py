"""Tasks of the command line: each takes a validated `RunSpec` and an output folder."""

from __future__ import annotations

import os
import textwrap
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import pandas as pd
import yaml
from hydra.errors import MissingConfigException
from omegaconf import OmegaConf

from sim.analysis.ablation import (BUNDLE, data_ensemble, inert, one_at_a_time, one_at_a_time_variants,
                                      robustness_needs)
from sim.analysis.calibration import (CALIBRATION_FILES, CalibrationSpec, calibrate, calibration_digest,
                                         flat_statistics, floored_statistics, parse_calibration,
                                         posterior_file)
from sim.analysis.model_choice import CHOICE_FILES, choice_digest, choose_models, left_out
from sim.app.console import COLUMNS, console_table, shown, sweep_outcomes, wrapped
from sim.app.calibration_plots import calibration_figures
from sim.scenarios.cast import Cast
from sim.runs.collect import collect
from sim.analysis.compare import differences
from sim.app.config import RunSpec, cast_files
from sim.analysis.discover import Condition, cases, default_level, discover, envelope, feature_scores
from sim.app.discover_plots import box_figure, envelope_figure, features_figure, tradeoff_figure
from sim.runs.ensemble import run_pairs, run_view, variance_split
from sim.errors import DataError, InputError
from sim.app.listing import listing
from sim.core.params import BEHAVIOURAL, Params, spread_bounds
from sim.app.plots import (FigureInputs, comparison_figure, draw_figures, event_markers, quantiles, quarter_label,
                       metric_label, output_label, parameter_label, quarter_start, save_figure, sensitivity_figure)
from sim.io.records import TIMESERIES_COLUMNS, check_metrics, summary_frame, wide_frame
from sim.scenarios.schema import Scenario, load_scenario
from sim.analysis.score import confusion, report, score_records, score_summary
from sim.analysis.sensitivity import CSV_FLOAT_FORMAT, analyse, output_values, parse_output
from sim.io.store import (file_digest, parquet_record, provenance, read_json, read_table, reading, table_columns,
                          write_csv, write_table, write_yaml)
from sim.runs.sweep import SweepSpec, design_points, parse_spec, problem, run_sweep, sweep_identity
from sim.io.sweep_store import SweepStore, store_digest
from sim.io.results import mark_latest, named_folder
from sim.analysis.time_split import time_split
from sim.analysis.robustness import Centres, PointRunner, robustness, summarise_checks
from sim.analysis.references import informativeness, references, run_references
from sim.analysis.validation import (QUIET_SCENARIO, REQUIRED_SHARE, ROBUST_SHARE, TARGET_WINDOW, check_outcomes,
                                        evaluate, evaluate_checks, quiet_future, run_views, twin_scenarios)


class ScenarioLoader(Protocol):
    """Loads another scenario config by name with this run's overrides, against `cast` when
    given (the data ensemble's perturbed casts), else against the configured cast."""

    def __call__(self, name: str, cast: Cast | None = None) -> Scenario: ...


#: What `task=plot` draws from.
PLOT_SOURCES = "a folder with timeseries.parquet (or .csv), manifest.json or sensitivity.csv"
#: The columns of sensitivity.csv that `task=plot` draws.
SENSITIVITY_COLUMNS = ("output", "parameter", "index", "value", "conf", "seed_variance_share")
KEY_DECISIONS = ("declaration", "intervention", "proposal", "solidarity", "designation", "statement")


def _provenance(spec: RunSpec, out: Path, seeds: list[int], used: str | None = None) -> Path:
    """config.yaml next to a task's results: the resolved config, the seeds, the code version,
    what part of a store the results come from (`used`, e.g. '50 of 90 runs of the sweep in
    DIR') and, with a posterior, its file's SHA-256, the calibration that made it (name and
    spec hash, and for the packaged posterior the command and commit that made it, when the
    file records them) and the parameter values of each draw."""
    record = provenance(OmegaConf.to_container(spec.config, resolve=True, enum_to_str=True), list(seeds))
    if used is not None:
        record["results_used"] = used
    if spec.draw_values:
        source = posterior_file(spec.config.posterior)
        made_by = {k: v for k, v in (parquet_record(source) or {}).items()
                   if k in ("calibration", "spec_hash", "command", "commit")}
        record["posterior"] = {"file": str(source.resolve()), "sha256": file_digest(source)["sha256"], **made_by,
                               "allow_mismatch": bool(spec.config.allow_mismatch), "draws": spec.draw_values}
    return write_yaml(record, out / "config.yaml")


def run_task(spec: RunSpec, out: Path) -> dict[str, list[Path]]:
    """The main job: run the ensemble, then write tables (in `output.format`), config and
    figure; returns the files written, by kind."""
    series, decisions = run_pairs(spec.scenario, spec.runs(), progress=bool(spec.config.progress))
    institutions = [s.code for s in spec.scenario.institutions]
    figure = draw_figures(FigureInputs(series, spec.scenario.name, institutions, event_markers(spec.scenario)),
                          ["cohesion"])["cohesion"]
    for legend in (ax.get_legend() for ax in figure.axes if ax.get_legend()):
        legend.set_title(f"Bands {uncertainty_text(spec)}", prop={"size": 8})
    fmt = spec.config.output.format
    paths = {
        "timeseries": write_table(series, out / "timeseries", fmt),
        "decisions": write_table(decisions, out / "decisions", fmt),
        "runs_summary": write_table(summary_frame(series, run_table(spec)), out / "runs_summary", fmt),
        "config": [_provenance(spec, out, spec.seeds)],
        "figure": save_figure(figure, out / "cohesion.png"),
    }
    if fmt == "wide":
        paths["timeseries"].append(write_csv(wide_frame(series), out / "timeseries_wide.csv"))
    print(summary(series, decisions, institutions, spec))
    print("\nFiles:")
    for path in (path for group in paths.values() for path in group):
        print(f"  {shown(path)}")
    return paths


def run_table(spec: RunSpec) -> pd.DataFrame:
    """The runs of the main job: run, scenario, (posterior draw,) seed and every parameter value."""
    rows = [{"run": run, "scenario": spec.scenario.name, "seed": seed, **asdict(params)}
            for run, (params, seed) in enumerate(spec.runs())]
    table = pd.DataFrame(rows)
    if spec.draws:
        table.insert(2, "draw", table["run"] // len(spec.seeds))
    return table


SUMMARY_LEGEND = ("Legend: cohesion 0-1 (mean trust, norm congruence and engagement of the members);",
                  "  stances endorse / neutral (silence) / oppose; statuses active / hedging / suspended / withdrawn.")


def ensemble_text(spec: RunSpec) -> str:
    """What a task's runs are: '20 posterior draws x 3 seeds' or '20 seeds at fixed parameters'."""
    if spec.draws:
        return f"{len(spec.draws)} posterior draws x {len(spec.seeds)} seeds"
    return f"{len(spec.seeds)} seeds at fixed parameters"


def uncertainty_text(spec: RunSpec) -> str:
    """Which uncertainty an ensemble's spread holds, said next to its bands and intervals."""
    if spec.draws:
        return f"over {ensemble_text(spec)}: parameter and seed uncertainty"
    return f"over {len(spec.seeds)} seeds at fixed parameters: seed uncertainty only"


def summary(series: pd.DataFrame, decisions: pd.DataFrame, institutions: list[str],
            spec: RunSpec) -> str:
    """A short text summary: final cohesion with the share of its variance from the
    parameters, key decisions, membership changes, a legend."""
    runs = series["run"].nunique()
    dates = spec.scenario.dates
    final = _final_cohesion(series, institutions)
    lines = [f"Scenario '{spec.scenario.name}', {runs} runs ({ensemble_text(spec)}), "
             f"{quarter_label(dates[0])} to {quarter_label(dates[-1])}",
             *SUMMARY_LEGEND, "", f"Final cohesion (median [5%, 95%] {uncertainty_text(spec)}):",
             *_cohesion_lines(final), *_split_lines(final, len(spec.draws)),
             "", "Key decisions (most common outcome, share of runs; most common blocker, share of runs):",
             *_decision_lines(decisions, runs),
             "", "Membership changes (from -> to; median first quarter; share of runs in which they happen):",
             *_membership_lines(decisions, runs)]
    return "\n".join(piece for line in lines
                     for piece in (textwrap.wrap(line, COLUMNS, subsequent_indent=" " * 10) or [""]))


def _final_cohesion(series: pd.DataFrame, institutions: list[str]) -> dict[str, np.ndarray]:
    """Each institution's cohesion in the last quarter, one value per run in run order."""
    final = series[(series["step"] == series["step"].max()) & (series["metric"] == "cohesion")].sort_values("run")
    return {code: final[final["entity"] == code]["value"].to_numpy(dtype=float) for code in institutions}


def _cohesion_lines(final: dict[str, np.ndarray]) -> list[str]:
    """Each institution's final cohesion: median and 90% range over runs."""
    lines = []
    for code, values in final.items():
        low, mid, high = quantiles(values)
        lines.append(f"  {code:6s} " + ("not founded" if pd.isna(mid) else f"{mid:.3f} [{low:.3f}, {high:.3f}]"))
    return lines


def _split_lines(final: dict[str, np.ndarray], draws: int) -> list[str]:
    """How much of the variance of each institution's final cohesion comes from the
    parameters and how much from the seeds (`variance_split` over `draws` draws), or, for
    a seed-only ensemble (`draws` 0), that it has no parameter share to report."""
    if not draws:
        return ["Variance split: none (no posterior: the parameters are fixed, so all of the spread is the seeds')."]
    lines = [f"Variance of final cohesion from parameters / seeds (law of total variance over the {draws} draws):"]
    for code, values in final.items():
        share = variance_split(values, draws)
        lines.append(f"  {code:6s} " + ("no spread or not founded" if np.isnan(share) else
                                        f"parameters {share:.1%} / seeds {1 - share:.1%}"))
    return lines


def _blocker(group: pd.DataFrame, runs: int) -> str:
    """`; blocked by X (share)`: the most common non-empty `blocked_by` of a decision, or ''."""
    blockers = group["blocked_by"][group["blocked_by"] != ""].value_counts()
    if blockers.empty:
        return ""
    return f"; blocked by {blockers.index[0]} ({blockers.iloc[0] / runs:.0%})"


def _decision_lines(decisions: pd.DataFrame, runs: int) -> list[str]:
    """One line per key decision: quarter, institution, kind, topic, subject (unless it is
    the topic), most common outcome and blocker."""
    key = decisions[decisions["kind"].isin(KEY_DECISIONS)]
    lines = []
    for (date, inst, kind, topic, subject), group in key.groupby(
            ["date", "institution", "kind", "topic", "subject"], sort=True, observed=True):
        counts = group["outcome"].value_counts()
        about = f"{topic}" if subject == topic else f"{topic} [{subject}]"
        lines.append(f"  {quarter_label(date)} {inst:5s} {kind:12s} {about}: "
                     f"{counts.index[0]} ({counts.iloc[0] / runs:.0%}){_blocker(group, runs)}")
    return lines


def _membership_lines(decisions: pd.DataFrame, runs: int) -> list[str]:
    """Status changes other than foundings and accessions, each with the status it leaves
    (`hedging -> active`: a return, not a status the state already had), ordered by their
    median first quarter."""
    moves = decisions[(decisions["kind"] == "membership")
                      & ~decisions["detail"].str.contains("founding|accession")]
    moves = moves.assign(change=moves["detail"].str.replace(r"\s*\(.*\)$", "", regex=True))
    rows = []
    for (inst, state, change), group in moves.groupby(["institution", "state", "change"], observed=True):
        first = group.groupby("run")["date"].min().median()
        rows.append((first, f"  {quarter_label(first)} {inst:5s} {state} {change:22s} "
                            f"{group['run'].nunique() / runs:.0%}"))
    return [line for _, line in sorted(rows)] or ["  none"]


def validate_task(spec: RunSpec, out: Path, load: ScenarioLoader) -> bool:
    """Check the 12 targets on a seed ensemble and, optionally, their robustness to the
    parameters, which mechanisms they need (ablation) and their robustness to the data.

    The exit status reflects the main table only: the extra analyses are diagnostics."""
    options = spec.config.validate
    seeds = list(range(options.seeds))
    scenarios = twin_scenarios(spec.scenario, load)
    outcomes = check_outcomes(run_views(scenarios, spec.params, seeds, progress=bool(spec.config.progress)))
    table = evaluate(outcomes)
    print(f"Validation of '{spec.scenario.name}' over {len(seeds)} seeds "
          f"(a target passes when >= {REQUIRED_SHARE:.0%} of seeds meet it):\n")
    print(console_table(table[["target", "result", "share", "value", "threshold", "name"]], wrap="name",
                        float_format=lambda v: f"{v:.4g}"))
    write_csv(table, out / "validation.csv")
    quiet_scenario, history_end = load(QUIET_SCENARIO), spec.scenario.dates[-1][:7]
    quiet = quiet_future(run_view(quiet_scenario, [(spec.params, seed) for seed in seeds]), history_end)
    print(f"\nStability: '{QUIET_SCENARIO}' (no events after {history_end}):\n")
    print(console_table(quiet, float_format=lambda v: f"{v:.4g}"))
    write_csv(quiet, out / "quiet_future.csv")
    _provenance(spec, out, seeds)
    checks = evaluate_checks(outcomes)
    if options.references:
        checks = _references_report(spec, load, checks, out)
    write_csv(checks, out / "checks.csv")
    if options.robustness:
        robust, points = robustness(scenarios, centres(spec), options.points, options.seeds_per_point,
                                    options.spread, runner=point_runner(spec))
        _ensemble_report(f"Robustness: {options.points} Latin-hypercube points (+-{options.spread:.0%} on "
                         f"{len(robust.attrs['parameters'])} behavioural parameters {centred(spec)}) x "
                         f"{options.seeds_per_point} seeds",
                         robust, points, out / "robustness")
    if options.ablation:
        _ablation_report(scenarios, (quiet_scenario, history_end), spec, seeds, out,
                         robust if options.robustness else None)
    if options.data_points:
        _data_report(spec, load, out)
    if options.split:
        _split_report(spec, scenarios, out)
    passed = bool((table["result"] == "PASS").all() and (quiet["result"] == "PASS").all())
    print(f"\n{'All targets PASS' if passed else 'Some targets FAIL'}; table: {shown(out / 'validation.csv')}")
    return passed


def _references_report(spec: RunSpec, load: ScenarioLoader, checks: pd.DataFrame, out: Path) -> pd.DataFrame:
    """Every check's pass rate under the prior predictive, the null model and the flat-data
    null (`sim.analysis.references`) added to `checks`, printed and returned; writes
    reference_targets.csv: which targets pass under each."""
    options = spec.config.validate
    calibration = parse_calibration(OmegaConf.to_container(spec.config.calibrate, resolve=True, enum_to_str=True))
    history_raw = OmegaConf.to_container(spec.config.scenario, resolve=True)
    refs = references(history_raw, load, spec.scenario.cast, spec.params, calibration.free, options.prior_draws,
                      list(range(options.reference_seeds)), list(range(options.null_runs)), centres=centres(spec))
    shares, passes = run_references(refs, spec.scenario.cast, spec.params, progress=bool(spec.config.progress))
    table = informativeness(checks, shares)
    write_csv(passes, out / "reference_targets.csv")
    print(wrapped(f"\nChecks under the references ({options.prior_draws} prior draws x {options.reference_seeds} seeds; "
          f"null model and flat data: {options.null_runs} runs {centred(spec)}); informative: some reference "
          f"meets it in <= 50% of runs:\n"))
    print(console_table(table[["check", "kind", "share", "prior", "null", "flat_data", "informative"]],
                        float_format=lambda v: f"{v:.2f}"))
    counts = ", ".join(f"{name} {int(passes[name].sum())}" for name in passes.columns if name != "target")
    print(f"\nTargets passing under each reference (of {len(passes)}): {counts}")
    return table


def centres(spec: RunSpec) -> Centres:
    """What the validation's references and ensembles are centred on: the posterior draws
    when the run has a posterior (`posterior=default` gives the packaged one), else the
    parameters (`posterior=none`). The targets' own table stays at the parameters."""
    return spec.draws or spec.params


def centred(spec: RunSpec) -> str:
    """`centres` in words, for the printed titles."""
    return f"around {len(spec.draws)} posterior draws" if spec.draws else "around the parameters"


def point_runner(spec: RunSpec) -> PointRunner:
    """Where the validation's robustness points run and are kept (`validate.backend`,
    `workers`, `scheduler`, `points_dir`)."""
    options = spec.config.validate
    return PointRunner(backend=str(options.backend), workers=options.workers or (os.cpu_count() or 1),
                       scheduler=options.scheduler,
                       folder=Path(options.points_dir) if options.points_dir else None,
                       progress=bool(spec.config.progress))


def _ablation_report(scenarios: dict[str, Scenario], quiet: tuple[Scenario, str], spec: RunSpec,
                     seeds: list[int], out: Path, robust: pd.DataFrame | None) -> None:
    """Print and write ablation.csv: the targets and the quiet future with each behavioural
    field alone at its neutral value, each bundle of `MECHANISMS` and the null model; with
    the robustness summary `robust`, also which targets a field or bundle no check needs at
    the default point keeps robust (`robust_needed_by`). The per-target shares go to the
    CSV only, so the printed tables fit about 100 columns."""
    runner = point_runner(spec)
    table = one_at_a_time(scenarios, spec.params, seeds, quiet=quiet, runner=runner)
    if robust is not None:
        options = spec.config.validate
        table = robustness_needs(table, robust, scenarios, centres(spec), options.points, options.seeds_per_point,
                                 options.spread, mechanisms=one_at_a_time_variants(), runner=runner)
    print(f"\nAblation, one field at a time, over {len(seeds)} seeds: each field alone at its neutral value.\n"
          f"pass: targets met by >= {REQUIRED_SHARE:.0%} of seeds; needed_by: evidence checks (quiet: the quiet\n"
          f"future) met by >= {REQUIRED_SHARE:.0%} of seeds in the full model, not in the variant; robust_by:\n"
          f"targets holding in >= {ROBUST_SHARE:.0%} of the robustness ensemble only with it. Per-target and\n"
          f"quiet-future shares: ablation.csv.\n")
    print(_ablation_text(table[table["kind"] != BUNDLE], ["variant", "default", "neutral"]))
    print("\nBundles (fields switched off together):\n")
    print(_ablation_text(table[table["kind"] == BUNDLE], ["variant"]))
    fields = inert(table)
    level = "at the default point or over the robustness ensemble" if robust is not None else "at the default point"
    print("\n" + textwrap.fill(f"Inert ({level}; noise scales excepted): {', '.join(fields) or 'none'}", COLUMNS))
    write_csv(table, out / "ablation.csv")


def _ablation_text(table: pd.DataFrame, head: list[str]) -> str:
    """An ablation table without the shares, its lists of checks and targets compact
    (`needed_by` wrapped last), in about 100 columns."""
    names = {"passing": "pass", "robust_needed_by": "robust_by"}
    lists = [c for c in ("needed_by", "robust_needed_by") if c in table]
    compact = table[head + ["passing"] + lists + ["verdict"]].rename(columns=names)
    for column in lists:
        compact[names.get(column, column)] = [", ".join(map(str, checks)) or "-" for checks in table[column]]
    formatters = {c: (lambda v: "" if pd.isna(v) else f"{v:g}") for c in ("default", "neutral") if c in compact}
    return console_table(compact, formatters=formatters, na_rep="", wrap="needed_by")


def _split_report(spec: RunSpec, scenarios: dict[str, Scenario], out: Path) -> None:
    """Print and write time_split.csv: calibrated on one period's targets (the `calibrate`
    settings), the other period's predicted from posterior and prior draws."""
    options = spec.config.validate
    calibration = parse_calibration(OmegaConf.to_container(spec.config.calibrate, resolve=True, enum_to_str=True))
    folder = _calibration_folder(calibration, spec.params, scenarios, "_split")
    table = time_split(calibration, scenarios, spec.params, folder, options.split_draws,
                       list(range(options.seeds_per_point)), progress=bool(spec.config.progress))
    print(wrapped(f"\nTime split: calibrated on one period's targets, the other's predicted from {options.split_draws} "
          f"posterior (and prior) draws x {options.seeds_per_point} seeds; calibrations in {shown(folder)}:\n"))
    print(console_table(table, wrap="name" if "name" in table else None, float_format=lambda v: f"{v:.2f}"))
    write_csv(table, out / "time_split.csv")


def _data_report(spec: RunSpec, load: ScenarioLoader, out: Path) -> None:
    """Print and write data_robustness.csv and data_robustness_points.csv: the targets over
    casts with perturbed ordinal codings."""
    options = spec.config.validate
    history_raw = OmegaConf.to_container(spec.config.scenario, resolve=True)
    states_file, relations_file = cast_files(spec.config)
    summary, points = data_ensemble(history_raw, load, centres(spec), options.data_points, options.seeds_per_point,
                                    states_file=states_file, relations_file=relations_file,
                                    runner=point_runner(spec))
    _ensemble_report(f"Data robustness: {options.data_points} casts (ordinal codings +-{summary.attrs['spread']:.2f}) "
                     f"{centred(spec)} x {options.seeds_per_point} seeds", summary, points, out / "data_robustness")


def _ensemble_report(title: str, summary: pd.DataFrame, points: pd.DataFrame, stem: Path) -> None:
    """Print a robustness summary under its title; write it as STEM.csv, the per-point
    table as STEM_points.csv and the share of runs meeting each check as STEM_checks.csv."""
    print(wrapped(f"\n{title}:\n"))
    print(console_table(summary, wrap="name" if "name" in summary else None, float_format=lambda v: f"{v:.3g}"))
    write_csv(summary, stem.with_name(f"{stem.name}.csv"))
    write_csv(points, stem.with_name(f"{stem.name}_points.csv"))
    write_csv(summarise_checks(points), stem.with_name(f"{stem.name}_checks.csv"))


def compare_task(spec: RunSpec, out: Path, load: ScenarioLoader) -> pd.DataFrame:
    """Paired differences between scenarios, with bootstrap 95% intervals."""
    options = spec.config.compare
    names = list(spec.config.scenarios)
    views = {name: run_view(scenario, spec.runs(), bool(spec.config.progress), groups=("institutions",),
                            decisions=False)
             for name, scenario in compare_scenarios(spec, load).items()}
    institutions = [s.code for s in spec.scenario.institutions]
    table = differences(names[0], views, institutions, list(options.dates), list(options.metrics),
                        options.resamples, draws=len(spec.draws))
    print(_compare_text(table, spec, names[0]))
    drawn = [(inst, options.metrics[0]) for inst in institutions]
    figure = comparison_figure({name: view.series_table(drawn) for name, view in views.items()}, table, institutions)
    written = [*write_table(table, out / "compare", spec.config.output.format), _provenance(spec, out, spec.seeds),
               *save_figure(figure, out / "compare.png")]
    print("\nFiles:\n" + "\n".join(f"  {shown(path)}" for path in written))
    return table


def _compare_text(table: pd.DataFrame, spec: RunSpec, reference: str) -> str:
    """The printed comparison: a header saying how to read it, then the table within 100
    columns (with a posterior, its 90% interval over the draws and the share of draws with
    the overall sign)."""
    printed = table.assign(ci=table.apply(_interval_text, axis=1)).rename(columns={"institution": "inst"})
    columns = ["scenario", "inst", "metric", "date", "difference", "ci"]
    if spec.draws:
        printed = printed.assign(mean=table["difference"], posterior=table.apply(_posterior_text, axis=1),
                                 same_sign=table["draws_same_sign"])
        columns = [*columns[:4], "mean", "ci", "posterior", "same_sign"]
        header = (f"Differences from '{reference}' over {ensemble_text(spec)}, paired (each draw and seed in every "
                  "scenario): mean, the mean difference over all runs; ci, its bootstrap 95% interval (how precisely "
                  "the runs pin the mean down); posterior, the 90% interval of the draws' mean differences (what the "
                  "parameters leave open); same_sign, the share of draws whose mean difference has the sign of the "
                  "overall one; not founded: the institution does not exist yet.")
    else:
        header = (f"Differences from '{reference}' over {len(spec.seeds)} paired seeds at fixed parameters "
                  "(no posterior: seed uncertainty only; mean, bootstrap 95% CI; not founded: the institution does "
                  "not exist yet):")
    return wrapped(header + "\n") + "\n" + console_table(printed[columns], float_format=lambda v: f"{v:+.4f}",
                                                         formatters={"same_sign": "{:.2f}".format})


def _posterior_text(row: pd.Series) -> str:
    """A comparison row's 90% interval over the posterior draws as text ('' where missing)."""
    if pd.isna(row["posterior_low"]):
        return ""
    return f"[{row['posterior_low']:+.3f}, {row['posterior_high']:+.3f}]"


def _interval_text(row: pd.Series) -> str:
    """A comparison row's 95% interval as text, or 'not founded' where it is missing."""
    if pd.isna(row["ci_low"]):
        return "not founded"
    return f"[{row['ci_low']:+.3f}, {row['ci_high']:+.3f}]"


def _check_months(months: list[str], scenario: Scenario, field: str, whose: str) -> None:
    """Refuse a month that is malformed or outside `scenario`'s horizon (it would be read
    from a wrapped or missing quarter)."""
    for month in months:
        if scenario.calendar.month_step(month) is None:
            raise InputError("config", field, month, f"{scenario.calendar.horizon_text()} ({whose})")


def compare_scenarios(spec: RunSpec, load: ScenarioLoader) -> dict[str, Scenario]:
    """The scenarios `task=compare` runs, by name; every `compare.dates` entry must fall
    inside each one's horizon."""
    scenarios = load_named(load, list(spec.config.scenarios), "scenarios")
    for name, scenario in scenarios.items():
        _check_months(list(spec.config.compare.dates), scenario, "compare.dates", f"horizon of scenario '{name}'")
    return scenarios


def load_named(load: ScenarioLoader, names: list[str], field: str) -> dict[str, Scenario]:
    """The scenarios a config field lists, by name; an unknown name is refused naming `field`."""
    scenarios = {}
    for name in names:
        try:
            scenarios[name] = load(name)
        except MissingConfigException as error:
            raise InputError("config", field, name, ", ".join(error.options or ()) or
                             "the name of a scenario config") from None
    return scenarios


def _check_plot_dates(spec: RunSpec, results: Path) -> None:
    """`plot.dates` must fall inside the horizon of the run whose results are drawn."""
    if _timeseries_file(results):
        _check_months(list(spec.config.plot.dates), _scenario_of(results, spec), "plot.dates",
                      f"horizon of the run in {results}")


def _check_output_dates(spec: RunSpec) -> None:
    """The dates of `sensitivity.outputs` must fall inside the scenario's horizon and, for
    an institution's metric, not before its founding (where the metric is missing)."""
    scenario = spec.scenario
    for text in spec.config.sensitivity.outputs:
        entity, _, date = parse_output(text)
        step = scenario.calendar.month_step(date)
        if step is None:
            raise InputError("config", "sensitivity.outputs", text,
                             f"ENTITY:metric@date with {scenario.calendar.horizon_text()}")
        if entity in [s.code for s in scenario.institutions]:
            founded = scenario.founding_step(entity)
            if founded is None or step < founded:
                raise InputError("config", "sensitivity.outputs", text,
                                 f"a date from {entity}'s founding "
                                 f"({scenario.dates[founded][:7] if founded is not None else 'never'}) on")


def _check_target_window(spec: RunSpec) -> None:
    """The validated scenario must span every date the targets read."""
    if any(spec.scenario.calendar.month_step(date) is None for date in TARGET_WINDOW):
        raise InputError("config", "scenario", spec.scenario.name,
                         f"a scenario spanning {TARGET_WINDOW[0]} to {TARGET_WINDOW[1]} (the dates the "
                         f"validation targets read; this one covers {spec.scenario.calendar.horizon_text()})")


def check_inputs(spec: RunSpec, load: ScenarioLoader) -> None:
    """Refuse, before any run or output folder, what the chosen task would fail on later
    (the task's `TaskEntry.check`): a date outside its scenario's horizon (`compare.dates`,
    `plot.dates`, `sensitivity.outputs`, the validation targets' window), a results folder
    `task=plot` cannot read, a scenario of `sweep.scenarios` that is unknown or invalid, a
    discovery whose outcome cannot be read or splits no runs."""
    TASK_TABLE[spec.config.task].check(spec, load)


def run(spec: RunSpec, out: Path, load: ScenarioLoader) -> None:
    """Run the task `spec.config.task` (its `TaskEntry.run`) into `out`."""
    TASK_TABLE[spec.config.task].run(spec, out, load)


def score_task(spec: RunSpec, out: Path) -> pd.DataFrame:
    """Run the scenario's ensemble and score it against the observed outcomes: how often
    each record is reproduced, per kind and overall, and the confusion of three-way outcomes."""
    view = run_view(spec.scenario, spec.runs(), progress=bool(spec.config.progress))
    records, outcomes = score_records(view, spec.observed)
    summary = score_summary(records)
    paths = [write_csv(records, out / "score_records.csv"), write_csv(summary, out / "score_summary.csv"),
             write_csv(confusion(spec.observed, outcomes), out / "score_confusion.csv"),
             _provenance(spec, out, spec.seeds)]
    print(wrapped(f"Runs: {ensemble_text(spec)}; a match share counts every run\n"))
    print(wrapped(report(spec.observed, records, summary, spec.scenario.name)))
    print("\nFiles:\n" + "\n".join(f"  {shown(path)}" for path in paths))
    return summary


def _sweep_outcome(spec: RunSpec) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, str]:
    """The finished runs of the sweep in `results`, its time series, the runs with the
    outcome's value (a column named as `discover.outcome`) and how many of the planned runs
    they are; refuses an incomplete sweep unless `allow_partial` and an outcome the sweep
    did not record."""
    options = spec.config.discover
    with reading(Path(spec.config.results) / "parts"):
        runs, series, used = SweepStore(Path(spec.config.results)).finished(bool(spec.config.allow_partial))
    try:
        values = output_values(series, [options.outcome])
    except InputError as error:
        raise InputError("config", "discover.outcome", options.outcome, error.allowed) from None
    return runs, series, runs.merge(values, on=["run", "point"]), used


def _discovery_check(spec: RunSpec) -> None:
    """What `task=discover` refuses before it writes anything, for its `discover.analysis`."""
    if str(spec.config.discover.analysis) == "prim":
        _discovery_cases(spec)
    else:
        runs, _, merged, _ = _sweep_outcome(spec)
        cases(runs, merged[spec.config.discover.outcome], Condition("below", 0.0))


def _discovery_cases(spec: RunSpec) -> tuple[pd.DataFrame, np.ndarray, pd.DataFrame, Condition, str]:
    """The finished runs of the sweep in `results` (`_sweep_outcome`): their varied
    parameters, whether the outcome's condition holds, the runs table, the condition
    (`discover.level`, or, when null, `default_level` of the outcome's values) and how many
    of the planned runs they are; refuses a condition that holds in all runs or none."""
    options = spec.config.discover
    runs, _, merged, used = _sweep_outcome(spec)
    outcome = merged[options.outcome].to_numpy(dtype=float)
    level = options.level if options.level is not None else default_level(outcome, str(options.when))
    condition = Condition(str(options.when), float(level))
    x, y = cases(merged.drop(columns=options.outcome), merged[options.outcome], condition)
    if not y.any() or y.all():
        observed = f"{np.nanmin(outcome):.4g} to {np.nanmax(outcome):.4g}" if np.isfinite(outcome).any() else "none"
        raise InputError("config", "discover.level", f"{level:g} (met in {int(y.sum())} of {y.size} runs)",
                         f"a level between the outcome's values in this sweep ({observed}) that some runs "
                         "meet and some do not, or null (the level that splits them most evenly)")
    return x, y, runs, condition, used


def discover_task(spec: RunSpec, out: Path) -> pd.DataFrame:
    """Scenario discovery on a sweep folder, by `discover.analysis`: PRIM's box, the
    parameters' feature scores or the outcome's envelope."""
    analysis = str(spec.config.discover.analysis)
    return {"prim": _prim_task, "features": _features_task, "envelope": _envelope_task}[analysis](spec, out)


def _features_task(spec: RunSpec, out: Path) -> pd.DataFrame:
    """The EMA Workbench's extra-trees feature scores: which swept parameters drive the
    outcome's value across the sweep's runs."""
    options = spec.config.discover
    runs, _, merged, used = _sweep_outcome(spec)
    x, _ = cases(merged.drop(columns=options.outcome), merged[options.outcome], Condition("below", 0.0))
    scores = feature_scores(x, merged[options.outcome].to_numpy(dtype=float))
    title = f"{output_label(options.outcome)} ({len(x)} runs)"
    print(wrapped(f"Runs used: {used}"))
    print(wrapped(f"Feature scores (extra trees) of {title}: the share of the forest's fit each parameter "
                  "carries (they sum to 1)\n"))
    print(console_table(scores.assign(label=[parameter_label(n) for n in scores["parameter"]]),
                        float_format=lambda v: f"{v:.3f}"))
    written = [write_csv(scores, out / "discover_features.csv"),
               _provenance(spec, out, sorted(runs["seed"].unique().tolist()), used),
               *save_figure(features_figure(scores, title), out / "discover_features")]
    print("\nFiles:\n" + "\n".join(f"  {shown(path)}" for path in written))
    return scores


def _envelope_task(spec: RunSpec, out: Path) -> pd.DataFrame:
    """The outcome's series over time in every run of the sweep: its envelope (range), its
    median and 90% band, the outcome's date marked, drawn by the EMA Workbench."""
    options = spec.config.discover
    runs, series, _, used = _sweep_outcome(spec)
    entity, metric, month = parse_output(options.outcome)
    table = envelope(series, entity, metric)
    bands = pd.DataFrame({"min": table.min(), "q05": table.quantile(0.05), "median": table.median(),
                          "q95": table.quantile(0.95), "max": table.max()}).rename_axis("date").reset_index()
    print(wrapped(f"Runs used: {used}"))
    at = bands[bands["date"] == quarter_start(month)]
    print(wrapped(f"Envelope of {entity} {metric_label(metric)} over {len(table)} runs; at {quarter_label(quarter_start(month))}: "
                  + ", ".join(f"{name} {at[name].iloc[0]:.3f}" for name in ("min", "median", "max"))))
    written = [write_csv(bands, out / "discover_envelope.csv"),
               _provenance(spec, out, sorted(runs["seed"].unique().tolist()), used),
               *save_figure(envelope_figure(table, entity, metric, quarter_start(month)), out / "discover_envelope")]
    print("\nFiles:\n" + "\n".join(f"  {shown(path)}" for path in written))
    return bands


def _prim_task(spec: RunSpec, out: Path) -> pd.DataFrame:
    """PRIM on a sweep folder: the parameter box in which the outcome's condition holds."""
    options = spec.config.discover
    x, y, runs, condition, used = _discovery_cases(spec)
    if options.level is None:
        print(wrapped(f"discover.level not given: {condition.level:g}, the level that splits the {y.size} runs most "
              f"evenly ({options.outcome} {condition} in {int(y.sum())} of them)\n"))
    trajectory, box, step = discover(x, y, options.threshold, options.peel_alpha)
    title = f"{output_label(options.outcome)} {condition} ({int(y.sum())} of {y.size} runs)"
    print(wrapped(f"Runs used: {used}"))
    chosen = trajectory.loc[step]
    print(wrapped(f"Scenario discovery (PRIM) for {title}: box at step {step}, coverage {chosen['coverage']:.2f}, "
          f"density {chosen['density']:.2f}, {int(chosen['res_dim'])} restricted parameters\n"))
    print(console_table(box, float_format=lambda v: f"{v:.4g}"))
    written = [write_csv(trajectory, out / "discover_trajectory.csv"), write_csv(box, out / "discover_box.csv"),
               _provenance(spec, out, sorted(runs["seed"].unique().tolist()), used),
               *save_figure(tradeoff_figure(trajectory, step, title), out / "discover_tradeoff"),
               *save_figure(box_figure(box, chosen["coverage"], chosen["density"], title), out / "discover_box")]
    print("\nFiles:\n" + "\n".join(f"  {shown(path)}" for path in written))
    return box


def _sweep_folder(sweep: SweepSpec, kind: str, name: str, identity: dict[str, Any], base: Params,
                  scenarios: dict[str, Scenario]) -> Path:
    """A sweep's folder: `sweep.dir` when given, else `results/<kind>/<name>-<hash>`, named
    by the hash of everything its numbers depend on (`store_digest`), so another spec gets
    another folder and the same spec finds, and resumes, its own."""
    if sweep.dir:
        return Path(sweep.dir)
    return named_folder(kind, name, store_digest(identity, base, scenarios))


def _also(link: Path | None) -> str:
    """` (also LINK)` after "Files" when the folder got a `latest` link, else nothing."""
    return f" (also {shown(link)})" if link is not None else ""


def _computed_line(store: SweepStore, total: int) -> str:
    """What this call of the sweep computed: nothing (all stored), everything, or the rest
    of an interrupted sweep."""
    if store.computed == 0:
        return f"Nothing to compute: all {total} runs were already in {shown(store.folder)}"
    if store.computed < total:
        return f"Resumed: {total - store.computed} of {total} runs were already stored, {store.computed} computed"
    return f"Computed {total} runs"


def sweep_inputs(spec: RunSpec, load: ScenarioLoader) -> tuple[SweepSpec, dict[str, Scenario]]:
    """The configured sweep and its scenarios by name, checked (names, metrics)."""
    sweep = parse_spec(OmegaConf.to_container(spec.config.sweep, resolve=True, enum_to_str=True))
    scenarios = load_named(load, sweep.scenarios, "sweep.scenarios")
    first = next(iter(scenarios.values()))
    check_metrics(sweep.metrics, first.cast.codes, [s.code for s in first.institutions],
                  [c for c, g in zip(first.cast.codes, first.cast.great_power) if g])
    return sweep, scenarios


def sweep_task(spec: RunSpec, out: Path, load: ScenarioLoader) -> SweepStore:
    """Run (or resume) the configured sweep; print where its tables are."""
    sweep, scenarios = sweep_inputs(spec, load)
    draws = spec.draw_values or None
    folder = _sweep_folder(sweep, "sweep", sweep.name, sweep_identity(sweep, draws), spec.params, scenarios)
    store = run_sweep(sweep, scenarios, spec.params, folder, progress=bool(spec.config.progress), draws=draws)
    runs = store.runs()
    print(f"Sweep '{sweep.name}': {len(runs)} runs ({(runs['status'] == 'done').sum()} done), "
          f"{runs['chunk'].nunique()} chunks, backend {sweep.backend} x {sweep.workers}")
    print(_computed_line(store, len(runs)))
    print(sweep_outcomes(pd.read_parquet(folder / "runs_summary.parquet"), list(sweep.parameters)))
    where = shown(folder)
    print(f"Files{_also(mark_latest('sweep', folder))}:\n  {where / 'manifest.json'}\n  {where / 'runs.parquet'}"
          f"\n  {where / 'runs_summary.parquet'}\n  {where / 'parts'}/")
    return store


def calibrate_task(spec: RunSpec, out: Path, load: ScenarioLoader) -> Path:
    """Run (or resume) the configured calibration; print the posterior summary and files."""
    calibration = parse_calibration(OmegaConf.to_container(spec.config.calibrate, resolve=True, enum_to_str=True))
    scenarios = twin_scenarios(spec.scenario, load)
    if calibration.models:
        return model_choice_task(spec, calibration, scenarios)
    folder = _calibration_folder(calibration, spec.params, scenarios)
    before = _generations(folder)
    calibrate(calibration, scenarios, spec.params, folder, progress=bool(spec.config.progress))
    if before and before == _generations(folder):
        print(f"Nothing to compute: all {len(before)} generations were already in {shown(folder)}\n")
    _provenance(spec, folder, [])
    mark_latest("calibrate", folder)
    figures = calibration_figures(folder)
    table = pd.read_csv(folder / "posterior.csv")
    print(wrapped(f"Calibration '{calibration.name}': posterior of {len(calibration.free)} parameters "
          f"(weighted mean and 90% interval):\n"))
    print(console_table(table, float_format=lambda v: f"{v:.3g}"))
    print(f"\nGenerations:\n{console_table(pd.read_csv(folder / 'diagnostics.csv', keep_default_na=False), float_format=lambda v: f'{v:.4g}')}")
    flat = flat_statistics(folder)
    if flat:
        print(wrapped(f"\nNo spread over the prior, so left out of the distance: {', '.join(flat)}"))
    floored = floored_statistics(folder)
    if floored:
        print(wrapped(f"\nNo spread over the prior, so scaled at the floor: {', '.join(floored)}"))
    print("\nFiles:\n" + "\n".join(f"  {shown(folder) / name}" for name in CALIBRATION_FILES)
          + "".join(f"\n  {shown(path)}" for path in figures))
    return folder


def model_choice_task(spec: RunSpec, calibration: CalibrationSpec, scenarios: dict[str, Scenario]) -> Path:
    """`task=calibrate calibrate.models=[...]`: run (or resume) the ABC model choice and
    print each model's posterior probability with its Monte Carlo error."""
    folder = (Path(calibration.dir) if calibration.dir else
              named_folder("calibrate", f"{calibration.name}_models", choice_digest(calibration, spec.params, scenarios)))
    before = sorted(folder.glob("repeat*/*/generations/g*.json"))
    table = choose_models(calibration, scenarios, spec.params, folder, progress=bool(spec.config.progress))
    if before and before == sorted(folder.glob("repeat*/*/generations/g*.json")):
        print(f"Nothing to compute: all {len(before)} generations were already in {shown(folder)}\n")
    _provenance(spec, folder, [])
    print(wrapped(f"Model choice '{calibration.name}': posterior probability of each model (uniform prior over "
                  f"{len(table)} models), mean over {calibration.repeats} repeats, with its standard deviation "
                  "(Monte Carlo error):\n"))
    print(console_table(table.drop(columns="description"), float_format=lambda v: f"{v:.3g}"))
    flat = left_out(folder, calibration.repeats, calibration.models[0])
    print(wrapped("\nNo spread over the pooled prior, so left out of the distance: " + "; ".join(
        f"repeat {r}: {', '.join(names) or 'none'}" for r, names in flat.items())))
    print("\nFiles:\n" + "\n".join(f"  {shown(folder) / name}" for name in CHOICE_FILES))
    return folder


def _calibration_folder(calibration: CalibrationSpec, base: Params, scenarios: dict[str, Scenario],
                        suffix: str = "") -> Path:
    """A calibration's folder: `calibrate.dir` when given, else
    `results/calibrations/<name><suffix>-<hash>`, the hash covering the spec, the base
    parameters, the scenarios and the code (`calibration_digest`)."""
    if calibration.dir:
        folder = Path(calibration.dir)
        return folder.with_name(f"{folder.name}{suffix}") if suffix else folder
    return named_folder("calibrate", f"{calibration.name}{suffix}", calibration_digest(calibration, base, scenarios))


def _generations(folder: Path) -> list[str]:
    """The generation records a calibration folder holds (names of generations/g*.json)."""
    return sorted(path.name for path in (folder / "generations").glob("g*.json"))


def sensitivity_task(spec: RunSpec, out: Path, load: ScenarioLoader) -> pd.DataFrame:
    """Morris screening or Sobol indices for the chosen outputs, through the sweep engine."""
    options = spec.config.sensitivity
    outputs = list(options.outputs)
    _check_output_dates(spec)
    engine = OmegaConf.to_container(spec.config.sweep, resolve=True, enum_to_str=True)
    bounds = {}
    for name in options.parameters:
        if name not in BEHAVIOURAL:
            raise InputError("config", "sensitivity.parameters", name, ", ".join(BEHAVIOURAL))
        low, high = spread_bounds(spec.params, name, options.spread)
        bounds[name] = {"low": low, "high": high}
    sweep = parse_spec({**{k: engine[k] for k in ("backend", "workers", "scheduler", "chunk_size")},
                        "name": f"sensitivity_{options.method}", "scenarios": [spec.scenario.name],
                        "design": options.method, "parameters": bounds, "samples": options.samples,
                        "seeds_per_point": options.seeds_per_point,
                        "metrics": sorted({parse_output(t).series for t in outputs}), "dir": options.dir})
    scenarios = {spec.scenario.name: spec.scenario}
    extra = {"outputs": outputs}
    folder = _sweep_folder(sweep, "sensitivity", str(options.method), sweep_identity(sweep, extra=extra),
                           spec.params, scenarios)
    store = run_sweep(sweep, scenarios, spec.params, folder, progress=bool(spec.config.progress), extra=extra)
    points = design_points(sweep)
    table = analyse(options.method, problem(sweep), points, output_values(store.timeseries(), outputs), outputs)
    print(wrapped(f"Sensitivity ({options.method}, {len(points)} points x {options.seeds_per_point} seeds); "
          f"{_computed_line(store, len(store.runs())).lower()}:\n"))
    print(console_table(table, float_format=lambda v: f"{v:.4f}"))
    figure = sensitivity_figure(table, options.method)
    written = [write_csv(table, folder / "sensitivity.csv", float_format=CSV_FLOAT_FORMAT),
               _provenance(spec, folder, list(range(options.seeds_per_point))),
               *save_figure(figure, folder / "sensitivity.png")]
    print(f"\nFiles{_also(mark_latest('sensitivity', folder))}:\n"
          + "\n".join(f"  {shown(path)}" for path in written) + f"\n  runs: {shown(folder) / 'parts'}/")
    return table


def collect_task(spec: RunSpec, results: Path) -> pd.DataFrame:
    """Join the runs_summary tables of the multirun job folders in `results` into
    `results/runs_summary` (in `output.format`)."""
    table, used = collect(results, bool(spec.config.allow_partial))
    written = [*write_table(table, results / "runs_summary", spec.config.output.format),
               write_yaml({"results_used": used}, results / "collect.yaml")]
    print(wrapped(f"Collected {len(table)} runs from {used}"))
    print("Files:\n" + "\n".join(f"  {shown(path)}" for path in written))
    return table


def plot_task(spec: RunSpec, results: Path) -> list[Path]:
    """Draw every figure the files in `results` allow, into `results/figures/`."""
    options = spec.config.plot
    _check_plot_dates(spec, results)
    out = results / "figures"
    inputs = FigureInputs(dates=list(options.dates), threshold=options.network_threshold, outcome=options.outcome)
    if source := _timeseries_file(results):
        inputs.series = read_table(source, dates=("date",))
        scenario = _scenario_of(results, spec)
        inputs.scenario, inputs.markers = scenario.name, event_markers(scenario)
        inputs.institutions = [s.code for s in scenario.institutions]
    used = None
    if (results / "manifest.json").exists():
        with reading(results / "parts"):
            inputs.sweep_runs, inputs.sweep_series, used = SweepStore(results).finished(bool(spec.config.allow_partial))
        inputs.swept = list(read_json(results / "manifest.json")["spec"]["parameters"])
    if (results / "sensitivity.csv").exists():
        inputs.sensitivity = read_table(results / "sensitivity.csv")
        inputs.method = "morris" if (inputs.sensitivity["index"] == "mu_star").any() else "sobol"
    written = [path for name, figure in draw_figures(inputs).items() for path in save_figure(figure, out / name)]
    if not written:
        raise InputError("config", "results", str(results), PLOT_SOURCES)
    if used is not None:
        written.append(write_yaml({"results_used": used}, out / "results_used.yaml"))
        print(wrapped(f"Runs used: {used}"))
    print("Figures:\n" + "\n".join(f"  {shown(p)}" for p in written))
    return written


def _timeseries_file(results: Path) -> Path | None:
    """A main job's time-series table in `results` (Parquet preferred, else CSV), if any."""
    return next((path for path in (results / "timeseries.parquet", results / "timeseries.csv")
                 if path.exists()), None)


def _check_results(results: Path) -> None:
    """The tables of a results folder `task=plot` draws must be readable and hold the
    columns it reads (their footer or header is read, not the rows)."""
    if not (_timeseries_file(results) or (results / "manifest.json").exists()
            or (results / "sensitivity.csv").exists()):
        raise InputError("config", "results", str(results), PLOT_SOURCES)
    for path, columns in ((_timeseries_file(results), TIMESERIES_COLUMNS),
                          (results / "sensitivity.csv", SENSITIVITY_COLUMNS)):
        if path is None or not path.exists():
            continue
        missing = [c for c in columns if c not in table_columns(path)]
        if missing:
            raise DataError(str(path), "columns", missing, f"a table with the columns {', '.join(columns)}")


def _scenario_of(results: Path, spec: RunSpec) -> Scenario:
    """The scenario a main-job folder was run with (from its config.yaml), for event
    markers; a config.yaml that is not the one this project writes is a `DataError`."""
    saved = results / "config.yaml"
    if not saved.exists():
        return spec.scenario
    try:
        config = yaml.safe_load(saved.read_text(encoding="utf-8"))["config"]
        return load_scenario(config["scenario"], spec.scenario.cast, source=str(saved))
    except (UnicodeDecodeError, yaml.YAMLError, TypeError, KeyError) as error:
        raise DataError(str(saved), "config.scenario", type(error).__name__,
                        "the config.yaml this project writes next to its results, or none") from None


def _no_check(spec: RunSpec, load: ScenarioLoader) -> None:
    """A task whose inputs `sim.app.config.resolve` has checked completely."""


def _check_plot(spec: RunSpec, load: ScenarioLoader) -> None:
    """`plot.dates` inside the drawn run's horizon, and tables `task=plot` can read."""
    _check_plot_dates(spec, Path(spec.config.results))
    _check_results(Path(spec.config.results))


def _validate(spec: RunSpec, out: Path, load: ScenarioLoader) -> None:
    """`task=validate`: exit status 1 when a target or the quiet future fails."""
    if not validate_task(spec, out, load):
        raise SystemExit(1)


@dataclass(frozen=True)
class TaskEntry:
    """How a task of `sim.app.config.TASKS` (which describes it for `--help`) runs: `run` does
    the work from the validated spec into the output folder, with the loader of other
    scenarios; `check` refuses, before anything is run or written, inputs the task would
    fail on later."""

    run: Callable[[RunSpec, Path, ScenarioLoader], object]
    check: Callable[[RunSpec, ScenarioLoader], object] = _no_check


#: Every task (`task=NAME`) by name: the command line dispatches through this table.
TASK_TABLE: dict[str, TaskEntry] = {
    "run": TaskEntry(lambda spec, out, load: run_task(spec, out)),
    "validate": TaskEntry(_validate, lambda spec, load: _check_target_window(spec)),
    "calibrate": TaskEntry(calibrate_task),
    "compare": TaskEntry(compare_task, compare_scenarios),
    "sweep": TaskEntry(sweep_task, sweep_inputs),
    "sensitivity": TaskEntry(sensitivity_task, lambda spec, load: _check_output_dates(spec)),
    "plot": TaskEntry(lambda spec, out, load: plot_task(spec, Path(spec.config.results)), _check_plot),
    "score": TaskEntry(lambda spec, out, load: score_task(spec, out)),
    "discover": TaskEntry(lambda spec, out, load: discover_task(spec, out), lambda spec, load: _discovery_check(spec)),
    "collect": TaskEntry(lambda spec, out, load: collect_task(spec, Path(spec.config.results))),
    "list": TaskEntry(lambda spec, out, load: print(listing())),
}
