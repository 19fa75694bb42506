"""The freeze debug mode (``KCOURSE_FREEZE=1``): cached objects are read-only, and say where one was changed.

client-go's rule is that an object handed out by a cache is read-only (every generated lister: "All objects
returned here must be treated as read-only."), and its ``KUBE_CACHE_MUTATION_DETECTOR``
(``tools/cache/mutation_detector.go``) finds a breach after the fact.  The debug mode stops one at the
line that tries it, naming the object and the field path, and otherwise changes nothing: the same
simulation byte for byte, the same JSON and YAML, copies that are writable.
"""

from __future__ import annotations

import copy
import json
import pickle
from collections.abc import Callable
from typing import Any

import orjson
import pytest

import kcourse
from kcourse.sim.cluster import Cluster
from kcourse.sim.frozen import (
    ENVIRONMENT_VARIABLE,
    FrozenDict,
    FrozenList,
    SharedObjectMutation,
    freeze,
    is_frozen,
    thaw,
)
from kcourse.sim.kubectl.printers import to_json, to_yaml
from kcourse.sim.objects import deep_copy
from tests.sim.fingerprints.scenarios import assert_matches_golden, measure


def _pod() -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "web-0", "namespace": "default", "labels": {"app.kubernetes.io/name": "web"}},
        "spec": {"containers": [{"name": "app", "image": "nginx:1.27", "ports": [{"containerPort": 80}]}]},
        "status": {"conditions": [{"type": "Ready", "status": "True"}], "podIPs": [{"ip": "10.244.1.5"}]},
    }


MUTATIONS: list[tuple[str, Callable[[Any], Any], str]] = [
    (
        "set",
        lambda p: p["status"]["conditions"][0].__setitem__("status", "False"),
        "status.conditions[0].status",
    ),
    (
        "set",
        lambda p: p["metadata"]["labels"].__setitem__("app.kubernetes.io/name", "x"),
        "metadata.labels[app.kubernetes.io/name]",
    ),
    ("delete", lambda p: p["metadata"].__delitem__("namespace"), "metadata.namespace"),
    ("remove", lambda p: p["spec"].pop("containers"), "spec.containers"),
    ("remove", lambda p: p["spec"].pop("nodeName", None), "spec.nodeName"),
    ("set a default for", lambda p: p["spec"].setdefault("nodeName", "worker-1"), "spec.nodeName"),
    ("update", lambda p: p["metadata"].update(resourceVersion="9"), "metadata"),
    ("update", lambda p: p["metadata"].__ior__({"uid": "u"}), "metadata"),
    ("clear", lambda p: p["status"].clear(), "status"),
    ("remove an item of", lambda p: p["status"].popitem(), "status"),
    ("append to", lambda p: p["status"]["conditions"].append({"type": "X"}), "status.conditions"),
    ("extend", lambda p: p["status"]["conditions"].extend([]), "status.conditions"),
    ("extend", lambda p: p["status"]["conditions"].__iadd__([]), "status.conditions"),
    ("repeat", lambda p: p["status"]["conditions"].__imul__(2), "status.conditions"),
    ("insert at", lambda p: p["spec"]["containers"].insert(0, {}), "spec.containers[0]"),
    ("set", lambda p: p["spec"]["containers"].__setitem__(0, {}), "spec.containers[0]"),
    ("set", lambda p: p["spec"]["containers"].__setitem__(slice(0, 1), []), "spec.containers[0:1]"),
    ("delete", lambda p: p["status"]["podIPs"].__delitem__(0), "status.podIPs[0]"),
    ("remove", lambda p: p["status"]["podIPs"].pop(), "status.podIPs[-1]"),
    ("remove an item of", lambda p: p["status"]["podIPs"].remove({"ip": "10.244.1.5"}), "status.podIPs"),
    ("clear", lambda p: p["status"]["podIPs"].clear(), "status.podIPs"),
    ("sort", lambda p: p["spec"]["containers"][0]["ports"].sort(), "spec.containers[0].ports"),
    ("reverse", lambda p: p["spec"]["containers"][0]["ports"].reverse(), "spec.containers[0].ports"),
    (
        "set",
        lambda p: p["spec"]["containers"][0]["ports"][0].__setitem__("containerPort", 81),
        "spec.containers[0].ports[0].containerPort",
    ),
    ("set", lambda p: p.__setitem__("status", {}), "status"),
    ("refill", lambda p: p["metadata"].__init__({"name": "x"}), "metadata"),
    ("refill", lambda p: p["status"]["podIPs"].__init__([]), "status.podIPs"),
]


@pytest.mark.parametrize(("what", "mutate", "path"), MUTATIONS, ids=[m[2] + ":" + m[0] for m in MUTATIONS])
def test_every_mutator_refuses_and_names_the_field(
    what: str, mutate: Callable[[Any], Any], path: str
) -> None:
    pod = freeze(_pod(), "Pod default/web-0")
    before = json.dumps(pod)
    with pytest.raises(SharedObjectMutation) as info:
        mutate(pod)
    assert str(info.value).startswith(
        f"Pod default/web-0: cannot {what} {path}: the object is shared from the "
        "API server's cache and read-only"
    )
    assert json.dumps(pod) == before


def test_reading_writing_out_and_copying_are_unchanged() -> None:
    plain = _pod()
    pod = freeze(_pod(), "Pod default/web-0")
    assert is_frozen(pod) and is_frozen(pod["status"]["conditions"]) and not is_frozen(plain)
    assert pod == plain and isinstance(pod, dict) and isinstance(pod["spec"]["containers"], list)
    assert json.dumps(pod) == json.dumps(plain) and json.dumps(pod, indent=2) == json.dumps(plain, indent=2)
    assert orjson.dumps(pod) == orjson.dumps(plain)
    assert to_yaml(pod) == to_yaml(plain) and to_json(pod) == to_json(plain)
    assert repr(pod) == repr(plain) and sorted(pod) == sorted(plain)
    for copied in (deep_copy(pod), copy.deepcopy(pod), thaw(pod), pickle.loads(pickle.dumps(pod))):
        assert copied == plain and type(copied) is dict and type(copied["status"]["conditions"]) is list
        copied["status"]["conditions"][0]["status"] = "False"  # a copy is the copier's own
    for shallow in (dict(pod), pod.copy(), copy.copy(pod), {**pod}, pod | {}):
        assert type(shallow) is dict
        shallow["metadata"] = {}
    assert type(list(pod["status"]["conditions"])) is list and type(pod["status"]["conditions"][:]) is list
    assert pod == plain  # none of that changed the frozen one


def test_the_write_path_takes_the_same_shortcuts_frozen_or_not() -> None:
    """The debug mode must run the code it checks: etcd's bytes come from the same orjson path, and an
    update's unchangeable fields equal to the stored ones are shared, not walked, as when not frozen."""
    from kcourse.sim.serializer import decode
    from kcourse.sim.serializer.fieldvalidation import _same
    from kcourse.sim.serializer.storage import encode, encode_reference

    plain, pod = _pod(), freeze(_pod(), "Pod default/web-0")
    assert encode(pod) == encode(plain) == encode_reference(plain)
    assert _same(pod["spec"], plain["spec"]) and _same(plain["spec"], pod["spec"])
    assert not _same(pod["spec"], dict(plain["spec"], containers=[]))
    body = dict(deep_copy(plain), status={"phase": "Running"})
    out = decode(body, None, stored=pod, unused=("metadata", "spec"))
    assert out["spec"] is pod["spec"] and out["status"] == {"phase": "Running"}


def test_freezing_keeps_what_is_frozen_already() -> None:
    """A new version shares its unchanged parts with the old one: freezing it makes only the new parts."""
    old = freeze(_pod(), "Pod default/web-0")
    new = dict(old, status=dict(old["status"], phase="Running"))
    frozen = freeze(new, "Pod default/web-0")
    assert type(frozen) is FrozenDict and type(frozen["status"]) is FrozenDict
    assert frozen["spec"] is old["spec"] and frozen["status"]["conditions"] is old["status"]["conditions"]
    assert freeze(frozen) is frozen
    assert type(freeze([1, [2]])[1]) is FrozenList and freeze("x") == "x"


def test_off_by_default_cached_objects_are_plain(monkeypatch: pytest.MonkeyPatch) -> None:
    """Off, nothing of the debug mode is on any path: the cache holds plain dicts and lists."""
    monkeypatch.delenv(ENVIRONMENT_VARIABLE, raising=False)
    c = kcourse.Cluster(workers=1, seed=0, addons=False)
    assert not c.api.debug_freeze
    assert all(type(p) is dict and type(p["spec"]["containers"]) is list for p in c.api.items("pods"))
    monkeypatch.setenv(ENVIRONMENT_VARIABLE, "0")
    assert not kcourse.Cluster(workers=1, seed=0, addons=False).api.debug_freeze


@pytest.fixture
def frozen_cluster(monkeypatch: pytest.MonkeyPatch) -> kcourse.Cluster:
    monkeypatch.setenv(ENVIRONMENT_VARIABLE, "1")
    return kcourse.Cluster(workers=2, seed=0)


def test_every_way_a_reader_gets_an_object_is_frozen(frozen_cluster: kcourse.Cluster) -> None:
    c = frozen_cluster
    api = c.api.client("tester")
    pod = c.api.items("pods")[0]
    ns, name = pod["metadata"]["namespace"], pod["metadata"]["name"]
    seen: list[dict] = []
    api.watch("pods", lambda _t, obj: seen.append(obj))
    assert seen and all(is_frozen(o) for o in seen)
    assert is_frozen(api.get("pods", name, ns)) and is_frozen(c.api.peek("pods", name, ns))
    assert all(is_frozen(o) for o in api.list("pods")["items"])
    created = api.create(
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cm"}, "data": {"a": "1"}}
    )
    assert is_frozen(created) and is_frozen(created["data"])
    with pytest.raises(SharedObjectMutation, match=r"ConfigMap default/cm: cannot set data\.a"):
        created["data"]["a"] = "2"
    # A writer builds a new version instead: every verb still works on frozen versions.
    updated = api.update(dict(created, data={"a": "2"}))
    patched = api.patch("configmaps", "cm", {"data": {"b": "3"}}, namespace="default", patch_type="strategic")
    jp = api.patch(
        "configmaps", "cm", [{"op": "remove", "path": "/data/a"}], namespace="default", patch_type="json"
    )
    assert (updated["data"], patched["data"], jp["data"]) == ({"a": "2"}, {"a": "2", "b": "3"}, {"b": "3"})
    deleted: list[dict] = []
    api.watch("configmaps", lambda t, obj: deleted.append(obj) if t == "DELETED" else None)
    api.delete("configmaps", "cm", "default")
    assert len(deleted) == 1 and is_frozen(deleted[0])


def test_an_update_built_from_the_cached_version_shares_its_unchanged_parts(
    frozen_cluster: kcourse.Cluster,
) -> None:
    """A status update whose body is the cached Pod with a new status: the server finds the stored version
    by the (frozen) metadata and keeps the spec it already holds, frozen or not."""
    c = frozen_cluster
    pod = next(p for p in c.api.items("pods") if p["spec"].get("nodeName"))
    body = dict(pod, status=dict(pod["status"], message="checked"))
    stored, unused = c.api._unchangeable(c.api.resource("pods"), body, None, "status")
    assert stored is pod and "spec" in unused and "metadata" in unused
    new = c.api.client("tester").update_status(body)
    assert new["spec"] is pod["spec"] and new["status"]["message"] == "checked"


def test_a_watch_replayed_from_history_sends_frozen_objects(frozen_cluster: kcourse.Cluster) -> None:
    """A watch from an old resourceVersion is served from etcd's history; its informer shares those too."""
    api = frozen_cluster.api.client("tester")
    start = str(frozen_cluster.api.etcd.revision)
    api.create({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cm"}, "data": {"a": "1"}})
    api.delete("configmaps", "cm", "default")
    replayed: list[tuple[str, dict]] = []
    api.watch("configmaps", lambda t, obj: replayed.append((t, obj)), resource_version=start)
    assert [t for t, _ in replayed] == ["ADDED", "DELETED"]
    assert all(is_frozen(obj) and is_frozen(obj["data"]) for _, obj in replayed)
    with pytest.raises(SharedObjectMutation, match=r"ConfigMap default/cm: cannot remove data\.a"):
        replayed[0][1]["data"].pop("a")


def test_a_component_that_changes_a_shared_object_fails_at_that_line(frozen_cluster: kcourse.Cluster) -> None:
    """A watch handler changing what it was handed: a strict cluster (the tests') raises with the path,
    and the cache every other reader shares is left as etcd has it."""
    c = frozen_cluster
    assert c.strict  # tests/conftest.py: a component's failure surfaces

    def careless(_etype: str, obj: dict) -> None:
        obj["data"]["a"] = "changed"

    c.api.client("careless").watch("configmaps", careless, resource_version=str(c.api.etcd.revision))
    with pytest.raises(SharedObjectMutation, match=r"ConfigMap default/x: cannot set data\.a"):
        c.kubectl("create configmap x --from-literal=a=1")
    assert c.api.peek("configmaps", "x", "default")["data"] == {"a": "1"}


@pytest.mark.parametrize("scenario", ["chapter", "notebook"])
def test_the_simulation_is_the_same_byte_for_byte_when_frozen(
    scenario: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The scenario fingerprints, frozen: no component changes a shared object, and freezing changes no
    output (``make test-frozen`` runs every scenario and notebook this way)."""
    monkeypatch.setenv(ENVIRONMENT_VARIABLE, "1")
    built: list[Cluster] = []
    original = Cluster.__init__

    def recording_init(self: Cluster, *args: Any, **kw: Any) -> None:
        original(self, *args, **kw)
        built.append(self)

    monkeypatch.setattr(Cluster, "__init__", recording_init)
    sections = measure(scenario)
    assert built and all(cl.api.debug_freeze for cl in built)
    assert all(is_frozen(p) for p in built[0].api.items("pods"))
    assert_matches_golden(scenario, sections)
