"""Every decision of an ensemble with the share of seeds giving each outcome.

The validation (`sim.analysis.validation`) reads a few decisions of the history; the
model makes many more (every state's vote and recognition, every organisation's texts,
every veto holder's ideal text, proposals, operations, membership moves). This module
puts all of them in one tidy table, so a reader can judge the decisions no check reads
(`experiments/decisions_report.py` writes them to `docs/DECISIONS.md`).

Three kinds of decider (column `who`):
- `collective`: an organisation's outcome (a text, a proposal, an operation, a charter
  revision); `blocked_by` gives the share of seeds in which each member said no and, for
  operations, `reasons` the share of seeds giving each unmet condition.
- `member`: a veto holder's stance on a text, the class of the graded text nearest its
  ideal (`docs/ODD.md`, 7.5: a member's loss is the distance of a text from its ideal, so
  this is the text it would choose alone), e.g. `oppose -1.0`.
- `state`: a state's own decision (a vote, a recognition, a status change an event makes).

Membership moves the states make themselves (hedging, suspension, withdrawal, return)
have no fixed date: their quarter is part of the outcome, so `membership_moves` gives,
per organisation, state and move, the share of seeds in which it happens and its quarters.

`READS` declares which validation target reads which decision. It mirrors the checks of
`sim/analysis/validation.py` by hand (a test compares the events it names with the
string literals of that file, so a check that starts or stops reading an event shows).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.core.institutions import STANCE_NAMES, stance_of, text_scale
from sim.runs.ensemble_view import EnsembleView
from sim.analysis.validation import SUBJECTS, TEXT_KINDS

#: The columns that name one decision in `decision_shares`.
KEY = ("date", "event", "institution", "state", "kind", "topic", "who")
#: Deciders in the order a table lists them.
WHO_ORDER = {"collective": 0, "member": 1, "state": 2}
#: The outcome of a decision in a seed where it was not taken (e.g. a state not a member).
NOT_TAKEN = "not taken"


@dataclass(frozen=True)
class Read:
    """Decisions one validation target reads: an event ("" for the states' own membership
    moves), a kind, and optionally the institutions, states, deciders (`who`) and moves
    (membership outcomes) it is limited to (empty: all)."""

    target: int
    event: str
    kind: str
    institutions: tuple[str, ...] = ()
    states: tuple[str, ...] = ()
    who: tuple[str, ...] = ()
    moves: tuple[str, ...] = ()

    def covers(self, event: str, kind: str, institution: str, state: str, who: str, move: str = "") -> bool:
        """Whether this read includes one decision (for a membership move, `move`)."""
        return (event == self.event and kind == self.kind
                and all(not allowed or value in allowed for value, allowed in (
                    (institution, self.institutions), (state, self.states), (who, self.who),
                    (move, self.moves))))


#: A read of an organisation's own outcome, not of its members' ideal texts.
COLLECTIVE = ("collective",)
#: What each target of `sim/analysis/validation.py` reads from the history's decision
#: log (target 10 reads only series; the twins' decisions, e.g. target 6's probe, are not
#: the history's). Target 1 reads every suspension and withdrawal; target 7 the revision
#: leaver's CSTO status (its status series: leaving good standing and returning; hedging
#: keeps good standing); target 8 the votes of the
#: hedgers named in sim/data/targets.yaml only.
READS: tuple[Read, ...] = (
    Read(1, "", "membership", moves=("suspended", "withdrawn")),
    Read(2, "sco_development_bank", "proposal"),
    Read(2, "sco_military_staff", "proposal"),
    Read(3, "andijan_crackdown", "declaration", institutions=("SCO",), who=COLLECTIVE),
    Read(4, "georgia_war", "recognition"),
    Read(4, "georgia_war", "declaration", who=COLLECTIVE),
    Read(5, "xinjiang_unrest", "declaration", institutions=("SCO",), who=COLLECTIVE),
    Read(6, "kyrgyz_coup", "intervention"),
    Read(6, "osh_violence", "intervention"),
    Read(7, "", "membership", institutions=("CSTO",), states=(SUBJECTS["revision_leaver"],),
         moves=("suspended", "withdrawn", "active")),
    Read(8, "crimea_annexation", "recognition"),
    Read(8, "crimea_annexation", "declaration", who=COLLECTIVE),
    Read(8, "unga_68_262", "vote", states=tuple(SUBJECTS["hedgers"])),
    Read(8, "csto_foreign_policy_plan", "proposal", institutions=("CSTO",)),
    Read(9, "csto_terrorism_statement", "statement", who=COLLECTIVE),
    Read(9, "su24_turkey", "solidarity"),          # the outcome and, for 9.sovereign_members_object,
    Read(9, "syria_peacekeepers", "solidarity"),   # the members' ideal texts
    Read(11, "sco_terrorist_listing", "designation", who=COLLECTIVE),
)
#: Target 12 reads, on every draft put to both organisations (same event and topic), the
#: ideal texts of the states with an ideal in both (12.tracking_gap) and the texts both
#: adopt (12.outcomes_track_russia); which drafts and states those are follows from the
#: log, so `decision_shares` marks them.
BOTH_ORGANISATIONS_TARGET = 12


def read_by(event: str, kind: str, institution: str, state: str, who: str, move: str = "") -> str:
    """The targets reading one decision, e.g. "4, 12" ("" when none does)."""
    targets = sorted({r.target for r in READS if r.covers(event, kind, institution, state, who, move)})
    return ", ".join(str(t) for t in targets)


def quarter(date: pd.Timestamp) -> str:
    """A date as its quarter, e.g. `2014Q1`."""
    return f"{date.year}Q{date.quarter}"


def _text_label(score: float) -> str:
    """A graded text as its class and grade, e.g. `endorse +0.5` (silence: `neutral`)."""
    name = STANCE_NAMES[stance_of(score)]
    return name if score == 0 else f"{name} {score:+.1f}"


def _decided(decisions: pd.DataFrame) -> pd.DataFrame:
    """The event-dated decisions, outcome texts graded, decider named in `who`."""
    rows = decisions[decisions["event"] != ""].copy()
    texts = rows["kind"].isin(TEXT_KINDS)
    rows.loc[texts, "outcome"] = rows.loc[texts, "score"].map(_text_label)
    rows["who"] = np.where(rows["state"] == "", "collective", "state")
    rows.loc[rows["kind"] == "proposal", "who"] = "collective"  # the proposer is named, the outcome is the club's
    return rows


def member_stances(decisions: pd.DataFrame, grain: float) -> pd.DataFrame:
    """One row per member and text: the graded text nearest the member's ideal (from the
    log's `detail`, 'CODE:+0.50;...'), on the text scale of step `grain`."""
    texts = decisions[decisions["kind"].isin(TEXT_KINDS) & (decisions["detail"] != "")]
    ideals = texts["detail"].str.extractall(r"(?P<member>\w+):(?P<ideal>[-+][\d.]+)")
    ideals = ideals.reset_index(level="match", drop=True).join(texts.drop(columns=["state", "outcome"]))
    scale = text_scale(grain)
    nearest = scale[np.abs(ideals["ideal"].astype(float).to_numpy()[:, None] - scale).argmin(axis=1)]
    return ideals.assign(state=ideals["member"], outcome=[_text_label(v) for v in nearest], who="member",
                         blocked_by="", detail="").drop(columns=["member", "ideal"])


def _shares_text(values: pd.Series, runs: int) -> str:
    """Share of `runs` of each value, most common first: "abstain 0.86, yes 0.14"."""
    counts = values.value_counts()
    return ", ".join(f"{value} {count / runs:.2f}" for value, count in counts.items())


def _split_shares(column: pd.Series, runs: int, sep: str) -> str:
    """Shares of seeds naming each item of a separated list column (blockers, reasons)."""
    items = column[column != ""].str.split(sep).explode().str.strip()
    return _shares_text(items, runs)


def decision_shares(view: EnsembleView, grain: float) -> pd.DataFrame:
    """The tidy table: one row per decision (date, event, institution, state, kind, topic,
    who) and outcome, with the share of the view's seeds giving it (`share`; a decision
    absent from a seed counts as NOT_TAKEN, so each decision's shares sum to 1), the
    number of seeds (`seeds`), per decision the shares of blockers and unmet conditions
    (`blocked_by`, `reasons`) and the validation targets reading it (`read_by`)."""
    collective = _decided(view.decisions)
    rows = pd.concat([collective, member_stances(collective, grain)], ignore_index=True)
    rows["date"] = rows["date"].map(quarter)
    per_run = rows.groupby([*KEY, "run"], sort=False, observed=True).agg(
        outcome=("outcome", " then ".join), blocked_by=("blocked_by", ",".join),
        reasons=("detail", lambda d: "; ".join(d) if (d != "").any() else ""))
    frames = [_one_decision(key, group.droplevel(list(KEY)), view.runs)
              for key, group in per_run.groupby(level=list(KEY), sort=False, observed=True)]
    return _in_order(_mark_both(pd.concat(frames, ignore_index=True)))


def _mark_both(table: pd.DataFrame) -> pd.DataFrame:
    """Add BOTH_ORGANISATIONS_TARGET to the members' stances and the adopted texts on
    drafts put to both organisations (for a member, if it has a stance in both)."""
    texts = table["who"].isin(["member", "collective"]) & table["kind"].isin(TEXT_KINDS)
    places = table[texts].groupby(["date", "event", "topic", "state"], observed=True)["institution"].nunique()
    both = places[places >= 2].index
    marked = texts & pd.MultiIndex.from_frame(
        table[["date", "event", "topic", "state"]]).isin(both)
    target = str(BOTH_ORGANISATIONS_TARGET)
    table.loc[marked, "read_by"] = table.loc[marked, "read_by"].map(lambda r: f"{r}, {target}" if r else target)
    return table


def _in_order(table: pd.DataFrame) -> pd.DataFrame:
    """Rows by date, then event, institution, kind and topic in the log's order, an organisation's
    outcome on a topic before its members' stances and the states' own decisions last."""
    ranked = ("event", "institution", "kind", "topic")
    order = pd.DataFrame({"date": table["date"], **{c: table[c].map(_first_seen(table[c])) for c in ranked},
                          "who": table["who"].map(WHO_ORDER)})
    return table.loc[order.sort_values(list(order.columns), kind="stable").index].reset_index(drop=True)


def _one_decision(key: tuple, group: pd.DataFrame, runs: int) -> pd.DataFrame:
    """The outcome rows of one decision (its per-run outcomes in `group`)."""
    outcomes = group["outcome"].reindex(range(runs), fill_value=NOT_TAKEN)
    shares = outcomes.value_counts() / runs
    named = dict(zip(KEY, key))
    intervention = named["kind"] == "intervention"
    return pd.DataFrame({**named, "outcome": shares.index, "share": shares.to_numpy(), "seeds": runs,
                         "blocked_by": _split_shares(group["blocked_by"], runs, ","),
                         "reasons": _split_shares(group["reasons"], runs, ";") if intervention else "",
                         "read_by": read_by(named["event"], named["kind"], named["institution"],
                                            named["state"], named["who"])})


def _first_seen(column: pd.Series) -> dict[str, int]:
    """Each value of a column by the position it first appears at."""
    return {value: i for i, value in enumerate(pd.unique(column))}


def membership_moves(view: EnsembleView) -> pd.DataFrame:
    """Per organisation, state and move the states make themselves (no event): the share
    of seeds in which it happens at least once, the median, earliest and latest quarter
    it first happens, the number of seeds and the targets reading it."""
    moves = view.decisions[(view.decisions["event"] == "") & (view.decisions["kind"] == "membership")]
    rows = []
    for (inst, state, move), group in moves.groupby(["institution", "state", "outcome"], observed=True):
        first = group.groupby("run")["date"].min()
        rows.append({"institution": inst, "state": state, "move": move, "share": first.size / view.runs,
                     "median": quarter(first.sort_values().iloc[(first.size - 1) // 2]),
                     "earliest": quarter(first.min()), "latest": quarter(first.max()), "seeds": view.runs,
                     "read_by": read_by("", "membership", inst, state, "state", move)})
    columns = ["institution", "state", "move", "share", "median", "earliest", "latest", "seeds", "read_by"]
    return pd.DataFrame(rows, columns=columns).sort_values(["median", "institution", "state"], ignore_index=True)
