"""The bytes the API server stores are the standard library's, whichever encoder wrote them.

etcd's contents are part of what a learner sees (``etcdctl get``, the revision history) and of the
fingerprints, so the fast encoder (orjson) must write exactly what ``json.dumps`` wrote before:
these tests compare the two over every object two seeded scenarios store and over values chosen to
find where they could differ — every code point, control characters and escapes, the characters Go
would escape for HTML (``<>&``, U+2028/2029; Python's ``json`` does not, and neither may we), floats
of every magnitude, integers beyond 64 bits, keys that are not strings, subclasses.
"""

from __future__ import annotations

import json
import math
import random
import struct

import pytest

import kcourse
from kcourse.sim.apiserver import server as server_module
from kcourse.sim.serializer import Number
from kcourse.sim.serializer.gojson import _Float, _Object
from kcourse.sim.serializer.storage import encode, encode_reference
from tests.sim.fingerprints.scenarios import SCENARIOS


@pytest.mark.parametrize("scenario", ["chapter", "notebook"])
def test_every_object_a_scenario_stores_is_written_byte_for_byte_as_the_reference(
    scenario: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    written = []

    def both(obj: object) -> bytes:
        fast, reference = encode(obj), encode_reference(obj)
        assert fast == reference
        written.append(fast)
        return fast

    real = server_module.APIServer.__init__

    def init(self: server_module.APIServer, *args: object, **kw: object) -> None:
        real(self, *args, **kw)  # type: ignore[arg-type]
        self.encode_value = both

    monkeypatch.setattr(server_module.APIServer, "__init__", init)
    options, run, _ = SCENARIOS[scenario]
    c = kcourse.Cluster(**options)
    run(c)
    assert len(written) > 500
    for kv in c.etcd.range("/registry/", "/registry0"):
        assert encode(json.loads(kv.value)) == kv.value


def _floats() -> list[float]:
    rng = random.Random(0)
    out = [
        0.0,
        -0.0,
        1.0,
        0.5,
        1e-4,
        1e-5,
        9.999e-5,
        1e-7,
        1e-10,
        2.5e-10,
        1e15,
        1e16,
        1e17,
        1e21,
        1e22,
        5e-324,
        1.7976931348623157e308,
        0.1 + 0.2,
        123456789.125,
        12345678901234567.0,
    ]
    while len(out) < 20_000:
        f = struct.unpack("d", rng.getrandbits(64).to_bytes(8, "little"))[0]
        if math.isfinite(f):
            out.append(f)
        out.append(rng.uniform(-1, 1) * 10 ** rng.randint(-30, 30))
    return out


def test_floats_of_every_magnitude_are_spelled_as_python_spells_them() -> None:
    for f in _floats():
        for value in ({"a": f}, [1, f], {"x": [f, "e-5"]}):
            assert encode(value) == encode_reference(value), repr(f)


def test_every_code_point_in_values_and_keys_is_escaped_as_the_reference_escapes_it() -> None:
    for start in range(0, 0x110000, 0x800):
        chars = "".join(chr(c) for c in range(start, start + 0x800) if not 0xD800 <= c <= 0xDFFF)
        for value in ({"s": chars}, {chars[:50]: 1}, [chars[-50:]]):
            assert encode(value) == encode_reference(value), hex(start)


HOSTILE = [
    {"html": "<script>&amp;</script>", "sep": "\u2028\u2029", "del": "\x7f", "ctl": "\x00\x01\x1f\b\f\n\r\t"},
    {"quote": '"\\/"', "emoji": "\U0001f600", "bom": "\ufeff"},
    {"lone": "\ud800"},
    {"big": 2**63, "bigger": 2**64, "neg": -(2**63) - 1, "huge": 10**30, "u64": 2**64 - 1},
    {1: "int key", False: "bool key", None: "none key", 2.5: "float key"},
    {"tuple": (1, 2, (3,)), "nested": [[[[[]]]]], "empty": {}},
    {"number": Number("1" * 50), "float": _Float("1.50"), "bool": True, "obj": _Object(a=1)},
    {"text": "looks like a number :0.00001, and e-5 in a string", "name": "node-1"},
    {"quoted": 'a "quote" and e-7', "f": 1e-7, "after": "node-1"},
    {"f": [1e-5, 2.5e-7], "s": '\\"e-7'},
]


@pytest.mark.parametrize("value", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_values_are_written_as_the_reference_writes_them(value: dict) -> None:
    assert encode(value) == encode_reference(value)


def test_the_result_is_an_exact_size_copy() -> None:
    out = encode({"a": "x" * 10})
    assert type(out) is bytes and out == b'{"a":"xxxxxxxxxx"}'


def test_an_object_read_back_from_bytes_written_past_the_api_is_written_with_the_reference() -> None:
    """``NaN`` is no JSON (the reference writes ``NaN``, orjson ``null``): only an object written past the
    API can hold one — in a field no Go type could decode it into, so the watch cache keeps the bytes as
    they are — and the server writes that object's next version with the reference encoder."""
    c = kcourse.Cluster(masters=1, workers=1, seed=0)
    c.run_until_stable()
    key = "/registry/configmaps/default/odd"
    c.etcd.put(
        key,
        b'{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"odd","namespace":"default",'
        b'"uid":"u","creationTimestamp":"2025-01-01T09:00:00Z","labels":{"a":"b"}},"data":{"x":NaN}}',
    )
    current = c.api.get("configmaps", "odd", "default")
    assert math.isnan(current["data"]["x"])
    c.api.delete("configmaps", "odd", "default", propagation_policy="Orphan")
    stored = c.etcd.get(key)
    assert stored is not None and b'"data":{"x":NaN}' in stored.value
