"""The API server: defaults, validation, optimistic concurrency, watch — and nothing written on refusal."""

from __future__ import annotations

import copy
import random

import pytest

import kcourse
from kcourse.sim.apiserver import APIServer, Compactor
from kcourse.sim.clock import Clock
from kcourse.sim.errors import ApiError
from kcourse.sim.etcd import Etcd
from kcourse.sim.network import Network


@pytest.fixture
def api() -> APIServer:
    server = APIServer(Etcd(), Clock(), random.Random(0))
    server.allocator = Network(random.Random(1))
    server.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "default"}})
    return server


def pod(name: str = "web", image: str = "nginx:1.27", **spec) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "labels": {"app": "web"}},
        "spec": {"containers": [{"name": "nginx", "image": image}], **spec},
    }


def test_create_stores_under_the_registry_key_with_revision_as_resource_version(api):
    stored = api.create(pod())
    kv = api.etcd.get("/registry/pods/default/web")
    assert kv is not None
    assert stored["metadata"]["resourceVersion"] == str(kv.mod_revision)
    assert b"resourceVersion" not in kv.value  # the revision is etcd's, not part of the value


def test_nodes_live_under_minions_and_services_under_specs(api):
    api.create({"apiVersion": "v1", "kind": "Node", "metadata": {"name": "worker-1"}})
    api.create(
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": "web"},
            "spec": {"ports": [{"port": 80}]},
        }
    )
    assert api.etcd.get("/registry/minions/worker-1") is not None
    assert api.etcd.get("/registry/services/specs/default/web") is not None


def test_defaults_are_filled_in(api):
    stored = api.create(pod())
    spec = stored["spec"]
    assert spec["restartPolicy"] == "Always"
    assert spec["schedulerName"] == "default-scheduler"
    assert spec["terminationGracePeriodSeconds"] == 30
    assert spec["containers"][0]["imagePullPolicy"] == "IfNotPresent"
    assert {t["key"] for t in spec["tolerations"]} == {
        "node.kubernetes.io/not-ready",
        "node.kubernetes.io/unreachable",
    }
    assert stored["status"] == {"phase": "Pending", "qosClass": "BestEffort"}


def test_latest_tag_pulls_always(api):
    assert api.create(pod(image="nginx"))["spec"]["containers"][0]["imagePullPolicy"] == "Always"


def test_invalid_pod_is_refused_with_field_paths_and_nothing_is_written(api):
    before = api.etcd.revision
    bad = pod()
    bad["spec"]["containers"][0].pop("image")
    bad["spec"]["containers"][0]["ports"] = [{"containerPort": 70000}]
    with pytest.raises(ApiError) as err:
        api.create(bad)
    e = err.value
    assert e.code == 422 and e.reason == "Invalid"
    assert [c.field for c in e.causes] == [
        "spec.containers[0].image",
        "spec.containers[0].ports[0].containerPort",
    ]
    assert str(e) == (
        'Pod "web" is invalid: [spec.containers[0].image: Required value, '
        "spec.containers[0].ports[0].containerPort: Invalid value: 70000: "
        "must be between 1 and 65535, inclusive]"
    )
    assert api.etcd.revision == before


def test_wrong_type_is_a_decode_error(api):
    bad = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web"},
        "spec": {"replicas": "three"},
    }
    with pytest.raises(ApiError) as err:
        api.create(bad)
    assert err.value.code == 400
    assert "cannot unmarshal string into Go struct field DeploymentSpec.spec.replicas of type int32" in str(
        err.value
    )


def test_deployment_selector_must_match_template_labels(api):
    bad = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web"},
        "spec": {
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "api"}},
                "spec": {"containers": [{"name": "c", "image": "nginx"}]},
            },
        },
    }
    with pytest.raises(ApiError) as err:
        api.create(bad)
    assert str(err.value) == (
        'Deployment.apps "web" is invalid: spec.template.metadata.labels: Invalid value: '
        'map[string]string{"app":"api"}: `selector` does not match template `labels`'
    )


def test_duplicate_create_is_already_exists(api):
    api.create(pod())
    with pytest.raises(ApiError) as err:
        api.create(pod())
    assert (err.value.code, err.value.reason, str(err.value)) == (
        409,
        "AlreadyExists",
        'pods "web" already exists',
    )


def test_unknown_namespace_is_not_found(api):
    p = pod()
    p["metadata"]["namespace"] = "nowhere"
    with pytest.raises(ApiError) as err:
        api.create(p)
    assert str(err.value) == 'namespaces "nowhere" not found'


def test_stale_update_is_a_conflict_and_changes_nothing(api):
    first = api.create(pod())
    fresh = dict(first, metadata={**first["metadata"], "labels": {"app": "v2"}})
    api.update(fresh)
    stale = dict(first, metadata={**first["metadata"], "labels": {"app": "v3"}})
    before = api.etcd.revision
    with pytest.raises(ApiError) as err:
        api.update(stale)
    assert err.value.code == 409
    assert str(err.value) == (
        'Operation cannot be fulfilled on pods "web": the object has been modified; '
        "please apply your changes to the latest version and try again"
    )
    assert api.etcd.revision == before
    assert api.get("pods", "web", "default")["metadata"]["labels"] == {"app": "v2"}


def test_plain_update_ignores_status_and_status_subresource_ignores_spec(api):
    stored = api.create(pod())
    changed = {**stored, "status": {"phase": "Running"}}
    assert api.update(changed)["status"]["phase"] == "Pending"
    current = api.get("pods", "web", "default")
    new = {
        **current,
        "status": {**current["status"], "phase": "Running"},
        "metadata": {**current["metadata"], "labels": {"x": "y"}},
    }
    result = api.update(new, subresource="status")
    assert result["status"]["phase"] == "Running"
    assert result["metadata"]["labels"] == {"app": "web"}


def test_pod_spec_is_immutable_except_image(api):
    stored = api.create(pod())
    new = {**stored, "spec": {**stored["spec"], "restartPolicy": "Never"}}
    with pytest.raises(ApiError) as err:
        api.update(new)
    assert err.value.code == 422 and "pod updates may not change fields" in str(err.value)


def test_generation_follows_each_kinds_strategy(api):
    """metadata.generation is the REST strategy's: a Deployment's PrepareForCreate sets 1 and its
    PrepareForUpdate bumps it on a change of spec or of annotations
    (pkg/registry/apps/deployment/strategy.go), never on labels or a status write
    (deploymentStatusStrategy keeps annotations but bumps nothing); a request cannot set it
    (rest.BeforeUpdate in k8s.io/apiserver/pkg/registry/rest/update.go)."""
    d = api.create(
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "web"},
            "spec": {
                "replicas": 1,
                "selector": {"matchLabels": {"app": "web"}},
                "template": {
                    "metadata": {"labels": {"app": "web"}},
                    "spec": {"containers": [{"name": "c", "image": "nginx"}]},
                },
            },
        }
    )
    assert d["metadata"]["generation"] == 1
    d2 = api.patch("deployments", "web", {"metadata": {"labels": {"a": "b"}}}, namespace="default")
    assert d2["metadata"]["generation"] == 1
    d3 = api.patch("deployments", "web", {"spec": {"replicas": 3}}, namespace="default")
    assert d3["metadata"]["generation"] == 2
    d4 = api.patch("deployments", "web", {"metadata": {"annotations": {"team": "a"}}}, namespace="default")
    assert d4["metadata"]["generation"] == 3
    d4 = copy.deepcopy(d4)  # what the server returns is its own (shared) version: change a copy
    d4["metadata"]["annotations"]["deployment.kubernetes.io/revision"] = "1"
    d4["status"] = {"observedGeneration": 3}
    d5 = api.update(d4, subresource="status")
    assert d5["metadata"]["generation"] == 3 and d5["status"]["observedGeneration"] == 3
    assert d5["metadata"]["annotations"] == {"team": "a", "deployment.kubernetes.io/revision": "1"}
    d5 = copy.deepcopy(d5)
    d5["metadata"]["generation"] = 40
    d5["spec"]["replicas"] = 4
    assert api.update(d5)["metadata"]["generation"] == 4


def test_a_status_write_changes_no_other_metadata_and_validates_what_it_may_change(api):
    """Only what a kind's status strategy keeps passes a status write: a Pod's status write leaves its
    labels alone here, and a Deployment's annotations are validated as on any write."""
    api.create(pod())
    p = copy.deepcopy(api.get("pods", "web", "default"))
    p["metadata"]["labels"] = {"app": "other"}
    p["status"] = {"phase": "Pending"}
    assert api.update(p, subresource="status")["metadata"]["labels"] == {"app": "web"}
    d = api.create(
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "web"},
            "spec": {
                "selector": {"matchLabels": {"app": "web"}},
                "template": {
                    "metadata": {"labels": {"app": "web"}},
                    "spec": {"containers": [{"name": "c", "image": "nginx"}]},
                },
            },
        }
    )
    d = copy.deepcopy(d)
    d["metadata"]["annotations"] = {"not a key!": "x"}
    with pytest.raises(ApiError) as err:
        api.update(d, subresource="status")
    assert err.value.code == 422 and "metadata.annotations" in str(err.value)
    assert "annotations" not in api.get("deployments", "web", "default")["metadata"]


@pytest.mark.parametrize(
    "obj",
    [
        {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s"}, "spec": {"ports": [{"port": 80}]}},
        {
            "apiVersion": "coordination.k8s.io/v1",
            "kind": "Lease",
            "metadata": {"name": "l"},
            "spec": {"holderIdentity": "a", "leaseDurationSeconds": 15},
        },
        {
            "apiVersion": "v1",
            "kind": "PersistentVolumeClaim",
            "metadata": {"name": "c"},
            "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}},
        },
    ],
    ids=["Service", "Lease", "PersistentVolumeClaim"],
)
def test_kinds_whose_strategy_keeps_no_generation_have_none(api, obj):
    """Services, Leases and PersistentVolumeClaims have a spec but their strategies set no generation
    (pkg/registry/coordination/lease/strategy.go, pkg/registry/core/service/strategy.go): a Lease renewed
    every 10 s does not count generations."""
    stored = copy.deepcopy(api.create(obj))
    assert "generation" not in stored["metadata"]
    stored["spec"] = dict(stored["spec"], **({"holderIdentity": "b"} if obj["kind"] == "Lease" else {}))
    stored["metadata"]["labels"] = {"x": "y"}
    assert "generation" not in api.update(stored)["metadata"]


def test_an_endpoint_slice_counts_changes_of_anything_but_metadata_and_of_its_labels(api):
    """pkg/registry/discovery/endpointslice/strategy.go: PrepareForCreate sets 1; PrepareForUpdate bumps on
    any change outside metadata, or of the labels — the generation the EndpointSlice controller's tracker
    compares."""
    es = api.create(
        {
            "apiVersion": "discovery.k8s.io/v1",
            "kind": "EndpointSlice",
            "metadata": {"name": "web-abc", "labels": {"kubernetes.io/service-name": "web"}},
            "addressType": "IPv4",
            "endpoints": [],
        }
    )
    assert es["metadata"]["generation"] == 1
    es = copy.deepcopy(es)
    es["metadata"]["annotations"] = {"note": "x"}
    es = copy.deepcopy(api.update(es))
    assert es["metadata"]["generation"] == 1
    es["endpoints"] = [{"addresses": ["10.244.1.5"]}]
    es = copy.deepcopy(api.update(es))
    assert es["metadata"]["generation"] == 2
    es["metadata"]["labels"] = {"kubernetes.io/service-name": "api"}
    assert api.update(es)["metadata"]["generation"] == 3


def test_strategic_merge_patch_merges_containers_by_name(api):
    p = pod()
    p["spec"]["containers"].append({"name": "sidecar", "image": "busybox:1.36"})
    api.create(p)
    patched = api.patch(
        "pods",
        "web",
        {"spec": {"containers": [{"name": "nginx", "image": "nginx:1.28"}]}},
        namespace="default",
        patch_type="strategic",
    )
    assert [(c["name"], c["image"]) for c in patched["spec"]["containers"]] == [
        ("nginx", "nginx:1.28"),
        ("sidecar", "busybox:1.36"),
    ]


def test_generate_name_uses_the_seeded_alphabet(api):
    p = pod()
    p["metadata"] = {"generateName": "web-"}
    name = api.create(p)["metadata"]["name"]
    assert name.startswith("web-") and len(name) == 9
    assert all(ch in "bcdfghjklmnpqrstvwxz2456789" for ch in name[4:])


def test_watch_from_a_resource_version_replays_later_changes(api):
    first = api.create(pod("a"))
    api.create(pod("b"))
    api.delete("pods", "a", "default")
    seen = []
    api.watch(
        "pods",
        lambda t, o: seen.append((t, o["metadata"]["name"])),
        resource_version=first["metadata"]["resourceVersion"],
    )
    api.create(pod("c"))
    assert seen == [("ADDED", "b"), ("DELETED", "a"), ("ADDED", "c")]


def test_watch_from_a_compacted_version_is_410_gone(api):
    first = api.create(pod("a"))
    for i in range(3):
        api.patch("pods", "a", {"metadata": {"labels": {"n": str(i)}}}, namespace="default")
    api.etcd.compact(api.etcd.revision)
    with pytest.raises(ApiError) as err:
        api.watch("pods", lambda t, o: None, resource_version=first["metadata"]["resourceVersion"])
    assert (err.value.code, err.value.reason) == (410, "Expired")
    assert str(err.value).startswith(f"too old resource version: {first['metadata']['resourceVersion']} (")


def test_field_selector_watch_sees_objects_enter_and_leave(api):
    api.create(pod("a"))
    seen = []
    api.watch(
        "pods",
        lambda t, o: seen.append(t),
        field_selector="spec.nodeName=worker-1",
        resource_version=str(api.etcd.revision),
    )
    api.bind("default", "a", "worker-1")
    api.delete("pods", "a", "default", grace_period_seconds=0)
    assert seen == ["ADDED", "DELETED"]


def test_bookmarks_go_only_to_watchers_that_asked(api):
    got, plain = [], []
    api.watch(
        "pods",
        lambda t, o: got.append((t, o["metadata"]["resourceVersion"])),
        allow_bookmarks=True,
        resource_version=str(api.etcd.revision),
    )
    api.watch("pods", lambda t, o: plain.append(t), resource_version=str(api.etcd.revision))
    api.send_bookmarks()
    assert got == [("BOOKMARK", str(api.etcd.revision))]
    assert plain == []


def test_bound_pod_deletes_gracefully_then_for_good(api):
    api.create(pod())
    api.bind("default", "web", "worker-1")
    marked = api.delete("pods", "web", "default")
    assert marked["metadata"]["deletionGracePeriodSeconds"] == 30
    assert api.peek("pods", "web", "default") is not None
    api.delete("pods", "web", "default", grace_period_seconds=0)
    assert api.peek("pods", "web", "default") is None


def test_binding_an_assigned_pod_conflicts(api):
    api.create(pod())
    api.bind("default", "web", "worker-1")
    with pytest.raises(ApiError) as err:
        api.bind("default", "web", "worker-2")
    assert err.value.code == 409


def test_service_gets_a_cluster_ip_inside_the_service_cidr(api):
    svc = api.create(
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": "web"},
            "spec": {"ports": [{"port": 80}], "type": "NodePort"},
        }
    )
    assert svc["spec"]["clusterIP"].startswith("10.")
    assert 30000 <= svc["spec"]["ports"][0]["nodePort"] <= 32767


def test_status_object_of_an_error_is_kubernetes_shaped(api):
    with pytest.raises(ApiError) as err:
        api.get("pods", "missing", "default")
    assert err.value.status() == {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": 'pods "missing" not found',
        "reason": "NotFound",
        "details": {"name": "missing", "kind": "pods"},
        "code": 404,
    }


def test_events_repeat_by_counting(api):
    p = api.create(pod())
    kubelet = api.client("kubelet", "worker-1")
    kubelet.event(p, "Warning", "BackOff", "Back-off restarting failed container")
    kubelet.event(p, "Warning", "BackOff", "Back-off restarting failed container")
    events = api.events_for(p)
    assert len(events) == 1 and events[0]["count"] == 2


def test_watch_from_resource_version_zero_starts_with_the_current_state(api):
    api.create({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a", "namespace": "default"}})
    seen = []
    api.watch(
        "configmaps",
        lambda etype, obj: seen.append((etype, obj["metadata"]["name"])),
        namespace="default",
        resource_version="0",
    )
    api.create({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "b", "namespace": "default"}})
    assert [s for s in seen if s[1] in ("a", "b")] == [("ADDED", "a"), ("ADDED", "b")]


def test_the_compactor_first_records_then_compacts_to_the_revision_it_recorded(api):
    api.create(pod("a"))
    recorded = api.etcd.revision + 1  # its own write of compact_rev_key is a revision too
    api.compactor.run_once()
    assert (api.etcd.revision, api.etcd.compact_revision) == (recorded, 0)
    api.patch("pods", "a", {"metadata": {"labels": {"n": "1"}}}, namespace="default")
    api.compactor.run_once()
    assert api.etcd.compact_revision == recorded
    assert api.etcd.get("compact_rev_key").value == str(recorded).encode()


def test_two_api_servers_sharing_etcd_compact_once_per_round(api):
    other = Compactor(api.etcd)
    api.compactor.run_once()
    assert other.run_once().startswith("another API server")
    api.create(pod("a"))
    api.compactor.run_once()
    first = api.etcd.compact_revision
    assert first > 0 and other.run_once().startswith("another API server")
    assert api.etcd.compact_revision == first and api.etcd.get("compact_rev_key").version == 2


def test_the_cluster_compacts_every_five_minutes_keeping_one_interval_of_history():
    c = kcourse.Cluster(seed=0)
    c.run(until=599)
    assert c.etcd.compact_revision == 0
    revision_at_300 = c.etcd.get("compact_rev_key").mod_revision  # the revision the first round recorded
    c.run(until=601)
    assert c.etcd.compact_revision == revision_at_300
    assert [e.time for e in c.events if e.component == "kube-apiserver" and e.verb == "compact"] == [300, 600]


def test_a_kubelet_cut_off_longer_than_the_history_relists_after_410():
    c = kcourse.Cluster(seed=0)
    c.partition_node("worker-1")
    c.run(until=c.now + 700)
    c.heal_partition("worker-1")
    c.run(until=c.now + 30)
    kubelet = c.kubelet("worker-1")
    assert kubelet.pod_informer.relists == 1
    assert kubelet.node_informer.relists == 1


# --- preconditions come before validation -------------------------------------------------------------------

OPTIMISTIC_LOCK = (
    "the object has been modified; please apply your changes to the latest version and try again"
)


def _deployment(name: str = "web") -> dict:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name},
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {"containers": [{"name": "c", "image": "nginx:1.27"}]},
            },
        },
    }


def test_a_stale_put_that_also_breaks_validation_is_a_conflict_not_invalid(api):
    """``GuaranteedUpdate`` checks the resourceVersion before ``BeforeUpdate`` validates
    (``apiserver/pkg/registry/generic/registry/store.go``, ``Update``): a stale PUT whose spec
    would be refused anyway gets 409 with the optimistic-lock text, and nothing is written."""
    first = api.create(pod())
    api.update(dict(first, metadata=dict(first["metadata"], labels={"app": "web", "v": "2"})))
    stale = dict(first, spec=dict(first["spec"], restartPolicy="Sometimes"))  # also invalid and immutable
    revision = api.etcd.revision
    with pytest.raises(ApiError) as err:
        api.update(stale)
    assert (err.value.code, err.value.reason) == (409, "Conflict")
    assert str(err.value) == f'Operation cannot be fulfilled on pods "web": {OPTIMISTIC_LOCK}'
    assert api.etcd.revision == revision


def test_a_current_put_that_breaks_validation_is_still_invalid(api):
    first = api.create(pod())
    with pytest.raises(ApiError) as err:
        api.update(dict(first, spec=dict(first["spec"], restartPolicy="Sometimes")))
    assert err.value.code == 422


def test_a_stale_status_update_with_a_bad_status_is_a_conflict(api):
    """The status subresource goes through the same store ``Update``: preconditions first."""
    first = api.create(_deployment())
    api.update(dict(first, metadata=dict(first["metadata"], labels={"x": "y"})))
    with pytest.raises(ApiError) as err:
        api.update(dict(first, status={"replicas": 1}), subresource="status")
    assert str(err.value) == f'Operation cannot be fulfilled on deployments.apps "web": {OPTIMISTIC_LOCK}'


def test_a_patch_naming_a_stale_resource_version_is_a_conflict_before_validation(api):
    """A patch that carries ``metadata.resourceVersion`` makes it a precondition (``patch.go`` hands the
    patched object to the same ``Update``); an invalid patched spec does not change the answer."""
    first = api.create(_deployment())
    api.patch("deployments", "web", {"metadata": {"labels": {"x": "y"}}})
    with pytest.raises(ApiError) as err:
        api.patch(
            "deployments",
            "web",
            {"metadata": {"resourceVersion": first["metadata"]["resourceVersion"]}, "spec": {"replicas": -1}},
        )
    assert err.value.code == 409
    with pytest.raises(ApiError) as err:
        api.patch("deployments", "web", {"spec": {"replicas": -1}})
    assert err.value.code == 422


def test_a_put_for_a_recreated_object_fails_its_uid_precondition(api):
    """The body's UID is a precondition of the update (``defaultUpdatedObjectInfo.Preconditions``), checked
    as ``storage.Preconditions.Check`` does (``apiserver/pkg/storage/interfaces.go``), before the version."""
    first = api.create(pod())
    api.delete("pods", "web", grace_period_seconds=0)
    second = api.create(pod())
    body = dict(second, metadata=dict(second["metadata"], uid=first["metadata"]["uid"]))
    with pytest.raises(ApiError) as err:
        api.update(body)
    assert str(err.value) == (
        f'Operation cannot be fulfilled on pods "web": Precondition failed: UID in '
        f"precondition: {first['metadata']['uid']}, UID in object meta: "
        f"{second['metadata']['uid']}"
    )


def test_delete_preconditions_name_what_they_expected(api):
    """DeleteOptions' preconditions, UID then ResourceVersion, with ``Preconditions.Check``'s texts."""
    first = api.create(_deployment())
    rv = first["metadata"]["resourceVersion"]
    api.patch("deployments", "web", {"metadata": {"labels": {"x": "y"}}})
    current = api.get("deployments", "web")["metadata"]["resourceVersion"]
    with pytest.raises(ApiError) as err:
        api.delete("deployments", "web", preconditions_uid="nope", preconditions_resource_version=rv)
    assert "Precondition failed: UID in precondition: nope, UID in object meta:" in str(err.value)
    with pytest.raises(ApiError) as err:
        api.delete("deployments", "web", preconditions_resource_version=rv)
    assert err.value.code == 409
    assert str(err.value) == (
        f'Operation cannot be fulfilled on deployments.apps "web": Precondition failed: '
        f"ResourceVersion in precondition: {rv}, ResourceVersion in object meta: {current}"
    )
    api.delete("deployments", "web", preconditions_resource_version=current)
    assert api.peek("deployments", "web") is None


def test_environment_variables_need_a_name_of_printable_ascii_without_equals():
    """ValidateEnv (pkg/apis/core/validation/validation.go): a variable without a name is Required; with
    RelaxedEnvironmentVariableValidation (beta, on in v1.32) a name is any printable ASCII but '=', refused
    with IsRelaxedEnvVarName's message.  Nothing is stored for a refused Pod."""
    c = kcourse.Cluster(seed=0)

    def pod(env: list) -> dict:
        return {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": "envy"},
            "spec": {"containers": [{"name": "app", "image": "nginx:1.27", "env": env}]},
        }

    for env, want in (
        ([{"value": "x"}], 'Pod "envy" is invalid: spec.containers[0].env[0].name: Required value'),
        (
            [{"name": "A", "value": "1"}, {"name": "KEY=1"}],
            (
                'Pod "envy" is invalid: spec.containers[0].env[1].name: Invalid value: "KEY=1": a valid '
                "environment variable name must consist only of printable ASCII characters other than '='"
            ),
        ),
        ([{"name": "tab\there"}], "env[0].name: Invalid value"),
    ):
        with pytest.raises(kcourse.ApiError) as err:
            c.apply(pod(env))
        assert want in str(err.value)
        assert c.api.items("pods", "default") == []
    c.apply(pod([{"name": "1st.relaxed-name", "value": "ok"}]))  # allowed by the relaxed rule
    assert [p["metadata"]["name"] for p in c.api.items("pods", "default")] == ["envy"]


def test_watchers_sharing_a_selector_each_get_every_change_in_registration_order(api):
    """``cacheWatcher`` per watch: an object entering a selector is ADDED, one leaving it DELETED, to each
    watcher on its own, whichever other watchers with the same or another selector come before it
    (k8s.io/apiserver/pkg/storage/cacher/cache_watcher.go, ``convertToWatchEvent``)."""
    api.create({**pod("a"), "metadata": {"name": "a", "labels": {"app": "db"}}})
    seen: list[tuple[str, str, str]] = []
    rv = str(api.etcd.revision)
    for who, selector in (
        ("w1", "app=web"),
        ("all", None),
        ("w2", "app=web"),
        ("not", "app!=web"),
        ("w3", "app=web"),
    ):
        api.watch(
            "pods",
            lambda t, o, who=who: seen.append((who, t, o["metadata"]["name"])),
            label_selector=selector,
            resource_version=rv,
        )
    api.patch("pods", "a", {"metadata": {"labels": {"app": "web"}}}, namespace="default")
    assert seen == [
        ("w1", "ADDED", "a"),
        ("all", "MODIFIED", "a"),
        ("w2", "ADDED", "a"),
        ("not", "DELETED", "a"),
        ("w3", "ADDED", "a"),
    ]
    seen.clear()
    api.patch("pods", "a", {"metadata": {"labels": {"app": "db"}}}, namespace="default")
    assert seen == [
        ("w1", "DELETED", "a"),
        ("all", "MODIFIED", "a"),
        ("w2", "DELETED", "a"),
        ("not", "ADDED", "a"),
        ("w3", "DELETED", "a"),
    ]
    seen.clear()
    api.create(pod("b"))
    api.delete("pods", "b", "default", grace_period_seconds=0)
    assert seen == [
        ("w1", "ADDED", "b"),
        ("all", "ADDED", "b"),
        ("w2", "ADDED", "b"),
        ("w3", "ADDED", "b"),
        ("w1", "DELETED", "b"),
        ("all", "DELETED", "b"),
        ("w2", "DELETED", "b"),
        ("w3", "DELETED", "b"),
    ]


def test_a_watcher_stopped_by_another_ones_handler_gets_nothing_more(api):
    seen: list[str] = []
    rv = str(api.etcd.revision)
    handles = []

    def first(t: str, o: dict) -> None:
        seen.append("first")
        handles[1].stop()

    handles.append(api.watch("pods", first, label_selector="app=web", resource_version=rv))
    handles.append(
        api.watch("pods", lambda t, o: seen.append("second"), label_selector="app=web", resource_version=rv)
    )
    api.create(pod("a"))
    api.create(pod("b"))
    assert seen == ["first", "first"]


@pytest.mark.parametrize(
    ("key", "message"),
    [
        ("not a key!", "name part must consist of alphanumeric characters"),
        ("a/b/c", "a qualified name must consist of alphanumeric characters"),
        ("/name", "prefix part must be non-empty"),
        ("Example.com/x", "prefix part a lowercase RFC 1123 subdomain"),
        ("x" * 64, "name part must be no more than 63 characters"),
    ],
)
def test_annotation_keys_are_qualified_names(api, key, message):
    """ValidateAnnotations (k8s.io/apimachinery/pkg/api/validation/objectmeta.go) checks each key with
    IsQualifiedName after lowering its case (so ``Example.com/x`` passes, as upstream), and nothing is
    written when it fails."""
    body = pod()
    body["metadata"]["annotations"] = {key: "v"}
    if key == "Example.com/x":
        assert api.create(body)["metadata"]["annotations"] == {key: "v"}
        return
    with pytest.raises(ApiError) as err:
        api.create(body)
    assert err.value.code == 422
    assert f'metadata.annotations: Invalid value: "{key}": {message}' in str(err.value)
    assert api.peek("pods", "web", "default") is None


def test_annotations_fit_in_256_kib_together(api):
    """ValidateAnnotationsSize: keys and values together, at most TotalAnnotationSizeLimitB (262144) bytes."""
    body = pod()
    body["metadata"]["annotations"] = {"a": "x" * 200_000, "b": "y" * 62_144}
    with pytest.raises(ApiError) as err:
        api.create(body)
    assert "metadata.annotations: Too long: may not be more than 262144 bytes" in str(err.value)
    body["metadata"]["annotations"]["b"] = "y" * 62_142
    assert api.create(body)["metadata"]["annotations"]["a"] == "x" * 200_000
