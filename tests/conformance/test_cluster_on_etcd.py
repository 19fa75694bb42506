"""The same learner's scenario with the API server persisting to the embedded store and to a real etcd.

``Cluster(etcd="http://…")`` writes every object to a real etcd server.
The scenario — boot, apply a Deployment, scale it, delete a Pod, delete the
Deployment — must leave the same history of objects in both stores: the
same keys changed in the same order, with the same contents (resource
versions aside, since a fresh etcd starts counting at a different revision),
and the same number of revisions between writes.
"""

from __future__ import annotations

import json
from typing import Any

import kcourse
from kcourse.sim.etcd import prefix_end
from kcourse.sim.etcd_remote import RemoteEtcd

DEPLOYMENT = {
    "apiVersion": "apps/v1",
    "kind": "Deployment",
    "metadata": {"name": "web"},
    "spec": {
        "replicas": 2,
        "selector": {"matchLabels": {"app": "web"}},
        "template": {
            "metadata": {"labels": {"app": "web"}},
            "spec": {"containers": [{"name": "nginx", "image": "nginx:1.25"}]},
        },
    },
}


def _scenario(etcd: Any) -> list[tuple[str, str, int, Any]]:
    """Run the scenario; the store's history under /registry/ as (type, key, revision step, object)."""
    history: list = []
    c = kcourse.Cluster(masters=1, workers=1, addons=False, cloud=False, seed=0, etcd=etcd)
    start = c.etcd.revision
    c.etcd.watch("/registry/", history.extend, range_end=prefix_end("/registry/"))
    c.apply(DEPLOYMENT)
    c.run_until_stable()
    c.kubectl("scale deployment web --replicas=3")
    c.run_until_stable()
    pod = min(p["metadata"]["name"] for p in c.pods())
    c.kubectl(f"delete pod {pod}")
    c.run_until_stable()
    c.kubectl("delete deployment web")
    c.run_until_stable()
    out, last = [], start
    for ev in history:
        obj = json.loads(ev.kv.value) if ev.kv.value else None
        out.append((ev.type, ev.kv.key, ev.kv.mod_revision - last, obj))
        last = ev.kv.mod_revision
    return out


def test_a_deployment_scenario_leaves_the_same_history_in_real_etcd(etcd_url: str) -> None:
    embedded = _scenario(None)
    real = _scenario(etcd_url)
    server = RemoteEtcd(etcd_url)
    try:  # the objects really are in the server, not only in the client's events
        stored = {kv.key for kv in server.range("/registry/", prefix=True, keys_only=True)}
    finally:
        server.close()
    assert "/registry/namespaces/default" in stored and "/registry/minions/worker-1" in stored
    assert sum(1 for e in real if e[1].startswith("/registry/pods/default/web-")) > 10
    assert len(real) == len(embedded)
    assert [e[:2] for e in real] == [e[:2] for e in embedded]
    assert real == embedded
