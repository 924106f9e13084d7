"""The two benefits of a club in its members' utility: legitimation and functional benefit.

The article holds that members value the SCO and the CSTO mainly for the legitimation they
give their regimes and less for what they deliver functionally ('Protective integration',
'Conclusion'); the model leaves that to the weights `w_legitimacy` and `w_functional`
(docs/ODD.md, 7.4). `channel_ratio` measures what the claim says at a parameter point, or
at each draw of a posterior: the mean legitimation term of the utility over the mean
functional term, over members in good standing and quarters.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

from sim.core.engine import Engine
from sim.core.observables import INSTITUTION_METRICS
from sim.core.params import Params
from sim.runs.ensemble import BATCH_SIZE
from sim.scenarios.schema import Scenario

#: The quarters the ratio reads by default: the history after the SCO's first full year.
RATIO_WINDOW = ("2002-01", "2018-12")


def _steps(scenario: Scenario, start: str, end: str) -> tuple[int, int]:
    """First and last step of the 'YYYY-MM' months `start` and `end`; ValueError outside
    the scenario's horizon."""
    calendar = scenario.calendar
    first, last = calendar.month_step(start), calendar.month_step(end)
    if first is None or last is None or last < first:
        raise ValueError(f"{start}..{end} is not a period of {scenario.name}; allowed: {calendar.horizon_text()}")
    return first, last


def channel_sums(scenario: Scenario, runs: Sequence[tuple[Params, int]], start: str,
                 end: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per run and institution, summed over the quarters `start`..`end` and the members in
    good standing: w_legitimacy x legitimation benefit, w_functional x functional benefit,
    and the number of member-quarters; three (R, K) arrays. Read off the observables
    `legitimation_term` and `functional_term`, which validation's check 2.legitimation_outweighs
    reads too."""
    first, last = _steps(scenario, start, end)
    engine = Engine(scenario, [p for p, _ in runs], [seed for _, seed in runs], groups=("institutions",),
                    decisions=False)
    while engine.t <= last:
        engine.step()
    block = engine.records["institutions"][:, first:last + 1]
    return term_sums(lambda metric: block[..., INSTITUTION_METRICS.index(metric)])


def term_sums(series: Callable[[str], np.ndarray]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The pooled sums `channel_ratio` divides, from `series` (an institution metric's name
    -> its values over the chosen quarters, quarters on axis 1, NaN before a club is
    founded): the per-quarter means `legitimation_term` and `functional_term` times the
    members in good standing, summed over the quarters, and the member-quarters."""
    legitimation = series("legitimation_term")
    members = np.where(np.isnan(legitimation), 0.0, series("n_active") + series("n_hedging"))
    return (np.nansum(legitimation * members, axis=1), np.nansum(series("functional_term") * members, axis=1),
            members.sum(axis=1))


def channel_ratio(scenario: Scenario, points: Sequence[Params], seeds: Sequence[int],
                  start: str = RATIO_WINDOW[0], end: str = RATIO_WINDOW[1]) -> pd.DataFrame:
    """Legitimation against functional benefit at each parameter point (e.g. each draw of a
    posterior), pooled over `seeds`, members in good standing and the quarters `start`..`end`.

    One row per point and institution: `point` (position in `points`), `institution`,
    `legitimation` and `functional` (the mean weighted terms of the utility, w_legitimacy x
    B and w_functional x f) and `ratio` (legitimation / functional; inf when the functional
    term is zero, NaN when both are). A ratio above 1 is the article's claim.
    """
    runs = [(params, seed) for params in points for seed in seeds]
    sums = [np.concatenate(parts) for parts in zip(*(channel_sums(scenario, runs[i:i + BATCH_SIZE], start, end)
                                                     for i in range(0, len(runs), BATCH_SIZE)))]
    legitimation, functional, count = (part.reshape(len(points), len(seeds), -1).sum(axis=1) for part in sums)
    rows = []
    for point in range(len(points)):
        for k, code in enumerate(spec.code for spec in scenario.institutions):
            n = max(count[point, k], 1.0)
            legit, func = legitimation[point, k] / n, functional[point, k] / n
            with np.errstate(divide="ignore", invalid="ignore"):
                ratio = np.float64(legit) / np.float64(func)
            rows.append({"point": point, "institution": code, "legitimation": legit, "functional": func,
                         "ratio": float(ratio)})
    return pd.DataFrame(rows)
