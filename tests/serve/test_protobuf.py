"""Decoding kubectl's Kubernetes-protobuf bodies: the envelope, zero values, pointers and unknown fields."""

from __future__ import annotations

import pytest

from kcourse.serve.protobuf import decode, envelope, field
from kcourse.sim.errors import ApiError


def test_a_configmap_with_the_zero_fields_go_writes() -> None:
    meta = field(1, b"settings") + field(2, b"") + field(3, b"") + field(7, 0) + field(8, b"")
    raw = field(1, meta) + field(2, field(1, b"color") + field(2, b"blue"))
    assert decode(envelope("v1", "ConfigMap", raw)) == {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "settings"},
        "data": {"color": "blue"},
    }


def test_a_pointer_field_keeps_its_zero() -> None:
    raw = field(1, field(1, b"web")) + field(2, field(1, 0) + field(5, 0))
    assert decode(envelope("apps/v1", "Deployment", raw))["spec"] == {"replicas": 0}


def test_an_unknown_field_is_refused_with_415() -> None:
    raw = field(1, field(1, b"x")) + field(99, b"?")
    with pytest.raises(ApiError) as e:
        decode(envelope("v1", "ConfigMap", raw))
    assert (e.value.code, e.value.reason) == (415, "UnsupportedMediaType")
    assert "field 99 of ConfigMap" in e.value.message


# --- what a real API server stores --------------------------------------------------------------------------


def test_a_stored_configmap_is_the_envelope_every_real_value_starts_and_ends_with() -> None:
    """k8s.io/apimachinery runtime/serializer/protobuf: ``k8s\\0`` + runtime.Unknown{typeMeta{v1, ConfigMap},
    raw, contentEncoding "", contentType ""}; go-to-protobuf writes every non-pointer field, zero or not."""
    from kcourse.serve.protobuf import encode

    cm = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {
            "name": "settings",
            "namespace": "default",
            "uid": "u-1",
            "resourceVersion": "42",
            "creationTimestamp": "2025-01-01T09:00:00Z",
        },
        "data": {"colour": "blue", "a": "b"},
    }
    value = encode(cm)
    assert value.startswith(b"k8s\x00\n\x0f\n\x02v1\x12\tConfigMap\x12") and value.endswith(b'\x1a\x00"\x00')
    meta = (
        field(1, b"settings")
        + field(2, b"")
        + field(3, b"default")
        + field(4, b"")
        + field(5, b"u-1")
        + field(6, b"")
        + field(7, 0)
        + field(8, field(1, 1735722000) + field(2, 0))
    )
    data = field(2, field(1, b"a") + field(2, b"b")) + field(2, field(1, b"colour") + field(2, b"blue"))
    assert value == envelope("v1", "ConfigMap", field(1, meta) + data)
    decoded = decode(value)
    assert decoded["metadata"] == {
        "name": "settings",
        "namespace": "default",
        "uid": "u-1",
        "creationTimestamp": "2025-01-01T09:00:00Z",
    }
    assert decoded["data"] == {"a": "b", "colour": "blue"}


def test_a_negative_int_is_ten_bytes_of_twos_complement() -> None:
    from kcourse.serve.protobuf import varint

    assert varint(-1) == b"\xff" * 9 + b"\x01" and varint(300) == b"\xac\x02"


def test_a_kind_whose_fields_are_not_all_modelled_is_not_encoded() -> None:
    from kcourse.serve.protobuf import encode

    with pytest.raises(ValueError, match="status of Pod is not modelled"):
        encode({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": {"containers": []}})
