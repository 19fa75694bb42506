"""APIs the simulated API server does not store: metrics and "can I?".

* ``metrics.k8s.io/v1beta1`` is served by metrics-server behind
  kube-apiserver's aggregation layer (an APIService); ``kubectl top`` reads
  NodeMetrics and PodMetrics from it.  Here the answers come from the
  monitoring addon's store, and are 503 ServiceUnavailable while no
  metrics-server Pod runs, as on a real cluster.
* ``authorization.k8s.io/v1`` SelfSubjectAccessReview answers ``kubectl auth
  can-i``: the kubeconfig's user is ``kubernetes-admin``, a cluster admin, so
  the answer is always yes.
* ``authentication.k8s.io/v1`` SelfSubjectReview (GA in 1.28) answers ``kubectl
  auth whoami`` with the attributes the authenticator gave the request
  (``pkg/registry/authentication/selfsubjectreview/rest.go``): the admin of a
  kubeadm cluster, ``kubernetes-admin`` in ``kubeadm:cluster-admins``.

Simplified: a Pod's usage is reported for its first container; metrics
carry the sample's instant as ``timestamp`` and the metrics-server's 15 s
resolution as ``window``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kcourse.sim import errors
from kcourse.sim.errors import ApiError
from kcourse.sim.objects import timestamp

from .kubeconfig import USER
from .rest import Reply, Request, decode_body

if TYPE_CHECKING:
    from .server import App

__all__ = ["handle"]


def _metrics(app: App) -> Any:
    metrics = getattr(getattr(app.cluster, "addons", None), "metrics", None)
    if metrics is None or not metrics.available:
        raise errors.service_unavailable()
    return metrics


def _usage(cpu_millicores: int, memory_bytes: int) -> dict[str, str]:
    return {"cpu": f"{cpu_millicores}m", "memory": f"{memory_bytes // 1024}Ki"}


def _item(kind: str, name: str, namespace: str | None, now: float) -> dict[str, Any]:
    md: dict[str, Any] = {"name": name, "creationTimestamp": timestamp(now)}
    if namespace:
        md["namespace"] = namespace
    return {
        "kind": kind,
        "apiVersion": "metrics.k8s.io/v1beta1",
        "metadata": md,
        "timestamp": timestamp(now),
        "window": "15s",
    }


def _node_metrics(app: App, name: str) -> list[dict]:
    now = app.cluster.clock.now
    out = []
    for row in _metrics(app).top_nodes():
        if row["cpu"] is not None and (not name or row["name"] == name):
            out.append(
                dict(_item("NodeMetrics", row["name"], None, now), usage=_usage(row["cpu"], row["memory"]))
            )
    return out


def _pod_metrics(app: App, namespace: str | None, name: str) -> list[dict]:
    now = app.cluster.clock.now
    out = []
    for row in _metrics(app).top_pods(namespace):
        if name and row["name"] != name:
            continue
        pod = app.cluster.api.peek("pods", row["name"], row["namespace"])
        containers = [c["name"] for c in (pod or {}).get("spec", {}).get("containers") or []] or [row["name"]]
        out.append(
            dict(
                _item("PodMetrics", row["name"], row["namespace"], now),
                containers=[{"name": containers[0], "usage": _usage(row["cpu"], row["memory"])}],
            )
        )
    return out


#: Who the kubeconfig's token authenticates as: kubeadm's admin.conf user (1.29+ puts it in
#: ``kubeadm:cluster-admins``, bound to cluster-admin) plus the group every authenticated user gets.
ADMIN = {"username": USER, "groups": ["kubeadm:cluster-admins", "system:authenticated"]}


def self_subject_review(app: App, review: Any) -> dict:
    """The SelfSubjectReview REST's Create: whatever the body says, the answer is the requester's user
    info."""
    if not isinstance(review, dict) or review.get("kind") not in (None, "", "SelfSubjectReview"):
        raise errors.bad_request(f"not a SelfSubjectReview: {review!r}"[:200])
    return {
        "kind": "SelfSubjectReview",
        "apiVersion": "authentication.k8s.io/v1",
        "metadata": {"creationTimestamp": timestamp(app.cluster.clock.now)},
        "status": {"userInfo": dict(ADMIN, groups=list(ADMIN["groups"]))},
    }


def handle(app: App, req: Request, group: str, parts: list[str]) -> Reply:
    """Serve ``parts`` (the path after ``/apis/<group>/<version>``) of one of :data:`GROUPS`."""
    if group == "authorization.k8s.io":
        if parts != ["selfsubjectaccessreviews"] or req.method != "POST":
            raise errors.method_not_supported("selfsubjectaccessreviews", req.method.lower())
        review = decode_body(req, "SelfSubjectAccessReview")
        return Reply(201, dict(review, status={"allowed": True, "reason": ""}))
    if group == "authentication.k8s.io":
        if parts != ["selfsubjectreviews"] or req.method != "POST":
            raise errors.method_not_supported("selfsubjectreviews", req.method.lower())
        return Reply(201, self_subject_review(app, decode_body(req, "SelfSubjectReview")))
    if req.method != "GET":
        raise errors.method_not_supported(parts[-1] if parts else "", req.method.lower())
    namespace = None
    if len(parts) >= 3 and parts[0] == "namespaces":
        namespace, parts = parts[1], parts[2:]
    if not parts or parts[0] not in ("nodes", "pods") or len(parts) > 2:
        raise ApiError(404, "NotFound", "the server could not find the requested resource")
    name = parts[1] if len(parts) == 2 else ""
    with app.cluster.lock:
        if parts[0] == "nodes":
            items, kind = _node_metrics(app, name), "NodeMetrics"
        else:
            items, kind = _pod_metrics(app, namespace, name), "PodMetrics"
    if name:
        if not items:
            raise errors.not_found(f"{parts[0][:-1]}metrics", name, "metrics.k8s.io")
        return Reply(200, items[0])
    return Reply(
        200, {"kind": f"{kind}List", "apiVersion": "metrics.k8s.io/v1beta1", "metadata": {}, "items": items}
    )
