"""Agent-based simulation of protective integration in the SCO and the CSTO.

Python API (for notebooks and other tools)::

    import sim
    cfg = sim.compose(["scenario=no_crimea", "seeds=10"])
    model = sim.build_model(cfg, seed=0); model.run_model()
    table = sim.run_ensemble(cfg, seeds=range(10))

The API names load on first use (PEP 562 module `__getattr__`), so that a leaf import such
as `import sim.errors` does not pay for the model, Mesa, Hydra and pandas.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sim.api import build_model, run_ensemble
    from sim.app.config import compose, resolve
    from sim.model import ProtectiveIntegrationModel

from sim.version import __version__

__all__ = ["compose", "build_model", "run_ensemble", "ProtectiveIntegrationModel", "__version__"]

#: The module each lazily loaded name comes from (`resolve`: the validation the README names).
_LAZY = {"compose": "sim.app.config", "resolve": "sim.app.config", "build_model": "sim.api",
         "run_ensemble": "sim.api", "ProtectiveIntegrationModel": "sim.model"}


def __getattr__(name: str) -> Any:
    """Load an API name from its module on first access and keep it in this namespace."""
    if name not in _LAZY:
        raise AttributeError(f"module 'sim' has no attribute '{name}'")
    value = getattr(importlib.import_module(_LAZY[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    """The module's names, the lazily loaded ones included."""
    return sorted({*globals(), *_LAZY})
