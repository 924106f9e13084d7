"""Sensitivity analysis: Morris screening or Sobol indices (SALib) over sweep results.

Each design point is run over several seeds; the model output at a point is the mean over
its seeds. The table also reports how much of the outputs' variance the seeds alone carry
(mean within-point variance over total variance), so a reader can tell a real parameter
effect from noise (ten Broeke et al. 2016).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from sim.core.outcomes import Outcome
from sim.errors import InputError

METHODS = ("morris", "sobol")
#: Significant digits of the numbers in sensitivity.csv: enough for the indices, and few
#: enough that the file does not change with the last bits of floating-point arithmetic.
SIGNIFICANT_DIGITS = 4
CSV_FLOAT_FORMAT = f"%.{SIGNIFICANT_DIGITS}g"


def parse_output(text: str) -> Outcome:
    """The output written ENTITY:metric@YYYY-MM (it unpacks as entity, metric, month)."""
    try:
        outcome = Outcome.parse(text)
    except ValueError:
        outcome = None
    if outcome is None or not outcome.entity or not outcome.month:
        raise InputError("config", "sensitivity.outputs", text,
                         "outputs written ENTITY:metric@YYYY-MM, e.g. SCO:cohesion@2018-10")
    return outcome


def output_values(series: pd.DataFrame, outputs: list[str]) -> pd.DataFrame:
    """One row per run: run, point and the value of each output."""
    table = None
    for text in outputs:
        entity, metric, date = parse_output(text)
        month = pd.Timestamp(f"{date}-01")
        quarter = pd.Timestamp(year=month.year, month=3 * ((month.month - 1) // 3) + 1, day=1)
        rows = series[(series["entity"] == entity) & (series["metric"] == metric) & (series["date"] == quarter)]
        if rows.empty:
            raise InputError("config", "sensitivity.outputs", text, "an entity, metric and date present in the results")
        values = rows[["run", "point", "value"]].rename(columns={"value": text})
        table = values if table is None else table.merge(values, on=["run", "point"])
    return table


def analyse(method: str, problem: dict[str, Any], points: np.ndarray, per_run: pd.DataFrame,
            outputs: list[str], seed: int = 0) -> pd.DataFrame:
    """Sensitivity indices per output and parameter, with 95% confidence intervals."""
    from SALib.analyze import morris, sobol
    rows = []
    for text in outputs:
        by_point = per_run.groupby("point")[text]
        y = by_point.mean().reindex(range(len(points))).to_numpy()
        within = float(by_point.var(ddof=1).mean()) if by_point.size().min() > 1 else 0.0
        total = float(per_run[text].var(ddof=1))
        seed_share = within / total if total > 0 else 0.0
        if method == "morris":
            result = morris.analyze(problem, points, y, num_levels=4, conf_level=0.95, seed=seed)
            for i, name in enumerate(problem["names"]):
                rows.append({"output": text, "parameter": name, "index": "mu_star",
                             "value": float(result["mu_star"][i]), "conf": float(result["mu_star_conf"][i]),
                             "sigma": float(result["sigma"][i]), "seed_variance_share": seed_share})
        else:
            result = sobol.analyze(problem, y, calc_second_order=False, conf_level=0.95, seed=seed)
            for i, name in enumerate(problem["names"]):
                for index in ("S1", "ST"):
                    rows.append({"output": text, "parameter": name, "index": index,
                                 "value": float(result[index][i]), "conf": float(result[f"{index}_conf"][i]),
                                 "sigma": float("nan"), "seed_variance_share": seed_share})
    return pd.DataFrame(rows)
