"""The base of the programs kube-proxy and the addons run; it lives in :mod:`kcourse.sim.programs`.

Kept so that ``from kcourse.sim.program import ContainerProgram`` keeps working.
"""

from __future__ import annotations

from .programs import ContainerProgram, GuardedInformer, context_value

__all__ = ["ContainerProgram", "GuardedInformer", "context_value"]
