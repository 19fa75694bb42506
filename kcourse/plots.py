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

Every figure carries a text alternative computed from the data it plots
(``fig.alt``: "Replicas over time: desired 3, ready reaches 3 at t=12.0
s …").  Its rich display is ``text/html`` — an ``<img>`` with that ``alt``
and the PNG inline, at most as wide as the output area — because
JupyterLab, nbconvert and Jupyter Book all prefer ``text/html``, and a bare
``image/png`` output reaches a static page without a description.  nbval
compares ``text/html``: the notebooks' sanitize file blanks the PNG bytes
and keeps the alt text, which is deterministic.

Simplified: a plot shows what the recorder saw; writes that happened
before it was attached appear only as the state they left behind.
"""

from __future__ import annotations

import base64
import bisect
import html
import io
import json
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure as _MplFigure
from matplotlib.ticker import MaxNLocator

from .sim.objects import parse_timestamp
from .sim.resources import RESOURCES

if TYPE_CHECKING:
    from .cluster import Cluster

__all__ = [
    "Figure",
    "Recorder",
    "etcd_revisions",
    "monitoring",
    "node_lifecycle",
    "record",
    "recorder",
    "replicas",
    "scheduling",
]

# Okabe–Ito (colour-blind safe), the same palette as the diagrams.
BLUE, ORANGE, GREEN, VERMILLION = "#0072B2", "#E69F00", "#009E73", "#D55E00"
SKY, PURPLE, YELLOW, GREY = "#56B4E9", "#CC79A7", "#F0E442", "#999999"
CYCLE = [BLUE, ORANGE, GREEN, VERMILLION, SKY, PURPLE, "#000000", GREY]
PHASE_COLOURS = {
    "Running": GREEN,
    "Pending": ORANGE,
    "Succeeded": BLUE,
    "Failed": VERMILLION,
    "Unknown": GREY,
    "Terminating": GREY,
}
FAILURE_REASONS = {
    "NodeNotReady",
    "TaintManagerEviction",
    "BackOff",
    "Unhealthy",
    "Failed",
    "FailedScheduling",
    "Killing",
    "NodeNotSchedulable",
}
_PREFIXES = sorted(((r.etcd_prefix + "/", r.plural) for r in RESOURCES), key=lambda p: -len(p[0]))


class Figure(_MplFigure):
    """A matplotlib Figure that shows itself in Jupyter as a described PNG, with or without pyplot.

    ``alt`` says in words what the figure shows; the plotting functions
    compute it from the same data they draw.
    """

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        FigureCanvasAgg(self)
        self.alt = ""

    def png(self) -> bytes:
        """The figure as PNG bytes (100 dpi, trimmed to what is drawn)."""
        buf = io.BytesIO()
        self.savefig(buf, format="png", dpi=100, bbox_inches="tight")
        return buf.getvalue()

    def _repr_html_(self) -> str:
        """An ``<img>`` with the figure's alt text, the PNG inline, never wider than the output area."""
        data = base64.b64encode(self.png()).decode("ascii")
        alt = html.escape(self.alt or self.get_suptitle() or "a plot", quote=True)
        return f'<img alt="{alt}" src="data:image/png;base64,{data}" style="max-width: 100%; height: auto">'

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, str]:  # noqa: ARG002  IPython's display protocol passes include/exclude by keyword
        return {"text/html": self._repr_html_(), "text/plain": repr(self)}


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

    cluster: Cluster
    start: float = 0.0
    writes: dict[str, list[tuple[float, int, str]]] = field(default_factory=dict)
    samples: list[Sample] = field(default_factory=list)
    compactions: list[tuple[float, int]] = field(default_factory=list)
    power: list[tuple[float, str, str]] = field(default_factory=list)
    marks: list[tuple[float, str]] = field(default_factory=list)

    def __post_init__(self) -> None:
        c = self.cluster
        self.start = c.clock.now
        self._keys: Counter[str] = Counter(
            resource_of(kv.key) for kv in c.etcd.range("/registry/", prefix=True, keys_only=True)
        )
        self._state = self._machine_state()
        self._last_seen = c.clock.now
        self._compact = c.etcd.compact_revision
        self._sample()
        c.etcd.watch("/registry/", self._on_write, prefix=True)
        c.on_event(self._on_event)

    def __repr__(self) -> str:
        return (
            f"<kcourse Recorder: from t={self.start:.3f}s, {len(self.samples)} samples, "
            f"{sum(len(v) for v in self.writes.values())} writes>"
        )

    def _machine_state(self) -> dict[str, str]:
        return {
            name: ("off" if not m.powered else "cut off" if getattr(m, "partitioned", False) else "on")
            for name, m in sorted(self.cluster.machines.items())
        }

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
        self.samples.append(
            Sample(
                self.cluster.clock.now,
                etcd.revision,
                etcd.compact_revision,
                {k: v for k, v in sorted(self._keys.items()) if v},
            )
        )

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


def record(cluster: Cluster) -> Recorder:
    """The cluster's recorder (``cluster.recorder``), attached now if it has none yet."""
    rec = cluster.recorder
    if rec is None:
        rec = cluster.recorder = Recorder(cluster)
    return rec


recorder = record


def _key(resource: str, name: str, namespace: str | None) -> str:
    from .sim.resources import by_plural

    rt = by_plural(resource)
    if rt is None:
        raise ValueError(f"unknown resource {resource!r}")
    return rt.etcd_key(namespace if rt.namespaced else None, name)


def _event_times(cluster: Cluster, rec: Recorder) -> list[tuple[float, dict]]:
    """Every v1 Event object with the time(s) it was recorded (count bumps included)."""
    out: list[tuple[float, dict]] = []
    for ev in cluster.api.items("events"):
        md = ev["metadata"]
        key = _key("events", md["name"], md.get("namespace"))
        times = [t for t, _, etype in rec.writes.get(key, []) if etype == "PUT"]
        if not times:
            stamp = ev.get("lastTimestamp") or ev.get("firstTimestamp") or md.get("creationTimestamp")
            times = [parse_timestamp(stamp)] if stamp else []
        out.extend((t, ev) for t in times)
    return sorted(out, key=lambda p: (p[0], p[1]["metadata"]["name"]))


def _finish(fig: Figure, title: str, alt: str) -> Figure:
    fig.suptitle(title, fontsize=12, fontweight="bold")
    fig.alt = alt
    return fig


def _t(when: float) -> str:
    return f"t={when:.1f} s"


def _clip(text: str, limit: int = 70) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


# --- desired vs current replicas -----------------------------------------------------------------------


def replicas(
    cluster: Cluster,
    name: str,
    namespace: str = "default",
    kind: str = "deployment",
    rec: Recorder | None = None,
) -> Figure:
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
    marks, ticks = _story(cluster, rec, name, namespace)
    groups = _group_marks(marks, t[0] if t else rec.start, cluster.clock.now)
    lines = sum(len(g) for g in groups)
    fig = Figure(figsize=(10, 4 + 0.17 * min(lines, _MAX_CAPTION + 1)))
    ax = fig.add_subplot()
    ax.step(
        t, desired, where="post", color=BLUE, linestyle="--", linewidth=2, label="desired (spec.replicas)"
    )
    ax.step(t, have, where="post", color=ORANGE, linewidth=2, label="current (status.replicas)")
    ax.step(
        t,
        ready,
        where="post",
        color=GREEN,
        linewidth=1.5,
        linestyle=":",
        label="ready (status.readyReplicas)",
    )
    styles = {"SuccessfulCreate": ("^", GREEN), "SuccessfulDelete": ("v", BLUE)}
    for reason in sorted(ticks):
        marker, colour = styles.get(reason, ("x", VERMILLION))
        ax.plot(
            ticks[reason],
            [0] * len(ticks[reason]),
            marker=marker,
            color=colour,
            markersize=7,
            clip_on=False,
            linestyle="none",
            label=f"{reason} ({len(ticks[reason])})",
        )
    ax.set_xlabel("simulated time (s)")
    ax.set_ylabel("replicas")
    ax.set_ylim(bottom=0, top=max([*desired, *have, 1]) + 1)
    cast(MaxNLocator, ax.yaxis.get_major_locator()).set_params(integer=True)
    ax.grid(True, alpha=0.3)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), fontsize=8, borderaxespad=0)
    caption_in = 0.17 * min(lines, _MAX_CAPTION + 1)
    height = fig.get_figheight()
    fig.subplots_adjust(left=0.07, right=0.72, top=1 - 0.75 / height, bottom=(0.6 + caption_in) / height)
    caption = _draw_marks(fig, ax, groups, top=(0.12 + caption_in) / height)
    title = f"{kind.capitalize()} {namespace}/{name}: desired vs current replicas"
    return _finish(fig, title, _replicas_alt(title, t, desired, have, ready, ticks, caption))


_MAX_CAPTION = 10


def _story(
    cluster: Cluster, rec: Recorder, name: str, namespace: str
) -> tuple[list[tuple[float, str, str]], dict[str, list[float]]]:
    """What changes the story (failures, scaling, rollouts: ``(time, colour, text)``) and what repeats
    (Pod events: reason -> times)."""
    marks: list[tuple[float, str, str]] = []
    ticks: dict[str, list[float]] = {}
    for when, node, state in rec.power:
        marks.append((when, VERMILLION, f"{node} {'powered off' if state == 'off' else state}"))
    for when, label in rec.marks:
        marks.append((when, GREY, label))
    owned = f"{name}-"
    first_rs: str | None = None
    for when, ev in _event_times(cluster, rec):
        inv = ev.get("involvedObject", {})
        reason = ev.get("reason", "")
        mine = inv.get("name") == name or (inv.get("name") or "").startswith(owned)
        if reason == "NodeNotReady" and inv.get("kind") == "Node":
            marks.append((when, VERMILLION, f"{inv.get('name')} NotReady"))
        elif not mine or inv.get("namespace", namespace) != namespace:
            continue
        elif reason == "ScalingReplicaSet":
            message = ev.get("message", "")
            rs = message.split("replica set ")[-1].split(" ")[0]
            first_rs = first_rs or rs
            rollout = rs != first_rs and "up" in message
            marks.append((when, PURPLE if rollout else BLUE, ("rollout: " if rollout else "") + message))
        elif reason in ("SuccessfulCreate", "SuccessfulDelete") or reason in FAILURE_REASONS:
            ticks.setdefault(reason, []).append(when)
    marks.sort(key=lambda m: m[0])
    out, seen = [], set()
    for when, colour, text in marks:  # the same text again at the same time adds nothing
        if (round(when, 3), text) not in seen:
            seen.add((round(when, 3), text))
            out.append((when, colour, text))
    return out, ticks


def _group_marks(
    marks: list[tuple[float, str, str]], start: float, end: float
) -> list[list[tuple[float, str, str]]]:
    """Marks close in time (within 2.5 % of the plotted span) share one numbered label."""
    span = max(end - start, 1e-9)
    groups: list[list[tuple[float, str, str]]] = []
    for mark in marks:
        if groups and mark[0] - groups[-1][0][0] <= span * 0.025:
            groups[-1].append(mark)
        else:
            groups.append([mark])
    return groups


def _draw_marks(fig: Figure, ax: Any, groups: list[list[tuple[float, str, str]]], top: float) -> list[str]:
    """A line per mark, a number above the plot per group of close marks, and a numbered caption below.

    Rotated labels beside each line overlapped as soon as two things
    happened close together (a scale-up and the next scale-down); numbers
    spaced by the grouping and a caption of one line per mark cannot.
    """
    caption: list[str] = []
    for number, group in enumerate(groups, start=1):
        for when, colour, text in group:
            ax.axvline(when, color=colour, linewidth=1, alpha=0.8)
            caption.append(f"{number}  {_t(when)}  {_clip(text, 90)}")
        ax.annotate(
            str(number),
            (group[0][0], 1.0),
            xycoords=("data", "axes fraction"),
            xytext=(0, 2),
            textcoords="offset points",
            ha="center",
            va="bottom",
            fontsize=8,
            fontweight="bold",
            color=group[0][1],
            annotation_clip=False,
        )
    shown = (
        caption
        if len(caption) <= _MAX_CAPTION + 1
        else caption[:_MAX_CAPTION] + [f"… and {len(caption) - _MAX_CAPTION} more"]
    )
    height = fig.get_figheight()
    for i, line in enumerate(shown):
        fig.text(0.07, top - i * 0.17 / height, line, fontsize=8, va="top", ha="left", color="#333333")
    return caption


def _replicas_alt(
    title: str,
    t: list[float],
    desired: list[int],
    have: list[int],
    ready: list[int],
    ticks: dict[str, list[float]],
    caption: list[str],
) -> str:
    if not t:
        return f"{title}: nothing recorded."
    steps = [d for i, d in enumerate(desired) if i == 0 or d != desired[i - 1]]
    goal = desired[-1]
    since = None
    for when, r in zip(t, ready):
        if r == goal and since is None:
            since = when
        elif r != goal:
            since = None
    reach = (
        f"ready reaches {goal} at {_t(since)}"
        if since is not None
        else f"ready is {ready[-1]} of {goal} at the end"
    )
    parts = [
        f"{title}, from {_t(t[0])} to {_t(t[-1])}",
        "Desired " + (", then ".join(str(d) for d in steps)),
        f"Current ends at {have[-1]}, {reach}",
    ]
    if ticks:
        parts.append("Pod events: " + ", ".join(f"{r} {len(v)}" for r, v in sorted(ticks.items())))
    if caption:
        parts.append(
            "Marked: "
            + "; ".join(line.split("  ", 1)[1].replace("  ", " ") for line in caption[:8])
            + ("; …" if len(caption) > 8 else "")
        )
    return ". ".join(parts) + "."


# --- etcd ----------------------------------------------------------------------------------------------


def etcd_revisions(cluster: Cluster, rec: Recorder | None = None, top: int = 6, x: str = "auto") -> Figure:
    """etcd's revision growing with every write, its compactions, and the keys it holds per resource.

    ``x`` chooses the horizontal axis: ``"time"`` (simulated seconds),
    ``"writes"`` (the order etcd applied the writes in) or ``"auto"``:
    write order when at least half the recorded writes share one instant of
    simulated time — a notebook applying objects without stepping the
    cluster writes everything at the same ``t``, and on a time axis the
    climbing revision collapses into one vertical line.
    """
    if x not in ("auto", "time", "writes"):
        raise ValueError(f"x must be 'auto', 'time' or 'writes', not {x!r}")
    rec = rec or record(cluster)
    rec._sample()  # the store now, even if nothing stepped since the last event
    samples = rec.samples
    writes = sorted((rev, when) for history in rec.writes.values() for when, rev, _ in history)
    revs = [rev for rev, _ in writes]
    times = [when for _, when in writes]
    instant, at_instant = Counter(times).most_common(1)[0] if times else (rec.start, 0)
    by_order = x == "writes" or (x == "auto" and len(times) > 1 and at_instant * 2 >= len(times))

    def where(revision: int, when: float) -> float:
        return bisect.bisect_right(revs, revision) if by_order else when

    fig = Figure(figsize=(10, 6.5))
    grid = fig.add_gridspec(2, 2, width_ratios=(2.2, 1), height_ratios=(1, 1))
    ax_rev = fig.add_subplot(grid[0, :])
    if writes:
        xs = list(range(1, len(revs) + 1)) if by_order else times
        ax_rev.step(
            xs,
            revs,
            where="post",
            color=PURPLE,
            linewidth=2,
            label="revision after each write",
            marker="o" if len(revs) <= 60 else None,
            markersize=3,
        )
    else:
        ax_rev.step(
            [s.time for s in samples],
            [s.revision for s in samples],
            where="post",
            color=PURPLE,
            linewidth=2,
            label="revision after each write",
        )
    ax_rev.step(
        [where(s.revision, s.time) for s in samples],
        [s.compact_revision for s in samples],
        where="post",
        color=GREY,
        linestyle="--",
        label="compacted up to (older revisions unreadable)",
    )
    for when, rev in rec.compactions:
        at = where(rev, when)
        ax_rev.axvline(at, color=VERMILLION, linestyle=":", linewidth=1)
        ax_rev.plot([at], [rev], marker="x", color=VERMILLION, linestyle="none")
        ax_rev.annotate(
            f"compact({rev})",
            (at, rev),
            fontsize=7,
            color=VERMILLION,
            xytext=(-3, 3),
            textcoords="offset points",
            ha="right",
        )
    if by_order:
        same = "all" if at_instant == len(times) else f"{at_instant} of {len(times)}"
        ax_rev.set_xlabel(
            f"writes in the order etcd applied them ({same} at t={instant:.3f} s of simulated time)"
        )
    else:
        ax_rev.set_xlabel("simulated time (s)")
    if writes:  # the recorded stretch of revisions fills the panel, so each write is a visible step
        low = min([revs[0] - 1] + [rev for _, rev in rec.compactions])
        margin = max(1.0, (revs[-1] - low) * 0.08)
        ax_rev.set_ylim(low - margin, revs[-1] + margin)
        cast(MaxNLocator, ax_rev.yaxis.get_major_locator()).set_params(integer=True)
    ax_rev.set_ylabel("revision")
    ax_rev.grid(True, alpha=0.3)
    ax_rev.legend(loc="upper left", fontsize=8)
    ax_rev.set_title("every write appends a revision; nothing is overwritten", fontsize=9)
    ax_keys = fig.add_subplot(grid[1, 0])
    totals: Counter[str] = Counter()
    for s in samples:
        totals.update(s.keys)
    leaders = [r for r, _ in sorted(totals.items(), key=lambda p: (-p[1], p[0]))[:top]]
    key_x = [where(s.revision, s.time) for s in samples]
    for i, res in enumerate(leaders):
        ax_keys.step(
            key_x, [s.keys.get(res, 0) for s in samples], where="post", color=CYCLE[i % len(CYCLE)], label=res
        )
    ax_keys.set_xlabel("writes in order" if by_order else "simulated time (s)")
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
    if writes:
        span = (
            f"all at t={instant:.3f} s, plotted in write order"
            if at_instant == len(times)
            else f"between t={times[0]:.1f} s and t={times[-1]:.1f} s"
            + (", plotted in write order" if by_order else "")
        )
        story = f"revision climbs from {revs[0]} to {revs[-1]} over {len(revs)} recorded writes ({span})"
    else:
        story = f"no writes recorded yet; the store is at revision {cluster.etcd.revision}"
    compacted = (
        f"; compacted up to revision {rec.compactions[-1][1]}, older revisions unreadable"
        if rec.compactions
        else "; no compaction"
    )
    biggest = ", ".join(f"{n} {now[n]}" for n in sorted(now, key=lambda r: (-now[r], r))[:4])
    title = "etcd: revisions, compaction and keys"
    return _finish(
        fig,
        title,
        f"{title}. The {story}{compacted}. Now {sum(now.values())} keys"
        + (f", most: {biggest}" if now else "")
        + ".",
    )


# --- scheduling ----------------------------------------------------------------------------------------


def _pod_phase(pod: dict) -> str:
    if pod["metadata"].get("deletionTimestamp"):
        return "Terminating"
    return pod.get("status", {}).get("phase") or "Pending"


def scheduling(cluster: Cluster, pod: str | None = None, namespace: str = "default") -> Figure:
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
            raise ValueError(
                f"the scheduler made no decision for pod {key!r}"
                + (f"; it decided for {', '.join(sorted(decisions)[-5:])}" if decisions else "")
            )
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
    per_node = [
        f"{n} " + " and ".join(f"{counts[n][ph]} {ph}" for ph in sorted(counts[n]))
        for n in names
        if counts[n]
    ]
    shown = per_node[:12] + ([f"{len(per_node) - 12} more nodes"] if len(per_node) > 12 else [])
    alt = "Scheduling. Pods per node by phase: " + ("; ".join(shown) or "no Pods") + "."
    if key:
        alt += " " + _decision_alt(key, decisions[key])
    return _finish(fig, "Scheduling", alt)


def _decision_alt(key: str, decision: dict) -> str:
    scores: dict[str, dict[str, float]] = decision.get("scores") or {}
    total = decision.get("total")
    sums = {
        n: float(total[n]) if isinstance(total, dict) and n in total else float(sum(s.values()))
        for n, s in scores.items()
    }
    ranked = sorted(sums, key=lambda n: (-sums[n], n))
    text = (
        f"Why {key} went to {decision.get('node')}: weighted scores "
        + ", ".join(f"{n} {sums[n]:g}" for n in ranked[:6])
        + ("" if len(ranked) <= 6 else ", …")
    )
    filtered = decision.get("filtered") or {}
    if filtered:
        items = (
            [f"{n} ({r})" for n, r in sorted(filtered.items())]
            if isinstance(filtered, dict)
            else [str(f) for f in filtered]
        )
        text += "; filtered out: " + "; ".join(items[:4]) + ("" if len(items) <= 4 else "; …")
    return text + "."


def _scheduler(cluster: Cluster) -> Any:
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
        ax.annotate(
            f"{value:g}" + ("  ← chosen" if n == chosen else ""),
            (left[y], y),
            xytext=(3, 0),
            textcoords="offset points",
            va="center",
            fontsize=8,
            fontweight="bold" if n == chosen else "normal",
        )
    filtered = decision.get("filtered") or {}
    if filtered:
        lines = (
            [f"{n}: {r}" for n, r in sorted(filtered.items())]
            if isinstance(filtered, dict)
            else [str(f) for f in filtered]
        )
        ax.text(
            0.0,
            -0.22,
            "filtered out: " + "; ".join(lines),
            transform=ax.transAxes,
            fontsize=7,
            color=VERMILLION,
            va="top",
            wrap=True,
        )
    ax.invert_yaxis()
    ax.set_xlabel("weighted score")
    ax.legend(fontsize=7, loc="lower right")
    how = decision.get("decided_by")
    ax.set_title(f"why {key} went to {chosen}" + (f" ({how})" if how else ""), fontsize=10)


# --- node heartbeats and the lifecycle of a failure ----------------------------------------------------


def node_lifecycle(
    cluster: Cluster, nodes: list[str] | str | None = None, rec: Recorder | None = None
) -> Figure:
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
    names = (
        nodes or sorted(n["metadata"]["name"] for n in cluster.api.items("nodes")) or sorted(cluster.machines)
    )
    fig = Figure(figsize=(10, 1.1 + 0.75 * len(names)))
    ax = fig.add_subplot()
    now = cluster.clock.now
    state_colour = {"True": GREEN, "Unknown": ORANGE, "False": VERMILLION}
    evicted = _evictions(cluster, rec)
    told: list[str] = []
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
            tainted = any(
                t.get("key", "").startswith("node.kubernetes.io/") and t.get("effect") == "NoExecute"
                for t in ((obj or {}).get("spec", {}).get("taints") or [])
            )
            if tainted and not had_taint:
                taint_times.append(when)
            had_taint = tainted
        if not history and current is not None:
            changes = [(rec.start, _ready(current))]
        for i, (start, ready) in enumerate(changes):
            end = changes[i + 1][0] if i + 1 < len(changes) else now
            ax.broken_barh(
                [(start, max(end - start, 0.01))],
                (y - 0.3, 0.6),
                facecolors=state_colour.get(ready, GREY),
                alpha=0.35,
            )
        renewals = [
            t for t, _, e in rec.writes.get(_key("leases", name, "kube-node-lease"), []) if e == "PUT"
        ]
        ax.plot(
            renewals,
            [y] * len(renewals),
            "|",
            color=BLUE,
            markersize=12,
            label="Lease renewed" if y == 0 else None,
        )
        for when, node, state in rec.power:
            if node == name:
                ax.plot([when], [y], marker="X", color=VERMILLION, markersize=10, linestyle="none")
                ax.annotate(
                    f"machine {state}",
                    (when, y),
                    xytext=(0, 12),
                    textcoords="offset points",
                    fontsize=7,
                    color=VERMILLION,
                    ha="center",
                )
                if state != "on":
                    last = max((t for t in renewals if t <= when), default=None)
                    if last is not None:
                        ax.axvspan(
                            last,
                            last + NODE_MONITOR_GRACE_PERIOD,
                            ymin=(y + 0.2) / len(names),
                            ymax=(y + 0.8) / len(names),
                            color=ORANGE,
                            alpha=0.15,
                            hatch="//",
                        )
                        ax.annotate(
                            f"grace period {NODE_MONITOR_GRACE_PERIOD:g} s",
                            (last, y - 0.35),
                            fontsize=7,
                            color="#8a5d00",
                        )
        for when in taint_times:
            ax.plot([when], [y], marker="v", color=PURPLE, markersize=9, linestyle="none")
            ax.annotate(
                "NoExecute taint",
                (when, y),
                xytext=(0, -14),
                textcoords="offset points",
                fontsize=7,
                color=PURPLE,
                ha="center",
            )
        ev_times = [t for t, node in evicted if node == name]
        told.append(
            _node_alt(
                name,
                renewals,
                changes,
                taint_times,
                ev_times,
                [(when, state) for when, node, state in rec.power if node == name],
            )
        )
        ax.plot(
            ev_times,
            [y + 0.15] * len(ev_times),
            marker="*",
            color="#000000",
            markersize=9,
            linestyle="none",
            label="Pod evicted" if ev_times and y == 0 else None,
        )
    ax.set_yticks(range(len(names)), names)
    ax.set_ylim(-0.7, len(names) - 0.3)
    ax.invert_yaxis()
    ax.set_xlabel("simulated time (s)")
    ax.grid(True, axis="x", alpha=0.3)
    from matplotlib.patches import Patch

    handles = [
        Patch(color=GREEN, alpha=0.35, label="Ready=True"),
        Patch(color=ORANGE, alpha=0.35, label="Ready=Unknown"),
        Patch(color=VERMILLION, alpha=0.35, label="Ready=False"),
    ]
    h, _ = ax.get_legend_handles_labels()
    ax.legend(handles=h + handles, fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1))
    fig.subplots_adjust(right=0.8)
    title = "Node heartbeats and lifecycle"
    return _finish(fig, title, f"{title}, {_t(rec.start)} to {_t(now)}. " + " ".join(told))


def _node_alt(
    name: str,
    renewals: list[float],
    changes: list[tuple[float, str]],
    taints: list[float],
    evictions: list[float],
    power: list[tuple[float, str]],
) -> str:
    parts = [f"Lease renewed {len(renewals)} times" + (f", last at {_t(renewals[-1])}" if renewals else "")]
    parts += [f"machine {state} at {_t(when)}" for when, state in power]
    parts.append("Ready=" + ", then ".join(f"{ready} from {_t(when)}" for when, ready in changes))
    if taints:
        parts.append("NoExecute taint at " + ", ".join(_t(w) for w in taints))
    if evictions:
        parts.append(f"{len(evictions)} Pods evicted from {_t(evictions[0])}")
    return f"{name}: " + "; ".join(parts) + "."


def _ready(node: dict | None) -> str:
    for cond in (node or {}).get("status", {}).get("conditions") or []:
        if cond.get("type") == "Ready":
            return cond.get("status", "Unknown")
    return "none"


def _evictions(cluster: Cluster, rec: Recorder) -> list[tuple[float, str]]:
    """(time, node) of each TaintManagerEviction 'Marking for deletion', the node read from the Pod's
    history."""
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


def monitoring(cluster: Cluster, kind: str = "node", names: list[str] | None = None) -> Figure:
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
    told: list[str] = []
    fig = Figure(figsize=(10, 4.5))
    ax_cpu, ax_mem = fig.add_subplot(1, 2, 1), fig.add_subplot(1, 2, 2)
    for i, name in enumerate(sorted(names)):
        points = list(store.series(kind, name))
        t = [p[0] for p in points]
        colour = CYCLE[i % len(CYCLE)]
        ax_cpu.plot(t, [p[1] * 1000 for p in points], color=colour, label=name)
        ax_mem.plot(t, [p[2] / 2**20 for p in points], color=colour, label=name)
        if points:
            cpu = [p[1] * 1000 for p in points]
            mem = [p[2] / 2**20 for p in points]
            told.append(
                f"{name}: CPU {min(cpu):.0f} to {max(cpu):.0f} millicores, "
                f"memory {min(mem):.0f} to {max(mem):.0f} MiB"
            )
    ax_cpu.set_ylabel("CPU (millicores)")
    ax_mem.set_ylabel("memory (MiB)")
    for ax in (ax_cpu, ax_mem):
        ax.set_xlabel("simulated time (s)")
        ax.grid(True, alpha=0.3)
    if names:
        ax_mem.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1))
    fig.subplots_adjust(right=0.83, wspace=0.3)
    title = f"Monitoring: {kind} CPU and memory"
    shown = told[:12] + ([f"{len(told) - 12} more"] if len(told) > 12 else [])
    return _finish(fig, title, f"{title}. " + ("; ".join(shown) or "no series recorded") + ".")
