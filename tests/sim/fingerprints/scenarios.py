"""Seeded scenarios and what they produce, section by section: the simulation's fingerprint.

A restructuring of ``kcourse.sim`` must leave every byte a learner or a test can observe as it
was: the trace, the API requests each action made, etcd's contents and revision, the scheduler's
decisions, each node's ``iptables-save``, ``kubectl`` output and the Events.  Each section is
hashed separately, so a failure says *what* changed; ``python -m tests.sim.fingerprints --dump``
writes the full texts for a ``diff``.

The scenarios read the cluster only through what a learner uses (``kcourse.Cluster`` and its
methods, ``kubectl``, ``iptables_save``, the etcd store), so moving code inside ``kcourse.sim``
does not break them.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path

import kcourse
from kcourse.sim.kubeproxy import iptables_save

GOLDEN_DIR = Path(__file__).resolve().parent
#: Where a failed comparison leaves the full texts, one folder per scenario or notebook.
ARTIFACTS = GOLDEN_DIR.parents[2] / "test-artifacts" / "fingerprints"

#: kubectl commands whose output is part of the fingerprint (cluster-wide views and a few details).
KUBECTL = (
    "get nodes -o wide",
    "get pods -A -o wide",
    "get deployments,replicasets,daemonsets -A",
    "get services,endpoints -A",
    "get endpointslices -A",
    "get events -A",
    "get leases -n kube-system",
    "describe node worker-1",
    "top nodes",
)


def deployment(name: str, replicas: int, image: str = "nginx:1.25", cpu: str = "100m") -> dict:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": "default", "labels": {"app": name}},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {
                    "containers": [
                        {
                            "name": "web",
                            "image": image,
                            "ports": [{"containerPort": 80}],
                            "resources": {"requests": {"cpu": cpu, "memory": "32Mi"}},
                        }
                    ]
                },
            },
        },
    }


def service(name: str) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name, "namespace": "default"},
        "spec": {"selector": {"app": name}, "ports": [{"port": 80, "targetPort": 80}]},
    }


def chapter(c: kcourse.Cluster) -> None:
    """The chapter's cluster: a workload, a node that fails and comes back, a partitioned node."""
    c.apply(service("web"))
    c.apply(deployment("web", 6))
    c.run_until_stable()
    c.fail_node("worker-2")
    c.advance(400)
    c.recover_node("worker-2")
    c.run_until_stable()
    c.partition_node("worker-3")
    c.advance(120)
    c.heal_partition("worker-3")
    c.run_until_stable()


def notebook(c: kcourse.Cluster) -> None:
    """What the controller and kubelet notebooks do: roll out, scale, lose a Pod, crash a container."""
    c.apply(service("shop"))
    c.apply(deployment("shop", 3, image="nginx:1.25"))
    c.run_until_stable()
    c.apply(deployment("shop", 5, image="nginx:1.26"))
    c.run_until_stable()
    pod = min(p["metadata"]["name"] for p in c.pods() if p["metadata"]["name"].startswith("shop-"))
    c.kubectl(f"delete pod {pod}")
    c.run_until_stable()
    pod = max(p["metadata"]["name"] for p in c.pods() if p["metadata"]["name"].startswith("shop-"))
    c.crash_container(pod)
    c.run_until_stable()
    c.kubectl("scale deployment shop --replicas=2")
    c.run_until_stable()


def many(deployments: int, replicas: int) -> Callable[[kcourse.Cluster], None]:
    def run(c: kcourse.Cluster) -> None:
        for i in range(deployments):
            c.apply(service(f"app-{i:03d}"))
            c.apply(deployment(f"app-{i:03d}", replicas, cpu="10m"))
        c.run_until_stable(timeout=3_600)

    return run


#: name → (cluster options, what happens, the nodes whose iptables are fingerprinted)
SCENARIOS: dict[str, tuple[dict, Callable[[kcourse.Cluster], None], tuple[str, ...]]] = {
    "chapter": ({"masters": 1, "workers": 3, "seed": 0}, chapter, ("master-1", "worker-1", "worker-3")),
    "notebook": ({"masters": 1, "workers": 3, "seed": 7}, notebook, ("worker-1",)),
    "nodes40-pods1200": (
        {"masters": 1, "workers": 40, "seed": 3, "bootstrap": False},
        many(24, 50),
        ("worker-1", "worker-40"),
    ),
    "nodes130-pods2600": (
        {"masters": 1, "workers": 130, "seed": 5, "bootstrap": False, "cloud": False},
        many(26, 100),
        ("worker-7",),
    ),
}


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


class Recording:
    """What a cluster did, event by event: its trace and the API requests each action made.

    Built right after the cluster, it first takes what happened while booting (before anyone
    could listen), then listens to every later step.
    """

    def __init__(self, c: kcourse.sim.cluster.Cluster) -> None:
        self.cluster = c
        self.trace: list[str] = []
        self.requests: list[str] = []
        for ev in c.events:
            self.listen(ev)
        c.on_event(self.listen)

    def listen(self, ev: kcourse.sim.component.Event) -> None:
        self.trace.append(ev.one_line())
        self.requests.extend(
            f"{r.seq} {r.time:.3f} {r.user} {r.verb} {r.resource}/{r.subresource} "
            f"{r.namespace}/{r.name} {r.code}"
            for r in ev.requests
        )

    def sections(self, proxies: tuple[str, ...]) -> dict[str, str]:
        """Each section's full text now; ``proxies`` are the nodes whose iptables rules count."""
        c = self.cluster
        etcd = [
            f"{kv.key} {kv.create_revision} {kv.mod_revision} {kv.version} "
            f"{hashlib.sha256(kv.value).hexdigest()}"
            for kv in c.etcd.range("/", "\0")
        ]
        placement = sorted(
            f"{p['metadata']['namespace']}/{p['metadata']['name']} {p['spec'].get('nodeName', '')}"
            for p in c.pods(None)
        )
        sched = [line for line in self.trace if "kube-scheduler" in line]
        events = sorted(json.dumps(e, sort_keys=True) for e in c.api.items("events"))
        kubectl = [f"$ kubectl {cmd}\n{c.kubectl(cmd)}" for cmd in KUBECTL]
        return {
            "trace": "\n".join(self.trace),
            "requests": "\n".join(self.requests),
            "etcd": f"revision {c.etcd.revision}\n" + "\n".join(etcd),
            "scheduler": "\n".join(placement + sched),
            "iptables": "\n".join(f"# {n}\n{iptables_save(c, n)}" for n in proxies),
            "kubectl": "\n".join(kubectl),
            "events": "\n".join(events),
        }


def measure(name: str) -> dict[str, str]:
    """Run scenario ``name`` from scratch and return each section's full text."""
    options, run, proxies = SCENARIOS[name]
    c = kcourse.Cluster(**options)
    recording = Recording(c)
    run(c)
    return recording.sections(proxies)


def golden_path(name: str) -> Path:
    """A scenario's golden, or a chapter notebook's (under ``notebooks/``, named after the notebook)."""
    return GOLDEN_DIR / f"{name}.json" if name in SCENARIOS else GOLDEN_DIR / "notebooks" / f"{name}.json"


def digests(sections: dict[str, str]) -> dict[str, str]:
    return {section: _digest(text) for section, text in sections.items()}


def write_golden(name: str, sections: dict[str, str]) -> None:
    path = golden_path(name)
    path.parent.mkdir(exist_ok=True)
    path.write_text(json.dumps(digests(sections), indent=1, sort_keys=True) + "\n")


def read_golden(name: str) -> dict[str, str]:
    return json.loads(golden_path(name).read_text())


def assert_matches_golden(name: str, sections: dict[str, str]) -> None:
    """Every section of ``name`` hashes to its golden; else the full texts go to ``ARTIFACTS/name``."""
    got, want = digests(sections), read_golden(name)
    changed = sorted(s for s in want.keys() | got.keys() if want.get(s) != got.get(s))
    if changed:
        for section, text in sections.items():
            out = ARTIFACTS / name / f"{section}.txt"
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_text(text)
    assert not changed, (
        f"{name}: sections {', '.join(changed)} differ from the goldens; full texts in {ARTIFACTS / name}"
    )
