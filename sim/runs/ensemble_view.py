"""Read-only views of an ensemble's tables by (entity, metric) and by decision."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from sim.scenarios.calendar import Calendar
from sim.io.records import decisions_table, stacked_series

if TYPE_CHECKING:
    from sim.core.engine import RunResult


class EnsembleView:
    """Fast look-ups into the long tables of one scenario's ensemble."""

    def __init__(self, series: pd.DataFrame, decisions: pd.DataFrame) -> None:
        runs = int(series["run"].nunique())
        steps = int(series["step"].max()) + 1
        dates = series.drop_duplicates("step").sort_values("step")["date"]
        ordered = series.sort_values(["entity", "metric", "run", "step"], kind="stable")
        values = {(str(entity), str(metric)): group["value"].to_numpy().reshape(runs, steps)
                  for (entity, metric), group in ordered.groupby(["entity", "metric"], observed=True, sort=False)}
        self._set(values, [f"{d:%Y-%m}" for d in dates], decisions)

    @classmethod
    def from_models(cls, models: Sequence["RunResult"]) -> "EnsembleView":
        """The view of finished runs of one scenario (run = position in `models`), built from
        their arrays without the long time-series table: the same content, several times
        faster (validation and calibration run many small ensembles)."""
        view = cls.__new__(cls)
        decisions = decisions_table(models, range(len(models)))
        view._set(stacked_series(models), [d[:7] for d in models[0].scenario.dates], decisions)
        return view

    @classmethod
    def concat(cls, views: Sequence["EnsembleView"]) -> "EnsembleView":
        """One view of several views of the same scenario, runs numbered in order."""
        if len(views) == 1:
            return views[0]
        view = cls.__new__(cls)
        offsets = np.cumsum([0] + [v.runs for v in views[:-1]])
        decisions = pd.concat([v.decisions.assign(run=v.decisions["run"] + offset)
                               for v, offset in zip(views, offsets)], ignore_index=True)
        values = {key: np.concatenate([v._values[key] for v in views]) for key in views[0]._values}
        view._set(values, views[0].dates, decisions)
        return view

    def _set(self, values: dict[tuple[str, str], np.ndarray], dates: list[str], decisions: pd.DataFrame) -> None:
        self._values = values
        self.runs, self.steps = next(iter(values.values())).shape
        self.dates = dates
        self.decisions = decisions

    def entities(self, metric: str) -> list[str]:
        """Entities that have a given metric (e.g. every state for `status.CSTO`)."""
        return [e for (e, m) in self._values if m == metric]

    def values(self, entity: str, metric: str) -> np.ndarray:
        """Array (runs, steps) of one metric of one entity."""
        return self._values[(entity, metric)]

    def step(self, date: str) -> int:
        """Step of a 'YYYY-MM' date (the quarter containing it); a malformed date or one
        outside the ensemble's quarters raises ValueError rather than wrap or truncate."""
        calendar = Calendar.of_dates(self.dates)
        step = calendar.month_step(date)
        if step is None:
            raise ValueError(f"date {date!r} is outside this ensemble; allowed: {calendar.horizon_text()}")
        return step

    def series_table(self, pairs: Sequence[tuple[str, str]]) -> pd.DataFrame:
        """The long time-series rows (run, step, date, entity, metric, value) of some
        (entity, metric) pairs: what a figure of them reads, without the whole table."""
        dates = pd.to_datetime(pd.Series(self.dates), format="%Y-%m").to_numpy()
        runs, steps = self.runs, self.steps
        frames = [pd.DataFrame({"run": np.repeat(np.arange(runs), steps), "step": np.tile(np.arange(steps), runs),
                                "date": np.tile(dates, runs), "entity": entity, "metric": metric,
                                "value": self.values(entity, metric).ravel()})
                  for entity, metric in pairs]
        return pd.concat(frames, ignore_index=True)

    def at(self, entity: str, metric: str, date: str) -> np.ndarray:
        """Values per run at a date."""
        return self.values(entity, metric)[:, self.step(date)]

    def mean_between(self, entity: str, metric: str, start: str, end: str) -> np.ndarray:
        """Per-run mean over the quarters from `start` to `end` inclusive."""
        return self.values(entity, metric)[:, self.step(start):self.step(end) + 1].mean(axis=1)

    def outcomes(self, **match: str) -> pd.DataFrame:
        """Decision rows matching column values, e.g. kind='vote', subject='UKR'."""
        rows = self.decisions
        for column, value in match.items():
            rows = rows[rows[column] == value]
        return rows

    def outcome_per_run(self, **match: str) -> np.ndarray:
        """The single outcome of a decision in each run ('' where it did not happen)."""
        rows = self.outcomes(**match)
        result = np.full(self.runs, "", dtype=object)
        for run, outcome in zip(rows["run"], rows["outcome"]):
            result[run] = outcome
        return result
