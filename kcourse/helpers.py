"""Small, well-named questions a learner asks a cluster, so notebook cells read like the question.

A notebook cell should say *what* it looks for — "the kubelet's events", "a web Pod on another
node", "the lines of the rules about default/web" — not how to find it with ``lambda``,
``next(...)`` and nested comprehensions a beginner has not met yet.  Each helper only reads the
cluster (or a list of events, or a text) and returns plain data or text; none changes anything.

A question without an answer raises a ``LookupError`` that says what was asked ("no Pod matches
app=web in namespace default on a node other than worker-1"), never an ``IndexError`` or
``StopIteration`` from deep inside a comprehension.

Simplified:
  * ``runtime_containers`` / ``runtime_images`` print their own small tables from the node's CRI
    answers; they are not ``crictl``'s output format (no CREATED column, no image ids).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from kcourse.sim.component import Event
from kcourse.sim.errors import ApiError
from kcourse.sim.labels import parse_selector
from kcourse.sim.manifests import load_manifests

if TYPE_CHECKING:
    from kcourse.sim.cluster import Cluster

__all__ = [
    "a_pod",
    "first",
    "grep",
    "node_of",
    "node_statuses",
    "only",
    "pod_ip",
    "pods",
    "replace_pod",
    "runtime_containers",
    "runtime_images",
    "sandbox_of",
    "scheduling_decision",
]


def only(
    events: Iterable[Event],
    *,
    component: str | None = None,
    key: str | None = None,
    verb: str | None = None,
    node: str | None = None,
    text: str | None = None,
) -> list[Event]:
    """The events that match every criterion given: ``only(events, component="kubelet")``.

    ``key`` is the object's ``namespace/name`` as the trace shows it; ``text`` is a piece of the
    message.  With no criterion, every event.
    """
    return [
        e
        for e in events
        if (component is None or e.component == component)
        and (key is None or e.key == key)
        and (verb is None or e.verb == verb)
        and (node is None or e.node == node)
        and (text is None or text in e.message)
    ]


def first(events: Iterable[Event], **criteria: Any) -> Event:
    """The first event that matches (same criteria as :func:`only`); a ``LookupError`` if none does."""
    found = only(events, **criteria)
    if not found:
        wanted = ", ".join(f"{k}={v!r}" for k, v in criteria.items()) or "any"
        raise LookupError(f"no event with {wanted}")
    return found[0]


def pods(cluster: Cluster, selector: str = "", namespace: str = "default") -> list[dict]:
    """The Pods whose labels match ``selector`` (``"app=web"``; empty: all), sorted by name."""
    wanted = parse_selector(selector)
    return sorted(
        (p for p in cluster.pods(namespace) if wanted.matches(p["metadata"].get("labels"))), key=_name
    )


def a_pod(
    cluster: Cluster,
    selector: str = "",
    namespace: str = "default",
    *,
    on: str | None = None,
    not_on: str | None = None,
) -> dict:
    """The first Pod (by name) matching ``selector``, optionally on node ``on`` or not on ``not_on``."""
    for pod in pods(cluster, selector, namespace):
        node = pod["spec"].get("nodeName")
        if (on is None or node == on) and (not_on is None or node != not_on):
            return pod
    where = (f" on {on}" if on else "") + (f" on a node other than {not_on}" if not_on else "")
    raise LookupError(f"no Pod matches {selector or 'any labels'} in namespace {namespace}{where}")


def node_of(cluster: Cluster, pod: str, namespace: str = "default") -> str:
    """The node a Pod is bound to ('' while it waits for the scheduler)."""
    return cluster.get("pods", pod, namespace)["spec"].get("nodeName", "")


def pod_ip(cluster: Cluster, pod: str, namespace: str = "default") -> str:
    """The Pod's IP address ('' before its sandbox has one)."""
    return cluster.get("pods", pod, namespace).get("status", {}).get("podIP", "")


def node_statuses(cluster: Cluster) -> str:
    """Every node and its STATUS column on one line: ``master-1=Ready worker-1=NotReady …``."""
    rows = cluster.kubectl("get nodes --no-headers").splitlines()
    return " ".join("=".join(row.split()[:2]) for row in rows if row.strip())


def grep(text: str, *words: str) -> str:
    """The lines of ``text`` that contain every one of ``words``, like ``grep`` on a terminal."""
    return "\n".join(line for line in text.splitlines() if all(w in line for w in words))


def replace_pod(cluster: Cluster, manifest: Any, timeout: float = 120.0) -> dict:
    """Delete the Pod if it exists, wait until it is gone, then create it from ``manifest``.

    A Pod's spec cannot be changed once it is created (apart from a few fields such as a
    container's image): applying a changed command or changed resource requests is refused with
    ``422 Invalid`` ("pod updates may not change fields other than …").  To change them you
    replace the Pod, as ``kubectl replace --force`` does; a cell that does this can be run again
    and again.  Deletion is graceful, so the simulated clock advances until the kubelet has
    stopped the containers and the API server has removed the object (at most ``timeout`` s).
    """
    documents = load_manifests(manifest)
    if len(documents) != 1 or documents[0].get("kind") != "Pod":
        raise ValueError("replace_pod takes the manifest of exactly one Pod")
    meta = documents[0].get("metadata", {})
    name, namespace = meta.get("name", ""), meta.get("namespace", "default")
    if _exists(cluster, name, namespace):
        cluster.kubectl(f"delete pod {name} -n {namespace}")
        deadline = cluster.now + timeout
        while _exists(cluster, name, namespace) and cluster.now < deadline:
            cluster.advance(1)
        if _exists(cluster, name, namespace):
            raise TimeoutError(f"pod {namespace}/{name} was still there {timeout:g} s after its deletion")
    return cluster.apply(documents[0])


def _exists(cluster: Cluster, name: str, namespace: str) -> bool:
    try:
        cluster.get("pods", name, namespace)
    except ApiError as error:
        if error.code == 404:
            return False
        raise
    return True


def scheduling_decision(cluster: Cluster, pod: str, namespace: str = "default") -> str:
    """What kube-scheduler's last cycle for a Pod saw: the nodes filtered out and why, and the scores.

    The scores are the plugins' weighted scores (0–100 times the plugin's weight) per feasible
    node; the highest total wins, and ``decided by`` names the plugin that put the winner furthest
    ahead of the runner-up.
    """
    key = f"{namespace}/{pod}"
    decision = cluster.scheduler.decisions.get(key)
    if decision is None:
        raise LookupError(f"the scheduler has no record of a cycle for pod {key}")
    lines = [f"evaluated {decision['evaluated']} nodes, {decision['feasible']} feasible"]
    lines += [f"  filtered out {node}: {reason}" for node, reason in sorted(decision["filtered"].items())]
    nodes = sorted(decision["scores"])
    plugins = sorted({plugin for scores in decision["scores"].values() for plugin in scores})
    if nodes:
        lines += ["", f"{'plugin':33}" + "".join(f"{node:>10}" for node in nodes)]
        lines += [
            f"{plugin:33}" + "".join(f"{decision['scores'][node].get(plugin, 0):>10}" for node in nodes)
            for plugin in plugins
        ]
        lines.append(f"{'total':33}" + "".join(f"{decision['total'][node]:>10}" for node in nodes))
    lines += ["", f"chosen: {decision['node'] or '(none)'}  (decided by {decision['decided_by']})"]
    return "\n".join(lines)


def sandbox_of(cluster: Cluster, pod: str, namespace: str = "default") -> Any:
    """The CRI Pod sandbox the Pod's node runs for it (a ``LookupError`` if there is none)."""
    runtime = cluster.kubelet(node_of(cluster, pod, namespace)).cri.runtime_service
    for sandbox in runtime.ListPodSandbox():
        if sandbox.metadata.name == pod and sandbox.metadata.namespace == namespace:
            return sandbox
    raise LookupError(f"the runtime has no sandbox for pod {namespace}/{pod}")


def runtime_containers(cluster: Cluster, node: str, pod: str | None = None) -> str:
    """The containers a node's runtime reports (CRI ``ListContainers``), one line each, by name."""
    runtime = cluster.kubelet(node).cri.runtime_service
    rows = [
        (
            c.id[:13],
            c.metadata.name,
            c.state.name,
            str(c.metadata.attempt),
            c.labels.get("io.kubernetes.pod.name", ""),
        )
        for c in runtime.ListContainers()
        if pod is None or c.labels.get("io.kubernetes.pod.name") == pod
    ]
    return _table(("CONTAINER", "NAME", "STATE", "ATTEMPT", "POD"), sorted(rows, key=_second))


def runtime_images(cluster: Cluster, node: str) -> str:
    """The images a node's runtime holds (CRI ``ListImages``), by name, with their size in MB."""
    images = cluster.kubelet(node).cri.image_service.ListImages()
    rows = [((i.repo_tags or i.repo_digests or [i.id])[0], f"{i.size / 1e6:.1f}MB") for i in images]
    return _table(("IMAGE", "SIZE"), sorted(rows))


def _table(head: tuple[str, ...], rows: list[tuple[str, ...]]) -> str:
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head))]
    return "\n".join(
        "   ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
        for row in [head, *rows]
    )


def _name(pod: dict) -> str:
    return pod["metadata"]["name"]


def _second(row: tuple[str, ...]) -> str:
    return row[1]
