"""API discovery: how a client learns which resources the server has.

kubectl and client-go start every session by asking ``/api`` and
``/apis`` what groups, versions and resources exist (and cache the answer
under ``~/.kube/cache/discovery``); they build their REST mapping from it
("``po``" → ``pods`` in ``v1``, namespaced, kind Pod).  Subresources are
listed as ``pods/log``, ``pods/eviction`` … and name the group and version
of the kind they take: ``kubectl drain`` finds ``policy/v1`` Eviction that
way, ``kubectl scale`` finds ``autoscaling/v1`` Scale.  What each kind
serves (verbs, subresources, short names, categories) comes from its entry
in :mod:`kcourse.sim.kinds`.

This is kube-apiserver's knowledge (``/api``, ``/apis``), so it lives with the simulation:
``kubectl api-resources`` reads it directly, and the served API (:mod:`kcourse.serve`) sends it.

Aggregated discovery (``apidiscovery.k8s.io/v2``, one document for all
groups) is served when the client asks for it, as kube-apiserver 1.30+ does;
otherwise the legacy documents, one per group version.
"""

from __future__ import annotations

from typing import Any

from kcourse.sim.kinds import group_versions as kind_group_versions
from kcourse.sim.resources import RESOURCES, ResourceType

__all__ = [
    "AGGREGATED",
    "EXTRA_GROUPS",
    "VERSION_INFO",
    "aggregated",
    "api_group_list",
    "api_resource_list",
    "api_versions",
    "group_versions",
]

AGGREGATED = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"

#: ``GET /version``: the build kube-apiserver reports.
VERSION_INFO = {
    "major": "1",
    "minor": "32",
    "gitVersion": "v1.32.0",
    "gitCommit": "70d3cc986aa8221cd1dfb1121852688902d3bf53",
    "gitTreeState": "clean",
    "buildDate": "2024-12-11T17:59:15Z",
    "goVersion": "go1.23.3",
    "compiler": "gc",
    "platform": "linux/amd64",
}

#: APIs served without stored objects (``aggregated.py``): (group, version) → [(resource, kind, namespaced,
#: verbs)].
EXTRA_GROUPS: dict[tuple[str, str], list[tuple[str, str, bool, list[str]]]] = {
    ("metrics.k8s.io", "v1beta1"): [
        ("nodes", "NodeMetrics", False, ["get", "list"]),
        ("pods", "PodMetrics", True, ["get", "list"]),
    ],
    ("authorization.k8s.io", "v1"): [
        ("selfsubjectaccessreviews", "SelfSubjectAccessReview", False, ["create"])
    ],
    ("authentication.k8s.io", "v1"): [("selfsubjectreviews", "SelfSubjectReview", False, ["create"])],
}


def group_versions() -> list[tuple[str, str]]:
    """(group, version) pairs served, core first, then groups in order of first appearance."""
    return kind_group_versions() + list(EXTRA_GROUPS)


def _verbs(rt: ResourceType) -> list[str]:
    return list(rt.verbs)


def _subresources(rt: ResourceType) -> list[tuple[str, str, str, str, list[str]]]:
    return [(s.name, s.group, s.version, s.kind, list(s.verbs)) for s in rt.all_subresources]


def api_versions(server_address: str) -> dict[str, Any]:
    """``GET /api``: the legacy core group has one version, v1."""
    return {
        "kind": "APIVersions",
        "versions": ["v1"],
        "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": server_address}],
    }


def api_group_list() -> dict[str, Any]:
    """``GET /apis``: every named group with its versions."""
    groups = []
    for group, version in group_versions():
        if group:
            gv = {"groupVersion": f"{group}/{version}", "version": version}
            groups.append({"name": group, "versions": [gv], "preferredVersion": gv})
    return {"kind": "APIGroupList", "apiVersion": "v1", "groups": groups}


def api_resource_list(group: str, version: str) -> dict[str, Any] | None:
    """``GET /api/v1`` or ``/apis/<group>/<version>``: the resources and subresources of one version."""
    gv = f"{group}/{version}" if group else version
    if (group, version) in EXTRA_GROUPS:
        return {
            "kind": "APIResourceList",
            "apiVersion": "v1",
            "groupVersion": gv,
            "resources": [
                {"name": name, "singularName": "", "namespaced": namespaced, "kind": kind, "verbs": verbs}
                for name, kind, namespaced, verbs in EXTRA_GROUPS[(group, version)]
            ],
        }
    rts = [rt for rt in RESOURCES if rt.group == group and rt.version == version]
    if not rts:
        return None
    resources: list[dict[str, Any]] = []
    for rt in sorted(rts, key=lambda r: r.plural):
        entry: dict[str, Any] = {
            "name": rt.plural,
            "singularName": rt.singular,
            "namespaced": rt.namespaced,
            "kind": rt.kind,
            "verbs": _verbs(rt),
        }
        if rt.short_names:
            entry["shortNames"] = list(rt.short_names)
        if rt.categories:
            entry["categories"] = list(rt.categories)
        resources.append(entry)
        for sub, sgroup, sversion, skind, verbs in _subresources(rt):
            sentry: dict[str, Any] = {
                "name": f"{rt.plural}/{sub}",
                "singularName": "",
                "namespaced": rt.namespaced,
                "kind": skind,
                "verbs": verbs,
            }
            if (sgroup, sversion) != (rt.group, rt.version):
                sentry["group"], sentry["version"] = sgroup, sversion
            resources.append(sentry)
    return {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": gv, "resources": resources}


def aggregated(legacy: bool) -> dict[str, Any]:
    """``apidiscovery.k8s.io/v2`` APIGroupDiscoveryList: ``/api`` (legacy=True) or ``/apis``, all in one."""
    items = []
    for group, version in group_versions():
        if (group == "") != legacy:
            continue
        resources = []
        for rt in sorted(
            (r for r in RESOURCES if r.group == group and r.version == version), key=lambda r: r.plural
        ):
            entry: dict[str, Any] = {
                "resource": rt.plural,
                "responseKind": {"group": group, "version": version, "kind": rt.kind},
                "scope": "Namespaced" if rt.namespaced else "Cluster",
                "singularResource": rt.singular,
                "verbs": _verbs(rt),
            }
            if rt.short_names:
                entry["shortNames"] = list(rt.short_names)
            if rt.categories:
                entry["categories"] = list(rt.categories)
            subs = [
                {"subresource": sub, "responseKind": {"group": sg, "version": sv, "kind": sk}, "verbs": verbs}
                for sub, sg, sv, sk, verbs in _subresources(rt)
            ]
            if subs:
                entry["subresources"] = subs
            resources.append(entry)
        for name, kind, namespaced, verbs in EXTRA_GROUPS.get((group, version), []):
            resources.append(
                {
                    "resource": name,
                    "responseKind": {"group": group, "version": version, "kind": kind},
                    "scope": "Namespaced" if namespaced else "Cluster",
                    "singularResource": "",
                    "verbs": verbs,
                }
            )
        items.append(
            {
                "metadata": {"name": group, "creationTimestamp": None},
                "versions": [{"version": version, "resources": resources, "freshness": "Current"}],
            }
        )
    return {
        "kind": "APIGroupDiscoveryList",
        "apiVersion": "apidiscovery.k8s.io/v2",
        "metadata": {},
        "items": items,
    }
