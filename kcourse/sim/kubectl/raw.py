"""``kubectl get --raw PATH``: the API server's answer to a GET, byte for byte (``pkg/cmd/get`` ``rawhttp``).

The answers are the served API's own: version information, discovery documents (``kcourse.sim.discovery``,
plain data) and objects or lists as JSON without spaces; a path the server does not have is NotFound.

Simplified: only GET paths of the version, health, discovery and stored resources (no ``/openapi``, no
subresources, no query string); the list's ``metadata.resourceVersion`` is the store's revision.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

from ..errors import ApiError
from ..resources import by_plural

if TYPE_CHECKING:
    from . import Args, Kubectl

__all__ = ["run_raw"]

NOT_FOUND = "the server could not find the requested resource"


def _body(k: Kubectl, path: str) -> Any:
    from .. import discovery
    from ..discovery import VERSION_INFO

    parts = [p for p in path.split("/") if p]
    if path == "/version":
        return VERSION_INFO
    if path in ("/healthz", "/livez", "/readyz"):
        return "ok"
    if path in ("/api", "/api/"):
        return discovery.api_versions(f"{k._server_ip()}:6443")
    if path in ("/apis", "/apis/"):
        return discovery.api_group_list()
    if parts[:1] == ["api"] and len(parts) >= 2:
        group, version, rest = "", parts[1], parts[2:]
    elif parts[:1] == ["apis"] and len(parts) >= 3:
        group, version, rest = parts[1], parts[2], parts[3:]
    else:
        raise ApiError(404, "NotFound", NOT_FOUND)
    if not rest:
        listing = discovery.api_resource_list(group, version)
        if listing is None:
            raise ApiError(404, "NotFound", NOT_FOUND)
        return listing
    namespace = None
    if len(rest) >= 3 and rest[0] == "namespaces":
        namespace, rest = rest[1], rest[2:]
    rt = by_plural(rest[0])
    if rt is None or (rt.group, rt.version) != (group, version) or len(rest) > 2:
        raise ApiError(404, "NotFound", NOT_FOUND)
    client = k._client()
    if len(rest) == 2:
        return k._typed(client.get(rt.plural, rest[1], namespace), rt)
    listed = client.list(rt.plural, namespace)
    return {
        "kind": f"{rt.kind}List",
        "apiVersion": rt.api_version,
        "metadata": {"resourceVersion": str(listed.get("metadata", {}).get("resourceVersion", ""))},
        "items": listed["items"],
    }


def run_raw(k: Kubectl, args: Args) -> int:
    from . import KubectlError

    path = args.get("raw") or ""
    if args.positional:
        raise KubectlError("arguments may not be passed when --raw is specified")
    if not path.startswith("/") or re.search(r"\s", path):
        raise KubectlError(f'--raw must be a valid URL path: parse "{path}": invalid URI for request')
    body = _body(k, path.split("?", 1)[0])
    k._print(body if isinstance(body, str) else json.dumps(body, separators=(",", ":")))
    return 0
