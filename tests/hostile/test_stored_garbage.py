"""Objects no API server would store, written straight into etcd: every component survives them.

The API server's door refuses a wrongly typed field, but etcd can still be
written past it (by hand, by a buggy client, by an older version).  Each
generated case takes a valid workload object, replaces one of its fields by
a value of another JSON type (or an unreadable string), and writes it
straight into etcd.  Whatever the components make of it, the cluster keeps
stepping: no exception reaches the caller, every process keeps running,
every periodic loop stays on the clock, and a healthy Deployment applied
afterwards (in a namespace of its own: one poisoned object may still fail
the syncs of its namespace's other objects, which are retried, not lost)
is scheduled, started and served (``k8s.io/apimachinery/pkg/util/
runtime/runtime.go``: ``HandleCrash``/``HandleError``; ``client-go``'s
``processNextWorkItem``).
"""

from __future__ import annotations

import copy
import gc
import json
from typing import Any

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

import kcourse
from kcourse.sim.resources import by_plural

from .test_components import _deployment, _ready, _service

#: Generated cases per run (derandomized: the same ones every time).
CASES = 40

_POD_SPEC: dict[str, Any] = {
    "containers": [
        {
            "name": "app",
            "image": "nginx",
            "ports": [{"containerPort": 80, "protocol": "TCP"}],
            "resources": {"requests": {"cpu": "100m", "memory": "64Mi"}, "limits": {"memory": "128Mi"}},
            "readinessProbe": {"httpGet": {"path": "/", "port": 80}, "periodSeconds": 5},
            "env": [{"name": "A", "value": "1"}],
        }
    ],
    "tolerations": [{"key": "k", "operator": "Exists", "effect": "NoSchedule"}],
    "nodeSelector": {"kubernetes.io/os": "linux"},
    "priority": 0,
    "terminationGracePeriodSeconds": 30,
}


def _originals() -> dict[str, dict]:
    """One valid object per resource, each a target of the mutations (all in namespace default)."""
    dep = _deployment("victim", maxSurge="25%", maxUnavailable=0)
    dep["spec"]["template"]["spec"] = json.loads(json.dumps(_POD_SPEC))
    ds = {
        "apiVersion": "apps/v1",
        "kind": "DaemonSet",
        "metadata": {"name": "victim", "namespace": "default"},
        "spec": {
            "selector": {"matchLabels": {"app": "victim-ds"}},
            "updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 1}},
            "template": {
                "metadata": {"labels": {"app": "victim-ds"}},
                "spec": json.loads(json.dumps(_POD_SPEC)),
            },
        },
    }
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "victim", "namespace": "default", "labels": {"app": "victim"}},
        "spec": json.loads(json.dumps(_POD_SPEC)),
    }
    svc = _service("victim", "NodePort")
    svc["spec"]["ports"][0]["name"] = "http"
    return {"deployments": dep, "daemonsets": ds, "pods": pod, "services": svc}


def _paths(obj: Any, prefix: tuple = ()) -> list[tuple]:
    """Every field below ``metadata.labels``, ``spec`` and ``status`` (names and namespaces stay: they are the
    key)."""
    out: list[tuple] = []
    if isinstance(obj, dict):
        for k, v in obj.items():
            path = (*prefix, k)
            if len(path) == 1 and k not in ("spec", "metadata"):
                continue
            if (
                path[:1] == ("metadata",)
                and len(path) >= 2
                and path[1] in ("name", "namespace", "uid", "resourceVersion")
            ):
                continue
            out.append(path)
            out.extend(_paths(v, path))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            out.append((*prefix, i))
            out.extend(_paths(v, (*prefix, i)))
    return out


#: Values of every other JSON type, and strings no field can read.
WRONG: list[Any] = [None, True, -1, 2.5, 10**30, "x", "abc%", "", [], [1, "a"], {}, {"a": {"b": 1}}]

_STORED: dict[str, kcourse.Cluster] = {}


def _cluster() -> kcourse.Cluster:
    """A stable cluster (kube-proxy, no optional addons) holding the valid originals, copied per case."""
    from properties.harness import _closures_copied, boot  # the fault schedules' faithful copy

    if "c" not in _STORED:
        c = boot(masters=1, workers=2, seed=5)
        c.apply(list(_originals().values()))
        c.run_until_stable()
        _STORED["c"] = c
    gc.disable()
    try:
        with _closures_copied():
            return copy.deepcopy(_STORED["c"])
    finally:
        gc.enable()


def _set(obj: Any, path: tuple, value: Any) -> None:
    for step in path[:-1]:
        obj = obj[step]
    obj[path[-1]] = value


@st.composite
def _mutations(draw: st.DrawFn) -> tuple[str, tuple, Any]:
    originals = _originals()
    resource = draw(st.sampled_from(sorted(originals)))
    stored = {"metadata": originals[resource]["metadata"], "spec": originals[resource]["spec"]}
    path = draw(st.sampled_from(_paths(stored)))
    return resource, path, draw(st.sampled_from(WRONG))


@settings(
    max_examples=CASES,
    derandomize=True,
    deadline=None,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=[HealthCheck.too_slow],
)
@given(mutation=_mutations())
def test_an_object_no_api_server_would_store_kills_no_component(mutation: tuple[str, tuple, Any]) -> None:
    resource, path, value = mutation
    c = _cluster()
    loops = {t.component for t in c.clock.pending() if t.background}
    key = f"{by_plural(resource).etcd_prefix}/default/victim"
    obj = json.loads(c.etcd.get(key).value)
    _set(obj, path, value)
    c.etcd.put(key, json.dumps(obj))
    c.run_until_stable(timeout=120)
    # A healthy workload applied afterwards, in a namespace of its own, is scheduled, started and served.
    probe, svc = _deployment("probe"), _service("probe")
    for obj in (probe, svc):
        obj["metadata"]["namespace"] = "probe"
    c.apply([{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "probe"}}, probe, svc])
    c.run_until_stable(timeout=300)
    for m in c.machines.values():
        for comp in m.components:
            assert comp.running, f"{comp.name} on {m.name} died of {resource} {path} = {value!r}"
    missing = loops - {t.component for t in c.clock.pending() if t.background}
    assert not missing, f"periodic loops gone after {resource} {path} = {value!r}: {sorted(missing)}"
    assert c.get("deployments", "probe", "probe")["status"].get("availableReplicas") == 2, c.kubectl(
        "get deploy,rs,pods -n probe -o wide"
    )
    ready = sorted(p["status"]["podIP"] for p in c.pods("probe") if _ready(p))
    eps = c.get("endpoints", "probe", "probe")
    assert len(ready) == 2
    assert sorted(a["ip"] for s in eps.get("subsets") or [] for a in s.get("addresses") or []) == ready
