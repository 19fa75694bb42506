"""``kubectl describe``: the long, human layout with the Events at the bottom.

The text follows ``k8s.io/kubectl/pkg/describe/describe.go``: one Go
``tabwriter`` (minimum width 0, padding 2) over the whole output, so
consecutive ``Label:<TAB>value`` lines line up and a line without a tab
starts a new block; labels ``k=v`` and annotations ``k: v`` one per line;
times in RFC 1123 with a numeric zone; the Events table sorted by last
timestamp, ``<none>`` when there is none.

Simplified: pod volumes, probes and resource limits are shown in their
common forms only; the node's "Non-terminated Pods" and "Allocated
resources" sections count requests and limits of the pods the API server
knows on the node.
"""

from __future__ import annotations

from typing import Any

from ..objects import EPOCH, parse_timestamp
from ..quantity import format_millicores, millicores, parse_quantity
from ..resources import by_plural
from .gosort import go_sort
from .printers import format_labels, human_duration, node_roles, since
from .taint import taint_text

__all__ = ["describe", "go_tabwriter", "pod_template_text"]

_RFC1123Z = "%a, %d %b %Y %H:%M:%S +0000"


GO_ZERO_TIME = "Mon, 01 Jan 0001 00:00:00 +0000"


def rfc1123(ts: str | None) -> str:
    if not ts:
        return "<unset>"
    from datetime import timedelta
    return (EPOCH + timedelta(seconds=parse_timestamp(ts))).strftime(_RFC1123Z)


def go_tabwriter(text: str, minwidth: int = 0, padding: int = 2) -> str:
    """Go's ``text/tabwriter`` (no flags): tab-terminated cells aligned per column block."""
    lines = [line.split("\t") for line in text.split("\n")]
    out: list[str] = []

    def write(line0: int, line1: int, widths: list[int]) -> None:
        for cells in lines[line0:line1]:
            parts = [c.ljust(widths[j]) if j < len(widths) else c for j, c in enumerate(cells[:-1])]
            out.append("".join(parts) + cells[-1])

    def fmt(line0: int, line1: int, widths: list[int]) -> None:
        column = len(widths)
        this = line0
        while this < line1:
            if column >= len(lines[this]) - 1:
                this += 1
                continue
            write(line0, this, widths)
            line0 = this
            width = minwidth
            while this < line1 and column < len(lines[this]) - 1:
                width = max(width, len(lines[this][column]) + padding)
                this += 1
            fmt(line0, this, widths + [width])
            line0 = this
        write(line0, line1, widths)

    fmt(0, len(lines), [])
    return "\n".join(out)


class _Writer:
    """describe.go's PrefixWriter: levels of two spaces, text gathered for one tabwriter pass."""

    def __init__(self) -> None:
        self.parts: list[str] = []

    def write(self, level: int, text: str) -> None:
        self.parts.append("  " * level + text)

    def text(self) -> str:
        return go_tabwriter("".join(self.parts))


def _multiline(w: _Writer, level: int, title: str, items: dict | None, sep: str = "=",
               skip: tuple[str, ...] = ()) -> None:
    items = {k: v for k, v in (items or {}).items() if k not in skip}
    w.write(level, f"{title}:\t")
    if not items:
        w.write(0, "<none>\n")
        return
    for i, key in enumerate(sorted(items)):
        if i:
            w.write(0, "\t")  # describe.go's continuation lines carry no indent of their own
        w.write(0, f"{key}{sep}{items[key]}\n")


def _labels(w: _Writer, level: int, title: str, labels: dict | None) -> None:
    _multiline(w, level, title, labels)


#: describe.go's ``maxAnnotationLen``: a longer annotation goes on lines of its own, each cut at this length.
MAX_ANNOTATION_LEN = 140


def _annotations(w: _Writer, level: int, annotations: dict | None) -> None:
    """``printAnnotationsMultiline``: sorted, the last-applied configuration left out, long or multi-line
    values on their own lines."""
    items = {k: v for k, v in (annotations or {}).items() if k != "kubectl.kubernetes.io/last-applied-configuration"}
    w.write(level, "Annotations:\t")
    if not items:
        w.write(0, "<none>\n")
        return
    for i, key in enumerate(sorted(items)):
        if i:
            w.write(0, "\t")
        value = str(items[key]).removesuffix("\n")
        if len(value) + len(key) + 2 > MAX_ANNOTATION_LEN or "\n" in value:
            w.write(0, f"{key}:\n")
            for line in value.split("\n"):
                cut = MAX_ANNOTATION_LEN - 2
                w.write(0, f"\t  {line[:cut] + '...' if len(line) > cut else line}\n")
        else:
            w.write(0, f"{key}: {value}\n")


def _tolerations(w: _Writer, level: int, tolerations: list[dict] | None) -> None:
    w.write(level, "Tolerations:\t")
    if not tolerations:
        w.write(0, "<none>\n")
        return
    for i, t in enumerate(tolerations):
        if i:
            w.write(0, "\t")
        text = t.get("key", "")
        if t.get("value"):
            text += f"={t['value']}"
        if t.get("effect"):
            text += f":{t['effect']}"
        if t.get("operator") == "Exists" and not t.get("value"):
            text += " op=Exists" if t.get("key") or t.get("effect") else "op=Exists"
        if t.get("tolerationSeconds") is not None:
            text += f" for {t['tolerationSeconds']}s"
        w.write(0, text + "\n")


def _last_seen(e: dict) -> float:
    return parse_timestamp(e["lastTimestamp"]) if e.get("lastTimestamp") else float("-inf")


def _events(w: _Writer, events: list[dict], now: float) -> None:
    if not events:
        w.write(0, "Events:\t<none>\n")
        return
    w.write(0, "Events:\n")
    w.write(1, "Type\tReason\tAge\tFrom\tMessage\n")
    w.write(1, "----\t------\t----\t----\t-------\n")
    for e in go_sort(events, lambda a, b: _last_seen(a) < _last_seen(b)):
        first = since(e.get("firstTimestamp"), now)
        count = e.get("count") or 1
        interval = f"{since(e.get('lastTimestamp'), now)} (x{count} over {first})" if count > 1 else first
        source = (e.get("source") or {}).get("component") or e.get("reportingComponent", "")
        w.write(1, f"{e.get('type', '')}\t{e.get('reason', '')}\t{interval}\t{source}\t"
                   f"{(e.get('message') or '').strip()}\n")


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
    """``describeContainerEnvVars``: a value line by line, or where ``valueFrom`` takes it from (a field of the
    Pod resolved when describing a Pod, not a template)."""
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
        w.write(level, f"{e['name']}:\t<set to the key '{ref.get('key', '')}' in secret '{ref.get('name', '')}'>\t"
                       f"Optional: {str(bool(ref.get('optional'))).lower()}\n")
    elif source.get("configMapKeyRef") is not None:
        ref = source["configMapKeyRef"]
        w.write(level, f"{e['name']}:\t<set to the key '{ref.get('key', '')}' of config map '{ref.get('name', '')}'>"
                       f"\tOptional: {str(bool(ref.get('optional'))).lower()}\n")


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


def _containers(w: _Writer, title: str, containers: list[dict], statuses: list[dict] | None, indent: str,
                pod: dict | None = None) -> None:
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
        for probe, label in (("livenessProbe", "Liveness"), ("readinessProbe", "Readiness"),
                             ("startupProbe", "Startup")):
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
    return (f"{what} delay={p.get('initialDelaySeconds', 0)}s timeout={p.get('timeoutSeconds', 1)}s "
            f"period={p.get('periodSeconds', 10)}s #success={p.get('successThreshold', 1)} "
            f"#failure={p.get('failureThreshold', 3)}")


def _volumes(w: _Writer, space: str, volumes: list[dict] | None) -> None:
    """``describeVolumes``: a template's volume names one space further in than a Pod's, their fields at four."""
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
            w.write(2, "Type:\tPersistentVolumeClaim (a reference to a PersistentVolumeClaim in the same "
                               "namespace)\n")
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
        _containers(w, "Init Containers", spec["initContainers"], st.get("initContainerStatuses") or [], "", pod)
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


def _selector(sel: dict | None) -> str:
    from .printers import _selector_string
    return _selector_string(sel)


def describe_deployment(d: dict, ctx: Context) -> str:
    md, spec, st = d["metadata"], d.get("spec") or {}, d.get("status") or {}
    w = _Writer()
    w.write(0, f"Name:\t{md['name']}\n")
    w.write(0, f"Namespace:\t{md.get('namespace', '')}\n")
    w.write(0, f"CreationTimestamp:\t{rfc1123(md.get('creationTimestamp'))}\n")
    _labels(w, 0, "Labels", md.get("labels"))
    _annotations(w, 0, md.get("annotations"))
    w.write(0, f"Selector:\t{_selector(spec.get('selector'))}\n")
    w.write(0, f"Replicas:\t{spec.get('replicas', 0)} desired | {st.get('updatedReplicas', 0)} updated | "
               f"{st.get('replicas', 0)} total | {st.get('availableReplicas', 0)} available | "
               f"{st.get('unavailableReplicas', 0)} unavailable\n")
    strategy = spec.get("strategy") or {}
    w.write(0, f"StrategyType:\t{strategy.get('type', '')}\n")
    w.write(0, f"MinReadySeconds:\t{spec.get('minReadySeconds', 0)}\n")
    ru = strategy.get("rollingUpdate")
    if ru:
        w.write(0, f"RollingUpdateStrategy:\t{ru.get('maxUnavailable')} max unavailable, "
                   f"{ru.get('maxSurge')} max surge\n")
    _template(w, spec.get("template") or {})
    if st.get("conditions"):
        w.write(0, "Conditions:\n")
        w.write(1, "Type\tStatus\tReason\n")
        w.write(1, "----\t------\t------\n")
        for c in st["conditions"]:
            w.write(1, f"{c['type']} \t{c['status']}\t{c.get('reason', '')}\n")
    old, new = ctx.deployment_replicasets(d)
    w.write(0, "OldReplicaSets:\t" + (", ".join(_rs_summary(r) for r in old) or "<none>") + "\n")
    w.write(0, "NewReplicaSet:\t" + (_rs_summary(new) if new else "<none>") + "\n")
    _events(w, ctx.events_for(d), ctx.now)
    return w.text()


def _rs_summary(rs: dict) -> str:
    return f"{rs['metadata']['name']} ({rs.get('status', {}).get('replicas', 0)}/" \
           f"{rs.get('spec', {}).get('replicas', 0)} replicas created)"


def describe_replicaset(rs: dict, ctx: Context) -> str:
    md, spec, st = rs["metadata"], rs.get("spec") or {}, rs.get("status") or {}
    w = _Writer()
    w.write(0, f"Name:\t{md['name']}\n")
    w.write(0, f"Namespace:\t{md.get('namespace', '')}\n")
    w.write(0, f"Selector:\t{_selector(spec.get('selector'))}\n")
    _labels(w, 0, "Labels", md.get("labels"))
    _annotations(w, 0, md.get("annotations"))
    _controlled_by(w, rs)
    w.write(0, f"Replicas:\t{st.get('replicas', 0)} current / {spec.get('replicas', 0)} desired\n")
    phases = ctx.pod_phases(rs)
    w.write(0, f"Pods Status:\t{phases['Running']} Running / {phases['Pending']} Waiting / "
               f"{phases['Succeeded']} Succeeded / {phases['Failed']} Failed\n")
    _template(w, spec.get("template") or {})
    _events(w, ctx.events_for(rs), ctx.now)
    return w.text()


def describe_service(svc: dict, ctx: Context) -> str:
    md, spec = svc["metadata"], svc.get("spec") or {}
    w = _Writer()
    w.write(0, f"Name:\t{md['name']}\n")
    w.write(0, f"Namespace:\t{md.get('namespace', '')}\n")
    _labels(w, 0, "Labels", md.get("labels"))
    _annotations(w, 0, md.get("annotations"))
    w.write(0, f"Selector:\t{format_labels(spec.get('selector'))}\n")
    w.write(0, f"Type:\t{spec.get('type', 'ClusterIP')}\n")
    w.write(0, f"IP Family Policy:\t{spec.get('ipFamilyPolicy', 'SingleStack')}\n")
    w.write(0, f"IP Families:\t{','.join(spec.get('ipFamilies') or ['IPv4'])}\n")
    ips = spec.get("clusterIPs") or ([spec["clusterIP"]] if spec.get("clusterIP") else [])
    w.write(0, f"IP:\t{ips[0] if ips else ''}\n")
    w.write(0, f"IPs:\t{','.join(ips)}\n")
    if spec.get("externalIPs"):
        w.write(0, f"External IPs:\t{','.join(spec['externalIPs'])}\n")
    ingress = ((svc.get("status") or {}).get("loadBalancer") or {}).get("ingress") or []
    if ingress:
        w.write(0, "LoadBalancer Ingress:\t" + ", ".join(i.get("ip") or i.get("hostname", "") for i in ingress)
                + "\n")
    endpoints = ctx.endpoints_for(svc)
    for p in spec.get("ports") or []:
        name = p.get("name") or "<unset>"
        w.write(0, f"Port:\t{name}\t{p['port']}/{p.get('protocol', 'TCP')}\n")
        target = p.get("targetPort", p["port"])
        w.write(0, f"TargetPort:\t{target}/{p.get('protocol', 'TCP')}\n")
        if p.get("nodePort"):
            w.write(0, f"NodePort:\t{name}\t{p['nodePort']}/{p.get('protocol', 'TCP')}\n")
        w.write(0, f"Endpoints:\t{endpoints.get(p.get('name') or '', '')}\n")
    if not spec.get("ports"):
        w.write(0, "Port:\t<unset>\t0/TCP\n")
        w.write(0, "TargetPort:\t<unset>/TCP\n")
        w.write(0, f"Endpoints:\t{endpoints.get('', '<none>')}\n")
    w.write(0, f"Session Affinity:\t{spec.get('sessionAffinity', 'None')}\n")
    if spec.get("externalTrafficPolicy"):
        w.write(0, f"External Traffic Policy:\t{spec['externalTrafficPolicy']}\n")
    w.write(0, f"Internal Traffic Policy:\t{spec.get('internalTrafficPolicy', 'Cluster')}\n")
    _events(w, ctx.events_for(svc), ctx.now)
    return w.text()


def describe_node(node: dict, ctx: Context) -> str:
    md, spec, st = node["metadata"], node.get("spec") or {}, node.get("status") or {}
    w = _Writer()
    w.write(0, f"Name:\t{md['name']}\n")
    roles = node_roles(node)
    w.write(0, f"Roles:\t{roles}\n")
    _labels(w, 0, "Labels", md.get("labels"))
    _annotations(w, 0, md.get("annotations"))
    w.write(0, f"CreationTimestamp:\t{rfc1123(md.get('creationTimestamp'))}\n")
    taints = spec.get("taints") or []
    w.write(0, "Taints:\t")
    if not taints:
        w.write(0, "<none>\n")
    # printTaintsMultilineWithIndent sorts by "effect,key" with sort.Slice (Go's unstable sort).
    ordered = go_sort(taints, lambda a, b: f"{a.get('effect', '')},{a.get('key', '')}" <
                      f"{b.get('effect', '')},{b.get('key', '')}")
    for i, t in enumerate(ordered):
        if i:
            w.write(0, "\t")
        w.write(0, f"{taint_text(t)}\n")
    w.write(0, f"Unschedulable:\t{'true' if spec.get('unschedulable') else 'false'}\n")
    lease = ctx.lease_of(md["name"])
    w.write(0, "Lease:\n")
    w.write(1, f"HolderIdentity:\t{(lease or {}).get('spec', {}).get('holderIdentity', '<unset>')}\n")
    w.write(1, "AcquireTime:\t<unset>\n")
    renew = (lease or {}).get("spec", {}).get("renewTime")
    w.write(1, f"RenewTime:\t{rfc1123(renew[:19] + 'Z') if renew else '<unset>'}\n")
    conditions = st.get("conditions") or []
    if conditions:
        w.write(0, "Conditions:\n")
        w.write(1, "Type\tStatus\tLastHeartbeatTime\tLastTransitionTime\tReason\tMessage\n")
        w.write(1, "----\t------\t-----------------\t------------------\t------\t-------\n")
        for c in conditions:
            # A nil metav1.Time prints as Go's zero time (the route controller sets no heartbeat).
            beat, moved = (rfc1123(c[k]) if c.get(k) else GO_ZERO_TIME for k in ("lastHeartbeatTime",
                                                                                   "lastTransitionTime"))
            w.write(1, f"{c['type']} \t{c['status']} \t{beat} \t{moved} \t{c.get('reason', '')} \t{c.get('message', '')}\n")
    addresses = st.get("addresses") or []
    if addresses:
        w.write(0, "Addresses:\n")
        for a in addresses:
            w.write(1, f"{a['type']}:\t{a['address']}\n")
    for title, key in (("Capacity", "capacity"), ("Allocatable", "allocatable")):
        if st.get(key):
            w.write(0, f"{title}:\n")
            for k in sorted(st[key]):
                w.write(1, f"{k}:\t{st[key][k]}\n")
    info = st.get("nodeInfo") or {}
    w.write(0, "System Info:\n")
    for label, key in (("Machine ID", "machineID"), ("System UUID", "systemUUID"), ("Boot ID", "bootID"),
                       ("Kernel Version", "kernelVersion"), ("OS Image", "osImage"),
                       ("Operating System", "operatingSystem"), ("Architecture", "architecture"),
                       ("Container Runtime Version", "containerRuntimeVersion"),
                       ("Kubelet Version", "kubeletVersion"), ("Kube-Proxy Version", "kubeProxyVersion")):
        w.write(1, f"{label}:\t{info.get(key, '')}\n")
    if spec.get("podCIDR"):
        w.write(0, f"PodCIDR:\t{spec['podCIDR']}\n")
        w.write(0, f"PodCIDRs:\t{','.join(spec.get('podCIDRs') or [spec['podCIDR']])}\n")
    if spec.get("providerID"):
        w.write(0, f"ProviderID:\t{spec['providerID']}\n")
    pods = ctx.pods_on(md["name"])
    allocatable = st.get("allocatable") or {}
    w.write(0, f"Non-terminated Pods:\t({len(pods)} in total)\n")
    # describe.go leaves an empty column after Name ("\t\t"), which widens it by the padding.
    w.write(1, "Namespace\tName\t\tCPU Requests\tCPU Limits\tMemory Requests\tMemory Limits\tAge\n")
    w.write(1, "---------\t----\t\t------------\t----------\t---------------\t-------------\t---\n")
    totals = {"cpu": [0, 0], "memory": [0, 0]}
    for p in pods:
        req, lim = _pod_resources(p)
        cells = []
        for res in ("cpu", "memory"):
            for i, amounts in enumerate((req, lim)):
                amount = amounts.get(res, 0)
                totals[res][i] += amount
                cells.append(_fraction(res, amount, allocatable.get(res)))
        w.write(1, f"{p['metadata'].get('namespace')}\t{p['metadata']['name']}\t\t{cells[0]}\t{cells[1]}\t"
                   f"{cells[2]}\t{cells[3]}\t{since(p['metadata'].get('creationTimestamp'), ctx.now)}\n")
    w.write(0, "Allocated resources:\n")
    w.write(1, "(Total limits may be over 100 percent, i.e., overcommitted.)\n")
    w.write(1, "Resource\tRequests\tLimits\n")
    w.write(1, "--------\t--------\t------\n")
    for res in ("cpu", "memory"):
        w.write(1, f"{res}\t{_fraction(res, totals[res][0], allocatable.get(res))}\t"
                   f"{_fraction(res, totals[res][1], allocatable.get(res))}\n")
    w.write(1, "ephemeral-storage\t0 (0%)\t0 (0%)\n")
    _events(w, ctx.events_for(node), ctx.now)
    return w.text()


def _pod_resources(pod: dict) -> tuple[dict[str, int], dict[str, int]]:
    req: dict[str, int] = {}
    lim: dict[str, int] = {}
    for c in (pod.get("spec") or {}).get("containers") or []:
        res = c.get("resources") or {}
        for target, section in ((req, res.get("requests") or {}), (lim, res.get("limits") or {})):
            for name, value in section.items():
                if name in ("cpu", "memory"):
                    amount = millicores(value) if name == "cpu" else int(parse_quantity(value))
                    target[name] = target.get(name, 0) + amount
    return req, lim


def _fraction(resource: str, amount: int, allocatable: Any) -> str:
    if resource == "cpu":
        total = millicores(allocatable) if allocatable else 0
        text = format_millicores(amount) if amount else "0"
    else:
        total = int(parse_quantity(allocatable)) if allocatable else 0
        text = _memory(amount)
    pct = int(amount * 100 / total) if total else 0
    return f"{text} ({pct}%)"


def _memory(n: int) -> str:
    for suffix, size in (("Gi", 2**30), ("Mi", 2**20), ("Ki", 2**10)):
        if n and n % size == 0:
            return f"{n // size}{suffix}"
    return str(n)


def describe_daemonset(ds: dict, ctx: Context) -> str:
    md, spec, st = ds["metadata"], ds.get("spec") or {}, ds.get("status") or {}
    w = _Writer()
    w.write(0, f"Name:\t{md['name']}\n")
    w.write(0, f"Selector:\t{_selector(spec.get('selector'))}\n")
    node_selector = ((spec.get("template") or {}).get("spec") or {}).get("nodeSelector")
    w.write(0, f"Node-Selector:\t{format_labels(node_selector) if node_selector else '<none>'}\n")
    _labels(w, 0, "Labels", md.get("labels"))
    _annotations(w, 0, md.get("annotations"))
    w.write(0, f"Desired Number of Nodes Scheduled: {st.get('desiredNumberScheduled', 0)}\n")
    w.write(0, f"Current Number of Nodes Scheduled: {st.get('currentNumberScheduled', 0)}\n")
    w.write(0, f"Number of Nodes Scheduled with Up-to-date Pods: {st.get('updatedNumberScheduled', 0)}\n")
    w.write(0, f"Number of Nodes Scheduled with Available Pods: {st.get('numberAvailable', 0)}\n")
    w.write(0, f"Number of Nodes Misscheduled: {st.get('numberMisscheduled', 0)}\n")
    phases = ctx.pod_phases(ds)
    w.write(0, f"Pods Status:\t{phases['Running']} Running / {phases['Pending']} Waiting / "
               f"{phases['Succeeded']} Succeeded / {phases['Failed']} Failed\n")
    _template(w, spec.get("template") or {})
    _events(w, ctx.events_for(ds), ctx.now)
    return w.text()


def describe_namespace(ns: dict, ctx: Context) -> str:
    """``describeNamespace``: no Events; quotas and limit ranges only where the server serves them."""
    md, st = ns["metadata"], ns.get("status") or {}
    w = _Writer()
    w.write(0, f"Name:\t{md['name']}\n")
    _labels(w, 0, "Labels", md.get("labels"))
    _annotations(w, 0, md.get("annotations"))
    w.write(0, f"Status:\t{st.get('phase', '')}\n")
    if st.get("conditions"):
        w.write(0, "Conditions:\n")
        w.write(1, "Type\tStatus\tLastTransitionTime\tReason\tMessage\n")
        w.write(1, "----\t------\t------------------\t------\t-------\n")
        for c in st["conditions"]:
            w.write(1, f"{c.get('type', '')}\t{c.get('status', '')}\t{rfc1123(c.get('lastTransitionTime'))}\t"
                       f"{c.get('reason', '')}\t{c.get('message', '')}\n")
    if ctx.serves("resourcequotas"):
        w.write(0, "\n")
        if not ctx.api.items("resourcequotas", md["name"]):
            w.write(0, "No resource quota.\n")
    if ctx.serves("limitranges"):
        w.write(0, "\n")
        if not ctx.api.items("limitranges", md["name"]):
            w.write(0, "No LimitRange resource.\n")
    return w.text()


def describe_configmap(cm: dict, ctx: Context) -> str:
    """``ConfigMapDescriber``: each key, a ``----`` rule and the value as it is.

    kubectl ranges over a Go map, so with several keys its order changes from run to run; here the keys are
    sorted.
    """
    md = cm["metadata"]
    w = _Writer()
    w.write(0, f"Name:\t{md['name']}\n")
    w.write(0, f"Namespace:\t{md.get('namespace', '')}\n")
    _labels(w, 0, "Labels", md.get("labels"))
    _annotations(w, 0, md.get("annotations"))
    w.write(0, "\nData\n====\n")
    for key, value in sorted((cm.get("data") or {}).items()):
        w.write(0, f"{key}:\n----\n")
        w.write(0, f"{value}\n")
        w.write(0, "\n")
    w.write(0, "\nBinaryData\n====\n")
    for key, value in sorted((cm.get("binaryData") or {}).items()):
        w.write(0, f"{key}: {len(_b64decode(value))} bytes\n")
    w.write(0, "\n")
    _events(w, ctx.events_for(cm), ctx.now)
    return w.text()


def _b64decode(value: str) -> bytes:
    import base64
    try:
        return base64.b64decode(value)
    except ValueError:
        return b""


def describe_secret(secret: dict, ctx: Context) -> str:
    """``describeSecret``: sizes, never values (the token of a service-account token Secret excepted); no Events.
    Keys sorted, where kubectl ranges over a Go map."""
    md = secret["metadata"]
    w = _Writer()
    w.write(0, f"Name:\t{md['name']}\n")
    w.write(0, f"Namespace:\t{md.get('namespace', '')}\n")
    _labels(w, 0, "Labels", md.get("labels"))
    _annotations(w, 0, md.get("annotations"))
    w.write(0, f"\nType:\t{secret.get('type', '')}\n")
    w.write(0, "\nData\n====\n")
    for key, value in sorted((secret.get("data") or {}).items()):
        raw = _b64decode(value)
        if key == "token" and secret.get("type") == "kubernetes.io/service-account-token":
            w.write(0, f"{key}:\t{raw.decode('utf-8', 'replace')}\n")
        else:
            w.write(0, f"{key}:\t{len(raw)} bytes\n")
    return w.text()


_SA_TOKENS = "Tokens:            "


def describe_serviceaccount(sa: dict, ctx: Context) -> str:
    md = sa["metadata"]
    w = _Writer()
    w.write(0, f"Name:\t{md['name']}\n")
    w.write(0, f"Namespace:\t{md.get('namespace', '')}\n")
    _labels(w, 0, "Labels", md.get("labels"))
    _annotations(w, 0, md.get("annotations"))
    secrets = ctx.api.items("secrets", md.get("namespace"))
    existing = {s["metadata"]["name"] for s in secrets}
    tokens = [s["metadata"]["name"] for s in secrets if s.get("type") == "kubernetes.io/service-account-token"
              and (s["metadata"].get("annotations") or {}).get("kubernetes.io/service-account.name") == md["name"]
              and (s["metadata"].get("annotations") or {}).get("kubernetes.io/service-account.uid") == md.get("uid")]
    sections = {"Image pull secrets:": [s.get("name", "") for s in sa.get("imagePullSecrets") or []],
                "Mountable secrets: ": [s.get("name", "") for s in sa.get("secrets") or []],
                _SA_TOKENS: tokens}
    for header in sorted(sections):
        names = sections[header]
        if not names:
            w.write(0, f"{header}\t<none>\n")
        for i, name in enumerate(names):
            missing = " (not found)" if name not in existing and header != _SA_TOKENS else ""
            w.write(0, f"{header if i == 0 else ' ' * 19}\t{name}{missing}\n")
    _events(w, ctx.events_for(sa), ctx.now)
    return w.text()


def describe_endpointslice(eps: dict, ctx: Context) -> str:
    md = eps["metadata"]
    w = _Writer()
    w.write(0, f"Name:\t{md['name']}\n")
    w.write(0, f"Namespace:\t{md.get('namespace', '')}\n")
    _labels(w, 0, "Labels", md.get("labels"))
    _annotations(w, 0, md.get("annotations"))
    w.write(0, f"AddressType:\t{eps.get('addressType', '')}\n")
    if not eps.get("ports"):
        w.write(0, "Ports: <unset>\n")
    else:
        w.write(0, "Ports:\n")
        w.write(1, "Name\tPort\tProtocol\n")
        w.write(1, "----\t----\t--------\n")
        for port in eps["ports"]:
            number = port.get("port")
            w.write(1, f"{port.get('name') or '<unset>'}\t{'<unset>' if number is None else number}\t"
                       f"{port.get('protocol', '')}\n")
    if not eps.get("endpoints"):
        w.write(0, "Endpoints: <none>\n")
    else:
        w.write(0, "Endpoints:\n")
        for ep in eps["endpoints"]:
            w.write(1, f"- Addresses:\t{', '.join(ep.get('addresses') or []) or '<none>'}\n")
            w.write(2, "Conditions:\n")
            ready = (ep.get("conditions") or {}).get("ready")
            w.write(3, f"Ready:\t{'<unset>' if ready is None else str(ready).lower()}\n")
            w.write(2, f"Hostname:\t{ep.get('hostname', '<unset>')}\n")
            ref = ep.get("targetRef")
            if ref:
                w.write(2, f"TargetRef:\t{ref.get('kind', '')}/{ref.get('name', '')}\n")
            w.write(2, f"NodeName:\t{ep.get('nodeName', '<unset>')}\n")
            w.write(2, f"Zone:\t{ep.get('zone', '<unset>')}\n")
    _events(w, ctx.events_for(eps), ctx.now)
    return w.text()


_ACRONYMS = {"API", "URL", "UID", "OSB", "GUID"}


def _camel_split(field: str) -> list[str]:
    """``fatih/camelcase.Split``: runs of one character class, an upper-case letter moved to the lower-case run
    after it (``HTTPServer`` → ``HTTP``, ``Server``)."""
    runs: list[str] = []
    last = None
    for ch in field:
        cls = 1 if ch.islower() else 2 if ch.isupper() else 3 if ch.isdigit() else 4
        if cls == last:
            runs[-1] += ch
        else:
            runs.append(ch)
        last = cls
    for i in range(len(runs) - 1):
        if runs[i][0].isupper() and runs[i + 1][0].islower():
            runs[i + 1] = runs[i][-1] + runs[i + 1]
            runs[i] = runs[i][:-1]
    return [r for r in runs if r]


def smart_label(field: str) -> str:
    """``smartLabelFor``: ``holderIdentity`` → ``Holder Identity``, ``apiVersion`` → ``API Version``."""
    if any(not (ch.isalpha() or ch == "-") for ch in field):
        return field
    return " ".join(part.upper() if part.upper() in _ACRONYMS else part[:1].upper() + part[1:]
                    for part in _camel_split(field) if part != "_")


def _go_value(v: Any) -> str:
    if v is None:
        return "<nil>"
    if isinstance(v, bool):
        return str(v).lower()
    return str(v)


_GENERIC_SKIP = {".metadata.managedFields", ".metadata.name", ".metadata.namespace", ".metadata.labels",
                 ".metadata.annotations"}


def _unstructured(w: _Writer, level: int, content: dict, prefix: str) -> None:
    """``printUnstructuredContent``: every field, sorted, with smart labels."""
    for field in sorted(content):
        value, path = content[field], f"{prefix}.{field}"
        if path in _GENERIC_SKIP:
            continue
        if isinstance(value, dict):
            w.write(level, f"{smart_label(field)}:\n")
            _unstructured(w, level + 1, value, path)
        elif isinstance(value, list):
            w.write(level, f"{smart_label(field)}:\n")
            for child in value:
                if isinstance(child, dict):
                    _unstructured(w, level + 1, child, path)
                else:
                    w.write(level + 1, f"{_go_value(child)}\n")
        else:
            w.write(level, f"{smart_label(field)}:\t{_go_value(value)}\n")


def describe_generic(obj: dict, ctx: Context) -> str:
    """``genericDescriber``: every field of the object as read, for kinds without a describer of their own."""
    md = obj["metadata"]
    w = _Writer()
    w.write(0, f"Name:\t{md['name']}\n")
    w.write(0, f"Namespace:\t{md.get('namespace', '')}\n")
    _labels(w, 0, "Labels", md.get("labels"))
    _annotations(w, 0, md.get("annotations"))
    _unstructured(w, 0, obj, "")
    _events(w, ctx.events_for(obj), ctx.now)
    return w.text()


class Context:
    """What a describer may look up besides the object (events, owned objects, pods on a node)."""

    def __init__(self, api: Any, now: float):
        self.api, self.now = api, now

    def serves(self, plural: str) -> bool:
        """Whether the API server has this resource (a describer leaves out what the server does not serve)."""
        from ..resources import by_plural
        return by_plural(plural) is not None

    def events_for(self, obj: dict) -> list[dict]:
        uid = obj["metadata"].get("uid")
        ns = obj["metadata"].get("namespace")
        return [e for e in self.api.items("events", ns)
                if (e.get("involvedObject") or {}).get("uid") == uid
                or ((e.get("involvedObject") or {}).get("name") == obj["metadata"]["name"]
                    and (e.get("involvedObject") or {}).get("kind") == obj.get("kind")
                    and not (e.get("involvedObject") or {}).get("uid"))]

    def _owned(self, resource: str, owner: dict) -> list[dict]:
        uid = owner["metadata"].get("uid")
        return [o for o in self.api.items(resource, owner["metadata"].get("namespace"))
                if any(r.get("uid") == uid and r.get("controller") for r in o["metadata"].get("ownerReferences") or [])]

    def deployment_replicasets(self, d: dict) -> tuple[list[dict], dict | None]:
        rss = self._owned("replicasets", d)
        template = (d.get("spec") or {}).get("template") or {}
        new = None
        revision = lambda rs: int((rs["metadata"].get("annotations") or {}).get(
            "deployment.kubernetes.io/revision", "0") or 0)
        for rs in sorted(rss, key=revision, reverse=True):
            rs_template = dict((rs.get("spec") or {}).get("template") or {})
            labels = {k: v for k, v in ((rs_template.get("metadata") or {}).get("labels") or {}).items()
                      if k != "pod-template-hash"}
            if labels == ((template.get("metadata") or {}).get("labels") or {}) and \
                    (rs_template.get("spec") or {}).get("containers") == (template.get("spec") or {}).get("containers"):
                new = rs
                break
        old = [rs for rs in rss if rs is not new and (rs.get("spec") or {}).get("replicas", 0) > 0]
        return old, new

    def pod_phases(self, owner: dict) -> dict[str, int]:
        phases = {"Running": 0, "Pending": 0, "Succeeded": 0, "Failed": 0}
        for p in self._owned("pods", owner):
            phase = (p.get("status") or {}).get("phase", "Pending")
            phases[phase] = phases.get(phase, 0) + 1
        return phases

    def endpoints_for(self, svc: dict) -> dict[str, str]:
        """Endpoints per port name: ``ip:port`` joined by commas."""
        ep = self.api.peek("endpoints", svc["metadata"]["name"], svc["metadata"].get("namespace"))
        out: dict[str, list[str]] = {}
        for ss in (ep or {}).get("subsets") or []:
            for p in ss.get("ports") or [{"name": "", "port": None}]:
                for a in ss.get("addresses") or []:
                    out.setdefault(p.get("name") or "", []).append(
                        a["ip"] if p.get("port") is None else f"{a['ip']}:{p['port']}")
        return {k: ",".join(v) for k, v in out.items()}

    def lease_of(self, node: str) -> dict | None:
        return self.api.peek("leases", node, "kube-node-lease")

    def pods_on(self, node: str) -> list[dict]:
        return [p for p in self.api.items("pods") if (p.get("spec") or {}).get("nodeName") == node
                and (p.get("status") or {}).get("phase") not in ("Succeeded", "Failed")]


def describe(resource: str, obj: dict, api: Any, now: float) -> str:
    """The describe text of one object (ends with a newline), by the describer its kind's entry names."""
    rt = by_plural(resource)
    describer = rt.describe if rt is not None else None
    if isinstance(describer, str):
        describer = globals()[describer]
    return (describer or describe_generic)(obj, Context(api, now))
