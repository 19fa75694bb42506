"""ipywidgets front ends; thin views over the library, loaded on first use.

Each front end is its own module (``quiz``, and beside it ``stepper``,
``dashboard``); importing this package imports none of them, so ``import
kcourse`` never pays for ipywidgets.  Add a name to ``_LAZY`` to export it.
"""

from __future__ import annotations

import importlib
from typing import Any

_LAZY = {
    "Dashboard": "kcourse.widgets.dashboard",
    "QuestionWidget": "kcourse.widgets.quiz",
    "QuizWidget": "kcourse.widgets.quiz",
    "Stepper": "kcourse.widgets.stepper",
}

__all__ = ["Dashboard", "QuestionWidget", "QuizWidget", "Stepper"]


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module 'kcourse.widgets' has no attribute {name!r}")
    value = getattr(importlib.import_module(_LAZY[name]), name)
    globals()[name] = value
    return value
