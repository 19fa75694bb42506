"""``kubectl run``: create one Pod from an image (a port of ``pkg/cmd/run``).

Simplified: no ``--attach``/``-i``/``--rm``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .cmdutil import (
    Args,
    KubectlError,
    parse_labels,
)
from .goparse import GoError, atoi

if TYPE_CHECKING:
    from . import Kubectl


def _cmd_run(self: Kubectl, args: Args) -> int:
    if not args.positional:
        raise KubectlError("NAME is required for run", "See 'kubectl run -h' for help and examples\n")
    name = args.positional[0]
    image = args.get("image")
    if not image:
        raise KubectlError("--image is required")
    restart = args.get("restart") or "Always"
    if restart not in ("Always", "OnFailure", "Never"):
        raise KubectlError(
            f"invalid restart policy: {restart}", "See 'kubectl run -h' for help and examples\n"
        )
    pull = args.get("image-pull-policy") or ""
    if pull not in ("", "Always", "IfNotPresent", "Never"):
        raise KubectlError(
            f"invalid image pull policy: {pull}", "See 'kubectl run -h' for help and examples\n"
        )
    env = []
    for spec in args.get("env") or []:
        key, eq, value = spec.partition("=")
        if not eq or not key:
            raise KubectlError(f"invalid env: {spec}")
        env.append({"name": key, "value": value})
    annotations = {}
    for spec in args.get("annotations") or []:
        key, eq, value = spec.partition("=")
        if not eq:
            raise KubectlError(f"invalid annotations format: {spec}")
        annotations[key] = value
    labels = {"run": name}
    if args.get("labels"):
        labels = parse_labels(args.get("labels"))
    container: dict[str, Any] = {"name": name, "image": image, "resources": {}}
    if args.get("port"):
        try:
            port = atoi(args.get("port"))
            container["ports"] = [{"containerPort": (port + 2**31) % 2**32 - 2**31}]  # Go's int32(port)
        except GoError as e:
            raise KubectlError(str(e)) from None
    if len(args.positional) > 1:
        container["command" if args.get("command") else "args"] = args.positional[1:]
    if env:
        container["env"] = env
    if pull:
        container["imagePullPolicy"] = pull
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "labels": labels},
        "spec": {"containers": [container], "dnsPolicy": "ClusterFirst", "restartPolicy": restart},
    }
    if annotations:
        pod["metadata"]["annotations"] = annotations
    self._client().create(pod, namespace=self._namespace(args))
    self._print(f"pod/{name} created\n")
    return 0
