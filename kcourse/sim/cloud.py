"""Placeholder: being written."""

from __future__ import annotations

from .component import Component


class FakeCloud:
    def __init__(self, cluster):
        self.cluster = cluster

    def create_vm(self, name, role):
        pass

    def power_off(self, name):
        pass

    def power_on(self, name):
        pass

    def delete_vm(self, name):
        pass


class CloudControllerManager(Component):
    def __init__(self, cluster, node):
        super().__init__(cluster, "cloud-controller-manager", node)
