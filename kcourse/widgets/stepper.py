"""The step-by-step widget: run the cluster one action at a time and watch who does what.

A thin front end over public :class:`kcourse.Cluster` methods — ``step()``,
``step(component=…)``, ``run_until_stable()``, ``fail_node()``,
``recover_node()``, ``crash_container()``, ``kubectl("scale …")`` — with the
live diagram, the last events as a table and a plain-language explanation
of the last event.  The explanation is the event's own message, what its
component is for (``EXPLANATIONS``) and what this kind of event means
(``ACTIONS``, chosen by ``event_kind``): the verb refined by who acted and by
the outcome — a node Lease renewal is a kubelet's heartbeat, a leader
Lease renewal keeps a component leading, and each action that can fail has a
failure sentence of its own.  No behaviour of the simulation lives here.

The pickers start on targets that cannot hurt the lesson — the first worker
node, the learner's first Pod and Deployment — and follow the cluster's
events; an action without a target is disabled and says what to pick.

Where widgets are not live (nbconvert HTML, Jupyter Book, GitHub, a
notebook not yet run), readers see the static copy displayed before the live
view (``kcourse.widgets.static``): the explanation, the diagram as inline SVG
and the events table in ``text/html``, the last events as trace lines in
``text/plain`` (deterministic for a seeded cluster).

Reset rebuilds the cluster from the arguments it was built with (the
cluster's ``init_args``), or with a ``rebuild`` function given by the
notebook.  The new cluster is
``stepper.cluster``.

Simplified: whether an action failed is read from its message (``failed to
…``, ``error syncing …``) and the status codes of its requests, as a learner
reads the trace; the events carry no separate outcome field.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import ipywidgets as widgets

from kcourse import diagrams
from kcourse.sim.kinds import KINDS
from kcourse.widgets.static import display_with_fallback, fallback_outputs, widget_bundle

if TYPE_CHECKING:
    from kcourse.sim.cluster import Cluster

__all__ = [
    "ACTIONS",
    "EXPLANATIONS",
    "Stepper",
    "diagram_html",
    "event_kind",
    "events_table",
    "explain",
    "failed",
]

#: What each component is for, in one sentence a learner can read next to the trace.  Keys are the
#: component names the trace shows.
EXPLANATIONS: dict[str, str] = {
    "kube-apiserver": "The API server is the only door to the cluster's state: it validates requests, "
    "stores objects in etcd and tells watchers about every change.",
    "kube-scheduler": "The scheduler watches for Pods without a node, filters out the nodes that cannot run "
    "them, scores the rest and binds each Pod to the best one.",
    "kube-controller-manager": "kube-controller-manager runs the built-in controllers; with several control "
    "plane nodes only the holder of its Lease acts.",
    "cloud-controller-manager": "cloud-controller-manager runs the controllers that talk to the cloud "
    "provider; only the holder of its Lease acts.",
    # The controllers of each kind explain themselves in the kind's entry (kcourse.sim.kinds).
    **{component: text for kind in KINDS for component, text in kind.controllers},
    "node-lifecycle-controller": "The node-lifecycle controller watches node heartbeats (node Leases and "
    "status); a node silent for the grace period is marked Unknown and tainted.",
    "taint-eviction-controller": "The taint manager evicts Pods from nodes with a NoExecute taint once their "
    "toleration runs out.",
    "node-ipam-controller": "The node-IPAM controller gives each node its podCIDR, the range its Pods' IPs "
    "come from.",
    "endpoint-controller": "The Endpoints controller lists the ready Pods behind each Service.",
    "endpointslice-controller": "The EndpointSlice controller keeps each Service's ready Pod addresses in "
    "EndpointSlices of at most 100 endpoints.",
    "service-account-controller": "The ServiceAccount controller makes sure every namespace has a 'default' "
    "ServiceAccount.",
    "root-ca-cert-publisher": "The root CA publisher puts the cluster's CA certificate in every namespace "
    "(ConfigMap kube-root-ca.crt) so Pods can trust the API server.",
    "tokens-controller": "The token controller creates API tokens for ServiceAccounts.",
    "namespace-controller": "The namespace controller deletes everything inside a namespace being deleted.",
    "garbage-collector-controller": "The garbage collector deletes objects whose owners are gone.",
    "pod-garbage-collector": "The Pod garbage collector removes Pods orphaned by deleted nodes and old "
    "terminated Pods.",
    "cloud-node-controller": "The cloud node controller fills in a new node's addresses from the cloud and "
    "removes its 'uninitialized' taint.",
    "cloud-node-lifecycle-controller": (
        "The cloud node-lifecycle controller asks the cloud about nodes that are not Ready: it taints a "
        "shut-down VM's Node and deletes a Node whose VM is gone."
    ),
    "service-lb-controller": "The service controller creates cloud load balancers for LoadBalancer Services.",
    "node-route-controller": (
        "The route controller programs cloud routes so each node's podCIDR is reachable."
    ),
    "fake-disk-provisioner": "The volume provisioner creates a disk for each PersistentVolumeClaim that asks "
    "for one.",
    "kubelet": "The kubelet is the node agent: it runs the Pods bound to its node through the container "
    "runtime (CRI), probes them, and reports node and Pod status and a Lease heartbeat.",
    "containerd": "containerd is the container runtime: the kubelet asks it, over the CRI, to pull images "
    "and to create, start and stop sandboxes and containers.",
    "cri-o": "CRI-O is the container runtime: the kubelet asks it, over the CRI, to pull images and to "
    "create, start and stop sandboxes and containers.",
    "kube-proxy": "kube-proxy programs each node's Service rules (iptables chains) from Services and "
    "EndpointSlices.",
    "coredns": "CoreDNS, the cluster DNS addon, answers names like web.default.svc.cluster.local.",
    "metrics-server": "metrics-server, the monitoring addon, scrapes each kubelet's resource usage for "
    "kubectl top and autoscalers.",
    "fluent-bit": "Fluent Bit, the logging addon, runs on every node and ships container logs.",
}
_GENERIC = {
    "controller": "This controller is a watch-loop: it compares desired and current state and acts on "
    "the difference, always through the API server."
}

#: What each kind of event (see :func:`event_kind`) means: a successful and a failed variant of each.
ACTIONS: dict[str, str] = {
    # Writes through the API server, and the same writes refused.
    "create": "It asked the API server to create an object.",
    "create-failed": "It tried to create an object, but the request did not succeed; it will try again.",
    "update": "It wrote a changed copy of an object back through the API server.",
    "update-failed": (
        "It tried to write a changed object, but the request did not succeed; it will try again."
    ),
    "patch": "It patched an object through the API server.",
    "patch-failed": "It tried to patch an object, but the request did not succeed; it will try again.",
    "delete": "It asked the API server to delete an object.",
    "delete-failed": "It tried to delete an object, but the request did not succeed; it will try again.",
    "bind": "It bound a Pod to a node (a Binding sets the Pod's spec.nodeName).",
    "bind-failed": "It tried to bind a Pod to a node, but the Binding did not succeed; the Pod goes back to "
    "the scheduling queue.",
    "unschedulable": (
        "No node passed every filter, so the Pod stays Pending: the scheduler wrote why into the Pod's "
        "PodScheduled condition (reason Unschedulable) and tries again when the cluster changes."
    ),
    # A controller's sync of one key.
    "sync": "It compared desired with current state and wrote nothing through the API server: nothing "
    "had to change.",
    "sync-wrote": "It compared desired with current state and wrote what differed through the API server.",
    "sync-failed": "Its sync of this key failed, so the work queue will hand the key back after a back-off "
    "(5 ms, doubling on each failure) — nothing is lost, the loop simply tries again.",
    "sync-dropped": "Its sync of this key failed once more and the controller gave up on it after its "
    "maximum number of retries: the key leaves the work queue until an informer event about "
    "the object brings it back.",
    "action-failed": "It could not get this done (the message says why); it tries again later.",
    # Leader election: the Lease in kube-system that decides which instance of a component acts.
    "leader-won": (
        "It won the leader election: it wrote its name into the component's Lease (holderIdentity), so this "
        "instance now runs the loops while the others stand by."
    ),
    "leader-renew": (
        "It renewed its leader-election Lease (renewTime): it is still the leader, and the standbys keep "
        "waiting."
    ),
    "leader-renew-failed": (
        "It could not renew its leader-election Lease; if that lasts past the renew deadline (10 s) it "
        "stops leading."
    ),
    "leader-lost": (
        "It could not renew its leader-election Lease within the renew deadline (10 s), so it stops acting "
        "as leader; another instance may take over once the Lease expires."
    ),
    "leader-standby": (
        "Another instance holds the Lease, so this one waits as a standby and tries again every retry "
        "period (2 s)."
    ),
    "leader-holder-silent": "The Lease's holder stopped renewing it: this standby waits for the Lease to "
    "expire (15 s after it last saw it change), then tries to take it.",
    "leader-cut-off": "The Lease still names this very instance, but it cannot reach an API server to renew "
    "it: it stops leading once the renew deadline passes, and another instance may take "
    "over when the Lease expires.",
    # The kubelet's node Lease in kube-node-lease: a heartbeat, not leader election.
    "node-lease-renew": (
        "It renewed its node's Lease in kube-node-lease: a heartbeat every 10 s that tells the "
        "node-lifecycle controller this node is alive. (Each node has a Lease of its own: it elects "
        "nothing.)"
    ),
    "node-lease-renew-failed": (
        "Its node-Lease heartbeat did not get through. If no heartbeat arrives for the node-monitor grace "
        "period (50 s), the node-lifecycle controller marks the node Unknown and taints it, and its Pods "
        "are evicted later."
    ),
    "node-lease-create": (
        "It created its node's Lease in kube-node-lease, the heartbeat object it renews every 10 s."
    ),
    "register": "The kubelet registered its node: it created the Node object (or found it already there).",
    "register-failed": "The kubelet could not register its node with the API server; it tries again.",
    "node-status": "It posted its node's status (conditions such as Ready, capacity, addresses, images).",
    "node-status-failed": "Its node-status update did not get through; it tries again at the next status "
    "period (10 s).",
    "pod-status": "It reported a Pod's status (phase, conditions, container states) to the API server.",
    "pod-status-failed": "Its Pod status update did not get through; it tries again.",
    "evict": "A Pod's toleration of its node's NoExecute taint ran out, so the taint manager evicted it: "
    "it set the Pod's DisruptionTarget condition, then deleted it; its ReplicaSet creates a "
    "replacement that the scheduler places on a healthy node.",
    "pod-worker": "The kubelet's pod worker acted on a Pod of its node: it compares the Pod's spec with what "
    "the container runtime runs, and starts, restarts or stops containers to match.",
    # Periodic passes and node-local work that writes nothing through the API server.
    "monitor": "A periodic pass over every node: it only looks, and writes when something changed.",
    "probe": "The kubelet ran a container probe and it passed: a readiness probe decides whether the Pod "
    "receives Service traffic, a liveness or startup probe whether the container is restarted.",
    "probe-failed": "The kubelet ran a container probe and it failed: after failureThreshold failures a "
    "readiness probe takes the Pod out of its Services, a liveness probe restarts the container.",
    "cri": (
        "A call over the CRI from the kubelet to the container runtime: how a Pod's sandbox and containers "
        "are created, started and stopped."
    ),
    "cri-failed": (
        "A CRI call from the kubelet to the container runtime returned an error; the kubelet retries with a "
        "back-off."
    ),
    "gc": "A periodic garbage-collection pass: nothing was due for deletion this time.",
    "flush": (
        "A periodic housekeeping pass of the scheduling queue: Pods unschedulable for over 5 minutes get "
        "another try."
    ),
    "compact": "The API server's periodic etcd compaction: etcd drops old revisions of its keys so it stays "
    "small (a watch can resume only from a revision after the compaction).",
    "proxy-sync": "kube-proxy rewrote this node's iptables rules from the Services and EndpointSlices it "
    "watches; it writes nothing to the API server.",
    "scrape": "metrics-server scraped the kubelets' resource usage (CPU, memory) for kubectl top; it writes "
    "nothing to the API server.",
    "scrape-failed": "metrics-server could not scrape every kubelet: a node that does not answer has no "
    "fresh numbers in kubectl top.",
    "ship-logs": "The logging agent shipped new container log lines from its node.",
}

#: The words a component's message starts with when its action did not get done.
_FAILURE_OPENINGS = ("failed", "error", "unable")


def failed(event: Any) -> bool:
    """Did this action fail?  The component says so in its message (``failed to …``, ``error syncing …``)."""
    text = event.message.lower()
    if text.startswith(_FAILURE_OPENINGS) or "unreachable; retrying" in text:
        return True
    if event.verb == "probe":
        return " failed" in text
    if event.verb == "cri":
        return "rpc error" in text
    if event.component == "metrics-server":
        return "failed to scrape" in text
    return False


def _wrote(event: Any) -> bool:
    return any(r.verb not in _READS and r.resource != "events" and r.code < 400 for r in event.requests)


_READS = ("get", "list", "watch")


def _leader_kind(event: Any) -> str:
    message = event.message
    if event.verb == "lead":
        return "leader-won" if "became leader" in message else "leader-lost"
    if event.verb == "renew":
        return "leader-renew-failed" if failed(event) else "leader-renew"
    holder = message.removeprefix("lease held by ").split(";")[0].split(",")[0]
    if "not renewed" in message:
        return "leader-holder-silent"
    if holder == f"{event.node}_{event.component}":
        return "leader-cut-off"
    return "leader-standby"


def event_kind(event: Any) -> str:
    """Which entry of :data:`ACTIONS` explains this event: its verb, refined by who acted and whether it
    failed."""
    verb, bad = event.verb, failed(event)
    suffix = "-failed" if bad else ""
    if event.component == "kubelet":
        if event.key.startswith("kube-node-lease/"):
            return "node-lease-create" if verb == "create" else f"node-lease-renew{suffix}"
        if verb == "register" or (
            verb == "create" and event.message.startswith(("registered node", "node "))
        ):
            return f"register{suffix}"
        if verb == "update" and event.key.startswith("nodes/"):
            return f"node-status{suffix}"
        if verb == "update":
            return f"pod-status{suffix}"
        if verb == "sync" and not bad:
            return "pod-worker"
    if verb in ("lead", "wait") or (verb == "renew" and event.component != "kubelet"):
        return _leader_kind(event)
    if event.component == "kube-scheduler" and verb == "update" and "nodes are available" in event.message:
        return "unschedulable"
    if event.component == "taint-eviction-controller" and not bad and event.message.startswith("deleted pod"):
        return "evict"
    if event.component == "node-lifecycle-controller" and verb == "sync" and not bad:
        return "monitor"  # a monitoring pass with notes but no write
    if event.component == "kube-proxy" and verb == "sync":
        return "proxy-sync"
    if event.component == "metrics-server" and verb == "sync":
        return f"scrape{suffix}"
    if event.component == "fluent-bit" and verb == "sync":
        return "ship-logs"
    if verb == "sync" and not bad and _wrote(event):
        return "sync-wrote"
    if bad and event.message.startswith("error syncing") and "dropping it out of the queue" in event.message:
        return "sync-dropped"
    if verb == "sync" and bad and not event.message.startswith("error syncing"):
        return "action-failed"  # not a controller's work-queue retry: the component's own
    return f"{verb}{suffix}"


def _role(event: Any) -> str:
    role = EXPLANATIONS.get(event.component)
    if role is None:
        role = next(
            (text for word, text in _GENERIC.items() if word in event.component),
            f"{event.component} is a process on {event.node}.",
        )
    return role


def _requests(event: Any) -> str:
    if not event.requests:
        return " It made no API request."
    writes = [r for r in event.requests if r.verb not in _READS]
    said = (
        " Requests: "
        f"{'; '.join(diagrams.request_label(writes or event.requests, limit=3).split(chr(92) + 'n'))}."
    )
    refused = [r for r in writes if r.code >= 400]
    if refused:
        said += (
            f" The API server refused {len(refused)} of its {len(writes)} write(s) "
            f"(HTTP {', '.join(sorted({str(r.code) for r in refused}))})."
        )
    return said


def explain(event: Any) -> str:
    """A plain-language paragraph about one trace event: who, what that component is for, what it did."""
    if event is None:
        return "Nothing has happened yet: press Step."
    action = ACTIONS.get(event_kind(event), "")
    return (
        f"At t={event.time:.3f}s {event.component} on {event.node} acted on {event.key}: {event.message}. "
        f"{_role(event)} {action}{_requests(event)}"
    )


#: A control's label as wide as its text (the default 80 px cuts "Deployment:" off).
_LABEL_FITS = {"description_width": "initial"}


def _button(description: str, tooltip: str, icon: str = "") -> widgets.Button:
    return widgets.Button(
        description=description, tooltip=tooltip, icon=icon, layout=widgets.Layout(width="auto")
    )


_CELL = 'style="text-align:left;vertical-align:top;padding:1px 6px;overflow-wrap:break-word"'


def events_table(events: list[Any]) -> str:
    """The events as an HTML table: time, component, verb, object, message (long words wrap, never
    mid-word)."""
    rows = "".join(
        "<tr>"
        + "".join(
            f"<td {_CELL}>{html.escape(str(v))}</td>"
            for v in (f"{e.time:.3f}", e.component, e.verb, e.key, e.message)
        )
        + "</tr>"
        for e in events
    )
    head = "".join(f"<th {_CELL}>{h}</th>" for h in ("time (s)", "component", "verb", "object", "message"))
    return (
        '<table class="kcourse-events" '
        'style="font-family:monospace;font-size:12px;border-collapse:collapse">'
        f"<caption style='text-align:left'>Last {len(events)} events</caption>"
        f"<thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"
    )


def diagram_html(diagram: Any) -> str:
    """Whatever the diagram shows in a notebook, as HTML to embed: its own ``text/html`` if it has one,
    else its SVG inline (without the XML prologue, which means nothing inside HTML)."""
    bundle = diagram._repr_mimebundle_() if hasattr(diagram, "_repr_mimebundle_") else {}
    if isinstance(bundle, tuple):
        bundle = bundle[0]
    markup = bundle.get("text/html") or (diagram._repr_html_() if hasattr(diagram, "_repr_html_") else None)
    if not markup:
        svg = bundle.get("image/svg+xml") or (
            diagram._repr_svg_() if hasattr(diagram, "_repr_svg_") else diagram.svg()
        )
        markup = svg[svg.index("<svg") :] if "<svg" in svg else svg
    return f'<div class="kcourse-stepper-diagram" style="max-width:100%;overflow-x:auto">{markup}</div>'


#: Shown instead of an action's result when it needs a choice the learner has not made.
HINTS = {"node": "Pick a node first", "pod": "Pick a Pod first", "deployment": "Pick a Deployment first"}
#: Shown when there is nothing to choose from yet.
NOTHING = {
    "node": "No node to pick: every machine's VM is gone",
    "pod": "No running Pod to crash yet: step or run the cluster first",
    "deployment": "No Deployment yet: create one with kubectl create deployment",
}


def _pick(chosen: str | None, values: list[str], default: str | None) -> str | None:
    """Keep the learner's choice while it still exists; otherwise the sensible default."""
    return chosen if chosen in values else default


def _workloads_first(key: str) -> tuple[bool, str]:
    """The learner's own objects before the system's (kube-system, kube-public …), each in name order."""
    return key.startswith("kube"), key


class Stepper(widgets.VBox):
    """Step a cluster one component action at a time, break it on purpose, and watch it heal.

    The pickers always start on a target that makes sense — the first worker node (never a control
    plane node: failing it would switch the control plane off), the first running Pod, the first
    Deployment — and follow the cluster as it changes, keeping the learner's choice while it exists.
    An action whose choice is missing is disabled, with a hint saying what to pick.
    """

    def __init__(
        self,
        cluster: Cluster,
        rebuild: Callable[[], Any] | None = None,
        events_shown: int = 8,
        max_pods_per_node: int = 8,
    ):
        self.cluster = cluster
        self.init_args = dict(cluster.init_args)
        self._rebuild = rebuild
        self.events_shown = events_shown
        self.max_pods_per_node = max_pods_per_node
        self.step_button = _button("Step", "Run the next action of one component", "step-forward")
        self.step10_button = _button("Step ×10", "Run the next ten actions", "forward")
        self.stable_button = _button(
            "Run until stable", "Run until only periodic heartbeats are left", "play"
        )
        self.reset_button = _button("Reset", "Rebuild the cluster from its arguments and seed", "refresh")
        self.component_dropdown = widgets.Dropdown(
            description="Next:",
            options=[("clock order", "")],
            tooltip="Which of the components with work due now acts on the next Step",
        )
        self.node_dropdown = widgets.Dropdown(
            description="Node:",
            options=[],
            value=None,
            tooltip="The node to fail or recover (worker nodes first)",
        )
        self.fail_button = _button("Fail node", "Power the selected node off", "power-off")
        self.recover_button = _button("Recover node", "Power the selected node back on", "plug")
        self.node_hint = widgets.HTML(value="")
        self.pod_dropdown = widgets.Dropdown(
            description="Pod:", options=[], value=None, tooltip="A running Pod whose container to crash"
        )
        self.crash_button = _button(
            "Crash container", "Make the Pod's first container exit with code 1", "bomb"
        )
        self.pod_hint = widgets.HTML(value="")
        self.deployment_dropdown = widgets.Dropdown(
            description="Deployment:",
            options=[],
            value=None,
            tooltip="The Deployment to scale",
            style=_LABEL_FITS,
        )
        self.replicas_input = widgets.BoundedIntText(
            value=3,
            min=0,
            max=50,
            description="Replicas:",
            tooltip="The new spec.replicas",
            style=_LABEL_FITS,
            layout=widgets.Layout(width="160px"),
        )
        self.scale_button = _button("Scale", "kubectl scale the Deployment to this many replicas", "arrows-v")
        self.deployment_hint = widgets.HTML(value="")
        self.status = widgets.HTML(value="")
        self.diagram = widgets.HTML(value="")
        self.table = widgets.HTML(value="")
        self.explanation = widgets.HTML(value="")
        for button, handler in (
            (self.step_button, self._on_step),
            (self.step10_button, self._on_step10),
            (self.stable_button, self._on_stable),
            (self.reset_button, self._on_reset),
            (self.fail_button, self._on_fail),
            (self.recover_button, self._on_recover),
            (self.crash_button, self._on_crash),
            (self.scale_button, self._on_scale),
        ):
            button.on_click(handler)
        #: What the learner picked by hand, kept while it exists (a default follows the cluster instead).
        self.chosen: dict[str, str | None] = {"node": None, "pod": None, "deployment": None}
        self._setting = False
        for what, dropdown in (
            ("node", self.node_dropdown),
            ("pod", self.pod_dropdown),
            ("deployment", self.deployment_dropdown),
        ):
            dropdown.observe(self._picked(what), names="value")

        def row(children: list) -> widgets.HBox:
            """A row of controls that wraps (a hint included) instead of running past the output's width."""
            return widgets.HBox(children, layout=widgets.Layout(flex_flow="row wrap", align_items="center"))

        super().__init__(
            children=[
                row(
                    [
                        self.step_button,
                        self.step10_button,
                        self.stable_button,
                        self.reset_button,
                        self.component_dropdown,
                    ]
                ),
                row([self.node_dropdown, self.fail_button, self.recover_button, self.node_hint]),
                row([self.pod_dropdown, self.crash_button, self.pod_hint]),
                row([self.deployment_dropdown, self.replicas_input, self.scale_button, self.deployment_hint]),
                self.status,
                self.explanation,
                self.diagram,
                self.table,
            ]
        )
        self._watch(cluster)
        self.refresh()

    # --- following the cluster ----------------------------------------------------------------------

    def _watch(self, cluster: Cluster) -> None:
        """Refresh the pickers when a step creates, deletes or changes Pods, Deployments or Nodes."""

        def on_event(event: Any) -> None:
            if cluster is self.cluster and any(
                r.resource in ("pods", "deployments", "nodes")
                and r.code < 400
                and r.verb in ("create", "delete", "update", "patch")
                for r in event.requests
            ):
                self.refresh_pickers()

        cluster.on_event(on_event)

    def _picked(self, what: str) -> Callable[[dict], None]:
        def on_change(change: dict) -> None:
            if not self._setting:  # the learner's own choice, not a refresh
                self.chosen[what] = change["new"]
            self._update_actions()

        return on_change

    def node_choices(self) -> list[tuple[str, str]]:
        """(label, name) of every machine whose VM exists: worker nodes first, then the control plane."""
        c = self.cluster
        vms = getattr(c.cloud, "vms", None) if getattr(c, "cloud", None) is not None else None
        machines = [m for name, m in sorted(c.machines.items()) if vms is None or name in vms]
        workers = [(m.name, m.name) for m in machines if not m.is_master]
        masters = [(f"{m.name} (control plane)", m.name) for m in machines if m.is_master]
        return workers + masters

    def pod_choices(self) -> list[str]:
        """Running Pods on powered machines (a Pod on a dead node has no container left to crash)."""
        c = self.cluster
        out = []
        for p in c.api.items("pods"):
            machine = c.machines.get(p["spec"].get("nodeName") or "")
            if (
                (p.get("status") or {}).get("phase") == "Running"
                and machine is not None
                and machine.powered
                and not p["metadata"].get("deletionTimestamp")
            ):
                out.append(f"{p['metadata']['namespace']}/{p['metadata']['name']}")
        return sorted(out, key=_workloads_first)

    def deployment_choices(self) -> list[str]:
        """Deployments not being deleted: the learner's own first."""
        return sorted(
            (
                f"{d['metadata']['namespace']}/{d['metadata']['name']}"
                for d in self.cluster.api.items("deployments")
                if not d["metadata"].get("deletionTimestamp")
            ),
            key=_workloads_first,
        )

    def _set_choices(self, what: str, dropdown: widgets.Dropdown, options: list, default: str | None) -> None:
        values = [o[1] if isinstance(o, tuple) else o for o in options]
        value = _pick(self.chosen[what], values, default)
        self._setting = True
        try:
            if list(dropdown.options) != options:
                dropdown.options = (
                    options  # ipywidgets moves the value to the first option (or None) meanwhile
                )
            if dropdown.value != value:
                dropdown.value = value
        finally:
            self._setting = False

    def refresh_pickers(self) -> None:
        """Offer what exists now; keep each hand-picked choice while it exists, else show the default."""
        nodes = self.node_choices()
        worker = next((name for label, name in nodes if label == name), None)
        self._set_choices("node", self.node_dropdown, nodes, worker)
        pods = self.pod_choices()
        self._set_choices("pod", self.pod_dropdown, pods, pods[0] if pods else None)
        deployments = self.deployment_choices()
        self._set_choices(
            "deployment", self.deployment_dropdown, deployments, deployments[0] if deployments else None
        )
        self._update_actions()

    def _missing(self, what: str, dropdown: widgets.Dropdown) -> str:
        """The hint for an action whose choice is missing ("" when there is a choice)."""
        if dropdown.value is not None:
            return ""
        return HINTS[what] if dropdown.options else NOTHING[what]

    def _update_actions(self) -> None:
        """Enable exactly the actions that can do something now, and say why the others cannot."""
        node = self.node_dropdown.value
        machine = self.cluster.machines.get(node) if node is not None else None
        hint = self._missing("node", self.node_dropdown)
        self.fail_button.disabled = machine is None or not machine.powered
        self.recover_button.disabled = machine is None or (machine.powered and not machine.partitioned)
        if machine is not None and not machine.powered:
            hint = f"{node} is powered off: Recover node powers it on"
        self.node_hint.value = html.escape(hint)
        self.pod_hint.value = html.escape(self._missing("pod", self.pod_dropdown))
        self.crash_button.disabled = self.pod_dropdown.value is None
        self.deployment_hint.value = html.escape(self._missing("deployment", self.deployment_dropdown))
        self.scale_button.disabled = self.deployment_dropdown.value is None

    # --- actions ------------------------------------------------------------------------------------

    def _act(self, what: str, action: Callable[[], Any]) -> None:
        try:
            result = action()
        except Exception as e:  # noqa: BLE001 - a refused action is shown to the learner, not raised
            self.status.value = f"<b>{html.escape(what)}</b> failed: {html.escape(str(e))}"
        else:
            self.status.value = html.escape(result if isinstance(result, str) else what)
        self.refresh()

    def _hint_instead(self, what: str, dropdown: widgets.Dropdown) -> bool:
        """With nothing chosen, say what to pick and do nothing (a click can arrive before the button is
        disabled in the browser)."""
        hint = self._missing(what, dropdown)
        if hint:
            self.status.value = html.escape(hint)
            self._update_actions()
        return bool(hint)

    #: How far a Step looks ahead in simulated time for the next action: with every machine off, only
    #: timers that act on nothing are left, and a Step must say so instead of running them for ever.
    QUIET_HORIZON = 600.0

    def step(self, n: int = 1) -> list[Any]:
        """Step ``n`` times (the first with the component chosen in the dropdown, if any)."""
        out = []
        chosen = self.component_dropdown.value or None
        for i in range(n):
            if i == 0 and chosen:
                ev = self.cluster.step(component=chosen)
            else:
                evs = self.cluster.run(until=self.cluster.now + self.QUIET_HORIZON, max_steps=1)
                ev = evs[0] if evs else None
                if ev is None:
                    break
            if ev is not None:
                out.append(ev)
        return out

    def _quiet(self) -> str:
        if self.cluster.clock.peek() is None:
            return "Nothing left to do: the clock is empty."
        return (
            f"Nothing acted in {self.QUIET_HORIZON:g} s of simulated time: every component that could act "
            f"is stopped. Recover a node."
        )

    def _on_step(self, _: Any = None) -> None:
        self._act("Step", lambda: "" if self.step(1) else self._quiet())

    def _on_step10(self, _: Any = None) -> None:
        def step10() -> str:
            events = self.step(10)
            return f"{len(events)} events" if len(events) == 10 else f"{len(events)} events. {self._quiet()}"

        self._act("Step ×10", step10)

    def _on_stable(self, _: Any = None) -> None:
        self._act(
            "Run until stable",
            lambda: (
                f"stable after {len(self.cluster.run_until_stable())} events, t={self.cluster.clock.now:.3f}s"
            ),
        )

    def _on_reset(self, _: Any = None) -> None:
        def reset() -> str:
            if self._rebuild is not None:
                self.cluster = self._rebuild()
            else:
                self.cluster = type(self.cluster)(**self.init_args)
            self._watch(self.cluster)
            return f"rebuilt with seed {self.cluster.seed}"

        self._act("Reset", reset)

    def _on_fail(self, _: Any = None) -> None:
        if self._hint_instead("node", self.node_dropdown):
            return
        node = self.node_dropdown.value
        if not self.cluster.machine(node).powered:
            self._act(f"Fail {node}", lambda: f"{node} is already powered off")
            return

        def fail() -> str:
            self.cluster.fail_node(node)
            return f"{node} powered off"

        self._act(f"Fail {node}", fail)

    def _on_recover(self, _: Any = None) -> None:
        if self._hint_instead("node", self.node_dropdown):
            return
        node = self.node_dropdown.value

        def recover() -> str:
            self.cluster.recover_node(node)
            return f"{node} powered on"

        self._act(f"Recover {node}", recover)

    def _on_crash(self, _: Any = None) -> None:
        if self._hint_instead("pod", self.pod_dropdown):
            return
        key = self.pod_dropdown.value
        namespace, _slash, pod = key.partition("/")

        def crash() -> str:
            self.cluster.crash_container(pod, None, namespace)
            return f"a container of {key} exited with code 1"

        self._act(f"Crash {key}", crash)

    def _on_scale(self, _: Any = None) -> None:
        if self._hint_instead("deployment", self.deployment_dropdown):
            return
        key = self.deployment_dropdown.value
        namespace, _slash, name = key.partition("/")
        n = self.replicas_input.value
        self._act(
            f"Scale {key}",
            lambda: self.cluster.kubectl(f"scale deployment/{name} --replicas={n} -n {namespace}").strip(),
        )

    # --- views --------------------------------------------------------------------------------------

    def last_events(self) -> list[Any]:
        return self.cluster.events[-self.events_shown :]

    def diagram_svg(self) -> str:
        """The live diagram as the notebook would show it, ready to embed in HTML."""
        return diagram_html(diagrams.live(self.cluster, max_pods_per_node=self.max_pods_per_node))

    def refresh(self) -> None:
        """Redraw everything from the cluster's current state (after any change, ours or the notebook's)."""
        c = self.cluster
        ready = c.ready_components()
        current = self.component_dropdown.value
        self.component_dropdown.options = [("clock order", "")] + [(r, r) for r in ready]
        self.component_dropdown.value = current if current in ready else ""
        self.refresh_pickers()
        self.diagram.value = self.diagram_svg()
        self.table.value = events_table(self.last_events())
        last = c.events[-1] if c.events else None
        self.explanation.value = f"<p style='max-width:60em'>{html.escape(explain(last))}</p>"

    # --- the static copy ----------------------------------------------------------------------------
    #
    # Displayed, the Stepper is two outputs (kcourse.widgets.static): an HTML-only copy of what it shows
    # now — the explanation, the live diagram and the events table — which nbconvert, Jupyter Book and a
    # notebook not yet run all read without JavaScript, then the live view, which hides that copy.

    def text(self) -> str:
        """Deterministic plain text: the cluster and its last events as trace lines."""
        return "\n".join([repr(self)] + [str(e) for e in self.last_events()])

    def static_html(self) -> str:
        """What the Stepper shows now, as HTML: its state, the last event explained, the diagram, the
        events."""
        return (
            f"<div><p>{html.escape(repr(self))}</p>{self.explanation.value}{self.diagram.value}"
            f"{self.table.value}</div>"
        )

    def summary(self) -> str:
        """The live view's one line of ``text/plain``."""
        return f"{self!r}: interactive"

    def outputs(self) -> list[dict[str, Any]]:
        """The mime bundles a notebook stores for the Stepper: the static copy, then the live view."""
        return fallback_outputs(self, self.static_html(), self.text(), summary=self.summary())

    def _ipython_display_(self) -> None:
        display_with_fallback(self, self.static_html(), self.text(), summary=self.summary())

    def _repr_mimebundle_(self, **_kwargs: Any) -> dict[str, Any]:
        """The live view alone (IPython uses ``_ipython_display_``, which adds the static copy)."""
        return widget_bundle(self, self.summary())

    def __repr__(self) -> str:
        return (
            f"<kcourse Stepper: {self.cluster.name!r} seed={self.cluster.seed}, "
            f"t={self.cluster.clock.now:.3f}s, {len(self.cluster.events)} events>"
        )
