"""Simulation questions: the closed action/query vocabulary, and the chapter's scenarios on the real sim."""

from __future__ import annotations

import importlib.util

import pytest

from kcourse.quiz import load_bank
from kcourse.quiz.grading import grade
from kcourse.quiz.scenario import ScenarioError, resolve, run

from .conftest import BANK, q


class FakeEtcd:
    def __init__(self):
        self.revision, self.compact_revision = 40, 0

    def compact(self, rev):
        self.compact_revision = rev


class FakeCluster:
    """Stands in for kcourse.Cluster: records the calls a scenario makes."""

    def __init__(self, **shape):
        self.shape, self.calls, self.now = shape, [], 0.0
        self.etcd = FakeEtcd()
        self.api = self
        self.scheduler = self
        self.decisions = {
            "default/probe": {
                "node": "worker-3",
                "filtered": {},
                "scores": {
                    "worker-1": {"NodeResourcesFit": 20, "ImageLocality": 0, "TaintToleration": 100},
                    "worker-2": {"NodeResourcesFit": 40, "ImageLocality": 10, "TaintToleration": 100},
                    "worker-3": {"NodeResourcesFit": 90, "ImageLocality": 0, "TaintToleration": 100},
                },
                "decided_by": "NodeResourcesFit",
            },
            "default/lonely": {
                "node": "worker-1",
                "scores": {"worker-1": {"NodeResourcesFit": 1}},
                "decided_by": None,
            },
        }
        self.pods = [
            self._pod("web-a", "worker-1", "Running"),
            self._pod("web-b", "worker-1", "Running"),
            self._pod("web-c", "worker-2", "Pending"),
            self._pod("db-a", "worker-1", "Running", app="db"),
            self._pod("web-d", "worker-2", "Running", deleting=True),
        ]

    @staticmethod
    def _pod(name, node, phase, app="web", deleting=False):
        md = {"name": name, "namespace": "default", "labels": {"app": app}}
        if deleting:
            md["deletionTimestamp"] = "t"
        return {"metadata": md, "spec": {"nodeName": node}, "status": {"phase": phase}}

    def list(self, resource, namespace=None):
        if resource == "pods":
            return {"kind": "PodList", "items": self.pods}
        if resource == "nodes":
            return {
                "items": [
                    {
                        "metadata": {"name": "worker-2"},
                        "status": {"conditions": [{"type": "Ready", "status": "Unknown"}]},
                    }
                ]
            }
        return {
            "items": [{"metadata": {"name": "web"}, "status": {"readyReplicas": 3, "conditions": [{"a": 1}]}}]
        }

    def __getattr__(self, name):
        def record(*args, **kw):
            self.calls.append((name, args, kw))
            if name == "advance":
                self.now += args[0]

        return record


def factory():
    made = []

    def build(**shape):
        made.append(FakeCluster(**shape))
        return made[-1]

    return build, made


def test_actions_map_to_cluster_calls_in_order():
    build, made = factory()
    scenario = {
        "cluster": {"masters": 1, "workers": 3, "seed": 7},
        "manifests": [{"apiVersion": "v1", "kind": "Pod"}],
        "actions": [
            {"run_until_stable": True},
            {"kubectl": "scale deployment web --replicas=5"},
            {"fail_node": "worker-2"},
            {"advance": 60},
            {"step": 2},
            {"run_until": 100},
            {"compact": True},
            {"partition_node": "worker-1"},
        ],
    }
    assert run(scenario, {"now": {}}, build) == 60
    c = made[0]
    assert c.shape == {"masters": 1, "workers": 3, "seed": 7}
    assert [name for name, _, _ in c.calls] == [
        "apply",
        "run_until_stable",
        "kubectl",
        "fail_node",
        "advance",
        "step",
        "step",
        "run",
        "partition_node",
    ]
    assert c.calls[2][1] == ("scale deployment web --replicas=5",) and c.calls[7][2] == {"until": 100}
    assert c.etcd.compact_revision == 40


@pytest.mark.parametrize(
    "query,expected",
    [
        ({"count_pods": {}}, 3),  # Running, not terminating
        ({"count_pods": {"node": "worker-1", "selector": {"app": "web"}}}, 2),
        ({"count_pods": {"phase": "any", "selector": {"app": "web"}}}, 3),
        ({"count_pods": {"phase": "Pending"}}, 1),
        ({"pod_node": {"pod": "default/web-c"}}, "worker-2"),
        ({"scheduled_node": {"pod": "default/probe"}}, "worker-3"),
        ({"deciding_plugin": {"pod": "default/probe"}}, "NodeResourcesFit"),
        ({"etcd_revision": {}}, 40),
        ({"etcd_compact_revision": {}}, 0),
        ({"etcd_revisions_since_compaction": {}}, 40),
        ({"node_condition": {"node": "worker-2", "type": "Ready"}}, "Unknown"),
        ({"field": {"resource": "deployments", "name": "web", "path": "status.readyReplicas"}}, 3),
        ({"field": {"resource": "deployments", "name": "web", "path": "status.conditions.0.a"}}, 1),
    ],
)
def test_queries(query, expected):
    assert run({"cluster": {}}, query, factory()[0]) == expected


@pytest.mark.parametrize(
    "query,message",
    [
        ({"pod_node": {"pod": "default/ghost"}}, "does not exist"),
        ({"scheduled_node": {"pod": "default/ghost"}}, "no decision"),
        ({"deciding_plugin": {"pod": "default/lonely"}}, "no score plugin"),
        ({"node_condition": {"node": "worker-9"}}, "does not exist"),
        ({"field": {"resource": "deployments", "name": "web", "path": "spec.nope"}}, "no field"),
        ({"launch_missiles": {}}, "unknown query"),
    ],
)
def test_unanswerable_queries_raise_scenario_error(query, message):
    with pytest.raises(ScenarioError, match=message):
        run({"cluster": {}}, query, factory()[0])


def test_a_failing_action_becomes_a_scenario_error():
    def broken(**shape):
        c = FakeCluster()
        c.apply = lambda m: (_ for _ in ()).throw(ValueError("bad manifest"))
        return c

    with pytest.raises(ScenarioError, match="ValueError: bad manifest"):
        run({"cluster": {}, "manifests": [{"kind": "Pod"}]}, {"now": {}}, broken)


def test_resolve_fills_the_answer_and_checks_it_against_the_options():
    sim = q(
        "simulation",
        expect="choice",
        options=["worker-1", "worker-2", "worker-3"],
        scenario={"cluster": {}},
        query={"scheduled_node": {"pod": "default/probe"}},
    )
    keyed = resolve(sim, factory()[0])
    assert keyed.answer == "worker-3" and sim.answer is None
    assert grade(keyed, "worker-3").correct
    narrow = q(
        "simulation",
        expect="choice",
        options=["worker-1", "worker-2"],
        scenario={"cluster": {}},
        query={"scheduled_node": {"pod": "default/probe"}},
    )
    with pytest.raises(ScenarioError, match="not one of the options"):
        resolve(narrow, factory()[0])
    number = q(
        "simulation",
        expect="number",
        scenario={"cluster": {}},
        query={"node_condition": {"node": "worker-2"}},
    )
    with pytest.raises(ScenarioError, match="not a number"):
        resolve(number, factory()[0])


# ------------------------------------------------------------- on the real simulation

needs_sim = pytest.mark.skipif(
    importlib.util.find_spec("kcourse.sim.cluster") is None,
    reason="kcourse.sim.cluster cannot be imported yet",
)


@needs_sim
@pytest.mark.parametrize(
    "question", [x for x in load_bank(BANK).questions if x.type == "simulation"], ids=lambda x: x.id
)
def test_ch04_simulation_questions_compute_a_gradable_answer(question):
    keyed = resolve(question)
    assert keyed.answer is not None
    assert grade(keyed, keyed.answer).correct
    assert resolve(question).answer == keyed.answer  # seeded: the same answer every time
