"""``kubectl auth can-i`` and ``kubectl auth whoami`` (``pkg/cmd/auth/cani.go``, ``whoami.go``).

``can-i`` resolves the resource through discovery as kubectl's REST mapper does, warns on stderr as
``Complete``/``Validate`` do (an unknown resource type, a cluster-scoped resource asked in a namespace, a verb
kubectl does not know) and asks the API server a SelfSubjectAccessReview: the kubeconfig's user,
``kubernetes-admin``, is a cluster admin, so the answer is ``yes``.  ``whoami`` creates a SelfSubjectReview
where the server serves one, and otherwise gives kubectl's own "not enabled" error.

Simplified: no ``--list`` (SelfSubjectRulesReview); the review is answered here as the served cluster's
``authorization.k8s.io`` does (always allowed).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from . import Args, Kubectl

__all__ = ["run_can_i", "run_whoami"]

RESOURCE_VERBS = {
    "get",
    "list",
    "watch",
    "create",
    "update",
    "patch",
    "delete",
    "deletecollection",
    "use",
    "bind",
    "impersonate",
    "*",
    "approve",
    "sign",
    "escalate",
    "attest",
}
NON_RESOURCE_VERBS = {"get", "put", "post", "head", "options", "delete", "patch", "*"}
#: Resources the server has that discovery does not list (the ``impersonate`` verb's users and groups).
NON_STANDARD = {"users", "groups"}
NOT_ENABLED = (
    "the selfsubjectreviews API is not enabled in the cluster\nenable APISelfSubjectReview feature gate "
    "and authentication.k8s.io/v1alpha1 or authentication.k8s.io/v1beta1 API"
)
#: The groups kubeadm gives the admin kubeconfig's client certificate (v1.29+), and the one every user has.
ADMIN_GROUPS = ["kubeadm:cluster-admins", "system:authenticated"]


# printers.WarningPrinter writes "Warning: <message>\n" and cani.go's messages end with their own "\n".


def _resource_for(k: Kubectl, arg: str) -> tuple[str, str, bool | None]:
    """``resourceFor``: (group, resource, namespaced) from discovery; a warning when there is no such type."""
    from . import _discovered

    if arg == "*":
        return "", "*", None
    lowered = arg.lower()
    resource, _, group = lowered.partition(".")
    for g, _, r in _discovered():
        if "/" in r["name"]:
            continue
        names = {r["name"], r.get("singularName") or "", *(r.get("shortNames") or [])}
        if (resource in names or lowered in names) and (not group or g == group or g.startswith(group + ".")):
            return g, r["name"], r["namespaced"]
    if lowered not in NON_STANDARD:
        k._eprint(
            f"Warning: the server doesn't have a resource type '{resource}' in group '{group}'\n\n"
            if group
            else f"Warning: the server doesn't have a resource type '{resource}'\n\n"
        )
    return "", arg, None


def run_can_i(k: Kubectl, args: Args) -> int:
    from . import KubectlError

    if args.get("list"):
        if args.positional:
            raise KubectlError("list option must be specified with no arguments")
        raise KubectlError(
            'the --list flag of "kubectl auth can-i" is not available in this simulated cluster'
        )
    if len(args.positional) != 2:
        raise KubectlError(
            "you must specify two arguments: verb resource or verb resource/resourceName.\n"
            "See 'kubectl auth can-i -h' for help and examples."
        )
    verb, what = args.positional
    all_ns = bool(args.get("all-namespaces"))
    if what.startswith("/"):
        if args.get("subresource"):
            raise KubectlError("--subresource can not be used with NonResourceURL")
        if verb not in NON_RESOURCE_VERBS:
            k._eprint(f"Warning: verb '{verb}' is not a known verb\n\n")
    else:
        group, resource, namespaced = _resource_for(k, what.split("/", 1)[0])
        if namespaced is False and not all_ns:
            k._eprint(
                f"Warning: resource '{resource}' is not namespace scoped in group '{group}'\n\n"
                if group
                else f"Warning: resource '{resource}' is not namespace scoped\n\n"
            )
        if verb not in RESOURCE_VERBS:
            k._eprint(f"Warning: verb '{verb}' is not a known verb\n\n")
    if args.get("no-headers"):
        raise KubectlError("--no-headers cannot be set without --list specified")
    if not args.get("quiet"):
        k._print("yes\n")
    return 0


def run_whoami(k: Kubectl, args: Args) -> int:
    from . import _discovered
    from .printers import tabulate

    if not any(
        g == "authentication.k8s.io" and r["name"] == "selfsubjectreviews" for g, _, r in _discovered()
    ):
        from . import KubectlError

        raise KubectlError(NOT_ENABLED)
    from ..objects import timestamp
    from . import USER

    # The server stamps the review with its clock (selfsubjectreview/rest.go); kubectl prints the typed
    # object, so -o json keeps the struct's field order (kind before apiVersion).
    review = {
        "kind": "SelfSubjectReview",
        "apiVersion": "authentication.k8s.io/v1",
        "metadata": {"creationTimestamp": timestamp(k.cluster.clock.now)},
        "status": {"userInfo": {"username": USER, "groups": ADMIN_GROUPS}},
    }
    output = args.get("output") or ""
    if output == "json":
        import json

        k._print(json.dumps(review, indent=4) + "\n")
        return 0
    if output:
        k._print_data(review, output)
        return 0
    k._print(
        tabulate([["ATTRIBUTE", "VALUE"], ["Username", USER], ["Groups", f"[{' '.join(ADMIN_GROUPS)}]"]])
    )
    return 0
