"""Placeholder: being written."""

from __future__ import annotations

from .component import Component


class Kubelet(Component):
    def __init__(self, cluster, node, **kw):
        super().__init__(cluster, "kubelet", node)
