"""Write the model-choice section of docs/CALIBRATION.md from a model-choice folder.

    nice -n 10 python -m sim task=calibrate 'calibrate.models=[protective,functional,balancing]' \
        calibrate.particles=40 calibrate.generations=3 calibrate.seeds_per_particle=2 calibrate.repeats=3
    python experiments/model_choice_report.py results/calibrations/article_patterns_models-HASH

The section replaces an earlier one of the same heading (or is appended), and
`experiments/calibration_report.py` carries it over when it rewrites the rest, so the two
reports can be regenerated independently. Every number comes from the folder.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

from sim.analysis.model_choice import left_out
from sim.io.store import read_json
from validation_report import markdown  # the sibling script (experiments/ is on sys.path when run)

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "CALIBRATION.md"
HEADING = "## Theories compared on the record"


def tolerance_rule(spec: dict) -> str:
    """The tolerance rule in words: ', or the tolerance falls by less than X% ...', or
    that it is off (`min_improvement` 0: only a rising tolerance would stop the sampler)."""
    share = spec.get("min_improvement", 0.0)
    if share == 0:
        return " (the tolerance rule is off: min_improvement 0)"
    return f" or the tolerance falls by less than {share:.0%} of itself in a generation"


def _settings(manifest: dict) -> list[str]:
    """The settings the numbers depend on, and the code that made them."""
    spec, code = manifest["spec"], manifest["code_version"]
    free = ", ".join(f"`{name}` [{low:g}, {high:g}]" for name, (low, high) in spec["free"].items())
    dirty = " (with uncommitted changes)" if code.get("git_dirty") else ""
    return [
        f"- models: {', '.join(f'`{m}`' for m in spec['models'])}, uniform prior; each model's free parameters "
        f"are the calibration's ({free}) less those its variant fixes, plus those it adds "
        "(`configs/calibrate/models/`; table below)",
        f"- targets: {spec['targets']}; observation: `{spec['observed']}`; statistics: `{spec['statistics']}`, "
        "scaled by their spread over the pooled prior predictive of all models",
        f"- per model: {spec['particles']} particles per generation, alpha = {spec['alpha']:g}, at most "
        f"{spec['generations']} generations (stop earlier when fewer than {spec['min_acceptance']:.0%} of new "
        f"particles beat the last tolerance{tolerance_rule(spec)}); "
        f"{spec['seeds_per_particle']} seeds per particle",
        f"- repeats: {spec['repeats']}, sampler seeds {spec['seed']} to {spec['seed'] + spec['repeats'] - 1}",
        f"- code: commit `{str(code.get('git_commit'))[:10]}`{dirty}, source digest `{code['source_digest'][:12]}`",
    ]


def _runtime(folder: Path, seeds: int) -> str:
    """Model runs and seconds of every sampler's generations (the prior sample's included)."""
    seconds, runs = 0.0, 0
    for sampler in sorted(folder.glob("repeat*/*/manifest.json")):
        scenarios = len(read_json(sampler)["scenarios"])
        for record in sampler.parent.glob("generations/g*.json"):
            meta = read_json(record)
            seconds += meta["seconds"]
            runs += int(meta["simulated"]) * seeds * scenarios
    return f"- runtime on this project's 2-core machine, shared with other jobs: {runs:,} model runs in " \
           f"{seconds / 60:.1f} minutes (local backend, 2 workers)"


def _verdict(table: pd.DataFrame, rows: pd.DataFrame) -> str:
    """Which model the record favours and by how much, in words: the mean probabilities,
    their ratio (the posterior odds) and in how many repeats the favourite was ahead."""
    ordered = table.sort_values("probability", ascending=False).reset_index(drop=True)
    best = ordered.iloc[0]
    per_repeat = rows.pivot(index="repeat", columns="model", values="probability")
    odds = []
    for _, rival in ordered.iloc[1:].iterrows():
        ahead = int((per_repeat[best["model"]] > per_repeat[rival["model"]]).sum())
        ratio = (f"{best['probability'] / rival['probability']:.3g} to 1" if rival["probability"] > 0
                 else "no rival particle within the tolerance in any repeat")
        odds.append(f"against `{rival['model']}` {ratio}, ahead in {ahead} of {len(per_repeat)} repeats")
    return (f"The record favours **`{best['model']}`**: posterior probability {best['probability']:.3f} "
            f"(sd {best['sd']:.3f} over {int(best['repeats'])} repeats, range {best['min']:.3f}-{best['max']:.3f}). "
            f"Posterior odds (with equal prior odds, the Bayes factor): {'; '.join(odds)}.")


def section(folder: Path) -> str:
    """The Markdown section of a finished model-choice folder."""
    manifest = read_json(folder / "manifest.json")
    table = pd.read_csv(folder / "model_probabilities.csv")
    rows = pd.read_csv(folder / "model_choice.csv", keep_default_na=False)
    variants = pd.DataFrame([{"model": v["name"], "fixed": ", ".join(f"{k} = {x:g}" for k, x in v["fixed"].items())
                              or "nothing", "added or widened priors": ", ".join(
                                  f"{k} [{lo:g}, {hi:g}]" for k, (lo, hi) in v["free"].items()) or "none"}
                             for v in manifest["variants"]])
    simulated = int(rows["simulated"].sum())
    parts = [
        HEADING,
        "Does the record favour protective integration over its rivals? Each theory is a model variant "
        "(mechanism switches and priors); ABC model choice (Toni et al. 2009; Grelaud et al. 2009) runs the "
        "calibration's sampler for each on the same statistics and estimates each model's evidence, the "
        "probability that it comes within a common tolerance of the record, from all the particles it "
        "simulated (`sim/analysis/model_choice.py`). Produced by `python experiments/model_choice_report.py` "
        "(its docstring has the command).",
        "\n".join([*_settings(manifest), _runtime(folder, manifest["spec"]["seeds_per_particle"])]),
        markdown(variants),
        f"Posterior model probabilities: mean over the repeats, `sd` their standard deviation (the Monte Carlo "
        f"error), `min` and `max` the range; {simulated:,} particles simulated in all.",
        markdown(table.drop(columns="description")),
        _verdict(table, rows),
        "Statistics with no spread over the pooled prior predictive, so left out of the distance: " + "; ".join(
            f"repeat {r}: {', '.join(f'`{n}`' for n in names) or 'none'}" for r, names in
            left_out(folder, manifest["spec"]["repeats"], manifest["spec"]["models"][0]).items()) + ".",
        "Per repeat: `tolerance` is the common tolerance (the smallest final tolerance of the models' samplers), "
        "`evidence` the estimated probability of coming within it, `final_tolerance` and `stopped_by` each "
        "sampler's own end.",
        markdown(rows),
        "How to read it: a probability is how well a variant, with its parameters free over its prior, "
        "reproduces the 12 patterns' statistics relative to the others, not whether the theory is true. "
        "ABC model choice is only as good as the statistics (Robert et al. 2011): these are not sufficient "
        "across models, so a rival can lose because the statistics miss what it explains. The test "
        "`tests/test_model_choice.py` checks that they tell each variant apart on data simulated from it. "
        "The probabilities come from few particles per model; a spread over the repeats comparable to a "
        "probability means the sampler is too small to settle it. The balancing variant represents balancing "
        "by the model's power terms (security dependence on the club's leading powers, the room a balanced "
        "club leaves smaller members); the model has no term for threat from the West itself.",
    ]
    return "\n\n".join(parts) + "\n"


def kept_section(path: Path = OUT) -> str:
    """The model-choice section a document holds (empty if none), from its heading to the
    next section or the end."""
    return kept_section_of(path.read_text(encoding="utf-8") if path.exists() else "")


def with_section(text: str, new: str) -> str:
    """The document with its model-choice section replaced by `new`, or `new` appended."""
    old = kept_section_of(text)
    return text.replace(old, new) if old else text.rstrip("\n") + "\n\n" + new


def kept_section_of(text: str) -> str:
    """The model-choice section of a document's text (empty if none)."""
    start = text.find(HEADING + "\n")
    if start < 0:
        return ""
    end = text.find("\n## ", start + len(HEADING))
    return text[start:] if end < 0 else text[start:end + 1]


def main() -> None:
    if len(sys.argv) != 2:
        sys.exit("usage: python experiments/model_choice_report.py MODEL_CHOICE_DIR")
    OUT.write_text(with_section(OUT.read_text(encoding="utf-8"), section(Path(sys.argv[1]))), encoding="utf-8")
    print(OUT)


if __name__ == "__main__":
    main()
