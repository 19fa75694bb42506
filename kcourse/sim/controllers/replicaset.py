"""Placeholder: being written."""

from __future__ import annotations

from ..controller import Controller


class ReplicaSetController(Controller):
    name = "replicaset-controller"

    def sync_handler(self, key: str) -> str | None:
        return None
