"""Which parameters the targets need, and whether they survive other codings of the data.

`one_at_a_time` re-runs the validation with each behavioural `Params` field alone at its
neutral value (the value that switches its own effect off, declared in its metadata),
with each bundle of `MECHANISMS` (fields that carry one mechanism together) and with the
`NULL_MODEL`: an evidence check (`sim.analysis.validation`) that passes in the full
model but fails in a variant needs it (checks, not targets, are the unit: a field a
failing target's passing check needs is still needed), and a field no check needs at the default point or over the robustness ensemble
(`robustness_needs`) is inert. Noise scales are reported but never counted as inert.
`ablation` is the general table behind it (any mapping of variants to values).
`data_ensemble` re-runs the targets on casts whose ordinal codings (the values the states
and relations tables source as "Ordinal coding from the article") are perturbed, the data
counterpart of the parameter robustness check in `sim.analysis.robustness`.
"""

from __future__ import annotations

import tempfile
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

from sim.scenarios.cast import (DEFAULT_RELATIONS, DEFAULT_STATES, NORM_ATTRIBUTES, NUMERIC_ATTRIBUTES, UNIT_INTERVAL, Cast,
                      load_cast)
from sim.core.params import MECHANISMS, NEUTRAL, NOISE_SCALES, NULL_MODEL, Params
from sim.scenarios.schema import Scenario
from sim.analysis.robustness import Centres, PointRunner, cycled, robustness, summarise_points
from sim.analysis.validation import CHECKS, QUIET_SHARE, REQUIRED_SHARE, ROBUST_SHARE, CastLoader, scenarios_on

FULL_MODEL = "full model"
#: The checks an ablation variant can be needed by, in the validation's order.
EVIDENCE = tuple(c.key for c in CHECKS if c.evidence)
NULL_MODEL_NAME = "null model"
ORDINAL_SOURCE = "Ordinal coding"
#: The `kind` of an ablation row: the two references, a field at its neutral value, a
#: noise scale at zero, a bundle of fields (`MECHANISMS`).
REFERENCE, FIELD, NOISE_SCALE, BUNDLE = "reference", "field", "noise", "bundle"
#: The `verdict` of a field or bundle row: needed by a check at the default point, needed
#: only over the robustness ensemble, needed by nothing (inert), or a noise scale (judged
#: by the calibration, never counted as inert).
NEEDED, ROBUST_ONLY, INERT, NOISE_VERDICT = "needed", "robust only", "inert", "noise scale"


def _switched_off(overrides: Mapping[str, float]) -> str:
    return ", ".join(f"{name}={value}" for name, value in overrides.items())


def ablation(scenarios: dict[str, Scenario], params: Params, seeds: list[int], progress: bool = False,
             mechanisms: Mapping[str, Mapping[str, float]] = MECHANISMS,
             quiet: tuple[Scenario, str] | None = None, runner: PointRunner | None = None) -> pd.DataFrame:
    """One row per variant: the full model, each entry of `mechanisms` switched off, the null model.

    Each row has the share of seeds meeting every target (`target_<n>`), the number of
    targets passing, and `needed_by`: the evidence checks met by REQUIRED_SHARE of the
    seeds in the full model but not in this variant (empty for a mechanism no check
    needs). With `quiet` (the quiet future scenario and the last date of the history)
    each row also has `quiet_future`, the smaller share of the stability check, and `needed_by` lists
    "quiet" when the check passes in the full model and fails in the variant.
    `mechanisms` maps a variant's name to the values it sets. The variants run as points
    on `runner` (default: in this process, nothing kept).
    """
    variants = {FULL_MODEL: {}, **mechanisms, NULL_MODEL_NAME: NULL_MODEL}
    runner = runner or PointRunner(progress=progress)
    points = [(scenarios, replace(params, **overrides)) for overrides in variants.values()]
    shares = runner.run(runner.tasks(points, seeds, quiet), "ablation")
    rows = [_variant_row(name, overrides, met) for (name, overrides), met in zip(variants.items(), shares)]
    full = rows[0]["passed"]
    for row in rows:
        needed = full - row.pop("passed")
        row["needed_by"] = [key for key in (*EVIDENCE, "quiet") if key in needed]
    return pd.DataFrame(rows)


def _variant_row(name: str, overrides: Mapping[str, float], shares: Mapping[str, float]) -> dict:
    """A variant's row from its point's shares, with the set of evidence checks it passes."""
    targets = {key: value for key, value in shares.items() if key.startswith("target_")}
    passing = sum(value >= REQUIRED_SHARE for value in targets.values())
    passed = {key for key in EVIDENCE if shares[f"check_{key}"] >= REQUIRED_SHARE}
    row = {"variant": name, "switched_off": _switched_off(overrides), **targets, "passing": passing}
    if "quiet_future" in shares:
        row["quiet_future"] = shares["quiet_future"]
        if shares["quiet_future"] >= QUIET_SHARE:
            passed.add("quiet")
    return {**row, "passed": passed}


def one_at_a_time_variants(neutral: Mapping[str, float] = NEUTRAL,
                           bundles: Mapping[str, Mapping[str, float]] = MECHANISMS) -> dict[str, dict[str, float]]:
    """The variants of the one-at-a-time ablation: each field alone at its neutral value
    (named by the field), then each bundle of `bundles`."""
    return {**{name: {name: value} for name, value in neutral.items()}, **{n: dict(o) for n, o in bundles.items()}}


def one_at_a_time(scenarios: dict[str, Scenario], params: Params, seeds: list[int], progress: bool = False,
                  neutral: Mapping[str, float] = NEUTRAL, bundles: Mapping[str, Mapping[str, float]] = MECHANISMS,
                  quiet: tuple[Scenario, str] | None = None, runner: PointRunner | None = None) -> pd.DataFrame:
    """The `ablation` table with one variant per field of `neutral` (default: every
    behavioural `Params` field at its neutral value) and one per bundle of `bundles`
    (fields that carry one mechanism together), between the full and the null model.

    Adds `kind` (reference, field, noise, bundle), each field's `default` and `neutral`
    value (NaN for the other rows) and the `verdict` of `verdicts`. A field whose own
    effect no check needs shows an empty `needed_by`, which a bundle would hide."""
    table = ablation(scenarios, params, seeds, progress, one_at_a_time_variants(neutral, bundles), quiet, runner)
    table.insert(1, "kind", [_kind(name, neutral) for name in table["variant"]])
    table.insert(2, "default", [float(getattr(params, n)) if n in neutral else np.nan for n in table["variant"]])
    table.insert(3, "neutral", [float(neutral[n]) if n in neutral else np.nan for n in table["variant"]])
    return verdicts(table)


def _kind(variant: str, neutral: Mapping[str, float]) -> str:
    if variant in (FULL_MODEL, NULL_MODEL_NAME):
        return REFERENCE
    if variant in neutral:
        return NOISE_SCALE if variant in NOISE_SCALES else FIELD
    return BUNDLE


def verdicts(table: pd.DataFrame) -> pd.DataFrame:
    """The table with `verdict` set for every field, noise and bundle row: needed (some
    check fails without it at the default point), robust only (none does, but a target
    loses its robustness: `robust_needed_by`, when the table has it), inert (neither), or
    noise scale (never counted as inert); empty for the references."""
    robust = table["robust_needed_by"] if "robust_needed_by" in table else pd.Series([[]] * len(table), table.index)
    table = table.copy()
    table["verdict"] = [_verdict(kind, bool(needed), bool(kept))
                        for kind, needed, kept in zip(table["kind"], table["needed_by"], robust)]
    return table


def _verdict(kind: str, needed: bool, robust: bool) -> str:
    if kind == REFERENCE:
        return ""
    if kind == NOISE_SCALE:
        return NOISE_VERDICT
    return NEEDED if needed else ROBUST_ONLY if robust else INERT


def inert(table: pd.DataFrame) -> list[str]:
    """The fields of a `one_at_a_time` table no check needs at either level."""
    return list(table.loc[(table["kind"] == FIELD) & (table["verdict"] == INERT), "variant"])


def robustness_needs(table: pd.DataFrame, full: pd.DataFrame, scenarios: dict[str, Scenario], params: Centres,
                     points: int, seeds_per_point: int, spread: float, progress: bool = False,
                     mechanisms: Mapping[str, Mapping[str, float]] = MECHANISMS,
                     runner: PointRunner | None = None) -> pd.DataFrame:
    """Add `robust_needed_by` to an ablation table: for each variant of `mechanisms` no check
    needs at the default point, the targets whose share over the robustness ensemble (`full`,
    from `sim.analysis.validation.robustness` on the same points) is at least ROBUST_SHARE
    with the mechanism and below it without (the second level of the acceptance). The
    switched-off values are held at every point (`robustness`, `fixed`) around the same
    centres (`params`). Variants already
    needed at the default point are not re-run (empty). The points run on `runner`
    (default: in this process). A table with `kind` gets its verdicts anew (`verdicts`)."""
    table = table.copy()
    table["robust_needed_by"] = [[] for _ in range(len(table))]
    robust = set(full.loc[full["share"] >= ROBUST_SHARE, "target"].astype(int))
    for index, row in table.iterrows():
        if row["needed_by"] or row["variant"] not in mechanisms:
            continue
        overrides = mechanisms[row["variant"]]
        centres = [replace(centre, **overrides) for centre in cycled(params, points)]
        summary, _ = robustness(scenarios, centres, points, seeds_per_point, spread,
                                progress=progress, runner=runner, fixed=overrides)
        still = set(summary.loc[summary["share"] >= ROBUST_SHARE, "target"].astype(int))
        table.at[index, "robust_needed_by"] = sorted(robust - still)
    return verdicts(table) if "kind" in table else table


def _read_table(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def _perturb(table: pd.DataFrame, high: pd.Series, rng: np.random.Generator, spread: float) -> pd.DataFrame:
    """The table with every ordinal-coded value moved by uniform noise in [-spread, spread],
    clipped to [0, high] (rows not ordinal-coded are left as they are)."""
    coded = table["source"].str.startswith(ORDINAL_SOURCE) & high.notna()
    values = table.loc[coded, "value"].astype(float).to_numpy()
    moved = np.clip(values + rng.uniform(-spread, spread, values.size), 0.0, high[coded].to_numpy())
    result = table.copy()
    result.loc[coded, "value"] = [repr(float(v)) for v in moved]
    return result


def _state_limits(states: pd.DataFrame) -> pd.Series:
    """Upper bound of each states-table row's value: 1 for unit-interval attributes, none
    for other numbers (power), NaN (never perturbed) for text and flags."""
    numeric = states["attribute"].isin(NUMERIC_ATTRIBUTES + NORM_ATTRIBUTES)
    unit = states["attribute"].isin(UNIT_INTERVAL)
    return pd.Series(np.where(unit, 1.0, np.where(numeric, np.inf, np.nan)), index=states.index)


def perturbed_casts(points: int, spread: float, seed: int = 0, states_file: Path = DEFAULT_STATES,
                    relations_file: Path = DEFAULT_RELATIONS) -> list[tuple[Cast, dict[str, float]]]:
    """`points` casts whose ordinal codings carry independent uniform noise of +-`spread`.

    Each perturbed pair of tables goes through `load_cast`, so it is validated as a user's
    tables would be. Returns each cast with its perturbed values by label
    (`STATE.attribute`, `STATE-OTHER.kind`), for the per-point table. Reproducible: one
    numpy Generator seeded by `seed` draws all points in order.
    """
    states, relations = _read_table(Path(states_file)), _read_table(Path(relations_file))
    state_limits = _state_limits(states)
    relation_limits = pd.Series(1.0, index=relations.index)
    rng = np.random.default_rng(seed)
    result = []
    with tempfile.TemporaryDirectory() as folder:
        for _ in range(points):
            new_states = _perturb(states, state_limits, rng, spread)
            new_relations = _perturb(relations, relation_limits, rng, spread)
            paths = Path(folder) / "states.csv", Path(folder) / "relations.csv"
            new_states.to_csv(paths[0], index=False)
            new_relations.to_csv(paths[1], index=False)
            result.append((load_cast(*paths), {**_coded_values(new_states, "state", "attribute"),
                                               **_coded_values(new_relations, "state", "other", "kind")}))
    return result


def _coded_values(table: pd.DataFrame, *keys: str) -> dict[str, float]:
    """The ordinal-coded values of a table by label, e.g. KAZ.insecurity or IND-PAK.rivalry."""
    coded = table[table["source"].str.startswith(ORDINAL_SOURCE)]
    labels = coded[list(keys[:-1])].agg("-".join, axis=1) + "." + coded[keys[-1]]
    return dict(zip(labels, coded["value"].astype(float)))


def data_ensemble(history_raw: Mapping, load: CastLoader, params: Centres, points: int, seeds_per_point: int,
                  spread: float = 0.1, seed: int = 0, states_file: Path = DEFAULT_STATES,
                  relations_file: Path = DEFAULT_RELATIONS, progress: bool = False,
                  runner: PointRunner | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Share of (point, seed) runs meeting each target over perturbed ordinal codings.

    On each cast of `perturbed_casts`, the history (`history_raw`, a scenario config) and
    its twins (`load(name, cast)`) are loaded anew and validated on seeds
    0..seeds_per_point-1, cast i at centre i of `params` (one point or posterior draws,
    cycled). Returns the per-target summary (as `robustness` does) and the
    per-point table: the perturbed values and the share of that point's seeds meeting
    each target. The points run on `runner` (default: in this process).
    """
    runner = runner or PointRunner(progress=progress)
    casts = perturbed_casts(points, spread, seed, states_file, relations_file)
    tasks = runner.tasks([(scenarios_on(cast, history_raw, load), centre)
                          for (cast, _), centre in zip(casts, cycled(params, len(casts)))],
                         range(seeds_per_point))
    shares = runner.run(tasks, "data ensemble")
    per_point = pd.DataFrame([{"point": number, **values, **met}
                              for number, ((_, values), met) in enumerate(zip(casts, shares))])
    summary = summarise_points(per_point)
    summary.attrs["spread"] = spread
    return summary, per_point
