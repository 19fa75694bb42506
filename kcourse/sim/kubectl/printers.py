"""The tables, YAML and JSON that ``kubectl get`` prints, column for column.

The rows follow the API server's table printers
(``pkg/printers/internalversion/printers.go``: ``printPod``, ``printNode``,
``printDeployment`` …), so STATUS reads ``CrashLoopBackOff`` or
``Init:0/1`` exactly when the real one does.  Ages use
``duration.HumanDuration`` from apimachinery, and the table is laid out by
Go's ``text/tabwriter`` with kubectl's settings (minimum width 6, padding 3,
last column unpadded).  ``-o yaml`` goes through ``sigs.k8s.io/yaml``, which
sorts keys alphabetically and double-quotes strings that would read as
another type (``"80"``, ``"true"``, timestamps); ``-o json`` is Go's
``json.MarshalIndent`` with four spaces, sorted keys and ``<``/``>``/``&``
escaped.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from typing import Any

import yaml

from ..objects import parse_timestamp
from ..resources import ResourceType
from . import jsonpath

__all__ = [
    "custom_column_rows",
    "custom_columns",
    "custom_columns_from_template",
    "format_labels",
    "human_duration",
    "pod_status",
    "resource_prefix",
    "since",
    "table_rows",
    "tabulate",
    "to_json",
    "to_yaml",
]


def human_duration(seconds: float) -> str:
    """apimachinery's ``duration.HumanDuration``: ``45s``, ``2m3s``, ``10m``, ``3h4m``, ``5d``, ``2y30d``."""
    s = int(seconds)
    if s < -1:
        return "<invalid>"
    if s < 0:
        return "0s"
    if s < 120:
        return f"{s}s"
    minutes = s // 60
    if minutes < 10:
        return f"{minutes}m" if s % 60 == 0 else f"{minutes}m{s % 60}s"
    if minutes < 180:
        return f"{minutes}m"
    hours = s // 3600
    if hours < 8:
        return f"{hours}h" if minutes % 60 == 0 else f"{hours}h{minutes % 60}m"
    if hours < 48:
        return f"{hours}h"
    if hours < 24 * 8:
        return f"{hours // 24}d" if hours % 24 == 0 else f"{hours // 24}d{hours % 24}h"
    if hours < 24 * 365 * 2:
        return f"{hours // 24}d"
    if hours < 24 * 365 * 8:
        days = (hours // 24) % 365
        return f"{hours // 24 // 365}y" if days == 0 else f"{hours // 24 // 365}y{days}d"
    return f"{hours // 24 // 365}y"


def since(ts: str | None, now: float) -> str:
    """``translateTimestampSince``: ``<unknown>`` for a zero time."""
    if not ts:
        return "<unknown>"
    return human_duration(now - parse_timestamp(ts))


def tabulate(rows: list[list[str]]) -> str:
    """Go's tabwriter as kubectl configures it: minwidth 6, padding 3, the last cell left as it is."""
    if not rows:
        return ""
    ncols = max(len(r) for r in rows)
    widths = [6] * ncols
    for r in rows:
        for i, cell in enumerate(r[:-1]):
            widths[i] = max(widths[i], len(cell) + 3)
    out = []
    for r in rows:
        line = "".join(cell.ljust(widths[i]) for i, cell in enumerate(r[:-1])) + (r[-1] if r else "")
        out.append(line)
    return "\n".join(out) + "\n"


def format_labels(labels: dict | None) -> str:
    """``labels.FormatLabels``: sorted ``k=v`` pairs, ``<none>`` when empty."""
    if not labels:
        return "<none>"
    return ",".join(f"{k}={v}" for k, v in sorted(labels.items()))


def _selector_string(selector: dict | None) -> str:
    """``metav1.LabelSelectorAsSelector(...).String()``: sorted by key, ``<none>`` when empty."""
    if not selector:
        return "<none>"
    reqs: list[tuple[str, str]] = [(k, f"{k}={v}") for k, v in (selector.get("matchLabels") or {}).items()]
    for e in selector.get("matchExpressions") or []:
        key, op, values = e["key"], e["operator"], sorted(e.get("values") or [])
        text = {
            "In": f"{key} in ({','.join(values)})",
            "NotIn": f"{key} notin ({','.join(values)})",
            "Exists": key,
            "DoesNotExist": f"!{key}",
        }[op]
        reqs.append((key, text))
    return ",".join(t for _, t in sorted(reqs)) or "<none>"


# --- pods ----------------------------------------------------------------------------------------------


def _terminated_reason(t: dict, prefix: str = "") -> str:
    if t.get("reason"):
        return prefix + t["reason"]
    if t.get("signal"):
        return f"{prefix}Signal:{t['signal']}"
    return f"{prefix}ExitCode:{t.get('exitCode', 0)}"


def pod_status(pod: dict, now: float) -> tuple[str, str, str]:
    """``printPod``'s READY, STATUS and RESTARTS cells."""
    spec, status = pod.get("spec") or {}, pod.get("status") or {}
    phase = status.get("phase") or ""
    reason = status.get("reason") or phase
    conditions = status.get("conditions") or []
    for c in conditions:
        if c.get("type") == "PodScheduled" and c.get("reason") == "SchedulingGated":
            reason = "SchedulingGated"
    init_specs = {c["name"]: c for c in spec.get("initContainers") or []}
    total = len(spec.get("containers") or []) + sum(
        1 for c in init_specs.values() if c.get("restartPolicy") == "Always"
    )
    ready = restarts = sidecar_restarts = 0
    last_restart: str = ""
    last_sidecar_restart: str = ""
    initializing = False
    init_statuses = status.get("initContainerStatuses") or []
    for i, cs in enumerate(init_statuses):
        restarts += cs.get("restartCount", 0)
        finished = ((cs.get("lastState") or {}).get("terminated") or {}).get("finishedAt") or ""
        last_restart = max(last_restart, finished)
        sidecar = (init_specs.get(cs.get("name")) or {}).get("restartPolicy") == "Always"
        if sidecar:
            sidecar_restarts += cs.get("restartCount", 0)
            last_sidecar_restart = max(last_sidecar_restart, finished)
        state = cs.get("state") or {}
        term, waiting = state.get("terminated"), state.get("waiting")
        if term is not None and term.get("exitCode", 0) == 0:
            continue
        if sidecar and cs.get("started"):
            if cs.get("ready"):
                ready += 1
            continue
        if term is not None:
            reason = _terminated_reason(term, "Init:")
        elif waiting is not None and waiting.get("reason") and waiting["reason"] != "PodInitializing":
            reason = "Init:" + waiting["reason"]
        else:
            reason = f"Init:{i}/{len(init_specs)}"
        initializing = True
        break
    initialized = any(c.get("type") == "Initialized" and c.get("status") == "True" for c in conditions)
    if not initializing or initialized:
        restarts, last_restart = sidecar_restarts, last_sidecar_restart
        has_running = False
        for cs in reversed(status.get("containerStatuses") or []):
            restarts += cs.get("restartCount", 0)
            finished = ((cs.get("lastState") or {}).get("terminated") or {}).get("finishedAt") or ""
            last_restart = max(last_restart, finished)
            state = cs.get("state") or {}
            waiting, term = state.get("waiting"), state.get("terminated")
            if waiting is not None and waiting.get("reason"):
                reason = waiting["reason"]
            elif term is not None:
                reason = _terminated_reason(term)
            elif cs.get("ready") and state.get("running") is not None:
                has_running = True
                ready += 1
        if reason == "Completed" and has_running:
            reason = "Running" if any(c.get("type") == "Ready" for c in conditions) else "NotReady"
    deleting = bool((pod.get("metadata") or {}).get("deletionTimestamp"))
    if deleting and status.get("reason") == "NodeLost":
        reason = "Unknown"
    elif deleting and phase not in ("Succeeded", "Failed"):
        reason = "Terminating"
    restart_text = str(restarts)
    if restarts and last_restart:
        restart_text = f"{restarts} ({since(last_restart, now)} ago)"
    return f"{ready}/{total}", reason, restart_text


def _pod_row(pod: dict, now: float, wide: bool) -> list[str]:
    ready, reason, restarts = pod_status(pod, now)
    row = [
        pod["metadata"]["name"],
        ready,
        reason,
        restarts,
        since(pod["metadata"].get("creationTimestamp"), now),
    ]
    if wide:
        spec, status = pod.get("spec") or {}, pod.get("status") or {}
        ips = status.get("podIPs") or ([{"ip": status["podIP"]}] if status.get("podIP") else [])
        gates = spec.get("readinessGates") or []
        gate_text = "<none>"
        if gates:
            conds = {c.get("type"): c.get("status") for c in status.get("conditions") or []}
            gate_text = f"{sum(1 for g in gates if conds.get(g.get('conditionType')) == 'True')}/{len(gates)}"
        row += [
            (ips[0].get("ip") if ips else "") or "<none>",
            spec.get("nodeName") or "<none>",
            status.get("nominatedNodeName") or "<none>",
            gate_text,
        ]
    return row


# --- nodes ---------------------------------------------------------------------------------------------


def node_roles(node: dict) -> str:
    """``findNodeRoles``: ``node-role.kubernetes.io/<role>`` labels and ``kubernetes.io/role``."""
    roles = set()
    for k, v in (node["metadata"].get("labels") or {}).items():
        if k.startswith("node-role.kubernetes.io/") and k[len("node-role.kubernetes.io/") :]:
            roles.add(k[len("node-role.kubernetes.io/") :])
        elif k == "kubernetes.io/role" and v:
            roles.add(v)
    return ",".join(sorted(roles)) or "<none>"


def node_status(node: dict) -> str:
    status = []
    for c in (node.get("status") or {}).get("conditions") or []:
        if c.get("type") == "Ready":
            status.append("Ready" if c.get("status") == "True" else "NotReady")
    if not status:
        status.append("Unknown")
    if (node.get("spec") or {}).get("unschedulable"):
        status.append("SchedulingDisabled")
    return ",".join(status)


def node_address(node: dict, kind: str) -> str:
    for a in (node.get("status") or {}).get("addresses") or []:
        if a.get("type") == kind:
            return a.get("address") or "<none>"
    return "<none>"


def _node_row(node: dict, now: float, wide: bool) -> list[str]:
    info = (node.get("status") or {}).get("nodeInfo") or {}
    row = [
        node["metadata"]["name"],
        node_status(node),
        node_roles(node),
        since(node["metadata"].get("creationTimestamp"), now),
        info.get("kubeletVersion", ""),
    ]
    if wide:
        row += [
            node_address(node, "InternalIP"),
            node_address(node, "ExternalIP"),
            info.get("osImage") or "<unknown>",
            info.get("kernelVersion") or "<unknown>",
            info.get("containerRuntimeVersion") or "<unknown>",
        ]
    return row


# --- workloads -----------------------------------------------------------------------------------------


def _containers_images(template_spec: dict) -> list[str]:
    cs = template_spec.get("containers") or []
    return [",".join(c.get("name", "") for c in cs), ",".join(c.get("image", "") for c in cs)]


def _age(obj: dict, now: float) -> str:
    return since(obj["metadata"].get("creationTimestamp"), now)


def _deployment_row(d: dict, now: float, wide: bool) -> list[str]:
    spec, st = d.get("spec") or {}, d.get("status") or {}
    row = [
        d["metadata"]["name"],
        f"{st.get('readyReplicas', 0)}/{spec.get('replicas', 0)}",
        str(st.get("updatedReplicas", 0)),
        str(st.get("availableReplicas", 0)),
        _age(d, now),
    ]
    if wide:
        row += _containers_images(((spec.get("template") or {}).get("spec")) or {})
        row.append(_selector_string(spec.get("selector")))
    return row


def _replicaset_row(rs: dict, now: float, wide: bool) -> list[str]:
    spec, st = rs.get("spec") or {}, rs.get("status") or {}
    row = [
        rs["metadata"]["name"],
        str(spec.get("replicas", 0)),
        str(st.get("replicas", 0)),
        str(st.get("readyReplicas", 0)),
        _age(rs, now),
    ]
    if wide:
        row += _containers_images(((spec.get("template") or {}).get("spec")) or {})
        row.append(_selector_string(spec.get("selector")))
    return row


def _daemonset_row(ds: dict, now: float, wide: bool) -> list[str]:
    spec, st = ds.get("spec") or {}, ds.get("status") or {}
    tspec = ((spec.get("template") or {}).get("spec")) or {}
    row = [
        ds["metadata"]["name"],
        str(st.get("desiredNumberScheduled", 0)),
        str(st.get("currentNumberScheduled", 0)),
        str(st.get("numberReady", 0)),
        str(st.get("updatedNumberScheduled", 0)),
        str(st.get("numberAvailable", 0)),
        format_labels(tspec.get("nodeSelector")),
        _age(ds, now),
    ]
    if wide:
        row += _containers_images(tspec)
        row.append(_selector_string(spec.get("selector")))
    return row


# --- services and endpoints ----------------------------------------------------------------------------


def _lb_ingress(svc: dict, wide: bool) -> str:
    ingress = (((svc.get("status") or {}).get("loadBalancer")) or {}).get("ingress") or []
    text = ",".join(
        i.get("ip") or i.get("hostname") or "" for i in ingress if i.get("ip") or i.get("hostname")
    )
    if not wide and len(text) > 16:
        return text[:13] + "..."
    return text


def service_external_ip(svc: dict, wide: bool) -> str:
    spec = svc.get("spec") or {}
    stype = spec.get("type", "ClusterIP")
    external = spec.get("externalIPs") or []
    if stype in ("ClusterIP", "NodePort"):
        return ",".join(external) if external else "<none>"
    if stype == "LoadBalancer":
        lb = _lb_ingress(svc, wide)
        if external:
            return ",".join(([*lb.split(",")] if lb else []) + external)
        return lb or "<pending>"
    if stype == "ExternalName":
        return spec.get("externalName", "")
    return "<unknown>"


def service_ports(svc: dict) -> str:
    parts = []
    for p in (svc.get("spec") or {}).get("ports") or []:
        proto = p.get("protocol", "TCP")
        parts.append(f"{p['port']}:{p['nodePort']}/{proto}" if p.get("nodePort") else f"{p['port']}/{proto}")
    return ",".join(parts) or "<none>"


def _service_row(svc: dict, now: float, wide: bool) -> list[str]:
    spec = svc.get("spec") or {}
    ips = spec.get("clusterIPs") or ([spec["clusterIP"]] if spec.get("clusterIP") else [])
    row = [
        svc["metadata"]["name"],
        spec.get("type", "ClusterIP"),
        ips[0] if ips else "<none>",
        service_external_ip(svc, wide),
        service_ports(svc),
        _age(svc, now),
    ]
    if wide:
        row.append(format_labels(spec.get("selector")))
    return row


def format_endpoints(ep: dict) -> str:
    """``formatEndpoints``: up to three ``ip:port``, then `` + N more...``."""
    subsets = ep.get("subsets") or []
    if not subsets:
        return "<none>"
    shown: list[str] = []
    more, count = False, 0
    for ss in subsets:
        addresses = ss.get("addresses") or []
        ports = ss.get("ports") or []
        pairs = (
            [(a["ip"], None) for a in addresses]
            if not ports
            else [(a["ip"], p["port"]) for p in ports for a in addresses]
        )
        for ip, port in pairs:
            count += 1
            if len(shown) == 3:
                more = True
                continue
            host = f"[{ip}]" if ":" in ip else ip
            shown.append(ip if port is None else f"{host}:{port}")
    text = ",".join(shown)
    return f"{text} + {count - 3} more..." if more else text


def _endpoints_row(ep: dict, now: float, _wide: bool) -> list[str]:
    return [ep["metadata"]["name"], format_endpoints(ep), _age(ep, now)]


def _list_with_more(items: list[str]) -> str:
    if len(items) > 3:
        return ",".join(items[:3]) + f" + {len(items) - 3} more..."
    return ",".join(items) or "<unset>"


def _endpointslice_row(s: dict, now: float, _wide: bool) -> list[str]:
    ports = [
        str(p["port"]) if p.get("port") is not None else (p.get("name") or "*") for p in s.get("ports") or []
    ]
    addresses = [a for e in s.get("endpoints") or [] for a in e.get("addresses") or []]
    return [
        s["metadata"]["name"],
        s.get("addressType", ""),
        _list_with_more(ports),
        _list_with_more(addresses),
        _age(s, now),
    ]


# --- the rest ------------------------------------------------------------------------------------------


def _namespace_row(ns: dict, now: float, _wide: bool) -> list[str]:
    return [ns["metadata"]["name"], (ns.get("status") or {}).get("phase", ""), _age(ns, now)]


def _event_row(ev: dict, now: float, wide: bool) -> list[str]:
    first = since(ev.get("firstTimestamp") or ev.get("eventTime"), now)
    last = since(ev["lastTimestamp"], now) if ev.get("lastTimestamp") else first
    count = ev.get("count") or 1
    if ev.get("series"):
        last = since(ev["series"].get("lastObservedTime"), now)
        count = ev["series"].get("count", count)
    inv = ev.get("involvedObject") or {}
    target = (
        f"{inv.get('kind', '').lower()}/{inv['name']}" if inv.get("name") else inv.get("kind", "").lower()
    )
    message = (ev.get("message") or "").strip()
    if not wide:
        return [last, ev.get("type", ""), ev.get("reason", ""), target, message]
    src = ev.get("source") or {}
    component = src.get("component") or ev.get("reportingComponent") or ""
    host = src.get("host") or ev.get("reportingInstance") or ""
    source = f"{component}, {host}" if host else component
    return [
        last,
        ev.get("type", ""),
        ev.get("reason", ""),
        target,
        inv.get("fieldPath", ""),
        source,
        message,
        first,
        str(count),
        ev["metadata"]["name"],
    ]


def _lease_row(lease: dict, now: float, _wide: bool) -> list[str]:
    return [
        lease["metadata"]["name"],
        (lease.get("spec") or {}).get("holderIdentity") or "<unset>",
        _age(lease, now),
    ]


def _serviceaccount_row(sa: dict, now: float, _wide: bool) -> list[str]:
    return [sa["metadata"]["name"], str(len(sa.get("secrets") or [])), _age(sa, now)]


def _secret_row(s: dict, now: float, _wide: bool) -> list[str]:
    return [s["metadata"]["name"], s.get("type", "Opaque"), str(len(s.get("data") or {})), _age(s, now)]


def _configmap_row(cm: dict, now: float, _wide: bool) -> list[str]:
    return [
        cm["metadata"]["name"],
        str(len(cm.get("data") or {}) + len(cm.get("binaryData") or {})),
        _age(cm, now),
    ]


def _access_modes(modes: list[str] | None) -> str:
    short = {
        "ReadWriteOnce": "RWO",
        "ReadOnlyMany": "ROX",
        "ReadWriteMany": "RWX",
        "ReadWriteOncePod": "RWOP",
    }
    seen = []
    for m in ("ReadWriteOnce", "ReadOnlyMany", "ReadWriteMany", "ReadWriteOncePod"):
        if m in (modes or []):
            seen.append(short[m])
    return ",".join(seen)


def _pv_row(pv: dict, now: float, wide: bool) -> list[str]:
    spec, st = pv.get("spec") or {}, pv.get("status") or {}
    ref = spec.get("claimRef") or {}
    claim = f"{ref.get('namespace')}/{ref.get('name')}" if ref.get("name") else ""
    row = [
        pv["metadata"]["name"],
        (spec.get("capacity") or {}).get("storage", ""),
        _access_modes(spec.get("accessModes")),
        spec.get("persistentVolumeReclaimPolicy", ""),
        st.get("phase", ""),
        claim,
        spec.get("storageClassName", ""),
        spec.get("volumeAttributesClassName") or "<unset>",
        st.get("reason", ""),
        _age(pv, now),
    ]
    if wide:
        row.append(spec.get("volumeMode", "Filesystem"))
    return row


def _pvc_row(pvc: dict, now: float, wide: bool) -> list[str]:
    spec, st = pvc.get("spec") or {}, pvc.get("status") or {}
    bound = st.get("phase") == "Bound"
    row = [
        pvc["metadata"]["name"],
        st.get("phase", ""),
        spec.get("volumeName", ""),
        (st.get("capacity") or {}).get("storage", "") if bound else "",
        _access_modes(st.get("accessModes")) if bound else "",
        spec.get("storageClassName", ""),
        spec.get("volumeAttributesClassName") or "<unset>",
        _age(pvc, now),
    ]
    if wide:
        row.append(spec.get("volumeMode", "Filesystem"))
    return row


def _storageclass_row(sc: dict, now: float, _wide: bool) -> list[str]:
    name = sc["metadata"]["name"]
    if (sc["metadata"].get("annotations") or {}).get("storageclass.kubernetes.io/is-default-class") == "true":
        name += " (default)"
    return [
        name,
        sc.get("provisioner", ""),
        sc.get("reclaimPolicy", "Delete"),
        sc.get("volumeBindingMode", "Immediate"),
        str(bool(sc.get("allowVolumeExpansion"))).lower(),
        _age(sc, now),
    ]


_WIDE_EVENTS = [
    "LAST SEEN",
    "TYPE",
    "REASON",
    "OBJECT",
    "SUBOBJECT",
    "SOURCE",
    "MESSAGE",
    "FIRST SEEN",
    "COUNT",
    "NAME",
]


def resource_prefix(rt: ResourceType) -> str:
    """How ``-o name`` and multi-type tables name a kind: ``pod``, ``deployment.apps``."""
    return f"{rt.singular}.{rt.group}" if rt.group else rt.singular


def label_column_header(key: str) -> str:
    """``-L app.kubernetes.io/name`` heads its column ``NAME``: the key's last segment, upper-cased."""
    return key.rsplit("/", 1)[-1].upper()


def _row_function(
    row: Callable[[dict, float, bool], list[str]] | str,
) -> Callable[[dict, float, bool], list[str]]:
    """A kind's row printer: its own function, or one of this module's named by the kind's entry."""
    return globals()[row] if isinstance(row, str) else row


def table_rows(
    rt: ResourceType,
    objs: list[dict],
    now: float,
    *,
    wide: bool = False,
    namespace_column: bool = False,
    show_kind: bool = False,
    show_labels: bool = False,
    headers: bool = True,
    label_columns: Sequence[str] = (),
) -> list[list[str]]:
    """Header and rows of ``kubectl get`` for one resource type (``-L`` label columns after the type's
    own)."""
    printer = rt.printer  # the kind's columns, from its entry in kcourse.sim.kinds
    header = list(printer.columns) if printer else ["NAME", "AGE"]
    row_of = _row_function(printer.row) if printer else (lambda o, n, _w: [o["metadata"]["name"], _age(o, n)])
    if wide:
        header = _WIDE_EVENTS if rt.plural == "events" else header + list(printer.wide if printer else ())
    header += [label_column_header(key) for key in label_columns]
    if show_labels:
        header.append("LABELS")
    if namespace_column:
        header.insert(0, "NAMESPACE")
    rows = [header] if headers else []
    name_index = 0 if rt.plural != "events" else (9 if wide else None)
    for obj in objs:
        row = row_of(obj, now, wide)
        if show_kind and name_index is not None:
            row[name_index] = f"{resource_prefix(rt)}/{row[name_index]}"
        labels = obj["metadata"].get("labels") or {}
        row += [labels.get(key, "") for key in label_columns]
        if show_labels:
            row.append(format_labels(obj["metadata"].get("labels")))
        if namespace_column:
            row.insert(0, obj["metadata"].get("namespace", ""))
        rows.append(row)
    return rows


# --- custom columns ----------------------------------------------------------------------------------


def relaxed_jsonpath(expr: str) -> str:
    """``RelaxedJSONPathExpression``: ``metadata.name``, ``.metadata.name``, ``{metadata.name}`` →
    ``.metadata.name``.

    The path must also parse as client-go's jsonpath does (the custom-columns printer parses every column when
    it is made), so ``.spec[`` is refused with client-go's ``unterminated array`` before anything is listed.
    """
    template = jsonpath.relaxed(expr)
    jsonpath.check(template)
    return template[1:-1]


def custom_columns(spec: str) -> list[tuple[str, str]]:
    """``-o custom-columns=HEADER:path,…`` → ``[(header, path)]``; the header is printed as given."""
    if not spec:
        raise ValueError("custom-columns format specified but no custom columns given")
    columns = []
    for part in spec.split(","):
        header, sep, path = part.partition(":")
        if not sep:
            raise ValueError(f"unexpected custom-columns spec: {part}, expected <header>:<json-path-expr>")
        columns.append((header, relaxed_jsonpath(path) if path else ""))
    return columns


def custom_columns_from_template(text: str) -> list[tuple[str, str]]:
    """``-o custom-columns-file=…``: a line of headers over a line of paths, whitespace separated."""
    lines = text.splitlines()
    if not lines:
        raise ValueError(
            "invalid template, missing header line. Expected format is one line of space separated "
            "headers, one line of space separated column specs."
        )
    if len(lines) < 2:
        raise ValueError(
            "invalid template, missing spec line. Expected format is one line of space separated "
            "headers, one line of space separated column specs."
        )
    headers, specs = lines[0].split(), lines[1].split()
    if len(headers) != len(specs):
        raise ValueError(
            f"number of headers ({len(headers)}) and field specifications ({len(specs)}) don't match"
        )
    return [(h, relaxed_jsonpath(p)) for h, p in zip(headers, specs, strict=True)]


def _go_sprint(value: Any) -> str:
    """``fmt.Sprint`` of a decoded JSON value, as the custom-columns printer writes a cell."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "<nil>"
    if isinstance(value, dict):
        return "map[" + " ".join(f"{k}:{_go_sprint(v)}" for k, v in sorted(value.items())) + "]"
    if isinstance(value, list):
        return "[" + " ".join(_go_sprint(v) for v in value) + "]"
    return str(value)


def custom_column_rows(
    columns: list[tuple[str, str]], objs: list[dict], headers: bool = True
) -> list[list[str]]:
    """The custom-columns table: one header for every object, ``<none>`` where a path finds nothing.

    Values a path finds are joined by commas; a missing key is not an error
    (``AllowMissingKeys``), nor is an index past the end of a list.
    """
    rows = [[h for h, _ in columns]] if headers else []
    for obj in objs:
        row = []
        for _, path in columns:
            try:
                values = jsonpath.evaluate(path.replace("[]", "[*]"), obj) if path else []
            except jsonpath.JSONPathError as e:
                if "out of bounds" not in str(e):
                    raise
                values = []
            row.append(",".join(_go_sprint(v) for v in values) if values else "<none>")
        rows.append(row)
    return rows


# --- YAML and JSON -------------------------------------------------------------------------------------

_YAML11_NON_STRING = re.compile(
    r"""^(?:
    ~|null|Null|NULL|
    y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF|
    [-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+|
    [-+]?(?:[0-9][0-9_]*)?\.[0-9_]*(?:[eE][-+]?[0-9]+)?|[-+]?[0-9][0-9_]*(?:[eE][-+]?[0-9]+)|
    [-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)|
    [0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(?:(?:[Tt]|[ \t]+)[0-9]{1,2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]*)?
        (?:[ \t]*(?:Z|[-+][0-9]{1,2}(?::[0-9]{2})?))?)?|
    <<)$""",
    re.VERBOSE,
)


class _GoYamlDumper(yaml.SafeDumper):
    """Emit YAML as go-yaml v2 does for kubectl: sorted keys, block style, unindented sequences."""


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    if "\n" in value:
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|")
    if value == "" or _YAML11_NON_STRING.match(value):
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style='"')
    return dumper.represent_scalar("tag:yaml.org,2002:str", value)


_GoYamlDumper.add_representer(str, _represent_str)
# A dict or list subclass (the read-only objects of the debug mode in ``kcourse.sim.frozen``) is written as
# a plain one; exact dicts and lists never reach these.
_GoYamlDumper.add_multi_representer(dict, yaml.SafeDumper.represent_dict)
_GoYamlDumper.add_multi_representer(list, yaml.SafeDumper.represent_list)


def to_yaml(obj: Any) -> str:
    """``sigs.k8s.io/yaml.Marshal`` of an object."""
    text = yaml.dump(
        obj, Dumper=_GoYamlDumper, sort_keys=True, default_flow_style=False, allow_unicode=True, width=80
    )
    return text


def to_json(obj: Any) -> str:
    """``json.MarshalIndent(obj, "", "    ")`` plus the newline kubectl adds."""
    text = json.dumps(obj, indent=4, sort_keys=True, ensure_ascii=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026") + "\n"
