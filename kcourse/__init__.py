"""kcourse: learn the architecture of a Kubernetes cluster by running one.

The simulated cluster lives in :mod:`kcourse.sim` (pure Python); diagrams,
plots, widgets and quizzes are views on it.  ``kcourse.Cluster`` is the
simulation's cluster with ``diagram()`` and ``serve()`` (:mod:`kcourse.cluster`).  Heavy modules load on
first use,
so ``import kcourse`` stays quick.
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = ["ApiError", "Cluster", "__version__", "diagrams", "plots", "quiz", "sim", "widgets"]
__version__ = "0.1.0"

_LAZY = {
    "Cluster": ("kcourse.cluster", "Cluster"),
    "ApiError": ("kcourse.sim.errors", "ApiError"),
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        module, attr = _LAZY[name]
        value = getattr(importlib.import_module(module), attr)
    elif name in ("sim", "quiz", "diagrams", "plots", "widgets"):
        value = importlib.import_module(f"kcourse.{name}")
    else:
        raise AttributeError(f"module 'kcourse' has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
