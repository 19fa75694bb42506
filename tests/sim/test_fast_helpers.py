"""The hot helpers give what their plain definitions give, on the awkward inputs too.

Each helper below runs hundreds of thousands of times per large run and was written out for speed; each
test compares it with the definition it replaced, over seeded and edge-case inputs:

* ``micro_timestamp``: metav1.MicroTime's text, RFC 3339 with six fraction digits
  (``RFC3339Micro = "2006-01-02T15:04:05.000000Z07:00"``, apimachinery ``pkg/apis/meta/v1/micro_time.go``);
* field selectors: a missing or non-object step reads as "" and ``!=`` is the negation of ``=``
  (apimachinery ``pkg/fields/selector.go``, ``hasTerm`` / ``notHasTerm``);
* ``equal_ignore_hash``: two Pod templates are one revision when they differ only in the
  ``pod-template-hash`` label (``EqualIgnoreHash``, ``pkg/controller/deployment/util/deployment_util.go``);
* the Deployment controller's working copies never change the cached object (upstream ``DeepCopy()``s it).
"""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

import pytest

from kcourse.sim.controllers.deployment.util import POD_TEMPLATE_HASH, equal_ignore_hash, writable
from kcourse.sim.labels import _get_path, parse_field_selector
from kcourse.sim.objects import EPOCH, deep_copy, micro_timestamp


def test_micro_timestamp_is_strftime_of_the_instant() -> None:
    rng = random.Random(7)
    values = [rng.uniform(-90_000, 10**7) for _ in range(3000)]
    values += (
        [i / 1000 for i in range(2000)] + [n + 5e-7 for n in range(200)] + [n - 5e-7 for n in range(200)]
    )
    values += [0.0, 1e-9, 5e-7, 1.5e-6, -5e-7, -1e-9, 86399.9999995, 0.1 + 0.2]
    for seconds in values:
        expected = (EPOCH + timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        assert micro_timestamp(seconds) == expected, seconds


OBJECTS: list[Any] = [
    {"spec": {"nodeName": "n1"}, "status": {"phase": "Running"}, "metadata": {"name": "a"}},
    {"spec": {"nodeName": "n2"}, "status": {"phase": None}, "metadata": {"name": "b"}},
    {"spec": {"nodeName": None}},
    {"spec": {"nodeName": 5}},
    {"spec": None},
    {"spec": "text"},
    {"status": {"phase": {"nested": "x"}}},
    {},
]


@pytest.mark.parametrize(
    "text",
    [
        "spec.nodeName=n1",
        "spec.nodeName==n1",
        "spec.nodeName!=n1",
        "spec.nodeName=",
        "spec.nodeName!=",
        "spec.nodeName=5",
        "spec.nodeName.deeper=",
        "spec=text",
        "status.phase!=Running,spec.nodeName=n2",
        "metadata.name=a,spec.nodeName=n1",
    ],
)
def test_a_field_selector_reads_each_path_as_get_path_does(text: str) -> None:
    terms = []
    for term in text.split(","):
        op = "!=" if "!=" in term else ("==" if "==" in term else "=")
        path, value = term.split(op, 1)
        terms.append((path, op != "!=", value))
    predicate = parse_field_selector(text)
    for obj in OBJECTS:
        expected = all((_get_path(obj, path) == value) == equal for path, equal, value in terms)
        assert predicate(obj) is expected, (text, obj)


def _template(**labels: str) -> dict:
    return {"metadata": {"labels": dict(labels)}, "spec": {"containers": [{"name": "c", "image": "nginx"}]}}


def test_templates_differing_only_in_the_hash_label_are_one_revision() -> None:
    a = _template(app="web", **{POD_TEMPLATE_HASH: "abc"})
    b = _template(app="web")
    assert equal_ignore_hash(a, b) and equal_ignore_hash(b, a)
    assert equal_ignore_hash(_template(**{POD_TEMPLATE_HASH: "x"}), _template())
    assert not equal_ignore_hash(a, _template(app="api", **{POD_TEMPLATE_HASH: "abc"}))
    changed = deep_copy(b)
    changed["spec"]["containers"][0]["image"] = "nginx:2"
    assert not equal_ignore_hash(a, changed)
    assert not equal_ignore_hash({"spec": {}}, {"metadata": {}, "spec": {}})  # a field present on one side
    assert equal_ignore_hash({"metadata": None, "spec": {}}, {"metadata": None, "spec": {}})
    assert a["metadata"]["labels"][POD_TEMPLATE_HASH] == "abc"  # neither side was changed


def test_a_working_copy_changes_without_touching_the_cached_object() -> None:
    cached = {
        "metadata": {"name": "web", "annotations": {"a": "1"}, "managedFields": [{"manager": "kubectl"}]},
        "spec": {"replicas": 3, "template": _template(app="web")},
        "status": {"replicas": 3, "conditions": [{"type": "Available", "status": "True"}]},
    }
    before = deep_copy(cached)
    copy = writable(cached, spec=True)
    copy["metadata"]["annotations"]["a"] = "2"
    copy["metadata"]["labels"] = {"x": "y"}
    copy["spec"]["replicas"] = 5
    copy["status"]["replicas"] = 5
    copy["status"]["conditions"] = []
    assert cached == before
    assert copy["spec"]["template"] is cached["spec"]["template"]  # what is never changed is shared
    no_annotations = writable({"metadata": {"name": "x"}, "spec": {}})
    no_annotations["metadata"].setdefault("annotations", {})["k"] = "v"
    assert "status" not in no_annotations
