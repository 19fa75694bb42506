"""replicaset-controller's Pod counters give what listing and checking every Pod gives.

Upstream's ``calculateStatus`` (pkg/controller/replicaset/replica_set_utils.go) lists the
ReplicaSet's Pods and counts replicas, fullyLabeledReplicas, readyReplicas and
availableReplicas (``podutil.IsPodAvailable``, pkg/api/v1/pod/util.go) on every sync; the
simulated controller keeps per-owner counters from the Pod informer's events instead.  These
tests drive seeded sequences of what learners and kubelets do to Pods and compare, after every
step, the counters with the listing way computed from the same informer cache.
"""

from __future__ import annotations

import random
from typing import Any

import pytest
from test_replicaset import Lab, workload

from kcourse.sim.controllers.controller_utils import is_pod_active, pods_by_owner
from kcourse.sim.labels import selector_from_spec
from kcourse.sim.objects import controller_of, deep_copy


@pytest.fixture
def lab(bare: Any) -> Lab:
    return Lab(bare)


def listed(ctl: Any, rs: dict) -> tuple[list[dict], list[dict]]:
    """The active Pods the ReplicaSet owns and the namespace's active orphans, from the cache."""
    uid = rs["metadata"]["uid"]
    active = [p for p in pods_by_owner(ctl.pod_informer, rs, include_orphans=True) if is_pod_active(p)]
    owned = [p for p in active if (controller_of(p) or {}).get("uid") == uid]
    orphans = [p for p in active if controller_of(p) is None]
    return owned, orphans


def check_counters(ctl: Any, key: str) -> bool:
    """Counters equal the listing way; return whether the no-claim path was taken."""
    rs = ctl.rs_informer.get(key)
    selector = selector_from_spec(rs["spec"].get("selector"))
    owned, orphans = listed(ctl, rs)
    record = ctl._claimed_without_changes(rs, selector)
    claim_changes = any(not selector.matches(p["metadata"].get("labels")) for p in owned) or any(
        selector.matches(p["metadata"].get("labels")) for p in orphans
    )
    assert (record is None) == claim_changes
    if record is None:
        return False
    assert sorted(record.keys) == sorted(f"default/{p['metadata']['name']}" for p in owned)
    assert ctl.read_counts(rs, record) == ctl.count_pods(rs, owned)
    return True


def edit(lab: Lab, pod: dict, change: Any) -> None:
    current = lab.api.peek("pods", pod["metadata"]["name"], "default")
    if current is None:
        return
    copy = deep_copy(current)
    change(copy)
    lab.api.update(copy, user="kubectl")


def random_step(lab: Lab, ctl: Any, key: str, rng: random.Random) -> None:
    pods = lab.pods()
    pod = rng.choice(pods) if pods else None
    op = rng.randrange(9)
    if op == 0 or pod is None:
        ctl.sync_handler(key)
    elif op == 1:
        lab.run_pod(
            pod,
            node=rng.choice(["worker-1", "worker-2"]),
            ready=rng.random() < 0.7,
            ready_at=lab.cluster.now - rng.choice([0, 3, 30]),
        )
    elif op == 2:
        edit(
            lab,
            pod,
            lambda p: p["metadata"].__setitem__(
                "labels", rng.choice([{"app": "web"}, {"app": "web", "extra": "1"}, {"app": "other"}, {}])
            ),
        )
    elif op == 3:
        lab.api.delete("pods", pod["metadata"]["name"], "default", user="kubectl")
    elif op == 4:
        lab.finish_terminating()
    elif op == 5:
        lab.create(
            {
                "apiVersion": "v1",
                "kind": "Pod",
                "metadata": {
                    "name": f"stray-{rng.randrange(10**6)}",
                    "labels": rng.choice([{"app": "web"}, {"app": "db"}]),
                },
                "spec": {"containers": [{"name": "app", "image": "nginx:1.27"}]},
            }
        )
    elif op == 6:
        current = lab.api.peek("pods", pod["metadata"]["name"], "default")
        copy = deep_copy(current)
        copy["status"]["phase"] = rng.choice(["Failed", "Succeeded", "Running"])
        lab.api.update_status(copy, user="kubelet")
    elif op == 7:
        rs = deep_copy(lab.api.peek("replicasets", "web", "default"))
        labels = rng.choice([{"app": "web"}, {"app": "web", "extra": "1"}])
        rs["spec"]["template"]["metadata"]["labels"] = labels
        rs["spec"]["replicas"] = rng.randrange(0, 6)
        lab.api.update(rs, user="kubectl")
    else:
        lab.cluster.advance(rng.choice([1, 4, 20]))


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("min_ready", [0, 5])
def test_counters_equal_listing_and_checking_every_pod(lab, seed, min_ready):
    lab.create(workload("ReplicaSet", replicas=4, minReadySeconds=min_ready))
    ctl, key = lab.controller("replicaset-controller"), "default/web"
    rng = random.Random(seed)
    fast = 0
    for _ in range(120):
        random_step(lab, ctl, key, rng)
        fast += check_counters(ctl, key)
    assert fast > 0


def test_a_restarted_controller_rebuilds_its_counters_from_the_cache(lab):
    lab.create(workload("ReplicaSet", replicas=3))
    lab.settle()
    old = lab.controller("replicaset-controller")
    fresh = type(old)(old.manager, old.informers)  # handlers replay the cache as adds
    rs = fresh.rs_informer.get("default/web")
    record = fresh.pod_counts.owned("default", rs["metadata"]["uid"])
    assert fresh.read_counts(rs, record) == (3, 3, 3, 3)
    assert check_counters(fresh, "default/web")


def test_status_counts_what_a_sync_saw_before_its_own_creations(lab):
    lab.create(workload("ReplicaSet", replicas=3))
    ctl = lab.controller("replicaset-controller")
    message = ctl.sync_handler("default/web")
    assert message.startswith("desired 3, current 0: created web-")
    assert lab.api.peek("replicasets", "web", "default")["status"] == {"replicas": 0, "observedGeneration": 1}
    ctl.sync_handler("default/web")
    assert lab.api.peek("replicasets", "web", "default")["status"]["replicas"] == 3


def test_a_pod_in_another_namespace_naming_the_replicaset_as_controller_is_not_counted(lab):
    """FilterPodsByOwner (pkg/controller/controller_utils.go) keeps the owner's namespace only."""
    lab.create(workload("ReplicaSet", replicas=2))
    ctl = lab.controller("replicaset-controller")
    ctl.sync_handler("default/web")
    rs = lab.api.peek("replicasets", "web", "default")
    lab.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "other"}})
    ref = {
        "apiVersion": "apps/v1",
        "kind": "ReplicaSet",
        "name": "web",
        "uid": rs["metadata"]["uid"],
        "controller": True,
    }
    lab.create(
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {
                "name": "forged",
                "namespace": "other",
                "labels": {"app": "web"},
                "ownerReferences": [ref],
            },
            "spec": {"containers": [{"name": "app", "image": "nginx:1.27"}]},
        }
    )
    assert check_counters(ctl, "default/web")
    assert ctl.sync_handler("default/web").startswith("desired 2, current 2: nothing to do")
