"""Placeholder: being written."""

from __future__ import annotations

from ..controller import Controller


class NamespaceController(Controller):
    name = "namespace-controller"

    def sync_handler(self, key: str) -> str | None:
        return None
