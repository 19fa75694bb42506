"""Checks of intent: the same workload, healthy, where it should be, reachable.

Each function reads the cluster through a :class:`~kcourse.challenges.model.Reader`
and returns what is still wrong, one sentence per problem, in the words
``kubectl get`` and ``kubectl describe`` use, so a learner can look each one
up.  None of them accepts a stand-in: a Deployment is the one the challenge
started with when its ``metadata.uid`` is the same (deleting and recreating
it under the same name gives a new uid, as the API server assigns one per
object), and its Pods are the ones its own ReplicaSets own.

Simplified: a Pod counts when its phase is Running and its Ready condition
is True, as ``kubectl get pods`` shows ``1/1 Running``; readiness gates and
per-container restarts beyond what a check names are not looked at.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from kcourse.sim.cri import image_repository

from .model import Reader

__all__ = [
    "controlled_pods",
    "deployment_problems",
    "node_names",
    "pod_state",
    "ready",
    "service_problems",
    "the_object",
]


def _condition(obj: dict, ctype: str) -> dict:
    for c in (obj.get("status") or {}).get("conditions") or []:
        if c.get("type") == ctype:
            return c
    return {}


def ready(pod: dict) -> bool:
    """Running, Ready, and not being deleted."""
    return (
        not pod["metadata"].get("deletionTimestamp")
        and (pod.get("status") or {}).get("phase") == "Running"
        and _condition(pod, "Ready").get("status") == "True"
    )


def pod_state(pod: dict) -> str:
    """Why a Pod is not Running and Ready, as ``kubectl get``/``describe`` would show it."""
    name = pod["metadata"]["name"]
    status = pod.get("status") or {}
    if pod["metadata"].get("deletionTimestamp"):
        return f"pod {name} is Terminating"
    scheduled = _condition(pod, "PodScheduled")
    if not pod["spec"].get("nodeName"):
        why = scheduled.get("message") or "it has not been scheduled yet"
        return f"pod {name} is Pending: {why}"
    for cs in status.get("containerStatuses") or []:
        waiting = (cs.get("state") or {}).get("waiting")
        if waiting:
            return f"pod {name} on {pod['spec']['nodeName']} is waiting: {waiting.get('reason', '')}".rstrip(
                ": "
            )
        terminated = (cs.get("state") or {}).get("terminated")
        if terminated:
            return (
                f"pod {name} on {pod['spec']['nodeName']}: container {cs['name']} terminated "
                f"({terminated.get('reason', '')}, exit code {terminated.get('exitCode')})"
            )
    if status.get("phase") != "Running":
        return f"pod {name} on {pod['spec']['nodeName']} is {status.get('phase') or 'Pending'}"
    return f"pod {name} on {pod['spec']['nodeName']} is Running but not Ready"


def the_object(
    reader: Reader, resource: str, kind: str, name: str, namespace: str | None, uid: str
) -> tuple[dict | None, list[str]]:
    """The object if it is the challenge's own (same uid), else None and why not."""
    obj = reader.get(resource, name, namespace)
    where = f' in namespace "{namespace}"' if namespace else ""
    if obj is None:
        return None, [
            (
                f'{kind} "{name}"{where} is gone: it was deleted, and the challenge is about the original '
                "one (press Reset to start again)"
            )
        ]
    if obj["metadata"]["uid"] != uid:
        return None, [
            (
                f'{kind} "{name}"{where} is a new object with the same name (its uid changed): the original '
                "was deleted, and the challenge is about the original one (press Reset to start again)"
            )
        ]
    return obj, []


def controlled_pods(
    reader: Reader, namespace: str, owner_uid: str, via_replicasets: bool = True
) -> list[dict]:
    """Pods whose controller is ``owner_uid`` (a DaemonSet), or one of its ReplicaSets (a Deployment)."""
    owners = {owner_uid}
    if via_replicasets:
        owners = {
            rs["metadata"]["uid"]
            for rs in reader.list("replicasets", namespace)
            if any(
                r.get("uid") == owner_uid and r.get("controller")
                for r in rs["metadata"].get("ownerReferences") or []
            )
        }
    return [
        p
        for p in reader.list("pods", namespace)
        if any(
            r.get("uid") in owners and r.get("controller") for r in p["metadata"].get("ownerReferences") or []
        )
    ]


def deployment_problems(
    reader: Reader,
    namespace: str,
    name: str,
    uid: str,
    replicas: int,
    image: str,
    nodes: Iterable[str] | None = None,
    node_words: str = "",
) -> list[str]:
    """The Deployment is the original, wants ``replicas``, and exactly that many Pods of it are Ready.

    Every Pod that is not being deleted must be Running and Ready with the
    image repository ``image`` (a rollout still waiting on a Pending Pod is
    not finished), and with ``nodes``, run on one of them (``node_words``
    says which those are).
    """
    deployment, problems = the_object(reader, "deployments", "deployment.apps", name, namespace, uid)
    if deployment is None:
        return problems
    want = deployment["spec"].get("replicas", 1)
    if want < replicas:
        problems.append(f'deployment.apps "{name}" has spec.replicas {want}; it should run {replicas}')
    pods = [p for p in controlled_pods(reader, namespace, uid) if not p["metadata"].get("deletionTimestamp")]
    allowed = None if nodes is None else set(nodes)
    healthy = 0
    events: list[dict] | None = None
    for pod in sorted(pods, key=lambda p: p["metadata"]["name"]):
        name_ = pod["metadata"]["name"]
        if not ready(pod):
            state = pod_state(pod)
            if state.endswith("Running but not Ready"):
                events = reader.list("events", namespace) if events is None else events
                why = last_warning(events, pod)
                state += f" ({why})" if why else ""
            problems.append(state)
            continue
        images = [image_repository(c.get("image", "")) for c in pod["spec"].get("containers") or []]
        if any(i != image for i in images):
            problems.append(f"pod {name_} runs {', '.join(images)}, not {image}")
            continue
        if allowed is not None and pod["spec"].get("nodeName") not in allowed:
            problems.append(f"pod {name_} runs on {pod['spec'].get('nodeName')}, which is not {node_words}")
            continue
        healthy += 1
    if healthy < replicas and not problems:
        problems.append(f'deployment.apps "{name}" has {healthy} of {replicas} Pods Running and Ready')
    elif healthy < replicas:
        problems.append(f"{healthy} of {replicas} Pods are Running and Ready")
    return problems


def last_warning(events: list[dict], pod: dict) -> str:
    """The newest Warning event's message about ``pod`` (an ``Unhealthy`` probe, say), or ""."""
    uid = pod["metadata"]["uid"]
    mine = [
        e for e in events if e.get("type") == "Warning" and (e.get("involvedObject") or {}).get("uid") == uid
    ]
    if not mine:
        return ""
    newest = max(
        mine,
        key=lambda e: (
            e.get("lastTimestamp") or e.get("eventTime") or "",
            e["metadata"].get("resourceVersion", ""),
        ),
    )
    return f"{newest.get('reason', '')}: {newest.get('message', '')}".strip(": ")


def service_problems(
    reader: Reader, namespace: str, name: str, uid: str, pods: list[dict], port: int
) -> list[str]:
    """The Service is the original and its EndpointSlices list exactly ``pods``' IPs as ready, on ``port``."""
    service, problems = the_object(reader, "services", "service", name, namespace, uid)
    if service is None:
        return problems
    want = {p["status"]["podIP"] for p in pods if ready(p) and (p.get("status") or {}).get("podIP")}
    have: set[str] = set()
    ports: set[Any] = set()
    for s in reader.list("endpointslices", namespace):
        if (s["metadata"].get("labels") or {}).get("kubernetes.io/service-name") != name:
            continue
        for ep in s.get("endpoints") or []:
            if (ep.get("conditions") or {}).get("ready"):
                have.update(ep.get("addresses") or [])
        ports.update(p.get("port") for p in s.get("ports") or [])
    if not have:
        selector = ",".join(f"{k}={v}" for k, v in sorted((service["spec"].get("selector") or {}).items()))
        return [
            (
                f'service "{name}" has no ready endpoints: its selector {selector or "(none)"} matches no '
                "Ready Pod"
            )
        ]
    if have != want:
        missing, extra = sorted(want - have), sorted(have - want)
        if missing:
            problems.append(f'service "{name}" does not reach {", ".join(missing)}')
        if extra:
            problems.append(
                f'service "{name}" sends traffic to {", ".join(extra)}, which are not the Ready Pods '
                "of the Deployment"
            )
    if port not in ports:
        problems.append(
            f'service "{name}" forwards to port {", ".join(map(str, sorted(ports)))}, not to the Pods\' '
            f"port {port}"
        )
    return problems


def node_names(reader: Reader) -> list[str]:
    return sorted(n["metadata"]["name"] for n in reader.list("nodes"))
