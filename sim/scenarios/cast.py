"""The cast of states: loading and validating the states and relations tables into the
engine's `sim.core.plan.Cast` (which carries this module's norm names as data).

States differ only by these data. Each value carries a source and a justification in the
CSV files (see `sim/data/README.md`); the model reads numbers, never names.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from sim.checks import is_finite_number
from sim.core.plan import Cast
from sim.errors import DataError, InputError

DATA_DIR = Path(__file__).resolve().parents[1] / "data"
DEFAULT_STATES = DATA_DIR / "states.csv"
DEFAULT_RELATIONS = DATA_DIR / "relations.csv"

NORMS: tuple[str, ...] = (
    "non_interference",
    "territorial_integrity",
    "constitutional_order",
    "anti_extremism",
    "multipolarity",
)
NUMERIC_ATTRIBUTES: tuple[str, ...] = (
    "power",
    "illiberalism",
    "insecurity",
    "sovereignty_sensitivity",
    "separatism_exposure",
)
TEXT_ATTRIBUTES: tuple[str, ...] = ("name", "kind", "region")
FLAG_ATTRIBUTES: tuple[str, ...] = ("great_power",)
NORM_ATTRIBUTES: tuple[str, ...] = tuple(f"norm_{n}" for n in NORMS)
REQUIRED = TEXT_ATTRIBUTES + FLAG_ATTRIBUTES + NUMERIC_ATTRIBUTES + NORM_ATTRIBUTES
UNIT_INTERVAL = set(NUMERIC_ATTRIBUTES) - {"power"} | set(NORM_ATTRIBUTES)
KINDS = ("state", "external")
RELATION_KINDS = ("rivalry", "partnership", "security_dependence", "economic_dependence",
                  "compatriot_exposure")
SYMMETRIC_RELATIONS = ("rivalry", "partnership")


def _number(path: Path, where: str, raw: str) -> float:
    """A finite number from a table cell, or one `InputError` naming the cell."""
    try:
        value = float(raw)
    except ValueError:
        raise InputError(str(path), where, raw, "a number") from None
    if not is_finite_number(value):
        raise InputError(str(path), where, raw, "a finite number")
    return value


def _read_rows(path: Path, columns: tuple[str, ...]) -> list[tuple[int, dict[str, str]]]:
    """(line number, row) pairs of a UTF-8 CSV table (a leading BOM is tolerated), every
    required column filled; a missing file, a bad encoding or a short row is one `InputError`."""
    if not path.is_file():
        raise InputError("config", "states_file/relations_file", str(path), "an existing CSV file")
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            missing = [c for c in columns if c not in (reader.fieldnames or [])]
            if missing:
                raise InputError(str(path), "header", reader.fieldnames, f"columns {', '.join(columns)}")
            rows = [(reader.line_num, row) for row in reader]
    except UnicodeDecodeError:
        raise DataError(str(path), "encoding", "not UTF-8", "a UTF-8 CSV text file (a BOM is fine)") from None
    except csv.Error as error:
        raise DataError(str(path), "file", str(error), "a CSV text file") from None
    for number, row in rows:
        empty = [c for c in columns if row.get(c) is None]
        if empty:
            raise InputError(str(path), f"row {number} {empty[0]}", None, "a value in every column of the header")
    return rows


def _refuse_repeat(path: Path, seen: dict[tuple, int], key: tuple[str, ...], number: int,
                   value: str, what: str) -> None:
    """Refuse a second row with the same key (the last row would otherwise silently win)."""
    name = "/".join(key)
    if key in seen:
        raise InputError(str(path), f"row {number} {name}", value,
                         f"one row per {what}; {name} is already given in row {seen[key]}")
    seen[key] = number


def _collect_states(path: Path) -> dict[str, dict[str, str]]:
    table: dict[str, dict[str, str]] = {}
    seen: dict[tuple, int] = {}
    for number, row in _read_rows(path, ("state", "attribute", "value", "source")):
        code, attribute = row["state"].strip(), row["attribute"].strip()
        if not code:
            raise InputError(str(path), f"row {number} state", code, "a non-empty state code")
        if attribute not in REQUIRED:
            raise InputError(str(path), f"row {number} attribute", attribute, ", ".join(REQUIRED))
        if not (row.get("source") or "").strip():
            raise InputError(str(path), f"row {number} source", "", "a non-empty source")
        _refuse_repeat(path, seen, (code, attribute), number, row["value"], "(state, attribute)")
        table.setdefault(code, {})[attribute] = row["value"].strip()
    if not table:
        raise InputError(str(path), "rows", 0, "at least one state (the table has a header and no rows)")
    for code, values in table.items():
        missing = [a for a in REQUIRED if a not in values]
        if missing:
            raise InputError(str(path), f"{code}.{missing[0]}", None, "every state needs all attributes")
    return table


def _checked(path: Path, code: str, attribute: str, raw: str) -> float:
    value = _number(path, f"{code}.{attribute}", raw)
    if attribute in UNIT_INTERVAL and not 0.0 <= value <= 1.0:
        raise InputError(str(path), f"{code}.{attribute}", value, "a number in [0, 1]")
    if attribute == "power" and value < 0:
        raise InputError(str(path), f"{code}.{attribute}", value, "a number >= 0")
    if attribute == "great_power" and value not in (0.0, 1.0):
        raise InputError(str(path), f"{code}.{attribute}", value, "0 or 1")
    return value


def _relation(path: Path, number: int, row: dict[str, str], codes: list[str]) -> tuple[str, str, str, float]:
    """(kind, state, other, value) of one relations row, each field checked."""
    kind = row["kind"].strip()
    if kind not in RELATION_KINDS:
        raise InputError(str(path), f"row {number} kind", kind, ", ".join(RELATION_KINDS))
    a, b = row["state"].strip(), row["other"].strip()
    for name, code in (("state", a), ("other", b)):
        if code not in codes:
            raise InputError(str(path), f"row {number} {name}", code, "a state of the states table")
    if a == b:
        raise InputError(str(path), f"row {number} other", b, f"a state other than {a} (no relation to itself)")
    value = _number(path, f"row {number} value", row["value"])
    if not 0.0 <= value <= 1.0:
        raise InputError(str(path), f"row {number} value", value, "a number in [0, 1]")
    return kind, a, b, value


def _relations(path: Path, codes: list[str]) -> dict[str, np.ndarray]:
    n = len(codes)
    matrices = {kind: np.zeros((n, n)) for kind in RELATION_KINDS}
    seen: dict[tuple, int] = {}
    for number, row in _read_rows(path, ("state", "other", "kind", "value", "source")):
        kind, a, b, value = _relation(path, number, row, codes)
        _refuse_repeat(path, seen, (a, b, kind), number, row["value"], "(state, other, kind)")
        i, j = codes.index(a), codes.index(b)
        if kind in SYMMETRIC_RELATIONS and (b, a, kind) in seen and matrices[kind][j, i] != value:
            raise InputError(str(path), f"row {number} {a}/{b}/{kind}", value,
                             f"the value of the reverse row {seen[(b, a, kind)]} ({matrices[kind][j, i]:g}): "
                             f"{kind} is symmetric")
        matrices[kind][i, j] = value
        if kind in SYMMETRIC_RELATIONS:
            matrices[kind][j, i] = value
    return matrices


def load_cast(states_file: str | Path = DEFAULT_STATES,
              relations_file: str | Path = DEFAULT_RELATIONS) -> Cast:
    """Read and validate the states and relations tables into a `Cast`."""
    spath, rpath = Path(states_file), Path(relations_file)
    table = _collect_states(spath)
    codes = list(table)
    for code in codes:
        if table[code]["kind"] not in KINDS:
            raise InputError(str(spath), f"{code}.kind", table[code]["kind"], ", ".join(KINDS))
    numbers = {code: {a: _checked(spath, code, a, table[code][a])
                      for a in FLAG_ATTRIBUTES + NUMERIC_ATTRIBUTES + NORM_ATTRIBUTES}
               for code in codes}
    return Cast(
        codes=codes,
        names=[table[c]["name"] for c in codes],
        kinds=[table[c]["kind"] for c in codes],
        regions=[table[c]["region"] for c in codes],
        great_power=np.array([numbers[c]["great_power"] > 0 for c in codes]),
        attributes={a: np.array([numbers[c][a] for c in codes]) for a in NUMERIC_ATTRIBUTES},
        norms=np.array([[numbers[c][f"norm_{n}"] for n in NORMS] for c in codes]),
        norm_names=NORMS,
        relations=_relations(rpath, codes),
    )
