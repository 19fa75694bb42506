"""Taints and tolerations: whether a Pod's toleration matches a Node's taint.

One definition for every component that asks (the scheduler's
TaintToleration filter and score, the taint manager's evictions, the
DaemonSet controller's choice of nodes), as ``k8s.io/api/core/v1``'s
``Toleration.ToleratesTaint`` serves them all upstream.
"""

from __future__ import annotations

__all__ = ["tolerated", "tolerates"]


def tolerates(toleration: dict, taint: dict) -> bool:
    """``Toleration.ToleratesTaint``: empty effect or key match any; Exists ignores the value."""
    if toleration.get("effect") and toleration["effect"] != taint.get("effect"):
        return False
    if toleration.get("key") and toleration["key"] != taint.get("key"):
        return False
    op = toleration.get("operator") or "Equal"
    if op == "Exists":
        return True
    return op == "Equal" and (toleration.get("value") or "") == (taint.get("value") or "")


def tolerated(tolerations: list[dict], taint: dict) -> bool:
    """``TolerationsTolerateTaint``: does any of ``tolerations`` tolerate ``taint``?"""
    return any(tolerates(t, taint) for t in tolerations)
