"""`python -m sim task=list` and `--help`: what a user can ask for, read from the code and
the configs.

`task=list`: tasks (with their one-line descriptions), the scenarios of `configs/scenario/`
(with their `description`), the event kinds of the catalogue (with the first line of their
docstrings), the metric names of the time-series table and the behavioural parameters
(default, range, source). `--help`: usage, the tasks, the
common settings and a glossary of the words the summary and the tables use.
"""

from __future__ import annotations

import textwrap
from dataclasses import fields
from pathlib import Path

import yaml

from sim.app.config import CONFIG_DIR, TASKS
from sim.scenarios.events import REGISTRY
from sim.core.observables import OBSERVABLES
from sim.core.params import Params

#: What the families of per-state metrics are suffixed with, as shown in the listing.
PLACEHOLDERS = {"state": "<STATE>", "institution": "<INSTITUTION>", "great_power": "<GREAT_POWER>"}


#: The words of the summary and the tables, explained (also in the README's *Glossary*).
GLOSSARY = {
    "cohesion": "0-1 index of an organisation: 0.4 x mutual trust among members in good standing"
                " + 0.3 x normative congruence + 0.3 x engagement (params.cohesion_*); higher is"
                " more cohesive; missing (NaN) before the organisation is founded",
    "trust": "0-1, what a state expects of another, from remembered good and bad experience",
    "engagement": "0-1, how fully a member takes part in an organisation",
    "active": "a member in good standing taking full part (engagement at or above the hedging threshold, 0.7)",
    "hedging": "a member in good standing that takes part less (engagement below the hedging"
               " threshold) but keeps its seat",
    "suspended": "a member that has stopped taking part; it may return or withdraw",
    "withdrawn": "a state that has left the organisation",
    "observer": "attends meetings, has no vote and no veto",
    "endorse / neutral / oppose": "a state's stance on a collective text or in a vote; neutral is"
                                  " silence (neither endorsement nor condemnation) or abstention",
    "veto holder": "a member in good standing where a text needs consensus: its opposition stops the text",
    "blocker": "a veto holder whose opposition stopped a text under consensus",
    "agenda setter": "the member that puts a text or an intervention to the others (the decision"
                     " log's `setter`); members defer to its stance by hierarchy and dependence",
    "legitimacy": "0-1, the standing a state's regime draws from the clubs it belongs to",
    "legitimation": "what a member gains from a club's backing of its regime: a term of its utility,"
                    " weighted by the legitimation weight (params.w_legitimacy)",
}
#: Words the project does not use, each with the term it uses instead (tests/test_vocabulary.py).
AVOIDED = {"drafter": "agenda setter", "hedge threshold": "hedging threshold",
           "legitimacy weight": "legitimation weight", "weight of legitimation": "legitimation weight",
           "legitimacy benefit": "legitimation benefit", "veto player": "veto holder"}
#: Width of the glossary in `--help`.
HELP_COLUMNS = 100
#: Settings most runs change, for `--help`.
COMMON_SETTINGS = {
    "scenario=NAME": "a scenario of configs/scenario/ (task=list shows them with descriptions)",
    "seeds=N | seeds=[3,7,11]": "seeds 0..N-1 or a list, per posterior draw (default 2; 20 seed-only)",
    "posterior=none": "seed-only, at params (default: 20 draws of the packaged posterior)",
    "params.NAME=VALUE": "a behavioural parameter (sim/core/params.py, docs/ODD.md)",
    "hydra.run.dir=DIR": "the output folder (default results/<task>/<date>_<time>/)",
    "results=latest": "the newest results folder (plot, discover, collect); posterior=latest",
    "output.format=csv": "tables as parquet (default), csv, both or wide",
    "progress=false": "no progress bar",
    "verbose=true": "also log progress details (sweep chunks, Dask's cluster)",
}


def help_text() -> str:
    """The text of `python -m sim --help`: usage, tasks, common settings and the glossary."""
    return "\n".join([
        "Protective integration: an agent-based model of the SCO and the CSTO.", "",
        "Usage: python -m sim [task=NAME] [key=value ...]   (or: protective-sim ...)",
        "       python -m sim -m key=a,b,c ...            Hydra multirun: one job per value", "",
        "Tasks (task=NAME):", *_rows(TASKS), "",
        "Common settings:", *_rows(COMMON_SETTINGS), "",
        "Glossary:", *_rows(GLOSSARY, HELP_COLUMNS), "",
        "More: task=list (scenarios, event kinds, metrics, parameters); README.md; --cfg job (the whole",
        "config); --hydra-help (Hydra's own options).",
    ])


def _first_line(text: str | None) -> str:
    return (text or "").strip().splitlines()[0] if (text or "").strip() else ""


def _rows(items: dict[str, str], columns: int = 0) -> list[str]:
    """`  name  text` lines, names padded to a common width; with `columns`, each text
    wrapped to fit that many columns, continued under itself."""
    width = max(map(len, items), default=0)
    if not columns:
        return [f"  {name:{width}s}  {text}".rstrip() for name, text in items.items()]
    indent = " " * (width + 4)
    return [line for name, text in items.items()
            for line in textwrap.wrap(text, columns, initial_indent=f"  {name:{width}s}  ", subsequent_indent=indent)]


def scenario_descriptions(folder: Path = CONFIG_DIR / "scenario") -> dict[str, str]:
    """Name -> `description` of every scenario file in `folder` (read as data)."""
    result = {}
    for path in sorted(folder.glob("*.yaml")):
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        result[path.stem] = str(raw.get("description", "")) if isinstance(raw, dict) else ""
    return result


def event_kinds() -> dict[str, str]:
    """Event kind -> the first line of its class's docstring."""
    return {kind: _first_line(cls.__doc__) for kind, cls in sorted(REGISTRY.items())}


def metric_names() -> dict[str, str]:
    """Metric name or pattern -> what it is (institution metrics, then per-state ones)."""
    names = {}
    for o in OBSERVABLES:
        name = f"{o.name}.{PLACEHOLDERS[o.per]}" if o.per else o.name
        also = ", also in compare.metrics" if o.compare else ""
        names[name] = f"{o.entity}{also}: {o.doc}"
    return names


def parameters() -> dict[str, str]:
    """Parameter name -> its default, its allowed range and its source (an article section
    or an assumption), as `sim.core.params.Params` declares them."""
    return {f.name: f"{f.default:g} in [{f.metadata['range'][0]:g}, {f.metadata['range'][1]:g}]: {f.metadata['source']}"
            for f in fields(Params)}


def listing() -> str:
    """The full text printed by `task=list`, every line within `HELP_COLUMNS` columns."""
    return "\n".join([
        "Tasks (python -m sim task=NAME):", *_rows(TASKS, HELP_COLUMNS), "",
        f"Scenarios (scenario=NAME, from {CONFIG_DIR / 'scenario'}):",
        *_rows(scenario_descriptions(), HELP_COLUMNS), "",
        "Event kinds (the `kind` of a scenario event):", *_rows(event_kinds(), HELP_COLUMNS), "",
        *textwrap.wrap("Metrics of timeseries.parquet (sweep metrics and observed records: ENTITY:metric; "
                       "sensitivity outputs: ENTITY:metric@YYYY-MM; institution metrics are NaN before the "
                       "founding):", HELP_COLUMNS),
        *_rows(metric_names(), HELP_COLUMNS), "",
        *textwrap.wrap(f"Parameters (params.NAME=VALUE; {len(fields(Params))}): default in [allowed range]: "
                       "source (docs/ODD.md explains each)", HELP_COLUMNS),
        *_rows(parameters(), HELP_COLUMNS),
    ])
