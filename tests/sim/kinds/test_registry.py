"""The kind registry: every kind is described once, and what it names exists.

A kind's entry names its table printer and describer by their function's
name in ``kcourse.sim.kubectl``; these tests keep those names honest, and
check that the readers (resources, discovery, kubectl) see the same kinds.
"""

import importlib

from kcourse.sim import discovery, kinds, resources
from kcourse.sim.kubectl import ALL, printers

describe_module = importlib.import_module("kcourse.sim.kubectl.describe")


def test_every_named_printer_row_and_describer_exists():
    for kind in kinds.KINDS:
        if kind.printer is not None and isinstance(kind.printer.row, str):
            assert callable(getattr(printers, kind.printer.row, None)), kind.kind
        if isinstance(kind.describe, str):
            assert callable(getattr(describe_module, kind.describe, None)), kind.kind


def test_names_resolve_to_one_kind_each():
    for kind in kinds.KINDS:
        for name in (kind.kind, kind.plural, kind.singular, kind.qualified, *kind.short_names):
            assert kinds.lookup(name) is kind, name
    assert len({k.plural for k in kinds.KINDS}) == len(kinds.KINDS)
    assert len({k.kind for k in kinds.KINDS}) == len(kinds.KINDS)


def test_resources_is_the_registry():
    assert resources.RESOURCES is kinds.KINDS
    assert resources.by_kind("Pod") is kinds.by_kind("Pod")


def test_discovery_lists_each_kinds_verbs_subresources_and_categories():
    """``/api/v1`` as kube-apiserver lists it: pods with binding, eviction, log and status; namespaces without
    deletecollection (``pkg/registry/core/namespace/storage``)."""
    listed = {r["name"]: r for r in discovery.api_resource_list("", "v1")["resources"]}
    assert [n for n in listed if n.startswith("pods/")] == [
        "pods/binding",
        "pods/eviction",
        "pods/log",
        "pods/status",
    ]
    assert listed["pods/eviction"]["group"] == "policy"
    assert "deletecollection" not in listed["namespaces"]["verbs"]
    assert listed["pods"]["categories"] == ["all"]
    assert "categories" not in listed["configmaps"]


def test_kubectl_get_all_follows_the_all_category_in_discovery_order():
    in_order = [
        r["name"]
        for gv in discovery.group_versions()
        for r in (discovery.api_resource_list(*gv) or {"resources": []})["resources"]
        if "all" in r.get("categories", [])
    ]
    assert [kind.plural for kind in ALL] == in_order
