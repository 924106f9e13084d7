"""The package's layout is its architecture: layers import only downwards, and no module
imports another that imports it back. Every import counts, wherever it is written: at
module level, under `if TYPE_CHECKING:` and inside functions."""

from __future__ import annotations

import ast
from pathlib import Path

SIM = Path(__file__).resolve().parent.parent / "sim"
#: The layers from the bottom up; each may import the layers below it (and the shared
#: leaves), never one above: the engine (`core`), what scenarios compile to it
#: (`scenarios`), the Mesa adapter (`model`), records and storage (`io`), running many
#: runs (`runs`: ensembles, sweeps, executors), the analyses (`analysis`), the command line and its configuration (`app`), the Python API's facade
#: (`api`), the lazy package root (`sim`), which names the API, and `python -m sim`
#: (`__main__`).
ORDER = ("core", "scenarios", "model", "io", "runs", "analysis", "app", "api", "sim", "__main__")
LAYERS = {layer: set(ORDER[:rank]) for rank, layer in enumerate(ORDER)}
#: Shared leaves: the version, faults, checks, limits and extras (they import no layer).
LEAVES = {"sim.version", "sim.errors", "sim.checks", "sim.limits", "sim.extras"}
#: What the engine may never import, at any depth of a file.
NOT_IN_CORE = {f"sim.{layer}" for layer in ORDER[1:ORDER.index("sim")]}
#: Libraries the engine does without (it is numpy and the standard library).
NOT_IN_CORE_LIBRARIES = {"mesa", "hydra", "omegaconf", "pandas", "matplotlib", "dask", "scipy", "yaml"}


def _module(path: Path) -> str:
    return ".".join(("sim", *path.relative_to(SIM).with_suffix("").parts)).removesuffix(".__init__")


def _is_module(name: str) -> bool:
    """Whether a dotted name under `sim` is a module or package of the source tree."""
    path = SIM.parent / name.replace(".", "/")
    return path.with_suffix(".py").exists() or (path / "__init__.py").exists()


def _imports(path: Path) -> set[str]:
    """Every module a file imports, anywhere in it (`from a import b` counts as `a.b`
    when b is a module, else as `a`)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and not node.level:
            for alias in node.names:
                candidate = f"{node.module}.{alias.name}"
                found.add(candidate if _is_module(candidate) else node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


def _layer(module: str) -> str:
    """sim.core.engine -> core; sim.model -> model; sim -> sim."""
    return module.split(".")[1] if "." in module else module


def _graph() -> dict[str, set[str]]:
    return {_module(p): {m for m in _imports(p) if m == "sim" or m.startswith("sim.")}
            for p in SIM.rglob("*.py")}


def _cycle(graph: dict[str, set[str]]) -> list[str]:
    """One import cycle of the graph (its modules, the first repeated at the end), or []."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str]:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        state[node] = 2
        stack.pop()
        return []

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return []


def _offences(graph: dict[str, set[str]]) -> list[str]:
    """Imports that go up or sideways between layers, or from a leaf to a layer."""
    offences = []
    for module, targets in graph.items():
        allowed = set() if module in LEAVES else LAYERS[_layer(module)] | {_layer(module)}
        offences += [f"{module} -> {target}" for target in sorted(targets - LEAVES)
                     if _layer(target) not in allowed]
    return offences


def test_the_import_walk_sees_imports_under_type_checking_and_in_functions(tmp_path):
    source = tmp_path / "mod.py"
    source.write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from sim.core import engine\n"
                      "def f():\n    import sim.app.config\n")
    assert {"sim.core.engine", "sim.app.config"} <= _imports(source)


def test_no_module_imports_one_that_imports_it_back():
    assert _cycle(_graph()) == []


def test_the_cycle_finder_finds_a_planted_cycle():
    assert _cycle({"sim.a": {"sim.b"}, "sim.b": {"sim.c"}, "sim.c": {"sim.a"}}) == ["sim.a", "sim.b", "sim.c", "sim.a"]


def test_every_module_belongs_to_a_layer_or_is_a_leaf():
    strays = [m for m in _graph() if m not in LEAVES and _layer(m) not in LAYERS]
    assert not strays, strays


def test_layers_import_only_downwards():
    offences = _offences(_graph())
    assert not offences, offences


def test_the_layer_check_refuses_an_upward_import():
    assert _offences({"sim.core.engine": {"sim.scenarios.schema"}, "sim.errors": {"sim.core.engine"}}) == [
        "sim.core.engine -> sim.scenarios.schema", "sim.errors -> sim.core.engine"]


def test_the_engine_imports_nothing_above_it():
    offences = [f"{_module(p)} -> {m}" for p in (SIM / "core").glob("*.py") for m in _imports(p)
                if any(m == layer or m.startswith(f"{layer}.") for layer in NOT_IN_CORE)]
    assert not offences, offences


def test_the_engine_imports_no_framework():
    offences = [f"{_module(p)} -> {m}" for p in (SIM / "core").glob("*.py") for m in _imports(p)
                if m.split(".")[0] in NOT_IN_CORE_LIBRARIES]
    assert not offences, offences


def test_effects_reach_the_state_only_through_operations():
    """No effect imports numpy or reads an attribute of `ops` other than its methods
    (its arrays, `ops.s`, the generators, the parameters stay behind the operations)."""
    from sim.core.operations import Operations
    path = SIM / "core" / "effects.py"
    assert "numpy" not in _imports(path)
    methods = {name for name in vars(Operations) if not name.startswith("_")}
    used = {node.attr for node in ast.walk(ast.parse(path.read_text()))
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "ops"}
    assert used and used <= methods, used - methods


def test_event_kinds_are_declarations_that_hold_no_behaviour():
    """Event kinds name an effect and never call the operations, build a draft or compute
    on arrays: every kind's effect exists, and events.py reaches no operation."""
    from sim.core.effects import EFFECTS
    from sim.scenarios.events import REGISTRY
    path = SIM / "scenarios" / "events.py"
    assert not {"numpy", "sim.core.operations", "sim.core.decisions"} & _imports(path)
    assert "ops" not in {node.id for node in ast.walk(ast.parse(path.read_text())) if isinstance(node, ast.Name)}
    assert REGISTRY and all(cls.effect in EFFECTS for cls in REGISTRY.values())
