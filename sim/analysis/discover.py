"""Scenario discovery: under which parameter values does an outcome of interest happen?

The question users ask of a sweep ("when does Uzbekistan leave?", "when does SCO cohesion
fall below 0.7?") is answered with the Patient Rule Induction Method (PRIM; Friedman and
Fisher 1999), as the EMA Workbench implements it (Kwakkel 2017): PRIM peels the sampled
parameter space into a box in which the outcome is frequent (density) while keeping most
of its cases (coverage). The runs come from a sweep folder (its parameter columns and one
output per run); each run is a case, so seeds are pooled.
"""

from __future__ import annotations

import logging
import operator
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.errors import InputError

OPERATORS = {"below": (operator.lt, "<"), "at_most": (operator.le, "<="), "above": (operator.gt, ">"),
             "at_least": (operator.ge, ">=")}
EXCLUDED = ("run", "chunk", "scenario", "point", "seed", "status")


@dataclass(frozen=True)
class Condition:
    """An outcome's condition: `when` (below, at_most, above, at_least) a `level`."""

    when: str
    level: float

    def __post_init__(self) -> None:
        if self.when not in OPERATORS:
            raise InputError("config", "discover.when", self.when, ", ".join(OPERATORS))

    def __call__(self, values: np.ndarray) -> np.ndarray:
        return OPERATORS[self.when][0](values, self.level)

    def __str__(self) -> str:
        return f"{OPERATORS[self.when][1]} {self.level:g}"


def cases(runs: pd.DataFrame, outcome: pd.Series, condition: Condition) -> tuple[pd.DataFrame, np.ndarray]:
    """The swept parameters of every run (the columns that vary) and whether the outcome's
    condition holds in it."""
    names = [c for c in runs.columns if c not in EXCLUDED and runs[c].nunique() > 1]
    if not names:
        raise InputError("config", "results", "", "a sweep folder whose runs vary at least one parameter")
    x = runs[names].astype(float).reset_index(drop=True)
    return x, condition(outcome.to_numpy(dtype=float))


def default_level(values: np.ndarray, when: str) -> float:
    """The level that splits the runs most evenly under `when`: of the outcome's observed
    values, the one whose condition holds in the share of runs nearest one half (for a
    continuous outcome about the median; for a coded one, such as a status, the code that
    separates the commonest classes). With one value only, that value (no split exists)."""
    observed = np.unique(values[~np.isnan(values)])
    if observed.size < 2:
        return float(observed[0]) if observed.size else float("nan")
    shares = np.array([OPERATORS[when][0](values, level).mean() for level in observed])
    usable = (shares > 0) & (shares < 1)
    distance = np.where(usable, np.abs(shares - 0.5), np.inf)
    return float(observed[int(np.argmin(distance))])


def _chosen(trajectory: pd.DataFrame, threshold: float) -> int:
    """The box to report: the widest-covering one at or above the density threshold, else
    the densest."""
    dense = trajectory[trajectory["density"] >= threshold]
    if dense.empty:
        return int(trajectory["density"].idxmax())
    return int(dense["coverage"].idxmax())


def discover(x: pd.DataFrame, y: np.ndarray, threshold: float, peel_alpha: float) -> tuple[pd.DataFrame, pd.DataFrame, int]:
    """PRIM on cases x (parameters) and y (outcome happened): returns the peeling
    trajectory (coverage, density, mass, restricted dimensions per step), the chosen box's
    limits (lower and upper per parameter, the sampled range, quasi-p-values of each
    restriction; restricted parameters first) and the chosen step."""
    if not y.any() or y.all():
        raise InputError("config", "discover.level", f"met in {int(y.sum())} of {y.size} runs",
                         "a condition that holds in some runs but not all (PRIM needs both)")
    logging.getLogger("EMA").setLevel(logging.WARNING)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the Workbench's own warnings (optional evaluators, pandas deprecations)
        from ema_workbench.analysis import prim
        box = prim.Prim(x, y, threshold=threshold, peel_alpha=peel_alpha).find_box()
    trajectory = box.peeling_trajectory.reset_index(drop=True)
    step = _chosen(trajectory, threshold)
    limits = box.box_lims[step]
    quasi_p = {name: [np.nan if v == -1 else float(v) for v in values] for name, values in box.qp[step].items()}
    table = pd.DataFrame({"parameter": x.columns, "lower": limits.loc[0, x.columns].to_numpy(float),
                          "upper": limits.loc[1, x.columns].to_numpy(float),
                          "sampled_min": x.min().to_numpy(), "sampled_max": x.max().to_numpy()})
    table["restricted"] = table["parameter"].isin(list(quasi_p))
    table["qp_lower"] = [quasi_p.get(n, [np.nan, np.nan])[0] for n in table["parameter"]]
    table["qp_upper"] = [quasi_p.get(n, [np.nan, np.nan])[1] for n in table["parameter"]]
    table = table.sort_values("restricted", ascending=False, kind="stable").reset_index(drop=True)
    columns = [c for c in ("coverage", "density", "mass", "res_dim", "n", "k") if c in trajectory]
    return trajectory[columns], table, step


#: What `task=discover` computes from a sweep (`discover.analysis`): PRIM's box, the
#: parameters' feature scores, or the outcome's envelope over time.
ANALYSES = ("prim", "features", "envelope")
#: Seed of the extra-trees forest behind the feature scores: the same sweep gives the same scores.
FOREST_SEED = 0


def feature_scores(x: pd.DataFrame, values: np.ndarray, trees: int = 100) -> pd.DataFrame:
    """How much each varied parameter drives an outcome: the EMA Workbench's extra-trees
    feature scores (the impurity-based importances of a forest of `trees` extremely
    randomised trees regressing the outcome's values on the parameters; they sum to 1),
    highest first. An outcome that does not vary across the runs is refused."""
    finite = np.isfinite(values)
    if finite.sum() < 2 or np.nanmin(values) == np.nanmax(values):
        raise InputError("config", "discover.outcome", "the same value in every run",
                         "an outcome that varies across the sweep's runs (feature scores rank what moves it)")
    logging.getLogger("EMA").setLevel(logging.WARNING)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the Workbench's own warnings (optional evaluators, pandas deprecations)
        from ema_workbench.analysis import feature_scoring
        scores, _ = feature_scoring.get_ex_feature_scores(
            x[finite].reset_index(drop=True), values[finite], mode=feature_scoring.RuleInductionType.REGRESSION,
            nr_trees=trees, random_state=FOREST_SEED)
    table = scores.iloc[:, 0].rename("score").rename_axis("parameter").reset_index()
    return table.sort_values("score", ascending=False, kind="stable").reset_index(drop=True)


def envelope(series: pd.DataFrame, entity: str, metric: str) -> pd.DataFrame:
    """An outcome's values over time in every run of a sweep: one row per run, one column
    per date (runs in order; NaN where the series has no value, e.g. before a founding)."""
    rows = series[(series["entity"] == entity) & (series["metric"] == metric)]
    return rows.pivot_table(index="run", columns="date", values="value", observed=True, dropna=False).sort_index()
