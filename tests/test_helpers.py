"""kcourse.helpers: the named questions notebook cells ask instead of lambdas and next(...)."""

from __future__ import annotations

import pytest

import kcourse
from kcourse import helpers

FLAKY = """
apiVersion: v1
kind: Pod
metadata: {name: flaky}
spec:
  containers:
  - {name: app, image: busybox:1.36, command: [sh, -c, "sleep %d; exit 1"]}
"""


@pytest.fixture(scope="module")
def cluster() -> kcourse.Cluster:
    c = kcourse.Cluster(seed=0)
    c.kubectl("create deployment web --image=nginx:1.27 --replicas=3")
    c.run_until_stable()
    return c


def test_only_keeps_the_events_matching_every_criterion(cluster):
    kubelet = helpers.only(cluster.events, component="kubelet", verb="update")
    assert kubelet and all(e.component == "kubelet" and e.verb == "update" for e in kubelet)
    assert helpers.only(cluster.events) == list(cluster.events)
    assert helpers.only(cluster.events, component="kubelet", text="no such text anywhere") == []


def test_first_names_what_was_asked_when_nothing_matches(cluster):
    bind = helpers.first(cluster.events, verb="bind")
    assert bind.component == "kube-scheduler"
    with pytest.raises(LookupError, match="no event with component='nobody'"):
        helpers.first(cluster.events, component="nobody")


def test_a_pod_picks_by_label_and_node_in_name_order(cluster):
    web = helpers.pods(cluster, "app=web")
    assert [p["metadata"]["name"] for p in web] == sorted(p["metadata"]["name"] for p in web) and len(
        web
    ) == 3
    first = helpers.a_pod(cluster, "app=web")
    assert first == web[0]
    node = first["spec"]["nodeName"]
    assert helpers.a_pod(cluster, "app=web", not_on=node)["spec"]["nodeName"] != node
    assert helpers.a_pod(cluster, "app=web", on=node)["spec"]["nodeName"] == node
    assert helpers.node_of(cluster, first["metadata"]["name"]) == node
    assert helpers.pod_ip(cluster, first["metadata"]["name"]) == first["status"]["podIP"]
    with pytest.raises(LookupError, match="no Pod matches app=nothing in namespace default"):
        helpers.a_pod(cluster, "app=nothing")


def test_grep_keeps_the_lines_with_every_word():
    text = "-A KUBE-SVC-X default/web -> a\n-A KUBE-SEP-Y default/web\n-A KUBE-SVC-Z default/db -> b"
    assert helpers.grep(text, "KUBE-SVC", "default/web") == "-A KUBE-SVC-X default/web -> a"


def test_node_statuses_reads_kubectls_status_column(cluster):
    assert helpers.node_statuses(cluster) == "master-1=Ready worker-1=Ready worker-2=Ready worker-3=Ready"


def test_runtime_tables_list_what_the_nodes_runtime_reports(cluster):
    pod = helpers.a_pod(cluster, "app=web")
    name, node = pod["metadata"]["name"], pod["spec"]["nodeName"]
    table = helpers.runtime_containers(cluster, node, pod=name).splitlines()
    assert table[0].split() == ["CONTAINER", "NAME", "STATE", "ATTEMPT", "POD"]
    assert len(table) == 2 and table[1].split()[1:] == ["nginx", "CONTAINER_RUNNING", "0", name]
    assert "docker.io/library/nginx:1.27" in helpers.runtime_images(cluster, node)
    assert helpers.sandbox_of(cluster, name).metadata.name == name


def test_scheduling_decision_shows_the_filter_and_the_scores(cluster):
    pod = helpers.a_pod(cluster, "app=web")
    text = helpers.scheduling_decision(cluster, pod["metadata"]["name"])
    assert "filtered out master-1: node(s) had untolerated taint" in text
    assert f"chosen: {pod['spec']['nodeName']}" in text
    with pytest.raises(LookupError):
        helpers.scheduling_decision(cluster, "no-such-pod")


def test_replace_pod_changes_an_immutable_field_and_can_run_again():
    """Applying a changed command is refused (422); replacing the Pod works, as often as you like."""
    c = kcourse.Cluster(seed=1)
    helpers.replace_pod(c, FLAKY % 5)
    c.advance(30)
    with pytest.raises(kcourse.ApiError) as refused:
        c.apply(FLAKY % 1)
    assert refused.value.code == 422
    before = c.get("pods", "flaky")["metadata"]["uid"]
    helpers.replace_pod(c, FLAKY % 1)
    helpers.replace_pod(c, FLAKY % 1)
    pod = c.get("pods", "flaky")
    assert pod["metadata"]["uid"] != before
    assert pod["spec"]["containers"][0]["command"][-1] == "sleep 1; exit 1"


def test_replace_pod_takes_one_pod_and_changes_nothing_otherwise(cluster):
    revision = cluster.etcd.revision
    with pytest.raises(ValueError, match="exactly one Pod"):
        helpers.replace_pod(cluster, {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}})
    assert cluster.etcd.revision == revision
