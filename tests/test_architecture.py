"""The package's layout is its architecture: layers import only downwards, and no module
imports another that imports it back (module-level imports)."""

from __future__ import annotations

import ast
from pathlib import Path

SIM = Path(__file__).resolve().parent.parent / "sim"
#: Each layer and the layers (besides itself and the shared leaves) it may import; `model`
#: is the Mesa adapter (sim/model.py) over the engine, `api` the Python API's facade.
LAYERS = {"core": {"scenarios"}, "scenarios": {"core"}, "model": {"core", "scenarios"},
          "io": {"core", "scenarios"}, "experiments": {"core", "scenarios", "model", "io"},
          "app": {"core", "scenarios", "model", "io", "experiments"},
          "api": {"core", "scenarios", "model", "io", "experiments", "app"}}
#: Shared leaves: the lazy package root (its version), faults, checks, limits and extras.
LEAVES = {"sim", "sim.errors", "sim.checks", "sim.limits", "sim.extras"}
#: Libraries the engine does without (it is numpy and the standard library).
NOT_IN_CORE = {"mesa", "hydra", "omegaconf", "pandas", "matplotlib", "dask", "scipy", "yaml"}


def _module(path: Path) -> str:
    return ".".join(("sim", *path.relative_to(SIM).with_suffix("").parts)).removesuffix(".__init__")


def _imports(path: Path) -> set[str]:
    """Modules imported at module level (not under `if TYPE_CHECKING:` or in functions)."""
    found = set()
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.ImportFrom) and node.module:
            for alias in node.names:
                candidate = f"{node.module}.{alias.name}"
                found.add(candidate if (SIM.parent / (candidate.replace(".", "/") + ".py")).exists()
                          else node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


def _layer(module: str) -> str:
    """sim.core.engine -> core; sim.model -> model."""
    return module.split(".")[1] if "." in module else module


def _graph() -> dict[str, set[str]]:
    return {_module(p): {m for m in _imports(p) if m.startswith("sim")} for p in SIM.rglob("*.py")}


def _cycle(graph: dict[str, set[str]]) -> list[str]:
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


def test_no_module_imports_one_that_imports_it_back():
    assert _cycle(_graph()) == []


def test_the_cycle_finder_finds_a_planted_cycle():
    assert _cycle({"sim.a": {"sim.b"}, "sim.b": {"sim.c"}, "sim.c": {"sim.a"}}) == ["sim.a", "sim.b", "sim.c", "sim.a"]


def test_layers_import_only_downwards():
    offences = []
    for module, targets in _graph().items():
        layer = _layer(module)
        if layer not in LAYERS:
            continue
        for target in targets - LEAVES:
            other = _layer(target)
            if other != layer and other not in LAYERS[layer]:
                offences.append(f"{module} -> {target}")
    assert not offences, offences


def test_the_engine_imports_no_framework():
    offences = [f"{_module(p)} -> {m}" for p in (SIM / "core").glob("*.py") for m in _imports(p)
                if m.split(".")[0] in NOT_IN_CORE]
    assert not offences, offences


def test_event_kinds_reach_the_state_only_through_operations():
    """No event kind imports numpy or reads an attribute of `ops` other than its methods
    (its arrays, `ops.s`, the generators, the parameters stay behind the operations)."""
    from sim.core.operations import Operations
    tree = ast.parse((SIM / "scenarios" / "events.py").read_text())
    assert "numpy" not in _imports(SIM / "scenarios" / "events.py")
    methods = {name for name in vars(Operations) if not name.startswith("_")}
    used = {node.attr for node in ast.walk(tree)
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "ops"}
    assert used and used <= methods, used - methods
