"""What every command shares, as kubectl's ``pkg/cmd/util`` does: the parsed command line (:class:`Args`),
kubectl's error type, the command tables, klog headers, dry-run strategy, label specs and the three-way
patch that ``apply`` and ``diff`` compute.

Simplified: see the package's docstring.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..errors import ApiError
from ..kinds import KINDS, category
from ..objects import deep_copy
from ..resources import ResourceType, by_plural
from .flags import ROOT, Command, parse_command_line
from .goparse import GoError, go_quote, parse_duration

VERSION = "v1.32.0"
LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"
WAIT_TIMEOUT = 600.0
#: ``kubectl top pod`` expects metrics for a pod older than this (``metricsCreationDelay``).
METRICS_CREATION_DELAY = 120.0
USER = "kubernetes-admin"
#: kubectl's commands in the order cobra holds them (its "Did you mean this?" follows this order).
COMMANDS = (
    "create",
    "expose",
    "run",
    "set",
    "explain",
    "get",
    "edit",
    "delete",
    "rollout",
    "scale",
    "autoscale",
    "certificate",
    "cluster-info",
    "top",
    "cordon",
    "uncordon",
    "drain",
    "taint",
    "describe",
    "logs",
    "attach",
    "exec",
    "port-forward",
    "proxy",
    "cp",
    "auth",
    "debug",
    "events",
    "diff",
    "apply",
    "patch",
    "replace",
    "wait",
    "kustomize",
    "label",
    "annotate",
    "completion",
    "api-versions",
    "api-resources",
    "config",
    "plugin",
    "version",
)

#: The resource builder's error when a command names nothing (``cli-runtime`` ``resource/builder.go``).
NO_RESOURCES = (
    "You must provide one or more resources by argument or filename.\nExample resource specifications "
    "include:\n   '-f rsrc.yaml'\n   '--filename=rsrc.json'\n   '<resource> <name>'\n   '<resource>'"
)
#: What the generic printer flags accept (``cli-runtime`` ``PrintFlags.AllowedFormats``), as kubectl lists
#: them.
PRINTER_FORMATS = (
    "go-template,go-template-file,json,jsonpath,jsonpath-as-json,jsonpath-file,name,template,"
    "templatefile,yaml"
)
TEMPLATE_FORMATS = (
    "go-template",
    "go-template-file",
    "template",
    "templatefile",
    "jsonpath",
    "jsonpath-file",
    "jsonpath-as-json",
)
#: Flags cobra itself requires (``MarkFlagRequired``), checked before the command runs.
REQUIRED = {"create deployment": ("image",), "run": ("image",), "scale": ("replicas",)}
#: The ``all`` category's resource types, in discovery order.
ALL = category("all")

#: Flags that change nothing a learner can see in the simulated cluster: parsed and checked, then ignored.
INERT = {
    "request-timeout",
    "cache-dir",
    "v",
    "vmodule",
    "log-flush-frequency",
    "disable-compression",
    "insecure-skip-tls-verify",
    "tls-server-name",
    "match-server-version",
    "warnings-as-errors",
    "allow-missing-template-keys",
    "chunk-size",
    "field-manager",
    "show-managed-fields",
    "validate",
    "server-print",
    "save-config",
    "windows-line-endings",
    "pod-running-timeout",
    "disable-eviction",
    "skip-wait-for-delete-timeout",
}
#: The flags each command honours, besides ``-n``, ``--help`` and :data:`INERT` (its other real flags are
#: parsed and checked, and refused unless left at their defaults).
SUPPORTED: dict[str, set[str]] = {
    "get": {
        "raw",
        "output",
        "selector",
        "field-selector",
        "show-labels",
        "filename",
        "sort-by",
        "no-headers",
        "watch",
        "recursive",
        "label-columns",
        "all-namespaces",
    },
    "describe": {"selector", "all-namespaces"},
    "apply": {"filename", "dry-run", "recursive", "selector", "server-side", "force-conflicts"},
    "create": {"filename", "image", "replicas", "port", "recursive", "from-literal"},
    "run": {"image", "port", "labels", "restart", "env", "annotations", "image-pull-policy", "command"},
    "delete": {
        "filename",
        "selector",
        "all",
        "force",
        "grace-period",
        "now",
        "wait",
        "field-selector",
        "dry-run",
        "output",
        "recursive",
    },
    "scale": {"replicas", "filename"},
    "cordon": {"selector"},
    "uncordon": {"selector"},
    "drain": {"ignore-daemonsets", "delete-emptydir-data", "force", "grace-period", "selector", "timeout"},
    "logs": {"previous", "container", "tail", "selector", "follow"},
    "rollout": {"watch", "timeout", "to-revision", "revision"},
    "label": {"overwrite", "selector", "all"},
    "annotate": {"overwrite", "selector", "all"},
    "expose": {"port", "target-port", "name", "type", "protocol", "selector"},
    "top": {"selector", "no-headers", "sort-by", "all-namespaces"},
    "version": {"client"},
    "cluster-info": set(),
    "api-versions": set(),
    "taint": {"all", "selector", "overwrite", "dry-run"},
    "diff": {"filename", "recursive"},
    "explain": {"recursive", "api-version"},
    "wait": {
        "for",
        "timeout",
        "selector",
        "all",
        "all-namespaces",
        "field-selector",
        "filename",
        "recursive",
    },
    "set": {"dry-run", "filename", "recursive", "list", "containers", "limits", "requests"},
    "patch": {"patch", "patch-file", "type", "dry-run", "output", "filename", "recursive"},
    "replace": {"filename", "dry-run", "recursive"},
    "edit": {"filename", "recursive", "output"},
    "auth": {"all-namespaces", "subresource", "quiet", "list", "no-headers", "output"},
    "api-resources": {"output", "no-headers"},
    "config": set(),
    "events": {"all-namespaces", "for", "types", "output", "no-headers"},
}
#: Subcommands the simulated cluster runs (a parent listed here runs its own fallbacks for the rest).
IMPLEMENTED = {
    "get",
    "describe",
    "apply",
    "create",
    "create deployment",
    "create namespace",
    "create configmap",
    "create secret",
    "create secret generic",
    "create token",
    "run",
    "delete",
    "scale",
    "cordon",
    "uncordon",
    "drain",
    "logs",
    "rollout",
    "rollout status",
    "rollout history",
    "rollout restart",
    "rollout undo",
    "rollout pause",
    "rollout resume",
    "label",
    "annotate",
    "expose",
    "top",
    "top node",
    "top pod",
    "version",
    "cluster-info",
    "api-resources",
    "api-versions",
    "config",
    "auth",
    "auth can-i",
    "auth whoami",
    "taint",
    "patch",
    "replace",
    "edit",
    "set",
    "set image",
    "set env",
    "set resources",
    "set selector",
    "wait",
    "diff",
    "explain",
    "config current-context",
    "config get-contexts",
    "config use-context",
    "events",
}
#: ``kubectl create <kind>`` for the kinds whose entry builds the object, with the flags it reads.
IMPLEMENTED |= {f"create {kind.singular}" for kind in KINDS if kind.kubectl_create is not None}
SUPPORTED["create"] |= {flag for kind in KINDS for flag in kind.create_flags}


class KubectlError(Exception):
    """A client-side error: printed as ``error: <message>`` with exit code 1."""

    def __init__(self, message: str, usage: str = ""):
        super().__init__(message)
        self.message, self.usage = message, usage


class Output(str):
    """What kubectl printed; in a notebook it displays as the terminal would."""

    def _repr_pretty_(self, p: Any, _cycle: bool) -> None:
        p.text(self.rstrip("\n"))


@dataclass
class Args:
    """A parsed command line: the top-level command, the words after it, the flags the user set (typed)."""

    command: str
    positional: list[str]
    flags: dict[str, Any] = field(default_factory=dict)
    cmd: Command = field(default_factory=lambda: ROOT)
    #: How many of ``positional`` came before ``--`` (cobra's ArgsLenAtDash), or -1 without ``--``.
    dash_at: int = -1

    def get(self, name: str, default: Any = None) -> Any:
        return self.flags.get(name, default)


def _levenshtein(a: str, b: str) -> int:
    a, b = a.lower(), b.lower()
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def suggestions(typed: str) -> list[str]:
    """cobra's SuggestionsFor: Levenshtein distance ≤ 2 or a prefix."""
    # The distance is at least the difference in length: a long word is compared with nothing (linear time).
    return [
        c
        for c in COMMANDS
        if (abs(len(typed) - len(c)) <= 2 and _levenshtein(typed, c) <= 2) or c.startswith(typed.lower())
    ]


def parse(argv: list[str]) -> Args:
    """Find the command and parse every flag, typed, as cobra and pflag do (:mod:`.flags`).

    Raises :class:`FlagError` for the first mistake, before anything runs.
    """
    if argv and argv[0] == "kubectl":
        argv = argv[1:]
    parsed = parse_command_line(list(argv))
    words = parsed.typed_words
    dash_at = len(words[1:]) + parsed.dash_at if parsed.dash_at >= 0 else -1
    return Args(
        words[0] if words else "", words[1:] + parsed.positional, parsed.values, parsed.command, dash_at
    )


#: The thread id klog writes in its header; a simulated kubectl is process 1.
KLOG_THREAD = 1


def klog_header(severity: str, now: float) -> str:
    """klog's ``Lmmdd hh:mm:ss.uuuuuu threadid``, at the simulated instant."""
    from datetime import timedelta

    from ..objects import EPOCH

    when = EPOCH + timedelta(seconds=now)
    return f"{severity}{when:%m%d %H:%M:%S.%f} {KLOG_THREAD:7d}"


def dry_run_strategy(args: Args) -> str:
    """``cmdutil.GetDryRunStrategy``: ``none``, ``client`` (also a bare ``--dry-run``) or ``server``."""
    dry = args.get("dry-run") or "none"
    return "client" if dry == "unchanged" else dry


#: What a printer with the dry-run strategy adds after the operation (``PrintFlagsWithDryRunStrategy``).
DRY_SUFFIX = {"client": " (dry run)", "server": " (server dry run)"}


def _discovered() -> list[tuple[str, str, dict]]:
    """(group, version, APIResource) of everything the API server announces in discovery.

    The announcement is the API server's own (``kcourse.sim.discovery``, which the served API serves too), so
    ``api-resources`` here and against the served cluster list the same resources."""
    from .. import discovery

    out = []
    for group, version in discovery.group_versions():
        listing = discovery.api_resource_list(group, version) or {"resources": []}
        out.extend((group, version, r) for r in listing["resources"])
    return out


def _is_pair(word: str) -> bool:
    return ("=" in word and not word.startswith("=")) or (word.endswith("-") and word != "-")


def resources_and_pairs(
    words: list[str], kind: str, is_change: Callable[[str], bool] = _is_pair
) -> tuple[list[str], list[str]]:
    """``cmdutil.GetResourcesAndPairs``: the resources, then the ``k=v``/``k-`` changes (or what ``is_change``
    says is one); a resource after a change is an error."""
    resources: list[str] = []
    pairs: list[str] = []
    for word in words:
        if is_change(word):
            pairs.append(word)
        elif pairs:
            raise KubectlError(f"all resources must be specified before {kind} changes: {word}")
        else:
            resources.append(word)
    return resources, pairs


_LABEL_VALUE = re.compile(r"(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?")


def parse_labels_spec(pairs: list[str]) -> tuple[dict[str, str], list[str]]:
    """label.go ``parseLabels``: ``k=v`` with a valid label value (``IsValidLabelValue``), ``k-`` to
    remove."""
    sets: dict[str, str] = {}
    removes: list[str] = []
    for spec in pairs:
        if "=" in spec:
            parts = spec.split("=")
            if len(parts) != 2:
                raise KubectlError(f"invalid label spec: {spec}")
            problems = []
            if len(parts[1]) > 63:
                problems.append("must be no more than 63 characters")
            if not _LABEL_VALUE.fullmatch(parts[1]):
                problems.append(
                    "a valid label must be an empty string or consist of alphanumeric characters, '-', "
                    "'_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  "
                    "or 'my_value',  or '12345', regex used for validation is "
                    "'(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"
                )
            if problems:
                raise KubectlError(f"invalid label value: {go_quote(spec)}: {';'.join(problems)}")
            sets[parts[0]] = parts[1]
        else:
            removes.append(spec[:-1])
    if any(key in sets for key in removes):
        raise KubectlError("can not both modify and remove a label in the same command")
    return sets, removes


def parse_annotations_spec(pairs: list[str]) -> tuple[dict[str, str], list[str]]:
    """annotate.go ``parseAnnotations``: ``k=v`` (the value may hold ``=``), ``k-`` to remove."""
    sets: dict[str, str] = {}
    removes: list[str] = []
    for spec in pairs:
        if "=" in spec:
            key, _, value = spec.partition("=")
            sets[key] = value
        else:
            removes.append(spec[:-1])
    return sets, removes


def parse_labels(spec: str) -> dict[str, str]:
    """``generate.ParseLabels``: ``k=v,k2=v2`` for ``kubectl run --labels``."""
    labels: dict[str, str] = {}
    for part in spec.split(","):
        pair = part.split("=")
        if len(pair) != 2:
            raise KubectlError(f"unexpected label spec: {part}")
        if not pair[0]:
            raise KubectlError("unexpected empty label key")
        labels[pair[0]] = pair[1]
    return labels


def _request_timeout(text: str | None) -> float:
    """``--request-timeout`` in seconds (0: none): a bare integer is seconds, else a Go duration."""
    if not text:
        return 0.0
    try:
        return float(int(text)) if text.isdigit() else parse_duration(text)
    except (GoError, ValueError):
        return 0.0


def _valid_request_timeout(text: str) -> bool:
    """``--request-timeout``: a whole number of seconds or a Go duration (client-go's ``ConfigFlags``)."""
    if text.isascii() and text.isdigit():
        return True
    try:
        parse_duration(text)
    except GoError:
        return False
    return True


def _deleted_name(rt: ResourceType) -> str:
    return rt.singular if not rt.group else f"{rt.singular}.{rt.group}"


def _top_sorted(objs: list[dict], usage: Callable[[dict], dict], sort_by: str) -> list[dict]:
    """``--sort-by cpu|memory``: the heaviest first; otherwise the order given (by name)."""
    return sorted(objs, key=lambda o: -usage(o)[sort_by]) if sort_by else objs


def rollout_message(rt: ResourceType, obj: dict) -> tuple[str, bool]:
    """The DeploymentStatusViewer / DaemonSetStatusViewer line and whether the rollout is done."""
    name = obj["metadata"]["name"]
    spec, st = obj.get("spec") or {}, obj.get("status") or {}
    if rt.plural == "deployments":
        if obj["metadata"].get("generation", 0) <= st.get("observedGeneration", 0):
            for c in st.get("conditions") or []:
                if c.get("type") == "Progressing" and c.get("reason") == "ProgressDeadlineExceeded":
                    raise KubectlError(f'deployment "{name}" exceeded its progress deadline')
            replicas = spec.get("replicas", 1)
            updated, total = st.get("updatedReplicas", 0), st.get("replicas", 0)
            available = st.get("availableReplicas", 0)
            if updated < replicas:
                return (
                    (
                        f'Waiting for deployment "{name}" rollout to finish: {updated} out of {replicas} new '
                        "replicas have been updated...\n"
                    ),
                    False,
                )
            if total > updated:
                return (
                    (
                        f'Waiting for deployment "{name}" rollout to finish: {total - updated} old '
                        "replicas are pending termination...\n"
                    ),
                    False,
                )
            if available < updated:
                return (
                    (
                        f'Waiting for deployment "{name}" rollout to finish: {available} of {updated} '
                        "updated replicas are available...\n"
                    ),
                    False,
                )
            return f'deployment "{name}" successfully rolled out\n', True
        return "Waiting for deployment spec update to be observed...\n", False
    if rt.plural == "daemonsets":
        if obj["metadata"].get("generation", 0) <= st.get("observedGeneration", 0):
            desired, updated = st.get("desiredNumberScheduled", 0), st.get("updatedNumberScheduled", 0)
            available = st.get("numberAvailable", 0)
            if updated < desired:
                return (
                    (
                        f'Waiting for daemon set "{name}" rollout to finish: {updated} out of {desired} '
                        "new pods have been updated...\n"
                    ),
                    False,
                )
            if available < desired:
                return (
                    (
                        f'Waiting for daemon set "{name}" rollout to finish: {available} of {desired} '
                        "updated pods are available...\n"
                    ),
                    False,
                )
            return f'daemon set "{name}" successfully rolled out\n', True
        return "Waiting for daemon set spec update to be observed...\n", False
    raise KubectlError(f"no status viewer has been implemented for {rt.kind}")


def three_way_patch(original: Any, modified: Any, current: Any) -> dict:
    """The strategic merge patch kubectl sends: what ``modified`` changes in ``current``, and deletions.

    A field in the last-applied ``original`` that the new manifest drops is
    set to null (deleted); a field someone else added (not in ``original``)
    is left alone.  Lists the API merges by key (containers by name, ports by
    containerPort…) are patched element by element.
    """
    from ..apiserver import MERGE_KEYS

    patch: dict[str, Any] = {}
    original = original if isinstance(original, dict) else {}
    current = current if isinstance(current, dict) else {}
    for key, value in modified.items():
        cur = current.get(key)
        if isinstance(value, dict) and isinstance(cur, dict):
            sub = three_way_patch(original.get(key), value, cur)
            if sub:
                patch[key] = sub
        elif (
            isinstance(value, list)
            and isinstance(cur, list)
            and key in MERGE_KEYS
            and all(isinstance(v, dict) for v in value + cur)
        ):
            sub_list = _list_patch(original.get(key), value, cur, MERGE_KEYS[key])
            if sub_list:
                patch[key] = sub_list
        elif cur != value or key not in current:
            patch[key] = deep_copy(value)
    for key in original:
        if key not in modified and key in current:
            patch[key] = None
    return patch


def _list_patch(original: Any, modified: list[dict], current: list[dict], merge_key: str) -> list[dict]:
    current_by = {c.get(merge_key): c for c in current}
    original_by = {o.get(merge_key): o for o in original or [] if isinstance(o, dict)}
    modified_keys = {m.get(merge_key) for m in modified}
    out: list[dict] = []
    for item in modified:
        k = item.get(merge_key)
        if k not in current_by:
            out.append(deep_copy(item))
            continue
        sub = three_way_patch(original_by.get(k), item, current_by[k])
        if sub:
            out.append({merge_key: k, **sub})
    for k in original_by:
        if k not in modified_keys and k in current_by:
            out.append({merge_key: k, "$patch": "delete"})
    return out


def go_errno_text(e: OSError | ValueError) -> str:
    """A system call's error as Go's ``syscall.Errno`` prints it: glibc's text with a lower-case first
    letter (``file name too long``); a path with a NUL byte never reaches the kernel (``invalid
    argument``)."""
    text = getattr(e, "strerror", None) or "invalid argument"
    return text[:1].lower() + text[1:]


def path_problem(path: str) -> str | None:
    """Why a ``-f`` path is refused before anything is read, or None (cli-runtime ``resource/builder.go``
    ``Path``: ``os.Stat``'s not-exist error is ``does not exist``, any other ``cannot be accessed``)."""
    try:
        os.stat(path) if path else None
    except FileNotFoundError:
        return f'the path "{path}" does not exist'
    except (OSError, ValueError) as e:
        return f'the path "{path}" cannot be accessed: stat {path}: {go_errno_text(e)}'
    return None if path else f'the path "{path}" does not exist'


def read_file(path: str) -> bytes:
    """Go's ``os.ReadFile``, with its error texts (``open PATH: no such file or directory``, ``read PATH: is
    a directory``) as :class:`KubectlError` messages."""
    try:
        with open(path, "rb") as f:
            return f.read()
    except IsADirectoryError:
        raise KubectlError(f"read {path}: is a directory") from None
    except (OSError, ValueError) as e:
        raise KubectlError(f"open {path}: {go_errno_text(e)}") from None


def kubeconfig_problem(path: str) -> str | None:
    """Why ``--kubeconfig=PATH`` is refused, or None (client-go ``tools/clientcmd/loader.go`` ``Load``: a
    path ``os.Stat`` finds missing is that error; any other is read with ``os.ReadFile``, whose error is
    wrapped as ``error loading config file``).  The file's content is not read: the simulated cluster's
    kubectl talks to its own API server whatever the file says."""
    try:
        info = os.stat(path)
    except FileNotFoundError:
        return f"stat {path}: no such file or directory"
    except (OSError, ValueError) as e:
        return f'error loading config file "{path}": open {path}: {go_errno_text(e)}'
    if stat.S_ISDIR(info.st_mode):
        return f'error loading config file "{path}": read {path}: is a directory'
    if not os.access(path, os.R_OK):
        return f'error loading config file "{path}": open {path}: permission denied'
    return None


def with_source(e: ApiError, verb: str, source: str) -> ApiError:
    """``cmdutil.AddSourceToErr``: ``error when creating "web.yaml": …`` (the Status stays a Status)."""
    if not source:
        return e
    return ApiError(
        e.code,
        e.reason,
        f'error when {verb} "{source}": {e.message}',
        kind=e.kind,
        name=e.name,
        group=e.group,
        causes=list(e.causes),
    )


def standard_error(e: ApiError) -> str:
    """How kubectl's CheckErr prints a Status error (``Error from server (NotFound): …``, ``The Pod "x" is
    invalid``)."""
    if e.reason == "Invalid" and e.causes:
        kind = by_plural(e.kind).kind if by_plural(e.kind) else e.kind
        qualified = kind if not e.group else f"{kind}.{e.group}"
        prefix = f'The {qualified} "{e.name}" is invalid: '
        if len(e.causes) == 1:
            return f"{prefix}{e.causes[0]}\n"
        return prefix + "\n" + "".join(f"* {c}\n" for c in e.causes)
    if e.reason == "Invalid" and not (e.kind or e.name or e.group):  # a Status with no details (helpers.go)
        return f"The request is invalid: {e.message}\n" if e.message else "The request is invalid\n"
    if not e.reason:
        return f"Error from server: {e.message}\n"
    return f"Error from server ({e.reason}): {e.message}\n"
