"""``kubectl logs``: a container's output from the kubelet (a port of ``pkg/cmd/logs``).

Simplified: ``-f`` prints what the container has written by now and ends, as the simulation moves only
when stepped.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..errors import ApiError
from .cmdutil import (
    Args,
    KubectlError,
    _request_timeout,
)

if TYPE_CHECKING:
    from . import Kubectl


def _cmd_logs(self: Kubectl, args: Args) -> int:
    if not args.positional and args.get("selector"):
        # Every Pod the selector matches, one after the other (kubectl streams them concurrently, so the
        # real order of their lines depends on timing).
        pods = self._list(self._resource("pods"), self._namespace(args), args.get("selector"))
        if not pods:
            self._eprint(f"No resources found in {self._namespace(args)} namespace.\n")
            return 0
        code = 0
        for pod in pods:
            code = self._cmd_logs(Args(args.command, [pod["metadata"]["name"]], args.flags, args.cmd)) or code
        return code
    if not args.positional:
        raise KubectlError(
            "expected 'logs [-f] [-p] (POD | TYPE/NAME) [-c CONTAINER]'.\nPOD or TYPE/NAME is a "
            "required argument for the logs command",
            "See 'kubectl logs -h' for help and examples\n",
        )
    ns = self._namespace(args)
    client = self._client()
    target = args.positional[0]
    container = args.get("container") or (args.positional[1] if len(args.positional) > 1 else None)
    if "/" in target:
        type_name, _, name = target.partition("/")
        rt = self._resource(type_name)
        if rt.plural != "pods":
            obj = client.get(rt.plural, name, ns)
            selector = ((obj.get("spec") or {}).get("selector") or {}).get("matchLabels") or {}
            pods = client.list(
                "pods", ns, label_selector=",".join(f"{k}={v}" for k, v in sorted(selector.items()))
            )
            if not pods["items"]:
                raise KubectlError("timed out waiting for the condition")
            target = pods["items"][0]["metadata"]["name"]
            if len(pods["items"]) > 1:  # polymorphichelpers attachablePodForObject
                self._eprint(f"Found {len(pods['items'])} pods, using pod/{target}\n")
        else:
            target = name
    pod = client.get("pods", target, ns)
    containers = [c["name"] for c in pod["spec"].get("containers") or []]
    if container is None:
        if len(containers) > 1:
            default = (pod["metadata"].get("annotations") or {}).get(
                "kubectl.kubernetes.io/default-container"
            )
            container = default or containers[0]
            self._eprint(f'Defaulted container "{container}" out of: {", ".join(containers)}\n')
        else:
            container = containers[0]
    elif container not in containers + [c["name"] for c in pod["spec"].get("initContainers") or []]:
        raise ApiError(400, "BadRequest", f"container {container} is not valid for pod {target}")
    node = pod["spec"].get("nodeName")
    if not node:
        raise ApiError(
            400,
            "BadRequest",
            f'container "{container}" in pod "{target}" is waiting to start: ContainerCreating',
        )
    # The API server proxies to the node's kubelet, which picks the container instance (or refuses).
    kubelet = self.cluster.kubelet(node)
    tail = self._int_flag(args, "tail", -1)
    lines = kubelet.logs(ns, target, container, bool(args.get("previous")), tail)
    if isinstance(lines, str):
        text = lines
    else:
        text = "".join(line if line.endswith("\n") else line + "\n" for line in lines or [])
    self._print(text)
    if args.get("follow") and _request_timeout(args.get("request-timeout")):
        # The stream stays open until the container ends; the simulated clock moves only when the learner
        # steps the cluster, so the client's deadline is what ends it, as against a real idle container.
        raise KubectlError("context deadline exceeded")
    return 0
