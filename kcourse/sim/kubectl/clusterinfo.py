"""The commands that describe the client and server rather than objects: ``version``, ``cluster-info``,
``api-resources``, ``api-versions``, ``config`` and ``auth`` (ports of their ``pkg/cmd`` packages).

Simplified: one kubeconfig context, ``kubernetes-admin@<cluster>``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .auth import run_can_i, run_whoami
from .cmdutil import (
    USER,
    VERSION,
    Args,
    KubectlError,
    _discovered,
)
from .printers import (
    tabulate,
)

if TYPE_CHECKING:
    from . import Kubectl


def _cmd_version(self: Kubectl, args: Args) -> int:
    text = f"Client Version: {VERSION}\nKustomize Version: v5.5.0\n"
    if not args.get("client"):
        text += f"Server Version: {VERSION}\n"
    self._print(text)
    return 0


def _cmd_cluster_info(self: Kubectl, _args: Args) -> int:
    ip = self._server_ip()
    # go-colortext colours the names and URLs only on a terminal; a notebook's output is not one.
    text = f"Kubernetes control plane is running at https://{ip}:6443\n"
    if self.api.peek("services", "kube-dns", "kube-system") is not None:
        text += (
            f"CoreDNS is running at https://{ip}:6443/api/v1/namespaces/kube-system/services/"
            "kube-dns:dns/proxy\n"
        )
    text += "\nTo further debug and diagnose cluster problems, use 'kubectl cluster-info dump'.\n"
    self._print(text)
    return 0


def _cmd_api_resources(self: Kubectl, args: Args) -> int:
    rows = [] if args.get("no-headers") else [["NAME", "SHORTNAMES", "APIVERSION", "NAMESPACED", "KIND"]]
    listed = []
    for group, version, resource in _discovered():
        if "/" not in resource["name"]:
            listed.append((group, resource["name"], version, resource))
    for group, name, version, r in sorted(listed, key=lambda x: (x[0], x[1])):
        rows.append(
            [
                name,
                ",".join(r.get("shortNames") or []),
                f"{group}/{version}" if group else version,
                str(r["namespaced"]).lower(),
                r["kind"],
            ]
        )
    if args.get("output") == "name":
        self._print(
            "".join(
                f"{name}.{group}\n" if group else f"{name}\n"
                for group, name, _, _ in sorted(listed, key=lambda x: (x[0], x[1]))
            )
        )
        return 0
    self._print(tabulate(rows))
    return 0


def _cmd_api_versions(self: Kubectl, _args: Args) -> int:
    """``apiversions.go``: every group version the server announces, sorted as strings."""
    versions = sorted({f"{g}/{v}" if g else v for g, v, _ in _discovered()})
    self._print("".join(f"{v}\n" for v in versions))
    return 0


def _cmd_config(self: Kubectl, args: Args) -> int:
    if args.positional[:1] == ["current-context"]:
        self._print(f"{USER}@{self.cluster.name}\n")
        return 0
    context = f"{USER}@{self.cluster.name}"
    if args.positional[:1] == ["get-contexts"]:
        header = ["CURRENT", "NAME", "CLUSTER", "AUTHINFO", "NAMESPACE"]
        missing = [n for n in args.positional[1:] if n != context]
        if missing:  # get_contexts.go prints the header, then the error
            self._print(
                tabulate(
                    [
                        header,
                        *(
                            [["*", context, self.cluster.name, USER, ""]]
                            if context in args.positional[1:]
                            else []
                        ),
                    ]
                )
            )
            raise KubectlError(f"context {missing[0]} not found")
        self._print(tabulate([header, ["*", context, self.cluster.name, USER, ""]]))
        return 0
    if args.positional[:1] in (["use-context"], ["use"]) and len(args.positional) == 2:
        if args.positional[1] != context:
            raise KubectlError(f'no context exists with the name: "{args.positional[1]}"')
        self._print(f'Switched to context "{context}".\n')
        return 0
    raise KubectlError(
        f'unknown command "{" ".join(args.positional)}"', "See 'kubectl config -h' for help and examples\n"
    )


def _cmd_auth(self: Kubectl, args: Args) -> int:
    sub = Args(args.command, args.positional[1:], args.flags, args.cmd)
    return run_whoami(self, sub) if args.cmd.path == "auth whoami" else run_can_i(self, sub)
