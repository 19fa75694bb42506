"""The kubelet's heartbeats: the Node's status posted on change or every five minutes, the Lease every 10 s.

Upstream: ``pkg/kubelet/kubelet_node_status.go`` (``updateNodeStatus`` / ``tryUpdateNodeStatus``: the
status is computed every ``nodeStatusUpdateFrequency``, 10 s, and posted only when it changed or
``nodeStatusReportFrequency``, 5 min, has passed) and ``pkg/kubelet/nodelease`` (the Lease's
``renewTime`` renewed every 10 s).
"""

from __future__ import annotations

import itertools

import kcourse


def small() -> kcourse.Cluster:
    return kcourse.Cluster(masters=1, workers=1, addons=False, seed=0)


def watch_status_posts(c: kcourse.Cluster, node: str) -> list[float]:
    """The times at which ``node``'s status is written from now on (a watch, as a controller sees it)."""
    posts: list[float] = []
    rv = c.api.peek("nodes", node)["metadata"]["resourceVersion"]

    def seen(_type: str, obj: dict) -> None:
        if obj["metadata"]["name"] == node:
            posts.append(c.now)

    c.api.watch("nodes", seen, resource_version=rv)
    return posts


def test_an_unchanged_node_status_is_posted_every_five_minutes_only():
    c = small()
    before = c.api.peek("nodes", "worker-1")
    posts = watch_status_posts(c, "worker-1")
    c.run(until=c.now + 1000)
    assert len(posts) == 3
    assert all(300 <= later - earlier <= 310 for earlier, later in itertools.pairwise(posts))
    after = c.api.peek("nodes", "worker-1")
    ready = next(x for x in after["status"]["conditions"] if x["type"] == "Ready")
    ready_before = next(x for x in before["status"]["conditions"] if x["type"] == "Ready")
    assert ready["status"] == "True" and ready["lastTransitionTime"] == ready_before["lastTransitionTime"]
    assert ready["lastHeartbeatTime"] > ready_before["lastHeartbeatTime"]


def test_a_newly_pulled_image_is_posted_at_the_next_status_update_not_five_minutes_later():
    c = small()
    c.run(until=c.now + 30)  # past the first posts
    start = c.now
    posts = watch_status_posts(c, "worker-1")
    c.apply(
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": "web"},
            "spec": {"nodeName": "worker-1", "containers": [{"name": "app", "image": "redis:7.4"}]},
        }
    )

    def has_redis() -> bool:
        node = c.api.peek("nodes", "worker-1")
        return any("docker.io/library/redis:7.4" in i["names"] for i in node["status"].get("images") or [])

    assert not has_redis()
    assert c.run_until(has_redis, start + 120)
    assert posts and posts[-1] - start < 120


def test_a_lease_renewal_writes_a_new_version_and_leaves_the_one_it_read_as_it_was():
    c = small()
    c.run(until=c.now + 15)
    old = c.api.peek("leases", "worker-1", "kube-node-lease")
    snapshot = kcourse.sim.objects.deep_copy(old)
    c.run(until=c.now + 10)
    new = c.api.peek("leases", "worker-1", "kube-node-lease")
    assert old == snapshot  # the version read is never changed in place
    assert int(new["metadata"]["resourceVersion"]) > int(old["metadata"]["resourceVersion"])
    assert new["spec"]["renewTime"] > old["spec"]["renewTime"]
    assert {k: v for k, v in new["spec"].items() if k != "renewTime"} == {
        k: v for k, v in old["spec"].items() if k != "renewTime"
    }
    assert list(new["spec"]) == list(old["spec"])
