"""replicaset-controller: one sync_handler call at a time, then a learner's session.

The ``Lab`` helper stands in for what is not under test (kubectl, the
scheduler and kubelet for a Pod) and records the API requests one
``sync_handler`` call makes; the other workload-controller tests import it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from kcourse.sim.controllers.controller_utils import (
    ControllerExpectations,
    rank_pods_for_deletion,
    slow_start_batch,
)
from kcourse.sim.errors import ApiError
from kcourse.sim.objects import deep_copy, timestamp


class Lab:
    def __init__(self, cluster: Any):
        self.cluster = cluster
        self.api = cluster.api
        self.kcm = next(
            c for c in cluster.machines["master-1"].components if c.name == "kube-controller-manager"
        )

    def controller(self, name: str) -> Any:
        return self.kcm.controller(name)

    def actions(self, fn: Callable[[], Any], user: str | None = None) -> tuple[Any, list[str]]:
        """Run ``fn`` and list the write requests it made, as ``verb resource[/subresource]``."""
        start = self.api.request_seq
        result = fn()
        out = [
            f"{r.verb} {r.resource}{'/' + r.subresource if r.subresource else ''}"
            for r in self.api.recent_requests
            if r.seq > start and r.verb not in ("get", "list", "watch") and (user is None or r.user == user)
        ]
        return result, out

    def create(self, obj: dict) -> dict:
        return self.api.create(deep_copy(obj), user="kubectl")

    def node(self, name: str, taints: list[dict] | None = None, labels: dict | None = None) -> dict:
        md = {"name": name, "labels": {"kubernetes.io/hostname": name, **(labels or {})}}
        return self.api.create(
            {"apiVersion": "v1", "kind": "Node", "metadata": md, "spec": {"taints": taints or []}},
            user="kubelet",
        )

    def run_pod(
        self, pod: dict, node: str = "worker-1", ready: bool = True, ready_at: float | None = None
    ) -> dict:
        """Bind the Pod and report it Running (and Ready): what the scheduler and kubelet would do."""
        md = pod["metadata"]
        current = self.api.peek("pods", md["name"], md["namespace"])
        if not current["spec"].get("nodeName"):
            current = self.api.bind(md["namespace"], md["name"], node, user="kube-scheduler")
        copy = deep_copy(current)
        when = timestamp(self.cluster.now if ready_at is None else ready_at)
        copy["status"]["phase"] = "Running"
        copy["status"]["conditions"] = [
            c for c in copy["status"].get("conditions") or [] if c["type"] != "Ready"
        ] + [
            {
                "type": "Ready",
                "status": "True" if ready else "False",
                "lastProbeTime": None,
                "lastTransitionTime": when,
            }
        ]
        return self.api.update_status(copy, user="kubelet")

    def run_all(self, namespace: str = "default", node: str = "worker-1") -> int:
        """Make every Pod that is not yet Ready Running and Ready; return how many changed."""
        n = 0
        for pod in list(self.api.items("pods", namespace)):
            if pod["metadata"].get("deletionTimestamp"):
                continue
            ready = any(
                c["type"] == "Ready" and c["status"] == "True" for c in pod["status"].get("conditions") or []
            )
            if not ready:
                self.run_pod(pod, node)
                n += 1
        return n

    def finish_terminating(self, namespace: str = "default") -> None:
        """The kubelet's part of a graceful delete: the terminating Pods are gone."""
        for pod in list(self.api.items("pods", namespace)):
            if pod["metadata"].get("deletionTimestamp"):
                self.api.delete(
                    "pods", pod["metadata"]["name"], namespace, grace_period_seconds=0, user="kubelet"
                )

    def settle(self, seconds: float = 3.0, rounds: int = 30, namespace: str = "default") -> None:
        """Let controllers act, with Pods becoming Ready and terminating Pods vanishing, until quiet."""
        for _ in range(rounds):
            self.cluster.run(until=self.cluster.now + seconds)
            self.finish_terminating(namespace)
            if not self.run_all(namespace):
                self.cluster.run(until=self.cluster.now + seconds)
                if not self.run_all(namespace):
                    return

    def pods(self, namespace: str = "default") -> list[dict]:
        return self.api.items("pods", namespace)

    def events(self, reason: str) -> list[str]:
        return [e["message"] for e in self.api.items("events") if e["reason"] == reason]


def workload(
    kind: str,
    name: str = "web",
    replicas: int | None = 3,
    image: str = "nginx:1.27",
    namespace: str = "default",
    **spec: Any,
) -> dict:
    body: dict[str, Any] = {
        "selector": {"matchLabels": {"app": name}},
        "template": {
            "metadata": {"labels": {"app": name}},
            "spec": {"containers": [{"name": "app", "image": image}]},
        },
    }
    if replicas is not None:
        body["replicas"] = replicas
    body.update(spec)
    return {
        "apiVersion": "apps/v1",
        "kind": kind,
        "metadata": {"name": name, "namespace": namespace},
        "spec": body,
    }


@pytest.fixture
def lab(bare: Any) -> Lab:
    return Lab(bare)


def rs_of(lab: Lab, replicas: int = 3, **spec: Any) -> tuple[Any, str]:
    lab.create(workload("ReplicaSet", replicas=replicas, **spec))
    return lab.controller("replicaset-controller"), "default/web"


def test_creates_missing_pods_in_slow_start_batches(lab):
    ctl, key = rs_of(lab, replicas=5)
    message, actions = lab.actions(lambda: ctl.sync_handler(key), user="replicaset-controller")
    assert actions == ["create pods", "create events"] * 5 + ["update replicasets/status"]
    assert message.startswith("desired 5, current 0: created web-")
    assert message.endswith("(slow-start batches 1, 2, 2)")


def test_slow_start_batches_double_and_stop_after_a_failing_batch():
    assert slow_start_batch(10, 1, lambda: None) == (10, [1, 2, 4, 3], None)
    calls = []

    def flaky() -> None:
        calls.append(1)
        if len(calls) == 3:
            raise ApiError(403, "Forbidden", "exceeded quota")

    ok, batches, err = slow_start_batch(10, 1, flaky)
    assert (ok, batches, str(err)) == (2, [1, 2], "exceeded quota")
    assert len(calls) == 3  # the third batch (4 pods) is never attempted


def test_pods_are_generate_named_labelled_and_owned(lab):
    ctl, key = rs_of(lab, replicas=1)
    ctl.sync_handler(key)
    [pod] = lab.pods()
    rs = lab.api.peek("replicasets", "web", "default")
    assert pod["metadata"]["generateName"] == "web-"
    assert pod["metadata"]["name"].startswith("web-") and len(pod["metadata"]["name"]) == len("web-") + 5
    assert pod["metadata"]["labels"] == {"app": "web"}
    assert pod["metadata"]["ownerReferences"] == [
        {
            "apiVersion": "apps/v1",
            "kind": "ReplicaSet",
            "name": "web",
            "uid": rs["metadata"]["uid"],
            "controller": True,
            "blockOwnerDeletion": True,
        }
    ]
    assert lab.events("SuccessfulCreate") == [f"Created pod: {pod['metadata']['name']}"]


def test_does_nothing_when_in_sync(lab):
    ctl, key = rs_of(lab, replicas=2)
    ctl.sync_handler(key)
    ctl.sync_handler(key)
    message, actions = lab.actions(lambda: ctl.sync_handler(key), user="replicaset-controller")
    assert actions == []
    assert "nothing to do" in message


def test_status_goes_through_the_status_subresource(lab):
    ctl, key = rs_of(lab, replicas=2)
    ctl.sync_handler(key)
    for pod in lab.pods():
        lab.run_pod(pod)
    ctl.sync_handler(key)
    status = lab.api.peek("replicasets", "web", "default")["status"]
    assert status == {
        "replicas": 2,
        "observedGeneration": 1,
        "fullyLabeledReplicas": 2,
        "readyReplicas": 2,
        "availableReplicas": 2,
    }


def test_available_waits_for_min_ready_seconds(lab):
    ctl, key = rs_of(lab, replicas=1, minReadySeconds=10)
    ctl.sync_handler(key)
    lab.run_pod(lab.pods()[0])
    ctl.sync_handler(key)
    assert lab.api.peek("replicasets", "web", "default")["status"].get("availableReplicas", 0) == 0
    lab.cluster.run(until=lab.cluster.now + 12)  # the controller re-checks after minReadySeconds (+1 s)
    assert lab.api.peek("replicasets", "web", "default")["status"]["availableReplicas"] == 1


def test_scale_down_deletes_unassigned_then_not_ready_pods_first(lab):
    ctl, key = rs_of(lab, replicas=3)
    ctl.sync_handler(key)
    a, b, c = lab.pods()
    lab.run_pod(a, ready=True)
    lab.run_pod(b, ready=False)  # c stays unassigned (Pending)
    rs = deep_copy(lab.api.peek("replicasets", "web", "default"))
    rs["spec"]["replicas"] = 1
    lab.api.update(rs, user="kubectl")
    message, actions = lab.actions(lambda: ctl.sync_handler(key), user="replicaset-controller")
    assert actions[:4] == ["delete pods", "create events", "delete pods", "create events"]
    assert message.endswith(f"deleted {c['metadata']['name']}, {b['metadata']['name']}")
    assert lab.events("SuccessfulDelete") == [
        f"Deleted pod: {c['metadata']['name']}",
        f"Deleted pod: {b['metadata']['name']}",
    ]


def test_ranking_prefers_newer_ready_pods_and_doubled_up_nodes(lab):
    now = 1000.0

    def pod(name: str, node: str, ready_at: float, created: float) -> dict:
        return {
            "metadata": {"name": name, "uid": name, "creationTimestamp": timestamp(created)},
            "spec": {"nodeName": node},
            "status": {
                "phase": "Running",
                "conditions": [
                    {"type": "Ready", "status": "True", "lastTransitionTime": timestamp(ready_at)}
                ],
            },
        }

    old, young = pod("old", "n1", 10, 0), pod("young", "n2", 990, 980)
    assert [p["metadata"]["name"] for p in rank_pods_for_deletion([old, young], {}, now)] == ["young", "old"]
    ranks = {"old": 2, "young": 1}  # old shares its node with a sibling: it goes first
    assert [p["metadata"]["name"] for p in rank_pods_for_deletion([old, young], ranks, now)] == [
        "old",
        "young",
    ]


def test_terminating_pods_are_not_active_and_get_replaced(lab):
    ctl, key = rs_of(lab, replicas=1)
    ctl.sync_handler(key)
    first = lab.run_pod(lab.pods()[0])
    lab.api.delete("pods", first["metadata"]["name"], "default", user="kubectl")  # graceful: still there
    message = ctl.sync_handler(key)
    assert message.startswith("desired 1, current 0: created web-")
    assert len(lab.pods()) == 2


def test_adopts_orphans_and_releases_pods_that_stop_matching(lab):
    lab.create(
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": "stray", "labels": {"app": "web"}},
            "spec": {"containers": [{"name": "app", "image": "nginx:1.27"}]},
        }
    )
    ctl, key = rs_of(lab, replicas=1)
    message, actions = lab.actions(lambda: ctl.sync_handler(key), user="replicaset-controller")
    assert "adopted stray" in message and "create pods" not in actions
    assert lab.api.peek("pods", "stray", "default")["metadata"]["ownerReferences"][0]["name"] == "web"
    stray = deep_copy(lab.api.peek("pods", "stray", "default"))
    stray["metadata"]["labels"] = {"app": "debug"}
    lab.api.update(stray, user="kubectl")
    message = ctl.sync_handler(key)
    assert "released stray" in message and "created web-" in message
    assert not lab.api.peek("pods", "stray", "default")["metadata"].get("ownerReferences")


def test_failed_creations_record_a_warning_and_a_replica_failure(lab):
    ctl, key = rs_of(lab, replicas=2)
    lab.api.delete("namespaces", "default", user="kubectl")  # Terminating: creations are forbidden
    with pytest.raises(ApiError) as err:
        ctl.sync_handler(key)
    assert str(err.value).startswith(
        'pods "web-" is forbidden: unable to create new content in namespace '
        "default because it is being terminated"
    )
    # Its FailedCreate Event would be created in the same terminating namespace: the API server refuses it
    # and client-go's recorder drops it ("will not retry!", tools/record/event.go recordEvent).
    assert lab.events("FailedCreate") == []
    [cond] = lab.api.peek("replicasets", "web", "default")["status"]["conditions"]
    assert (cond["type"], cond["reason"]) == ("ReplicaFailure", "FailedCreate")


def test_expectations_hold_back_a_second_count_until_observed_or_expired(bare):
    exp = ControllerExpectations(bare.clock)
    exp.set_expectations("default/web", 2, ["default/web-old"])
    assert not exp.satisfied("default/web")
    exp.creation_observed("default/web")
    exp.creation_observed("default/web")
    assert not exp.satisfied("default/web")
    exp.deletion_observed("default/web", "default/web-old")
    assert exp.satisfied("default/web")
    exp.expect_creations("default/web", 1)
    bare.advance(301)  # ExpectationsTimeout: five minutes
    assert exp.satisfied("default/web")


def test_a_learner_deletes_a_pod_and_the_replicaset_replaces_it(lab):
    lab.create(workload("ReplicaSet", replicas=3))
    lab.settle()
    names = sorted(p["metadata"]["name"] for p in lab.pods())
    assert len(names) == 3
    lab.api.delete("pods", names[0], "default", user="kubectl")
    lab.settle()
    after = sorted(p["metadata"]["name"] for p in lab.pods())
    assert len(after) == 3 and names[0] not in after
    assert lab.api.peek("replicasets", "web", "default")["status"]["readyReplicas"] == 3
