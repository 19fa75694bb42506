"""Does a pod's node selector and required node affinity accept a node?  One answer for every caller.

Upstream keeps this in ``k8s.io/component-helpers/scheduling/corev1/nodeaffinity``
(``nodeaffinity.go``: ``GetRequiredNodeAffinity(pod).Match(node)``,
``NodeSelectorTerm`` matching), so that kube-scheduler's NodeAffinity plugin
and the DaemonSet controller's ``NodeShouldRunDaemonPod`` can never disagree
about where a pod may run.  Both use this module.

A ``nodeSelector`` must match every label; the required affinity's
``nodeSelectorTerms`` are ORed, the expressions and fields within a term
ANDed, and an empty term matches nothing.  Of the fields only
``metadata.name`` exists (what the DaemonSet controller pins its pods with).

Simplified: expressions are not validated first (upstream's
``LazyErrorNodeSelector`` reports a malformed one as a parse error; here it
simply does not match); ``Gt``/``Lt`` parse with Python's ``int``.
"""

from __future__ import annotations

__all__ = ["node_selector_term_matches", "required_node_affinity", "required_node_affinity_matches"]


def _match_expression(expr: dict, value: str | None) -> bool:
    """One ``NodeSelectorRequirement`` against a label's (field's) value, None when absent."""
    op, values = expr.get("operator"), expr.get("values") or []
    if op == "In":
        return value is not None and value in values
    if op == "NotIn":
        return value is None or value not in values
    if op == "Exists":
        return value is not None
    if op == "DoesNotExist":
        return value is None
    if op in ("Gt", "Lt"):
        try:
            have, want = int(value or ""), int(values[0])
        except (TypeError, ValueError, IndexError):
            return False
        return have > want if op == "Gt" else have < want
    return False


def node_selector_term_matches(term: dict, node: dict) -> bool:
    """One ``nodeSelectorTerm``: all its expressions and fields (only ``metadata.name``) must match.

    An empty term matches nothing, as upstream.
    """
    exprs, fields = term.get("matchExpressions") or [], term.get("matchFields") or []
    if not exprs and not fields:
        return False
    labels = node["metadata"].get("labels") or {}
    for e in exprs:
        if not _match_expression(e, labels.get(e.get("key"))):
            return False
    for f in fields:
        value = node["metadata"]["name"] if f.get("key") == "metadata.name" else None
        if not _match_expression(f, value):
            return False
    return True


def required_node_affinity(pod: dict) -> dict:
    """The pod's ``requiredDuringSchedulingIgnoredDuringExecution`` node selector, or ``{}``."""
    spec = pod.get("spec") or {}
    return ((spec.get("affinity") or {}).get("nodeAffinity") or {}).get(
        "requiredDuringSchedulingIgnoredDuringExecution"
    ) or {}


def required_node_affinity_matches(pod: dict, node: dict) -> bool:
    """``GetRequiredNodeAffinity(pod).Match(node)``: ``nodeSelector`` and the required terms accept it."""
    spec = pod.get("spec") or {}
    labels = node["metadata"].get("labels") or {}
    for k, v in (spec.get("nodeSelector") or {}).items():
        if labels.get(k) != v:
            return False
    required = required_node_affinity(pod)
    if required:
        return any(node_selector_term_matches(t, node) for t in required.get("nodeSelectorTerms") or [])
    return True
