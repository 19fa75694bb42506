"""deployment-controller: ReplicaSets per template, rolling updates within maxSurge/maxUnavailable, status."""

from __future__ import annotations

import collections
import json

import pytest
from test_replicaset import Lab, workload

import kcourse
from kcourse.sim.controllers.deployment import (
    POD_TEMPLATE_HASH,
    compute_hash,
    resolve_fenceposts,
    safe_encode_string,
)
from kcourse.sim.objects import deep_copy, parse_timestamp


@pytest.fixture
def lab(bare) -> Lab:
    return Lab(bare)


def deploy(lab, **spec):
    lab.create(workload("Deployment", **spec))
    return lab.controller("deployment-controller"), "default/web"


def edit(lab, change):
    d = deep_copy(lab.api.peek("deployments", "web", "default"))
    change(d)
    lab.api.update(d, user="kubectl")


def replica_sets(lab):
    return {rs["metadata"]["name"]: rs["spec"]["replicas"] for rs in lab.api.items("replicasets", "default")}


def condition(lab, ctype):
    st = lab.api.peek("deployments", "web", "default")["status"]
    return next(c for c in st["conditions"] if c["type"] == ctype)


def test_hash_is_fnv32a_rendered_with_safe_encode_string():
    assert safe_encode_string("0123456789") == "456789bcdf"
    template = {"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [{"name": "a", "image": "x"}]}}
    h = compute_hash(template)
    assert h == compute_hash(deep_copy(template)) and set(h) <= set("bcdfghjklmnpqrstvwxz2456789")
    assert compute_hash(template, 1) != h  # a collision count changes the name


def test_surge_rounds_up_and_unavailable_rounds_down():
    assert resolve_fenceposts("25%", "25%", 10) == (3, 2)
    assert resolve_fenceposts("25%", "25%", 3) == (1, 0)
    assert resolve_fenceposts(0, 0, 3) == (0, 1)


def test_creates_a_replica_set_named_after_the_template_hash(lab):
    ctl, key = deploy(lab)
    message, actions = lab.actions(lambda: ctl.sync_handler(key), user="deployment-controller")
    # The revision annotation with the Progressing condition in one status update (upstream's getNewReplicaSet
    # in pkg/controller/deployment/sync.go calls UpdateStatus for both: deploymentStatusStrategy keeps
    # annotations), then the rollout status (Available).
    assert actions == [
        "create replicasets",
        "create events",
        "update deployments/status",
        "update deployments/status",
    ]
    d = lab.api.peek("deployments", "web", "default")
    pod_hash = compute_hash(d["spec"]["template"])
    rs = lab.api.peek("replicasets", f"web-{pod_hash}", "default")
    assert rs["spec"]["replicas"] == 3
    assert rs["spec"]["selector"]["matchLabels"] == {"app": "web", POD_TEMPLATE_HASH: pod_hash}
    assert rs["spec"]["template"]["metadata"]["labels"] == {"app": "web", POD_TEMPLATE_HASH: pod_hash}
    assert rs["metadata"]["annotations"] == {
        "deployment.kubernetes.io/revision": "1",
        "deployment.kubernetes.io/desired-replicas": "3",
        "deployment.kubernetes.io/max-replicas": "4",
    }
    assert d["metadata"]["annotations"]["deployment.kubernetes.io/revision"] == "1"
    assert lab.events("ScalingReplicaSet") == [f"Scaled up replica set web-{pod_hash} from 0 to 3"]
    assert condition(lab, "Progressing")["reason"] == "NewReplicaSetCreated"
    assert condition(lab, "Progressing")["message"] == f'Created new replica set "web-{pod_hash}"'
    assert f"created replica set web-{pod_hash}" in message


def test_a_finished_rollout_is_available_and_complete(lab):
    deploy(lab)
    lab.settle()
    st = lab.api.peek("deployments", "web", "default")["status"]
    assert {
        k: st.get(k)
        for k in ("observedGeneration", "replicas", "updatedReplicas", "readyReplicas", "availableReplicas")
    } == {
        "observedGeneration": 1,
        "replicas": 3,
        "updatedReplicas": 3,
        "readyReplicas": 3,
        "availableReplicas": 3,
    }
    assert "unavailableReplicas" not in st
    assert (condition(lab, "Available")["reason"], condition(lab, "Available")["message"]) == (
        "MinimumReplicasAvailable",
        "Deployment has minimum availability.",
    )
    [rs] = replica_sets(lab)
    assert condition(lab, "Progressing")["message"] == f'ReplicaSet "{rs}" has successfully progressed.'
    assert condition(lab, "Progressing")["reason"] == "NewReplicaSetAvailable"


def test_does_nothing_when_the_rollout_is_complete(lab):
    ctl, key = deploy(lab)
    lab.settle()
    _, actions = lab.actions(lambda: ctl.sync_handler(key), user="deployment-controller")
    assert actions == []


def test_rolling_update_stays_within_max_surge_and_max_unavailable(lab):
    ctl, key = deploy(lab, replicas=4)
    lab.settle()
    [old] = replica_sets(lab)
    edit(lab, lambda d: d["spec"]["template"]["spec"]["containers"][0].update(image="nginx:1.28"))
    ctl.sync_handler(key)
    sizes = replica_sets(lab)
    [new] = [n for n in sizes if n != old]
    # One sync: the new ReplicaSet gets 1 (4 + maxSurge 1 Pods at most), the old loses 1 (maxUnavailable 1).
    assert sizes == {old: 3, new: 1}
    ctl.sync_handler(key)
    assert replica_sets(lab) == {old: 3, new: 2}  # back to 5 Pods in all
    ctl.sync_handler(key)
    assert replica_sets(lab) == {old: 3, new: 2}  # the new Pods are not available yet: wait
    lab.settle()
    assert replica_sets(lab) == {old: 0, new: 4}
    assert (
        lab.api.peek("deployments", "web", "default")["metadata"]["annotations"][
            "deployment.kubernetes.io/revision"
        ]
        == "2"
    )
    assert f"Scaled down replica set {old} from 4 to 3" in lab.events("ScalingReplicaSet")


def test_recreate_scales_the_old_replica_set_to_zero_first(lab):
    ctl, key = deploy(lab, strategy={"type": "Recreate"})
    lab.settle()
    [old] = replica_sets(lab)
    edit(lab, lambda d: d["spec"]["template"]["spec"]["containers"][0].update(image="nginx:1.28"))
    ctl.sync_handler(key)
    assert replica_sets(lab) == {old: 0}
    message = ctl.sync_handler(key)
    assert "waiting for the old Pods to terminate" in message and len(replica_sets(lab)) == 1
    lab.settle()
    assert sorted(replica_sets(lab).values()) == [0, 3]


def test_recreate_waits_for_terminating_old_pods_after_the_old_status_says_zero(lab):
    """recreate.go oldPodsRunning: a Pod of an old ReplicaSet that has not finished holds the new one back."""
    ctl, key = deploy(lab, strategy={"type": "Recreate"})
    lab.settle()
    [old] = replica_sets(lab)
    edit(lab, lambda d: d["spec"]["template"]["spec"]["containers"][0].update(image="nginx:1.28"))
    ctl.sync_handler(key)
    rs_ctl = lab.controller("replicaset-controller")
    rs_ctl.sync_handler(f"default/{old}")  # deletes the three Pods: terminating, still Running
    rs_ctl.sync_handler(f"default/{old}")
    assert lab.api.peek("replicasets", old, "default")["status"]["replicas"] == 0
    assert "waiting for the old Pods to terminate" in ctl.sync_handler(key)
    assert list(replica_sets(lab)) == [old]
    terminating = [p for p in lab.pods() if p["metadata"].get("deletionTimestamp")]
    assert len(terminating) == 3
    for pod in terminating[:2]:
        lab.api.delete("pods", pod["metadata"]["name"], "default", grace_period_seconds=0, user="kubelet")
    last = deep_copy(lab.api.peek("pods", terminating[2]["metadata"]["name"], "default"))
    last["status"]["phase"] = "Failed"  # a finished Pod no longer counts, even before it is gone
    lab.api.update_status(last, user="kubelet")
    assert "waiting for the old Pods" not in ctl.sync_handler(key)
    assert len(replica_sets(lab)) == 2


def test_scaling_mid_rollout_is_proportional(lab):
    ctl, key = deploy(lab, replicas=10)
    lab.settle()
    [old] = replica_sets(lab)
    edit(lab, lambda d: d["spec"]["template"]["spec"]["containers"][0].update(image="nginx:1.28"))
    ctl.sync_handler(key)
    before = replica_sets(lab)
    [new] = [n for n in before if n != old]
    assert before == {old: 8, new: 3}
    edit(lab, lambda d: d["spec"].update(replicas=20))
    message = ctl.sync_handler(key)
    assert message.startswith("scaling event")
    after = replica_sets(lab)
    assert sum(after.values()) == 20 + 5 and after[old] > 8 and after[new] > 3


def test_a_paused_deployment_does_not_roll_out(lab):
    ctl, key = deploy(lab)
    lab.settle()
    edit(
        lab,
        lambda d: (
            d["spec"].update(paused=True),
            d["spec"]["template"]["spec"]["containers"][0].update(image="nginx:1.28"),
        ),
    )
    message = ctl.sync_handler(key)
    assert message.startswith("paused")
    assert len(replica_sets(lab)) == 1
    assert (condition(lab, "Progressing")["reason"], condition(lab, "Progressing")["message"]) == (
        "DeploymentPaused",
        "Deployment is paused",
    )


def test_old_replica_sets_beyond_the_history_limit_are_deleted(lab):
    deploy(lab, replicas=1, revisionHistoryLimit=1)
    lab.settle()
    for tag in ("1.28", "1.29"):
        edit(lab, lambda d, t=tag: d["spec"]["template"]["spec"]["containers"][0].update(image=f"nginx:{t}"))
        lab.settle()
    revisions = sorted(
        rs["metadata"]["annotations"]["deployment.kubernetes.io/revision"]
        for rs in lab.api.items("replicasets", "default")
    )
    assert revisions == ["2", "3"]


def test_a_learner_scales_updates_and_deletes_a_deployment(lab):
    lab.create(workload("Deployment", replicas=3))
    lab.settle()
    assert len(lab.pods()) == 3
    edit(lab, lambda d: d["spec"].update(replicas=5))
    lab.settle()
    assert len(lab.pods()) == 5
    edit(lab, lambda d: d["spec"].update(replicas=2))
    lab.settle()
    assert len(lab.pods()) == 2
    edit(lab, lambda d: d["spec"]["template"]["spec"]["containers"][0].update(image="nginx:1.28"))
    lab.settle()
    assert {p["spec"]["containers"][0]["image"] for p in lab.pods()} == {"nginx:1.28"}
    assert len(lab.pods()) == 2
    lab.api.delete("deployments", "web", "default", user="kubectl")
    lab.settle()
    assert lab.api.items("replicasets", "default") == [] and lab.pods() == []


def test_a_deployment_adopts_a_matching_orphan_replicaset_and_leaves_other_owners_alone():
    import kcourse

    c = kcourse.Cluster(workers=1, addons=False, cloud=False, seed=0)
    template = {
        "metadata": {"labels": {"app": "web"}},
        "spec": {"containers": [{"name": "nginx", "image": "nginx:1.27"}]},
    }
    c.apply(
        {
            "apiVersion": "apps/v1",
            "kind": "ReplicaSet",
            "metadata": {"name": "web-orphan", "namespace": "default", "labels": {"app": "web"}},
            "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "web"}}, "template": template},
        }
    )
    c.kubectl("create deployment other --image=nginx:1.27")
    c.run_until_stable()
    c.apply(
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "web", "namespace": "default"},
            "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "web"}}, "template": template},
        }
    )
    c.run_until_stable()
    web_uid = c.api.peek("deployments", "web", "default")["metadata"]["uid"]
    owners = {
        rs["metadata"]["name"]: [r["uid"] for r in rs["metadata"].get("ownerReferences", [])]
        for rs in c.api.items("replicasets", "default")
    }
    assert owners["web-orphan"] == [web_uid]
    other = [name for name in owners if name.startswith("other-")]
    assert other and all(owners[name] != [web_uid] for name in other)


# --- progress deadline: re-checks without a sync storm ---------------------------------------------------
#
# Upstream: pkg/controller/deployment/progress.go (syncRolloutStatus, requeueStuckDeployment) and
# pkg/controller/deployment/util/deployment_util.go (DeploymentTimedOut answers no for a
# NewReplicaSetAvailable condition; DeploymentComplete).


def _stuck_web(progress_deadline: int) -> dict:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "default"},
        "spec": {
            "replicas": 2,
            "progressDeadlineSeconds": progress_deadline,
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {"containers": [{"name": "nginx", "image": "nginx:0.0-missing"}]},
            },
        },
    }


def _progressing(cluster) -> dict:
    st = cluster.api.peek("deployments", "web", "default")["status"]
    return next(c for c in st["conditions"] if c["type"] == "Progressing")


def test_a_rollout_that_makes_no_progress_times_out_once_its_deadline_passes(cluster):
    cluster.fail_image_pull("nginx:0.0-missing")
    cluster.apply(_stuck_web(30))
    cluster.advance(20)
    last_progress = parse_timestamp(_progressing(cluster)["lastUpdateTime"])
    events = cluster.advance(40)
    cond = _progressing(cluster)
    rs = cluster.api.items("replicasets", "default")[0]["metadata"]["name"]
    assert (cond["status"], cond["reason"], cond["message"]) == (
        "False",
        "ProgressDeadlineExceeded",
        f'ReplicaSet "{rs}" has timed out progressing.',
    )
    # Marked within a second after the deadline (the check is queued for lastUpdateTime + 30 s + 1 s) ...
    timed_out = next(
        e
        for e in events
        if e.component == "deployment-controller" and "ProgressDeadlineExceeded" in e.message
    )
    assert 30 < timed_out.time - last_progress <= 32
    # ... by one sync for the check, not a loop polling towards it.
    syncs = [e for e in events if e.component == "deployment-controller"]
    assert len(syncs) <= 10, "\n".join(map(str, syncs))


def test_a_finished_rollout_that_loses_a_pod_is_not_rechecked_over_and_over(cluster):
    """After a node failure a complete Deployment (NewReplicaSetAvailable) lacks a Pod for minutes; its
    deadline can no longer fire, so nothing requeues it: it syncs when its ReplicaSet changes."""
    cluster.kubectl("create deployment web --image=nginx:1.27 --replicas=3")
    cluster.run_until_stable()
    cluster.advance(700)  # the Progressing condition is now older than progressDeadlineSeconds (600)
    key = "default/web"
    node = cluster.api.items("pods", "default")[0]["spec"]["nodeName"]
    cluster.fail_node(node)
    events = cluster.run_until_stable()
    deployment_syncs = [e for e in events if e.component == "deployment-controller" and e.key == key]
    assert _progressing(cluster)["reason"] == "NewReplicaSetAvailable"
    assert len(deployment_syncs) <= 20, f"{len(deployment_syncs)} syncs of {key}"
    ctl = (
        cluster.machines["master-1"].component("kube-controller-manager").controller("deployment-controller")
    )
    assert key not in ctl.queue._waiting


def test_the_second_node_failure_of_the_controllers_chapter_settles_in_a_few_hundred_events():
    """The chapter's cluster loses worker-2, settles, then loses worker-1: the Deployments lack Pods for
    five minutes (until their tolerations run out), which used to requeue them every 5 ms (34,972 syncs
    that wrote nothing, 35,929 events).  Now the run is the heartbeats plus the actual work."""
    c = kcourse.Cluster(masters=1, workers=3, seed=0)
    c.kubectl("create deployment web --image=nginx:1.27 --replicas=3")
    c.run_until_stable()
    c.fail_node("worker-2")
    c.advance(400)
    c.run_until_stable()
    c.fail_node("worker-1")
    events = c.run_until_stable()
    by_component = collections.Counter(e.component for e in events)
    assert by_component["deployment-controller"] <= 30, by_component
    heartbeats = sum(
        n
        for comp, n in by_component.items()
        if comp in ("kube-scheduler", "kube-controller-manager", "cloud-controller-manager")
    )
    assert len(events) - heartbeats <= 500, by_component.most_common(10)
    assert convergence(c) == {"web": 3}


def convergence(c) -> dict[str, int]:
    return {
        d["metadata"]["name"]: (d.get("status") or {}).get("availableReplicas", 0)
        for d in c.api.items("deployments", "default")
    }


def test_a_null_written_past_the_api_is_read_as_go_reads_it_and_the_rollout_stays_put(bare):
    """Bytes written straight into etcd reach the controllers as the watch cache decodes them into Go types
    (k8s.io/apiserver/pkg/storage/cacher decodes every value with the scheme's codec): a ``"value": null``
    is the empty string, which an env var omits.  Read raw instead, the Deployment's template never equals
    the ReplicaSet the server stored from it, and the controller made a new ReplicaSet every sync."""
    body = workload("Deployment", replicas=1)
    body["spec"]["template"]["spec"]["containers"][0]["env"] = [{"name": "MODE", "value": "x"}]
    bare.api.create(body, user="admin")
    bare.run_until_stable()
    [rs] = bare.api.items("replicasets", "default")
    key = "/registry/deployments/default/web"
    stored = json.loads(bare.etcd.get(key).value)
    stored["spec"]["template"]["spec"]["containers"][0]["env"] = [{"name": "MODE", "value": None}]
    bare.etcd.put(key, json.dumps(stored))
    bare.run_until_stable(timeout=120)
    names = [r["metadata"]["name"] for r in bare.api.items("replicasets", "default")]
    assert len(names) == 2 and rs["metadata"]["name"] in names  # one rollout to the env var without a value
    cached = bare.api.peek("deployments", "web", "default")
    assert cached["spec"]["template"]["spec"]["containers"][0]["env"] == [{"name": "MODE"}]
