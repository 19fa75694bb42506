"""Placeholder: being written."""

from __future__ import annotations

import yaml


class Kubectl:
    def __init__(self, cluster):
        self.cluster = cluster

    def apply(self, manifest, namespace=None):
        if isinstance(manifest, str):
            manifest = yaml.safe_load(manifest)
        return self.cluster.api.create(manifest, namespace=namespace, user="kubectl")

    def run(self, command):
        raise NotImplementedError
