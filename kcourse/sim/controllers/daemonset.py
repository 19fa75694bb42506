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

A sync costs what changed, not the size of the cluster: the real controller
walks every node on each sync (in Go), which in Python made booting N nodes
cost N² node evaluations.  So the controller keeps, per DaemonSet, what each
node contributes to a sync (should run / may continue, the Pods to create or
delete there, its rolling-update verdict and its status counts), and
recomputes only the nodes an informer event touched since (a node's labels
or taints, a daemon Pod on it); daemon Pods are indexed by owner and node.  A
new template, selector, hash or generation starts over from scratch, and with
``minReadySeconds`` (availability then depends on the clock) every node is
recomputed on every sync.  The decisions, requests and Events are the same
as a full walk's, in the same (node name) order.

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
from ..nodeaffinity import required_node_affinity_matches
from ..objects import controller_of, deep_copy, parse_timestamp
from ..resources import object_key
from ..taints import tolerated
from .controller_utils import (
    ORPHAN_POD_INDEX_KEY,
    POD_CONTROLLER_UID_INDEX,
    ControllerExpectations,
    PodControl,
    claim_objects,
    is_pod_available,
    is_pod_ready,
    pod_controller_uid_index,
    resolve_controller_ref,
    slow_start_batch,
)
from .deployment import compute_hash, scaled_value

__all__ = [
    "CONTROLLER_REVISION_HASH",
    "DAEMON_POD_NODE_INDEX",
    "TEMPLATE_GENERATION",
    "DaemonSetController",
    "daemon_pod_node_index",
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
    wanted = [
        ("node.kubernetes.io/not-ready", "NoExecute"),
        ("node.kubernetes.io/unreachable", "NoExecute"),
        ("node.kubernetes.io/disk-pressure", "NoSchedule"),
        ("node.kubernetes.io/memory-pressure", "NoSchedule"),
        ("node.kubernetes.io/pid-pressure", "NoSchedule"),
        ("node.kubernetes.io/unschedulable", "NoSchedule"),
    ]
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


def node_should_run_daemon_pod(
    node: dict, ds: dict, tolerations: list[dict] | None = None
) -> tuple[bool, bool]:
    """``NodeShouldRunDaemonPod``: (should run a new Pod here, may keep an existing one).

    ``tolerations`` are the template's ``daemon_pod_tolerations``, when the caller has them already.
    """
    spec = ds["spec"]["template"].get("spec") or {}
    if spec.get("nodeName") and spec["nodeName"] != node["metadata"]["name"]:
        return False, False
    if not required_node_affinity_matches({"spec": spec}, node):
        return False, False
    taints = [
        t
        for t in (node.get("spec") or {}).get("taints") or []
        if t.get("effect") in ("NoSchedule", "NoExecute")
    ]
    if not taints:  # most nodes: no toleration to work out
        return True, True
    if tolerations is None:
        tolerations = daemon_pod_tolerations(spec)
    untolerated = [t for t in taints if not tolerated(tolerations, t)]
    if untolerated:
        return False, not any(t.get("effect") == "NoExecute" for t in untolerated)
    return True, True


def target_node_name(pod: dict) -> str:
    """The node a daemon Pod is for: ``spec.nodeName`` once bound, else its ``metadata.name`` affinity."""
    if pod["spec"].get("nodeName"):
        return pod["spec"]["nodeName"]
    required = (
        ((pod["spec"].get("affinity") or {}).get("nodeAffinity") or {}).get(
            "requiredDuringSchedulingIgnoredDuringExecution"
        )
        or {}
    ).get("nodeSelectorTerms") or []
    for term in required:
        for req in term.get("matchFields") or []:
            if (
                req.get("key") == "metadata.name"
                and req.get("operator") == "In"
                and len(req.get("values") or []) == 1
            ):
                return req["values"][0]
    return ""


#: The pod informer's index of daemon Pods by ``<DaemonSet uid>/<target node>``: a sync reads one node's Pods.
DAEMON_POD_NODE_INDEX = "daemonPodNode"


def daemon_pod_node_index(pod: dict) -> list[str]:
    ref = controller_of(pod)
    if ref is None or ref.get("kind") != "DaemonSet" or not ref.get("uid"):
        return []
    return [f"{ref['uid']}/{target_node_name(pod)}"]


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
    return sorted(
        pods, key=lambda p: (parse_timestamp(p["metadata"]["creationTimestamp"]), p["metadata"]["name"])
    )


def _is_updated(pod: dict, pod_hash: str, generation: int) -> bool:
    labels = pod["metadata"].get("labels") or {}
    return labels.get(CONTROLLER_REVISION_HASH) == pod_hash or labels.get(TEMPLATE_GENERATION) == str(
        generation
    )


class DaemonSetView:
    """One DaemonSet's per-node verdicts, recomputed only for the nodes touched since the last sync.

    Two views of a node are kept because a sync reads the Pods twice: ``manage`` and the rolling
    update read them as they were when the sync began (before its own creations and deletions),
    the status counts read them after.  ``touch(node)`` marks a node for both; ``None`` means
    every node.  Everything here derives from the DaemonSet's template, selector, hash and
    generation (``fits``): when one changes the controller builds a new view.
    """

    def __init__(self, ds: dict, pod_hash: str, node_informer: Any, pod_informer: Any):
        md, spec = ds["metadata"], ds["spec"]
        self.uid, self.namespace, self.generation = md["uid"], md["namespace"], md.get("generation", 1)
        self.template, self.selector_spec = spec["template"], spec.get("selector")
        self.pod_spec = self.template.get("spec") or {}
        self.selector = selector_from_spec(self.selector_spec)
        self.tolerations = daemon_pod_tolerations(self.pod_spec)
        self.pod_hash, self.collision_count = pod_hash, (ds.get("status") or {}).get("collisionCount")
        self.min_ready = spec.get("minReadySeconds") or 0
        self.nodes, self.pods = node_informer, pod_informer
        self.snap_dirty: set[str] | None = None
        self.status_dirty: set[str] | None = None
        self.should: dict[
            str, tuple[str, bool, bool]
        ] = {}  # node -> (its resourceVersion, should run, may continue)
        # as the sync began: nodes with something to manage (need a Pod?, Pods to delete, failed Pods to
        # report)
        self.manage: dict[str, tuple[bool, list[dict], list[dict]]] = {}
        self.unmatched: dict[
            str, list[str]
        ] = {}  # node -> our Pods there that the selector no longer matches
        self.runs: set[str] = set()  # existing nodes that should run the Pod (the rolling update's "desired")
        self.unavailable: set[str] = set()  # rolling update: nodes counted unavailable
        self.replace: dict[str, dict] = {}  # rolling update: node -> its old, unavailable Pod
        self.old: dict[str, dict] = {}  # rolling update: node -> its old, available Pod
        # after the sync's writes: node -> (desired, current, ready, available, updated, misscheduled)
        self.counts: dict[str, tuple[int, int, int, int, int, int]] = {}
        self.totals = [0] * 6

    def fits(self, ds: dict, pod_hash: str) -> bool:
        md, spec = ds["metadata"], ds["spec"]
        return (
            md["uid"] == self.uid
            and md.get("generation", 1) == self.generation
            and pod_hash == self.pod_hash
            and (spec.get("minReadySeconds") or 0) == self.min_ready
            and spec["template"] == self.template
            and spec.get("selector") == self.selector_spec
        )

    def touch(self, node: str) -> None:
        if self.snap_dirty is not None:
            self.snap_dirty.add(node)
        if self.status_dirty is not None:
            self.status_dirty.add(node)

    def _everything(self) -> set[str]:
        names = set(self.nodes.store) | set(self.should) | set(self.manage) | set(self.unmatched)
        names |= set(self.counts)
        names |= self.runs | self.unavailable | set(self.replace) | set(self.old)
        names.update(target_node_name(p) for p in self.pods.by_index(POD_CONTROLLER_UID_INDEX, self.uid))
        return names

    def _should_run(self, name: str) -> tuple[bool, bool]:
        node = self.nodes.get(name)
        if node is None:
            self.should.pop(name, None)
            return False, False
        rv = node["metadata"].get("resourceVersion", "")
        cached = self.should.get(name)
        if cached is None or cached[0] != rv:
            should_run, may_continue = node_should_run_daemon_pod(
                node, {"spec": {"template": self.template}}, self.tolerations
            )
            cached = self.should[name] = (rv, should_run, may_continue)
        return cached[1], cached[2]

    def _pods_on(self, name: str) -> list[dict]:
        return self.pods.by_index(DAEMON_POD_NODE_INDEX, f"{self.uid}/{name}")

    # --- as the sync begins ----------------------------------------------------------------------------

    def refresh_snapshot(self, now: float) -> None:
        dirty = self._everything() if self.snap_dirty is None or self.min_ready else self.snap_dirty
        self.snap_dirty = set()
        for name in dirty:
            self._snapshot_node(name, now)

    def _snapshot_node(self, name: str, now: float) -> None:
        for table in (self.manage, self.unmatched, self.replace, self.old):
            table.pop(name, None)
        self.runs.discard(name)
        self.unavailable.discard(name)
        exists = name in self.nodes.store
        should_run, may_continue = self._should_run(name)
        pods, unmatched = [], []
        for pod in self._pods_on(name):
            md = pod["metadata"]
            if md["namespace"] != self.namespace:
                continue
            if self.selector.matches(md.get("labels")):
                pods.append(pod)
            else:
                unmatched.append(object_key(pod))
        if unmatched:
            self.unmatched[name] = unmatched
        if exists:
            self._snapshot_manage(name, should_run, may_continue, pods)
            if should_run:
                self.runs.add(name)
        if pods or (exists and should_run):
            self._snapshot_rolling(name, pods, now)

    def _snapshot_manage(self, name: str, should_run: bool, may_continue: bool, pods: list[dict]) -> None:
        """``podsShouldBeOnNode``: does this node need a Pod, which Pods go, which failed ones to report."""
        delete: list[dict] = []
        failed: list[dict] = []
        if should_run and not pods:
            self.manage[name] = (True, delete, failed)
            return
        if may_continue and pods:
            running = []
            for pod in pods:
                if pod["metadata"].get("deletionTimestamp"):
                    continue
                phase = (pod.get("status") or {}).get("phase")
                if phase == "Failed":
                    failed.append(pod)
                    delete.append(pod)
                elif phase == "Succeeded":
                    delete.append(pod)
                else:
                    running.append(pod)
            delete += _by_age(running)[1:]  # more than one on a node: keep the oldest
        elif not may_continue and pods:
            delete = [p for p in pods if not p["metadata"].get("deletionTimestamp")]
        if delete:
            self.manage[name] = (False, delete, failed)

    def _snapshot_rolling(self, name: str, pods: list[dict], now: float) -> None:
        new = old = None
        ok = True
        for pod in pods:
            if pod["metadata"].get("deletionTimestamp"):
                continue
            if _is_updated(pod, self.pod_hash, self.generation):
                ok, new = ok and new is None, pod
            else:
                ok, old = ok and old is None, pod
        if not ok or (new is None) == (old is None):
            self.unavailable.add(name)  # the manage loop creates or deletes here: count it as unavailable
        elif new is not None:
            if not is_pod_available(new, self.min_ready, now):
                self.unavailable.add(name)
        elif old is None:  # cannot be: exactly one of the two is set here
            self.unavailable.add(name)
        elif not is_pod_available(old, self.min_ready, now):
            self.replace[name] = old
        else:
            self.old[name] = old

    # --- after the sync's writes -------------------------------------------------------------------------

    def refresh_status(self, now: float) -> tuple[int, int, int, int, int, int]:
        """(desired, current, ready, available, updated, misscheduled) over the nodes that exist."""
        dirty = self._everything() if self.status_dirty is None or self.min_ready else self.status_dirty
        self.status_dirty = set()
        totals = self.totals
        for name in dirty:
            before = self.counts.pop(name, None)
            if before is not None:
                for i, n in enumerate(before):
                    totals[i] -= n
            after = self._status_node(name, now)
            if after is not None:
                self.counts[name] = after
                for i, n in enumerate(after):
                    totals[i] += n
        desired, current, ready, available, updated, misscheduled = totals
        return desired, current, ready, available, updated, misscheduled

    def _status_node(self, name: str, now: float) -> tuple[int, int, int, int, int, int] | None:
        if name not in self.nodes.store:
            return None
        should_run, _ = self._should_run(name)
        pods = self._pods_on(name)
        if not should_run:
            return (0, 0, 0, 0, 0, 1 if pods else 0)
        if not pods:
            return (1, 0, 0, 0, 0, 0)
        pod = min(
            pods,
            key=lambda p: (
                (p.get("status") or {}).get("phase") != "Running",
                parse_timestamp(p["metadata"]["creationTimestamp"]),
                p["metadata"]["name"],
            ),
        )
        ready = is_pod_ready(pod)
        available = ready and is_pod_available(pod, self.min_ready, now)
        return (1, 1, int(ready), int(available), int(_is_updated(pod, self.pod_hash, self.generation)), 0)


class DaemonSetController(Controller):
    """Runs one copy of each DaemonSet's Pod on every node that should run it."""

    name = "daemonset-controller"

    def __init__(self, manager: Any, informers: Any):
        super().__init__(manager, informers)
        self.ds_informer = self.informer("daemonsets")
        self.pod_informer = self.informer("pods")
        if POD_CONTROLLER_UID_INDEX not in self.pod_informer.indexers:
            self.pod_informer.add_indexer(POD_CONTROLLER_UID_INDEX, pod_controller_uid_index)
        if DAEMON_POD_NODE_INDEX not in self.pod_informer.indexers:
            self.pod_informer.add_indexer(DAEMON_POD_NODE_INDEX, daemon_pod_node_index)
        self.node_informer = self.informer("nodes")
        self.expectations = ControllerExpectations(self.clock)
        self.pod_control = PodControl(self.client)
        self.views: dict[str, DaemonSetView] = {}  # DaemonSet key -> its view
        self._views_by_uid: dict[Any, DaemonSetView] = {}
        self.ds_informer.add_event_handler(
            ResourceEventHandler(
                on_add=self.enqueue, on_update=lambda _old, new: self.enqueue(new), on_delete=self._delete_ds
            )
        )
        self.pod_informer.add_event_handler(
            ResourceEventHandler(on_add=self._add_pod, on_update=self._update_pod, on_delete=self._delete_pod)
        )
        self.pod_informer.add_event_handler(
            ResourceEventHandler(
                on_add=lambda pod: self._touch_pod(pod),
                on_update=lambda old, cur: self._touch_pod(old, cur),
                on_delete=lambda pod: self._touch_pod(pod),
            )
        )
        self.node_informer.add_event_handler(
            ResourceEventHandler(
                on_add=self._add_node, on_update=self._update_node, on_delete=self._delete_node
            )
        )

    # --- informer handlers -------------------------------------------------------------------------

    def _delete_ds(self, ds: dict) -> None:
        self.expectations.delete(object_key(ds))
        self._forget_view(object_key(ds))
        self.enqueue(ds)

    def _enqueue_all(self) -> None:
        for ds in self.ds_informer.list():
            self.enqueue(ds)

    def _touch_node(self, name: str) -> None:
        for view in self.views.values():
            view.touch(name)

    def _add_node(self, node: dict) -> None:
        self._touch_node(node["metadata"]["name"])
        self._enqueue_all()

    def _delete_node(self, node: dict) -> None:
        self._touch_node(node["metadata"]["name"])
        self._enqueue_all()

    def _update_node(self, old: dict, cur: dict) -> None:
        """Only what changes eligibility matters: labels and taints (not every heartbeat)."""
        if old["metadata"].get("labels") != cur["metadata"].get("labels") or (old.get("spec") or {}).get(
            "taints"
        ) != (cur.get("spec") or {}).get("taints"):
            self._touch_node(cur["metadata"]["name"])
            self._enqueue_all()

    def _touch_pod(self, *pods: dict) -> None:
        """A daemon Pod changed: its node's verdict for its DaemonSet is stale."""
        for pod in pods:
            ref = controller_of(pod)
            if ref is not None and ref.get("kind") == "DaemonSet":
                view = self._views_by_uid.get(ref.get("uid"))
                if view is not None:
                    view.touch(target_node_name(pod))

    def _owner(self, pod: dict) -> dict | None:
        return resolve_controller_ref(
            self.ds_informer, pod["metadata"]["namespace"], controller_of(pod), "DaemonSet"
        )

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
                if ds["metadata"]["namespace"] == pod["metadata"]["namespace"] and selector_from_spec(
                    ds["spec"].get("selector")
                ).matches(pod["metadata"].get("labels")):
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

    def _pod_hash(self, ds: dict) -> str:
        """The template's hash, taken from the view while template and collisionCount are the same."""
        view, collision_count = self.views.get(object_key(ds)), (ds.get("status") or {}).get("collisionCount")
        if (
            view is not None
            and view.collision_count == collision_count
            and view.template == ds["spec"]["template"]
        ):
            return view.pod_hash
        return compute_hash(ds["spec"]["template"], collision_count)

    def view(self, ds: dict, pod_hash: str) -> DaemonSetView:
        """The DaemonSet's view, started afresh when what every node's verdict depends on changed."""
        key = object_key(ds)
        view = self.views.get(key)
        if view is None or not view.fits(ds, pod_hash):
            self._forget_view(key)
            view = self.views[key] = DaemonSetView(ds, pod_hash, self.node_informer, self.pod_informer)
            self._views_by_uid[view.uid] = view
        return view

    def _forget_view(self, key: str) -> None:
        view = self.views.pop(key, None)
        if view is not None and self._views_by_uid.get(view.uid) is view:
            del self._views_by_uid[view.uid]

    def sync_handler(self, key: str) -> str | None:
        ds = self.ds_informer.get(key)
        if ds is None:
            self.expectations.delete(key)
            self._forget_view(key)
            return f"DaemonSet {key} has been deleted; forgot its expectations"
        if ds["metadata"].get("deletionTimestamp"):
            return "being deleted: nothing to do"
        pod_hash = self._pod_hash(ds)
        view = self.view(ds, pod_hash)
        if not self.expectations.satisfied(key):
            self._update_status(ds, view)
            adds, dels = self.expectations.pending(key)
            return (
                f"waiting for the informer to observe {adds} creation(s) and {dels} deletion(s) "
                "(expectations)"
            )
        actions = self._claim_pods(ds, view)
        error: Exception | None = None
        try:
            actions += self._manage(ds, view, pod_hash)
            strategy = ds["spec"].get("updateStrategy") or {}
            if self.expectations.satisfied(key) and strategy.get("type", "RollingUpdate") == "RollingUpdate":
                actions += self._rolling_update(ds, view, pod_hash)
        except (ApiError, Unreachable) as err:
            error = err
        status = self._update_status(ds, view)
        if error is not None:
            raise error
        if status != (ds.get("status") or {}):
            actions.append("updated status")  # a write happened: the trace must not say "nothing to change"
        summary = (
            f"{status.get('currentNumberScheduled', 0)}/{status.get('desiredNumberScheduled', 0)} "
            "scheduled, "
            f"{status.get('numberReady', 0)} ready, {status.get('updatedNumberScheduled', 0)} updated"
        )
        return f"{'; '.join(actions) if actions else 'nothing to change'} — {summary}"

    def _claim_pods(self, ds: dict, view: DaemonSetView) -> list[str]:
        """``ClaimPods``, asked only of the Pods it can change: orphans here, and ours the selector dropped.

        The Pods we own that still match need no request; they are the view's, node by node.
        """
        view.refresh_snapshot(self.clock.now)
        ns = ds["metadata"]["namespace"]
        keys = {k for keys in view.unmatched.values() for k in keys}
        keys.update(
            object_key(p)
            for p in self.pod_informer.by_index(POD_CONTROLLER_UID_INDEX, ORPHAN_POD_INDEX_KEY)
            if p["metadata"]["namespace"] == ns
        )
        if not keys:
            return []

        def can_adopt() -> bool:
            fresh = self.client.get("daemonsets", ds["metadata"]["name"], ns)
            return fresh["metadata"]["uid"] == ds["metadata"]["uid"] and not fresh["metadata"].get(
                "deletionTimestamp"
            )

        pods = [self.pod_informer.get(k) for k in sorted(keys)]
        _, notes = claim_objects(
            self.client, ds, view.selector, [p for p in pods if p is not None], "pods", can_adopt
        )
        view.refresh_snapshot(self.clock.now)  # adopted and released Pods moved in or out of their nodes
        return notes

    def _manage(self, ds: dict, view: DaemonSetView, pod_hash: str) -> list[str]:
        """Create the missing daemon Pods and delete the ones that must go (``manage`` +
        ``podsShouldBeOnNode``)."""
        need, delete = [], []
        for name in sorted(view.manage):
            wanted, doomed, failed = view.manage[name]
            if wanted:
                need.append(name)
            for pod in failed:
                self.client.event(
                    ds,
                    "Warning",
                    "FailedDaemonPod",
                    f"Found failed daemon pod {pod['metadata']['namespace']}/"
                    f"{pod['metadata']['name']} on node {name}, will try to kill it",
                )
            delete += doomed
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

    def _rolling_update(self, ds: dict, view: DaemonSetView, pod_hash: str) -> list[str]:
        """Delete old Pods, at most ``maxUnavailable`` unavailable at once; ``manage`` replaces them next
        sync.

        Walking the nodes in name order, an old available Pod is a candidate while fewer than
        ``maxUnavailable`` nodes before it count unavailable; the budget left after *all* unavailable
        nodes caps the candidates taken, so when any candidate is taken every one qualified.
        """
        ru = (ds["spec"].get("updateStrategy") or {}).get("rollingUpdate") or {}
        max_unavailable = scaled_value(ru.get("maxUnavailable", 1), len(view.runs), True) or 1
        budget = max(max_unavailable - len(view.unavailable), 0)
        victims = [view.replace[n] for n in sorted(view.replace)]
        if budget:
            victims += [view.old[n] for n in sorted(view.old)[:budget]]
        if not victims:
            return []
        return [
            f"rolling update (maxUnavailable {max_unavailable}): "
            + "; ".join(self._sync_nodes(ds, victims, [], pod_hash))
        ]

    def _update_status(self, ds: dict, view: DaemonSetView) -> dict:
        generation = ds["metadata"].get("generation", 1)
        min_ready, now = ds["spec"].get("minReadySeconds") or 0, self.clock.now
        desired, current, ready, available, updated, misscheduled = view.refresh_status(now)
        status = deep_copy(ds.get("status") or {})
        status.update(
            {
                "currentNumberScheduled": current,
                "numberMisscheduled": misscheduled,
                "desiredNumberScheduled": desired,
                "numberReady": ready,
                "observedGeneration": generation,
                "updatedNumberScheduled": updated,
                "numberAvailable": available,
                "numberUnavailable": desired - available,
            }
        )
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
