"""One vocabulary: the README, `--help`, `task=list`, the notebooks, the ODD, the tables'
column names, the figures' labels and the explorer's sliders use the same words for the
same things (`sim.app.listing.GLOSSARY`), and none of the words the project replaced
(`sim.app.listing.AVOIDED`)."""

from __future__ import annotations

import re
from dataclasses import fields
from pathlib import Path

import pytest

from sim.app import plots
from sim.app.listing import AVOIDED, GLOSSARY, help_text, listing
from sim.core.observables import OBSERVABLES
from sim.core.params import Params
from sim.io.records import DECISION_COLUMNS, TIMESERIES_COLUMNS

ROOT = Path(__file__).resolve().parent.parent


def _figure_labels() -> str:
    """Every parameter's and metric's label as the figures write it."""
    names = [f.name for f in fields(Params)]
    metrics = [getattr(o, "name", str(o)) for o in OBSERVABLES]
    return "\n".join([*(plots.parameter_label(n) for n in names), *(plots.parameter_axis_label(n) for n in names),
                      *(plots.metric_label(m) for m in metrics)])


def _explorer():
    """The explorer module (it needs the `viz` extra, which the `test` extra includes)."""
    return pytest.importorskip("sim.app.explorer")


def _texts() -> dict[str, str]:
    """What a user reads, by where it is read."""
    texts = {"README.md": (ROOT / "README.md").read_text(), "docs/ODD.md": (ROOT / "docs" / "ODD.md").read_text(),
             "--help": help_text(), "task=list": listing(), "figure labels": _figure_labels(),
             "explorer sliders": "\n".join(_explorer().SLIDERS.values())}
    texts |= {f"notebooks/{path.name}": path.read_text() for path in sorted((ROOT / "notebooks").glob("*.py"))}
    return texts


@pytest.mark.parametrize("where", list(_texts()))
def test_no_replaced_word_is_used(where):
    """`drafter` is the agenda setter, the hedging threshold is not a hedge threshold, the
    weight of the legitimation term is the legitimation weight, wherever a user reads it."""
    text = _texts()[where].lower()
    found = {word: use for word, use in AVOIDED.items() if re.search(rf"\b{re.escape(word)}\b", text)}
    assert found == {}, f"{where} uses {found} (word: the term to use)"


def test_the_replaced_words_would_be_found():
    """The check above sees a replaced word in any case and not inside another word."""
    assert re.search(r"\bdrafter\b", "The Drafter's text".lower())
    assert not re.search(r"\bhedge threshold\b", "a hedging threshold")


def test_help_and_readme_define_every_glossary_term_with_the_same_words():
    help_page = " ".join(help_text().split())
    readme = (ROOT / "README.md").read_text()
    for term, meaning in GLOSSARY.items():
        assert " ".join(meaning.split()[:6]) in help_page, term
        assert f"| {term} | {meaning} |" in readme, term


def test_parameter_labels_use_the_words_of_their_definition():
    """A weight's figure label names what it weighs as the parameter's documented source
    says it (`w_legitimacy` weighs the legitimation benefit: `Legitimation weight`)."""
    for field in fields(Params):
        if field.name.startswith("w_"):
            word = plots.parameter_label(field.name).removesuffix(" weight").lower()
            assert word in field.metadata["source"].lower(), (field.name, word)
    assert plots.parameter_label("w_legitimacy") == "Legitimation weight"
    assert _explorer().SLIDERS["w_legitimacy"] == plots.parameter_label("w_legitimacy")


def test_the_glossary_and_readme_name_the_tables_columns_as_the_tables_do():
    """A column the glossary names (the agenda setter's `setter`) is a column of the
    decision log, and the README's table of outputs lists every column by its name."""
    named = {name for meaning in GLOSSARY.values() for name in re.findall(r"`(\w+)`", meaning)}
    assert named <= set(DECISION_COLUMNS) | set(TIMESERIES_COLUMNS)
    outputs = next(line for line in (ROOT / "README.md").read_text().splitlines()
                   if line.startswith("| `decisions.parquet`"))
    assert all(re.search(rf"\b{column}\b", outputs) for column in DECISION_COLUMNS)
    series = next(line for line in (ROOT / "README.md").read_text().splitlines()
                  if line.startswith("| `timeseries.parquet`"))
    assert f"`{', '.join(TIMESERIES_COLUMNS)}`" in series
