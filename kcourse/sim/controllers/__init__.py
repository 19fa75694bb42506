"""Placeholder: being written."""

from __future__ import annotations

from ..component import Component


class KubeControllerManager(Component):
    def __init__(self, cluster, node):
        super().__init__(cluster, "kube-controller-manager", node)
