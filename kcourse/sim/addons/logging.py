"""Cluster logging: a fluent-bit DaemonSet shipping container logs to a central store.

The kubelet (through the container runtime) writes each container's output
to a file on its node, ``/var/log/containers/<pod>_<namespace>_<container>-
<id>.log``, one line per write in the CRI format ``<time> <stream> <F|P>
<text>``.  Those files die with the node and rotate away; to keep and search
logs cluster-wide, a log shipper runs on every node as a DaemonSet — here
fluent-bit's ``tail`` input — and sends new lines to a central store
(``cluster.addons.logs``), queryable by namespace, pod, container, time and
text, as Elasticsearch or Loki would be.

The shipper is a Pod like any other: while its node is down nothing is
shipped from there; its read offsets live on the node (fluent-bit's ``DB``
file in a hostPath), so after a restart it carries on without duplicates.

The store shares the kubelet's lines instead of copying them: what a flush
shipped is a range of the node's own (append-only) list of lines, parsed
into records only when a query reads them.

Simplified: fluent-bit flushes every 10 s (its ``Flush`` default is 1 s);
no ``kubernetes`` filter metadata beyond what the file name carries; no
rotation; an action is traced only when it shipped something.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from ..objects import parse_timestamp
from ..program import ContainerProgram

__all__ = ["FLUSH_INTERVAL", "IMAGE", "FluentBit", "LogRecord", "LogStore", "manifests", "parse_log_path"]

IMAGE = "cr.fluentbit.io/fluent/fluent-bit:3.1.9"
FLUSH_INTERVAL = 10.0
_PATH = re.compile(r"(?:.*/)?(?P<pod>[^_/]+)_(?P<ns>[^_/]+)_(?P<container>.+)-(?P<id>[0-9a-f]+)\.log$")

FLUENT_BIT_CONF = """[SERVICE]
    Flush         10
    Log_Level     info
    Parsers_File  /fluent-bit/etc/parsers.conf

[INPUT]
    Name              tail
    Path              /var/log/containers/*.log
    multiline.parser  docker, cri
    Tag               kube.*
    DB                /var/log/flb_kube.db
    Mem_Buf_Limit     5MB
    Skip_Long_Lines   On

[FILTER]
    Name                kubernetes
    Match               kube.*
    Merge_Log           On

[OUTPUT]
    Name   forward
    Match  *
    Host   log-store
"""


def manifests() -> list[dict]:
    """fluent-bit as a DaemonSet in ``kube-system`` with its ConfigMap."""
    labels = {"app.kubernetes.io/name": "fluent-bit"}
    return [
        {
            "apiVersion": "v1",
            "kind": "ServiceAccount",
            "metadata": {"name": "fluent-bit", "namespace": "kube-system"},
        },
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "fluent-bit", "namespace": "kube-system"},
            "data": {"fluent-bit.conf": FLUENT_BIT_CONF},
        },
        {
            "apiVersion": "apps/v1",
            "kind": "DaemonSet",
            "metadata": {"name": "fluent-bit", "namespace": "kube-system", "labels": dict(labels)},
            "spec": {
                "selector": {"matchLabels": dict(labels)},
                "template": {
                    "metadata": {"labels": dict(labels)},
                    "spec": {
                        "serviceAccountName": "fluent-bit",
                        "tolerations": [{"operator": "Exists", "effect": "NoSchedule"}],
                        "containers": [
                            {
                                "name": "fluent-bit",
                                "image": IMAGE,
                                "imagePullPolicy": "IfNotPresent",
                                "ports": [{"containerPort": 2020, "name": "http", "protocol": "TCP"}],
                                "resources": {
                                    "requests": {"cpu": "10m", "memory": "32Mi"},
                                    "limits": {"memory": "128Mi"},
                                },
                                "volumeMounts": [
                                    {
                                        "name": "config",
                                        "mountPath": "/fluent-bit/etc/fluent-bit.conf",
                                        "subPath": "fluent-bit.conf",
                                    },
                                    {"name": "varlog", "mountPath": "/var/log"},
                                ],
                            }
                        ],
                        "volumes": [
                            {"name": "config", "configMap": {"name": "fluent-bit"}},
                            {"name": "varlog", "hostPath": {"path": "/var/log"}},
                        ],
                    },
                },
            },
        },
    ]


@dataclass(frozen=True, slots=True)
class LogRecord:
    time: float
    node: str
    namespace: str
    pod: str
    container: str
    stream: str
    text: str

    def __str__(self) -> str:
        return f"{self.time:9.3f}s {self.namespace}/{self.pod}/{self.container} {self.text}"


def parse_log_path(path: str) -> tuple[str, str, str] | None:
    """(namespace, pod, container) from a ``/var/log/containers`` file name."""
    m = _PATH.match(path)
    return (m["ns"], m["pod"], m["container"]) if m else None


def _parse_line(line: Any, default_time: float) -> tuple[float, str, str]:
    """A CRI log line ``2025-01-01T09:00:05.000000000Z stdout F text`` (or already-split data)."""
    if isinstance(line, dict):
        return float(line.get("time", default_time)), line.get("stream", "stdout"), str(line.get("text", ""))
    if isinstance(line, (tuple, list)):
        t, stream, text = (
            (list(line) + ["stdout", ""])[:3] if len(line) >= 3 else (default_time, "stdout", line[-1])
        )
        return float(t), str(stream), str(text)
    parts = str(line).split(" ", 3)
    if len(parts) == 4 and parts[1] in ("stdout", "stderr") and parts[2] in ("F", "P"):
        stamp = parts[0]
        try:
            when = parse_timestamp(stamp[:26] + "Z" if "." in stamp else stamp)
        except ValueError:
            when = default_time
        return when, parts[1], parts[3]
    return default_time, "stdout", str(line)


@dataclass(frozen=True, slots=True)
class _Shipped:
    """What one flush read from one file: a range of the node's own list of lines, shared, not copied.

    A log file only grows, so the range keeps meaning the same lines; the list outlives the kubelet
    forgetting the file (the store is what keeps logs after the Pod and the node are gone).
    """

    node: str
    namespace: str
    pod: str
    container: str
    lines: Sequence[Any]
    start: int
    end: int
    #: When the flush ran: the time of a line that carries none of its own.
    flushed_at: float

    def records(self) -> Iterator[LogRecord]:
        for i in range(self.start, self.end):
            when, stream, text = _parse_line(self.lines[i], self.flushed_at)
            yield LogRecord(when, self.node, self.namespace, self.pod, self.container, stream, text)


class LogStore:
    """The central log store (``cluster.addons.logs``).

    It keeps what was shipped as ranges of the nodes' own lines (:class:`_Shipped`) and makes a
    :class:`LogRecord` of a line only when a query reads it.
    """

    def __init__(self) -> None:
        self._shipped: list[_Shipped] = []
        #: fluent-bit's read offsets per node and file (its DB on the node's disk).
        self.offsets: dict[str, dict[str, int]] = {}

    def ship(
        self, node: str, names: tuple[str, str, str], lines: Sequence[Any], start: int, end: int, now: float
    ) -> int:
        """Keep lines ``start``–``end`` of a file on ``node`` (its namespace, pod, container): how many."""
        if end > start:
            self._shipped.append(_Shipped(node, names[0], names[1], names[2], lines, start, end, now))
        return max(end - start, 0)

    @property
    def records(self) -> list[LogRecord]:
        """Every shipped line, in the order it arrived."""
        return [r for chunk in self._shipped for r in chunk.records()]

    def query(
        self,
        namespace: str | None = None,
        pod: str | None = None,
        container: str | None = None,
        since: float | None = None,
        until: float | None = None,
        text: str | None = None,
    ) -> list[LogRecord]:
        """Records matching every given filter (``text``: substring), in time order."""
        out = [
            r
            for chunk in self._shipped
            if (namespace is None or chunk.namespace == namespace)
            and (pod is None or chunk.pod == pod)
            and (container is None or chunk.container == container)
            for r in chunk.records()
            if (since is None or r.time >= since)
            and (until is None or r.time <= until)
            and (text is None or text in r.text)
        ]
        return sorted(out, key=lambda r: r.time)

    def lines(self, pod: str, container: str | None = None, namespace: str = "default") -> list[str]:
        """A container's shipped lines (like ``kubectl logs``, but kept after the node is gone)."""
        return [r.text for r in self.query(namespace, pod, container)]


class FluentBit(ContainerProgram):
    """The ``fluent-bit`` container on one node: tails the node's container log files."""

    program_name = "fluent-bit"
    resources = ()

    def __init__(
        self,
        ctx: Any,
        store: LogStore | None = None,
        node_logs: Callable[[str], dict[str, list[str]] | None] | None = None,
    ):
        #: Where shipped lines go (``cluster.addons.logs``), if anywhere.
        self.store = store
        #: The node's ``/var/log/containers`` (a hostPath mount of the kubelet's files), by node name.
        self._node_logs = node_logs
        super().__init__(ctx)

    def start(self) -> None:
        super().start()
        self.log("[ info] [fluent bit] version=3.1.9, commit=, pid=1")
        self.log("[ info] [input:tail:tail.0] initializing")
        self.after(FLUSH_INTERVAL, self.flush, background=True, trace_name=self.program_name)

    def ready(self) -> bool:
        return self.running

    def _files(self) -> dict[str, list[Any]]:
        files = self._node_logs(self.node) if self._node_logs is not None else None
        return files or {}

    def flush(self) -> Any:
        """Read what is new in every log file on the node and send it to the store."""
        self.after(FLUSH_INTERVAL, self.flush, background=True, trace_name=self.program_name)
        store = self.store
        if store is None:
            return None
        offsets = store.offsets.setdefault(self.node, {})
        shipped = 0
        files = self._files()
        for path in sorted(files):
            names = parse_log_path(path)
            if names is None:
                continue
            lines = files[path]
            end = len(lines)
            shipped += store.ship(self.node, names, lines, offsets.get(path, 0), end, self.clock.now)
            offsets[path] = end
        if not shipped:
            return None
        return self.event(
            self.pod_key or self.node, f"shipped {shipped} log lines from {self.node}", verb="sync"
        )


def fluent_bit_program(
    store: LogStore | None, node_logs: Callable[[str], dict[str, list[str]] | None] | None
) -> Callable[[Any], FluentBit]:
    """The program behind the ``cr.fluentbit.io/fluent/fluent-bit`` image: ``node_logs(node)`` into
    ``store``."""
    return lambda ctx: FluentBit(ctx, store, node_logs)
