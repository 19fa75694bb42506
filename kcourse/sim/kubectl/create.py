"""``kubectl create`` and its generators (``create deployment``, ``configmap``, ``secret``, ``namespace``,
``token`` …): a port of ``pkg/cmd/create``.

Simplified: only the generators listed in :data:`.cmdutil.IMPLEMENTED`.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..errors import ApiError
from ..resources import ResourceType, lookup
from .cmdutil import (
    Args,
    KubectlError,
    standard_error,
)
from .printers import (
    resource_prefix,
)

if TYPE_CHECKING:
    from . import Kubectl


def _cmd_create(self: Kubectl, args: Args) -> int:
    generated = lookup(args.positional[0]) if args.positional else None
    if generated is not None and generated.kubectl_create is not None:
        return self._create_generated(generated, generated.kubectl_create, args)
    if args.positional and args.positional[0] in ("deployment", "deploy"):
        return self._create_deployment(args)
    if (
        args.positional
        and args.positional[0] in ("configmap", "cm")
        or args.positional[:2] == ["secret", "generic"]
    ):
        return self._create_from_literals(args)
    if args.positional and args.positional[0] in ("namespace", "ns"):
        if len(args.positional) != 2:
            raise KubectlError(
                f"exactly one NAME is required, got {len(args.positional) - 1}",
                "See 'kubectl create namespace -h' for help and examples\n",
            )
        ns = self._client().create(
            {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": args.positional[1]}}
        )
        self._print(f"namespace/{ns['metadata']['name']} created\n")
        return 0
    if args.positional and args.positional[0] == "token":
        return self._create_token(args)
    if not args.get("filename"):
        raise KubectlError("must specify one of -f and -k")
    return self._each_manifest(
        args,
        "creating",
        lambda obj, rt, ns: (
            f"{resource_prefix(rt)}/{self._client().create(obj, namespace=ns)['metadata']['name']} created\n"
        ),
    )


def _create_token(_self: Kubectl, args: Args) -> int:
    """``create token``: a TokenRequest on the ServiceAccount's ``token`` subresource.  The simulated API
    server has no TokenRequest API, so the answer is kubectl's for a server without it (a 404 for the
    subresource, whatever the account)."""
    if len(args.positional) != 2:
        raise KubectlError(
            "exactly one NAME is required", "See 'kubectl create token -h' for help and examples\n"
        )
    raise KubectlError("failed to create token: the server could not find the requested resource")


def _create_generated(
    self: Kubectl, kind: ResourceType, build: Callable[[list[str], dict[str, Any]], dict], args: Args
) -> int:
    """``kubectl create <kind> NAME …`` for a kind whose entry (kcourse.sim.kinds) builds the object."""
    try:
        obj = build(args.positional[1:], args.flags)
    except ValueError as e:
        raise KubectlError(
            str(e),
            f"See 'kubectl create {kind.singular} -h' for help and examples\n" if "NAME" in str(e) else "",
        ) from None
    try:
        stored = self._client().create(obj, namespace=self._namespace(args))
    except ApiError as e:
        raise KubectlError(f"failed to create {kind.singular}: {e.message}") from None
    self._print(f"{resource_prefix(kind)}/{stored['metadata']['name']} created\n")
    return 0


def _create_from_literals(self: Kubectl, args: Args) -> int:
    """``create configmap NAME --from-literal=k=v`` and ``create secret generic NAME …`` (data
    base64-encoded)."""
    secret = args.positional[0] == "secret"
    words = args.positional[2:] if secret else args.positional[1:]
    what = "secret generic" if secret else "configmap"
    if len(words) != 1:
        raise KubectlError(
            f"exactly one NAME is required, got {len(words)}",
            f"See 'kubectl create {what} -h' for help and examples\n",
        )
    data: dict[str, str] = {}
    for literal in args.get("from-literal") or []:
        key, eq, value = literal.partition("=")
        if not eq or not key:
            raise KubectlError(f"invalid literal source {literal}, expected key=value")
        if key in data:
            raise KubectlError(
                f'cannot add key "{key}", another key by that name already exists in Data for '
                f'{"Secret" if secret else "ConfigMap"} "{words[0]}"'
            )
        data[key] = base64.b64encode(value.encode()).decode() if secret else value
    obj: dict[str, Any] = {
        "apiVersion": "v1",
        "kind": "Secret" if secret else "ConfigMap",
        "metadata": {"name": words[0]},
    }
    if secret:
        obj["type"] = "Opaque"
    if data:
        obj["data"] = data
    try:
        self._client().create(obj, namespace=self._namespace(args))
    except ApiError as e:
        self._eprint(standard_error(e))
        return 1
    self._print(f"{'secret' if secret else 'configmap'}/{words[0]} created\n")
    return 0


def _create_deployment(self: Kubectl, args: Args) -> int:
    """``create deployment NAME --image=… [-- COMMAND [args…]]``: words after ``--`` are the first
    container's command (create_deployment.go: NameFromCommandArgs counts the words before the dash)."""
    before_dash = args.positional[1 : args.dash_at] if args.dash_at >= 0 else args.positional[1:]
    command = args.positional[args.dash_at :] if args.dash_at >= 0 else []
    if len(before_dash) != 1:
        raise KubectlError(
            f"exactly one NAME is required, got {len(before_dash)}",
            "See 'kubectl create deployment -h' for help and examples\n",
        )
    name = before_dash[0]
    images = args.get("image") or []  # --image= is no image: the API server answers for it
    if len(images) > 1 and command:
        raise KubectlError("cannot specify multiple --image options and command")
    replicas = self._int_flag(args, "replicas", 1)
    containers = [
        {
            "name": image.rsplit("/", 1)[-1].split(":")[0].split("@")[0].replace("_", "-"),
            "image": image,
            "resources": {},
        }
        for image in images
    ]
    port = self._int_flag(args, "port", -1)
    if containers and port is not None and port >= 0:
        containers[0]["ports"] = [{"containerPort": port}]
    if containers and command:
        containers[0] = {"command": command, **containers[0]}
    obj = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "labels": {"app": name}},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "strategy": {},
            "template": {"metadata": {"labels": {"app": name}}, "spec": {"containers": containers}},
        },
    }
    try:
        self._client().create(obj, namespace=self._namespace(args))
    except ApiError as e:
        raise KubectlError(f"failed to create deployment: {e.message}") from None
    self._print(f"deployment.apps/{name} created\n")
    return 0
