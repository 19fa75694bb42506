"""The Pod describer and the pod-template text the workload describers and ``rollout history`` share
(``describePod`` and ``DescribePodTemplate`` in ``pkg/describe/describe.go``).

Simplified: volumes and probes in their common forms only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..objects import parse_timestamp
from .describe_writer import (
    _annotations,
    _events,
    _labels,
    _tolerations,
    _Writer,
    rfc1123,
)
from .printers import human_duration

if TYPE_CHECKING:
    from .describe import Context


def _ports(c: dict) -> tuple[str, str, str]:
    ports = c.get("ports") or []
    names = "Ports" if len(ports) > 1 else "Port"
    if not ports:
        return names, "<none>", "<none>"
    port = ", ".join(f"{p['containerPort']}/{p.get('protocol', 'TCP')}" for p in ports)
    host = ", ".join(f"{p.get('hostPort', 0)}/{p.get('protocol', 'TCP')}" for p in ports)
    return names, port, host


def _state(w: _Writer, level: int, title: str, state: dict) -> None:
    if state.get("running") is not None:
        w.write(level, f"{title}:\tRunning\n")
        w.write(level + 1, f"Started:\t{rfc1123(state['running'].get('startedAt'))}\n")
    elif state.get("waiting") is not None:
        w.write(level, f"{title}:\tWaiting\n")
        if state["waiting"].get("reason"):
            w.write(level + 1, f"Reason:\t{state['waiting']['reason']}\n")
    elif state.get("terminated") is not None:
        t = state["terminated"]
        w.write(level, f"{title}:\tTerminated\n")
        if t.get("reason"):
            w.write(level + 1, f"Reason:\t{t['reason']}\n")
        if t.get("message"):
            w.write(level + 1, f"Message:\t{t['message']}\n")
        w.write(level + 1, f"Exit Code:\t{t.get('exitCode', 0)}\n")
        if t.get("signal"):
            w.write(level + 1, f"Signal:\t{t['signal']}\n")
        w.write(level + 1, f"Started:\t{rfc1123(t.get('startedAt'))}\n")
        w.write(level + 1, f"Finished:\t{rfc1123(t.get('finishedAt'))}\n")
    else:
        w.write(level, f"{title}:\tWaiting\n")


def _env_var(w: _Writer, level: int, e: dict, pod: dict | None) -> None:
    """``describeContainerEnvVars``: a value line by line, or where ``valueFrom`` takes it from (a field of
    the Pod resolved when describing a Pod, not a template)."""
    source = e.get("valueFrom")
    if source is None:
        for i, line in enumerate(str(e.get("value", "")).split("\n")):
            w.write(level, f"{e['name']}:\t{line}\n" if i == 0 else f"\t{line}\n")
    elif source.get("fieldRef") is not None:
        ref = source["fieldRef"]
        value = _field_value(pod, ref.get("fieldPath", "")) if pod is not None else ""
        w.write(level, f"{e['name']}:\t{value} ({ref.get('apiVersion', '')}:{ref.get('fieldPath', '')})\n")
    elif source.get("resourceFieldRef") is not None:
        w.write(level, f"{e['name']}:\t ({source['resourceFieldRef'].get('resource', '')})\n")
    elif source.get("secretKeyRef") is not None:
        ref = source["secretKeyRef"]
        w.write(
            level,
            f"{e['name']}:\t<set to the key '{ref.get('key', '')}' in secret '{ref.get('name', '')}'>\t"
            f"Optional: {str(bool(ref.get('optional'))).lower()}\n",
        )
    elif source.get("configMapKeyRef") is not None:
        ref = source["configMapKeyRef"]
        w.write(
            level,
            f"{e['name']}:\t<set to the key '{ref.get('key', '')}' of config map '{ref.get('name', '')}'>"
            f"\tOptional: {str(bool(ref.get('optional'))).lower()}\n",
        )


def _field_value(pod: dict, path: str) -> str:
    """``fieldpath.ExtractFieldPathAsString`` for the paths the downward API allows."""
    import re

    m = re.fullmatch(r"metadata\.(labels|annotations)\['(.*)'\]", path)
    if m:
        return str((pod["metadata"].get(m.group(1)) or {}).get(m.group(2), ""))
    node: Any = pod
    for part in path.split("."):
        node = node.get(part) if isinstance(node, dict) else None
    return "" if node is None else str(node)


def _containers(
    w: _Writer,
    title: str,
    containers: list[dict],
    statuses: list[dict] | None,
    indent: str,
    pod: dict | None = None,
) -> None:
    """``describeContainers``; ``statuses`` is None for a Pod template (no state lines).

    A pod's containers are named at two spaces, a template's at three (under
    ``  Containers:``); their fields are at four in both.
    """
    w.write(0, f"{indent}{title}:\n")
    by_name = {s.get("name"): s for s in statuses or []}
    for c in containers:
        # A container the kubelet has not reported on (an unscheduled Pod's) has no state lines at all.
        status = by_name.get(c["name"]) if statuses is not None else None
        w.write(0, f"{' ' if indent else ''}  {c['name']}:\n")
        inner = 2
        if status is not None:
            w.write(inner, f"Container ID:\t{status.get('containerID', '')}\n")
        w.write(inner, f"Image:\t{c.get('image', '')}\n")
        if status is not None:
            w.write(inner, f"Image ID:\t{status.get('imageID', '')}\n")
        names, port, host = _ports(c)
        w.write(inner, f"{names}:\t{port}\n")
        w.write(inner, f"Host {names}:\t{host}\n")
        if c.get("command"):
            w.write(inner, "Command:\n")
            for part in c["command"]:
                w.write(inner + 1, f"{part}\n")
        if c.get("args"):
            w.write(inner, "Args:\n")
            for part in c["args"]:
                w.write(inner + 1, f"{part}\n")
        if status is not None:
            _state(w, inner, "State", status.get("state") or {})
            last = status.get("lastState") or {}
            if last.get("terminated"):
                _state(w, inner, "Last State", last)
            w.write(inner, f"Ready:\t{'True' if status.get('ready') else 'False'}\n")
            w.write(inner, f"Restart Count:\t{status.get('restartCount', 0)}\n")
        resources = c.get("resources") or {}
        for section in ("limits", "requests"):
            if resources.get(section):
                w.write(inner, f"{section.capitalize()}:\n")
                for k in sorted(resources[section]):
                    w.write(inner + 1, f"{k}:\t{resources[section][k]}\n")
        for probe, label in (
            ("livenessProbe", "Liveness"),
            ("readinessProbe", "Readiness"),
            ("startupProbe", "Startup"),
        ):
            if c.get(probe):
                w.write(inner, f"{label}:\t{_probe(c[probe])}\n")
        env = c.get("env") or []
        if not env:
            w.write(inner, "Environment:\t<none>\n")
        else:
            w.write(inner, "Environment:\n")
            for e in env:
                _env_var(w, inner + 1, e, pod)
        mounts = c.get("volumeMounts") or []
        if not mounts:
            w.write(inner, "Mounts:\t<none>\n")
        else:
            w.write(inner, "Mounts:\n")
            for m in sorted(mounts, key=lambda m: m.get("mountPath", "")):
                flags = "ro" if m.get("readOnly") else "rw"
                if m.get("subPath"):
                    flags += f',path="{m["subPath"]}"'
                w.write(inner + 1, f"{m.get('mountPath')} from {m.get('name')} ({flags})\n")


def _probe(p: dict) -> str:
    if "httpGet" in p:
        h = p["httpGet"]
        what = f"http-get {h.get('scheme', 'HTTP').lower()}://:{h.get('port')}{h.get('path', '/')}"
    elif "tcpSocket" in p:
        what = f"tcp-socket :{p['tcpSocket'].get('port')}"
    elif "exec" in p:
        what = "exec [" + " ".join(p["exec"].get("command") or []) + "]"
    else:
        what = "unknown"
    return (
        f"{what} delay={p.get('initialDelaySeconds', 0)}s timeout={p.get('timeoutSeconds', 1)}s "
        f"period={p.get('periodSeconds', 10)}s #success={p.get('successThreshold', 1)} "
        f"#failure={p.get('failureThreshold', 3)}"
    )


def _volumes(w: _Writer, space: str, volumes: list[dict] | None) -> None:
    """``describeVolumes``: a template's volume names one space further in than a Pod's, their fields at
    four."""
    if not volumes:
        w.write(0, f"{space}Volumes:\t<none>\n")
        return
    w.write(0, f"{space}Volumes:\n")
    for v in volumes:
        w.write(1, f"{' ' if space else ''}{v['name']}:\n")
        if "emptyDir" in v:
            w.write(2, "Type:\tEmptyDir (a temporary directory that shares a pod's lifetime)\n")
            w.write(2, f"Medium:\t{v['emptyDir'].get('medium', '')}\n")
            w.write(2, f"SizeLimit:\t{v['emptyDir'].get('sizeLimit', '<unset>')}\n")
        elif "configMap" in v:
            w.write(2, "Type:\tConfigMap (a volume populated by a ConfigMap)\n")
            w.write(2, f"Name:\t{v['configMap'].get('name', '')}\n")
            w.write(2, f"Optional:\t{str(v['configMap'].get('optional', False)).lower()}\n")
        elif "secret" in v:
            w.write(2, "Type:\tSecret (a volume populated by a Secret)\n")
            w.write(2, f"SecretName:\t{v['secret'].get('secretName', '')}\n")
            w.write(2, f"Optional:\t{str(v['secret'].get('optional', False)).lower()}\n")
        elif "persistentVolumeClaim" in v:
            w.write(
                2,
                "Type:\tPersistentVolumeClaim (a reference to a PersistentVolumeClaim in the same "
                "namespace)\n",
            )
            w.write(2, f"ClaimName:\t{v['persistentVolumeClaim'].get('claimName', '')}\n")
            w.write(2, f"ReadOnly:\t{str(v['persistentVolumeClaim'].get('readOnly', False)).lower()}\n")
        elif "hostPath" in v:
            w.write(2, "Type:\tHostPath (bare host directory volume)\n")
            w.write(2, f"Path:\t{v['hostPath'].get('path', '')}\n")
            w.write(2, f"HostPathType:\t{v['hostPath'].get('type', '<none>')}\n")
        else:
            kind = next((k for k in v if k != "name"), "Unknown")
            w.write(2, f"Type:\t{kind}\n")


def _controlled_by(w: _Writer, obj: dict) -> None:
    for ref in obj["metadata"].get("ownerReferences") or []:
        if ref.get("controller"):
            w.write(0, f"Controlled By:\t{ref['kind']}/{ref['name']}\n")


def describe_pod(pod: dict, ctx: Context) -> str:
    md, spec, st = pod["metadata"], pod.get("spec") or {}, pod.get("status") or {}
    w = _Writer()
    w.write(0, f"Name:\t{md['name']}\n")
    w.write(0, f"Namespace:\t{md.get('namespace', '')}\n")
    w.write(0, f"Priority:\t{spec.get('priority', 0)}\n")
    if spec.get("priorityClassName"):
        w.write(0, f"Priority Class Name:\t{spec['priorityClassName']}\n")
    w.write(0, f"Service Account:\t{spec.get('serviceAccountName', '')}\n")
    node = spec.get("nodeName")
    w.write(0, f"Node:\t{node + '/' + st.get('hostIP', '') if node else '<none>'}\n")
    if st.get("startTime"):
        w.write(0, f"Start Time:\t{rfc1123(st['startTime'])}\n")
    _labels(w, 0, "Labels", md.get("labels"))
    _annotations(w, 0, md.get("annotations"))
    if md.get("deletionTimestamp"):
        left = human_duration(parse_timestamp(md["deletionTimestamp"]) - ctx.now)
        w.write(0, f"Status:\tTerminating (lasts {left})\n")
        w.write(0, f"Termination Grace Period:\t{md.get('deletionGracePeriodSeconds', 0)}s\n")
    else:
        w.write(0, f"Status:\t{st.get('phase', '')}\n")
    if st.get("reason"):
        w.write(0, f"Reason:\t{st['reason']}\n")
    if st.get("message"):
        w.write(0, f"Message:\t{st['message']}\n")
    w.write(0, f"IP:\t{st.get('podIP', '')}\n")
    ips = st.get("podIPs") or ([{"ip": st["podIP"]}] if st.get("podIP") else [])
    if ips:
        w.write(0, "IPs:\n")
        for ip in ips:
            w.write(1, f"IP:\t{ip['ip']}\n")
    else:
        w.write(0, "IPs:\t<none>\n")
    _controlled_by(w, pod)
    if spec.get("initContainers"):
        _containers(
            w, "Init Containers", spec["initContainers"], st.get("initContainerStatuses") or [], "", pod
        )
    _containers(w, "Containers", spec.get("containers") or [], st.get("containerStatuses") or [], "", pod)
    if st.get("conditions"):
        w.write(0, "Conditions:\n")
        w.write(1, "Type\tStatus\n")
        for c in st["conditions"]:
            w.write(1, f"{c['type']} \t{c['status']} \n")
    _volumes(w, "", spec.get("volumes"))
    w.write(0, f"QoS Class:\t{st.get('qosClass', '')}\n")
    _labels(w, 0, "Node-Selectors", spec.get("nodeSelector"))
    _tolerations(w, 0, spec.get("tolerations"))
    _events(w, ctx.events_for(pod), ctx.now)
    return w.text()


def _template(w: _Writer, template: dict) -> None:
    tmd, tspec = template.get("metadata") or {}, template.get("spec") or {}
    w.write(0, "Pod Template:\n")
    _labels(w, 1, "Labels", tmd.get("labels"))
    if tmd.get("annotations"):
        _annotations(w, 1, tmd.get("annotations"))
    if tspec.get("serviceAccountName"):
        w.write(1, f"Service Account:\t{tspec['serviceAccountName']}\n")
    if tspec.get("initContainers"):
        _containers(w, "Init Containers", tspec["initContainers"], None, "  ")
    _containers(w, "Containers", tspec.get("containers") or [], None, "  ")
    _volumes(w, "  ", tspec.get("volumes"))
    if tspec.get("priorityClassName"):
        w.write(1, f"Priority Class Name:\t{tspec['priorityClassName']}\n")
    _labels(w, 1, "Node-Selectors", tspec.get("nodeSelector"))
    _tolerations(w, 1, tspec.get("tolerations"))


def pod_template_text(template: dict) -> str:
    """``DescribePodTemplate`` written straight to a buffer, tabs and all (what ``rollout history --revision``
    prints)."""
    w = _Writer()
    _template(w, template)
    return "".join(w.parts)
