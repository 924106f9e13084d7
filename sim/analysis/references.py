"""How much each validation check could have failed: its pass rate under three references.

A check is evidence for the model only if something could have failed it. Each check of
`sim.analysis.validation` is run under three references, on the same twins:

- the **prior predictive**: parameter sets drawn uniformly from the calibration's prior
  (`configs/calibrate`, the free weights between 0 and twice their default), a few seeds
  each: what the model's structure gives whatever the weights;
- the **null model** (`sim.core.params.NULL_MODEL`): the protective-integration mechanisms
  switched off;
- the **flat-data null**: every state's regime attributes (`REGIME_ATTRIBUTES`) and norm
  positions set to their mean over the cast's states: what the model gives when states
  differ only by power and relations, not by how insecure or illiberal their regimes are.

The two nulls run at the parameter sets the model's results come from: the posterior
draws when the validation has a posterior (`centres`), else its parameters.

A check is *informative* when at least one reference meets it in at most
`INFORMATIVE_SHARE` of its runs; one all references meet as often is a consistency check
and counts toward nothing (`Check.evidence` declares which, and the table says whether the
declaration holds). The checks read the subjects (exposed states, ...) of the real cast in
every reference, so the flat-data null asks the same questions of other data.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from sim.extras import progress_bar
from sim.core.params import NULL_MODEL, Params
from sim.runs.ensemble import run_view
from sim.analysis.robustness import Centres, cycled
from sim.analysis.validation import (REQUIRED_SHARE, TARGETS, CastLoader, Outcomes, Views, check_outcomes,
                                        check_shares, scenarios_on)
from sim.scenarios.cast import Cast
from sim.scenarios.schema import Scenario

#: The progress bar class (`sim.extras.progress_bar`: no widget warning in a notebook).
tqdm = progress_bar()
#: A check is informative when some reference meets it in at most this share of runs.
INFORMATIVE_SHARE = 0.5
#: The states-table attributes that describe a regime (not its power): flattened by the
#: flat-data null together with the norm positions.
REGIME_ATTRIBUTES = ("illiberalism", "insecurity", "sovereignty_sensitivity", "separatism_exposure")
REFERENCES = ("prior", "null", "flat_data")


def prior_draws(priors: Mapping[str, tuple[float, float]], base: Params, draws: int, seed: int = 0) -> list[Params]:
    """`draws` parameter sets: each free parameter uniform on its prior, the rest at `base`.

    One numpy Generator seeded by `seed` draws them in order, so the draws are reproducible.
    """
    rng = np.random.default_rng(seed)
    names = sorted(priors)
    result = []
    for _ in range(draws):
        result.append(replace(base, **{name: float(rng.uniform(*priors[name])) for name in names}))
    return result


def flat_cast(cast: Cast) -> Cast:
    """The cast with every state's regime attributes and norm positions at their mean over
    the states (external sources of pressure keep theirs)."""
    states = np.array([kind == "state" for kind in cast.kinds])
    attributes = dict(cast.attributes)
    for name in REGIME_ATTRIBUTES:
        values = attributes[name].copy()
        values[states] = values[states].mean()
        attributes[name] = values
    norms = cast.norms.copy()
    norms[states] = norms[states].mean(axis=0)
    return replace(cast, attributes=attributes, norms=norms)


@dataclass(frozen=True)
class Reference:
    """One reference: its scenarios (the history and its twins) and its (parameters, seed) runs."""

    name: str
    scenarios: dict[str, Scenario]
    runs: list[tuple[Params, int]]


def references(history_raw: Mapping, load: CastLoader, cast: Cast, params: Params,
               priors: Mapping[str, tuple[float, float]], draws: int, prior_seeds: Sequence[int],
               null_seeds: Sequence[int], null: Mapping[str, float] = NULL_MODEL,
               centres: Centres | None = None) -> list[Reference]:
    """The three references of the module docstring: the prior's on every draw x
    `prior_seeds` (the fields it does not draw at `params`), the two nulls on `null_seeds`,
    run i at centre i of `centres` (default: `params`; posterior draws, cycled, judge the
    nulls where the model's results come from)."""
    scenarios = scenarios_on(cast, history_raw, load)
    at = list(zip(cycled(params if centres is None else centres, len(null_seeds)), null_seeds))
    return [
        Reference("prior", scenarios, [(p, s) for p in prior_draws(priors, params, draws) for s in prior_seeds]),
        Reference("null", scenarios, [(replace(centre, **null), seed) for centre, seed in at]),
        Reference("flat_data", scenarios_on(flat_cast(cast), history_raw, load), at),
    ]


def reference_views(reference: Reference, cast: Cast, params: Params, progress: bool = False) -> Views:
    """Run a reference's scenarios on its runs; the views read the subjects of `cast`."""
    runs = {name: run_view(s, reference.runs) for name, s in
            tqdm(reference.scenarios.items(), desc=reference.name, unit="scenario", disable=not progress)}
    return Views(runs=runs, params=params, cast=cast)


def informativeness(checks: pd.DataFrame, shares: Mapping[str, Mapping[str, float]]) -> pd.DataFrame:
    """The per-check table of `evaluate_checks` with each reference's share of runs meeting
    the check, the lowest of them, whether it is informative and whether that agrees
    with the check's declared kind."""
    table = checks.copy()
    for name in REFERENCES:
        table[name] = table["check"].map(shares[name])
    table["lowest"] = table[list(REFERENCES)].min(axis=1)
    table["informative"] = table["lowest"] <= INFORMATIVE_SHARE
    table["as_declared"] = table["informative"] == (table["kind"] == "evidence")
    return table


def target_passes(outcomes: Outcomes) -> dict[int, bool]:
    """Per target, whether at least REQUIRED_SHARE of the runs meet all its evidence checks
    (from `check_outcomes`)."""
    return {t.number: bool(np.mean(t.combine(outcomes)[0]) >= REQUIRED_SHARE) for t in TARGETS}


def run_references(refs: Sequence[Reference], cast: Cast, params: Params,
                   progress: bool = False) -> tuple[dict[str, dict[str, float]], pd.DataFrame]:
    """Per reference, the share of its runs meeting each check, and a table of which
    targets pass under each (a row per target, a column per reference)."""
    shares, passes = {}, {}
    for reference in refs:
        outcomes = check_outcomes(reference_views(reference, cast, params, progress))
        shares[reference.name] = check_shares(outcomes)
        passes[reference.name] = target_passes(outcomes)
    table = pd.DataFrame({"target": [t.number for t in TARGETS],
                          **{name: [passes[name][t.number] for t in TARGETS] for name in passes}})
    return shares, table


def uninformative(table: pd.DataFrame) -> list[str]:
    """The checks of an `informativeness` table that no reference fails often enough."""
    return list(table.loc[~table["informative"], "check"])

