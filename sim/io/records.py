"""Records: finished runs' observations as tidy tables.

`timeseries_frame` turns the arrays a run recorded into the long table `run, seed, step,
date, entity, metric, value`; `decisions_frame` turns its decision log into one row per
decision. Both are plain pandas frames, written to Parquet by the callers. A run is a
`sim.core.engine.RunResult` or a finished `ProtectiveIntegrationModel` (both give
`observations()`, `rows`/`decisions`, `codes`, `institution_codes`, `great_power_codes`,
`scenario` and `seed`). The metric names are those of the observables registry
(`sim.core.observables.OBSERVABLES`): institution rows (entity = SCO, CSTO, ...) are
missing (NaN, not zero) in the quarters before the institution is founded; state rows
include families such as `trust_in.<code>` and `engagement.<institution>`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from sim.core.outcomes import Outcome
from sim.core.observables import GROUPS, INSTITUTION_METRICS, STATE_FAMILIES, STATE_METRICS, block_values, blocks, suffixes
from sim.errors import InputError

if TYPE_CHECKING:
    from sim.core.engine import RunResult

TIMESERIES_COLUMNS = ("run", "seed", "step", "date", "entity", "metric", "value")
#: Institution metrics a run summary reports at the final quarter (the n_* are counts by status).
SUMMARY_METRICS = ("cohesion", "trust", "congruence", "engagement", "functional_output",
                   "n_active", "n_hedging", "n_suspended", "n_withdrawn", "n_observer")
DECISION_COLUMNS = ("run", "seed", "step", "date", "event", "institution", "state", "kind", "subject",
                    "topic", "outcome", "blocked_by", "setter", "score", "detail")


def _block(values: np.ndarray, entities: list[str], metrics: list[str]) -> tuple:
    """Flatten a (steps, entities, metrics) array into long columns."""
    steps, n_entities, n_metrics = values.shape
    step = np.repeat(np.arange(steps), n_entities * n_metrics)
    entity = np.tile(np.repeat(np.arange(n_entities), n_metrics), steps)
    metric = np.tile(np.arange(n_metrics), steps * n_entities)
    return step, np.asarray(entities, dtype=object)[entity], np.asarray(metrics, dtype=object)[metric], values.ravel()


def observables(model: "RunResult") -> list[tuple[np.ndarray, list[str], list[str]]]:
    """Every series of the time-series table as blocks (values (steps, entities, metrics),
    entity names, metric names); the last block is trust (when recorded), whose diagonal (a
    state's trust in itself) is not a series."""
    return blocks(model.observations(), model.codes, model.institution_codes, model.great_power_codes)


def _layout(model: "RunResult") -> tuple[np.ndarray, pd.Categorical, pd.Categorical]:
    """(step, entity, metric) of every row of a run's time-series table, in table order
    (the same for every run of a scenario); entity and metric with sorted categories."""
    *plain, (trust, codes, names) = observables(model)
    steps = trust.shape[0]
    parts = [_block(values, entities, metrics)[:3] for values, entities, metrics in plain]
    rows, cols = _off_diagonal(len(codes))
    parts.append((np.repeat(np.arange(steps), rows.size), np.asarray(codes, dtype=object)[np.tile(rows, steps)],
                  np.asarray(names, dtype=object)[np.tile(cols, steps)]))
    step, entity, metric = (np.concatenate([p[k] for p in parts]) for k in range(3))
    return step, pd.Categorical(entity), pd.Categorical(metric)


def _off_diagonal(n: int) -> tuple[np.ndarray, np.ndarray]:
    return np.nonzero(~np.eye(n, dtype=bool))


def _values(model: "RunResult") -> np.ndarray:
    """Every value of a run's time-series table, in the order of `_layout`."""
    *plain, trust = block_values(model.observations())
    rows, cols = _off_diagonal(trust.shape[1])
    return np.concatenate([values.ravel() for values in plain] + [trust[:, rows, cols].ravel()])


def stacked_series(models: Sequence["RunResult"]) -> dict[tuple[str, str], np.ndarray]:
    """(entity, metric) -> array (runs, steps) over finished runs of one scenario: the
    time-series table's content without building the table (for validation, calibration
    and comparisons), of the groups the runs recorded."""
    recorded = [group for group in GROUPS if group in models[0].observations()]
    per_run = [block_values(model.observations()) for model in models]
    series = {}
    for b, (group, (_, entities, metrics)) in enumerate(zip(recorded, observables(models[0]))):
        stacked = np.stack([values[b] for values in per_run])
        trust = group == "trust_in"
        for e, entity in enumerate(entities):
            for m, metric in enumerate(metrics):
                if not (trust and e == m):
                    series[(entity, metric)] = stacked[:, :, e, m]
    return series


def _seed(model: "RunResult") -> int:
    return model.seed if model.seed is not None else -1


def _dates(model: "RunResult") -> np.ndarray:
    return pd.to_datetime(pd.Series(model.scenario.dates)).to_numpy()


def timeseries_table(models: Sequence["RunResult"], runs: Sequence[int]) -> pd.DataFrame:
    """The long table `run, seed, step, date, entity, metric, value` of finished runs of
    one scenario (run i is `runs[i]`), built at once: the row layout is computed for the
    first run and repeated, entity and metric are categoricals."""
    step, entity, metric = _layout(models[0])
    count, n = len(models), len(step)
    return pd.DataFrame({
        "run": np.repeat(np.asarray(runs, dtype=np.int64), n),
        "seed": np.repeat(np.asarray([_seed(m) for m in models], dtype=np.int64), n),
        "step": np.tile(step.astype(np.int64), count),
        "date": np.tile(_dates(models[0])[step], count),
        "entity": pd.Categorical.from_codes(np.tile(entity.codes, count), dtype=entity.dtype),
        "metric": pd.Categorical.from_codes(np.tile(metric.codes, count), dtype=metric.dtype),
        "value": np.concatenate([_values(m) for m in models]).astype(float),
    })


def timeseries_frame(model: "RunResult", run: int = 0) -> pd.DataFrame:
    """The long time-series table of one finished run."""
    return timeseries_table([model], [run])


def decisions_frame(model: "RunResult", run: int = 0) -> pd.DataFrame:
    """One row per decision the run made (declarations, votes, interventions, ...)."""
    return decisions_table([model], [run])


def decisions_table(models: Sequence["RunResult"], runs: Sequence[int]) -> pd.DataFrame:
    """The decisions of several runs as one table, built at once (run i is `runs[i]`)."""
    frame = pd.DataFrame([row for model in models for row in model.rows],
                         columns=[c for c in DECISION_COLUMNS if c not in ("run", "seed")])
    counts = [len(model.rows) for model in models]
    frame.insert(0, "seed", np.repeat([_seed(model) for model in models], counts))
    frame.insert(0, "run", np.repeat(np.asarray(runs, dtype=np.int64), counts))
    frame["date"] = pd.to_datetime(frame["date"])
    return frame.astype({"run": "int64", "seed": "int64", "step": "int64", "score": "float64"})


def _state_series(model: "RunResult", data: dict, code: str, metric: str) -> np.ndarray:
    i = model.codes.index(code)
    if metric in STATE_METRICS:
        return data["states"][:, i, STATE_METRICS.index(metric)]
    family = next(f for f in STATE_FAMILIES if metric.startswith(f.name + "."))
    names = suffixes(family, model.codes, model.institution_codes, model.great_power_codes)
    return data[family.name][:, i, names.index(metric)]


def metric_series(model: "RunResult", spec: str,
                  data: dict | None = None) -> list[tuple[str, str, np.ndarray]]:
    """(entity, metric, values per quarter) for one metric spec.

    A bare institution metric (e.g. `cohesion`) gives it for every institution;
    `ENTITY:metric` names one entity (an institution, or a state with a state metric
    such as `engagement.CSTO` or `trust_in.RUS`).
    """
    data = model.observations() if data is None else data
    insts = model.institution_codes
    entity, metric, _ = Outcome.parse(spec)
    if not entity:
        k = INSTITUTION_METRICS.index(metric)
        return [(code, metric, data["institutions"][:, j, k]) for j, code in enumerate(insts)]
    if entity in insts:
        return [(entity, metric, data["institutions"][:, insts.index(entity), INSTITUTION_METRICS.index(metric)])]
    return [(entity, metric, _state_series(model, data, entity, metric))]


def known_metric(entity: str, metric: str, codes: list[str], institutions: list[str],
                 great_powers: list[str]) -> bool:
    """Whether a run's time-series table has `metric` for `entity` (an institution or a state code)."""
    if entity in institutions:
        return metric in INSTITUTION_METRICS
    state_metrics = set(STATE_METRICS).union(*(suffixes(f, codes, institutions, great_powers)
                                               for f in STATE_FAMILIES))
    return entity in codes and metric in state_metrics


def check_metrics(specs: list[str], codes: list[str], institutions: list[str], great_powers: list[str],
                  source: str = "sweep") -> None:
    """Refuse metric specs that name no known entity or metric."""
    for spec in specs:
        try:
            entity, metric, month = Outcome.parse(spec)
        except ValueError:
            entity, metric, month = "", "", ""
        ok = not month and ((not entity and metric in INSTITUTION_METRICS)
                            or known_metric(entity, metric, codes, institutions, great_powers))
        if not ok:
            raise InputError(source, "metrics", spec,
                             f"an institution metric ({', '.join(INSTITUTION_METRICS)}), optionally "
                             "as INSTITUTION:metric, or STATE:metric (e.g. UZB:engagement.CSTO)")


def selected_frame(models: Sequence["RunResult"], runs: Sequence[int],
                   specs: list[str]) -> pd.DataFrame:
    """The long table of finished runs of one scenario restricted to the chosen metrics
    (for large sweeps), built once for all of them; rows are ordered run by run."""
    columns: list[list] = [[], [], []]
    for model in models:
        data = model.observations()
        for spec in specs:
            for entity, metric, values in metric_series(model, spec, data):
                columns[0].append(entity)
                columns[1].append(metric)
                columns[2].append(values)
    steps = len(models[0].scenario.dates)
    per_run = len(columns[0]) // len(models) * steps
    step = np.tile(np.arange(steps), len(columns[0]))
    return pd.DataFrame({
        "run": np.repeat(np.asarray(runs, dtype=np.int64), per_run),
        "seed": np.repeat(np.asarray([_seed(m) for m in models], dtype=np.int64), per_run),
        "step": step.astype(np.int64),
        "date": _dates(models[0])[step],
        "entity": pd.Categorical(np.repeat(columns[0], steps)),
        "metric": pd.Categorical(np.repeat(columns[1], steps)),
        "value": np.concatenate(columns[2]).astype(float),
    })


def wide_frame(series: pd.DataFrame) -> pd.DataFrame:
    """The long time-series table as BehaviorSpace's "table" output lays it out: one row per
    (run, quarter) with `run, seed, step, date`, then one column per reporter named
    ENTITY.metric (e.g. `SCO.cohesion`, `UZB.engagement.CSTO`), in the long table's order."""
    names = series["entity"].astype(str) + "." + series["metric"].astype(str)
    keys = ["run", "seed", "step", "date"]
    wide = series.assign(column=names).pivot(index=keys, columns="column", values="value")
    wide = wide[list(dict.fromkeys(names))]
    wide.columns.name = None
    return wide.reset_index()


def summary_frame(series: pd.DataFrame, runs: pd.DataFrame) -> pd.DataFrame:
    """One row per run of `series` listed in `runs`: the columns of `runs` (run, seed,
    parameters, ...), then the reporters of the run's final quarter present in `series`,
    named ENTITY.metric: each institution's SUMMARY_METRICS (the counts by status as
    integers) and each state's engagement in each institution (e.g. `UZB.engagement.CSTO`)."""
    last = series[series["step"] == series.groupby("run")["step"].transform("max")]
    metric = last["metric"].astype(str)
    last = last[metric.isin(SUMMARY_METRICS) | metric.str.startswith("engagement.")]
    names = last["entity"].astype(str) + "." + last["metric"].astype(str)
    wide = last.assign(column=names).pivot(index="run", columns="column", values="value")
    wide = wide[list(dict.fromkeys(names))]
    counts = [c for c in wide.columns if c.partition(".")[2].startswith("n_")]
    wide = wide.astype({c: "int64" for c in counts})
    return runs.merge(wide.reset_index(), on="run", how="inner").reset_index(drop=True)
