"""Validation of objects, with the API server's field paths and messages.

An invalid object is refused with 422 Invalid, listing every problem as
``<field path>: <what is wrong>`` (for example ``spec.containers[0].image:
Required value``), exactly as ``kubectl`` prints them from a real cluster.
Wrong JSON types are a 400 from the decoder, as in the real server.

Modelled: names, labels, the Pod spec (containers, ports, resources,
restart policy, probes' shape), Deployments, ReplicaSets, DaemonSets,
Services, and the fields that may not change on update.  Unknown fields are
ignored (the real server can be told to reject them; kubectl's default warns).
"""

from __future__ import annotations

import re
from typing import Any

from .errors import ApiError, Cause, bad_request, invalid
from .labels import selector_from_spec
from .quantity import millicores, parse_quantity

__all__ = ["check_types", "validate", "validate_update"]

DNS1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
DNS1123_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
DNS1035_LABEL = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")
LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")
CONFIG_KEY = re.compile(r"[-._a-zA-Z0-9]+")
QUALIFIED_NAME = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")

MSG_SUBDOMAIN = ("a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', "
                 "and must start and end with an alphanumeric character (e.g. 'example.com', regex used for "
                 "validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')")
MSG_LABEL = ("a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must "
             "start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for "
             "validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')")
MSG_1035 = ("a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an "
            "alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', "
            "regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')")
MSG_LABEL_VALUE = ("a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or "
                   "'.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  "
                   "or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')")


def go_repr(value: Any) -> str:
    """A value as Go's ``%#v`` would print it in an Invalid value message."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, dict):
        inner = ", ".join(f'"{k}":{go_repr(v)}' for k, v in sorted(value.items()))
        return "map[string]string{" + inner + "}"
    return str(value)


class _Errors(list):
    def required(self, path: str, detail: str = "") -> None:
        self.append(Cause(path, "Required value" + (f": {detail}" if detail else ""), "FieldValueRequired"))

    def invalid(self, path: str, value: Any, detail: str) -> None:
        self.append(Cause(path, f"Invalid value: {go_repr(value)}: {detail}", "FieldValueInvalid"))

    def unsupported(self, path: str, value: Any, supported: list[str]) -> None:
        listed = ", ".join(f'"{s}"' for s in supported)
        self.append(Cause(path, f"Unsupported value: {go_repr(value)}: supported values: {listed}",
                          "FieldValueNotSupported"))

    def duplicate(self, path: str, value: Any) -> None:
        self.append(Cause(path, f"Duplicate value: {go_repr(value)}", "FieldValueDuplicate"))

    def forbidden(self, path: str, detail: str) -> None:
        self.append(Cause(path, f"Forbidden: {detail}", "FieldValueForbidden"))


# --- types: the decoder's 400 -------------------------------------------------------------------

_INT = ("int32", int)
_STR = ("string", str)
_BOOL = ("bool", bool)
_MAP = ("map", dict)
_LIST = ("slice", list)
TYPES: dict[str, tuple[str, type]] = {
    "metadata": ("ObjectMeta", dict), "metadata.name": _STR, "metadata.namespace": _STR,
    "metadata.generateName": _STR, "metadata.labels": _MAP, "metadata.annotations": _MAP,
    "spec": ("Spec", dict), "status": ("Status", dict),
    "spec.replicas": _INT, "spec.minReadySeconds": _INT, "spec.revisionHistoryLimit": _INT,
    "spec.progressDeadlineSeconds": _INT, "spec.paused": _BOOL, "spec.selector": _MAP,
    "spec.template": _MAP, "spec.template.spec": _MAP, "spec.template.metadata": _MAP,
    "spec.containers": _LIST, "spec.template.spec.containers": _LIST, "spec.nodeName": _STR,
    "spec.nodeSelector": _MAP, "spec.tolerations": _LIST, "spec.ports": _LIST, "spec.type": _STR,
    "spec.clusterIP": _STR, "spec.unschedulable": _BOOL, "spec.taints": _LIST,
    "spec.terminationGracePeriodSeconds": ("int64", int), "spec.restartPolicy": _STR,
    "data": _MAP,
}
_GO_STRUCT = {"spec.replicas": "DeploymentSpec.spec.replicas"}


def _type_name(v: Any) -> str:
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, (int, float)):
        return "number"
    if isinstance(v, str):
        return "string"
    if isinstance(v, list):
        return "array"
    if isinstance(v, dict):
        return "object"
    return "null"


def check_types(obj: dict) -> None:
    """Refuse values of the wrong JSON type with the decoder's 400, as the real API server does."""
    if not isinstance(obj, dict):
        raise bad_request(f"Object 'Kind' is missing in '{obj!r:.80}'")
    kind = obj.get("kind", "")
    for path, (goname, pytype) in TYPES.items():
        cur: Any = obj
        for part in path.split("."):
            if not isinstance(cur, dict) or part not in cur:
                cur = _MISSING
                break
            cur = cur[part]
        if cur is _MISSING or cur is None:
            continue
        ok = isinstance(cur, pytype) and not (pytype is int and isinstance(cur, bool))
        if pytype is int and isinstance(cur, float) and cur.is_integer():
            ok = True
        if ok and pytype is int and not -2 ** (int(goname[3:]) - 1) <= cur < 2 ** (int(goname[3:]) - 1):
            ok = False  # Go's decoder refuses a number that does not fit the field
        if not ok:
            field = _GO_STRUCT.get(path, f"{kind}.{path}") if kind == "Deployment" else f"{kind}.{path}"
            raise bad_request(f"{kind} in version \"v1\" cannot be handled as a {kind}: json: cannot unmarshal "
                              f"{_type_name(cur)} into Go struct field {field} of type {goname}")
    for path in ("spec.containers", "spec.template.spec.containers", "spec.initContainers",
                 "spec.template.spec.initContainers"):
        cur = obj
        for part in path.split("."):
            cur = cur.get(part) if isinstance(cur, dict) else None
        for c in cur if isinstance(cur, list) else ():
            if not isinstance(c, dict):
                raise bad_request(f"{kind} in version \"v1\" cannot be handled as a {kind}: json: cannot "
                                  f"unmarshal {_type_name(c)} into Go struct field PodSpec.{path} of type "
                                  "v1.Container")
            for field in ("name", "image"):
                if c.get(field) is not None and not isinstance(c[field], str):
                    raise bad_request(f"{kind} in version \"v1\" cannot be handled as a {kind}: json: cannot "
                                      f"unmarshal {_type_name(c[field])} into Go struct field Container.{path}."
                                      f"{field} of type string")
            for field in ("command", "args"):
                if c.get(field) is not None and not (isinstance(c[field], list)
                                                     and all(isinstance(a, str) for a in c[field])):
                    raise bad_request(f"{kind} in version \"v1\" cannot be handled as a {kind}: json: cannot "
                                      f"unmarshal {_type_name(c[field])} into Go struct field Container.{path}."
                                      f"{field} of type []string")
            for env in c.get("env") or []:
                value = env.get("value") if isinstance(env, dict) else env
                if value is not None and not isinstance(value, str):
                    raise bad_request(f"{kind} in version \"v1\" cannot be handled as a {kind}: json: cannot "
                                      f"unmarshal {_type_name(value)} into Go struct field EnvVar.{path}.env.value "
                                      "of type string")
    for path in ("metadata.labels", "metadata.annotations", "spec.selector.matchLabels", "spec.nodeSelector",
                 "data"):
        cur = obj
        for part in path.split("."):
            cur = cur.get(part) if isinstance(cur, dict) else None
        if isinstance(cur, dict):
            for v in cur.values():
                if not isinstance(v, str):
                    raise bad_request(f"{kind} in version \"v1\" cannot be handled as a {kind}: json: cannot "
                                      f"unmarshal {_type_name(v)} into Go struct field {kind}.{path} of type string")


_MISSING = object()


# --- metadata ------------------------------------------------------------------------------------

def _validate_name(errs: _Errors, name: Any, path: str, pattern: re.Pattern = DNS1123_SUBDOMAIN,
                   message: str = MSG_SUBDOMAIN, max_len: int = 253) -> None:
    if not name:
        errs.required(path, "name or generateName is required")
        return
    if len(name) > max_len:
        errs.invalid(path, name, f"must be no more than {max_len} characters")
    elif not pattern.match(name):
        errs.invalid(path, name, message)


def _validate_labels(errs: _Errors, labels: dict | None, path: str) -> None:
    for key, value in sorted((labels or {}).items()):
        name = key.rsplit("/", 1)[-1]
        prefix = key[: -len(name) - 1] if "/" in key else ""
        if not name or len(name) > 63 or not QUALIFIED_NAME.match(name) or (
                prefix and not DNS1123_SUBDOMAIN.match(prefix)):
            errs.invalid(path, key, "name part must consist of alphanumeric characters, '-', '_' or '.', and must "
                         "start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or "
                         "'123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')")
        if len(value) > 63:
            errs.invalid(path, value, "must be no more than 63 characters")
        elif not LABEL_VALUE.match(value):
            errs.invalid(path, value, MSG_LABEL_VALUE)


def _validate_meta(errs: _Errors, obj: dict, rt_kind: str) -> None:
    meta = obj.get("metadata") or {}
    name = meta.get("name")
    if rt_kind in ("Namespace", "Service"):
        pattern, message, max_len = (DNS1123_LABEL, MSG_LABEL, 63) if rt_kind == "Namespace" else (
            DNS1035_LABEL, MSG_1035, 63)
        _validate_name(errs, name, "metadata.name", pattern, message, max_len)
    else:
        _validate_name(errs, name, "metadata.name")
    _validate_labels(errs, meta.get("labels"), "metadata.labels")


# --- pods ------------------------------------------------------------------------------------------

def _validate_port(errs: _Errors, port: Any, path: str) -> None:
    if not isinstance(port, int) or not 1 <= port <= 65535:
        errs.invalid(path, port, "must be between 1 and 65535, inclusive")


def _validate_resources(errs: _Errors, res: dict, path: str) -> None:
    parsed: dict[str, dict[str, int]] = {}
    for section in ("limits", "requests"):
        for name, value in sorted((res.get(section) or {}).items()):
            try:
                amount = millicores(value) if name == "cpu" else int(parse_quantity(value))
            except ValueError as e:
                errs.invalid(f"{path}.{section}[{name}]", value, str(e))
                continue
            if amount < 0:
                errs.invalid(f"{path}.{section}[{name}]", value, "must be greater than or equal to 0")
            parsed.setdefault(section, {})[name] = amount
    for name, req in sorted(parsed.get("requests", {}).items()):
        lim = parsed.get("limits", {}).get(name)
        if lim is not None and req > lim:
            limit_text = res["limits"][name]
            errs.invalid(f"{path}.requests", res["requests"][name],
                         f"must be less than or equal to {name} limit of {limit_text}")


def _validate_probe(errs: _Errors, probe: Any, path: str) -> None:
    if probe is None:
        return
    handlers = [h for h in ("exec", "httpGet", "tcpSocket", "grpc") if h in probe]
    if not handlers:
        errs.required(path, "must specify a handler type")
    elif len(handlers) > 1:
        errs.forbidden(f"{path}.{handlers[1]}", "may not specify more than 1 handler type")
    for f in ("periodSeconds", "timeoutSeconds", "failureThreshold", "successThreshold"):
        if f in probe and (not isinstance(probe[f], int) or probe[f] < 1):
            errs.invalid(f"{path}.{f}", probe[f], "must be greater than or equal to 1")


def _validate_containers(errs: _Errors, containers: Any, path: str) -> None:
    if not containers:
        errs.required(path)
        return
    names: set[str] = set()
    for i, c in enumerate(containers):
        p = f"{path}[{i}]"
        if not isinstance(c, dict):
            errs.invalid(p, c, "must be an object")
            continue
        name = c.get("name")
        if not name:
            errs.required(f"{p}.name")
        elif not DNS1123_LABEL.match(str(name)) or len(str(name)) > 63:
            errs.invalid(f"{p}.name", name, MSG_LABEL)
        elif name in names:
            errs.duplicate(f"{p}.name", name)
        else:
            names.add(name)
        if not c.get("image"):
            errs.required(f"{p}.image")
        port_names: set[str] = set()
        for j, port in enumerate(c.get("ports") or []):
            pp = f"{p}.ports[{j}]"
            if "containerPort" not in port:
                errs.required(f"{pp}.containerPort")
            else:
                _validate_port(errs, port["containerPort"], f"{pp}.containerPort")
            if port.get("hostPort"):
                _validate_port(errs, port["hostPort"], f"{pp}.hostPort")
            proto = port.get("protocol", "TCP")
            if proto not in ("TCP", "UDP", "SCTP"):
                errs.unsupported(f"{pp}.protocol", proto, ["SCTP", "TCP", "UDP"])
            if port.get("name"):
                if port["name"] in port_names:
                    errs.duplicate(f"{pp}.name", port["name"])
                port_names.add(port["name"])
        _validate_resources(errs, c.get("resources") or {}, f"{p}.resources")
        for probe in ("livenessProbe", "readinessProbe", "startupProbe"):
            _validate_probe(errs, c.get(probe), f"{p}.{probe}")
        policy = c.get("imagePullPolicy")
        if policy is not None and policy not in ("Always", "IfNotPresent", "Never"):
            errs.unsupported(f"{p}.imagePullPolicy", policy, ["Always", "IfNotPresent", "Never"])


def _validate_pod_spec(errs: _Errors, spec: Any, path: str, restart_policies: tuple[str, ...] = (
        "Always", "OnFailure", "Never")) -> None:
    if not isinstance(spec, dict):
        errs.required(path)
        return
    _validate_containers(errs, spec.get("containers"), f"{path}.containers")
    if spec.get("initContainers"):
        _validate_containers(errs, spec["initContainers"], f"{path}.initContainers")
    policy = spec.get("restartPolicy", "Always")
    if policy not in restart_policies:
        errs.unsupported(f"{path}.restartPolicy", policy, list(restart_policies))
    grace = spec.get("terminationGracePeriodSeconds")
    if grace is not None and grace < 0:
        errs.invalid(f"{path}.terminationGracePeriodSeconds", grace, "must be greater than or equal to 0")
    for i, t in enumerate(spec.get("tolerations") or []):
        op = t.get("operator", "Equal")
        if op not in ("Equal", "Exists"):
            errs.unsupported(f"{path}.tolerations[{i}].operator", op, ["Equal", "Exists"])
        if t.get("effect") not in (None, "", "NoSchedule", "PreferNoSchedule", "NoExecute"):
            errs.unsupported(f"{path}.tolerations[{i}].effect", t.get("effect"),
                             ["NoExecute", "NoSchedule", "PreferNoSchedule"])
    _validate_labels(errs, spec.get("nodeSelector"), f"{path}.nodeSelector")


# --- workloads and services ------------------------------------------------------------------------

def _validate_workload(errs: _Errors, obj: dict, kind: str) -> None:
    spec = obj.get("spec")
    if not isinstance(spec, dict):
        errs.required("spec")
        return
    replicas = spec.get("replicas")
    if replicas is not None and replicas < 0:
        errs.invalid("spec.replicas", replicas, "must be greater than or equal to 0")
    selector = spec.get("selector")
    template = spec.get("template") or {}
    tlabels = (template.get("metadata") or {}).get("labels") or {}
    if not selector or not (selector.get("matchLabels") or selector.get("matchExpressions")):
        errs.required("spec.selector")
    else:
        if not selector_from_spec(selector).matches(tlabels):
            errs.invalid("spec.template.metadata.labels", tlabels, "`selector` does not match template `labels`")
    _validate_labels(errs, tlabels, "spec.template.metadata.labels")
    policies = ("Always",)
    _validate_pod_spec(errs, template.get("spec"), "spec.template.spec", policies)
    if kind == "Deployment":
        strategy = spec.get("strategy") or {}
        stype = strategy.get("type", "RollingUpdate")
        if stype not in ("RollingUpdate", "Recreate"):
            errs.unsupported("spec.strategy.type", stype, ["Recreate", "RollingUpdate"])
        ru = strategy.get("rollingUpdate") or {}
        if stype == "Recreate" and strategy.get("rollingUpdate"):
            errs.forbidden("spec.strategy.rollingUpdate", "may not be specified when strategy `type` is 'Recreate'")
        surge, unavailable = ru.get("maxSurge", "25%"), ru.get("maxUnavailable", "25%")
        if surge in (0, "0", "0%") and unavailable in (0, "0", "0%"):
            errs.invalid("spec.strategy.rollingUpdate.maxUnavailable", unavailable,
                         "may not be 0 when `maxSurge` is 0")


def _validate_service(errs: _Errors, obj: dict) -> None:
    spec = obj.get("spec") or {}
    stype = spec.get("type", "ClusterIP")
    if stype not in ("ClusterIP", "NodePort", "LoadBalancer", "ExternalName"):
        errs.unsupported("spec.type", stype, ["ClusterIP", "ExternalName", "LoadBalancer", "NodePort"])
    ports = spec.get("ports") or []
    if not ports and stype != "ExternalName" and spec.get("clusterIP") != "None":
        errs.required("spec.ports")
    names: set[str] = set()
    for i, port in enumerate(ports):
        p = f"spec.ports[{i}]"
        if len(ports) > 1 and not port.get("name"):
            errs.required(f"{p}.name")
        if port.get("name"):
            if port["name"] in names:
                errs.duplicate(f"{p}.name", port["name"])
            names.add(port["name"])
        if "port" not in port:
            errs.required(f"{p}.port")
        else:
            _validate_port(errs, port["port"], f"{p}.port")
        proto = port.get("protocol", "TCP")
        if proto not in ("TCP", "UDP", "SCTP"):
            errs.unsupported(f"{p}.protocol", proto, ["SCTP", "TCP", "UDP"])
        target = port.get("targetPort")
        if isinstance(target, int):
            _validate_port(errs, target, f"{p}.targetPort")
        node_port = port.get("nodePort")
        if node_port:
            if stype == "ClusterIP":
                errs.forbidden(f"{p}.nodePort", "may not be used when `type` is 'ClusterIP'")
            elif not 30000 <= node_port <= 32767:
                errs.invalid(f"{p}.nodePort", node_port, "provided port is not in the valid range. The range of "
                             "valid ports is 30000-32767")


def validate(obj: dict) -> None:
    """Raise 422 Invalid listing every problem with a new object."""
    kind = obj.get("kind", "")
    errs = _Errors()
    _validate_meta(errs, obj, kind)
    if kind == "Pod":
        _validate_pod_spec(errs, obj.get("spec"), "spec")
    elif kind in ("Deployment", "ReplicaSet", "DaemonSet"):
        _validate_workload(errs, obj, kind)
    elif kind == "Service":
        _validate_service(errs, obj)
    elif kind in ("ConfigMap", "Secret"):
        for key in sorted(obj.get("data") or {}):
            if len(key) > 253 or not CONFIG_KEY.fullmatch(key):
                errs.invalid(f"data[{key}]", key, "a valid config key must consist of alphanumeric characters, "
                             "'-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for "
                             "validation is '[-._a-zA-Z0-9]+')")
    if errs:
        raise _invalid(obj, errs)


def _invalid(obj: dict, errs: list[Cause]) -> ApiError:
    meta = obj.get("metadata") or {}
    name = meta.get("name") or meta.get("generateName") or ""
    group = obj.get("apiVersion", "").split("/")[0] if "/" in obj.get("apiVersion", "") else ""
    return invalid(obj.get("kind", ""), name, errs, group)


def validate_update(new: dict, old: dict) -> None:
    """Refuse changes to fields the API server keeps immutable."""
    kind = new.get("kind", "")
    errs = _Errors()
    if kind == "Pod":
        def strip(spec: dict) -> dict:
            spec = dict(spec)
            spec["containers"] = [{k: v for k, v in c.items() if k != "image"} for c in spec.get("containers", [])]
            spec.pop("activeDeadlineSeconds", None)
            spec.pop("tolerations", None)
            return spec
        if strip(new.get("spec") or {}) != strip(old.get("spec") or {}):
            errs.forbidden("spec", "pod updates may not change fields other than `spec.containers[*].image`,"
                           "`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` "
                           "(only additions to existing tolerations),`spec.terminationGracePeriodSeconds` "
                           "(allow it to be set to 1 if it was previously negative)")
    elif kind in ("Deployment", "ReplicaSet", "DaemonSet"):
        if (new.get("spec") or {}).get("selector") != (old.get("spec") or {}).get("selector"):
            sel = (new.get("spec") or {}).get("selector") or {}
            errs.invalid("spec.selector", f"v1.LabelSelector{{MatchLabels:{go_repr(sel.get('matchLabels') or {})}}}",
                         "field is immutable")
    elif kind == "Service":
        old_ip = (old.get("spec") or {}).get("clusterIP")
        new_ip = (new.get("spec") or {}).get("clusterIP")
        if new_ip and new_ip != old_ip:
            errs.invalid("spec.clusterIPs[0]", [new_ip], "may not change once set")
    if errs:
        raise _invalid(new, errs)
