"""Identical parts of cached objects are held once (kcourse/sim/serializer/shared.py).

The Pods of one ReplicaSet repeat its template; the watch cache keeps one copy of each repeated part and
every reader shares it, which is safe only because nobody changes what the cache holds (client-go's
listers: "All objects returned here must be treated as read-only"; the freeze debug mode checks it).
What a reader sees must not change: the same content, and a version's parts left alone where it shares
them with the version before.
"""

from __future__ import annotations

import pytest

import kcourse
from kcourse.sim.frozen import freeze
from kcourse.sim.serializer.shared import SharedParts

DEPLOYMENT = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: default}
spec:
  replicas: 3
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: web
        image: nginx:1.27
        ports: [{containerPort: 80}]
"""


def _pods(c: kcourse.Cluster) -> list[dict]:
    return [p for p in c.api.items("pods", "default") if p["metadata"]["name"].startswith("web-")]


@pytest.fixture
def web(cluster: kcourse.Cluster) -> kcourse.Cluster:
    cluster.apply(DEPLOYMENT)
    cluster.run_until_stable()
    return cluster


def test_the_pods_of_one_replicaset_share_their_template_parts(web: kcourse.Cluster) -> None:
    pods = _pods(web)
    assert len(pods) == 3
    first = pods[0]
    for pod in pods[1:]:
        for field, sub in (("spec", "containers"), ("spec", "tolerations"), ("metadata", "labels")):
            assert pod[field][sub] is first[field][sub]
            assert pod[field][sub] == first[field][sub]
        assert pod["metadata"]["ownerReferences"] is first["metadata"]["ownerReferences"]
        assert pod["metadata"]["name"] != first["metadata"]["name"]


def test_a_pod_whose_template_changed_does_not_change_the_others(web: kcourse.Cluster) -> None:
    before = {p["metadata"]["name"]: p["spec"]["containers"][0]["image"] for p in _pods(web)}
    web.kubectl("set image deployment/web web=nginx:1.28")
    web.run_until_stable()
    images = sorted(p["spec"]["containers"][0]["image"] for p in _pods(web))
    assert images == ["nginx:1.28"] * 3
    assert set(before.values()) == {"nginx:1.27"}
    new = _pods(web)
    assert new[0]["spec"]["containers"] is new[1]["spec"]["containers"] is new[2]["spec"]["containers"]


def test_a_status_update_keeps_the_parts_it_shares_with_the_version_before(web: kcourse.Cluster) -> None:
    pod = _pods(web)[0]
    containers, labels = pod["spec"]["containers"], pod["metadata"]["labels"]
    status = dict(pod["status"], message="looked at")
    updated = web.api.update_status(dict(pod, status=status), user="test")
    assert updated["metadata"]["resourceVersion"] != pod["metadata"]["resourceVersion"]
    assert updated["spec"]["containers"] is containers and updated["metadata"]["labels"] is labels


def _pod(**parts: object) -> dict:
    return {"metadata": {"name": "p"}, "spec": dict(parts), "status": {}}


def test_equal_parts_are_shared_and_parts_that_only_compare_equal_are_not() -> None:
    shared = SharedParts()
    a, b = _pod(securityContext={"runAsUser": 1}), _pod(securityContext={"runAsUser": 1})
    shared.share("pods", a, None)
    shared.share("pods", b, None)
    assert b["spec"]["securityContext"] is a["spec"]["securityContext"]
    for other in ({"runAsUser": True}, {"runAsUser": 1.0}, {"runAsUser": 2}):
        c = _pod(securityContext=other)
        shared.share("pods", c, None)
        assert c["spec"]["securityContext"] is other  # 1, true and 1.0 are different JSON
        assert type(c["spec"]["securityContext"]["runAsUser"]) is type(other["runAsUser"])


def test_a_parent_shared_with_the_version_before_is_never_written_to() -> None:
    shared = SharedParts()
    shared.share("pods", _pod(containers=[{"name": "a"}]), None)
    old = freeze(_pod(containers=[{"name": "a"}]), "Pod p")
    containers = old["spec"]["containers"]
    new = dict(old, metadata={"name": "p", "resourceVersion": "2"})
    shared.share("pods", new, old)
    assert new["spec"] is old["spec"] and old["spec"]["containers"] is containers


def test_other_resources_and_other_fields_are_left_alone() -> None:
    shared = SharedParts()
    first = {"metadata": {"labels": {"a": "b"}}, "data": {"k": "v"}}
    second = {"metadata": {"labels": {"a": "b"}}, "data": {"k": "v"}}
    shared.share("configmaps", first, None)
    shared.share("configmaps", second, None)
    assert second["metadata"]["labels"] is not first["metadata"]["labels"]
    p1, p2 = _pod(hostname="x"), _pod(hostname="x")
    p1["spec"]["overhead"], p2["spec"]["overhead"] = {"cpu": "1"}, {"cpu": "1"}
    shared.share("pods", p1, None)
    shared.share("pods", p2, None)
    assert p2["spec"]["overhead"] is not p1["spec"]["overhead"]


def test_the_table_forgets_the_least_recently_used_part_past_its_size() -> None:
    shared = SharedParts(size=2)
    parts = [_pod(nodeSelector={"zone": z}) for z in "abc"]
    for p in parts:
        shared.share("pods", p, None)
    again_a, again_c = _pod(nodeSelector={"zone": "a"}), _pod(nodeSelector={"zone": "c"})
    shared.share("pods", again_a, None)
    shared.share("pods", again_c, None)
    assert again_a["spec"]["nodeSelector"] is not parts[0]["spec"]["nodeSelector"]  # forgotten
    assert again_c["spec"]["nodeSelector"] is parts[2]["spec"]["nodeSelector"]
