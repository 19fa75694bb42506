"""A raw-HTTP fuzzer against a served cluster: malformed requests never get a 500 and never stop the server.

Seeded (one ``random.Random``), bounded (:data:`CASES` requests, a time budget)
and on the loopback interface only.  The cases are generated from families
of what an attacker or a broken client sends to kube-apiserver: request lines
(methods, targets, versions), headers (names, values, duplicates, sizes,
``Host``, ``Connection``, ``Expect``, ``Authorization``), framing
(``Content-Length`` forms and mismatches, chunked encodings good and bad,
both at once), and bodies in every encoding the API reads — JSON, YAML,
Kubernetes protobuf, server-side apply, merge, strategic-merge and JSON
patches, DeleteOptions — mutated at the byte level (truncated, flipped,
spliced, gzip-compressed) and at the structure level (any field replaced by
a value of the wrong type, nested deeply, aliased in YAML).

Every answer must be a well-formed HTTP response whose status is not 500, a
JSON body that parses and, for an error, is a ``Status`` with a message free
of Python internals; the server answers ``/version`` afterwards, its clock
thread has not given up, and the real ``kubectl get pods`` still answers
(its latency is written to ``test-artifacts/serve-hardening-fuzz.txt``; the
assertion is only a loose bound against a hung server).

Upstream behaviour followed: ``net/http/server.go`` and ``transfer.go`` for
framing, ``staging/src/k8s.io/apiserver/pkg/endpoints/handlers/`` (create,
update, patch, delete) for bodies, ``filters/authentication.go`` and
``filters/maxinflight.go`` for the filters.
"""

from __future__ import annotations

import gzip
import json
import os
import random
import re
import socket
import ssl
import subprocess
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import yaml

import kcourse
from kcourse.serve import protobuf
from kcourse.serve.httpserver import Limits
from kcourse.serve.protobuf import MAGIC

SEED = 20261207
CASES = 1500
BUDGET_SECONDS = 90.0
KUBECTL = Path("/usr/bin/kubectl")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
#: What Python's insides look like; none may reach a client.
LEAKS = (
    "Traceback",
    "object at 0x",
    "Error(",
    "Error:",
    "KeyError",
    "TypeError",
    "AttributeError",
    "IndexError",
    "RecursionError",
    "UnicodeDecodeError",
    "ValueError",
    "<class",
    'File "',
)
BYTES_REPR = re.compile(r"(?<![\\'\w])b'")

MANIFESTS: dict[str, dict[str, Any]] = {
    "/api/v1/namespaces/default/configmaps": {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "fuzz-cm", "labels": {"app": "fuzz"}},
        "data": {"key": "value", "other": "x"},
    },
    "/api/v1/namespaces/default/pods": {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "fuzz-pod", "labels": {"app": "fuzz"}},
        "spec": {
            "containers": [
                {
                    "name": "c",
                    "image": "nginx:1.27",
                    "ports": [{"containerPort": 80}],
                    "resources": {"requests": {"cpu": "10m", "memory": "16Mi"}},
                }
            ]
        },
    },
    "/apis/apps/v1/namespaces/default/deployments": {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "fuzz-deploy"},
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": {"app": "fuzz"}},
            "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": 0}},
            "template": {
                "metadata": {"labels": {"app": "fuzz"}},
                "spec": {"containers": [{"name": "c", "image": "nginx:1.27"}]},
            },
        },
    },
    "/api/v1/namespaces/default/services": {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "fuzz-svc"},
        "spec": {"selector": {"app": "fuzz"}, "ports": [{"port": 80, "targetPort": 80, "protocol": "TCP"}]},
    },
    "/api/v1/namespaces": {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "fuzz-ns"}},
    "/api/v1/namespaces/default/secrets": {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "fuzz-secret"},
        "type": "Opaque",
        "data": {"k": "dmFsdWU="},
    },
}
PATCH_TYPES = (
    "application/merge-patch+json",
    "application/strategic-merge-patch+json",
    "application/json-patch+json",
    "application/apply-patch+yaml",
)
WRONG_VALUES: list[Any] = [
    None,
    True,
    False,
    0,
    -1,
    1.5,
    2**63,
    -(2**64),
    1e308,
    "",
    "x",
    "abc%",
    "\u0000",
    "\ud83d",
    "é" * 3,
    [],
    [1],
    ["80"],
    {},
    {"a": 1},
    {"1": {"2": {"3": {"4": {}}}}},
    "9" * 400,
    [[[[[[[[]]]]]]]],
]
METHODS = (
    "GET",
    "POST",
    "PUT",
    "PATCH",
    "DELETE",
    "HEAD",
    "OPTIONS",
    "TRACE",
    "CONNECT",
    "get",
    "PRI",
    "FOO",
    "G\x00T",
    "",
    "POST ",
    "X" * 300,
)
PATHS = (
    "/version",
    "/api",
    "/apis",
    "/api/v1",
    "/api/v1/namespaces/default/pods",
    "/api/v1/pods",
    "/api/v1/namespaces/default/pods/x/log",
    "/api/v1/namespaces/default/pods/x/exec",
    "/api/v1/namespaces/default/pods?watch=true&timeoutSeconds=1",
    "/apis/apps/v1/deployments",
    "/apis/apps/v1/namespaces/default/deployments/x/scale",
    "/apis/metrics.k8s.io/v1beta1/nodes",
    "/openapi/v3",
    "/openapi/v2",
    "/healthz?verbose",
    "/readyz",
    "/api/v1/nodes/%zz",
    "/api/v1/namespaces/%2e%2e/pods",
    "//",
    "/" + "a/" * 2000,
    "*",
    "http://127.0.0.1/version",
    "/api/v1/namespaces/default/pods?labelSelector=%%%",
    "/api/v1/namespaces/default/pods?fieldSelector=a==b==c",
    "/api/v1/namespaces/default/pods?limit=-1&timeoutSeconds=abc",
    "/api/v1/namespaces/default/pods/x?dryRun=All",
    "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews",
    "/api/v1/namespaces/default/pods/x/eviction",
    "/api/v1/namespaces/default/pods/x/binding",
    "/api/v1/namespaces/default/pods/x/status",
    "/api/v1/namespaces/default/pods?" + "a=b&" * 3000,
    "/api/v1/namespaces/d\u00e9fault/pods/\u2603",
    "/api/v1/namespaces/default/pods?" + "a&" * 12000,
    "/api/v1/namespaces/default/pods/x?dryRun=All&dryRun=Nope",
    "/api/v1/namespaces/default/pods?watch=true&resourceVersion=abc&timeoutSeconds=1",
    "/api/v1/namespaces/default/pods?watch=1&timeoutSeconds=-1&allowWatchBookmarks=yes",
    "/api/v1/namespaces/default/pods?timeoutSeconds=99999999999999999999&watch=true",
    "/api/v1/namespaces/default/pods?labelSelector=a%3D%3D%3Db&fieldSelector=nope%3D1",
    "/api/v1/namespaces/default/pods?resourceVersion=-1&resourceVersionMatch=Nope&limit=abc&continue=%zz",
    "/api/v1/namespaces/default/pods/x/log?follow=true&tailLines=abc&sinceSeconds=-1",
)


# --- the raw client -----------------------------------------------------------------------------------------


class Client:
    def __init__(self, handle: Any):
        self.context = handle.client_context()
        self.port = handle.port
        self.token = handle.token

    def exchange(self, data: bytes, timeout: float = 15.0) -> list[tuple[int, dict[str, str], bytes]]:
        """Send ``data`` and read every response until the server closes or goes quiet."""
        responses: list[tuple[int, dict[str, str], bytes]] = []
        with (
            socket.create_connection(("127.0.0.1", self.port), timeout=timeout) as raw,
            self.context.wrap_socket(raw, server_hostname="127.0.0.1") as sock,
        ):
            try:
                sock.sendall(data)
            except OSError:
                pass  # the server answered early and closed: read what it said
            buf = b""
            try:
                while True:
                    parsed = parse_response(buf)
                    if parsed is None:
                        chunk = sock.recv(65536)
                        if not chunk:
                            buf = self._closed(buf, responses)
                            break
                        buf += chunk
                        continue
                    response, buf = parsed
                    responses.append(response)
                    if response[1].get("connection") == "close":
                        break
                    sock.settimeout(0.3)  # more pipelined answers come at once, or not at all
            except (TimeoutError, OSError):
                pass
            if buf.strip():
                responses.append((-1, {}, buf))  # bytes that are no HTTP response
        return responses

    @staticmethod
    def _closed(buf: bytes, responses: list[Any]) -> bytes:
        """At the end of the connection, a response without a length ends with it."""
        head_end = buf.find(b"\r\n\r\n")
        lines = buf[:head_end].decode("latin-1").split("\r\n")
        parts = lines[0].split(" ", 2)
        if head_end == -1 or not parts[0].startswith("HTTP/1.") or len(parts) < 2 or not parts[1].isdigit():
            return buf
        headers = {
            name.strip().lower(): value.strip()
            for name, _, value in (line.partition(":") for line in lines[1:])
        }
        responses.append((int(parts[1]), headers, buf[head_end + 4 :]))
        return b""


def parse_response(buf: bytes) -> tuple[tuple[int, dict[str, str], bytes], bytes] | None:
    """One complete response from the front of ``buf`` and the rest, or None if more bytes are needed."""
    head_end = buf.find(b"\r\n\r\n")
    if head_end == -1:
        return None
    lines = buf[:head_end].decode("latin-1").split("\r\n")
    parts = lines[0].split(" ", 2)
    if len(parts) < 2 or not parts[0].startswith("HTTP/1.") or not parts[1].isdigit():
        return (-1, {}, buf), b""
    status = int(parts[1])
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    rest = buf[head_end + 4 :]
    if status < 200:
        return (status, headers, b""), rest
    if "content-length" in headers:
        n = int(headers["content-length"])
        if len(rest) < n:
            return None
        return (status, headers, rest[:n]), rest[n:]
    if headers.get("transfer-encoding") == "chunked":
        body, pos = b"", 0
        while True:
            end = rest.find(b"\r\n", pos)
            if end == -1:
                return None
            size = int(rest[pos:end].split(b";")[0], 16)
            if len(rest) < end + 2 + size + 2:
                return None
            body += rest[end + 2 : end + 2 + size]
            pos = end + 2 + size + 2
            if size == 0:
                return (status, headers, body), rest[pos:]
    if headers.get("connection") == "close":
        return None if not rest else ((status, headers, rest), b"")
    return (status, headers, rest), b""


# --- case generation ----------------------------------------------------------------------------------------


def pb(number: int, payload: bytes) -> bytes:
    return protobuf.field(number, payload)


def configmap_protobuf(name: str, data: dict[str, str]) -> bytes:
    meta = pb(1, name.encode()) + pb(11, pb(1, b"app") + pb(2, b"fuzz"))
    entries = b"".join(pb(2, pb(1, k.encode()) + pb(2, v.encode())) for k, v in data.items())
    raw = pb(1, meta) + entries
    return MAGIC + pb(1, pb(1, b"v1") + pb(2, b"ConfigMap")) + pb(2, raw)


class Cases:
    """Deterministic generators of hostile requests, one family per method."""

    def __init__(self, rng: random.Random, token: str):
        self.rng, self.token = rng, token

    def head(
        self,
        method: str,
        path: str,
        body: bytes,
        content_type: str | None = "application/json",
        *,
        auth: bool = True,
        extra: list[str] | None = None,
        length: int | None = None,
    ) -> bytes:
        lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", "User-Agent: fuzz/1.0"]
        if auth:
            lines.append(f"Authorization: Bearer {self.token}")
        if content_type is not None:
            lines.append(f"Content-Type: {content_type}")
        lines.append(f"Content-Length: {len(body) if length is None else length}")
        if self.rng.random() < 0.85:
            lines.append("Connection: close")  # else the client waits a moment for answers that never come
        lines += extra or []
        return "\r\n".join(lines).encode("utf-8", "surrogatepass") + b"\r\n\r\n" + body

    # request lines and headers

    def request_line(self) -> bytes:
        r = self.rng
        method = r.choice(METHODS)
        target = r.choice(PATHS)
        version = r.choice(
            [
                "HTTP/1.1",
                "HTTP/1.1",
                "HTTP/1.0",
                "HTTP/2.0",
                "HTTP/0.9",
                "HTTP/1.x",
                "http/1.1",
                "HTTP/1.1 x",
                "",
                "HTTP/11.1",
            ]
        )
        sep = r.choice([" ", " ", "  ", "\t", ""])
        line = f"{method}{sep}{target}{' ' if version else ''}{version}"
        headers = ["Host: 127.0.0.1", f"Authorization: Bearer {self.token}"]
        if r.random() < 0.3:
            headers.pop(r.randrange(len(headers)))
        end = r.choice(["\r\n", "\n", "\r\n"])
        return (line + end + end.join(headers) + end + end).encode("utf-8", "surrogatepass")

    def headers(self) -> bytes:
        r = self.rng
        path = r.choice(PATHS[:12])
        lines = ["Host: 127.0.0.1", f"Authorization: Bearer {self.token}"]
        for _ in range(r.randint(1, 4)):
            lines.append(
                r.choice(
                    [
                        "Host: other",
                        "Host: a b",
                        "Host:",
                        "Content-Length: " + r.choice(["abc", "-1", "", "+3", "0x1", "1,2", "9" * 25, "0"]),
                        "Transfer-Encoding: "
                        + r.choice(["gzip", "chunked, identity", "identity", "Chunked", "chunked"]),
                        "Connection: " + r.choice(["close", "keep-alive", "upgrade", "Close, TE"]),
                        "Expect: " + r.choice(["100-continue", "200-ok", ""]),
                        "Authorization: "
                        + r.choice(
                            [
                                "Bearer",
                                "Basic YTpi",
                                f"bearer {self.token}",
                                "Bearer \u00e9",
                                f"Bearer {self.token[:-1]}",
                                "",
                            ]
                        ),
                        "X-Ctl: a\x01b",
                        "Bad Name: v",
                        ": empty",
                        " folded: x",
                        "X-Long: " + "a" * r.choice([10, 70000]),
                        "Accept: "
                        + r.choice(
                            [
                                "application/json;as=Table;v=v1;g=meta.k8s.io",
                                "*/*",
                                "text/html",
                                "application/vnd.kubernetes.protobuf",
                                ";;;",
                                "application/json;as=Table",
                            ]
                        ),
                        "Content-Type: "
                        + r.choice(
                            [
                                "application/json",
                                "application/yaml",
                                "text/plain",
                                "",
                                "application/json; charset=utf-16",
                                "multipart/form-data",
                            ]
                        ),
                        "Upgrade: websocket",
                        "X-Null: \x00",
                        "Ünïcode: x",
                        "Cookie: " + "c=" * 1000,
                    ]
                )
            )
        r.shuffle(lines)
        method = r.choice(["GET", "POST", "PUT", "DELETE"])
        body = b"{}" if method != "GET" else b""
        data = f"{method} {path} HTTP/1.1\r\n".encode() + "\r\n".join(lines).encode("utf-8", "surrogatepass")
        return data + b"\r\n\r\n" + body

    def huge_headers(self) -> bytes:
        size = self.rng.choice([900_000, 1_100_000, 2_000_000])
        return (f"GET /version HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: {'b' * size}\r\n\r\n").encode()

    def unterminated(self) -> bytes:
        return self.rng.choice(
            [
                b"GET /version HTTP/1.1\r\nHost: 127.0.0.1\r\n",
                b"GET /vers",
                b"",
                b"\r\n\r\n",
                b"\x16\x03\x01garbage\r\n\r\n",
                os.urandom(0) + b"\xff" * 100,
            ]
        )

    # framing

    def content_length(self) -> bytes:
        r = self.rng
        path, manifest = r.choice(list(MANIFESTS.items()))
        body = json.dumps(manifest).encode()
        declared = r.choice([len(body) - 1, len(body) + 1, 0, len(body) * 2, 3 * 1024 * 1024 + 1, 1 << 40])
        extra = r.choice([[], [f"Content-Length: {len(body)}"], ["Transfer-Encoding: chunked"]])
        return self.head("POST", path + "?dryRun=All", body, length=declared, extra=extra)

    def chunked(self) -> bytes:
        r = self.rng
        path, manifest = r.choice(list(MANIFESTS.items()))
        body = json.dumps(manifest).encode()
        pieces = []
        i = 0
        while i < len(body):
            n = r.randint(1, 40)
            pieces.append(body[i : i + n])
            i += n
        out = b""
        for piece in pieces:
            size = b"%x" % len(piece)
            roll = r.random()
            if roll < 0.05:
                size = r.choice([b"zz", b"", b"-1", b"1" * 17, b"0x10", b"ffffffffffffffff"])
            elif roll < 0.1:
                size += b";ext=" + r.choice([b"1", b"\x00", b"a" * 5000])
            out += size + b"\r\n" + piece + r.choice([b"\r\n"] * 20 + [b"\n", b"", b"XX"])
        out += r.choice(
            [b"0\r\n\r\n", b"0\r\nTrailer: x\r\n\r\n", b"0\r\n", b"", b"0\r\n" + b"T: x\r\n" * 3 + b"\r\n"]
        )
        lines = [
            f"POST {path}?dryRun=All HTTP/1.1",
            "Host: 127.0.0.1",
            f"Authorization: Bearer {self.token}",
            "Content-Type: application/json",
            "Transfer-Encoding: chunked",
        ]
        return "\r\n".join(lines).encode() + b"\r\n\r\n" + out

    # bodies

    def mutate_bytes(self, data: bytes) -> bytes:
        r = self.rng
        data = bytearray(data)
        for _ in range(r.randint(1, 4)):
            op = r.randrange(6)
            pos = r.randrange(len(data) + 1)
            if op == 0 and data:
                del data[pos:]
            elif op == 1 and data:
                data[min(pos, len(data) - 1)] = r.randrange(256)
            elif op == 2:
                data[pos:pos] = r.choice(
                    [
                        b"{",
                        b"}",
                        b"[",
                        b"]",
                        b'"',
                        b",",
                        b":",
                        b"\\",
                        b"\x00",
                        b"\xff\xfe",
                        b"\\ud800",
                        b"NaN",
                        b"1e999",
                        b"-",
                        b"\xe2\x80\xae",
                        b"&a",
                        b"*a",
                        b"!!",
                    ]
                )
            elif op == 3 and data:
                del data[pos : pos + r.randint(1, 20)]
            elif op == 4 and data:
                start = r.randrange(len(data))
                data[pos:pos] = data[start : start + r.randint(1, 40)]
            else:
                data[pos:pos] = bytes(r.randrange(256) for _ in range(r.randint(1, 8)))
        return bytes(data)

    def mutate_structure(self, obj: Any) -> Any:
        r = self.rng
        obj = json.loads(json.dumps(obj))
        paths: list[tuple[Any, Any]] = []

        def walk(node: Any) -> None:
            if isinstance(node, dict):
                for k in list(node):
                    paths.append((node, k))
                    walk(node[k])
            elif isinstance(node, list):
                for i in range(len(node)):
                    paths.append((node, i))
                    walk(node[i])

        walk(obj)
        for _ in range(r.randint(1, 3)):
            if not paths:
                break
            parent, key = r.choice(paths)
            roll = r.random()
            if roll < 0.7:
                parent[key] = r.choice(WRONG_VALUES)
            elif roll < 0.85 and isinstance(parent, dict):
                del parent[key]
                paths = [(p, k) for p, k in paths if not (p is parent and k == key)]
            elif isinstance(parent, dict):
                parent[r.choice(["unknownField", "imagePullPolice", "", "metadata", "x" * 300])] = r.choice(
                    WRONG_VALUES
                )
        if r.random() < 0.2:
            return r.choice(WRONG_VALUES)
        return obj

    def json_body(self) -> bytes:
        r = self.rng
        path, manifest = r.choice(list(MANIFESTS.items()))
        name = manifest["metadata"]["name"]
        if r.random() < 0.5:
            body = json.dumps(self.mutate_structure(manifest), ensure_ascii=r.random() < 0.5).encode(
                "utf-8", "surrogatepass"
            )
        else:
            body = self.mutate_bytes(json.dumps(manifest).encode())
        method, target = r.choice(
            [
                ("POST", path),
                ("PUT", f"{path}/{name}"),
                ("POST", path + "?dryRun=All"),
                ("PUT", f"{path}/{name}/status"),
            ]
        )
        ctype = r.choice(
            ["application/json", "application/json; charset=utf-8", "", None, "application/yaml"]
        )
        return self.head(method, target, body, ctype)

    def yaml_body(self) -> bytes:
        r = self.rng
        path, manifest = r.choice(list(MANIFESTS.items()))
        name = manifest["metadata"]["name"]
        text = yaml.safe_dump(
            self.mutate_structure(manifest) if r.random() < 0.4 else manifest, allow_unicode=True
        ).encode("utf-8", "surrogatepass")
        roll = r.random()
        if roll < 0.2:
            levels, fanout = r.randint(3, 9), r.randint(2, 10)
            lines = ["a0: &a0 [" + ",".join(['"x"'] * fanout) + "]"]
            lines += [f"a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * fanout) + "]" for i in range(1, levels)]
            text = ("\n".join(lines) + f"\nmetadata: {{name: {name}}}\n").encode()
        elif roll < 0.3:
            text = b"a: " + b"[" * r.choice([50, 150, 5000]) + b"]" * r.randint(0, 200)
        elif roll < 0.4:
            text = r.choice(
                [
                    b"a: &x [*x]",
                    b"a: *nope",
                    b"? [a]\n: 1",
                    b"a: !!binary ***",
                    b"a: .nan",
                    b"---\n---",
                    b"\t- x",
                    b"a: b: c",
                    b"%YAML 9.9\n---\na: 1",
                    b"a: !!python/name:os.system",
                ]
            )
        elif roll < 0.6:
            text = self.mutate_bytes(text)
        ctype = r.choice(["application/apply-patch+yaml", "application/yaml"])
        if ctype == "application/yaml":
            return self.head(
                r.choice(["POST", "PUT"]), path if r.random() < 0.5 else f"{path}/{name}", text, ctype
            )
        return self.head("PATCH", f"{path}/{name}?fieldManager=fuzz", text, ctype)

    def patch_body(self) -> bytes:
        r = self.rng
        path, manifest = r.choice(list(MANIFESTS.items()))
        name = manifest["metadata"]["name"]
        ctype = r.choice(PATCH_TYPES[:3] + ("application/json", "text/plain", ""))
        if ctype == "application/json-patch+json":
            ops = [
                {
                    "op": r.choice(["add", "remove", "replace", "move", "copy", "test", "nope", 5]),
                    "path": r.choice(
                        [
                            "/metadata/labels/a",
                            "/spec",
                            "/",
                            "",
                            "/a/b/c/d",
                            "/spec/containers/-",
                            "/spec/containers/99",
                            "/metadata/~2",
                            7,
                        ]
                    ),
                    "from": r.choice(["/metadata", "/x", None]),
                    "value": r.choice(WRONG_VALUES),
                }
                for _ in range(r.randint(0, 4))
            ]
            patch: Any = ops if r.random() < 0.8 else r.choice(WRONG_VALUES)
        else:
            patch = (
                self.mutate_structure(manifest)
                if r.random() < 0.7
                else {
                    "metadata": {"labels": r.choice(WRONG_VALUES)},
                    "$patch": r.choice(["delete", "replace", 5]),
                }
            )
        body = json.dumps(patch, ensure_ascii=True).encode()
        if r.random() < 0.3:
            body = self.mutate_bytes(body)
        sub = r.choice(["", "", "/status", "/scale"])
        return self.head("PATCH", f"{path}/{name}{sub}", body, ctype)

    def protobuf_body(self) -> bytes:
        r = self.rng
        data = {"k": "v", "x" * r.randint(0, 5): "y"}
        body = configmap_protobuf(
            r.choice(
                [
                    "fuzz-pb",
                    "Bad Name",
                    "\udcff".encode("utf-8", "surrogateescape").decode("utf-8", "replace"),
                    "",
                ]
            ),
            data,
        )
        if r.random() < 0.8:
            body = (
                MAGIC + self.mutate_bytes(body[len(MAGIC) :]) if r.random() < 0.9 else self.mutate_bytes(body)
            )
        path = r.choice(
            [
                "/api/v1/namespaces/default/configmaps",
                "/api/v1/namespaces/default/pods",
                "/apis/apps/v1/namespaces/default/deployments",
                "/api/v1/namespaces",
            ]
        )
        return self.head("POST", path, body, "application/vnd.kubernetes.protobuf")

    def delete_body(self) -> bytes:
        r = self.rng
        path, manifest = r.choice(list(MANIFESTS.items()))
        name = manifest["metadata"]["name"]
        options: Any = {
            "kind": "DeleteOptions",
            "apiVersion": "v1",
            "gracePeriodSeconds": r.choice([0, 30, -5, "x", 1.5, None, 2**70]),
            "propagationPolicy": r.choice(["Foreground", "Background", "Orphan", "Sideways", 5, None]),
            "preconditions": r.choice([{"uid": "abc"}, {"uid": 5}, "x", None, {"resourceVersion": []}]),
            "dryRun": r.choice([["All"], "All", ["Some"], None, [1]]),
        }
        if r.random() < 0.3:
            options = r.choice(WRONG_VALUES)
        body = json.dumps(options).encode()
        if r.random() < 0.3:
            body = self.mutate_bytes(body)
        query = r.choice(
            [
                "",
                "?gracePeriodSeconds=abc",
                "?propagationPolicy=Nope",
                "?dryRun=All",
                "?gracePeriodSeconds=-1&dryRun=All",
            ]
        )
        target = (
            f"{path}/{name}{query}" if r.random() < 0.8 else path + "?dryRun=All&labelSelector=app%3Dnone"
        )
        return self.head("DELETE", target, body, r.choice(["application/json", None, "application/yaml"]))

    def subresource_body(self) -> bytes:
        r = self.rng
        pod = "/api/v1/namespaces/default/pods/fuzz-pod"
        target, obj = r.choice(
            [
                (
                    pod + "/eviction",
                    {
                        "apiVersion": "policy/v1",
                        "kind": "Eviction",
                        "metadata": {"name": "fuzz-pod"},
                        "deleteOptions": {"gracePeriodSeconds": 0},
                    },
                ),
                (
                    pod + "/binding",
                    {
                        "apiVersion": "v1",
                        "kind": "Binding",
                        "metadata": {"name": "fuzz-pod"},
                        "target": {"kind": "Node", "name": "nowhere"},
                    },
                ),
                (
                    "/apis/apps/v1/namespaces/default/deployments/fuzz-deploy/scale",
                    {
                        "apiVersion": "autoscaling/v1",
                        "kind": "Scale",
                        "metadata": {"name": "fuzz-deploy"},
                        "spec": {"replicas": 2},
                    },
                ),
                (
                    "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews",
                    {
                        "apiVersion": "authorization.k8s.io/v1",
                        "kind": "SelfSubjectAccessReview",
                        "spec": {"resourceAttributes": {"verb": "get", "resource": "pods"}},
                    },
                ),
            ]
        )
        body = (
            json.dumps(self.mutate_structure(obj)).encode()
            if r.random() < 0.7
            else self.mutate_bytes(json.dumps(obj).encode())
        )
        method = "POST"
        if target.endswith("/scale"):
            method = r.choice(["PUT", "PATCH"])
        ctype = "application/merge-patch+json" if method == "PATCH" else "application/json"
        return self.head(method, target, body, ctype)

    def encoded_body(self) -> bytes:
        r = self.rng
        path, manifest = r.choice(list(MANIFESTS.items()))
        body = json.dumps(manifest).encode()
        encoding = r.choice(["gzip", "deflate", "br", "identity", "x-unknown"])
        if encoding == "gzip":
            body = gzip.compress(body, mtime=0)
        elif r.random() < 0.5:
            body = body.decode().encode(r.choice(["utf-16", "utf-32", "latin-1"]))
        return self.head("POST", path + "?dryRun=All", body, extra=[f"Content-Encoding: {encoding}"])

    def unauthenticated(self) -> bytes:
        r = self.rng
        path, manifest = r.choice(list(MANIFESTS.items()))
        body = json.dumps(manifest).encode()
        return self.head(
            r.choice(["POST", "PUT", "GET", "DELETE"]),
            path,
            body,
            auth=False,
            length=r.choice([len(body), 64 << 20, 3 * 1024 * 1024 + 1]),
        )

    def pipelined(self) -> bytes:
        r = self.rng
        # (No request-line cases here: a HEAD answer carries a Content-Length but no body, which only a client
        # that remembers what it asked can frame.)
        return b"".join(
            r.choice([self.json_body, self.patch_body, self.delete_body, self.headers])()
            for _ in range(r.randint(2, 4))
        )

    def families(self) -> list[tuple[str, Any, float]]:
        return [
            ("request-line", self.request_line, 1.0),
            ("headers", self.headers, 1.5),
            ("huge-headers", self.huge_headers, 0.05),
            ("unterminated", self.unterminated, 0.1),
            ("content-length", self.content_length, 0.5),
            ("chunked", self.chunked, 1.0),
            ("json", self.json_body, 2.5),
            ("yaml", self.yaml_body, 1.5),
            ("patch", self.patch_body, 2.0),
            ("protobuf", self.protobuf_body, 1.5),
            ("delete", self.delete_body, 1.0),
            ("subresource", self.subresource_body, 1.0),
            ("encoding", self.encoded_body, 0.5),
            ("unauthenticated", self.unauthenticated, 0.3),
            ("pipelined", self.pipelined, 0.5),
        ]

    def generate(self, count: int) -> list[tuple[str, bytes]]:
        names, makers, weights = zip(*self.families(), strict=True)
        out = []
        for _ in range(count):
            i = self.rng.choices(range(len(names)), weights)[0]
            out.append((names[i], makers[i]()))
        return out


# --- the test -----------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def fuzzed(tmp_path_factory: pytest.TempPathFactory) -> Any:
    cluster = kcourse.Cluster(masters=1, workers=1, seed=0)
    handle = cluster.serve(
        kubeconfig=tmp_path_factory.mktemp("kube") / "config",
        realtime=True,
        speed=5.0,
        limits=Limits(read_header_timeout=1.0, read_timeout=1.0, idle_timeout=5.0),
    )
    yield cluster, handle
    handle.stop()


def check(response: tuple[int, dict[str, str], bytes]) -> str | None:
    """What is wrong with one answer, or None."""
    status, headers, body = response
    if status == -1:
        return f"not an HTTP response: {body[:80]!r}"
    if status == 500 or status > 505:
        return f"status {status}: {body[:300]!r}"
    text = body.decode("utf-8", "replace")
    if status >= 400:
        for leak in LEAKS:
            if leak in text:
                return f"{leak!r} in a {status} answer: {text[:300]}"
        if BYTES_REPR.search(text):
            return f"a bytes representation in a {status} answer: {text[:300]}"
    if headers.get("content-type", "").startswith("application/json") and body and status != 101:
        try:
            doc = json.loads(body)
        except ValueError:
            return f"a JSON answer that does not parse: {body[:120]!r}"
        if status >= 400 and not (
            isinstance(doc, dict) and doc.get("kind") == "Status" and isinstance(doc.get("message"), str)
        ):
            return f"a {status} answer that is no Status: {body[:200]!r}"
    return None


def test_a_thousand_malformed_requests_get_no_500_and_the_server_stays_up(fuzzed: Any) -> None:
    cluster, handle = fuzzed
    client = Client(handle)
    cases = Cases(random.Random(SEED), handle.token).generate(CASES)
    assert len(cases) >= 1000
    deadline = time.monotonic() + BUDGET_SECONDS

    def run(case: tuple[str, bytes]) -> tuple[str, list[Any], str | None]:
        family, data = case
        if time.monotonic() > deadline:
            return family, [], "skipped: over the time budget"
        try:
            responses = client.exchange(data)
        except (OSError, ssl.SSLError) as e:
            return family, [], f"connection failed: {type(e).__name__}"
        for response in responses:
            problem = check(response)
            if problem:
                return family, responses, problem
        return family, responses, None

    start = time.monotonic()
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(run, cases))
    elapsed = time.monotonic() - start
    statuses = Counter(r[0] for _family, responses, _p in results for r in responses)
    problems = [(family, problem) for family, _responses, problem in results if problem]
    families = Counter(family for family, _data in cases)
    answered = sum(1 for _f, responses, _p in results if responses)
    ARTIFACTS.mkdir(exist_ok=True)
    summary = [
        f"cases: {len(cases)} ({', '.join(f'{k} {v}' for k, v in sorted(families.items()))})",
        f"answers: {sum(statuses.values())} on {answered} connections; statuses: "
        + ", ".join(f"{k}: {v}" for k, v in sorted(statuses.items())),
        f"500 answers: {statuses.get(500, 0)}",
        f"problems: {len(problems)}",
        f"time: {elapsed:.1f} s",
    ]
    summary += [f"  {family}: {problem}" for family, problem in problems[:50]]
    (ARTIFACTS / "serve-hardening-fuzz.txt").write_text("\n".join(summary) + "\n")
    assert statuses.get(500, 0) == 0, "\n".join(summary)
    assert not problems, "\n".join(summary)
    assert answered >= 0.9 * len(cases)

    # Still serving, still moving, and the real kubectl still answers quickly.
    response = client.exchange(
        b"GET /version HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer "
        + handle.token.encode()
        + b"\r\nConnection: close\r\n\r\n"
    )
    assert response and response[0][0] == 200
    assert handle.halted is None
    deadline = time.monotonic() + 15  # every request thread has finished: none is stuck on a hostile request
    while handle.connections.busy and time.monotonic() < deadline:
        time.sleep(0.1)
    assert handle.connections.busy == 0
    before = cluster.clock.now
    time.sleep(0.5)
    assert cluster.clock.now > before
    if not KUBECTL.exists():
        pytest.skip("the real kubectl is missing: the latency figure needs it")
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(Path(handle.kubeconfig).parent),
        "KUBECONFIG": str(handle.kubeconfig),
        "NO_PROXY": "127.0.0.1",
    }
    subprocess.run([str(KUBECTL), "api-resources"], env=env, capture_output=True, timeout=60, check=False)
    start = time.monotonic()
    result = subprocess.run(
        [str(KUBECTL), "get", "pods", "-A"], env=env, capture_output=True, text=True, timeout=60, check=False
    )
    latency = time.monotonic() - start
    with (ARTIFACTS / "serve-hardening-fuzz.txt").open("a") as f:
        f.write(f"kubectl get pods afterwards: {latency * 1000:.0f} ms\n")
    assert result.returncode == 0, result.stderr
    assert "coredns" in result.stdout
    assert latency < 5.0  # reported figure: under 1 s; this bound only catches a hung server
