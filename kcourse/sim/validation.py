"""Validation of objects, with the API server's field paths and messages.

An invalid object is refused with 422 Invalid, listing every problem as
``<field path>: <what is wrong>`` (for example ``spec.containers[0].image:
Required value``), exactly as ``kubectl`` prints them from a real cluster.
Wrong JSON types are a 400 from the decoder, as in the real server.

Validation runs on what the decoder (:mod:`.serializer`) let through, so
every field already has its Go type: a string where a string belongs, an
``int32`` in range, an IntOrString that is an int or a string.  What is
left is what the real ``validation.go`` files check: names, labels, the Pod
spec (containers, ports, resources, restart policy, probes' shape), label
selectors, Deployments (rolling-update ``maxSurge``/``maxUnavailable`` as
``apps/validation``'s ``ValidatePositiveIntOrPercent``), ReplicaSets,
DaemonSets (update strategy), Services, and the fields that may not change
on update.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from .errors import ApiError, Cause, invalid
from .labels import selector_from_spec
from .quantity import millicores, parse_quantity

if TYPE_CHECKING:
    from .kinds import Kind

__all__ = [
    "ErrorList",
    "go_repr",
    "label_value_errors",
    "qualified_name_errors",
    "validate",
    "validate_config_data",
    "validate_daemonset",
    "validate_deployment",
    "validate_label_selector",
    "validate_labels",
    "validate_pod",
    "validate_pod_spec",
    "validate_pod_update",
    "validate_replicaset",
    "validate_selector_update",
    "validate_service",
    "validate_service_update",
    "validate_update",
]

DNS1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
DNS1123_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
DNS1035_LABEL = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")
LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")
CONFIG_KEY = re.compile(r"[-._a-zA-Z0-9]+")
QUALIFIED_NAME = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")

MSG_SUBDOMAIN = (
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', "
    "and must start and end with an alphanumeric character (e.g. 'example.com', regex used for "
    "validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
)
MSG_LABEL = (
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must "
    "start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for "
    "validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
)
MSG_1035 = (
    "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an "
    "alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', "
    "regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')"
)
MSG_LABEL_VALUE = (
    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or "
    "'.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  "
    "or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"
)


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


class ErrorList(list):
    """apimachinery's ``field.ErrorList``: every problem found, each with its field path."""

    def required(self, path: str, detail: str = "") -> None:
        self.append(Cause(path, "Required value" + (f": {detail}" if detail else ""), "FieldValueRequired"))

    def invalid(self, path: str, value: Any, detail: str) -> None:
        self.append(Cause(path, f"Invalid value: {go_repr(value)}: {detail}", "FieldValueInvalid"))

    def unsupported(self, path: str, value: Any, supported: list[str]) -> None:
        listed = ", ".join(f'"{s}"' for s in supported)
        self.append(
            Cause(
                path,
                f"Unsupported value: {go_repr(value)}: supported values: {listed}",
                "FieldValueNotSupported",
            )
        )

    def duplicate(self, path: str, value: Any) -> None:
        self.append(Cause(path, f"Duplicate value: {go_repr(value)}", "FieldValueDuplicate"))

    def forbidden(self, path: str, detail: str) -> None:
        self.append(Cause(path, f"Forbidden: {detail}", "FieldValueForbidden"))


# --- metadata ------------------------------------------------------------------------------------


def _validate_name(
    errs: ErrorList,
    name: Any,
    path: str,
    pattern: re.Pattern = DNS1123_SUBDOMAIN,
    message: str = MSG_SUBDOMAIN,
    max_len: int = 253,
) -> None:
    if not name:
        errs.required(path, "name or generateName is required")
        return
    if len(name) > max_len:
        errs.invalid(path, name, f"must be no more than {max_len} characters")
    elif not pattern.match(name):
        errs.invalid(path, name, message)


MSG_QUALIFIED_NAME = (
    "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an "
    "alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is "
    "'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"
)
#: ``TotalAnnotationSizeLimitB``: keys and values of an object's annotations together.
TOTAL_ANNOTATION_SIZE_LIMIT = 256 * 1024


def qualified_name_errors(value: str) -> list[str]:
    """``validation.IsQualifiedName`` (k8s.io/apimachinery/pkg/util/validation): an optional DNS subdomain
    prefix and ``/``, then a name of at most 63 characters."""
    errs = []
    parts = value.split("/")
    if len(parts) > 2:
        whole = f"a qualified name {MSG_QUALIFIED_NAME} with an optional DNS subdomain prefix and '/'"
        return [whole + " (e.g. 'example.com/MyName')"]
    name = parts[-1]
    if len(parts) == 2:
        prefix = parts[0]
        if not prefix:
            errs.append("prefix part must be non-empty")
        else:
            if len(prefix) > 253:
                errs.append("prefix part must be no more than 253 characters")
            if not DNS1123_SUBDOMAIN.match(prefix):
                errs.append("prefix part " + MSG_SUBDOMAIN)
    if not name:
        errs.append("name part must be non-empty")
    elif len(name) > 63:
        errs.append("name part must be no more than 63 characters")
    if not QUALIFIED_NAME.match(name):
        errs.append("name part " + MSG_QUALIFIED_NAME)
    return errs


def label_value_errors(value: str) -> list[str]:
    """``validation.IsValidLabelValue``: at most 63 characters, alphanumerics with ``-``, ``_`` and ``.``
    inside."""
    errs = ["must be no more than 63 characters"] if len(value) > 63 else []
    if not LABEL_VALUE.match(value):
        errs.append(MSG_LABEL_VALUE)
    return errs


def _validate_labels(errs: ErrorList, labels: dict | None, path: str) -> None:
    """``ValidateLabels``: each key a qualified name, each value a label value."""
    for key, value in sorted((labels or {}).items()):
        for msg in qualified_name_errors(key):
            errs.invalid(path, key, msg)
        for msg in label_value_errors(value):
            errs.invalid(path, value, msg)


def _validate_annotations(errs: ErrorList, annotations: dict | None, path: str) -> None:
    """``ValidateAnnotations`` (k8s.io/apimachinery/pkg/api/validation/objectmeta.go): keys are qualified
    names with case ignored, and all of them with their values fit in 256 KiB."""
    for key in sorted(annotations or {}):
        for msg in qualified_name_errors(key.lower()):
            errs.invalid(path, key, msg)
    size = sum(len(k.encode()) + len(v.encode()) for k, v in (annotations or {}).items())
    if size > TOTAL_ANNOTATION_SIZE_LIMIT:
        errs.append(
            Cause(
                path,
                f"Too long: may not be more than {TOTAL_ANNOTATION_SIZE_LIMIT} bytes",
                "FieldValueTooLong",
            )
        )


_NAME_FORMATS = {
    "subdomain": (DNS1123_SUBDOMAIN, MSG_SUBDOMAIN, 253),
    "label": (DNS1123_LABEL, MSG_LABEL, 63),
    "dns1035": (DNS1035_LABEL, MSG_1035, 63),
}


def _validate_meta(errs: ErrorList, obj: dict, kind: Kind) -> None:
    meta = obj.get("metadata") or {}
    pattern, message, max_len = _NAME_FORMATS[kind.name_format]
    _validate_name(errs, meta.get("name"), "metadata.name", pattern, message, max_len)
    _validate_labels(errs, meta.get("labels"), "metadata.labels")
    _validate_annotations(errs, meta.get("annotations"), "metadata.annotations")


# --- pods ------------------------------------------------------------------------------------------


def _validate_port(errs: ErrorList, port: Any, path: str) -> None:
    if not isinstance(port, int) or not 1 <= port <= 65535:
        errs.invalid(path, port, "must be between 1 and 65535, inclusive")


def _validate_resources(errs: ErrorList, res: dict, path: str) -> None:
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
            errs.invalid(
                f"{path}.requests",
                res["requests"][name],
                f"must be less than or equal to {name} limit of {limit_text}",
            )


def _validate_probe(errs: ErrorList, probe: Any, path: str) -> None:
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


#: validation.IsRelaxedEnvVarName's message (RelaxedEnvironmentVariableValidation, beta and on in v1.32).
MSG_ENV_NAME = (
    "a valid environment variable name must consist only of printable ASCII characters other than '='"
)


def _validate_env(errs: ErrorList, env: Any, path: str) -> None:
    """ValidateEnv: every variable has a name of printable ASCII without '=' (the relaxed rule of v1.32)."""
    for i, var in enumerate(env):
        if not isinstance(var, dict):
            continue  # the typed decoder refused a non-object already
        name = var.get("name") or ""
        if not name:
            errs.required(f"{path}[{i}].name")
        elif any(not (32 <= ord(ch) <= 126) or ch == "=" for ch in name):
            errs.invalid(f"{path}[{i}].name", name, MSG_ENV_NAME)


def _validate_containers(errs: ErrorList, containers: Any, path: str) -> None:
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
        _validate_env(errs, c.get("env") or [], f"{p}.env")
        _validate_resources(errs, c.get("resources") or {}, f"{p}.resources")
        for probe in ("livenessProbe", "readinessProbe", "startupProbe"):
            _validate_probe(errs, c.get(probe), f"{p}.{probe}")
        policy = c.get("imagePullPolicy")
        if policy is not None and policy not in ("Always", "IfNotPresent", "Never"):
            errs.unsupported(f"{p}.imagePullPolicy", policy, ["Always", "IfNotPresent", "Never"])


def _validate_pod_spec(
    errs: ErrorList,
    spec: Any,
    path: str,
    restart_policies: tuple[str, ...] = ("Always", "OnFailure", "Never"),
) -> None:
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
            errs.unsupported(
                f"{path}.tolerations[{i}].effect",
                t.get("effect"),
                ["NoExecute", "NoSchedule", "PreferNoSchedule"],
            )
    _validate_labels(errs, spec.get("nodeSelector"), f"{path}.nodeSelector")


# --- label selectors and int-or-percent fields ----------------------------------------------------

SELECTOR_OPERATORS = ("In", "NotIn", "Exists", "DoesNotExist")
PERCENT = re.compile(r"^[0-9]+%$")
MSG_PERCENT = (
    "a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', "
    "regex used for validation is '[0-9]+%')"
)


def _validate_selector(errs: ErrorList, selector: dict, path: str) -> bool:
    """metav1 ``ValidateLabelSelector``; True when the selector can be evaluated."""
    before = len(errs)
    _validate_labels(errs, selector.get("matchLabels"), f"{path}.matchLabels")
    for i, req in enumerate(selector.get("matchExpressions") or []):
        p = f"{path}.matchExpressions[{i}]"
        op, values = req.get("operator", ""), req.get("values") or []
        if op in ("In", "NotIn"):
            if not values:
                errs.required(f"{p}.values", "must be specified when `operator` is 'In' or 'NotIn'")
        elif op in ("Exists", "DoesNotExist"):
            if values:
                errs.forbidden(
                    f"{p}.values", "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"
                )
        else:
            errs.invalid(f"{p}.operator", op, "not a valid selector operator")
        key = req.get("key", "")
        if not key:
            errs.invalid(f"{p}.key", key, "name part must be non-empty")
        else:
            _validate_labels(errs, {key: ""}, f"{p}.key")
    return len(errs) == before


def intstr_repr(value: int | str) -> str:
    """An IntOrString as validation prints it: Go's ``%#v`` of the struct (``Type:1`` is a string)."""
    if isinstance(value, str):
        return f"intstr.IntOrString{{Type:1, IntVal:0, StrVal:{go_repr(value)}}}"
    return f'intstr.IntOrString{{Type:0, IntVal:{value}, StrVal:""}}'


def _intstr_value(value: int | str) -> int:
    """apps/validation ``getIntOrPercentValue``: the percent's number, an int, or Atoi of a string (0 if
    not)."""
    if isinstance(value, str):
        if PERCENT.match(value):
            return int(value[:-1])
        return int(value) if re.fullmatch(r"[+-]?[0-9]{1,18}", value) else 0
    return value


def _validate_int_or_percent(errs: ErrorList, value: int | str | None, path: str) -> None:
    """apps/validation ``ValidatePositiveIntOrPercent``."""
    if isinstance(value, str):
        if not PERCENT.match(value):
            errs.append(
                Cause(path, f"Invalid value: {intstr_repr(value)}: {MSG_PERCENT}", "FieldValueInvalid")
            )
    elif isinstance(value, int) and value < 0:
        errs.invalid(path, value, "must be greater than or equal to 0")


def _validate_not_over_100(errs: ErrorList, value: int | str | None, path: str) -> None:
    if isinstance(value, str) and PERCENT.match(value) and int(value[:-1]) > 100:
        errs.append(
            Cause(
                path,
                f"Invalid value: {intstr_repr(value)}: must not be greater than 100%",
                "FieldValueInvalid",
            )
        )


# --- workloads and services ------------------------------------------------------------------------


def _validate_workload(errs: ErrorList, obj: dict, kind: str) -> None:
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
    elif _validate_selector(errs, selector, "spec.selector") and not selector_from_spec(selector).matches(
        tlabels
    ):
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
            errs.forbidden(
                "spec.strategy.rollingUpdate", "may not be specified when strategy `type` is 'Recreate'"
            )
        if stype == "RollingUpdate":
            path = "spec.strategy.rollingUpdate"
            surge, unavailable = ru.get("maxSurge", "25%"), ru.get("maxUnavailable", "25%")
            _validate_int_or_percent(errs, unavailable, f"{path}.maxUnavailable")
            _validate_int_or_percent(errs, surge, f"{path}.maxSurge")
            if _intstr_value(unavailable) == 0 and _intstr_value(surge) == 0:
                errs.append(
                    Cause(
                        f"{path}.maxUnavailable",
                        f"Invalid value: {intstr_repr(unavailable)}: may not be 0 when `maxSurge` is 0",
                        "FieldValueInvalid",
                    )
                )
            _validate_not_over_100(errs, unavailable, f"{path}.maxUnavailable")
    elif kind == "DaemonSet":
        _validate_daemonset_strategy(errs, spec.get("updateStrategy") or {})


def _validate_daemonset_strategy(errs: ErrorList, strategy: dict) -> None:
    """apps/validation ``ValidateDaemonSetUpdateStrategy`` and ``ValidateRollingUpdateDaemonSet``."""
    stype = strategy.get("type", "")
    if stype == "OnDelete":
        return
    if stype != "RollingUpdate":
        errs.append(
            Cause(
                "spec.updateStrategy",
                f"Unsupported value: apps.DaemonSetUpdateStrategy{{Type:{go_repr(stype)}"
                ', RollingUpdate:(*apps.RollingUpdateDaemonSet)(nil)}: supported values: "RollingUpdate", '
                '"OnDelete"',
                "FieldValueNotSupported",
            )
        )
        return
    ru = strategy.get("rollingUpdate")
    path = "spec.updateStrategy.rollingUpdate"
    if ru is None:
        errs.required(path)
        return
    unavailable, surge = ru.get("maxUnavailable", 0), ru.get("maxSurge", 0)
    _validate_int_or_percent(errs, unavailable, f"{path}.maxUnavailable")
    _validate_int_or_percent(errs, surge, f"{path}.maxSurge")
    _validate_not_over_100(errs, unavailable, f"{path}.maxUnavailable")
    _validate_not_over_100(errs, surge, f"{path}.maxSurge")
    has_unavailable, has_surge = _intstr_value(unavailable) != 0, _intstr_value(surge) != 0
    if has_unavailable and has_surge:
        errs.append(
            Cause(
                f"{path}.maxSurge",
                f"Invalid value: {intstr_repr(surge)}: may not be set when maxUnavailable is non-zero",
                "FieldValueInvalid",
            )
        )
    elif not has_unavailable and not has_surge:
        errs.required(f"{path}.maxUnavailable", "cannot be 0 when maxSurge is 0")


def _validate_service(errs: ErrorList, obj: dict) -> None:
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
                errs.invalid(
                    f"{p}.nodePort",
                    node_port,
                    "provided port is not in the valid range. The range of valid ports is 30000-32767",
                )


def validate_pod(errs: ErrorList, obj: dict) -> None:
    _validate_pod_spec(errs, obj.get("spec"), "spec")


def validate_deployment(errs: ErrorList, obj: dict) -> None:
    _validate_workload(errs, obj, "Deployment")


def validate_replicaset(errs: ErrorList, obj: dict) -> None:
    _validate_workload(errs, obj, "ReplicaSet")


def validate_daemonset(errs: ErrorList, obj: dict) -> None:
    _validate_workload(errs, obj, "DaemonSet")


def validate_service(errs: ErrorList, obj: dict) -> None:
    _validate_service(errs, obj)


def validate_config_data(errs: ErrorList, obj: dict) -> None:
    """The keys of a ConfigMap's or a Secret's ``data``."""
    for key in sorted(obj.get("data") or {}):
        if len(key) > 253 or not CONFIG_KEY.fullmatch(key):
            errs.invalid(
                f"data[{key}]",
                key,
                "a valid config key must consist of alphanumeric characters, "
                "'-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for "
                "validation is '[-._a-zA-Z0-9]+')",
            )


#: The checks other kinds' validation (kcourse.sim.kinds) builds on, by upstream's names.
validate_pod_spec = _validate_pod_spec
validate_labels = _validate_labels
validate_label_selector = _validate_selector


def validate(obj: dict, kind: Kind) -> None:
    """Raise 422 Invalid listing every problem with a new object (its metadata, then the kind's own
    checks)."""
    errs = ErrorList()
    _validate_meta(errs, obj, kind)
    if kind.validate is not None:
        kind.validate(errs, obj)
    if errs:
        raise _invalid(obj, errs)


def _invalid(obj: dict, errs: list[Cause]) -> ApiError:
    meta = obj.get("metadata") or {}
    name = meta.get("name") or meta.get("generateName") or ""
    group = obj.get("apiVersion", "").split("/")[0] if "/" in obj.get("apiVersion", "") else ""
    return invalid(obj.get("kind", ""), name, errs, group)


def validate_pod_update(errs: ErrorList, new: dict, old: dict) -> None:
    def strip(spec: dict) -> dict:
        spec = dict(spec)
        spec["containers"] = [
            {k: v for k, v in c.items() if k != "image"} for c in spec.get("containers", [])
        ]
        spec.pop("activeDeadlineSeconds", None)
        spec.pop("tolerations", None)
        return spec

    if strip(new.get("spec") or {}) != strip(old.get("spec") or {}):
        errs.forbidden(
            "spec",
            "pod updates may not change fields other than `spec.containers[*].image`,"
            "`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` "
            "(only additions to existing tolerations),`spec.terminationGracePeriodSeconds` "
            "(allow it to be set to 1 if it was previously negative)",
        )


def validate_selector_update(errs: ErrorList, new: dict, old: dict) -> None:
    """A workload's ``spec.selector`` is immutable in apps/v1."""
    if (new.get("spec") or {}).get("selector") != (old.get("spec") or {}).get("selector"):
        sel = (new.get("spec") or {}).get("selector") or {}
        errs.invalid(
            "spec.selector",
            f"v1.LabelSelector{{MatchLabels:{go_repr(sel.get('matchLabels') or {})}}}",
            "field is immutable",
        )


def validate_service_update(errs: ErrorList, new: dict, old: dict) -> None:
    old_ip = (old.get("spec") or {}).get("clusterIP")
    new_ip = (new.get("spec") or {}).get("clusterIP")
    if new_ip and new_ip != old_ip:
        errs.invalid("spec.clusterIPs[0]", [new_ip], "may not change once set")


def validate_update(new: dict, old: dict, kind: Kind) -> None:
    """Refuse changes to fields the API server keeps immutable."""
    errs = ErrorList()
    if kind.validate_update is not None:
        kind.validate_update(errs, new, old)
    if errs:
        raise _invalid(new, errs)
