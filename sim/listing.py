"""`python -m sim task=list`: what a user can ask for, read from the code and the configs.

Tasks (with their one-line descriptions), the scenarios of `configs/scenario/` (with
their `description`), the event kinds of the catalogue (with the first line of their
docstrings) and the metric names of the time-series table.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from sim.config import COMPARE_METRICS, CONFIG_DIR, TASKS
from sim.dynamics import STATE_METRICS
from sim.events import REGISTRY
from sim.model import INSTITUTION_METRICS

#: Per-state metric patterns beyond `STATE_METRICS`, with what they hold.
STATE_PATTERNS = {
    "trust_in.<STATE>": "trust in another state (0-1)",
    "threat_from.<GREAT_POWER>": "threat perceived from a great power (0-1)",
    "engagement.<INSTITUTION>": "engagement in an institution (0-1)",
    "status.<INSTITUTION>": "0 none, 1 active, 2 hedging, 3 suspended, 4 withdrawn, 5 observer",
    "benefit.<INSTITUTION>": "legitimation the state would draw from the institution",
    "investment.<INSTITUTION>": "a great power's investment in the institution",
}


def _first_line(text: str | None) -> str:
    return (text or "").strip().splitlines()[0] if (text or "").strip() else ""


def _rows(items: dict[str, str]) -> list[str]:
    """`  name  text` lines, names padded to a common width."""
    width = max(map(len, items), default=0)
    return [f"  {name:{width}s}  {text}".rstrip() for name, text in items.items()]


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
    names = {name: "institution" + (", also in compare.metrics" if name in COMPARE_METRICS else "")
             for name in INSTITUTION_METRICS}
    names.update({name: "state" for name in STATE_METRICS})
    names.update({name: f"state: {text}" for name, text in STATE_PATTERNS.items()})
    return names


def listing() -> str:
    """The full text printed by `task=list`."""
    return "\n".join([
        "Tasks (python -m sim task=NAME):", *_rows(TASKS), "",
        f"Scenarios (scenario=NAME, from {CONFIG_DIR / 'scenario'}):", *_rows(scenario_descriptions()), "",
        "Event kinds (the `kind` of a scenario event):", *_rows(event_kinds()), "",
        "Metrics of timeseries.parquet (sweep metrics and observed records: ENTITY:metric; sensitivity "
        "outputs: ENTITY:metric@YYYY-MM; institution metrics are NaN before the founding):",
        *_rows(metric_names()),
    ])
