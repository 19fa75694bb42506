"""Run a simulation question's scenario and compute its answer.

A simulation question never stores its answer: the bank describes a seeded
cluster, manifests and a list of actions, and a query.  At check time (and in
``kcourse quiz lint``) the scenario runs on :class:`kcourse.Cluster`, and the
query reads the result.  If the simulation changes, the answer follows it.

The vocabulary is closed: each action name maps to one method of the cluster
and each query to one small function below.  Arguments are data checked by
the bank's schema; nothing is evaluated.  Results are cached per scenario, so
a notebook checking the same question twice runs the cluster once.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from typing import Any

from kcourse.quiz.model import Question

__all__ = ["ScenarioError", "clear_cache", "resolve", "run"]


class ScenarioError(RuntimeError):
    """The scenario could not run or its query has no answer."""


ClusterFactory = Callable[..., Any]
_CACHE: dict[str, Any] = {}


def _default_factory(**kwargs: Any) -> Any:
    from kcourse.sim.cluster import Cluster

    return Cluster(**kwargs)


def _act(c: Any, name: str, arg: Any) -> None:
    """Perform one action on cluster ``c``."""
    if name == "apply":
        c.apply(arg)
    elif name == "kubectl":
        c.kubectl(arg)
    elif name in ("fail_node", "recover_node", "partition_node", "stop_master"):
        getattr(c, name)(arg)
    elif name == "run_until_stable":
        c.run_until_stable()
    elif name == "advance":
        c.advance(arg)
    elif name == "run_until":
        c.run(until=arg)
    elif name == "step":
        for _ in range(arg):
            c.step()
    elif name == "compact":
        c.etcd.compact(c.etcd.revision if arg is True else arg)
    else:
        raise ScenarioError(f"unknown action {name!r}")


def _list(c: Any, resource: str, namespace: str | None = None) -> list[dict]:
    """Objects of ``resource``; the API answers with a ``<Kind>List`` (or, in stand-ins, a plain list)."""
    result = c.api.list(resource, namespace=namespace)
    return list(result["items"] if isinstance(result, dict) else result)


def _pods(c: Any, namespace: str | None = None) -> list[dict]:
    return sorted(
        _list(c, "pods", namespace), key=lambda p: (p["metadata"].get("namespace", ""), p["metadata"]["name"])
    )


def _pod(c: Any, key: str) -> dict:
    namespace, name = key.split("/", 1)
    for pod in _pods(c, namespace):
        if pod["metadata"]["name"] == name:
            return pod
    raise ScenarioError(f"pod {key} does not exist")


def _decision(c: Any, key: str) -> dict:
    try:
        return c.scheduler.decisions[key]
    except KeyError:
        raise ScenarioError(f"the scheduler made no decision for pod {key}") from None


def _count_pods(
    c: Any,
    node: str | None = None,
    namespace: str | None = None,
    phase: str = "Running",
    selector: dict[str, str] | None = None,
) -> int:
    n = 0
    for pod in _pods(c, namespace):
        labels = pod["metadata"].get("labels") or {}
        if pod["metadata"].get("deletionTimestamp"):
            continue  # a terminating pod is on its way out; kubectl shows it, a count should not
        if node is not None and pod.get("spec", {}).get("nodeName") != node:
            continue
        if phase != "any" and pod.get("status", {}).get("phase") != phase:
            continue
        if selector and any(labels.get(k) != v for k, v in selector.items()):
            continue
        n += 1
    return n


def _deciding_plugin(c: Any, pod: str) -> str:
    """The score plugin that put the chosen node furthest ahead of the runner-up, as the scheduler recorded
    it."""
    plugin = _decision(c, pod).get("decided_by")
    if plugin is None:
        raise ScenarioError(f"pod {pod}: no score plugin separated the nodes (filtering decided, or a tie)")
    return plugin


def _node_condition(c: Any, node: str, type: str = "Ready") -> str:
    for n in _list(c, "nodes"):
        if n["metadata"]["name"] == node:
            for cond in n.get("status", {}).get("conditions", []):
                if cond.get("type") == type:
                    return cond.get("status", "Unknown")
            raise ScenarioError(f"node {node} has no {type} condition")
    raise ScenarioError(f"node {node} does not exist")


def _field(c: Any, resource: str, name: str, path: str, namespace: str | None = None) -> Any:
    for obj in _list(c, resource, namespace):
        if obj["metadata"]["name"] == name:
            value: Any = obj
            for part in path.split("."):
                if isinstance(value, list) and part.isdigit() and int(part) < len(value):
                    value = value[int(part)]
                elif isinstance(value, dict) and part in value:
                    value = value[part]
                else:
                    raise ScenarioError(f"{resource}/{name} has no field {path}")
            return value
    raise ScenarioError(f"{resource}/{name} does not exist")


def _query(c: Any, name: str, args: dict[str, Any]) -> Any:
    if name == "count_pods":
        return _count_pods(c, **args)
    if name == "pod_node":
        node = _pod(c, args["pod"]).get("spec", {}).get("nodeName")
        if not node:
            raise ScenarioError(f"pod {args['pod']} is not bound to a node")
        return node
    if name == "scheduled_node":
        return _decision(c, args["pod"])["node"]
    if name == "deciding_plugin":
        return _deciding_plugin(c, args["pod"])
    if name == "etcd_revision":
        return c.etcd.revision
    if name == "etcd_compact_revision":
        return c.etcd.compact_revision
    if name == "etcd_revisions_since_compaction":
        return c.etcd.revision - c.etcd.compact_revision
    if name == "node_condition":
        return _node_condition(c, **args)
    if name == "field":
        return _field(c, **args)
    if name == "now":
        return c.now
    raise ScenarioError(f"unknown query {name!r}")


def _key(scenario: dict, query: dict) -> str:
    return json.dumps([scenario, query], sort_keys=True, default=str)


def run(scenario: dict[str, Any], query: dict[str, Any], factory: ClusterFactory | None = None) -> Any:
    """Build the scenario's cluster, play its actions and answer ``query``.

    ``factory`` builds the cluster from the scenario's ``cluster`` mapping
    (``kcourse.Cluster`` by default; tests pass a stand-in).  Results of the
    default factory are cached, since the same seed always gives the same answer.
    """
    key = _key(scenario, query)
    if factory is None and key in _CACHE:
        return _CACHE[key]
    try:
        c = (factory or _default_factory)(**scenario.get("cluster", {}))
        for manifest in scenario.get("manifests", ()):
            c.apply(manifest)
        for action in scenario.get("actions", ()):
            ((name, arg),) = action.items()
            _act(c, name, arg)
        ((qname, qargs),) = query.items()
        value = _query(c, qname, dict(qargs or {}))
    except ScenarioError:
        raise
    except ImportError as exc:
        raise ScenarioError(f"the simulated cluster is not available: {exc}") from exc
    except Exception as exc:  # the simulation refused an action: say which, keep the cause
        raise ScenarioError(f"{type(exc).__name__}: {exc}") from exc
    if factory is None:
        _CACHE[key] = value
    return value


def resolve(question: Question, factory: ClusterFactory | None = None) -> Question:
    """``question`` with its answer computed; other types are returned unchanged."""
    if question.type != "simulation" or question.answer is not None:
        return question
    value = run(question.scenario, question.query, factory)
    if question.expect == "number":
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ScenarioError(f"question {question.id!r}: query gave {value!r}, not a number")
    else:
        value = str(value)
        if question.options and value not in question.option_texts:
            raise ScenarioError(
                f"question {question.id!r}: computed answer {value!r} is not one of the options"
            )
    return dataclasses.replace(question, answer=value)


def clear_cache() -> None:
    """Forget cached scenario results (after the simulation changed)."""
    _CACHE.clear()
