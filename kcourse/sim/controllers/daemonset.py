"""The DaemonSet controller (``daemonset-controller``): one Pod on every eligible node.

kube-proxy, log shippers and node agents run this way.  For each DaemonSet
the controller walks the nodes and asks whether the daemon Pod *should run*
there (``nodeName``, ``nodeSelector`` and required node affinity match, and
every NoSchedule/NoExecute taint is tolerated) and whether an existing one
may *continue running* (only NoExecute taints evict):

* a node that should run one and has none gets a Pod.  The controller does
  not pick the node by writing ``spec.nodeName``: since 1.12 it adds a
  required node affinity ``matchFields metadata.name In [<node>]`` and lets
  the default scheduler bind it, so resources and ports are checked like for
  any Pod;
* a node with a daemon Pod that must not run there loses it
  (``numberMisscheduled`` counts these meanwhile); a Failed daemon Pod is
  deleted and replaced; extra Pods on one node are deleted, oldest kept.

Daemon Pods get the DaemonSet's default tolerations, so they keep running
through node problems: ``node.kubernetes.io/not-ready`` and ``unreachable``
NoExecute *without* tolerationSeconds (never evicted), ``disk-pressure``,
``memory-pressure``, ``pid-pressure``, ``unschedulable`` NoSchedule, and
``network-unavailable`` for host-network Pods.  Control plane nodes count
when the template tolerates their ``node-role.kubernetes.io/control-plane``
taint.

A template change rolls out with ``RollingUpdate`` (default ``maxUnavailable:
1``, a percentage rounds up): old Pods are deleted a few at a time and the
next sync creates their replacements.  Pods carry ``controller-revision-hash``
and ``pod-template-generation`` labels to tell revisions apart.

Simplified: no ControllerRevision objects (the hash is ``ComputeHash`` of the
template, shared with the Deployment controller); no ``maxSurge`` (surge
rollouts); no back-off for failed daemon Pods; creations within a batch run
one after another.
"""

from __future__ import annotations

from typing import Any

from ..apiserver import Unreachable
from ..controller import Controller
from ..errors import ApiError
from ..informer import ResourceEventHandler
from ..labels import selector_from_spec
from ..objects import controller_of, deep_copy, parse_timestamp
from ..resources import object_key
from ..taints import tolerated
from .deployment import compute_hash, scaled_value
from .replicaset import (
    POD_CONTROLLER_UID_INDEX,
    ControllerExpectations,
    PodControl,
    claim_objects,
    is_pod_available,
    is_pod_ready,
    pod_controller_uid_index,
    pods_by_owner,
    resolve_controller_ref,
    slow_start_batch,
)

__all__ = [
    "CONTROLLER_REVISION_HASH",
    "TEMPLATE_GENERATION",
    "DaemonSetController",
    "daemon_pod_tolerations",
    "node_should_run_daemon_pod",
    "target_node_name",
]

CONTROLLER_REVISION_HASH = "controller-revision-hash"
TEMPLATE_GENERATION = "pod-template-generation"
BURST_REPLICAS = 250


def daemon_pod_tolerations(spec: dict) -> list[dict]:
    """The pod spec's tolerations plus ``AddOrUpdateDaemonPodTolerations``'s (replacing equal keys)."""
    tolerations = [dict(t) for t in spec.get("tolerations") or []]
    wanted = [("node.kubernetes.io/not-ready", "NoExecute"), ("node.kubernetes.io/unreachable", "NoExecute"),
              ("node.kubernetes.io/disk-pressure", "NoSchedule"), ("node.kubernetes.io/memory-pressure", "NoSchedule"),
              ("node.kubernetes.io/pid-pressure", "NoSchedule"), ("node.kubernetes.io/unschedulable", "NoSchedule")]
    if spec.get("hostNetwork"):
        wanted.append(("node.kubernetes.io/network-unavailable", "NoSchedule"))
    for key, effect in wanted:
        tol = {"key": key, "operator": "Exists", "effect": effect}
        for i, t in enumerate(tolerations):
            if t.get("key") == key and t.get("effect") == effect and t.get("operator", "Equal") == "Exists":
                tolerations[i] = tol
                break
        else:
            tolerations.append(tol)
    return tolerations


def _match_requirement(req: dict, value: str | None) -> bool:
    op, values = req.get("operator"), req.get("values") or []
    if op == "In":
        return value is not None and value in values
    if op == "NotIn":
        return value is None or value not in values
    if op == "Exists":
        return value is not None
    if op == "DoesNotExist":
        return value is None
    if op in ("Gt", "Lt") and value is not None and values:
        try:
            return int(value) > int(values[0]) if op == "Gt" else int(value) < int(values[0])
        except ValueError:
            return False
    return False


def _fits_affinity(spec: dict, node: dict) -> bool:
    labels = node["metadata"].get("labels") or {}
    for k, v in (spec.get("nodeSelector") or {}).items():
        if labels.get(k) != v:
            return False
    required = (((spec.get("affinity") or {}).get("nodeAffinity") or {})
                .get("requiredDuringSchedulingIgnoredDuringExecution") or {})
    terms = required.get("nodeSelectorTerms")
    if not terms:
        return True
    fields = {"metadata.name": node["metadata"]["name"]}
    for term in terms:
        exprs, mfields = term.get("matchExpressions") or [], term.get("matchFields") or []
        if not exprs and not mfields:
            continue
        if all(_match_requirement(r, labels.get(r["key"])) for r in exprs) and \
                all(_match_requirement(r, fields.get(r["key"])) for r in mfields):
            return True
    return False


def node_should_run_daemon_pod(node: dict, ds: dict) -> tuple[bool, bool]:
    """``NodeShouldRunDaemonPod``: (should run a new Pod here, may keep an existing one)."""
    spec = ds["spec"]["template"].get("spec") or {}
    if spec.get("nodeName") and spec["nodeName"] != node["metadata"]["name"]:
        return False, False
    if not _fits_affinity(spec, node):
        return False, False
    taints = [t for t in (node.get("spec") or {}).get("taints") or [] if t.get("effect") in ("NoSchedule", "NoExecute")]
    if not taints:  # most nodes: no toleration to work out
        return True, True
    tolerations = daemon_pod_tolerations(spec)
    untolerated = [t for t in taints if not tolerated(tolerations, t)]
    if untolerated:
        return False, not any(t.get("effect") == "NoExecute" for t in untolerated)
    return True, True


def target_node_name(pod: dict) -> str:
    """The node a daemon Pod is for: ``spec.nodeName`` once bound, else its ``metadata.name`` affinity."""
    if pod["spec"].get("nodeName"):
        return pod["spec"]["nodeName"]
    required = ((((pod["spec"].get("affinity") or {}).get("nodeAffinity") or {})
                 .get("requiredDuringSchedulingIgnoredDuringExecution") or {}).get("nodeSelectorTerms") or [])
    for term in required:
        for req in term.get("matchFields") or []:
            if req.get("key") == "metadata.name" and req.get("operator") == "In" and len(req.get("values") or []) == 1:
                return req["values"][0]
    return ""


def _with_node_affinity(spec: dict, node: str) -> None:
    """``ReplaceDaemonSetPodNodeNameNodeAffinity``: pin the Pod to ``node`` through required affinity."""
    req = {"key": "metadata.name", "operator": "In", "values": [node]}
    affinity = spec.setdefault("affinity", {})
    node_affinity = affinity.setdefault("nodeAffinity", {})
    required = node_affinity.setdefault("requiredDuringSchedulingIgnoredDuringExecution", {})
    terms = required.get("nodeSelectorTerms") or []
    if not terms:
        required["nodeSelectorTerms"] = [{"matchFields": [req]}]
        return
    for term in terms:
        term["matchFields"] = [req]


def _by_age(pods: list[dict]) -> list[dict]:
    return sorted(pods, key=lambda p: (parse_timestamp(p["metadata"]["creationTimestamp"]), p["metadata"]["name"]))


class DaemonSetController(Controller):
    """Runs one copy of each DaemonSet's Pod on every node that should run it."""

    name = "daemonset-controller"

    def __init__(self, manager: Any, informers: Any):
        super().__init__(manager, informers)
        self.ds_informer = self.informer("daemonsets")
        self.pod_informer = self.informer("pods")
        if POD_CONTROLLER_UID_INDEX not in self.pod_informer.indexers:
            self.pod_informer.add_indexer(POD_CONTROLLER_UID_INDEX, pod_controller_uid_index)
        self.node_informer = self.informer("nodes")
        self.expectations = ControllerExpectations(self.clock)
        self.pod_control = PodControl(self.client)
        self.ds_informer.add_event_handler(ResourceEventHandler(
            on_add=self.enqueue, on_update=lambda old, new: self.enqueue(new), on_delete=self._delete_ds))
        self.pod_informer.add_event_handler(ResourceEventHandler(
            on_add=self._add_pod, on_update=self._update_pod, on_delete=self._delete_pod))
        self.node_informer.add_event_handler(ResourceEventHandler(
            on_add=lambda node: self._enqueue_all(), on_update=self._update_node,
            on_delete=lambda node: self._enqueue_all()))

    # --- informer handlers -------------------------------------------------------------------------

    def _delete_ds(self, ds: dict) -> None:
        self.expectations.delete(object_key(ds))
        self.enqueue(ds)

    def _enqueue_all(self) -> None:
        for ds in self.ds_informer.list():
            self.enqueue(ds)

    def _update_node(self, old: dict, cur: dict) -> None:
        """Only what changes eligibility matters: labels and taints (not every heartbeat)."""
        if old["metadata"].get("labels") != cur["metadata"].get("labels") or \
                (old.get("spec") or {}).get("taints") != (cur.get("spec") or {}).get("taints"):
            self._enqueue_all()

    def _owner(self, pod: dict) -> dict | None:
        return resolve_controller_ref(self.ds_informer, pod["metadata"]["namespace"], controller_of(pod), "DaemonSet")

    def _add_pod(self, pod: dict) -> None:
        if pod["metadata"].get("deletionTimestamp"):
            self._delete_pod(pod)
            return
        ds = self._owner(pod)
        if ds is not None:
            self.expectations.creation_observed(object_key(ds))
            self.enqueue(ds)
        elif controller_of(pod) is None:
            for ds in self.ds_informer.list():
                if ds["metadata"]["namespace"] == pod["metadata"]["namespace"] and \
                        selector_from_spec(ds["spec"].get("selector")).matches(pod["metadata"].get("labels")):
                    self.enqueue(ds)

    def _update_pod(self, old: dict, cur: dict) -> None:
        if old["metadata"].get("resourceVersion") == cur["metadata"].get("resourceVersion"):
            return
        if cur["metadata"].get("deletionTimestamp"):
            self._delete_pod(cur)
            return
        for pod in (old, cur):
            ds = self._owner(pod)
            if ds is not None:
                self.enqueue(ds)
                min_ready = ds["spec"].get("minReadySeconds") or 0
                if pod is cur and min_ready and not is_pod_ready(old) and is_pod_ready(cur):
                    self.queue.add_after(object_key(ds), min_ready + 1)

    def _delete_pod(self, pod: dict) -> None:
        ds = self._owner(pod)
        if ds is not None:
            self.expectations.deletion_observed(object_key(ds), object_key(pod))
            self.enqueue(ds)

    # --- the sync ----------------------------------------------------------------------------------

    def sync_handler(self, key: str) -> str | None:
        ds = self.ds_informer.get(key)
        if ds is None:
            self.expectations.delete(key)
            return f"DaemonSet {key} has been deleted; forgot its expectations"
        if ds["metadata"].get("deletionTimestamp"):
            return "being deleted: nothing to do"
        nodes = self.node_informer.list()
        pod_hash = compute_hash(ds["spec"]["template"], (ds.get("status") or {}).get("collisionCount"))
        if not self.expectations.satisfied(key):
            self._update_status(ds, nodes, pod_hash)
            adds, dels = self.expectations.pending(key)
            return f"waiting for the informer to observe {adds} creation(s) and {dels} deletion(s) (expectations)"
        node_pods, notes = self._node_to_daemon_pods(ds)
        actions = list(notes)
        error: Exception | None = None
        try:
            actions += self._manage(ds, nodes, node_pods, pod_hash)
            strategy = ds["spec"].get("updateStrategy") or {}
            if self.expectations.satisfied(key) and strategy.get("type", "RollingUpdate") == "RollingUpdate":
                actions += self._rolling_update(ds, nodes, node_pods, pod_hash)
        except (ApiError, Unreachable) as err:
            error = err
        status = self._update_status(ds, nodes, pod_hash)
        if error is not None:
            raise error
        summary = (f"{status.get('currentNumberScheduled', 0)}/{status.get('desiredNumberScheduled', 0)} scheduled, "
                   f"{status.get('numberReady', 0)} ready, {status.get('updatedNumberScheduled', 0)} updated")
        return f"{'; '.join(actions) if actions else 'nothing to change'} — {summary}"

    def _node_to_daemon_pods(self, ds: dict) -> tuple[dict[str, list[dict]], list[str]]:
        ns = ds["metadata"]["namespace"]
        pods = pods_by_owner(self.pod_informer, ds, include_orphans=True)

        def can_adopt() -> bool:
            fresh = self.client.get("daemonsets", ds["metadata"]["name"], ns)
            return fresh["metadata"]["uid"] == ds["metadata"]["uid"] and not fresh["metadata"].get("deletionTimestamp")

        claimed, notes = claim_objects(self.client, ds, selector_from_spec(ds["spec"].get("selector")), pods, "pods",
                                       can_adopt)
        out: dict[str, list[dict]] = {}
        for pod in claimed:
            out.setdefault(target_node_name(pod), []).append(pod)
        return out, notes

    def _manage(self, ds: dict, nodes: list[dict], node_pods: dict[str, list[dict]], pod_hash: str) -> list[str]:
        """Create the missing daemon Pods and delete the ones that must go (``manage`` + ``podsShouldBeOnNode``)."""
        need, delete = [], []
        for node in nodes:
            name = node["metadata"]["name"]
            should_run, may_continue = node_should_run_daemon_pod(node, ds)
            pods = node_pods.get(name)
            if should_run and not pods:
                need.append(name)
            elif may_continue and pods:
                running = []
                for pod in pods:
                    if pod["metadata"].get("deletionTimestamp"):
                        continue
                    phase = (pod.get("status") or {}).get("phase")
                    if phase == "Failed":
                        self.client.event(ds, "Warning", "FailedDaemonPod",
                                          f"Found failed daemon pod {pod['metadata']['namespace']}/"
                                          f"{pod['metadata']['name']} on node {name}, will try to kill it")
                        delete.append(pod)
                    elif phase == "Succeeded":
                        delete.append(pod)
                    else:
                        running.append(pod)
                delete += _by_age(running)[1:]  # more than one on a node: keep the oldest
            elif not may_continue and pods:
                delete += [p for p in pods if not p["metadata"].get("deletionTimestamp")]
        return self._sync_nodes(ds, delete, need, pod_hash)

    def _sync_nodes(self, ds: dict, delete: list[dict], need: list[str], pod_hash: str) -> list[str]:
        key = object_key(ds)
        need, delete = need[:BURST_REPLICAS], delete[:BURST_REPLICAS]
        actions: list[str] = []
        if not need and not delete:
            return actions
        self.expectations.set_expectations(key, len(need), [object_key(p) for p in delete])
        queue = list(need)
        created: list[str] = []

        def create() -> None:
            node = queue.pop(0)
            template = deep_copy(ds["spec"]["template"])
            labels = template.setdefault("metadata", {}).setdefault("labels", {})
            labels[CONTROLLER_REVISION_HASH] = pod_hash
            labels[TEMPLATE_GENERATION] = str(ds["metadata"].get("generation", 1))
            spec = template.setdefault("spec", {})
            spec["tolerations"] = daemon_pod_tolerations(spec)
            _with_node_affinity(spec, node)
            pod = self.pod_control.create_pod(template, ds)
            created.append(f"{pod['metadata']['name']} for {node}")

        ok, batches, err = slow_start_batch(len(need), 1, create) if need else (0, [], None)
        for _ in range(len(need) - ok):
            self.expectations.creation_observed(key)
        if created:
            actions.append(f"created {', '.join(created)} (batches {', '.join(map(str, batches))})")
        deleted = []
        for pod in delete:
            try:
                self.pod_control.delete_pod(pod["metadata"]["namespace"], pod["metadata"]["name"], ds)
                deleted.append(pod["metadata"]["name"])
            except (ApiError, Unreachable) as e:
                self.expectations.deletion_observed(key, object_key(pod))
                if not (isinstance(e, ApiError) and e.code == 404):
                    err = err or e
        if deleted:
            actions.append(f"deleted {', '.join(deleted)}")
        if err is not None:
            raise err
        return actions

    @staticmethod
    def _is_updated(pod: dict, pod_hash: str, generation: int) -> bool:
        labels = pod["metadata"].get("labels") or {}
        return labels.get(CONTROLLER_REVISION_HASH) == pod_hash or labels.get(TEMPLATE_GENERATION) == str(generation)

    def _rolling_update(self, ds: dict, nodes: list[dict], node_pods: dict[str, list[dict]], pod_hash: str) -> list[str]:
        """Delete old Pods, at most ``maxUnavailable`` unavailable at once; ``manage`` replaces them next sync."""
        generation = ds["metadata"].get("generation", 1)
        desired, pods_by_node = 0, dict(node_pods)
        for node in nodes:
            if node_should_run_daemon_pod(node, ds)[0]:
                desired += 1
                pods_by_node.setdefault(node["metadata"]["name"], [])
        ru = (ds["spec"].get("updateStrategy") or {}).get("rollingUpdate") or {}
        max_unavailable = scaled_value(ru.get("maxUnavailable", 1), desired, True) or 1
        min_ready, now = ds["spec"].get("minReadySeconds") or 0, self.clock.now
        unavailable, replace, candidates = 0, [], []
        for node_name in sorted(pods_by_node):
            new = old = None
            ok = True
            for pod in pods_by_node[node_name]:
                if pod["metadata"].get("deletionTimestamp"):
                    continue
                if self._is_updated(pod, pod_hash, generation):
                    ok, new = ok and new is None, pod
                else:
                    ok, old = ok and old is None, pod
            if not ok or (new is None) == (old is None):
                unavailable += 1  # the manage loop creates or deletes here: count it as unavailable
            elif new is not None:
                if not is_pod_available(new, min_ready, now):
                    unavailable += 1
            elif not is_pod_available(old, min_ready, now):
                replace.append(old)
            elif unavailable < max_unavailable:
                candidates.append(old)
        budget = min(max(max_unavailable - unavailable, 0), len(candidates))
        victims = replace + candidates[:budget]
        if not victims:
            return []
        return [f"rolling update (maxUnavailable {max_unavailable}): "
                + "; ".join(self._sync_nodes(ds, victims, [], pod_hash))]

    def _update_status(self, ds: dict, nodes: list[dict], pod_hash: str) -> dict:
        node_pods: dict[str, list[dict]] = {}
        for pod in self.pod_informer.by_index(POD_CONTROLLER_UID_INDEX, ds["metadata"]["uid"]):
            node_pods.setdefault(target_node_name(pod), []).append(pod)
        generation = ds["metadata"].get("generation", 1)
        min_ready, now = ds["spec"].get("minReadySeconds") or 0, self.clock.now
        desired = current = ready = available = updated = misscheduled = 0
        for node in nodes:
            should_run, _ = node_should_run_daemon_pod(node, ds)
            pods = node_pods.get(node["metadata"]["name"])
            if should_run:
                desired += 1
                if not pods:
                    continue
                current += 1
                pod = min(pods, key=lambda p: ((p.get("status") or {}).get("phase") != "Running",
                                               parse_timestamp(p["metadata"]["creationTimestamp"]),
                                               p["metadata"]["name"]))
                if is_pod_ready(pod):
                    ready += 1
                    if is_pod_available(pod, min_ready, now):
                        available += 1
                if self._is_updated(pod, pod_hash, generation):
                    updated += 1
            elif pods:
                misscheduled += 1
        status = deep_copy(ds.get("status") or {})
        status.update({"currentNumberScheduled": current, "numberMisscheduled": misscheduled,
                       "desiredNumberScheduled": desired, "numberReady": ready, "observedGeneration": generation,
                       "updatedNumberScheduled": updated, "numberAvailable": available,
                       "numberUnavailable": desired - available})
        for field in ("updatedNumberScheduled", "numberAvailable", "numberUnavailable"):
            if not status[field]:
                del status[field]  # omitempty in the API
        if min_ready and ready != available:
            self.queue.add_after(object_key(ds), min_ready + 1)
        if status == (ds.get("status") or {}):
            return status
        copy = deep_copy(ds)
        copy["status"] = status
        return self.client.update_status(copy)["status"]
