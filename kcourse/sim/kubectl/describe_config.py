"""Describers of Namespaces, ConfigMaps, Secrets and ServiceAccounts (``NamespaceDescriber``,
``ConfigMapDescriber``, ``SecretDescriber``, ``ServiceAccountDescriber`` in ``pkg/describe/describe.go``).

Simplified: quotas and limit ranges are shown only where the server serves them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .describe_writer import (
    _annotations,
    _events,
    _labels,
    _Writer,
    rfc1123,
)

if TYPE_CHECKING:
    from .describe import Context


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
            w.write(
                1,
                f"{c.get('type', '')}\t{c.get('status', '')}\t{rfc1123(c.get('lastTransitionTime'))}\t"
                f"{c.get('reason', '')}\t{c.get('message', '')}\n",
            )
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


def describe_secret(secret: dict, _ctx: Context) -> str:
    """``describeSecret``: sizes, never values (the token of a service-account token Secret excepted); no
    Events. Keys sorted, where kubectl ranges over a Go map."""
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
    tokens = [
        s["metadata"]["name"]
        for s in secrets
        if s.get("type") == "kubernetes.io/service-account-token"
        and (s["metadata"].get("annotations") or {}).get("kubernetes.io/service-account.name") == md["name"]
        and (s["metadata"].get("annotations") or {}).get("kubernetes.io/service-account.uid") == md.get("uid")
    ]
    sections = {
        "Image pull secrets:": [s.get("name", "") for s in sa.get("imagePullSecrets") or []],
        "Mountable secrets: ": [s.get("name", "") for s in sa.get("secrets") or []],
        _SA_TOKENS: tokens,
    }
    for header in sorted(sections):
        names = sections[header]
        if not names:
            w.write(0, f"{header}\t<none>\n")
        for i, name in enumerate(names):
            missing = " (not found)" if name not in existing and header != _SA_TOKENS else ""
            w.write(0, f"{header if i == 0 else ' ' * 19}\t{name}{missing}\n")
    _events(w, ctx.events_for(sa), ctx.now)
    return w.text()
