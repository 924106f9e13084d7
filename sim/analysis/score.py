"""Scoring a seed ensemble against observed outcomes (`sim.analysis.observed`).

For every record, the model's outcome in each seed is read from the ensemble's tables
(`EnsembleView`); a record's match share is the share of seeds whose outcome equals the
observed one (for a metric, whose value lies within the bounds). A decision that did not
happen in a seed (e.g. the state was not a member then), or a metric that is missing
(an institution before its founding), is a miss with outcome `(none)`.
"""

from __future__ import annotations

from collections import Counter

import numpy as np
import pandas as pd

from sim.runs.ensemble_view import EnsembleView
from sim.core.institutions import STATUS_NAMES
from sim.analysis.observed import OUTCOMES, WITHIN, Observed, Record

#: The model's outcome where a record's decision did not happen in a seed.
NONE = "(none)"
#: Record kinds with three ordered outcome classes, tabulated in the confusion table.
THREE_WAY = ("vote", "text")


def model_outcomes(view: EnsembleView, record: Record) -> np.ndarray:
    """The model's outcome for a record in each seed of the ensemble."""
    if record.decision:
        outcomes = view.outcome_per_run(**record.decision)
        return np.where(outcomes == "", NONE, outcomes).astype(object)
    values = view.at(*record.series)
    if record.kind == "status":
        return np.asarray(STATUS_NAMES, dtype=object)[values.astype(int)]
    low, high = record.bounds
    within = np.where(values < low, "below", np.where(values > high, "above", WITHIN))
    return np.where(np.isnan(values), NONE, within).astype(object)


def _modal(outcomes: np.ndarray) -> str:
    """The most common outcome (ties: the first in alphabetical order)."""
    names, counts = np.unique(outcomes.astype(str), return_counts=True)
    return str(names[np.argmax(counts)])


def score_records(view: EnsembleView, observed: Observed) -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
    """One row per record (id, kind, what it names, observed and modal model outcome,
    match share over seeds, source), and the model's outcomes per record and seed."""
    outcomes = {record.id: model_outcomes(view, record) for record in observed.records}
    table = pd.DataFrame([{
        "id": r.id, "kind": r.kind, "names": r.names, "observed": r.observed,
        "model": _modal(outcomes[r.id]), "match_share": float(np.mean(outcomes[r.id] == r.observed)),
        "seeds": view.runs, "ref": r.ref} for r in observed.records])
    return table, outcomes


def score_summary(records: pd.DataFrame) -> pd.DataFrame:
    """Match share per record kind and overall, each the mean over its records."""
    per_kind = records.groupby("kind", sort=False)["match_share"].agg(["size", "mean"]).reset_index()
    per_kind.columns = ["kind", "records", "match_share"]
    overall = pd.DataFrame([{"kind": "overall", "records": len(records),
                             "match_share": records["match_share"].mean()}])
    return pd.concat([per_kind, overall], ignore_index=True)


def confusion(observed: Observed, outcomes: dict[str, np.ndarray]) -> pd.DataFrame:
    """Observed class x model class counts over (record, seed) pairs, for the three-way
    kinds present (votes, texts), with `(none)` for decisions that did not happen."""
    rows = []
    for kind in THREE_WAY:
        records = [r for r in observed.records if r.kind == kind]
        counts = Counter((r.observed, str(o)) for r in records for o in outcomes[r.id])
        rows += [{"kind": kind, "observed": seen, "model": cls, "count": counts[(seen, cls)]}
                 for seen in OUTCOMES[kind] for cls in (*OUTCOMES[kind], NONE) if records]
    return pd.DataFrame(rows, columns=["kind", "observed", "model", "count"])


def report(observed: Observed, records: pd.DataFrame, summary: pd.DataFrame, scenario: str) -> str:
    """A short text summary: each record (id, kind, what it names; then its observed and
    modal outcome and match share), and the shares by kind."""
    seeds = int(records["seeds"].iloc[0])
    lines = [f"Observed outcomes '{observed.name}' ({observed.source}) against scenario '{scenario}', "
             f"{seeds} runs", "", "Records (observed -> the model's most common outcome; share of runs matching):"]
    for row in records.itertuples():   # two lines a record, so that it fits 100 columns
        lines += [f"  {row.id} ({row.kind}): {row.names}", f"      {row.observed} -> {row.model}  {row.match_share:.2f}"]
    lines += ["", "Match share (mean over records):"]
    lines += [f"  {row.kind:12s} {row.match_share:.2f}  (records: {row.records})" for row in summary.itertuples()]
    return "\n".join(lines)
