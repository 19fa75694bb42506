"""The API server's door: bodies decoded into their kind's Go types before anything else looks at them.

Families of bad input, each answered as kube-apiserver v1.32 answers it and
each leaving the store exactly as it was:

* wrong JSON types, one family per Go type the decoder meets — Go's
  ``encoding/json`` as forked in ``sigs.k8s.io/json``
  (``internal/golang/encoding/json/decode.go``: ``UnmarshalTypeError`` with
  the innermost struct and the dotted field path, numbers with their
  literal when they do not fit), and the types with their own
  ``UnmarshalJSON`` (apimachinery ``pkg/util/intstr/intstr.go``,
  ``pkg/api/resource/quantity.go``, ``pkg/apis/meta/v1/time.go``);
* unknown and duplicate fields under each ``fieldValidation``
  (``k8s.io/apiserver/pkg/endpoints/handlers/create.go``, ``rest.go``
  ``fieldValidation``; ``pkg/runtime/serializer/json/json.go`` strict mode);
* atomicity: a refused write stores nothing, whether the decoder, validation
  (``pkg/apis/apps/validation``) or admission refuses it;
* ``kubectl apply`` of several documents and of files that are not files.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

import kcourse
from kcourse.sim.manifests import MAX_MANIFEST_BYTES
from kcourse.sim.serializer import decode, loads

from .conftest import assert_clear

QUANTITY_FORMAT = (
    "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"
)


def _pod(**spec_extra: object) -> dict:
    spec = {"containers": [{"name": "c", "image": "nginx"}], **spec_extra}
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": spec}


def _deployment(**spec_extra: object) -> dict:
    spec = {
        "replicas": 1,
        "selector": {"matchLabels": {"app": "a"}},
        "template": {
            "metadata": {"labels": {"app": "a"}},
            "spec": {"containers": [{"name": "c", "image": "nginx"}]},
        },
        **spec_extra,
    }
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d"}, "spec": spec}


def _service(*ports: object) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "s"},
        "spec": {"selector": {"app": "a"}, "ports": list(ports)},
    }


def _set(obj: dict, path: str, value: object) -> dict:
    cur = obj
    parts = path.split(".")
    for part in parts[:-1]:
        cur = cur[int(part)] if isinstance(cur, list) else cur.setdefault(part, {})
    cur[parts[-1]] = value
    return obj


def _refused(cluster: kcourse.Cluster, obj: object, *, fv: str = "Strict", code: int = 400) -> str:
    """Create ``obj``; it must be refused with ``code``, a clear message, and no change to the store."""
    revision = cluster.etcd.revision
    with pytest.raises(kcourse.ApiError) as err:
        cluster.api.create(obj, field_validation=fv, user="test")
    assert err.value.code == code, err.value.message
    assert_clear(err.value.message)
    assert cluster.etcd.revision == revision
    return err.value.message


# --- wrong JSON types, one family per Go type --------------------------------------------------------------

TYPE_CASES = [
    # string fields
    (
        _pod(),
        "metadata.name",
        5,
        ("json: cannot unmarshal number into Go struct field ObjectMeta.metadata.name of type string"),
    ),
    (
        _pod(),
        "spec.containers.0.image",
        ["nginx"],
        ("json: cannot unmarshal array into Go struct field Container.spec.containers.image of type string"),
    ),
    (
        _pod(),
        "spec.nodeName",
        True,
        ("json: cannot unmarshal bool into Go struct field PodSpec.spec.nodeName of type string"),
    ),
    (
        _pod(),
        "spec.restartPolicy",
        1,
        (
            "json: cannot unmarshal number into Go struct field PodSpec.spec.restartPolicy "
            "of type v1.RestartPolicy"
        ),
    ),
    (
        _pod(),
        "spec.containers.0.imagePullPolicy",
        {},
        (
            "json: cannot unmarshal object into Go struct field "
            "Container.spec.containers.imagePullPolicy of type v1.PullPolicy"
        ),
    ),
    # int32 / int64: wrong kinds, fractions, overflow
    (
        _deployment(),
        "spec.replicas",
        "3",
        ("json: cannot unmarshal string into Go struct field DeploymentSpec.spec.replicas of type int32"),
    ),
    (
        _deployment(),
        "spec.replicas",
        1.5,
        ("json: cannot unmarshal number 1.5 into Go struct field DeploymentSpec.spec.replicas of type int32"),
    ),
    (
        _deployment(),
        "spec.replicas",
        2**31,
        (
            "json: cannot unmarshal number 2147483648 into Go struct field "
            "DeploymentSpec.spec.replicas of type int32"
        ),
    ),
    (
        _deployment(),
        "spec.replicas",
        True,
        ("json: cannot unmarshal bool into Go struct field DeploymentSpec.spec.replicas of type int32"),
    ),
    (
        _pod(),
        "spec.terminationGracePeriodSeconds",
        2**63,
        (
            "json: cannot unmarshal number 9223372036854775808 into "
            "Go struct field PodSpec.spec.terminationGracePeriodSeconds of type int64"
        ),
    ),
    (
        _pod(),
        "spec.priority",
        "x",
        ("json: cannot unmarshal string into Go struct field PodSpec.spec.priority of type int32"),
    ),
    (
        _pod(),
        "spec.containers.0.ports",
        [{"containerPort": 1e3}],
        None,
    ),  # 1e3 is 1000 to Go as well: accepted
    # bool
    (
        _pod(),
        "spec.hostNetwork",
        "yes",
        ("json: cannot unmarshal string into Go struct field PodSpec.spec.hostNetwork of type bool"),
    ),
    (
        _pod(),
        "spec.enableServiceLinks",
        0,
        ("json: cannot unmarshal number into Go struct field PodSpec.spec.enableServiceLinks of type bool"),
    ),
    # maps
    (
        _pod(),
        "metadata.labels",
        {"a": 1},
        ("json: cannot unmarshal number into Go struct field ObjectMeta.metadata.labels of type string"),
    ),
    (
        _pod(),
        "metadata.annotations",
        5,
        (
            "json: cannot unmarshal number into Go struct field ObjectMeta.metadata."
            "annotations of type map[string]string"
        ),
    ),
    (
        _deployment(),
        "spec.selector.matchLabels",
        ["a"],
        (
            "json: cannot unmarshal array into Go struct field "
            "LabelSelector.spec.selector.matchLabels of type map[string]string"
        ),
    ),
    (
        _pod(),
        "spec.containers.0.resources.limits",
        "big",
        (
            "json: cannot unmarshal string into Go struct field "
            "ResourceRequirements.spec.containers.resources.limits of type v1.ResourceList"
        ),
    ),
    # slices and structs
    (
        _pod(),
        "spec.tolerations",
        [1],
        ("json: cannot unmarshal number into Go struct field PodSpec.spec.tolerations of type v1.Toleration"),
    ),
    (
        _pod(),
        "spec.containers.0.ports",
        ["80"],
        (
            "json: cannot unmarshal string into Go struct field Container.spec."
            "containers.ports of type v1.ContainerPort"
        ),
    ),
    (
        _pod(),
        "spec.containers.0.command",
        "sleep 1",
        (
            "json: cannot unmarshal string into Go struct field Container."
            "spec.containers.command of type []string"
        ),
    ),
    (
        _pod(),
        "spec.affinity",
        "x",
        ("json: cannot unmarshal string into Go struct field PodSpec.spec.affinity of type v1.Affinity"),
    ),
    (
        _pod(),
        "spec.containers.0.livenessProbe",
        "x",
        (
            "json: cannot unmarshal string into Go struct field Container."
            "spec.containers.livenessProbe of type v1.Probe"
        ),
    ),
    (
        _pod(),
        "metadata.ownerReferences",
        [1, 2],
        (
            "json: cannot unmarshal number into Go struct field ObjectMeta."
            "metadata.ownerReferences of type v1.OwnerReference"
        ),
    ),
    (
        _pod(),
        "metadata.ownerReferences",
        "x",
        (
            "json: cannot unmarshal string into Go struct field ObjectMeta.metadata."
            "ownerReferences of type []v1.OwnerReference"
        ),
    ),
    (_pod(), "spec", [], "json: cannot unmarshal array into Go struct field Pod.spec of type v1.PodSpec"),
    (
        _pod(),
        "metadata",
        "x",
        "json: cannot unmarshal string into Go struct field Pod.metadata of type v1.ObjectMeta",
    ),
    (_deployment(), "spec.updateStrategy", "x", 'strict decoding error: unknown field "spec.updateStrategy"'),
    # IntOrString: its UnmarshalJSON hands non-strings to an int32, and stops at the first error
    (
        _deployment(),
        "spec.strategy",
        {"rollingUpdate": {"maxSurge": True}},
        (
            "json: cannot unmarshal bool into Go "
            "struct field RollingUpdateDeployment.spec.strategy.rollingUpdate.maxSurge of type int32"
        ),
    ),
    (
        _deployment(),
        "spec.strategy",
        {"rollingUpdate": {"maxUnavailable": 0.5}},
        (
            "json: cannot unmarshal number 0.5 into Go struct field "
            "RollingUpdateDeployment.spec.strategy.rollingUpdate.maxUnavailable of type int32"
        ),
    ),
    (
        _service({"port": 80, "targetPort": {"a": 1}}),
        "metadata.name",
        "s",
        (
            "json: cannot unmarshal object into Go "
            "struct field ServicePort.spec.ports.targetPort of type int32"
        ),
    ),
    # Quantity: its UnmarshalJSON parses the text, quoted or not
    (_pod(), "spec.containers.0.resources", {"requests": {"cpu": "lots"}}, QUANTITY_FORMAT),
    (
        _pod(),
        "spec.containers.0.resources",
        {"limits": {"memory": "1kk"}},
        "unable to parse quantity's suffix",
    ),
    (_pod(), "spec.containers.0.resources", {"limits": {"memory": True}}, QUANTITY_FORMAT),
    # Time: RFC 3339 only
    (
        _pod(),
        "metadata.creationTimestamp",
        "yesterday",
        ('parsing time "yesterday" as "2006-01-02T15:04:05Z07:00": cannot parse "yesterday" as "2006"'),
    ),
    (
        _pod(),
        "metadata.creationTimestamp",
        5,
        (
            "json: cannot unmarshal number into Go struct field ObjectMeta.metadata."
            "creationTimestamp of type string"
        ),
    ),
    # Service ports and node ports
    (
        _service(80),
        "metadata.name",
        "s",
        ("json: cannot unmarshal number into Go struct field ServiceSpec.spec.ports of type v1.ServicePort"),
    ),
    (
        _service({"port": 80, "nodePort": "x"}),
        "metadata.name",
        "s",
        ("json: cannot unmarshal string into Go struct field ServicePort.spec.ports.nodePort of type int32"),
    ),
]


@pytest.mark.parametrize(
    ("obj", "path", "value", "expected"),
    TYPE_CASES,
    ids=[f"{c[0]['kind']}-{c[1]}-{type(c[2]).__name__}" for c in TYPE_CASES],
)
def test_a_wrong_type_is_refused_with_the_decoders_words(
    cluster: kcourse.Cluster, obj: dict, path: str, value: object, expected: str | None
) -> None:
    """``json: cannot unmarshal <json type> into Go struct field <Struct>.<path> of type <Go type>``: the
    innermost struct, the dotted path without indices, and the field's Go type (sigs.k8s.io/json decode.go);
    the whole message prefixed by create.go's ``transformDecodeError``."""
    obj = json.loads(json.dumps(obj))
    obj["metadata"]["name"] = f"t{len(TYPE_CASES)}-{path.replace('.', '-').lower()}"
    obj = _set(obj, path, value)
    if expected is None:
        stored = cluster.api.create(obj, field_validation="Strict", user="test")
        assert decode(stored, "Strict") == stored
        return
    message = _refused(cluster, obj)
    kind = obj["kind"]
    assert message.startswith(f'{kind} in version "v1" cannot be handled as a {kind}: '), message
    assert message.endswith(expected), message


def test_only_the_first_type_error_is_reported_but_an_unmarshaler_error_wins(
    cluster: kcourse.Cluster,
) -> None:
    """Go saves the first UnmarshalTypeError and goes on; an UnmarshalJSON error ends decoding at once
    and is what the caller gets (decode.go ``saveError`` versus ``d.value`` returning an error)."""
    two = _set(_deployment(), "spec.replicas", "x")
    two["spec"]["minReadySeconds"] = "y"
    assert _refused(cluster, two).endswith("DeploymentSpec.spec.replicas of type int32")
    both = _set(_deployment(), "spec.replicas", "x")
    both["spec"]["strategy"] = {"rollingUpdate": {"maxSurge": []}}
    assert _refused(cluster, both).endswith(
        "RollingUpdateDeployment.spec.strategy.rollingUpdate.maxSurge of type int32"
    )


def test_numbers_python_cannot_print_are_reported_with_their_digits(cluster: kcourse.Cluster) -> None:
    """A 5,000-digit integer is a number Go cannot fit (``number 1000…``), never Python's int-to-text limit;
    read from JSON text it is kept as its literal."""
    huge = 10**5000
    message = _refused(cluster, _set(_deployment(), "spec.replicas", huge))
    assert (
        "json: cannot unmarshal number 1" + "0" * 5000 + " into Go struct field DeploymentSpec.spec.replicas"
        in message
    )
    body = loads(
        '{"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d"}, '
        '"spec": {"replicas": 1' + "0" * 5000 + "}}"
    )
    assert "number 1" + "0" * 5000 + " into" in _refused(cluster, body)
    assert "number 1.0 into Go struct field DeploymentSpec.spec.replicas" in _refused(
        cluster, loads('{"apiVersion": "apps/v1", "kind": "Deployment", "spec": {"replicas": 1.0}}')
    )


def test_null_is_the_zero_value_and_a_stored_object_is_always_typed(cluster: kcourse.Cluster) -> None:
    """Go decodes ``null`` as the zero value: the field stays unset, a map or list element becomes ``""``/
    ``{}``; so ``labels: {a: null}`` stores ``a: ""`` and ``spec.nodeSelector: null`` is no selector."""
    pod = _pod(nodeSelector=None, priorityClassName=None)
    pod["metadata"].update(name="nulls", labels={"a": None})
    stored = cluster.api.create(pod, field_validation="Strict", user="test")
    assert stored["metadata"]["labels"] == {"a": ""}
    assert "nodeSelector" not in stored["spec"] and "priorityClassName" not in stored["spec"]
    assert decode(stored, "Strict") == stored


def test_a_body_that_is_not_an_object_is_a_bad_request(cluster: kcourse.Cluster) -> None:
    """``couldn't get version/kind; json parse error``: the meta factory reads apiVersion and kind first."""
    for body, what in (([1], "array"), ("x", "string"), (5, "number")):
        assert f"json: cannot unmarshal {what} into Go value of type struct" in _refused(cluster, body)
    assert "json: cannot unmarshal number into Go struct field .kind of type string" in _refused(
        cluster, {"apiVersion": "v1", "kind": 5}
    )


# --- unknown and duplicate fields under each fieldValidation ------------------------------------------------


def _typo() -> dict:
    pod = _pod()
    pod["metadata"]["name"] = "typo"
    pod["spec"]["containers"][0]["imagePullPolice"] = "Always"
    return pod


def test_strict_refuses_an_unknown_field_with_its_path_and_index(cluster: kcourse.Cluster) -> None:
    """``strict decoding error: unknown field "spec.containers[0].imagePullPolice"`` — the strict path carries
    list indices and map keys (sigs.k8s.io/json ``kubernetes_patch.go`` ``newFieldError``)."""
    message = _refused(cluster, _typo())
    assert message == (
        'Pod in version "v1" cannot be handled as a Pod: strict decoding error: unknown field '
        '"spec.containers[0].imagePullPolice"'
    )


def test_several_unknown_fields_are_all_listed_in_document_order(cluster: kcourse.Cluster) -> None:
    """runtime ``strictDecodingError.Error`` joins them with ``", "``; metadata, status and case variants
    (``Replicas``: the decoder is case-sensitive) are unknown too."""
    dep = _deployment()
    dep["metadata"]["nmae"] = "x"
    dep["spec"]["Replicas"] = 2
    dep["status"] = {"ready": 1}
    message = _refused(cluster, dep)
    assert message.endswith(
        'strict decoding error: unknown field "metadata.nmae", unknown field "spec.Replicas", '
        'unknown field "status.ready"'
    ), message


def test_warn_drops_the_field_and_returns_a_warning(cluster: kcourse.Cluster) -> None:
    """``Warn`` (also what an absent parameter means) stores the object without the field and answers with
    one warning per field (create.go ``addStrictDecodingWarnings``)."""
    for fv in ("Warn", ""):
        pod = _typo()
        pod["metadata"]["name"] = f"warn{len(fv)}"
        warnings: list[str] = []
        stored = cluster.api.create(pod, field_validation=fv, warnings=warnings, user="test")
        assert warnings == ['unknown field "spec.containers[0].imagePullPolice"']
        assert "imagePullPolice" not in stored["spec"]["containers"][0]


def test_ignore_drops_the_field_silently(cluster: kcourse.Cluster) -> None:
    pod = _typo()
    pod["metadata"]["name"] = "ignored"
    warnings: list[str] = []
    stored = cluster.api.create(pod, field_validation="Ignore", warnings=warnings, user="test")
    assert warnings == [] and "imagePullPolice" not in stored["spec"]["containers"][0]


def test_duplicate_fields_in_the_json_text_follow_field_validation(cluster: kcourse.Cluster) -> None:
    """``duplicate field "spec.replicas"`` for a struct field, ``"metadata.labels.app"`` for a map key;
    Strict refuses, Warn warns and keeps the last value (Go decodes both, the second wins)."""
    text = (
        '{"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "dup%s", "labels": {"app": '
        '"x", "app": "y"}}, "spec": {"replicas": 1, "replicas": 2, "selector": {"matchLabels": {"app": '
        '"a"}}, "template": {"metadata": {"labels": {"app": "a"}}, "spec": {"containers": [{"name": "c", '
        '"image": "nginx"}]}}}}'
    )
    message = _refused(cluster, loads(text % "1"))
    assert message.endswith(
        'strict decoding error: duplicate field "metadata.labels.app", duplicate field "spec.replicas"'
    ), message
    warnings: list[str] = []
    stored = cluster.api.create(loads(text % "2"), field_validation="Warn", warnings=warnings, user="test")
    assert warnings == ['duplicate field "metadata.labels.app"', 'duplicate field "spec.replicas"']
    assert stored["spec"]["replicas"] == 2 and stored["metadata"]["labels"] == {"app": "y"}


def test_an_unknown_field_validation_value_is_refused_before_decoding(cluster: kcourse.Cluster) -> None:
    """meta/v1 validation ``ValidateFieldValidation``: only "", Ignore, Warn and Strict."""
    message = _refused(cluster, _typo(), fv="strict", code=422)
    assert message == (
        'CreateOptions.meta.k8s.io "" is invalid: fieldValidation: Unsupported value: "strict": '
        'supported values: "", "Ignore", "Strict", "Warn"'
    )


def test_kubectl_and_cluster_apply_send_strict(cluster: kcourse.Cluster, tmp_path: Path) -> None:
    """kubectl's ``--validate`` defaults to ``strict``, so a misspelled field is an error from the server."""
    with pytest.raises(kcourse.ApiError) as err:
        cluster.apply(_typo())
    assert 'unknown field "spec.containers[0].imagePullPolice"' in err.value.message
    path = tmp_path / "typo.yaml"
    path.write_text(json.dumps(_typo()))
    out = cluster.kubectl(f"apply -f {path}")
    assert 'Error from server (BadRequest): error when creating "' in out
    assert 'strict decoding error: unknown field "spec.containers[0].imagePullPolice"' in out
    assert cluster.api.peek("pods", "typo", "default") is None


def test_updates_and_patches_are_decoded_too(cluster: kcourse.Cluster) -> None:
    """PUT and PATCH bodies pass the same door (handlers/update.go, patch.go): a patch cannot smuggle in a
    wrongly typed or unknown field, and a refused one changes nothing."""
    dep = _deployment()
    dep["metadata"]["name"] = "patched"
    cluster.api.create(dep, user="test")
    revision = cluster.etcd.revision
    for patch, fragment in (
        ({"spec": {"replicas": "many"}}, "of type int32"),
        ({"spec": {"replicaz": 3}}, 'unknown field "spec.replicaz"'),
        ({"metadata": "x"}, "Go struct field Deployment.metadata of type v1.ObjectMeta"),
        ([1], "json: cannot unmarshal array"),
    ):
        with pytest.raises(kcourse.ApiError) as err:
            cluster.api.patch(
                "deployments", "patched", patch, namespace="default", field_validation="Strict", user="test"
            )
        assert err.value.code == 400 and fragment in err.value.message, err.value.message
    with pytest.raises(kcourse.ApiError) as err:
        cluster.api.patch(
            "deployments",
            "patched",
            [{"op": "replace", "path": "/spec/nope/deeper", "value": 1}],
            namespace="default",
            patch_type="json",
            user="test",
        )
    assert 400 <= err.value.code < 500
    current = cluster.api.get("deployments", "patched", "default")
    bad = json.loads(json.dumps(current))
    bad["spec"]["paused"] = "yes"
    with pytest.raises(kcourse.ApiError) as err:
        cluster.api.update(bad, field_validation="Strict", user="test")
    assert "DeploymentSpec.spec.paused of type bool" in err.value.message
    assert cluster.etcd.revision == revision


# --- atomicity: a refused write stores nothing --------------------------------------------------------------


def test_objects_that_used_to_raise_after_storing_are_refused_before(cluster: kcourse.Cluster) -> None:
    """``ownerReferences: [1, 2]`` and ``spec.priority: x`` are decode errors: 400, nothing stored."""
    for name, obj in (
        ("owners", _set(_pod(), "metadata.ownerReferences", [1, 2])),
        ("prio", _set(_pod(), "spec.priority", "x")),
    ):
        obj["metadata"]["name"] = name
        _refused(cluster, obj)
        assert cluster.api.peek("pods", name, "default") is None


def test_a_bad_max_surge_is_refused_by_validation_so_no_controller_sees_it(cluster: kcourse.Cluster) -> None:
    """apps/validation ``ValidatePositiveIntOrPercent`` (``IsValidPercent``): 422, with the IntOrString
    printed as Go's ``%#v`` does (field/errors.go ``ErrorBody``: the value's String() has a pointer
    receiver)."""
    dep = _deployment(strategy={"rollingUpdate": {"maxSurge": "abc%"}})
    message = _refused(cluster, dep, code=422)
    assert message == (
        'Deployment.apps "d" is invalid: spec.strategy.rollingUpdate.maxSurge: Invalid value: '
        'intstr.IntOrString{Type:1, IntVal:0, StrVal:"abc%"}: a valid percent string must be a numeric '
        "string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is "
        "'[0-9]+%')"
    )
    over = _deployment(strategy={"rollingUpdate": {"maxUnavailable": "150%", "maxSurge": -1}})
    message = _refused(cluster, over, code=422)
    assert (
        "spec.strategy.rollingUpdate.maxSurge: Invalid value: -1: must be greater than or equal to 0"
        in message
    )
    assert (
        "spec.strategy.rollingUpdate.maxUnavailable: Invalid value: intstr.IntOrString{Type:1, IntVal:0, "
        'StrVal:"150%"}: must not be greater than 100%'
    ) in message


def test_daemonset_update_strategy_is_validated(cluster: kcourse.Cluster) -> None:
    """apps/validation ``ValidateDaemonSetUpdateStrategy`` and ``ValidateRollingUpdateDaemonSet``."""
    ds = _deployment(updateStrategy={"type": "Sometimes"})
    ds["kind"], ds["metadata"]["name"] = "DaemonSet", "ds"
    del ds["spec"]["replicas"]
    assert (
        'spec.updateStrategy: Unsupported value: apps.DaemonSetUpdateStrategy{Type:"Sometimes"'
        in _refused(cluster, ds, code=422)
    )
    ds["spec"]["updateStrategy"] = {"rollingUpdate": {"maxSurge": 1}}
    assert (
        "spec.updateStrategy.rollingUpdate.maxSurge: Invalid value: intstr.IntOrString{Type:0, IntVal:1, "
        'StrVal:""}: may not be set when maxUnavailable is non-zero'
    ) in _refused(cluster, ds, code=422)


def test_a_bad_selector_operator_is_refused(cluster: kcourse.Cluster) -> None:
    """metav1 validation ``ValidateLabelSelectorRequirement``: ``not a valid selector operator``."""
    dep = _deployment()
    dep["spec"]["selector"]["matchExpressions"] = [{"key": "app", "operator": "Maybe"}]
    assert (
        'spec.selector.matchExpressions[0].operator: Invalid value: "Maybe": not a valid selector operator'
        in _refused(cluster, dep, code=422)
    )


# --- multi-document apply and files that are not files ------------------------------------------------------


def test_a_decode_error_in_any_document_stops_apply_before_any_write(cluster: kcourse.Cluster) -> None:
    good = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "first"}, "data": {"a": "b"}}
    bad = _set(_deployment(), "spec.replicas", "two")
    revision = cluster.etcd.revision
    with pytest.raises(kcourse.ApiError) as err:
        cluster.apply([good, bad])
    assert err.value.code == 400 and "DeploymentSpec.spec.replicas of type int32" in err.value.message
    assert cluster.etcd.revision == revision and cluster.api.peek("configmaps", "first", "default") is None


def test_a_server_side_refusal_does_not_stop_the_other_documents(
    cluster: kcourse.Cluster, tmp_path: Path
) -> None:
    """kubectl apply applies every object and reports the failures at the end (apply.go ``Run``)."""
    good = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "kept"}, "data": {"a": "b"}}
    invalid = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "Not_Valid"}}
    later = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "later"}}
    with pytest.raises(kcourse.ApiError) as err:
        cluster.apply([good, invalid, later])
    assert err.value.code == 422 and 'ConfigMap "Not_Valid" is invalid' in err.value.message
    assert cluster.api.peek("configmaps", "kept", "default") is not None
    assert cluster.api.peek("configmaps", "later", "default") is not None
    path = tmp_path / "two.yaml"
    path.write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cli-kept}\n---\n"
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: CLI}\n"
    )
    out = cluster.kubectl(f"apply -f {path}")
    assert "configmap/cli-kept created" in out
    assert 'The ConfigMap "CLI" is invalid: metadata.name: Invalid value: "CLI"' in out


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_a_fifo_is_refused_without_blocking(cluster: kcourse.Cluster, tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.yaml"
    os.mkfifo(fifo)
    with pytest.raises(kcourse.ApiError) as err:
        cluster.apply(str(fifo))
    assert err.value.code == 400 and "not a regular file" in err.value.message
    assert "not a regular file" in cluster.kubectl(f"apply -f {fifo}")


def test_a_device_is_refused_without_reading_it(cluster: kcourse.Cluster) -> None:
    for device in ("/dev/zero", "/dev/urandom"):
        if Path(device).exists():
            with pytest.raises(kcourse.ApiError) as err:
                cluster.apply(device)
            assert "not a regular file" in err.value.message


def test_an_oversized_file_is_refused_after_reading_at_most_the_limit(
    cluster: kcourse.Cluster, tmp_path: Path
) -> None:
    big = tmp_path / "big.yaml"
    big.write_bytes(b"# " + b"x" * MAX_MANIFEST_BYTES + b"\n")
    with pytest.raises(kcourse.ApiError) as err:
        cluster.apply(str(big))
    assert "larger than the API server's limit of 3145728 bytes" in err.value.message


def test_odd_paths_are_clear_errors(cluster: kcourse.Cluster, tmp_path: Path) -> None:
    """A name too long, a NUL byte, a file that is not UTF-8: refused with a message, never an OSError."""
    bad_utf8 = tmp_path / "latin1.yaml"
    bad_utf8.write_bytes(b"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: caf\xe9}\n")
    for source in ("x" * 300 + ".yaml", "a\0b.yaml", str(bad_utf8)):
        with pytest.raises(kcourse.ApiError) as err:
            cluster.apply(source)
        assert 400 <= err.value.code < 500
        assert_clear(err.value.message)
