"""Write docs/CALIBRATION.md (and its figures under docs/figures/) from result folders.

    python benchmarks/calibration.py calibrate.dir=CAL          # the full calibration, timed
    python -m sim task=validate validate.split=time hydra.run.dir=SPLIT
    python -m sim task=compare posterior=CAL hydra.run.dir=COMPARE \
        'scenarios=[history,no_crimea,no_georgia_recognition,no_csto_revision,no_sco_enlargement,sco_enlarge_tm_mn]' \
        'compare.dates=[2018-10]' 'compare.metrics=[cohesion]'
    python experiments/sbc_study.py SBC calibrate=sbc 20
    python experiments/calibration_report.py CAL SPLIT COMPARE SBC

After a change of the checks' kinds only, `--predictive sim/data/posterior.parquet` re-runs
the posterior predictive section alone (its draws from the packaged posterior) and keeps
the rest.

Every number in the document comes from these folders; the text around them says how to
read them, not what they are.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pandas as pd
import yaml

import numpy as np

import sim
from sim.app.calibration_plots import calibration_figures
from sim.app.config import resolve
from sim.analysis.calibration import flat_statistics, floored_statistics, posterior_draws
from sim.analysis.functional import channel_ratio
from sim.analysis.predictive import predictive_share, predictive_table
from sim.analysis.validation import CHECKS, twin_scenarios
from sim.io.store import code_version, read_json
from model_choice_report import kept_section, tolerance_rule  # the sibling scripts (experiments/ is on sys.path when run)
from validation_report import markdown

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "CALIBRATION.md"
FIGURES = ROOT / "docs" / "figures"


def _figures(calibration: Path) -> list[str]:
    """Draw the calibration's figures, copy the PNGs next to the docs; return their Markdown
    images."""
    calibration_figures(calibration)
    lines = []
    for name in ("posterior_marginals", "posterior_pairs", "generations"):
        shutil.copyfile(calibration / "figures" / f"{name}.png", FIGURES / f"calibration_{name}.png")
        lines.append(f"![{name}](figures/calibration_{name}.png)")
    return lines


#: A parameter whose 90% posterior interval spans at least this share of its prior is
#: reported as unidentified.
UNIDENTIFIED = 0.9

#: Posterior draws and seeds per draw of the legitimation/functional ratio.
RATIO_DRAWS, RATIO_SEEDS = 200, 3


def channel_table(calibration: Path) -> tuple[pd.DataFrame, int]:
    """Per institution, the legitimation/functional ratio (`sim.analysis.functional`)
    over RATIO_DRAWS posterior draws x RATIO_SEEDS seeds on the history: its median and
    90% interval over the draws and the share of draws in which legitimation weighs more
    (the article's claim); and the number of draws."""
    spec = resolve(sim.compose([]))
    draws = posterior_draws(calibration, spec.params, RATIO_DRAWS)
    ratios = channel_ratio(spec.scenario, draws, list(range(RATIO_SEEDS)))
    rows = []
    for inst, group in ratios.groupby("institution", sort=False):
        values = group["ratio"].to_numpy()
        q05, q50, q95 = np.quantile(values, [0.05, 0.5, 0.95])
        rows.append({"institution": inst, "median": q50, "q05": q05, "q95": q95,
                     "share_of_draws_above_1": float(np.mean(values > 1.0))})
    default = channel_ratio(spec.scenario, [spec.params], list(range(RATIO_SEEDS)))
    table = pd.DataFrame(rows)
    table["default_point"] = table["institution"].map(default.set_index("institution")["ratio"])
    return table, len(draws)


def _stopped_by(diagnostics: pd.DataFrame) -> str:
    """The rule that ended the sampler, in words (diagnostics.csv of a calibration made
    before the column existed stopped at its cap or by acceptance; it does not say which)."""
    rule = diagnostics["stopped_by"].fillna("").iloc[-1] if "stopped_by" in diagnostics else ""
    return {"acceptance": "acceptance (few new particles beat the last tolerance): converged",
            "tolerance": "tolerance (it no longer falls): converged",
            "cap": "the generation cap: NOT converged"}.get(rule, "not recorded (an older calibration)")


#: Posterior draws and seeds per draw of the posterior predictive check. 200 draws: a share
#: near 0.8 then has a standard error of about 0.03 (over 50 draws two calibrations read
#: 0.80 and 0.70 where 200 draws read 0.81 and 0.76).
PREDICTIVE_DRAWS, PREDICTIVE_SEEDS = 200, 5


def predictive_check(calibration: Path) -> tuple[float, float, float, pd.DataFrame]:
    """Over PREDICTIVE_DRAWS posterior draws x PREDICTIVE_SEEDS seeds: the share of draws
    meeting every evidence check at once in >= 90% of their seeds, the same share at the
    defaults (0 or 1), the share meeting every check (consistency ones too), and
    per check (evidence first) the share of draws meeting it."""
    spec = resolve(sim.compose([]))
    scenarios = twin_scenarios(spec.scenario, lambda name: resolve(sim.compose([f"scenario={name}"])).scenario)
    seeds = list(range(PREDICTIVE_SEEDS))
    draws = posterior_draws(calibration, spec.params, PREDICTIVE_DRAWS)
    ordered = [c for c in CHECKS if c.evidence] + [c for c in CHECKS if not c.evidence]
    both = predictive_table(scenarios, [*draws, spec.params], seeds,   # the defaults run as the last draw
                            [c.key for c in ordered])
    table, default = both.iloc[:-1], both.iloc[-1:]
    per_check = pd.DataFrame([{"check": c.key, "kind": "evidence" if c.evidence else "consistency",
                               "share_of_draws": predictive_share(table, f"check_{c.key}"),
                               "default_point": predictive_share(default, f"check_{c.key}")} for c in ordered])
    return (predictive_share(table), predictive_share(default), predictive_share(table, "every_check"),
            per_check)


PREDICTIVE_HEADING = "## Posterior predictive check"


def predictive_section(predictive: float, predictive_default: float, every_check: float,
                       per_check: pd.DataFrame, source: str = "") -> list[str]:
    """The posterior predictive section from `predictive_check`'s results (`source`: where
    its draws came from, when not the calibration folder of the report)."""
    return [
        PREDICTIVE_HEADING,
        f"Over {PREDICTIVE_DRAWS} posterior draws x {PREDICTIVE_SEEDS} seeds of the history and its twins "
        f"(`sim/analysis/predictive.py`{source}): the share of draws that meet every evidence check of the "
        f"validation at once in at least 90% of their seeds is **{predictive:.2f}** (goal: at least 0.8; the "
        f"defaults, the posterior medians: {predictive_default:.0f}); the share meeting every check, the consistency "
        f"checks too (the calibration's joint statistic asks for all of them), is **{every_check:.2f}**. Per check, "
        "the share of draws meeting it in at least 90% of their seeds:",
        markdown(per_check),
    ]


def refresh_predictive(posterior: Path) -> str:
    """docs/CALIBRATION.md with its posterior predictive section run anew from `posterior`
    (the packaged posterior.parquet) against the checks as the code declares them now,
    the rest of the document kept: for a change of the checks' kinds, which moves no
    calibration number but this section's."""
    text = OUT.read_text()
    start = text.index(PREDICTIVE_HEADING)
    end = text.index("\n## ", start + len(PREDICTIVE_HEADING))
    commit = code_version().get("git_commit", "unknown")[:10]
    section = predictive_section(*predictive_check(posterior), source=f"; re-run at commit `{commit}` from "
                                 f"`{posterior.name}`, the same posterior, after the checks' kinds changed")
    return text[:start] + "\n\n".join(section) + "\n" + text[end:]


#: What each `calibrate.statistics` choice summarises a particle by, in words.
STATISTICS_WORDS = {
    "checks": "per particle, the share of its seeds meeting every check at once, evidence and consistency "
              "alike (`joint`, weighing as much as the per-check shares together) and the share meeting each "
              "check (`check_<key>`)",
    "shares": "per target, the share of a particle's seeds meeting it",
    "shares_and_values": "per target, the share of a particle's seeds meeting it and the mean of its statistic",
}


def _named(names: list[str]) -> str:
    return ", ".join(f"`{n}`" for n in names)


def dropped_statistics(calibration: Path) -> str:
    """The summary statistics that did not vary over the prior's particles, named, never
    dropped silently: under `checks` they enter the distance at the floor scale
    (`calibration.floor_scale`, as generation 0 recorded it); under the older choices the
    distance leaves them out."""
    floored, flat = floored_statistics(calibration), flat_statistics(calibration)
    if not floored and not flat:
        return "Every summary statistic varied over the prior's particles and enters the distance on its spread."
    lines = []
    if floored:
        first = read_json(calibration / "generations" / "g000.json")
        floor = first["scales"][first["statistics"].index(floored[0])]
        lines.append("Statistics at the floor scale (every prior particle scored the same, so they enter the "
                     f"distance on the scale {floor:.3g}, the spread of a share of a particle's seeds at "
                     f"p = 0.5, and reward later particles that meet them): {_named(floored)}.")
    if flat:
        lines.append("Statistics that did not vary over the prior's particles and so carry no information to the "
                     f"distance (every particle scored the same): {_named(flat)}.")
    return "\n\n".join(lines)


def sbc_section(folder: Path) -> list[str]:
    """The simulation-based calibration of the method: its settings, coverage and rank
    histogram (copied next to the docs)."""
    summary = read_json(folder / "sbc_summary.json")
    table = pd.read_csv(folder / "sbc.csv")
    shutil.copyfile(folder / "rank_histogram.png", FIGURES / "calibration_sbc_ranks.png")
    settings = summary["calibrate"]
    per_parameter = table.groupby("parameter", sort=False).agg(
        coverage=("covered", "mean"), mean_rank=("rank", "mean")).reset_index()
    low, high = summary["coverage_bounds"]
    return [
        "## Simulation-based calibration of the method",
        f"Does the sampler give honest posteriors? {summary['truths']} truths drawn from the prior of the "
        f"`calibrate={settings['name']}` settings (free: {', '.join(f'`{n}`' for n in settings['free'])}; "
        f"targets {settings['targets']}; {settings['particles']} particles; stopping rules: acceptance "
        f"{settings['min_acceptance']:g}, tolerance improvement {settings['min_improvement']:g}), each "
        "calibrated against the model's own statistics simulated at it (Talts et al. 2018; "
        "`sim/analysis/sbc.py`, `experiments/sbc_study.py`). The 90% intervals cover the truth in "
        f"**{summary['coverage']:.0%}** of the (truth, parameter) pairs (pass: {low:.0%}-{high:.0%}; "
        f"{'passes' if summary['coverage_holds'] else 'FAILS'}). A calibrated method gives ranks uniform on "
        "[0, 1] (mean 0.5, a flat histogram); ranks piled at the ends mean overconfident posteriors, in the "
        "middle too wide ones.",
        markdown(per_parameter),
        "![sbc rank histogram](figures/calibration_sbc_ranks.png)",
    ]


def split_section(split: Path | None) -> list[str]:
    """The out-of-sample check by time, from a `validate.split=time` folder (None: not run)."""
    title = "## Out of sample by time"
    if split is None:
        return [title, "Not run for this report (`python -m sim task=validate validate.split=time`)."]
    time_split = pd.read_csv(split / "time_split.csv")
    wide = time_split.pivot_table(index=["fitted_on", "predicted", "target"], columns="draws_from",
                                  values=["share_of_runs", "share_of_draws_passing"]).reset_index()
    wide.columns = [" ".join(c).strip().replace("share_of_", "") for c in wide.columns]
    config = yaml.safe_load((split / "config.yaml").read_text())
    cal, val = config["config"]["calibrate"], config["config"]["validate"]
    commit = str(config.get("code_version", {}).get("git_commit", "unknown"))[:10]
    return [title,
            "Calibrated on the early targets (2001-2010 events) alone, the late ones (2011-2018) predicted, and "
            f"the reverse (commit `{commit}`; each fit: the `calibrate` settings with {cal['particles']} particles "
            f"per generation and {cal['seeds_per_particle']} seeds per particle, statistics `{cal['statistics']}`; "
            f"{val['split_draws']} posterior and {val['split_draws']} prior draws x {val['seeds_per_point']} seeds "
            "predict the held-out period). `runs`: share of (draw, seed) runs meeting the held-out "
            "target; `draws_passing`: share of parameter draws meeting it in at least 90% of their seeds; "
            "`posterior` against `prior` draws shows what the fit to one period carries to the other.",
            markdown(wide)]


def report(calibration: Path, split: Path | None, compare: Path, sbc: Path | None = None) -> str:
    """The document, from the three folders."""
    manifest = read_json(calibration / "manifest.json")
    spec = manifest["spec"]
    bench = read_json(calibration / "benchmark.json") or {}
    posterior = pd.read_csv(calibration / "posterior.csv")
    diagnostics = pd.read_csv(calibration / "diagnostics.csv", keep_default_na=False)
    contrasts = pd.read_parquet(compare / "compare.parquet")
    contrasts = contrasts[["scenario", "institution", "metric", "date", "difference", "ci_low", "ci_high",
                           "posterior_low", "posterior_high", "draws_same_sign"]]
    draws = len(yaml.safe_load((compare / "config.yaml").read_text())["posterior"]["draws"])
    ratios, ratio_draws = channel_table(calibration)
    predictive, predictive_default, every_check, per_check = predictive_check(calibration)
    sections = [
        "# Calibration report",
        "Produced by `python experiments/calibration_report.py` (its docstring lists the commands) from one "
        f"calibration at commit `{manifest['code_version'].get('git_commit', 'unknown')[:10]}`. The method, "
        "adaptive population Monte Carlo ABC (Lenormand, Jabot and Deffuant 2013), is described in "
        "`sim/analysis/calibration.py` and the README (*Calibration*).",
        "## Settings",
        "- free parameters and uniform priors: "
        + ", ".join(f"`{name}` [{low:g}, {high:g}]" for name, (low, high) in spec["free"].items()),
        f"- targets: {spec['targets']}; observation: `{spec['observed']}` (every pattern met: 1 for each "
        f"statistic); statistics: `{spec['statistics']}` ({STATISTICS_WORDS[spec['statistics']]})",
        f"- {spec['particles']} particles per generation, alpha = {spec['alpha']} kept; stop when fewer than "
        f"{spec['min_acceptance']:.0%} of new particles beat the last tolerance{tolerance_rule(spec)} (a cap of "
        f"{spec['generations']} "
        f"generations guards against a sampler that never converges); {spec['seeds_per_particle']} seeds per "
        f"particle; sampler seed {spec['seed']}",
        f"- stopped by: **{_stopped_by(diagnostics)}**",
        (f"- runtime on this project's 2-core machine: {bench['model_runs']:,} model runs "
         f"({bench['particles']:,} particles) in {bench['seconds'] / 60:.1f} minutes, "
         f"{bench['runs_per_second']:.0f} runs/s ({bench['backend']} backend, {bench['workers']} workers)"
         if bench else "- runtime: no benchmark.json in the folder"),
        "## Posterior",
        "Weighted mean, median and 90% interval per parameter; `interval_share_of_prior` is the "
        "interval's width over the prior's (1: the targets say nothing about the parameter); `identified`: "
        f"no when the interval still spans at least {UNIDENTIFIED:.0%} of the prior (the issue's rule for the "
        "noise scales: the record does not decide how contingent outcomes are).",
        markdown(posterior.assign(identified=np.where(posterior["interval_share_of_prior"] >= UNIDENTIFIED,
                                                      "no", "yes"))),
        "## Generations",
        "`epsilon`: the tolerance (largest kept distance); `acceptance`: share of a generation's new "
        "particles within the previous tolerance; `ess`: effective sample size of the kept particles; "
        "`stopped_by`: the rule that ended the sampler.",
        markdown(diagnostics),
        dropped_statistics(calibration),
        *_figures(calibration),
        *predictive_section(predictive, predictive_default, every_check, per_check),
        *(sbc_section(sbc) if sbc else ["## Simulation-based calibration of the method",
                                         "Not run for this report (`experiments/sbc_study.py`)."]),
        "## Legitimation against functional benefit",
        f"The article holds that members value the clubs for the legitimation they give their regimes more "
        f"than for what they deliver. Over {ratio_draws} posterior draws x {RATIO_SEEDS} seeds of the history: "
        "the mean legitimation term of a member's utility (w_legitimacy x benefit) over its mean functional "
        "term (w_functional x functional benefit), members in good standing, 2002-2018 "
        "(`sim/analysis/functional.py`); `share_of_draws_above_1`: how often the claim holds. Both weights "
        "are free, so the ratio could come out below 1: the prior predictive meets the claim in 70% of runs "
        "(`docs/VALIDATION.md`). Check `2.legitimation_outweighs` asks for it, so a calibration on the checks "
        "fits it and its posterior meets it by construction; the calibration of commit 37f66c6, which did not "
        "fit it, met it in every draw as well (SCO 2.83, 90% interval 2.30-3.91; CSTO 1.90, 1.53-2.61).",
        markdown(ratios),
        *split_section(split),
        "## Counterfactual contrasts over the posterior",
        f"Each scenario minus the history in 2018Q4, paired by draw and seed over {draws} draws from the "
        "posterior: `difference` with its bootstrap 95% interval (`ci_low`, `ci_high`: precision of the "
        "mean), the 90% interval of the per-draw mean over the posterior (`posterior_low`, "
        "`posterior_high`: parameter uncertainty) and the share of draws whose mean has the overall sign.",
        markdown(contrasts),
    ]
    return "\n\n".join(sections) + "\n"


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] == "--predictive":
        OUT.write_text(refresh_predictive(Path(sys.argv[2])))
        print(OUT)
        return
    if len(sys.argv) not in (4, 5):
        sys.exit("usage: python experiments/calibration_report.py CALIBRATION_DIR SPLIT_DIR|- COMPARE_DIR [SBC_DIR]\n"
                 "       python experiments/calibration_report.py --predictive POSTERIOR_PARQUET")
    kept = kept_section()  # the model-choice section, written by model_choice_report.py
    OUT.write_text(report(*(None if a == "-" else Path(a) for a in sys.argv[1:])) + (f"\n{kept}" if kept else ""))
    print(OUT)


if __name__ == "__main__":
    main()
