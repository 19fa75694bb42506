"""scheduling.k8s.io/v1 PriorityClass and the Priority admission plugin."""

from __future__ import annotations

import pytest

import kcourse
from kcourse.sim.errors import ApiError


@pytest.fixture
def cluster() -> kcourse.Cluster:
    return kcourse.Cluster(seed=0)


def pod(name: str, **spec) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": "default"},
        "spec": {"containers": [{"name": "c", "image": "nginx:1.27"}], **spec},
    }


def pclass(name: str, value: int, **fields) -> dict:
    return {
        "apiVersion": "scheduling.k8s.io/v1",
        "kind": "PriorityClass",
        "metadata": {"name": name},
        "value": value,
        **fields,
    }


def refused(cluster, obj: dict, code: int = 403) -> str:
    revision = cluster.api.etcd.revision
    with pytest.raises(ApiError) as err:
        cluster.api.create(obj)
    assert err.value.code == code
    assert cluster.api.etcd.revision == revision  # nothing written
    return str(err.value)


def test_the_api_server_creates_the_two_system_classes_at_start_up(cluster):
    """``SystemPriorityClasses`` (pkg/apis/scheduling/v1/helpers.go), created by the API server's
    post-start hook;
    the table is ``printPriorityClass``'s (pkg/printers/internalversion/printers.go)."""
    lines = cluster.kubectl("get pc").splitlines()
    assert lines[0].split() == ["NAME", "VALUE", "GLOBAL-DEFAULT", "AGE", "PREEMPTIONPOLICY"]
    assert [line.split()[:3] + line.split()[4:] for line in lines[1:]] == [
        ["system-cluster-critical", "2000000000", "false", "PreemptLowerPriority"],
        ["system-node-critical", "2000001000", "false", "PreemptLowerPriority"],
    ]
    node = cluster.api.get("priorityclasses", "system-node-critical")
    assert (
        node["description"] == "Used for system critical pods that must not be moved from their current node."
    )


def test_addons_get_the_priority_of_their_upstream_class(cluster):
    """The Priority plugin (plugin/pkg/admission/priority/admission.go) resolves priorityClassName at
    creation."""
    by_prefix = {}
    for p in cluster.api.items("pods", "kube-system"):
        by_prefix[p["metadata"]["name"].split("-")[0]] = (
            p["spec"].get("priorityClassName"),
            p["spec"]["priority"],
            p["spec"]["preemptionPolicy"],
        )
    assert by_prefix["coredns"] == ("system-cluster-critical", 2000000000, "PreemptLowerPriority")
    assert by_prefix["kube"] == ("system-node-critical", 2000001000, "PreemptLowerPriority")


def test_a_pod_naming_an_unknown_class_is_forbidden(cluster):
    assert refused(cluster, pod("p", priorityClassName="foo")) == (
        'pods "p" is forbidden: no PriorityClass with name foo was found'
    )


def test_a_generated_name_is_quoted_as_the_generate_name(cluster):
    """``admission.NewForbidden`` names the object by its generateName: no name was generated yet."""
    obj = pod("", priorityClassName="foo")
    obj["metadata"] = {"generateName": "web-", "namespace": "default"}
    assert refused(cluster, obj).startswith('pods "web-" is forbidden:')


def test_a_priority_the_user_sets_must_match_the_class(cluster):
    assert refused(cluster, pod("p", priority=1000)) == (
        'pods "p" is forbidden: the integer value of priority (1000) must not be provided in pod spec; '
        "priority "
        "admission controller computed 0 from the given PriorityClass name"
    )
    stored = cluster.api.create(pod("ok", priority=2000000000, priorityClassName="system-cluster-critical"))
    assert stored["spec"]["priority"] == 2000000000


def test_a_preemption_policy_the_class_contradicts_is_forbidden(cluster):
    assert refused(cluster, pod("p", preemptionPolicy="Never")) == (
        'pods "p" is forbidden: the string value of PreemptionPolicy (Never) must not be provided in '
        "pod spec; "
        "priority admission controller computed PreemptLowerPriority from the given PriorityClass name"
    )


def test_the_global_default_class_goes_to_pods_without_one(cluster):
    cluster.api.create(pclass("batch-low", 10, globalDefault=True, preemptionPolicy="Never"))
    stored = cluster.api.create(pod("p"))
    assert (
        stored["spec"]["priorityClassName"],
        stored["spec"]["priority"],
        stored["spec"]["preemptionPolicy"],
    ) == ("batch-low", 10, "Never")


def test_only_one_class_can_be_the_global_default(cluster):
    """``validatePriorityClass`` of the plugin: a second default, created or updated, is forbidden."""
    cluster.api.create(pclass("first", 10, globalDefault=True))
    assert refused(cluster, pclass("second", 20, globalDefault=True)) == (
        'priorityclasses.scheduling.k8s.io "second" is forbidden: PriorityClass first is already marked '
        "as default. "
        "Only one default can exist"
    )
    other = cluster.api.create(pclass("other", 30))
    with pytest.raises(ApiError) as err:
        cluster.api.update(dict(other, globalDefault=True))
    assert err.value.code == 403
    first = cluster.api.get("priorityclasses", "first")
    cluster.api.update(dict(first, description="still the default"))  # the default itself may be updated


def test_system_prefix_and_value_limits_are_validated(cluster):
    """``ValidatePriorityClass`` (pkg/apis/scheduling/validation/validation.go)."""
    assert refused(cluster, pclass("system-mine", 5), 422).endswith(
        "metadata.name: Forbidden: priority class names with 'system-' prefix are reserved for system "
        "use only. "
        "error: system-mine is not a known system priority class"
    )
    assert refused(cluster, pclass("huge", 1000000001), 422).endswith(
        "value: Forbidden: maximum allowed value of a user defined priority is 1000000000"
    )
    cluster.api.create(pclass("biggest", 1000000000))


def test_value_is_immutable(cluster):
    """``ValidatePriorityClassUpdate``."""
    pc = cluster.api.create(pclass("mid", 100))
    with pytest.raises(ApiError) as err:
        cluster.api.update(dict(pc, value=200))
    assert str(err.value).endswith("value: Forbidden: may not be changed in an update.")


def test_an_update_keeps_the_priority_admission_set(cluster):
    """``admitPod`` on update: a body without priority keeps the one creation computed."""
    stored = cluster.api.create(pod("p", priorityClassName="system-cluster-critical"))
    body = {
        **stored,
        "spec": {k: v for k, v in stored["spec"].items() if k not in ("priority", "preemptionPolicy")},
        "metadata": {**stored["metadata"], "labels": {"x": "y"}},
    }
    updated = cluster.api.update(body)
    assert updated["spec"]["priority"] == 2000000000


def test_kubectl_create_priorityclass(cluster):
    out = cluster.kubectl("create priorityclass high --value=1000 --description=important")
    assert out == "priorityclass.scheduling.k8s.io/high created\n"
    pc = cluster.api.get("priorityclasses", "high")
    assert (pc["value"], pc["description"], pc["preemptionPolicy"], "globalDefault" in pc) == (
        1000,
        "important",
        "PreemptLowerPriority",
        False,
    )
    assert cluster.kubectl("create pc huge --value=2000000000").startswith(
        'error: failed to create priorityclass: PriorityClass.scheduling.k8s.io "huge" is invalid: '
        "value: Forbidden"
    )


def test_a_high_priority_pod_preempts_a_low_priority_one(cluster):
    """DefaultPreemption reads ``spec.priority`` as the admission plugin computed it."""
    cluster.api.create(pclass("high", 1000))
    nodes = [n["metadata"]["name"] for n in cluster.api.items("nodes") if not n["spec"].get("taints")]
    for i, node in enumerate(nodes):
        cpu = cluster.api.get("nodes", node)["status"]["allocatable"]["cpu"]
        cluster.api.create(
            pod(
                f"low-{i}",
                nodeSelector={"kubernetes.io/hostname": node},
                containers=[{"name": "c", "image": "nginx:1.27", "resources": {"requests": {"cpu": cpu}}}],
            )
        )
    cluster.advance(30)
    big = cluster.api.get("nodes", nodes[0])["status"]["allocatable"]["cpu"]
    cluster.api.create(
        pod(
            "urgent",
            priorityClassName="high",
            nodeSelector={"kubernetes.io/hostname": nodes[0]},
            containers=[{"name": "c", "image": "nginx:1.27", "resources": {"requests": {"cpu": big}}}],
        )
    )
    cluster.advance(120)
    assert cluster.api.peek("pods", "low-0", "default") is None
    assert cluster.api.get("pods", "urgent", "default")["spec"].get("nodeName") == nodes[0]
