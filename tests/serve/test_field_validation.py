"""``?fieldValidation=`` over HTTP: Strict refuses, Warn (and no parameter) answers with ``Warning`` headers.

kube-apiserver reads the parameter before the body (``handlers/create.go``,
``update.go``, ``patch.go``; an absent one is ``Warn``: ``fieldValidation`` in
``handlers/rest.go``) and sends each strict decoding error of a ``Warn``
request as a ``Warning: 299 - "<text>"`` header (``k8s.io/apiserver/pkg/warning``);
a duplicate key is seen in the JSON text itself (sigs.k8s.io/json strict mode).
"""

from __future__ import annotations

import json
from typing import Any

import pytest

import kcourse

CONFIGMAPS = "/api/v1/namespaces/default/configmaps"


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, counted_serve: Any, http_for: Any) -> Any:
    cluster = kcourse.Cluster(masters=1, workers=0, addons=False, seed=0)
    handle = counted_serve(cluster, kubeconfig=tmp_path_factory.mktemp("kube") / "config")
    handle.http, handle.cluster = http_for(handle), cluster
    yield handle
    handle.stop()


def _configmap(name: str, **extra: Any) -> dict:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}, "data": {"a": "b"}, **extra}


def test_strict_refuses_an_unknown_field_with_a_400_status(served: Any) -> None:
    rev = served.cluster.etcd.revision
    code, _, body = served.http.request(
        "POST", CONFIGMAPS + "?fieldValidation=Strict", _configmap("strict", dta={"x": "y"})
    )
    status = json.loads(body)
    assert code == 400 and status["reason"] == "BadRequest"
    assert status["message"] == (
        'ConfigMap in version "v1" cannot be handled as a ConfigMap: strict decoding '
        'error: unknown field "dta"'
    )
    assert served.cluster.etcd.revision == rev


@pytest.mark.parametrize("query", ["?fieldValidation=Warn", ""])
def test_warn_and_no_parameter_store_without_the_field_and_send_a_warning_header(
    served: Any, query: str
) -> None:
    name = f"warn{len(query)}"
    code, headers, body = served.http.request(
        "POST", CONFIGMAPS + query, _configmap(name, metadata={"name": name, "lables": {"a": "b"}})
    )
    assert code == 201, body
    assert headers["warning"] == '299 - "unknown field \\"metadata.lables\\""'
    assert "lables" not in json.loads(body)["metadata"]


def test_ignore_sends_no_warning(served: Any) -> None:
    code, headers, _ = served.http.request(
        "POST", CONFIGMAPS + "?fieldValidation=Ignore", _configmap("ign", x=1)
    )
    assert code == 201 and "warning" not in headers


def test_a_duplicate_key_in_the_json_text_is_a_strict_error(served: Any) -> None:
    text = (
        b'{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "dup"}, "data": {"a": "1", "a": '
        b'"2"}}'
    )
    code, _, body = served.http.request("POST", CONFIGMAPS + "?fieldValidation=Strict", text)
    assert code == 400 and json.loads(body)["message"].endswith(
        'strict decoding error: duplicate field "data.a"'
    )


def test_a_wrongly_typed_field_is_a_400_whatever_the_directive(served: Any) -> None:
    for query in ("?fieldValidation=Ignore", ""):
        code, _, body = served.http.request("POST", CONFIGMAPS + query, _configmap("typed", data={"a": 1}))
        assert code == 400
        assert json.loads(body)["message"].endswith(
            "json: cannot unmarshal number into Go struct field ConfigMap.data of type string"
        )


def test_an_unknown_directive_is_refused(served: Any) -> None:
    code, _, body = served.http.request("POST", CONFIGMAPS + "?fieldValidation=Loose", _configmap("loose"))
    assert code == 422
    assert json.loads(body)["message"] == (
        'CreateOptions.meta.k8s.io "" is invalid: fieldValidation: Unsupported '
        'value: "Loose": supported values: "", "Ignore", "Strict", "Warn"'
    )


def test_patches_and_updates_read_the_parameter_too(served: Any) -> None:
    served.http.request("POST", CONFIGMAPS, _configmap("patched"))
    code, headers, _ = served.http.request(
        "PATCH",
        CONFIGMAPS + "/patched",
        {"data": {"b": "c"}, "extra": 1},
        headers={"Content-Type": "application/merge-patch+json"},
    )
    assert code == 200 and headers["warning"] == '299 - "unknown field \\"extra\\""'
    code, _, body = served.http.request(
        "PATCH",
        CONFIGMAPS + "/patched?fieldValidation=Strict",
        {"extra": 1},
        headers={"Content-Type": "application/merge-patch+json"},
    )
    assert code == 400 and 'unknown field \\"extra\\"' in body.decode()
