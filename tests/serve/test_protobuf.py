"""Decoding kubectl's Kubernetes-protobuf bodies: the envelope, zero values, pointers and unknown fields."""

from __future__ import annotations

import pytest

from kcourse.serve.protobuf import MAGIC, decode
from kcourse.sim.errors import ApiError


def varint(n: int) -> bytes:
    out = b""
    while True:
        b, n = n & 0x7F, n >> 7
        out += bytes([b | (0x80 if n else 0)])
        if not n:
            return out


def field(number: int, value: bytes | int) -> bytes:
    if isinstance(value, int):
        return varint(number << 3) + varint(value)
    return varint(number << 3 | 2) + varint(len(value)) + value


def envelope(api_version: str, kind: str, raw: bytes) -> bytes:
    type_meta = field(1, api_version.encode()) + field(2, kind.encode())
    return MAGIC + field(1, type_meta) + field(2, raw) + field(3, b"") + field(4, b"")


def test_a_configmap_with_the_zero_fields_go_writes() -> None:
    meta = field(1, b"settings") + field(2, b"") + field(3, b"") + field(7, 0) + field(8, b"")
    raw = field(1, meta) + field(2, field(1, b"color") + field(2, b"blue"))
    assert decode(envelope("v1", "ConfigMap", raw)) == {
        "apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "settings"}, "data": {"color": "blue"}}


def test_a_pointer_field_keeps_its_zero() -> None:
    raw = field(1, field(1, b"web")) + field(2, field(1, 0) + field(5, 0))
    assert decode(envelope("apps/v1", "Deployment", raw))["spec"] == {"replicas": 0}


def test_an_unknown_field_is_refused_with_415() -> None:
    raw = field(1, field(1, b"x")) + field(99, b"?")
    with pytest.raises(ApiError) as e:
        decode(envelope("v1", "ConfigMap", raw))
    assert (e.value.code, e.value.reason) == (415, "UnsupportedMediaType")
    assert "field 99 of ConfigMap" in e.value.message
