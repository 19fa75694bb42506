"""Hostile request bodies: nesting and alias caps, broken encodings, and the 400 Status each one gets.

Every refusal is a ``Status`` (``kind: Status``, ``reason: BadRequest``)
worded as apimachinery words it, never a 500, never a Python representation,
and the store's revision does not move.
"""

from __future__ import annotations

import json
import re
import time
from typing import Any

import pytest

import kcourse
from kcourse.serve import protobuf
from kcourse.serve.protobuf import MAGIC
from kcourse.sim import codecs as serializers

#: What a Python representation or traceback would show in a message.
LEAKS = (
    "Traceback",
    "Error(",
    "Error:",
    "object at",
    "<class",
    "KeyError",
    "TypeError",
    "AttributeError",
    "RecursionError",
    "UnicodeDecodeError",
    "line 1 column",
)
#: A Python bytes literal (Go's quoted characters such as '\b' are not one).
BYTES_REPR = re.compile(r"(?<![\\'\w])b'")
CONFIGMAPS = "/api/v1/namespaces/default/configmaps"
#: How the create handler words a body whose kind it cannot read (``transformDecodeError``).
UNRECOGNIZED = "the object provided is unrecognized (must be of type ConfigMap): "
JSON_PARSE = "couldn't get version/kind; json parse error: "
TO_JSON = "error converting YAML to JSON: "


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, counted_serve: Any, raw_for: Any) -> Any:
    cluster = kcourse.Cluster(masters=1, workers=0, addons=False, seed=0)
    handle = counted_serve(cluster, kubeconfig=tmp_path_factory.mktemp("kube") / "config")
    handle.raw = raw_for(handle)
    handle.cluster = cluster
    raw = handle.raw
    assert (
        raw.request(
            "POST", CONFIGMAPS, {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "target"}}
        ).status
        == 201
    )
    yield handle
    handle.stop()


def refused(
    served: Any, method: str, path: str, body: bytes, content_type: str = "application/json", code: int = 400
) -> str:
    """Send, expect a ``code`` Status with a clean message and no change to the store; return the message."""
    rev = served.cluster.etcd.revision
    response = served.raw.request(method, path, body, content_type=content_type)
    assert response.status == code, response
    status = response.json()
    assert status["kind"] == "Status" and status["status"] == "Failure" and status["code"] == code
    message = status["message"]
    for leak in LEAKS:
        assert leak not in message, f"{leak!r} in {message!r}"
    assert not BYTES_REPR.search(message), message
    assert served.cluster.etcd.revision == rev
    return message


def nested(depth: int, leaf: str = "1") -> bytes:
    return ('{"a":' * depth + leaf + "}" * depth).encode()


# --- nesting depth ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH"])
def test_json_nested_past_the_cap_is_refused_before_parsing(served: Any, method: str) -> None:
    """Go's ``encoding/json`` scanner stops at a maximum depth (``exceeded max depth``); here 100 levels."""
    path = CONFIGMAPS if method == "POST" else f"{CONFIGMAPS}/target"
    ctype = "application/merge-patch+json" if method == "PATCH" else "application/json"
    body = (
        b'{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"target"},"data":' + nested(50_000) + b"}"
    )
    expected = {
        "POST": f"{UNRECOGNIZED}{JSON_PARSE}exceeded max depth (",
        "PUT": f"{UNRECOGNIZED}{JSON_PARSE}exceeded max depth (",
        "PATCH": "error decoding patch: exceeded max depth",
    }[method]
    assert refused(served, method, path, body, ctype).startswith(expected)
    arrays = b'{"x":' + b"[" * 200_000 + b"]" * 200_000 + b"}"
    assert refused(served, method, path, arrays, ctype).startswith(expected)


def test_the_depth_cap_counts_brackets_outside_strings_only() -> None:
    """A string full of brackets is no nesting; 100 levels pass, 101 do not."""
    assert serializers.decode_json(json.dumps({"s": "[[[[{{{{" * 1000}).encode())["s"].startswith("[[[[")
    assert serializers.decode_json(nested(serializers.MAX_DEPTH))
    with pytest.raises(serializers.DecodeError, match="exceeded max depth"):
        serializers.decode_json(nested(serializers.MAX_DEPTH + 1))
    with pytest.raises(serializers.DecodeError, match="exceeded max depth"):
        serializers.decode_yaml(
            b"a: " + b"[" * (serializers.MAX_DEPTH + 1) + b"]" * (serializers.MAX_DEPTH + 1)
        )
    assert serializers.decode_yaml(
        b"a: " + b"[" * (serializers.MAX_DEPTH - 1) + b"]" * (serializers.MAX_DEPTH - 1)
    )


@pytest.mark.parametrize(
    "body",
    [
        b"a: " + b"[" * 100_000,
        b"a: " + b"{" * 100_000,
        "".join("  " * i + f"k{i}:\n" for i in range(500)).encode() + b"  " * 500 + b"v\n",
        b"- " * 100_000 + b"x\n",
    ],
)
def test_yaml_nested_past_the_cap_is_refused(served: Any, body: bytes) -> None:
    """go-yaml: ``yaml: exceeded max depth of 10000`` (flow and block style alike); here 100 levels."""
    message = refused(
        served, "PATCH", f"{CONFIGMAPS}/target?fieldManager=tests", body, "application/apply-patch+yaml"
    )
    assert "exceeded max depth" in message or message.startswith("error converting YAML to JSON: yaml: line")


# --- YAML aliases -------------------------------------------------------------------------------------------


def laughs(levels: int, fanout: int = 9) -> bytes:
    lines = ["a0: &a0 [" + ",".join(['"lol"'] * fanout) + "]"]
    for i in range(1, levels):
        lines.append(f"a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * fanout) + "]")
    return ("\n".join(lines) + "\n").encode()


@pytest.mark.parametrize("content_type", ["application/apply-patch+yaml", "application/yaml"])
def test_a_billion_laughs_is_refused_as_excessive_aliasing(served: Any, content_type: str) -> None:
    """go-yaml ``decode.go`` ``allowedAliasRatio`` (CVE-2019-11253): ``document contains excessive
    aliasing``."""
    bomb = laughs(9)
    assert len(bomb) < 600  # a few hundred bytes that would expand to 9^9 (387 million) values
    method, path = (
        ("PATCH", f"{CONFIGMAPS}/target?fieldManager=tests")
        if "apply" in content_type
        else ("POST", CONFIGMAPS)
    )
    start = time.monotonic()
    message = refused(served, method, path, bomb, content_type)
    if method == "PATCH":  # the apply patcher (``patch.go``)
        assert message == f"error decoding YAML: {TO_JSON}yaml: document contains excessive aliasing"
    else:  # the YAML serializer, behind ``transformDecodeError``
        assert message == (
            f"{UNRECOGNIZED}{TO_JSON}yaml: document contains excessive aliasing ({bomb[:30].hex()} ...)"
        )
    assert time.monotonic() - start < 10  # loose: the expansion would take hours and gigabytes


def test_moderate_aliasing_is_accepted_and_expanded() -> None:
    """Aliases in ordinary use (go-yaml allows up to 99 % of values from aliases in small documents)."""
    value = serializers.decode_yaml(laughs(3, 10))
    assert len(value["a2"]) == 10 and value["a2"][9][9] == ["lol"] * 10
    with pytest.raises(serializers.DecodeError, match="excessive aliasing"):
        serializers.decode_yaml(laughs(4, 10))
    shared = serializers.decode_yaml(b"base: &b {x: 1}\ncopy: *b\n")
    shared["copy"]["x"] = 2
    assert shared["base"]["x"] == 1  # expanded into independent values, as JSON would carry them


@pytest.mark.parametrize("body", [b"a: &x [*x]\n", b"a: &x {b: *x}\n", b"a: &x [1, [2, *x]]\n"])
def test_an_anchor_that_contains_itself_is_refused(served: Any, body: bytes) -> None:
    """go-yaml: ``anchor 'x' value contains itself``."""
    message = refused(
        served, "PATCH", f"{CONFIGMAPS}/target?fieldManager=tests", body, "application/apply-patch+yaml"
    )
    assert message == f"error decoding YAML: {TO_JSON}yaml: anchor 'x' value contains itself"


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b"a: 2024-01-01\nb: 1\n", {"a": "2024-01-01", "b": 1}),
        (
            b"1: one\ntrue: yes\n~: nothing\n1.5: x\n",
            {"1": "one", "true": True, "null": "nothing", "1.5": "x"},
        ),
        (b"a: !!binary aGk=\n", {"a": "hi"}),
        (b"a: !!set {x, y}\n", {"a": {"x": None, "y": None}}),
        (b"---\na: 1\n---\nb: 2\n", {"a": 1}),
    ],
)
def test_yaml_becomes_json_data_as_sigs_k8s_io_yaml_converts_it(body: bytes, expected: Any) -> None:
    """``sigs.k8s.io/yaml`` YAMLToJSON: keys become strings, the first document counts, timestamps stay
    text."""
    assert serializers.decode_yaml(body) == expected


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        (b"a: .nan\n", "json: unsupported value: NaN"),
        (b"a: -.inf\n", "json: unsupported value: -Inf"),
        (b"? [a, b]\n: 1\n", "error converting YAML to JSON"),
        (b"a: !!python/object:os.system {}\n", "error converting YAML to JSON"),
        (b"a: *nope\n", "error converting YAML to JSON: yaml: unknown anchor 'nope' referenced"),
        (
            b'a: "\\ud800"\n',
            "error converting YAML to JSON: yaml: line 1: found invalid Unicode character escape code",
        ),
        (
            b"a: b: c\n",
            "error converting YAML to JSON: yaml: line 1: mapping values are not allowed in this context",
        ),
        (b"a: [1, 2\n", "error converting YAML to JSON: yaml: line"),
        (b"a: 1" + b"0" * 5000 + b"\n", "error converting YAML to JSON"),
    ],
)
def test_yaml_that_cannot_become_json_is_refused(served: Any, body: bytes, fragment: str) -> None:
    assert fragment in refused(
        served, "PATCH", f"{CONFIGMAPS}/target?fieldManager=tests", body, "application/apply-patch+yaml"
    )


# --- JSON text ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"{", "unexpected end of JSON input"),
        (b"", "the body of the request was empty"),
        (b"nope", "invalid character 'n' looking for beginning of value"),
        (b'{"a" 1}', "invalid character '1' after object key"),
        (b'{"a":1 "b":2}', "invalid character '\"' after object key:value pair"),
        (b"[1 2]", "invalid character '2' after array element"),
        (b"{} {}", "invalid character '{' after top-level value"),
        (b"{'a':1}", "invalid character '\\'' looking for beginning of object key string"),
        (b'{"a":"x\x01"}', "invalid character '\\x01' in string literal"),
        (b'{"a":"x\x08"}', "invalid character '\\b' in string literal"),
        (b'{"a":"\\q"}', "invalid character 'q' in string escape code"),
        (b'{"a":"\\u12g4"}', "invalid character 'g' in \\u hexadecimal character escape"),
        (b'{"a":NaN}', "invalid character 'N' looking for beginning of value"),
        (b'{"a":Infinity}', "invalid character 'I' looking for beginning of value"),
        (b'{"a":1e400}', "json: cannot unmarshal number 1e400 into Go value of type float64"),
        (b'{"a":1' + b"0" * 5000 + b"}", "json: cannot unmarshal number into Go value of type float64"),
        (b"\xef\xbb\xbf{}", "invalid character '\u00ef' looking for beginning of value"),
    ],
)
def test_malformed_json_gets_go_s_words(served: Any, body: bytes, message: str) -> None:
    """``encoding/json`` syntax errors, found by the serializer's ``Interpret`` and wrapped by
    ``transformDecodeError`` with a summary of the body (text for an object, else hex)."""
    got = refused(served, "POST", CONFIGMAPS, body)
    if not body:
        assert got == message
        return
    summary = body[:30].decode() if body.startswith(b"{") else body[:30].hex()
    assert got == f"{UNRECOGNIZED}{JSON_PARSE}{message} ({summary}{' ...' if len(body) > 30 else ''})"


def test_invalid_utf8_and_lone_surrogates_become_replacement_characters(served: Any) -> None:
    """Go's JSON decoder replaces invalid UTF-8 and unpaired surrogate escapes with U+FFFD, and stores."""
    body = (
        b'{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"utf"},'
        b'"data":{"a":"x\xff\xfey","b":"\\ud800z","c":"\\ud83d\\ude00"}}'
    )
    response = served.raw.request("POST", f"{CONFIGMAPS}?dryRun=All", body)
    assert response.status == 201
    assert response.json()["data"] == {"a": "x\ufffd\ufffdy", "b": "\ufffdz", "c": "\U0001f600"}


# --- the shape of the object --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            b'{"apiVersion":"v1","kind":"ConfigMap","metadata":"x"}',
            (
                'ConfigMap in version "v1" cannot be handled as a ConfigMap: json: cannot unmarshal '
                "string into Go struct field ConfigMap.metadata of type v1.ObjectMeta"
            ),
        ),
        (
            b'{"apiVersion":"v1","kind":"ConfigMap","metadata":[1]}',
            (
                'ConfigMap in version "v1" cannot be handled as a ConfigMap: json: cannot unmarshal array '
                "into Go struct field ConfigMap.metadata of type v1.ObjectMeta"
            ),
        ),
        (
            b"[1, 2]",
            (
                f"{UNRECOGNIZED}{JSON_PARSE}json: cannot unmarshal array into Go value of type struct {{ "
                'APIVersion string "json:\\"apiVersion,omitempty\\""; Kind string '
                '"json:\\"kind,omitempty\\"" } (5b312c20325d)'
            ),
        ),
        (
            b'"x"',
            (
                f"{UNRECOGNIZED}{JSON_PARSE}json: cannot unmarshal string into Go value of type struct {{ "
                'APIVersion string "json:\\"apiVersion,omitempty\\""; Kind string '
                '"json:\\"kind,omitempty\\"" } (227822)'
            ),
        ),
        (
            b'{"apiVersion":5,"kind":"ConfigMap"}',
            (
                f"{UNRECOGNIZED}{JSON_PARSE}json: cannot unmarshal number into Go "
                'struct field .apiVersion of type string ({"apiVersion":5,"kind":"Config ...)'
            ),
        ),
        (b"null", f"{UNRECOGNIZED}Object 'Kind' is missing in 'null' (6e756c6c)"),
    ],
)
def test_a_body_of_the_wrong_shape_is_refused_like_apimachinery(
    served: Any, body: bytes, message: str
) -> None:
    """``endpoints/handlers/create.go`` ``transformDecodeError`` and the JSON serializer's ``Interpret``."""
    assert refused(served, "POST", CONFIGMAPS, body) == message


@pytest.mark.parametrize(
    ("content_type", "query", "body", "message"),
    [
        (
            "application/merge-patch+json",
            "",
            b"[1]",
            (
                "error decoding patch: json: cannot unmarshal array into Go value of type "
                "map[string]interface {}"
            ),
        ),
        ("application/merge-patch+json", "", b"{", "error decoding patch: unexpected end of JSON input"),
        ("application/merge-patch+json", "?fieldValidation=Ignore", b"{", "Invalid JSON Patch"),
        (
            "application/strategic-merge-patch+json",
            "",
            b'"x"',
            "json: cannot unmarshal string into Go value of type map[string]interface {}",
        ),
        (
            "application/strategic-merge-patch+json",
            "",
            b"{x}",
            "invalid character 'x' looking for beginning of object key string",
        ),
        (
            "application/json-patch+json",
            "",
            b'{"op":"add"}',
            (
                "error decoding patch: json: cannot unmarshal object into Go value of type "
                "[]handlers.jsonPatchOp"
            ),
        ),
        (
            "application/json-patch+json",
            "?fieldValidation=Ignore",
            b'{"op":"add"}',
            "json: cannot unmarshal object into Go value of type jsonpatch.Patch",
        ),
        (
            "application/json-patch+json",
            "",
            b"[1]",
            "error decoding patch: json: cannot unmarshal number into Go value of type handlers.jsonPatchOp",
        ),
        (
            "application/json-patch+json",
            "",
            b'[{"op":5,"path":"/a"}]',
            (
                "error decoding patch: json: cannot unmarshal number into Go struct field jsonPatchOp.op of "
                "type string"
            ),
        ),
        (
            "application/apply-patch+yaml",
            "",
            b"- 1\n- 2\n",
            (
                "error decoding YAML: error unmarshaling JSON: while decoding JSON: json: cannot unmarshal "
                "array into Go value of type map[string]interface {}"
            ),
        ),
        ("application/apply-patch+yaml", "", b"a: [1, 2\n", f"error decoding YAML: {TO_JSON}yaml: line "),
    ],
)
def test_patches_of_the_wrong_shape_are_refused(
    served: Any, content_type: str, query: str, body: bytes, message: str
) -> None:
    """``endpoints/handlers/patch.go``: each patcher decodes the patch into its own Go type first, strictly
    unless ``fieldValidation=Ignore``, and words its failure its own way."""
    if "apply" in content_type:
        query = "?fieldManager=tests"
    got = refused(served, "PATCH", f"{CONFIGMAPS}/target{query}", body, content_type)
    assert got.startswith(message) if message.endswith("line ") else got == message


def test_a_json_patch_of_more_than_10000_operations_gets_413(served: Any) -> None:
    """``patch.go``: ``maxJSONPatchOperations``."""
    ops = json.dumps([{"op": "test", "path": "/kind", "value": "ConfigMap"}] * 10001).encode()
    message = refused(served, "PATCH", f"{CONFIGMAPS}/target", ops, "application/json-patch+json", code=413)
    assert message == (
        "Request entity too large: The allowed maximum operations in a JSON patch is 10000, got 10001"
    )


def test_an_unknown_content_type_gets_415(served: Any) -> None:
    """``negotiation/negotiate.go`` ``NegotiateInputSerializer``: the accepted media types are listed."""
    message = refused(served, "POST", CONFIGMAPS, b"{}", "text/plain", code=415)
    assert message == (
        "the body of the request was in an unknown format - accepted media types include: "
        "application/json, application/yaml, application/vnd.kubernetes.protobuf"
    )


# --- DeleteOptions ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "code", "message"),
    [
        (
            b"{gra",
            400,
            (
                "couldn't get version/kind; json parse error: invalid character 'g' looking for beginning of "
                "object key string"
            ),
        ),
        (b"[1]", 400, "json: cannot unmarshal array into Go value of type v1.DeleteOptions"),
        (b'"x"', 400, "json: cannot unmarshal string into Go value of type v1.DeleteOptions"),
        (
            b'{"gracePeriodSeconds":"x"}',
            400,
            (
                "json: cannot unmarshal string into Go struct field "
                "DeleteOptions.gracePeriodSeconds of type int64"
            ),
        ),
        (
            b'{"gracePeriodSeconds":1.5}',
            400,
            (
                "json: cannot unmarshal number into Go struct field "
                "DeleteOptions.gracePeriodSeconds of type int64"
            ),
        ),
        (
            b'{"propagationPolicy":7}',
            400,
            (
                "json: cannot unmarshal number into Go struct field "
                "DeleteOptions.propagationPolicy of type v1.DeletionPropagation"
            ),
        ),
        (
            b'{"preconditions":"x"}',
            400,
            (
                "json: cannot unmarshal string into Go struct field "
                "DeleteOptions.preconditions of type v1.Preconditions"
            ),
        ),
        (
            b'{"preconditions":{"uid":1}}',
            400,
            (
                "json: cannot unmarshal number into Go struct field "
                "Preconditions.DeleteOptions.preconditions.uid of type string"
            ),
        ),
        (
            b'{"dryRun":"All"}',
            400,
            ("json: cannot unmarshal string into Go struct field DeleteOptions.dryRun of type []string"),
        ),
        (
            b'{"orphanDependents":"yes"}',
            400,
            (
                "json: cannot unmarshal string into Go struct field "
                "DeleteOptions.orphanDependents of type bool"
            ),
        ),
        (
            b'{"propagationPolicy":"Sideways"}',
            422,
            (
                'DeleteOptions.meta.k8s.io "" is invalid: propagationPolicy: '
                'Unsupported value: "Sideways": supported values: "Foreground", '
                '"Background", "Orphan", "nil"'
            ),
        ),
        (
            b'{"dryRun":["Some"]}',
            422,
            (
                'DeleteOptions.meta.k8s.io "" is invalid: dryRun: Unsupported value: '
                '[]string{"Some"}: supported values: "All"'
            ),
        ),
        (
            b'{"orphanDependents":true,"propagationPolicy":"Orphan"}',
            422,
            (
                'DeleteOptions.meta.k8s.io "" is invalid: propagationPolicy: Invalid value: "Orphan": '
                "orphanDependents and deletionPropagation cannot be both set"
            ),
        ),
    ],
)
def test_malformed_delete_options_are_refused_and_nothing_is_deleted(
    served: Any, body: bytes, code: int, message: str
) -> None:
    """``endpoints/handlers/delete.go`` decodes DeleteOptions, then ``ValidateDeleteOptions`` checks them."""
    assert refused(served, "DELETE", f"{CONFIGMAPS}/target", body, code=code) == message
    assert served.cluster.api.peek("configmaps", "target", "default") is not None


def test_a_bad_propagation_policy_in_the_query_is_refused_too(served: Any) -> None:
    rev = served.cluster.etcd.revision
    response = served.raw.request("DELETE", f"{CONFIGMAPS}/target?propagationPolicy=Sideways")
    assert response.status == 422
    assert served.cluster.etcd.revision == rev


# --- protobuf -----------------------------------------------------------------------------------------------


def field(number: int, wire: int, payload: bytes | int) -> bytes:
    return protobuf.field(number, payload, wire)


def envelope(kind: str, raw: bytes, api_version: str = "v1") -> bytes:
    type_meta = field(1, 2, api_version.encode()) + field(2, 2, kind.encode())
    return MAGIC + field(1, 2, type_meta) + field(2, 2, raw)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            envelope("ConfigMap", field(1, 0, 5)),
            (
                'ConfigMap in version "v1" cannot be handled as a ConfigMap: proto: '
                "wrong wireType = 0 for field Metadata"
            ),
        ),
        (
            envelope("ConfigMap", field(1, 2, field(1, 0, 7))),
            (
                'ConfigMap in version "v1" cannot be handled as a '
                "ConfigMap: proto: wrong wireType = 0 for field Name"
            ),
        ),
        (
            envelope("ConfigMap", field(1, 2, b"\x0a\x10abc")),
            ('ConfigMap in version "v1" cannot be handled as a ConfigMap: unexpected EOF'),
        ),
        (
            envelope("ConfigMap", b"\x08" + b"\xff" * 11),
            ('ConfigMap in version "v1" cannot be handled as a ConfigMap: proto: integer overflow'),
        ),
        (
            envelope("ConfigMap", b"\x0b"),
            ('ConfigMap in version "v1" cannot be handled as a ConfigMap: proto: illegal wireType 3'),
        ),
        (
            envelope("ConfigMap", b"\x0f"),
            ('ConfigMap in version "v1" cannot be handled as a ConfigMap: proto: illegal wireType 7'),
        ),
        (MAGIC + b"\x0a\x05ab", "the object provided is unrecognized: unexpected EOF"),
        (MAGIC + b"\x08\x01", "the object provided is unrecognized: proto: wrong wireType = 0 for field 1"),
        (b"{}", "provided data does not appear to be a protobuf message, expected prefix [107 56 115 0]"),
        (
            envelope("ConfigMap", field(1, 2, field(8, 2, field(1, 0, 10**15)))),
            (
                'ConfigMap in version "v1" cannot be handled as a ConfigMap: Time.MarshalJSON: year '
                "outside of range [0,9999]"
            ),
        ),
    ],
)
def test_broken_protobuf_gets_400_in_gogo_protobuf_s_words(served: Any, body: bytes, message: str) -> None:
    """gogo-protobuf's generated ``Unmarshal`` (``k8s.io/api/core/v1/generated.pb.go``), wrapped by
    ``transformDecodeError``; the protobuf serializer (``runtime/serializer/protobuf/protobuf.go``) for the
    prefix."""
    assert refused(served, "POST", CONFIGMAPS, body, "application/vnd.kubernetes.protobuf") == message


def test_protobuf_strings_with_invalid_utf8_are_kept_as_replacement_characters(served: Any) -> None:
    """gogo-protobuf does not check UTF-8 in ``string`` fields; JSON then shows U+FFFD."""
    meta = field(1, 2, b"pb-utf8") + field(12, 2, field(1, 2, b"k") + field(2, 2, b"v\xff\xfe"))
    response = served.raw.request(
        "POST",
        f"{CONFIGMAPS}?dryRun=All",
        envelope("ConfigMap", field(1, 2, meta)),
        content_type="application/vnd.kubernetes.protobuf",
    )
    assert response.status == 201
    assert response.json()["metadata"]["annotations"] == {"k": "v\ufffd\ufffd"}


# --- subresources and JSON patch operations -----------------------------------------------------------------


def test_scale_exists_only_where_discovery_lists_it(served: Any) -> None:
    """``autoscaling/v1`` Scale is served for Deployments and ReplicaSets, not for a ConfigMap."""
    response = served.raw.request("GET", f"{CONFIGMAPS}/target/scale")
    assert response.status == 404
    assert response.json()["message"] == "the server could not find the requested resource"


@pytest.fixture(scope="module")
def deployment(served: Any) -> str:
    manifest = {
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
    assert served.raw.request("POST", "/apis/apps/v1/namespaces/default/deployments", manifest).status == 201
    return "/apis/apps/v1/namespaces/default/deployments/web/scale"


@pytest.mark.parametrize(
    ("method", "content_type", "body", "code", "message"),
    [
        (
            "PUT",
            "application/json",
            b'{"spec":{"replicas":"3"}}',
            400,
            (
                'Scale in version "v1" cannot be handled as a Scale: json: cannot unmarshal string into '
                "Go struct field ScaleSpec.spec.replicas of type int32"
            ),
        ),
        (
            "PUT",
            "application/json",
            b'{"spec":{"replicas":true}}',
            400,
            (
                'Scale in version "v1" cannot be handled as a Scale: json: cannot unmarshal bool into Go '
                "struct field ScaleSpec.spec.replicas of type int32"
            ),
        ),
        (
            "PUT",
            "application/json",
            b'{"spec":{"replicas":3000000000}}',
            400,
            (
                'Scale in version "v1" cannot be handled as a Scale: json: cannot unmarshal number '
                "3000000000 into Go struct field ScaleSpec.spec.replicas of type int32"
            ),
        ),
        (
            "PUT",
            "application/json",
            b'{"spec":[]}',
            400,
            (
                'Scale in version "v1" cannot be handled as a Scale: json: cannot unmarshal array into Go '
                "struct field Scale.spec of type v1.ScaleSpec"
            ),
        ),
        (
            "PATCH",
            "application/merge-patch+json",
            b'{"metadata":5}',
            400,
            (
                'Scale in version "v1" cannot be handled as a Scale: json: cannot unmarshal number into '
                "Go struct field Scale.metadata of type v1.ObjectMeta"
            ),
        ),
        (
            "PATCH",
            "application/json-patch+json",
            b'[{"op":"replace","path":"/spec/nope/deeper","value":1}]',
            422,
            "the server rejected our request due to an error in our request",
        ),
        (
            "PATCH",
            "application/json-patch+json",
            b'[{"op":"remove","path":"/spec/replicas/3"}]',
            422,
            "the server rejected our request due to an error in our request",
        ),
        (
            "PATCH",
            "application/json-patch+json",
            b'[{"op":"jump","path":"/spec"}]',
            422,
            "the server rejected our request due to an error in our request: Unexpected kind: jump",
        ),
        (
            "PATCH",
            "application/json-patch+json",
            b'[{"op":"add","value":1}]',
            422,
            "the server rejected our request due to an error in our request: add operation missing path",
        ),
        (
            "PATCH",
            "application/json-patch+json",
            b'[{"op":"replace","path":"/spec/replicas"}]',
            422,
            "the server rejected our request due to an error in our request: replace operation missing value",
        ),
    ],
)
def test_a_scale_of_the_wrong_type_changes_nothing(
    served: Any, deployment: str, method: str, content_type: str, body: bytes, code: int, message: str
) -> None:
    """``autoscaling/v1`` Scale decodes ``spec.replicas`` as ``int32``; a JSON patch that does not apply is
    422."""
    assert refused(served, method, deployment, body, content_type, code=code) == message
    assert served.cluster.api.peek("deployments", "web", "default")["spec"]["replicas"] == 1


@pytest.mark.parametrize("body", [b"[1]", b'"review"', b"5"])
def test_a_self_subject_access_review_must_be_an_object(served: Any, body: bytes) -> None:
    message = refused(served, "POST", "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", body)
    assert message.startswith(
        "the object provided is unrecognized (must be of type SelfSubjectAccessReview): "
        f"{JSON_PARSE}json: cannot unmarshal"
    )


@pytest.mark.parametrize("char", [b"\x00", b"\x03", b"\x1b", b"\x7f"])
def test_yaml_with_control_characters_is_refused(served: Any, char: bytes) -> None:
    """go-yaml: ``yaml: control characters are not allowed``."""
    message = refused(
        served,
        "PATCH",
        f"{CONFIGMAPS}/target?fieldManager=tests",
        b"data: {a: x" + char + b"}\n",
        "application/apply-patch+yaml",
    )
    assert message == f"error decoding YAML: {TO_JSON}yaml: control characters are not allowed"


@pytest.mark.parametrize(
    ("method", "path", "query", "kind"),
    [
        ("POST", CONFIGMAPS, "dryRun=Nope", "CreateOptions"),
        ("PUT", f"{CONFIGMAPS}/target", "dryRun=All&dryRun=", "UpdateOptions"),
        ("PATCH", f"{CONFIGMAPS}/target", "dryRun=all", "PatchOptions"),
        ("DELETE", f"{CONFIGMAPS}/target", "dryRun=true", "DeleteOptions"),
    ],
)
def test_a_dry_run_other_than_all_is_refused_before_anything_happens(
    served: Any, method: str, path: str, query: str, kind: str
) -> None:
    """``ValidateDryRun``: the only value is ``All``; anything else is 422, never a real write."""
    body = b'{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"target"},"data":{"a":"b"}}'
    ctype = "application/merge-patch+json" if method == "PATCH" else "application/json"
    message = refused(served, method, f"{path}?{query}", body if method != "DELETE" else b"", ctype, code=422)
    values = [v.partition("=")[2] for v in query.split("&")]
    shown = ", ".join(f'"{v}"' for v in values)
    assert message == (
        f'{kind}.meta.k8s.io "" is invalid: dryRun: Unsupported value: []string{{{shown}}}: '
        'supported values: "All"'
    )
    assert served.cluster.api.peek("configmaps", "target", "default") is not None


@pytest.mark.parametrize(
    ("content_type", "query", "message"),
    [
        (
            "application/apply-patch+yaml",
            "",
            (
                'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is '
                "required for apply patch"
            ),
        ),
        (
            "application/merge-patch+json",
            "?force=true",
            (
                'PatchOptions.meta.k8s.io "" is invalid: force: Forbidden: may '
                "not be specified for non-apply patch"
            ),
        ),
        (
            "application/apply-patch+yaml",
            "?fieldManager=" + "m" * 129,
            (
                'PatchOptions.meta.k8s.io "" is invalid: '
                "fieldManager: Too long: may not be more than "
                "128 bytes"
            ),
        ),
    ],
)
def test_patch_options_are_validated_before_the_patch(
    served: Any, content_type: str, query: str, message: str
) -> None:
    """``ValidatePatchOptions`` (``apimachinery/pkg/apis/meta/v1/validation``), before the body is decoded."""
    body = b"data: {a: b}\n" if "yaml" in content_type else b'{"data":{"a":"b"}}'
    assert refused(served, "PATCH", f"{CONFIGMAPS}/target{query}", body, content_type, code=422) == message
