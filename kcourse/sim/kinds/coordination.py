"""The ``coordination.k8s.io/v1`` group: Leases, for node heartbeats and leader election."""

from __future__ import annotations

from . import Kind, Printer

__all__ = ["LEASE"]

LEASE = Kind(
    "Lease",
    "leases",
    "coordination.k8s.io",
    "v1",
    True,
    "/registry/leases",
    (),
    False,
    printer=Printer(("NAME", "HOLDER", "AGE"), "_lease_row"),
)
