"""Placeholder: being written."""

from __future__ import annotations

from ..controller import Controller


class NodeIpamController(Controller):
    name = "node-ipam-controller"

    def sync_handler(self, key: str) -> str | None:
        return None
