"""Write docs/DECISIONS.md: every decision of the 2001-2018 history with its share over seeds.

    python experiments/decisions_report.py            # 50 seeds, the default configuration
    python experiments/decisions_report.py --seeds 20

The validation reads a few of the model's decisions; this document lists all of them
(`sim/analysis/decision_shares.py`), with the targets that read each, so a reader can
judge the ones no check reads. Every number comes from one run of the code, whose commit
the header records.
"""

from __future__ import annotations

import argparse
import textwrap
from pathlib import Path

import pandas as pd

import sim
from sim.app.config import resolve
from sim.core.params import CONSTANTS
from sim.analysis.decision_shares import decision_shares, membership_moves
from sim.runs.ensemble import run_view
from sim.io.store import code_version

OUT = Path(__file__).resolve().parent.parent / "docs" / "DECISIONS.md"
DEFAULT_SEEDS = 50
#: Width of the document's prose (its tables stay within it too).
WIDTH = 100
#: Shown for an empty cell (no blocker, no target reading the decision).
EMPTY = "-"


def prose(text: str) -> str:
    """A paragraph, or a list whose items start with '- ', wrapped to WIDTH columns."""
    items = text.split("\n")
    return "\n".join(textwrap.fill(item, WIDTH, subsequent_indent="  " if item.startswith("- ") else "")
                     for item in items)


def table(header: list[str], rows: list[list[str]]) -> str:
    """A pipe table of text cells."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cell or EMPTY for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def decider(row: pd.Series) -> str:
    """Who decides: an organisation, a member inside it (its stance) or a state."""
    if row["who"] == "member":
        return f"{row['institution']} {row['state']}"
    if row["who"] == "state" or not row["institution"]:
        return row["state"]
    return f"**{row['institution']}**"


def outcomes(group: pd.DataFrame) -> str:
    """A decision's outcome shares, most common first: "abstain 0.86, yes 0.14"."""
    return ", ".join(f"{o} {s:.2f}" for o, s in zip(group["outcome"], group["share"]))


def event_section(event: str, rows: pd.DataFrame) -> str:
    """One event: a table per (kind, topic), one row per decider, and the unmet conditions
    of its operations."""
    date = rows["date"].iloc[0]
    parts = [f"### {date} `{event}`"]
    for (kind, topic), block in rows.groupby(["kind", "topic"], sort=False):
        decisions = block.groupby(["institution", "state", "who"], sort=False)
        body = [[decider(group.iloc[0]), outcomes(group), group["blocked_by"].iloc[0], group["read_by"].iloc[0]]
                for _, group in decisions]
        parts.append(kind + (f": {topic}" if topic and topic != kind else ""))
        parts.append(table(["decider", "outcome (share of seeds)", "blocked by (share)", "read by"], body))
        reasons = [f"- {key[0]}: {group['reasons'].iloc[0]}" for key, group in decisions if group["reasons"].iloc[0]]
        if reasons:
            parts.append("Unmet conditions (share of seeds):\n" + "\n".join(reasons))
    return "\n\n".join(parts)


def moves_section(moves: pd.DataFrame) -> str:
    """The states' own membership moves, by the median quarter they first happen."""
    body = [[r.institution, r.state, r.move, f"{r.share:.2f}", r.median, f"{r.earliest}-{r.latest}", r.read_by]
            for r in moves.itertuples()]
    return table(["organisation", "state", "move", "share of seeds", "median", "range", "read by"], body)


def report(seeds: int) -> str:
    """The document, from one seed ensemble of the default history at the default parameters
    (`posterior=none`: the shares are over seeds, not over the posterior's draws)."""
    spec = resolve(sim.compose([f"seeds={seeds}", "posterior=none"]))
    view = run_view(spec.scenario, spec.runs())
    shares = decision_shares(view, CONSTANTS["text_grain"].value)
    decisions = shares.drop_duplicates(["date", "event", "institution", "state", "kind", "topic", "who"])
    read = int((decisions["read_by"] != "").sum())
    version = code_version()
    commit = version.get("git_commit", "unknown")[:10] + (" (dirty)" if version.get("git_dirty") else "")
    sections = [
        "# Every decision of the history",
        prose(f"Produced by `python experiments/decisions_report.py --seeds {seeds}` on the default configuration "
        f"(scenario `{spec.scenario.name}`, commit `{commit}`, seeds 0-{seeds - 1}). It lists every decision "
        "the model makes in the 2001-2018 history, with the share of seeds giving each outcome, so that "
        "a reader can judge the decisions no validation check reads. The table behind it is "
        "`sim.analysis.decision_shares.decision_shares`."),
        "## How to read it",
        prose("- One section per event, in date order (the quarter the model puts it in); in it, one table "
        "per kind and topic of decision.\n"
        "- `decider`: an organisation in bold (its collective outcome: the adopted text, a proposal, an "
        "operation); `ORG STATE`, a member's stance inside that organisation, the graded text nearest "
        "its ideal (the text it would choose alone, `docs/ODD.md` 7.5); a state code alone, a state's "
        "own decision (a vote, a recognition, a status change the event makes).\n"
        "- Texts are graded from `oppose -1.0` (full condemnation of the favoured party) through "
        "`neutral` (silence) to `endorse +1.0` (full endorsement). `not taken`: seeds in which the "
        "decision did not arise (e.g. the state was not a member then); each decision's shares sum to 1.\n"
        "- `blocked by`: the share of seeds in which each member refused a higher text, the proposal or "
        "the operation.\n"
        f"- `read by`: the validation targets (`sim/analysis/validation.py`, `docs/VALIDATION.md`) "
        f"that read the decision, as declared in `sim.analysis.decision_shares.READS`; `{EMPTY}`: no "
        f"check reads it. {read} of the {len(decisions)} decisions below are read by some check."),
        "## Decisions by event",
        *[event_section(event, rows) for event, rows in shares.groupby("event", sort=False)],
        "## Membership moves the states make themselves",
        prose("Hedging, suspension, withdrawal and return (`active`) happen when a member's engagement "
        "utility says so (`docs/ODD.md` 7.4), not on a date: the share of seeds in which the move "
        "happens at least once, and the median and range of the quarter it first happens."),
        moves_section(membership_moves(view)),
    ]
    return "\n\n".join(sections) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=DEFAULT_SEEDS, help="ensemble size (seeds 0..N-1)")
    OUT.write_text(report(parser.parse_args().seeds))
    print(OUT)


if __name__ == "__main__":
    main()
