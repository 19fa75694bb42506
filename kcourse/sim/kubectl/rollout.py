"""``kubectl rollout``: status, history, undo, restart, pause and resume of workloads (a port of
``pkg/cmd/rollout``).

Simplified: ``undo`` restores the previous ReplicaSet's template; status runs the simulation forward.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..errors import ApiError
from ..objects import deep_copy
from ..resources import ResourceType
from .cmdutil import (
    WAIT_TIMEOUT,
    Args,
    KubectlError,
    rollout_message,
)
from .describe import go_tabwriter, pod_template_text
from .printers import (
    resource_prefix,
)

if TYPE_CHECKING:
    from . import Kubectl


def _cmd_rollout(self: Kubectl, args: Args) -> int:
    if not args.positional:
        raise KubectlError("Required resource not specified.")
    sub, rest = args.positional[0], args.positional[1:]
    if sub not in ("status", "history", "restart", "undo", "pause", "resume"):
        raise KubectlError(
            f'unknown command "{" ".join(args.positional)}"',
            "See 'kubectl rollout -h' for help and examples\n",
        )
    targets, _ = self._targets(rest)
    if not targets or not targets[0][1]:
        raise KubectlError(
            "required resource not specified", f"See 'kubectl rollout {sub} -h' for help and examples\n"
        )
    rt, names = targets[0]
    ns = self._namespace(args)
    client = self._client()
    for name in names:
        obj = client.get(rt.plural, name, ns)
        if sub == "status":
            return self._rollout_status(rt, name, ns, args)
        if sub == "restart":
            stamp = f"{self.cluster.timestamp()}"
            client.patch(
                rt.plural,
                name,
                {
                    "spec": {
                        "template": {
                            "metadata": {"annotations": {"kubectl.kubernetes.io/restartedAt": stamp}}
                        }
                    }
                },
                namespace=ns,
                patch_type="strategic",
            )
            self._print(f"{resource_prefix(rt)}/{name} restarted\n")
        elif sub in ("pause", "resume"):
            paused = sub == "pause"
            if bool((obj.get("spec") or {}).get("paused")) == paused:
                self._print(f"{resource_prefix(rt)}/{name} already {sub}d\n")
                continue
            client.patch(
                rt.plural,
                name,
                {"spec": {"paused": True if paused else None}},
                namespace=ns,
                patch_type="merge",
            )
            self._print(f"{resource_prefix(rt)}/{name} {sub}d\n")
        elif sub == "history":
            revision = self._int_flag(args, "revision", 0) or 0
            if revision:
                self._rollout_revision(rt, obj, revision)
            else:
                self._rollout_history(rt, obj)
        elif sub == "undo":
            self._rollout_undo(rt, obj, self._int_flag(args, "to-revision", 0) or 0)
    return 0


def _owned_replicasets(self: Kubectl, d: dict) -> list[dict]:
    uid = d["metadata"]["uid"]
    rss = [
        rs
        for rs in self.api.items("replicasets", d["metadata"]["namespace"])
        if any(r.get("uid") == uid for r in rs["metadata"].get("ownerReferences") or [])
    ]
    return sorted(
        rss,
        key=lambda rs: int(
            (rs["metadata"].get("annotations") or {}).get("deployment.kubernetes.io/revision", "0") or 0
        ),
    )


def _rollout_history(self: Kubectl, rt: ResourceType, obj: dict) -> None:
    if rt.plural != "deployments":
        raise KubectlError(f'no history viewer has been implemented for "{rt.kind}"')
    rows = [["REVISION", "CHANGE-CAUSE"]]
    for rs in self._owned_replicasets(obj):
        ann = rs["metadata"].get("annotations") or {}
        rows.append(
            [
                ann.get("deployment.kubernetes.io/revision", "0"),
                ann.get("kubernetes.io/change-cause", "<none>"),
            ]
        )
    # history.go writes the table through describe's tabbedString (padding 2), not the printers' tabwriter.
    table = go_tabwriter("".join("\t".join(r) + "\n" for r in rows))
    self._print(f"{resource_prefix(rt)}/{obj['metadata']['name']} \n{table}\n")


def _rollout_revision(self: Kubectl, rt: ResourceType, obj: dict, revision: int) -> None:
    """``rollout history --revision=N``: the ReplicaSet's Pod template as ``DescribePodTemplate`` writes it,
    without a tabwriter (``polymorphichelpers/history.go`` ``printTemplate``)."""
    if rt.plural != "deployments":
        raise KubectlError(f'no history viewer has been implemented for "{rt.kind}"')
    for rs in self._owned_replicasets(obj):
        ann = rs["metadata"].get("annotations") or {}
        if ann.get("deployment.kubernetes.io/revision") == str(revision):
            template = deep_copy((rs.get("spec") or {}).get("template") or {})
            if ann.get("kubernetes.io/change-cause"):
                template.setdefault("metadata", {}).setdefault("annotations", {})[
                    "kubernetes.io/change-cause"
                ] = ann["kubernetes.io/change-cause"]
            self._print(
                f"{resource_prefix(rt)}/{obj['metadata']['name']} with revision #{revision}\n"
                f"{pod_template_text(template)}\n"
            )
            return
    raise KubectlError("unable to find the specified revision")


def _rollout_undo(self: Kubectl, rt: ResourceType, obj: dict, to_revision: int) -> None:
    rss = self._owned_replicasets(obj)
    revision = lambda rs: int(
        (rs["metadata"].get("annotations") or {}).get("deployment.kubernetes.io/revision", "0") or 0
    )
    if to_revision:
        match = [rs for rs in rss if revision(rs) == to_revision]
        if not match:
            raise KubectlError(f"unable to find specified revision {to_revision} in history")
        target = match[0]
    else:
        if len(rss) < 2:
            raise KubectlError(f'no rollout history found for deployment "{obj["metadata"]["name"]}"')
        target = rss[-2]
    template = deep_copy(target["spec"]["template"])
    template["metadata"].get("labels", {}).pop("pod-template-hash", None)
    self._client().patch(
        rt.plural,
        obj["metadata"]["name"],
        {"spec": {"template": {"$patch": "replace", **template}}},
        namespace=obj["metadata"]["namespace"],
        patch_type="strategic",
    )
    self._print(f"{resource_prefix(rt)}/{obj['metadata']['name']} rolled back\n")


def _rollout_status(self: Kubectl, rt: ResourceType, name: str, ns: str, args: Args) -> int:
    """``kubectl rollout status``: the DeploymentStatusViewer's messages, waiting as the real command."""
    watch = args.get("watch", True)
    last: list[str] = []

    def check() -> tuple[str, bool]:
        obj = self.api.peek(rt.plural, name, ns)
        if obj is None:
            raise ApiError(404, "NotFound", f'{rt.qualified} "{name}" not found')
        return rollout_message(rt, obj)

    def progress() -> None:
        msg, _ = check()
        if msg != last[-1]:
            last.append(msg)
            self._print(msg)

    msg, done = check()
    last.append(msg)
    self._print(msg)
    if done or not watch:
        return 0
    timeout = args.get("timeout") or WAIT_TIMEOUT
    finished = self._wait(lambda: check()[1], timeout, progress)
    if not finished:
        raise KubectlError("timed out waiting for the condition")
    return 0
