"""The ``storage.k8s.io/v1`` group: StorageClasses, which say how a claim's volume is provisioned."""

from __future__ import annotations

from . import Kind, Printer

__all__ = ["STORAGE_CLASS"]

STORAGE_CLASS = Kind(
    "StorageClass",
    "storageclasses",
    "storage.k8s.io",
    "v1",
    False,
    "/registry/storageclasses",
    ("sc",),
    False,
    printer=Printer(
        ("NAME", "PROVISIONER", "RECLAIMPOLICY", "VOLUMEBINDINGMODE", "ALLOWVOLUMEEXPANSION", "AGE"),
        "_storageclass_row",
    ),
)
