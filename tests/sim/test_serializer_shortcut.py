"""The decoder's shortcut for fields an update cannot change, tested against the full walk.

kube-apiserver decodes every request body whole (``handlers/update.go`` calls the serializer's
``Decode`` on the full body before ``rest.Update``), so a type error anywhere is 400 BadRequest even
where the status subresource then throws the field away (``pkg/registry/core/pod/strategy.go``
``podStatusStrategy.PrepareForUpdate`` keeps only the new status).  The simulation skips walking a
field the update cannot change when it is exactly the stored, well-typed version's: these tests hold
the shortcut to the full walk — the same answer, the same warnings, the same error text — over every
update of two seeded scenarios and over families of values that look equal to Python but not to Go.
"""

from __future__ import annotations

import math

import pytest

import kcourse
from kcourse.sim.apiserver import server as server_module
from kcourse.sim.objects import deep_copy
from kcourse.sim.serializer import Number, decode, loads
from kcourse.sim.serializer.gojson import _Float
from tests.sim.fingerprints.scenarios import SCENARIOS


def _outcome(body: dict, fv: str, **kw: object) -> tuple[str, object, list[str]]:
    warnings: list[str] = []
    try:
        out = decode(body, fv, on_warning=warnings.append, **kw)  # type: ignore[arg-type]
    except kcourse.ApiError as e:
        return "error", (e.code, e.reason, e.message), warnings
    return "ok", out, warnings


def _same_answer(body: dict, fv: str, stored: dict, unused: tuple[str, ...]) -> None:
    """The shortcut answers as the full walk does; the fields it took from ``stored`` are exactly what the
    walk would have decoded (``repr`` tells ``1`` from ``1.0`` and ``True``, a list from a tuple)."""
    want = _outcome(body, fv)
    got = _outcome(body, fv, stored=stored, unused=unused)
    assert got[0] == want[0] and got[2] == want[2], (got, want)
    if want[0] == "error":
        assert got[1] == want[1]
        return
    assert isinstance(got[1], dict) and isinstance(want[1], dict)
    assert sorted(got[1]) == sorted(want[1])
    for k in want[1]:
        assert repr(got[1][k]) == repr(want[1][k]), k


@pytest.mark.parametrize("scenario", ["chapter", "notebook"])
def test_every_update_of_a_scenario_is_answered_as_the_full_walk_answers_it(
    scenario: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen = {"shortcut": 0, "fields": 0}
    real = server_module.decode

    def checked(obj: dict, fv: str = "Strict", **kw: object) -> dict:
        if kw.get("stored") is not None:
            seen["shortcut"] += 1
            body = deep_copy(obj)
            _same_answer(body, fv, kw["stored"], kw["unused"])  # type: ignore[arg-type]
            seen["fields"] += sum(1 for k in kw["unused"] if k in obj and obj[k] == kw["stored"].get(k))  # type: ignore
        return real(obj, fv, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(server_module, "decode", checked)
    options, run, _ = SCENARIOS[scenario]
    run(kcourse.Cluster(**options))
    assert seen["shortcut"] > 100 and seen["fields"] > 100, seen


def test_every_object_the_server_stores_decodes_to_itself_without_a_word() -> None:
    """What the shortcut relies on: a stored version is well typed, so an equal field cannot be wrong."""
    options, run, _ = SCENARIOS["notebook"]
    c = kcourse.Cluster(**options)
    run(c)
    for plural in (
        "pods",
        "nodes",
        "replicasets",
        "deployments",
        "endpoints",
        "endpointslices",
        "events",
        "leases",
        "services",
        "daemonsets",
        "namespaces",
        "serviceaccounts",
        "configmaps",
    ):
        for obj in c.api.items(plural):
            warnings: list[str] = []
            assert repr(decode(obj, "Strict", on_warning=warnings.append)) == repr(obj)
            assert not warnings


@pytest.fixture(scope="module")
def stored() -> dict:
    c = kcourse.Cluster(masters=1, workers=1, seed=0)
    c.apply(
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "web", "namespace": "default"},
            "spec": {
                "replicas": 1,
                "selector": {"matchLabels": {"app": "web"}},
                "template": {
                    "metadata": {"labels": {"app": "web"}},
                    "spec": {
                        "containers": [{"name": "c", "image": "nginx", "ports": [{"containerPort": 80}]}],
                        "terminationGracePeriodSeconds": 30,
                    },
                },
            },
        }
    )
    c.run_until_stable()
    pod = c.pods()[0]
    assert pod["status"]["conditions"][0].get("lastProbeTime", "absent") is None  # a null to imitate
    return pod


#: Values Python calls equal (or that print alike) but Go decodes differently, each at a path of a Pod.
LOOKALIKES = [
    ("spec.terminationGracePeriodSeconds", 30.0),  # a float where an int64 is: still 30 to Go
    ("spec.terminationGracePeriodSeconds", _Float("30.0")),
    ("spec.terminationGracePeriodSeconds", True),  # == 1 in Python, a bool to Go
    ("spec.terminationGracePeriodSeconds", Number("30")),
    ("spec.terminationGracePeriodSeconds", 2**64),
    ("spec.containers.0.ports.0.containerPort", 80.5),
    ("spec.containers.0.ports", ({"containerPort": 80},)),  # a tuple where a list is
    ("spec.containers.0.name", "c\ud800"),  # a lone surrogate
    ("metadata.labels", {1: "x"}),  # a key that is not a string
    ("status.conditions.0.lastProbeTime", math.nan),  # written as null by orjson, refused by Go
    ("status.conditions.0.lastProbeTime", math.inf),
    ("spec.containers.0.unknownField", 1),
    ("spec.nodeName", None),
    ("metadata.resourceVersion", 5),
]


def _with(obj: dict, path: str, value: object) -> dict:
    obj = deep_copy(obj)
    cur = obj
    parts = path.split(".")
    for part in parts[:-1]:
        cur = cur[int(part)] if isinstance(cur, list) else cur[part]
    cur[parts[-1]] = value
    return obj


@pytest.mark.parametrize(
    ("path", "value"), LOOKALIKES, ids=[f"{p}-{type(v).__name__}" for p, v in LOOKALIKES]
)
@pytest.mark.parametrize("fv", ["Strict", "Warn", "Ignore"])
@pytest.mark.parametrize("unused", [("metadata", "spec"), ("status",)], ids=["status-subresource", "update"])
def test_a_lookalike_value_is_answered_as_the_full_walk_answers_it(
    stored: dict, path: str, value: object, fv: str, unused: tuple[str, ...]
) -> None:
    _same_answer(_with(stored, path, value), fv, stored, unused)


def test_duplicate_keys_read_from_json_text_are_never_taken_as_equal(stored: dict) -> None:
    import json

    text = json.dumps(stored)
    twice = text.replace('"spec": {', '"spec": {"nodeName": "x", ', 1)
    body = loads(twice)
    for fv in ("Strict", "Warn", "Ignore"):
        _same_answer(body, fv, stored, ("metadata", "spec"))


@pytest.mark.parametrize(
    "stamp",
    [
        "2026-01-01T00:00:00",  # no zone
        "2026-01-01 00:00:00Z",  # a space for the T
        "yesterday",
        "2026-1-01T00:00:00Z",
        "",
    ],
)
def test_a_timestamp_is_answered_as_the_full_walk_answers_it_after_good_ones_were_remembered(
    stamp: str,
) -> None:
    """The compiled decoders take a timestamp text that parsed before without parsing it again
    (``metav1.Time``'s UnmarshalJSON, ``apimachinery/pkg/apis/meta/v1/time.go``): a malformed one is
    never among them, so after thousands of good ones it is still refused in ``time.Parse``'s words,
    at either place a timestamp sits (ObjectMeta's, and a Pod condition's)."""
    good = "2026-01-01T00:00:00Z"
    for fv in ("Strict", "Warn"):
        for at in ("metadata", "condition"):

            def pod(ts: str, at: str = at) -> dict:
                body: dict = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}}
                if at == "metadata":
                    body["metadata"]["creationTimestamp"] = ts
                else:
                    condition = {"type": "Ready", "status": "True", "lastTransitionTime": ts}
                    body["status"] = {"conditions": [condition]}
                return body

            assert _outcome(pod(good), fv) == _outcome(pod(good), fv, reference=True)
            assert _outcome(pod(good), fv)[0] == "ok"
            bad = _outcome(pod(stamp), fv)
            assert bad == _outcome(pod(stamp), fv, reference=True)
            assert bad[0] == "error" and "parsing time" in bad[1][2]  # type: ignore[index]
