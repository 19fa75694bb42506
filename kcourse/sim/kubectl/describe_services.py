"""Describers of the service-discovery kinds: Service and EndpointSlice (``ServiceDescriber``,
``EndpointSliceDescriber`` in ``pkg/describe/describe.go``).

Simplified: the forms the simulated objects take only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .describe_writer import (
    _annotations,
    _events,
    _labels,
    _Writer,
)
from .printers import format_labels

if TYPE_CHECKING:
    from .describe import Context


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
        w.write(
            0,
            "LoadBalancer Ingress:\t"
            + ", ".join(i.get("ip") or i.get("hostname", "") for i in ingress)
            + "\n",
        )
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
            w.write(
                1,
                f"{port.get('name') or '<unset>'}\t{'<unset>' if number is None else number}\t"
                f"{port.get('protocol', '')}\n",
            )
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
