"""The step-by-step widget: run the cluster one action at a time and watch who does what.

A thin front end over public :class:`kcourse.Cluster` methods — ``step()``,
``step(component=…)``, ``run_until_stable()``, ``fail_node()``,
``recover_node()``, ``crash_container()``, ``kubectl("scale …")`` — with the
live diagram, the last events as a table and a plain-language explanation
of the last event.  The explanation is a table of what each component is
for plus the event's own message; no behaviour of the simulation lives
here.

Where widgets are not live (nbconvert HTML, GitHub), the output's
``text/html`` (the diagram as SVG and the events table) and ``text/plain``
(the last events as trace lines, deterministic for a seeded cluster) are
what readers see.

Reset rebuilds the cluster from the arguments it was built with (the
cluster's ``init_args``), or with a ``rebuild`` function given by the
notebook.  The new cluster is
``stepper.cluster``.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any

import ipywidgets as widgets

from kcourse import diagrams

__all__ = ["EXPLANATIONS", "Stepper", "explain"]

#: What each component is for, in one sentence a learner can read next to the trace.
EXPLANATIONS: dict[str, str] = {
    "kube-apiserver": "The API server is the only door to the cluster's state: it validates requests, "
                      "stores objects in etcd and tells watchers about every change.",
    "kube-scheduler": "The scheduler watches for Pods without a node, filters out the nodes that cannot run "
                      "them, scores the rest and binds each Pod to the best one.",
    "kube-controller-manager": "kube-controller-manager runs the built-in controllers; with several control "
                               "plane nodes only the holder of its Lease acts.",
    "cloud-controller-manager": "cloud-controller-manager runs the controllers that talk to the cloud "
                                "provider; only the holder of its Lease acts.",
    "replicaset-controller": "The ReplicaSet controller compares each ReplicaSet's spec.replicas with the "
                             "Pods it owns and creates or deletes Pods to close the gap.",
    "deployment-controller": "The Deployment controller turns a Deployment into ReplicaSets and rolls out "
                             "changes by scaling a new ReplicaSet up and the old one down.",
    "daemonset-controller": "The DaemonSet controller keeps one Pod of each DaemonSet on every eligible node.",
    "node-lifecycle-controller": "The node-lifecycle controller watches node heartbeats (Leases); a node "
                                 "silent for the grace period is marked Unknown and tainted.",
    "taint-eviction-controller": "The taint manager evicts Pods from nodes with a NoExecute taint once their "
                                 "toleration runs out.",
    "nodeipam-controller": "The node-IPAM controller gives each node its podCIDR, the range its Pods' IPs "
                           "come from.",
    "endpoints-controller": "The Endpoints controller lists the ready Pods behind each Service.",
    "endpointslice-controller": "The EndpointSlice controller keeps each Service's ready Pod addresses in "
                                "EndpointSlices of at most 100 endpoints.",
    "service-account-controller": "The ServiceAccount controller makes sure every namespace has a 'default' "
                                  "ServiceAccount.",
    "root-ca-cert-publisher": "The root CA publisher puts the cluster's CA certificate in every namespace "
                              "(ConfigMap kube-root-ca.crt) so Pods can trust the API server.",
    "tokens-controller": "The token controller creates API tokens for ServiceAccounts.",
    "namespace-controller": "The namespace controller deletes everything inside a namespace being deleted.",
    "garbagecollector": "The garbage collector deletes objects whose owners are gone.",
    "pod-garbage-collector": "The Pod garbage collector removes Pods orphaned by deleted nodes and old "
                             "terminated Pods.",
    "cloud-node-controller": "The cloud node controller fills in a new node's addresses from the cloud and "
                             "removes its 'uninitialized' taint.",
    "cloud-node-lifecycle-controller": "The cloud node-lifecycle controller deletes Nodes whose VM is gone.",
    "service-lb-controller": "The service controller creates cloud load balancers for LoadBalancer Services.",
    "node-route-controller": "The route controller programs cloud routes so each node's podCIDR is reachable.",
    "kubelet": "The kubelet is the node agent: it runs the Pods bound to its node through the container "
               "runtime (CRI), probes them, and reports node and Pod status and a Lease heartbeat.",
    "kube-proxy": "kube-proxy programs each node's Service rules (iptables chains) from Services and "
                  "EndpointSlices.",
    "coredns": "CoreDNS, the cluster DNS addon, answers names like web.default.svc.cluster.local.",
}
_GENERIC = {"controller": "This controller is a watch-loop: it compares desired and current state and acts on "
                          "the difference, always through the API server."}

VERBS: dict[str, str] = {
    "create": "It asked the API server to create an object.",
    "update": "It wrote a changed copy of an object back through the API server.",
    "patch": "It patched an object through the API server.",
    "delete": "It asked the API server to delete an object.",
    "bind": "It bound a Pod to a node (a Binding sets the Pod's spec.nodeName).",
    "lead": "Leader election: only one instance of this component may act at a time.",
    "renew": "It renewed its Lease, telling the others it is alive and still leading.",
    "wait": "Someone else holds the Lease, so this instance waits as a standby.",
    "sync": "It compared desired with current state; nothing had to be written.",
}


def explain(event: Any) -> str:
    """A plain-language paragraph about one trace event: who, what that component is for, what it did."""
    if event is None:
        return "Nothing has happened yet: press Step."
    role = EXPLANATIONS.get(event.component)
    if role is None:
        role = next((text for word, text in _GENERIC.items() if word in event.component),
                    f"{event.component} is a process on {event.node}.")
    verb = VERBS.get(event.verb, "")
    writes = [r for r in event.requests if r.verb not in ("get", "list", "watch")]
    said = f" Requests: {'; '.join(diagrams.request_label(writes or event.requests, limit=3).split(chr(92) + 'n'))}." \
        if event.requests else " It made no API request."
    return (f"At t={event.time:.3f}s {event.component} on {event.node} acted on {event.key}: {event.message}. "
            f"{role} {verb}{said}")


def _button(description: str, tooltip: str, icon: str = "") -> widgets.Button:
    return widgets.Button(description=description, tooltip=tooltip, icon=icon,
                          layout=widgets.Layout(width="auto"))


def events_table(events: list[Any]) -> str:
    """The events as an HTML table: time, component, verb, object, message."""
    rows = "".join(
        "<tr>" + "".join(f'<td style="text-align:left;padding:1px 6px">{html.escape(str(v))}</td>'
                         for v in (f"{e.time:.3f}", e.component, e.verb, e.key, e.message)) + "</tr>"
        for e in events)
    head = "".join(f'<th style="text-align:left;padding:1px 6px">{h}</th>'
                   for h in ("time (s)", "component", "verb", "object", "message"))
    return (f'<table style="font-family:monospace;font-size:12px;border-collapse:collapse">'
            f"<caption style='text-align:left'>Last {len(events)} events</caption>"
            f"<thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>")


class Stepper(widgets.VBox):
    """Step a cluster one component action at a time, break it on purpose, and watch it heal."""

    def __init__(self, cluster: Any, rebuild: Callable[[], Any] | None = None, events_shown: int = 8,
                 max_pods_per_node: int = 8):
        self.cluster = cluster
        self.init_args = dict(cluster.init_args)
        self._rebuild = rebuild
        self.events_shown = events_shown
        self.max_pods_per_node = max_pods_per_node
        self.step_button = _button("Step", "Run the next action of one component", "step-forward")
        self.step10_button = _button("Step ×10", "Run the next ten actions", "forward")
        self.stable_button = _button("Run until stable", "Run until only periodic heartbeats are left", "play")
        self.reset_button = _button("Reset", "Rebuild the cluster from its arguments and seed", "refresh")
        self.component_dropdown = widgets.Dropdown(
            description="Next:", options=[("clock order", "")],
            tooltip="Which of the components with work due now acts on the next Step")
        self.node_dropdown = widgets.Dropdown(description="Node:", options=sorted(cluster.machines),
                                              tooltip="The node to fail or recover")
        self.fail_button = _button("Fail node", "Power the selected node off", "power-off")
        self.recover_button = _button("Recover node", "Power the selected node back on", "plug")
        self.pod_dropdown = widgets.Dropdown(description="Pod:", options=[],
                                             tooltip="A running Pod whose container to crash")
        self.crash_button = _button("Crash container", "Make the Pod's first container exit with code 1", "bomb")
        self.deployment_dropdown = widgets.Dropdown(description="Deployment:", options=[],
                                                    tooltip="The Deployment to scale")
        self.replicas_input = widgets.BoundedIntText(value=3, min=0, max=50, description="Replicas:",
                                                     tooltip="The new spec.replicas",
                                                     layout=widgets.Layout(width="160px"))
        self.scale_button = _button("Scale", "kubectl scale the Deployment to this many replicas", "arrows-v")
        self.status = widgets.HTML(value="")
        self.diagram = widgets.HTML(value="")
        self.table = widgets.HTML(value="")
        self.explanation = widgets.HTML(value="")
        for button, handler in ((self.step_button, self._on_step), (self.step10_button, self._on_step10),
                                (self.stable_button, self._on_stable), (self.reset_button, self._on_reset),
                                (self.fail_button, self._on_fail), (self.recover_button, self._on_recover),
                                (self.crash_button, self._on_crash), (self.scale_button, self._on_scale)):
            button.on_click(handler)
        row = widgets.HBox
        super().__init__(children=[
            row([self.step_button, self.step10_button, self.stable_button, self.reset_button,
                 self.component_dropdown]),
            row([self.node_dropdown, self.fail_button, self.recover_button]),
            row([self.pod_dropdown, self.crash_button]),
            row([self.deployment_dropdown, self.replicas_input, self.scale_button]),
            self.status, self.explanation, self.diagram, self.table])
        self.refresh()

    # --- actions ------------------------------------------------------------------------------------

    def _act(self, what: str, action: Callable[[], Any]) -> None:
        try:
            result = action()
        except Exception as e:  # noqa: BLE001 - a refused action is shown to the learner, not raised
            self.status.value = f"<b>{html.escape(what)}</b> failed: {html.escape(str(e))}"
        else:
            self.status.value = html.escape(result if isinstance(result, str) else what)
        self.refresh()

    def step(self, n: int = 1) -> list[Any]:
        """Step ``n`` times (the first with the component chosen in the dropdown, if any)."""
        out = []
        chosen = self.component_dropdown.value or None
        for i in range(n):
            ev = self.cluster.step(component=chosen if i == 0 else None)
            if ev is None and not self.cluster.ready_components():
                break
            if ev is not None:
                out.append(ev)
        return out

    def _on_step(self, _: Any = None) -> None:
        self._act("Step", lambda: "" if self.step(1) else "Nothing left to do: the clock is empty.")

    def _on_step10(self, _: Any = None) -> None:
        self._act("Step ×10", lambda: f"{len(self.step(10))} events")

    def _on_stable(self, _: Any = None) -> None:
        self._act("Run until stable", lambda: f"stable after {len(self.cluster.run_until_stable())} events, "
                                              f"t={self.cluster.clock.now:.3f}s")

    def _on_reset(self, _: Any = None) -> None:
        def reset() -> str:
            if self._rebuild is not None:
                self.cluster = self._rebuild()
            else:
                self.cluster = type(self.cluster)(**self.init_args)
            return f"rebuilt with seed {self.cluster.seed}"
        self._act("Reset", reset)

    def _on_fail(self, _: Any = None) -> None:
        node = self.node_dropdown.value
        self._act(f"Fail {node}", lambda: self.cluster.fail_node(node) or f"{node} powered off")

    def _on_recover(self, _: Any = None) -> None:
        node = self.node_dropdown.value
        self._act(f"Recover {node}", lambda: self.cluster.recover_node(node) or f"{node} powered on")

    def _on_crash(self, _: Any = None) -> None:
        key = self.pod_dropdown.value or ""
        namespace, _slash, pod = key.partition("/")
        self._act(f"Crash {key}", lambda: self.cluster.crash_container(pod, None, namespace) or
                  f"a container of {key} exited with code 1")

    def _on_scale(self, _: Any = None) -> None:
        key = self.deployment_dropdown.value or ""
        namespace, _slash, name = key.partition("/")
        n = self.replicas_input.value
        self._act(f"Scale {key}", lambda: self.cluster.kubectl(
            f"scale deployment/{name} --replicas={n} -n {namespace}").strip())

    # --- views --------------------------------------------------------------------------------------

    def last_events(self) -> list[Any]:
        return self.cluster.events[-self.events_shown:]

    def diagram_svg(self) -> str:
        return diagrams.live(self.cluster, max_pods_per_node=self.max_pods_per_node).svg()

    def refresh(self) -> None:
        """Redraw everything from the cluster's current state (after any change, ours or the notebook's)."""
        c = self.cluster
        ready = c.ready_components()
        current = self.component_dropdown.value
        self.component_dropdown.options = [("clock order", "")] + [(r, r) for r in ready]
        self.component_dropdown.value = current if current in ready else ""
        nodes = sorted(c.machines)
        if list(self.node_dropdown.options) != nodes:
            self.node_dropdown.options = nodes
        pods = [f"{p['metadata']['namespace']}/{p['metadata']['name']}" for p in c.api.items("pods")
                if p.get("status", {}).get("phase") == "Running"]
        self.pod_dropdown.options = pods
        self.deployment_dropdown.options = [f"{d['metadata']['namespace']}/{d['metadata']['name']}"
                                            for d in c.api.items("deployments")]
        self.diagram.value = self.diagram_svg()
        self.table.value = events_table(self.last_events())
        last = c.events[-1] if c.events else None
        self.explanation.value = f"<p style='max-width:60em'>{html.escape(explain(last))}</p>"

    # --- the static fallback ------------------------------------------------------------------------

    def text(self) -> str:
        """Deterministic plain text: the cluster and its last events as trace lines."""
        return "\n".join([repr(self)] + [str(e) for e in self.last_events()])

    def static_html(self) -> str:
        return (f"<div><p>{html.escape(repr(self))}</p>{self.explanation.value}{self.diagram.value}"
                f"{self.table.value}</div>")

    def __repr__(self) -> str:
        return (f"<kcourse Stepper: {self.cluster.name!r} seed={self.cluster.seed}, t={self.cluster.clock.now:.3f}s, "
                f"{len(self.cluster.events)} events>")

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any]:
        bundle = super()._repr_mimebundle_(**kwargs) or {}
        bundle["text/plain"] = self.text()
        bundle["text/html"] = self.static_html()
        return bundle
