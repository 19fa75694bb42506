"""Lists in chunks over HTTP: limit, continue, remainingItemCount, resourceVersionMatch
(kcourse/serve/pagination.py).

Upstream: k8s.io/apiserver pkg/storage/continue.go (the token), pkg/storage/etcd3/store.go GetList and
etcd3/errors.go (pages from etcd, the 410 for a compacted token), pkg/storage/cacher/cacher.go GetList and
shouldDelegateList (first pages from the watch cache), and apimachinery's
pkg/apis/meta/internalversion/validation ValidateListOptions (the 422s).
"""

from __future__ import annotations

import base64
import json
from typing import Any
from urllib.parse import quote

import pytest

import kcourse
from kcourse.serve.pagination import decode_continue, encode_continue


def token_of(text: str) -> dict:
    return json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, counted_serve: Any, http_for: Any) -> Any:
    """Seven ConfigMaps in ``pages`` (two labelled), on a booted cluster whose clock stands still."""
    cluster = kcourse.Cluster(seed=0, workers=1)
    cluster.api.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "pages"}}, user="test")
    for i in range(7):
        cluster.api.create(
            {
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": {
                    "name": f"cm-{i}",
                    "namespace": "pages",
                    "labels": {"odd": "yes"} if i in (1, 5) else {},
                },
            },
            user="test",
        )
    handle = counted_serve(cluster, kubeconfig=tmp_path_factory.mktemp("kube") / "config")
    yield cluster, handle, http_for(handle)
    handle.stop()


def names(body: dict) -> list[str]:
    return [i["metadata"]["name"] for i in body["items"]]


def test_a_limited_list_returns_a_continue_token_and_the_remaining_count(served: Any) -> None:
    """The first page comes from the watch cache: start key relative to the list's key (``/cm-1\\x00``)."""
    cluster, _, http = served
    code, body = http.json("GET", "/api/v1/namespaces/pages/configmaps?limit=2")
    assert code == 200 and names(body) == ["cm-0", "cm-1"]
    assert body["metadata"]["remainingItemCount"] == 5
    assert token_of(body["metadata"]["continue"]) == {
        "v": "meta.k8s.io/v1",
        "rv": cluster.etcd.revision,
        "start": "/cm-1\u0000",
    }
    assert "=" not in body["metadata"]["continue"]  # base64.RawURLEncoding


def test_following_continue_tokens_reads_every_item_once_at_one_revision(served: Any) -> None:
    """Continuations come from etcd at the token's revision: a write in between is not seen."""
    cluster, _, http = served
    seen, path = [], "/api/v1/namespaces/pages/configmaps?limit=3"
    code, body = http.json("GET", path)
    rv = body["metadata"]["resourceVersion"]
    seen += names(body)
    cluster.api.create(
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cm-3a", "namespace": "pages"}},
        user="test",
    )
    tokens = []
    while body["metadata"].get("continue"):
        tokens.append(token_of(body["metadata"]["continue"]))
        code, body = http.json("GET", path + "&continue=" + body["metadata"]["continue"])
        assert code == 200 and body["metadata"]["resourceVersion"] == rv
        seen += names(body)
    assert seen == [f"cm-{i}" for i in range(7)]
    assert tokens[1]["start"] == "cm-5\u0000"  # etcd's keys: relative to /registry/configmaps/pages/
    assert "remainingItemCount" not in body["metadata"]
    cluster.api.delete("configmaps", "cm-3a", "pages", user="test")


def test_a_selector_fills_pages_but_gives_no_remaining_count(served: Any) -> None:
    _, _, http = served
    _, body = http.json("GET", "/api/v1/namespaces/pages/configmaps?limit=1&labelSelector=odd%3Dyes")
    assert names(body) == ["cm-1"] and body["metadata"]["continue"]
    assert "remainingItemCount" not in body["metadata"]
    _, body = http.json(
        "GET",
        "/api/v1/namespaces/pages/configmaps?limit=1&labelSelector=odd%3Dyes&continue="
        + body["metadata"]["continue"],
    )
    assert names(body) == ["cm-5"]
    assert token_of(body["metadata"]["continue"])["start"] == "cm-5\u0000"


def test_a_limit_covering_everything_gives_no_token(served: Any) -> None:
    _, _, http = served
    _, body = http.json("GET", "/api/v1/namespaces/pages/configmaps?limit=7")
    assert len(body["items"]) == 7 and "continue" not in body["metadata"]


def test_resource_version_0_is_served_whole_from_the_cache(served: Any) -> None:
    """computeListLimit: ``resourceVersion=0`` ignores limit."""
    _, _, http = served
    _, body = http.json("GET", "/api/v1/namespaces/pages/configmaps?limit=2&resourceVersion=0")
    assert len(body["items"]) == 7 and "continue" not in body["metadata"]


def test_an_expired_continue_token_gets_410_with_a_token_to_go_on_inconsistently(served: Any) -> None:
    """etcd3/errors.go handleCompactedErrorForPaging: 410 Expired, its text, and a new token at rv -1."""
    cluster, _, http = served
    code, body = http.json("GET", "/api/v1/namespaces/pages/configmaps?limit=2")
    token = body["metadata"]["continue"]
    cluster.api.create(
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x", "namespace": "default"}},
        user="test",
    )
    cluster.etcd.compact(cluster.etcd.revision)
    code, status = http.json("GET", "/api/v1/namespaces/pages/configmaps?limit=2&continue=" + token)
    assert (code, status["reason"], status["code"]) == (410, "Expired", 410)
    assert status["message"] == (
        "The provided continue parameter is too old to display a consistent list result. You can start a "
        "new list without the continue parameter, or use the continue token in this response to retrieve "
        "the remainder of the results. Continuing with the provided token results in an inconsistent list - "
        "objects that were created, modified, or deleted between the time the first chunk was returned and "
        "now may show up in the list."
    )
    assert token_of(status["metadata"]["continue"]) == {
        "v": "meta.k8s.io/v1",
        "rv": -1,
        "start": "cm-1\u0000",
    }
    code, rest = http.json(
        "GET", "/api/v1/namespaces/pages/configmaps?limit=10&continue=" + status["metadata"]["continue"]
    )
    assert code == 200 and names(rest) == [f"cm-{i}" for i in range(2, 7)]
    assert rest["metadata"]["resourceVersion"] == str(cluster.etcd.revision)


@pytest.mark.parametrize(
    ("token", "message"),
    [
        ("ab!!", "invalid continue token: continue key is not valid: illegal base64 data at input byte 2"),
        (
            base64.urlsafe_b64encode(b'{"v":"v2","rv":5,"start":"a"}').decode().rstrip("="),
            (
                "invalid continue token: continue key is not valid: server does not recognize this encoded "
                "version v2"
            ),
        ),
        (
            base64.urlsafe_b64encode(b'{"v":"meta.k8s.io/v1","rv":0,"start":"a"}').decode().rstrip("="),
            (
                "invalid continue token: continue key is not valid: incorrect encoded start resourceVersion "
                "(version meta.k8s.io/v1)"
            ),
        ),
        (
            base64.urlsafe_b64encode(b'{"v":"meta.k8s.io/v1","rv":5,"start":""}').decode().rstrip("="),
            (
                "invalid continue token: continue key is not valid: encoded start key empty (version "
                "meta.k8s.io/v1)"
            ),
        ),
        (
            base64.urlsafe_b64encode(b'{"v":"meta.k8s.io/v1","rv":5,"start":"../secrets/x"}')
            .decode()
            .rstrip("="),
            "invalid continue token: continue key is not valid: ../secrets/x",
        ),
    ],
)
def test_a_token_that_is_not_one_is_a_400(served: Any, token: str, message: str) -> None:
    """storage.DecodeContinue's errors, wrapped by GetList as ``invalid continue token: …``; path.Clean
    keeps a token from reaching outside the list's prefix."""
    _, _, http = served
    code, status = http.json("GET", "/api/v1/namespaces/pages/configmaps?limit=2&continue=" + quote(token))
    assert (code, status["reason"], status["message"]) == (400, "BadRequest", message)


def test_continue_with_a_resource_version_is_a_400(served: Any) -> None:
    _, _, http = served
    token = encode_continue("/registry/configmaps/pages/cm-1\x00", "/registry/configmaps/pages/", 5)
    code, status = http.json(
        "GET", f"/api/v1/namespaces/pages/configmaps?limit=2&resourceVersion=5&continue={token}"
    )
    assert (code, status["message"]) == (
        400,
        "specifying resource version is not allowed when using continue",
    )


@pytest.mark.parametrize(
    ("query", "message"),
    [
        (
            "resourceVersionMatch=Exact",
            (
                "resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden unless resourceVersion "
                "is provided"
            ),
        ),
        (
            "resourceVersionMatch=Sometime&resourceVersion=5",
            (
                'resourceVersionMatch: Unsupported value: "Sometime": supported values: "Exact", '
                '"NotOlderThan", ""'
            ),
        ),
        (
            "resourceVersionMatch=Exact&resourceVersion=0",
            (
                'resourceVersionMatch: Forbidden: resourceVersionMatch "exact" is forbidden for '
                'resourceVersion "0"'
            ),
        ),
        (
            "resourceVersionMatch=NotOlderThan&resourceVersion=5&continue=abc",
            "resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden when continue is provided",
        ),
    ],
)
def test_resource_version_match_is_validated_as_list_options(served: Any, query: str, message: str) -> None:
    _, _, http = served
    code, status = http.json("GET", f"/api/v1/namespaces/pages/configmaps?{query}")
    assert (code, status["reason"]) == (422, "Invalid")
    assert status["message"] == f'ListOptions.meta.k8s.io "" is invalid: {message}'
    assert status["details"]["group"] == "meta.k8s.io" and status["details"]["kind"] == "ListOptions"


def test_exact_reads_the_list_as_it_was_at_that_revision(served: Any) -> None:
    """resourceVersionMatch=Exact is served by etcd at that revision (shouldDelegateList)."""
    cluster, _, http = served
    before = str(cluster.etcd.revision)
    cluster.api.create(
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "late", "namespace": "pages"}},
        user="test",
    )
    code, old = http.json(
        "GET", f"/api/v1/namespaces/pages/configmaps?resourceVersion={before}&resourceVersionMatch=Exact"
    )
    code2, new = http.json(
        "GET",
        f"/api/v1/namespaces/pages/configmaps?resourceVersion={before}&resourceVersionMatch=NotOlderThan",
    )
    assert (code, code2) == (200, 200)
    assert "late" not in names(old) and old["metadata"]["resourceVersion"] == before
    assert "late" in names(new) and new["metadata"]["resourceVersion"] == str(cluster.etcd.revision)
    cluster.api.delete("configmaps", "late", "pages", user="test")


def test_an_exact_read_of_a_compacted_revision_is_410(served: Any) -> None:
    cluster, _, http = served
    cluster.etcd.compact(cluster.etcd.revision)
    code, status = http.json(
        "GET", "/api/v1/namespaces/pages/configmaps?resourceVersion=2&resourceVersionMatch=Exact"
    )
    assert (code, status["reason"], status["message"]) == (
        410,
        "Expired",
        "The resourceVersion for the provided list is too old.",
    )


def test_a_resource_version_from_the_future_is_a_504_too_large(served: Any) -> None:
    """storage.NewTooLargeResourceVersionError, as the watch cache answers after waiting."""
    cluster, _, http = served
    wanted = cluster.etcd.revision + 100
    code, status = http.json("GET", f"/api/v1/namespaces/pages/configmaps?resourceVersion={wanted}")
    assert (code, status["reason"]) == (504, "Timeout")
    assert (
        status["message"]
        == f"Timeout: Too large resource version: {wanted}, current: {cluster.etcd.revision}"
    )
    assert status["details"] == {
        "causes": [{"reason": "ResourceVersionTooLarge", "message": "Too large resource version"}],
        "retryAfterSeconds": 1,
    }


def test_a_table_carries_the_continue_token(served: Any) -> None:
    _, _, http = served
    _, tab = http.json(
        "GET",
        "/api/v1/namespaces/pages/configmaps?limit=2",
        headers={"Accept": "application/json;as=Table;v=v1;g=meta.k8s.io"},
    )
    assert tab["kind"] == "Table" and len(tab["rows"]) == 2
    assert tab["metadata"]["continue"] and tab["metadata"]["remainingItemCount"] == 5


def test_tokens_round_trip() -> None:
    token = encode_continue("/registry/pods/default/web\x00", "/registry/pods/", 42)
    assert token_of(token) == {"v": "meta.k8s.io/v1", "rv": 42, "start": "default/web\u0000"}
    assert decode_continue(token, "/registry/pods/") == ("/registry/pods/default/web\x00", 42)


def test_kubectl_get_in_chunks_of_two_prints_the_same_table(
    served: Any, kubectl_for: Any, tmp_path: Any
) -> None:
    """kubectl get --chunk-size=2 follows the tokens (resource.Helper / pager) and prints one table."""
    _, handle, _ = served
    kubectl = kubectl_for(handle, tmp_path)
    chunked = kubectl("get", "configmaps", "-n", "pages", "--chunk-size=2", "-v=6")
    assert chunked.returncode == 0, chunked.stderr
    assert chunked.stderr.count("/api/v1/namespaces/pages/configmaps?continue=") == 3
    whole = kubectl("get", "configmaps", "-n", "pages", "--chunk-size=0")
    assert chunked.stdout == whole.stdout and whole.stdout.count("\ncm-") == 7


def test_a_resource_version_that_is_not_a_number(served: Any) -> None:
    """APIObjectVersioner.ParseResourceVersion's InvalidError: the etcd3 store wraps it in a 400
    (resolveGetListRev), the watch cache hands it on as is, which the handler answers with a 500 without
    reason."""
    _, _, http = served
    invalid = 'resourceVersion: Invalid value: "abc": strconv.ParseUint: parsing "abc": invalid syntax'
    code, status = http.json("GET", "/api/v1/namespaces/pages/configmaps?resourceVersion=abc")
    assert (code, status["message"], "reason" in status) == (500, invalid, False)
    code, status = http.json("GET", "/api/v1/namespaces/pages/configmaps?resourceVersion=abc&limit=2")
    assert (code, status["reason"], status["message"]) == (
        400,
        "BadRequest",
        f"invalid resource version: {invalid}",
    )


def test_an_exact_read_of_a_future_revision_is_etcds_error(served: Any) -> None:
    cluster, _, http = served
    future = cluster.etcd.revision + 5
    code, status = http.json(
        "GET", f"/api/v1/namespaces/pages/configmaps?resourceVersion={future}&resourceVersionMatch=Exact"
    )
    assert (code, status["message"]) == (500, "etcdserver: mvcc: required revision is a future revision")


def test_a_limited_list_of_events_with_a_field_selector_returns_them(served: Any) -> None:
    """``kubectl get events --field-selector=…`` and ``kubectl describe`` list Events with ``limit=500``:
    the page is the watch cache's answer (cacher.go GetList), whichever copy of an Event the cache hands out
    (Events are kept as etcd's bytes and decoded on each read)."""
    cluster, _, http = served
    every = cluster.api.list("events", "default")["items"]
    assert every, "the booted cluster has Events in default"
    name = every[0]["involvedObject"]["name"]
    wanted = sorted(e["metadata"]["name"] for e in every if e["involvedObject"]["name"] == name)
    code, body = http.json(
        "GET", f"/api/v1/namespaces/default/events?limit=500&fieldSelector=involvedObject.name%3D{name}"
    )
    assert code == 200 and names(body) == wanted
    code, body = http.json("GET", "/api/v1/namespaces/default/events?limit=1")
    assert code == 200 and len(body["items"]) == 1 and body["items"][0] == every[0]
    assert body["metadata"]["remainingItemCount"] == len(every) - 1
