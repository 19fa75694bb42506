"""kube-scheduler's package: the framework's contract, the registry and profile, shared node affinity.

Upstream: ``pkg/scheduler/framework/interface.go`` (one interface per extension
point), ``pkg/scheduler/framework/plugins/registry.go`` and
``pkg/scheduler/apis/config/v1/default_plugins.go`` (the default profile),
``staging/src/k8s.io/component-helpers/scheduling/corev1/nodeaffinity/nodeaffinity.go``
(matching shared by the scheduler and the DaemonSet controller).
"""

import ast
import importlib
import itertools
import random
from pathlib import Path

import pytest

from kcourse.sim import nodeaffinity
from kcourse.sim.controllers.daemonset import node_should_run_daemon_pod
from kcourse.sim.scheduler import (
    DEFAULT_PROFILE,
    SKIP,
    BindPlugin,
    Cache,
    ClusterEvent,
    Code,
    CycleState,
    FilterPlugin,
    Framework,
    NodeInfo,
    Plugin,
    PluginSpec,
    PodInfo,
    PostFilterPlugin,
    PreFilterPlugin,
    PreScorePlugin,
    Profile,
    QueueSortPlugin,
    ReservePlugin,
    SchedulingQueue,
    ScoreExtensions,
    ScorePlugin,
    Status,
    new_in_tree_registry,
)

PACKAGE = Path(importlib.import_module("kcourse.sim.scheduler").__file__).parent

#: What each default plugin implements upstream (its ``var _ framework.XPlugin = &Y{}`` lines), as Protocols.
#: NodeName has a PreFilter here that upstream lacks (see its module's "Simplified").
EXTENSION_POINTS = {
    "PrioritySort": {QueueSortPlugin},
    "NodeUnschedulable": {FilterPlugin},
    "NodeName": {PreFilterPlugin, FilterPlugin},
    "TaintToleration": {FilterPlugin, PreScorePlugin, ScorePlugin, ScoreExtensions},
    "NodeAffinity": {PreFilterPlugin, FilterPlugin, PreScorePlugin, ScorePlugin, ScoreExtensions},
    "NodePorts": {PreFilterPlugin, FilterPlugin},
    "NodeResourcesFit": {PreFilterPlugin, FilterPlugin, ScorePlugin},
    "PodTopologySpread": {PreFilterPlugin, FilterPlugin, PreScorePlugin, ScorePlugin, ScoreExtensions},
    "DefaultPreemption": {PostFilterPlugin},
    "NodeResourcesBalancedAllocation": {ScorePlugin},
    "ImageLocality": {PreScorePlugin, ScorePlugin},
    "DefaultBinder": {BindPlugin},
}
PROTOCOLS = (
    QueueSortPlugin,
    PreFilterPlugin,
    FilterPlugin,
    PostFilterPlugin,
    PreScorePlugin,
    ScorePlugin,
    ScoreExtensions,
    ReservePlugin,
    BindPlugin,
)


def node(name, cpu="2", labels=None):
    alloc = {"cpu": cpu, "memory": "4Gi", "pods": "110"}
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {"name": name, "labels": {"kubernetes.io/hostname": name, **(labels or {})}},
        "spec": {},
        "status": {"capacity": dict(alloc), "allocatable": alloc},
    }


def pod(name, cpu=None, **spec):
    requests = {"cpu": cpu} if cpu else {}
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": "default", "uid": name},
        "spec": {
            "containers": [{"name": "c", "image": "nginx", "resources": {"requests": requests}}],
            **spec,
        },
    }


def framework(*nodes, **kw):
    cache = Cache()
    for n in nodes:
        cache.add_node(n)
    return Framework(cache, random.Random(0), **kw)


# --- the contract -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(EXTENSION_POINTS))
def test_every_default_plugin_satisfies_exactly_the_protocols_of_its_extension_points(name):
    plugin = framework().plugin(name)
    assert {proto for proto in PROTOCOLS if isinstance(plugin, proto)} == EXTENSION_POINTS[name]


def test_the_plugin_base_class_implements_no_extension_point():
    assert not any(isinstance(Plugin(), proto) for proto in PROTOCOLS)


def test_the_framework_places_plugins_on_extension_points_by_protocol_in_profile_order():
    fw = framework()
    assert [p.name for p in fw.filter_plugins] == [
        "NodeUnschedulable",
        "NodeName",
        "TaintToleration",
        "NodeAffinity",
        "NodePorts",
        "NodeResourcesFit",
        "PodTopologySpread",
    ]
    assert [p.name for p in fw.score_plugins] == [
        "TaintToleration",
        "NodeAffinity",
        "NodeResourcesFit",
        "PodTopologySpread",
        "NodeResourcesBalancedAllocation",
        "ImageLocality",
    ]
    assert [p.name for p in fw.post_filter_plugins] == ["DefaultPreemption"]
    assert [p.name for p in fw.bind_plugins] == ["DefaultBinder"]
    assert fw.queue_sort.name == "PrioritySort"


def test_status_codes_are_upstreams():
    assert [c.value for c in Code] == [
        "Success",
        "Error",
        "Unschedulable",
        "UnschedulableAndUnresolvable",
        "Wait",
        "Skip",
        "Pending",
    ]
    assert Status().ok and not Status().rejected
    assert Status.unresolvable("x").rejected and Status.unschedulable("x").rejected
    assert not Status.error("x").rejected and not Status.error("x").ok
    assert SKIP.skipped and not SKIP.ok and SKIP.code == Code.SKIP


def test_skip_is_a_status_at_pre_filter_and_pre_score_alike():
    fw = framework(node("w1"), node("w2"))
    plain = pod("plain")
    state = CycleState(PodInfo(plain), fw.cache.node_list())
    for p in fw.pre_filter_plugins:
        answer = p.pre_filter(state, plain)
        assert answer is None or isinstance(answer, Status)
    assert fw.plugin("PodTopologySpread").pre_score(state, plain, state.all_nodes) is SKIP
    fw.run_pre_score_plugins(state, plain, state.all_nodes)
    assert state.skip_score_plugins == {"PodTopologySpread"}


def test_cycle_state_keeps_each_plugins_data_under_its_key():
    state = CycleState(PodInfo(pod("a")), [])
    state.write("PreFilterX", [1])
    assert state.read("PreFilterX") == [1] and state.get("missing") is None
    with pytest.raises(KeyError):
        state.read("missing")


# --- the registry and the default profile -------------------------------------------------------------------


def test_the_default_profile_lists_upstreams_multipoint_plugins_in_order_with_their_weights():
    """``getDefaultPlugins`` (v1.32) minus the plugins this simulation does not model."""
    upstream = [
        "SchedulingGates",
        "PrioritySort",
        "NodeUnschedulable",
        "NodeName",
        "TaintToleration",
        "NodeAffinity",
        "NodePorts",
        "NodeResourcesFit",
        "VolumeRestrictions",
        "NodeVolumeLimits",
        "VolumeBinding",
        "VolumeZone",
        "PodTopologySpread",
        "InterPodAffinity",
        "DefaultPreemption",
        "NodeResourcesBalancedAllocation",
        "ImageLocality",
        "DefaultBinder",
    ]
    names = [spec.name for spec in DEFAULT_PROFILE.plugins]
    assert names == [n for n in upstream if n in names]
    assert set(names) == set(EXTENSION_POINTS)
    assert DEFAULT_PROFILE.scheduler_name == "default-scheduler"
    assert framework().weights == {
        "TaintToleration": 3,
        "NodeAffinity": 2,
        "NodeResourcesFit": 1,
        "PodTopologySpread": 2,
        "NodeResourcesBalancedAllocation": 1,
        "ImageLocality": 1,
    }


def test_the_registry_builds_every_profile_plugin_and_each_call_gives_a_fresh_registry():
    registry = new_in_tree_registry()
    assert set(registry) == set(EXTENSION_POINTS)
    registry.pop("ImageLocality")
    assert "ImageLocality" in new_in_tree_registry()


def test_a_profile_naming_an_unregistered_plugin_or_no_queue_sort_is_refused():
    with pytest.raises(ValueError, match='"Nope"'):
        Framework(profile=Profile("x", (PluginSpec("PrioritySort"), PluginSpec("Nope"))))
    with pytest.raises(ValueError, match="exactly one queue sort"):
        Framework(profile=Profile("x", (PluginSpec("NodeName"),)))


class OnlyEven(Plugin):
    """A learner's own Filter: nodes whose name ends in an odd digit are out."""

    name = "OnlyEven"

    def filter(self, state, pod, ni):
        return None if int(ni.name[-1]) % 2 == 0 else Status.unresolvable("node(s) had an odd name")


class Closed(Plugin):
    """A PreFilter that rejects every pod: the whole cluster shares its status."""

    name = "Closed"

    def pre_filter(self, state, pod):
        return Status.unschedulable("the cluster is closed")


def custom(*names):
    return Profile("custom", tuple(PluginSpec(n) for n in ("PrioritySort", *names)))


def test_a_plugin_of_ones_own_runs_at_its_extension_point_through_registry_and_profile():
    registry = new_in_tree_registry() | {"OnlyEven": OnlyEven}
    fw = framework(
        node("w1"),
        node("w2"),
        node("w3"),
        node("w4"),
        registry=registry,
        profile=custom("OnlyEven", "NodeResourcesFit"),
    )
    assert fw.schedule(pod("a")).node in {"w2", "w4"}
    too_big = fw.schedule(pod("b", cpu="3"))
    assert too_big.node is None
    assert too_big.message == "0/4 nodes are available: 2 Insufficient cpu, 2 node(s) had an odd name."
    assert too_big.unschedulable_plugins == {"OnlyEven", "NodeResourcesFit"}


def test_a_pre_filter_rejection_is_every_nodes_status_and_reads_as_upstreams_fit_error():
    registry = new_in_tree_registry() | {"Closed": Closed}
    fw = framework(node("w1"), node("w2"), registry=registry, profile=custom("Closed", "DefaultPreemption"))
    result = fw.schedule(pod("a"))
    assert result.node is None and not result.error
    assert set(result.statuses) == {"w1", "w2"} and result.unschedulable_plugins == {"Closed"}
    assert result.message == (
        "0/2 nodes are available: the cluster is closed. preemption: 0/2 nodes are "
        "available: 2 No preemption victims found for incoming pod."
    )


def test_post_filter_is_whatever_the_profile_names_not_a_plugin_called_by_name():
    fw = framework(node("w1", cpu="1"), profile=custom("NodeResourcesFit"))
    result = fw.schedule(pod("a", cpu="2"))
    assert result.message == "0/1 nodes are available: 1 Insufficient cpu."
    assert result.nominated is None and result.victims == []


# --- the package's shape ------------------------------------------------------------------------------------


def test_no_module_of_the_scheduler_package_is_over_800_lines():
    sizes = {str(p.relative_to(PACKAGE)): len(p.read_text().splitlines()) for p in PACKAGE.rglob("*.py")}
    assert len(sizes) > 10
    assert {name: n for name, n in sizes.items() if n > 800} == {}


@pytest.mark.parametrize(
    "path",
    sorted(p.name for p in (PACKAGE / "plugins").glob("*.py") if p.name not in ("__init__.py", "helper.py")),
)
def test_each_plugin_module_names_its_upstream_go_file(path):
    doc = ast.get_docstring(ast.parse((PACKAGE / "plugins" / path).read_text()))
    assert doc is not None and "pkg/scheduler/framework/plugins/" in doc and ".go" in doc
    assert "Simplified:" in doc


def test_nothing_in_the_package_finds_plugins_with_hasattr():
    for p in PACKAGE.rglob("*.py"):
        assert "hasattr(" not in p.read_text(), p


# --- the queue's cluster events -----------------------------------------------------------------------------


class FakeClock:
    now = 0.0


def test_a_rejected_pod_is_requeued_only_by_an_event_its_rejecting_plugin_registered():
    fw = framework(node("w1"))
    activated = []
    queue = SchedulingQueue(
        FakeClock(), fw, start_timer=lambda delay, work: None, on_active=lambda: activated.append(1)
    )
    queue.add(pod("a", cpu="3"))
    pinfo = queue.pop()
    assert queue.add_unschedulable(pinfo, {"NodeResourcesFit"}) == "unschedulablePods"
    queue.done(pinfo.key)
    assert queue.move_all({ClusterEvent.NODE_LABEL_CHANGE, ClusterEvent.NODE_TAINT_CHANGE}) == 0
    assert queue.unschedulable_keys() == ["default/a"]
    assert queue.move_all({ClusterEvent.ASSIGNED_POD_DELETE}) == 1
    assert queue.unschedulable_keys() == []


# --- node affinity: one answer for the scheduler and the DaemonSet controller -------------------------------


def _affinities():
    expressions = [
        {"key": "disk", "operator": "In", "values": ["ssd"]},
        {"key": "disk", "operator": "NotIn", "values": ["ssd"]},
        {"key": "gpu", "operator": "Exists"},
        {"key": "gpu", "operator": "DoesNotExist"},
        {"key": "cores", "operator": "Gt", "values": ["4"]},
        {"key": "cores", "operator": "Lt", "values": ["x"]},
    ]
    fields = [{"key": "metadata.name", "operator": "In", "values": ["n1"]}]
    terms = [{"matchExpressions": [e]} for e in expressions] + [{"matchFields": fields}, {}]
    yield {}
    yield {"nodeSelector": {"disk": "ssd"}}
    yield {
        "affinity": {
            "nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": []}}
        }
    }
    for a, b in itertools.combinations_with_replacement(terms, 2):
        yield {
            "affinity": {
                "nodeAffinity": {
                    "requiredDuringSchedulingIgnoredDuringExecution": {
                        "nodeSelectorTerms": [a] if a == b else [a, b]
                    }
                }
            }
        }


NODES = [
    node("n1", labels={"disk": "ssd", "cores": "8"}),
    node("n2", labels={"gpu": "a100", "cores": "2"}),
    node("n3"),
]


@pytest.mark.parametrize("spec", list(_affinities()))
def test_the_daemonset_controller_and_the_scheduler_agree_on_where_a_pod_may_run(spec):
    fw = framework(*NODES)
    plugin = fw.plugin("NodeAffinity")
    p = pod("ds", **spec)
    ds = {"spec": {"template": {"spec": p["spec"]}}}
    state = CycleState(PodInfo(p), fw.cache.node_list())
    for n in NODES:
        by_scheduler = plugin.filter(state, p, NodeInfo.build(n)) is None
        by_controller = node_should_run_daemon_pod(n, ds)[0]
        assert by_scheduler == by_controller == nodeaffinity.required_node_affinity_matches(p, n), n[
            "metadata"
        ]


def test_after_a_pre_filter_rejection_preemption_tries_only_the_filters_whose_pre_filter_ran():
    registry = new_in_tree_registry() | {"Closed": Closed}
    profile = Profile(
        "custom",
        (
            PluginSpec("PrioritySort"),
            PluginSpec("Closed"),
            *(s for s in DEFAULT_PROFILE.plugins if s.name != "PrioritySort"),
        ),
    )
    fw = framework(node("w1"), registry=registry, profile=profile)
    fw.cache.add_pod({**pod("low", cpu="1"), "spec": {**pod("low", cpu="1")["spec"], "nodeName": "w1"}})
    result = fw.schedule(pod("high", cpu="1", priority=10))
    assert result.message.startswith("0/1 nodes are available: the cluster is closed. preemption: ")
    # NodeResourcesFit's Filter, whose PreFilter never ran, was left out of the dry run instead of failing on
    # the state its PreFilter did not write; without it nothing needs evicting.
    assert result.nominated is None and not result.error


def test_required_terms_naming_no_common_node_reject_the_pod_at_pre_filter_as_upstream():
    """``nodeaffinity/node_affinity.go`` PreFilter: ``errReasonConflict``, UnschedulableAndUnresolvable."""
    fw = framework(node("w1"), node("w2"))
    names = [
        {"key": "metadata.name", "operator": "In", "values": ["w1"]},
        {"key": "metadata.name", "operator": "In", "values": ["w2"]},
    ]
    affinity = {
        "nodeAffinity": {
            "requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [{"matchFields": names}]}
        }
    }
    result = fw.schedule(pod("ds", affinity=affinity))
    assert result.node is None and result.unschedulable_plugins == {"NodeAffinity"}
    assert {st.code for st in result.statuses.values()} == {Code.UNSCHEDULABLE_AND_UNRESOLVABLE}
    assert result.message == (
        "0/2 nodes are available: pod affinity terms conflict. preemption: 0/2 nodes are "
        "available: 2 Preemption is not helpful for scheduling."
    )


class SkipsAtFilter(Plugin):
    """A Filter that answers Skip, which only PreFilter and PreScore may."""

    name = "SkipsAtFilter"

    def filter(self, state, pod, ni):
        return SKIP


def test_a_filter_answering_neither_yes_nor_no_is_an_error_and_the_shared_skip_stays_untouched():
    registry = new_in_tree_registry() | {"SkipsAtFilter": SkipsAtFilter}
    fw = framework(node("w1"), registry=registry, profile=custom("SkipsAtFilter"))
    status = fw.run_filter_plugins(
        CycleState(PodInfo(pod("a")), fw.cache.node_list()), pod("a"), fw.cache.nodes["w1"]
    )
    assert (status.code, status.plugin) == (Code.ERROR, "SkipsAtFilter")
    assert SKIP == Status(Code.SKIP) and SKIP.plugin == ""
