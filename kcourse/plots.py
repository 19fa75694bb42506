"""matplotlib timelines of the simulated cluster: convergence, etcd, scheduling, node failures, metrics.

Every function returns a :class:`Figure` built without pyplot (so it works
under the Agg backend, in tests and in a notebook alike, and leaves no
global figure behind).  In Jupyter a figure renders as PNG: nbval skips PNG
outputs, so a plot's pixels — which change with the matplotlib version and
the fonts installed — never make a notebook test fail, while its
``text/plain`` (``<Figure size 900x400 with 2 Axes>``) stays stable.  SVG
would be compared byte for byte and carries matplotlib's version and
random-looking clip-path ids.

History comes from a :class:`Recorder`: it watches etcd (every revision,
with the simulated time it was written at), the trace (``cluster.events``)
and the machines' power, from the moment it is attached.  The values of
objects at past revisions are read back from etcd itself (``etcd.get(key,
revision=rev)`` decoded with ``json.loads``) until compaction drops them.
Attach a recorder right after building the cluster — or build it with
``bootstrap=False``, attach, then ``run_until_stable()`` to see the boot:

>>> c = kcourse.Cluster(seed=0)
>>> rec = kcourse.plots.record(c)
>>> c.apply(web); c.run_until_stable()
>>> kcourse.plots.replicas(c, "web")

A plot asked for without a recorder attaches one on the spot, and shows
what happened from then on plus the current state.
"""

from __future__ import annotations

import json
import weakref
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure as _MplFigure

from .sim.objects import parse_timestamp
from .sim.resources import RESOURCES

__all__ = ["Figure", "Recorder", "etcd_revisions", "monitoring", "node_lifecycle", "record", "recorder",
           "replicas", "scheduling"]

# Okabe–Ito (colour-blind safe), the same palette as the diagrams.
BLUE, ORANGE, GREEN, VERMILLION = "#0072B2", "#E69F00", "#009E73", "#D55E00"
SKY, PURPLE, YELLOW, GREY = "#56B4E9", "#CC79A7", "#F0E442", "#999999"
CYCLE = [BLUE, ORANGE, GREEN, VERMILLION, SKY, PURPLE, "#000000", GREY]
PHASE_COLOURS = {"Running": GREEN, "Pending": ORANGE, "Succeeded": BLUE, "Failed": VERMILLION,
                 "Unknown": GREY, "Terminating": GREY}
FAILURE_REASONS = {"NodeNotReady", "TaintManagerEviction", "BackOff", "Unhealthy", "Failed", "FailedScheduling",
                   "Killing", "NodeNotSchedulable"}
_PREFIXES = sorted(((r.etcd_prefix + "/", r.plural) for r in RESOURCES), key=lambda p: -len(p[0]))


class Figure(_MplFigure):
    """A matplotlib Figure that renders itself as PNG in Jupyter, with or without pyplot."""

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        FigureCanvasAgg(self)

    def _repr_png_(self) -> bytes:
        import io
        buf = io.BytesIO()
        self.savefig(buf, format="png", dpi=100, bbox_inches="tight")
        return buf.getvalue()


def resource_of(key: str) -> str:
    """``/registry/minions/worker-1`` → ``nodes``: the resource an etcd key belongs to."""
    for prefix, plural in _PREFIXES:
        if key.startswith(prefix):
            return plural
    return key.split("/")[2] if key.count("/") >= 2 else key


# --- recording history ---------------------------------------------------------------------------------

@dataclass
class Sample:
    """The store after one trace event."""

    time: float
    revision: int
    compact_revision: int
    keys: dict[str, int]


@dataclass
class Recorder:
    """History of a cluster from the moment of attaching: revision times, samples, power changes.

    It only looks: an etcd watch callback notes ``(time, revision, type)``
    per key, a trace listener samples the store after each event and
    notices machines powered off or cut off between two events (a fault is
    dated at the last moment the recorder saw the machine healthy).
    """

    cluster: Any
    start: float = 0.0
    writes: dict[str, list[tuple[float, int, str]]] = field(default_factory=dict)
    samples: list[Sample] = field(default_factory=list)
    compactions: list[tuple[float, int]] = field(default_factory=list)
    power: list[tuple[float, str, str]] = field(default_factory=list)
    marks: list[tuple[float, str]] = field(default_factory=list)

    def __post_init__(self) -> None:
        c = self.cluster
        self.start = c.clock.now
        self._keys: Counter[str] = Counter(resource_of(kv.key) for kv in c.etcd.range(
            "/registry/", prefix=True, keys_only=True))
        self._state = self._machine_state()
        self._last_seen = c.clock.now
        self._compact = c.etcd.compact_revision
        self._sample()
        c.etcd.watch("/registry/", self._on_write, prefix=True)
        c.on_event(self._on_event)

    def __repr__(self) -> str:
        return (f"<kcourse Recorder: from t={self.start:.3f}s, {len(self.samples)} samples, "
                f"{sum(len(v) for v in self.writes.values())} writes>")

    def _machine_state(self) -> dict[str, str]:
        return {name: ("off" if not m.powered else "cut off" if getattr(m, "partitioned", False) else "on")
                for name, m in sorted(self.cluster.machines.items())}

    def _on_write(self, events: list[Any]) -> None:
        now = self.cluster.clock.now
        for ev in events:
            self.writes.setdefault(ev.kv.key, []).append((now, ev.kv.mod_revision, ev.type))
            if ev.type == "DELETE":
                self._keys[resource_of(ev.kv.key)] -= 1
            elif ev.kv.version == 1:
                self._keys[resource_of(ev.kv.key)] += 1

    def _notice_faults(self) -> None:
        state = self._machine_state()
        for name, now in state.items():
            before = self._state.get(name, "on")
            if now != before:
                self.power.append((self._last_seen, name, now))
        self._state = state

    def _sample(self) -> None:
        etcd = self.cluster.etcd
        if etcd.compact_revision != self._compact:
            self._compact = etcd.compact_revision
            self.compactions.append((self.cluster.clock.now, self._compact))
        self.samples.append(Sample(self.cluster.clock.now, etcd.revision, etcd.compact_revision,
                                   {k: v for k, v in sorted(self._keys.items()) if v}))

    def _on_event(self, _event: Any) -> None:
        self._notice_faults()
        self._sample()
        self._last_seen = self.cluster.clock.now

    def mark(self, label: str) -> None:
        """Note something the learner did (``fail worker-2``) at the current simulated time."""
        self._notice_faults()
        self.marks.append((self.cluster.clock.now, label))

    def history(self, key: str) -> list[tuple[float, dict | None]]:
        """``(time, object or None when deleted)`` for each recorded write of an etcd key still readable."""
        from .sim.etcd import EtcdError
        out: list[tuple[float, dict | None]] = []
        for when, rev, etype in self.writes.get(key, []):
            if etype == "DELETE":
                out.append((when, None))
                continue
            try:
                kv = self.cluster.etcd.get(key, revision=rev)
            except EtcdError:
                continue  # compacted away: that part of history is gone, as in etcd
            if kv is not None:
                out.append((when, json.loads(kv.value)))
        return out


_RECORDERS: weakref.WeakKeyDictionary[Any, Recorder] = weakref.WeakKeyDictionary()


def record(cluster: Any) -> Recorder:
    """The cluster's recorder, attached now if it has none yet."""
    rec = _RECORDERS.get(cluster)
    if rec is None:
        rec = _RECORDERS[cluster] = Recorder(cluster)
    return rec


recorder = record


def _key(resource: str, name: str, namespace: str | None) -> str:
    from .sim.resources import by_plural
    rt = by_plural(resource)
    if rt is None:
        raise ValueError(f"unknown resource {resource!r}")
    return rt.etcd_key(namespace if rt.namespaced else None, name)


def _event_times(cluster: Any, rec: Recorder) -> list[tuple[float, dict]]:
    """Every v1 Event object with the time(s) it was recorded (count bumps included)."""
    out = []
    for ev in cluster.api.items("events"):
        md = ev["metadata"]
        key = _key("events", md["name"], md.get("namespace"))
        times = [t for t, _, etype in rec.writes.get(key, []) if etype == "PUT"]
        if not times:
            stamp = ev.get("lastTimestamp") or ev.get("firstTimestamp") or md.get("creationTimestamp")
            times = [parse_timestamp(stamp)] if stamp else []
        out.extend((t, ev) for t in times)
    return sorted(out, key=lambda p: (p[0], p[1]["metadata"]["name"]))


def _finish(fig: Figure, title: str) -> Figure:
    fig.suptitle(title, fontsize=12, fontweight="bold")
    return fig


# --- desired vs current replicas -----------------------------------------------------------------------

def replicas(cluster: Any, name: str, namespace: str = "default", kind: str = "deployment",
             rec: Recorder | None = None) -> Figure:
    """Desired, current and ready replicas of a Deployment (or ReplicaSet) over simulated time.

    Vertical lines mark what moved them: node failures (recorded power
    changes, NodeNotReady, TaintManagerEviction) in vermillion, scaling in
    blue, a rollout (a new ReplicaSet) in purple; Pod creations and deletions
    are ticks along the time axis.
    """
    rec = rec or record(cluster)
    resource = {"deployment": "deployments", "replicaset": "replicasets"}.get(kind.lower(), kind)
    key = _key(resource, name, namespace)
    series = rec.history(key)
    current = cluster.api.peek(resource, name, namespace)
    series.append((cluster.clock.now, current))
    t, desired, have, ready = [], [], [], []
    for when, obj in series:
        spec, status = (obj or {}).get("spec", {}), (obj or {}).get("status", {})
        t.append(when)
        desired.append(spec.get("replicas", 1) if obj else 0)
        have.append(status.get("replicas", 0))
        ready.append(status.get("readyReplicas", 0))
    fig = Figure(figsize=(9, 4))
    ax = fig.add_subplot()
    ax.step(t, desired, where="post", color=BLUE, linestyle="--", linewidth=2, label="desired (spec.replicas)")
    ax.step(t, have, where="post", color=ORANGE, linewidth=2, label="current (status.replicas)")
    ax.step(t, ready, where="post", color=GREEN, linewidth=1.5, linestyle=":",
            label="ready (status.readyReplicas)")
    _mark_events(ax, cluster, rec, name, namespace, kind.lower())
    ax.set_xlabel("simulated time (s)")
    ax.set_ylabel("replicas")
    ax.set_ylim(bottom=0, top=max([*desired, *have, 1]) + 1)
    ax.yaxis.get_major_locator().set_params(integer=True)
    ax.grid(True, alpha=0.3)
    ax.legend(loc="upper left", fontsize=8)
    return _finish(fig, f"{kind.capitalize()} {namespace}/{name}: desired vs current replicas")


def _mark_events(ax: Any, cluster: Any, rec: Recorder, name: str, namespace: str, kind: str) -> None:
    """Lines for what changes the story (failures, scaling, rollouts); ticks for what repeats (Pod events)."""
    span = max(cluster.clock.now - rec.start, 1.0)
    last_text: dict[str, float] = {}

    def vline(when: float, colour: str, text: str) -> None:
        ax.axvline(when, color=colour, linewidth=1, alpha=0.8)
        if when - last_text.get(text, -span) > span / 40:  # one label per burst of the same thing
            last_text[text] = when
            ax.annotate(text, (when, 0.98), xycoords=("data", "axes fraction"), rotation=90, fontsize=7,
                        color=colour, va="top", ha="right")

    ticks: dict[str, list[float]] = {}
    for when, node, state in rec.power:
        vline(when, VERMILLION, f"{node} {'powered off' if state == 'off' else state}")
    for when, label in rec.marks:
        vline(when, GREY, label)
    owned = f"{name}-"
    first_rs: str | None = None
    for when, ev in _event_times(cluster, rec):
        inv = ev.get("involvedObject", {})
        reason = ev.get("reason", "")
        mine = inv.get("name") == name or (inv.get("name") or "").startswith(owned)
        if reason == "NodeNotReady" and inv.get("kind") == "Node":
            vline(when, VERMILLION, f"{inv.get('name')} NotReady")
        elif not mine or inv.get("namespace", namespace) != namespace:
            continue
        elif reason == "ScalingReplicaSet":
            message = ev.get("message", "")
            rs = message.split("replica set ")[-1].split(" ")[0]
            first_rs = first_rs or rs
            rollout = rs != first_rs and "up" in message
            vline(when, PURPLE if rollout else BLUE, ("rollout: " if rollout else "") + message)
        elif reason in ("SuccessfulCreate", "SuccessfulDelete") or reason in FAILURE_REASONS:
            ticks.setdefault(reason, []).append(when)
    styles = {"SuccessfulCreate": ("^", GREEN), "SuccessfulDelete": ("v", BLUE)}
    for reason in sorted(ticks):
        marker, colour = styles.get(reason, ("x", VERMILLION))
        ax.plot(ticks[reason], [0] * len(ticks[reason]), marker=marker, color=colour, markersize=7,
                clip_on=False, linestyle="none", label=f"{reason} ({len(ticks[reason])})")


# --- etcd ----------------------------------------------------------------------------------------------

def etcd_revisions(cluster: Any, rec: Recorder | None = None, top: int = 6) -> Figure:
    """etcd's revision growing with every write, its compactions, and the keys it holds per resource."""
    rec = rec or record(cluster)
    rec._sample()  # the store now, even if nothing stepped since the last event
    samples = rec.samples
    fig = Figure(figsize=(10, 6.5))
    grid = fig.add_gridspec(2, 2, width_ratios=(2.2, 1), height_ratios=(1, 1))
    ax_rev = fig.add_subplot(grid[0, :])
    t = [s.time for s in samples]
    ax_rev.step(t, [s.revision for s in samples], where="post", color=PURPLE, linewidth=2,
                label="current revision")
    ax_rev.step(t, [s.compact_revision for s in samples], where="post", color=GREY, linestyle="--",
                label="compacted up to (older revisions unreadable)")
    for when, rev in rec.compactions:
        ax_rev.axvline(when, color=VERMILLION, linestyle=":", linewidth=1)
        ax_rev.plot([when], [rev], marker="x", color=VERMILLION, linestyle="none")
        ax_rev.annotate(f"compact({rev})", (when, rev), fontsize=7, color=VERMILLION, xytext=(3, 3),
                        textcoords="offset points")
    ax_rev.set_xlabel("simulated time (s)")
    ax_rev.set_ylabel("revision")
    ax_rev.grid(True, alpha=0.3)
    ax_rev.legend(loc="upper left", fontsize=8)
    ax_rev.set_title("every write appends a revision; nothing is overwritten", fontsize=9)
    ax_keys = fig.add_subplot(grid[1, 0])
    totals = Counter()
    for s in samples:
        totals.update(s.keys)
    leaders = [r for r, _ in sorted(totals.items(), key=lambda p: (-p[1], p[0]))[:top]]
    for i, res in enumerate(leaders):
        ax_keys.step(t, [s.keys.get(res, 0) for s in samples], where="post", color=CYCLE[i % len(CYCLE)],
                     label=res)
    ax_keys.set_xlabel("simulated time (s)")
    ax_keys.set_ylabel("keys")
    ax_keys.grid(True, alpha=0.3)
    if leaders:
        ax_keys.legend(fontsize=7, loc="upper left")
    ax_keys.set_title("keys by resource", fontsize=9)
    ax_bar = fig.add_subplot(grid[1, 1])
    now = Counter(resource_of(kv.key) for kv in cluster.etcd.range("/registry/", prefix=True, keys_only=True))
    names = sorted(now, key=lambda r: (now[r], r))
    ax_bar.barh(names, [now[n] for n in names], color=SKY, edgecolor=BLUE)
    ax_bar.set_xlabel("keys now")
    ax_bar.tick_params(axis="y", labelsize=7)
    ax_bar.set_title(f"revision {cluster.etcd.revision}, {sum(now.values())} keys", fontsize=9)
    fig.subplots_adjust(hspace=0.45, wspace=0.35)
    return _finish(fig, "etcd: revisions, compaction and keys")


# --- scheduling ----------------------------------------------------------------------------------------

def _pod_phase(pod: dict) -> str:
    if pod["metadata"].get("deletionTimestamp"):
        return "Terminating"
    return pod.get("status", {}).get("phase") or "Pending"


def scheduling(cluster: Any, pod: str | None = None, namespace: str = "default") -> Figure:
    """Pods per node by phase, and the per-plugin scores behind one Pod's placement.

    ``pod`` names the Pod (``web-7x2kq`` or ``default/web-7x2kq``); without
    it the scheduler's latest decision is shown, if any.
    """
    nodes = sorted(n["metadata"]["name"] for n in cluster.api.items("nodes")) or sorted(cluster.machines)
    counts: dict[str, Counter[str]] = {n: Counter() for n in nodes}
    for p in cluster.api.items("pods"):
        node = p.get("spec", {}).get("nodeName") or "(unscheduled)"
        counts.setdefault(node, Counter())[_pod_phase(p)] += 1
    decisions = getattr(_scheduler(cluster), "decisions", None) or {}
    key = None
    if pod is not None:
        key = pod if "/" in pod else f"{namespace}/{pod}"
        if key not in decisions:
            raise ValueError(f"the scheduler made no decision for pod {key!r}"
                             + (f"; it decided for {', '.join(sorted(decisions)[-5:])}" if decisions else ""))
    elif decisions:
        key = list(decisions)[-1]
    fig = Figure(figsize=(11 if key else 6, 4.2))
    ax = fig.add_subplot(1, 2, 1) if key else fig.add_subplot()
    names = sorted(counts)
    left = [0] * len(names)
    for phase in sorted({ph for c in counts.values() for ph in c}):
        vals = [counts[n][phase] for n in names]
        ax.barh(names, vals, left=left, color=PHASE_COLOURS.get(phase, GREY), label=phase, edgecolor="white")
        left = [a + b for a, b in zip(left, vals)]
    ax.set_xlabel("Pods")
    ax.invert_yaxis()
    if ax.containers:
        ax.legend(fontsize=8, loc="lower right")
    ax.set_title("Pods per node", fontsize=10)
    if key:
        _plot_decision(fig.add_subplot(1, 2, 2), key, decisions[key])
    fig.subplots_adjust(wspace=0.45)
    return _finish(fig, "Scheduling")


def _scheduler(cluster: Any) -> Any:
    try:
        return cluster.scheduler
    except (IndexError, AttributeError):
        return None


def _plot_decision(ax: Any, key: str, decision: dict) -> None:
    """Stacked per-plugin scores per feasible node; filtered nodes listed with their reason."""
    scores: dict[str, dict[str, float]] = decision.get("scores") or {}
    chosen = decision.get("node")
    nodes = sorted(scores)
    plugins = sorted({p for s in scores.values() for p in s})
    left = [0.0] * len(nodes)
    for i, plugin in enumerate(plugins):
        vals = [float(scores[n].get(plugin, 0)) for n in nodes]
        ax.barh(nodes, vals, left=left, color=CYCLE[i % len(CYCLE)], label=plugin, edgecolor="white")
        left = [a + b for a, b in zip(left, vals)]
    total = decision.get("total")
    for y, n in enumerate(nodes):
        value = total.get(n, left[y]) if isinstance(total, dict) else left[y]
        ax.annotate(f"{value:g}" + ("  ← chosen" if n == chosen else ""), (left[y], y), xytext=(3, 0),
                    textcoords="offset points", va="center", fontsize=8,
                    fontweight="bold" if n == chosen else "normal")
    filtered = decision.get("filtered") or {}
    if filtered:
        lines = [f"{n}: {r}" for n, r in sorted(filtered.items())] if isinstance(filtered, dict) else [
            str(f) for f in filtered]
        ax.text(0.0, -0.22, "filtered out: " + "; ".join(lines), transform=ax.transAxes, fontsize=7,
                color=VERMILLION, va="top", wrap=True)
    ax.invert_yaxis()
    ax.set_xlabel("weighted score")
    ax.legend(fontsize=7, loc="lower right")
    how = decision.get("decided_by")
    ax.set_title(f"why {key} went to {chosen}" + (f" ({how})" if how else ""), fontsize=10)


# --- node heartbeats and the lifecycle of a failure ----------------------------------------------------

def node_lifecycle(cluster: Any, nodes: list[str] | str | None = None, rec: Recorder | None = None) -> Figure:
    """Lease renewals per node, Ready condition over time, taints, grace periods and evictions.

    The story of a failed worker: its kubelet stops renewing the Lease in
    ``kube-node-lease``; ``node-monitor-grace-period`` (50 s) after the last
    renewal the node-lifecycle controller sets Ready=Unknown and adds the
    ``unreachable`` taints; ``tolerationSeconds`` (300 s) later the taint
    manager evicts the node's Pods.
    """
    from .sim.controllers.node_lifecycle import NODE_MONITOR_GRACE_PERIOD
    rec = rec or record(cluster)
    if isinstance(nodes, str):
        nodes = [nodes]
    names = nodes or sorted(n["metadata"]["name"] for n in cluster.api.items("nodes")) or sorted(cluster.machines)
    fig = Figure(figsize=(10, 1.1 + 0.75 * len(names)))
    ax = fig.add_subplot()
    now = cluster.clock.now
    state_colour = {"True": GREEN, "Unknown": ORANGE, "False": VERMILLION}
    evicted = _evictions(cluster, rec)
    for y, name in enumerate(names):
        history = rec.history(_key("nodes", name, None))
        current = cluster.api.peek("nodes", name)
        changes: list[tuple[float, str]] = []
        taint_times: list[float] = []
        had_taint = False
        for when, obj in history + [(now, current)]:
            ready = _ready(obj)
            if not changes or changes[-1][1] != ready:
                changes.append((when, ready))
            tainted = any(t.get("key", "").startswith("node.kubernetes.io/") and t.get("effect") == "NoExecute"
                          for t in ((obj or {}).get("spec", {}).get("taints") or []))
            if tainted and not had_taint:
                taint_times.append(when)
            had_taint = tainted
        if not history and current is not None:
            changes = [(rec.start, _ready(current))]
        for i, (start, ready) in enumerate(changes):
            end = changes[i + 1][0] if i + 1 < len(changes) else now
            ax.broken_barh([(start, max(end - start, 0.01))], (y - 0.3, 0.6),
                           facecolors=state_colour.get(ready, GREY), alpha=0.35)
        renewals = [t for t, _, e in rec.writes.get(_key("leases", name, "kube-node-lease"), []) if e == "PUT"]
        ax.plot(renewals, [y] * len(renewals), "|", color=BLUE, markersize=12, label="Lease renewed" if y == 0 else None)
        for when, node, state in rec.power:
            if node == name:
                ax.plot([when], [y], marker="X", color=VERMILLION, markersize=10, linestyle="none")
                ax.annotate(f"machine {state}", (when, y), xytext=(0, 12), textcoords="offset points", fontsize=7,
                            color=VERMILLION, ha="center")
                if state != "on":
                    last = max((t for t in renewals if t <= when), default=None)
                    if last is not None:
                        ax.axvspan(last, last + NODE_MONITOR_GRACE_PERIOD, ymin=(y + 0.2) / len(names),
                                   ymax=(y + 0.8) / len(names), color=ORANGE, alpha=0.15, hatch="//")
                        ax.annotate(f"grace period {NODE_MONITOR_GRACE_PERIOD:g} s", (last, y - 0.35), fontsize=7,
                                    color="#8a5d00")
        for when in taint_times:
            ax.plot([when], [y], marker="v", color=PURPLE, markersize=9, linestyle="none")
            ax.annotate("NoExecute taint", (when, y), xytext=(0, -14), textcoords="offset points", fontsize=7,
                        color=PURPLE, ha="center")
        ev_times = [t for t, node in evicted if node == name]
        ax.plot(ev_times, [y + 0.15] * len(ev_times), marker="*", color="#000000", markersize=9,
                linestyle="none", label="Pod evicted" if ev_times and y == 0 else None)
    ax.set_yticks(range(len(names)), names)
    ax.set_ylim(-0.7, len(names) - 0.3)
    ax.invert_yaxis()
    ax.set_xlabel("simulated time (s)")
    ax.grid(True, axis="x", alpha=0.3)
    from matplotlib.patches import Patch
    handles = [Patch(color=GREEN, alpha=0.35, label="Ready=True"), Patch(color=ORANGE, alpha=0.35,
               label="Ready=Unknown"), Patch(color=VERMILLION, alpha=0.35, label="Ready=False")]
    h, _ = ax.get_legend_handles_labels()
    ax.legend(handles=h + handles, fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1))
    fig.subplots_adjust(right=0.8)
    return _finish(fig, "Node heartbeats and lifecycle")


def _ready(node: dict | None) -> str:
    for cond in (node or {}).get("status", {}).get("conditions") or []:
        if cond.get("type") == "Ready":
            return cond.get("status", "Unknown")
    return "none"


def _evictions(cluster: Any, rec: Recorder) -> list[tuple[float, str]]:
    """(time, node) of each TaintManagerEviction 'Marking for deletion', the node read from the Pod's history."""
    out = []
    for when, ev in _event_times(cluster, rec):
        if ev.get("reason") != "TaintManagerEviction" or not ev.get("message", "").startswith("Marking"):
            continue
        inv = ev.get("involvedObject", {})
        node = None
        for _, obj in reversed(rec.history(_key("pods", inv.get("name", ""), inv.get("namespace")))):
            if obj is not None:
                node = obj.get("spec", {}).get("nodeName")
                break
        if node is None:
            live = cluster.api.peek("pods", inv.get("name", ""), inv.get("namespace"))
            node = (live or {}).get("spec", {}).get("nodeName")
        if node:
            out.append((when, node))
    return out


# --- monitoring ----------------------------------------------------------------------------------------

def monitoring(cluster: Any, kind: str = "node", names: list[str] | None = None) -> Figure:
    """CPU and memory usage series from the monitoring addon (``cluster.addons.metrics``).

    ``kind`` is ``"node"`` or ``"pod"``.  The store is read through its
    ``series(kind, name)`` method, which returns ``[(time, cpu_cores,
    memory_bytes), …]``.
    """
    addons = getattr(cluster, "addons", None)
    store = getattr(addons, "metrics", None)
    if store is None:
        raise ValueError("this cluster has no monitoring addon (cluster.addons.metrics)")
    names = names if names is not None else list(store.names(kind))
    fig = Figure(figsize=(10, 4.5))
    ax_cpu, ax_mem = fig.add_subplot(1, 2, 1), fig.add_subplot(1, 2, 2)
    for i, name in enumerate(sorted(names)):
        points = list(store.series(kind, name))
        t = [p[0] for p in points]
        colour = CYCLE[i % len(CYCLE)]
        ax_cpu.plot(t, [p[1] * 1000 for p in points], color=colour, label=name)
        ax_mem.plot(t, [p[2] / 2**20 for p in points], color=colour, label=name)
    ax_cpu.set_ylabel("CPU (millicores)")
    ax_mem.set_ylabel("memory (MiB)")
    for ax in (ax_cpu, ax_mem):
        ax.set_xlabel("simulated time (s)")
        ax.grid(True, alpha=0.3)
    if names:
        ax_mem.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1))
    fig.subplots_adjust(right=0.83, wspace=0.3)
    return _finish(fig, f"Monitoring: {kind} CPU and memory")
