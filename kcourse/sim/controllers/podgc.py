"""Placeholder: being written."""

from __future__ import annotations

from ..controller import Controller


class PodGCController(Controller):
    name = "pod-garbage-collector"

    def sync_handler(self, key: str) -> str | None:
        return None
