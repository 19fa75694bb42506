"""``meta.k8s.io/v1`` Table responses: the server prints, kubectl only lays out.

Since Kubernetes 1.11 ``kubectl get`` asks the server for a Table
(``Accept: application/json;as=Table;v=v1;g=meta.k8s.io``): column
definitions plus one row of cells per object, each row carrying the object
(by default only its metadata, ``includeObject=Metadata``).  kubectl adds
the NAMESPACE and LABELS columns from that metadata itself and hides the
columns of priority 1 unless ``-o wide``.  The cells come from the same
printers the simulated ``kubectl`` uses (``kcourse.sim.kubectl.printers``),
so both print the same table for the same state.

Simplified: column names are the printed headers (kubectl upper-cases
them anyway) and every cell is a string.
"""

from __future__ import annotations

from typing import Any

from kcourse.sim.kubectl.printers import table_rows
from kcourse.sim.resources import ResourceType

__all__ = ["table", "wants_table"]

_FORMATS = {"NAME": "name"}


def wants_table(accept: str) -> bool:
    """Does the Accept header ask for a Table (kubectl get's first choice)?"""
    return any("as=Table" in part and "g=meta.k8s.io" in part for part in accept.split(","))


def _row_object(obj: dict, include: str) -> dict | None:
    if include == "None":
        return None
    if include == "Object":
        return obj
    return {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": obj["metadata"]}


def table(
    rt: ResourceType,
    objs: list[dict],
    now: float,
    *,
    resource_version: str = "",
    include_object: str = "Metadata",
    headers: bool = True,
) -> dict[str, Any]:
    """A Table of ``objs``; wide-only columns get priority 1, as the server's printers mark them."""
    narrow = table_rows(rt, [], now)[0]
    wide_rows = table_rows(rt, objs, now, wide=True)
    columns = [
        {
            "name": name,
            "type": "string",
            "format": _FORMATS.get(name, ""),
            "description": "",
            "priority": 0 if name in narrow else 1,
        }
        for name in wide_rows[0]
    ]
    rows = []
    for obj, cells in zip(objs, wide_rows[1:]):
        row: dict[str, Any] = {"cells": cells}
        shown = _row_object(obj, include_object)
        if shown is not None:
            row["object"] = shown
        rows.append(row)
    out: dict[str, Any] = {
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": {"resourceVersion": resource_version},
    }
    if headers:
        out["columnDefinitions"] = columns
    out["rows"] = rows
    return out
