"""kubectl as a learner sees it: the same commands, flags, tables and error texts.

``Kubectl(cluster).run("get pods -o wide")`` reads the command line as
kubectl does (:mod:`.flags`): cobra finds the command (``create deploy`` is
``create deployment``), then pflag parses every flag of that command, typed
from kubectl v1.32's own flag table (:mod:`.flagdefs`) — flags anywhere,
``-n ns``, ``-nns``, ``--namespace=ns``, ``--`` ends flags.  Then the checks
kubectl makes in Complete and Validate run (required flags, ``--dry-run``,
``--cascade``, ``-o`` formats, jsonpath templates, label specs, resource/name
forms).  Only then does the command act, so a command line with any mistake
answers with kubectl's text and changes nothing.  It talks to the simulated
API server as a user outside the cluster, and returns what the terminal would
show: standard output and standard error interleaved in order.  ``run_full``
returns ``(exit_code, stdout, stderr)`` separately for tests and for serving
the cluster to a real kubectl.  Errors are returned as text (``error: …``,
``Error from server (…): …``), never raised.

``apply`` does what ``kubectl apply`` does on the client: it creates an
object that does not exist, recording the manifest in the
``kubectl.kubernetes.io/last-applied-configuration`` annotation; for an
existing object it computes a three-way strategic merge patch from that
annotation (what you applied last), the new manifest and the live object,
and sends it only when it changes something (``configured``, else
``unchanged``).  Each object of a multi-document file is applied on its
own, as kubectl does: the good ones are applied, the errors of the bad ones
are printed after them and the exit code is 1.  ``Cluster.apply`` mirrors
that and then raises the first error; a manifest that cannot be read at all
changes nothing.

Commands that wait in real kubectl (``drain``, ``rollout status``, ``wait``) run the
simulation forward until what they wait for has happened, printing the
same progress lines, for at most their timeout in simulated seconds.
``logs -f`` is the exception: the simulation moves only when the learner
steps it, so a follow prints what the container has written by now and
ends there, or, with ``--request-timeout``, with the client's
``context deadline exceeded`` as against a real idle container.

The newer commands live in modules of their own, each a port of its
``pkg/cmd`` package: ``events``, ``explain``, ``diff``, ``wait``, ``taint``,
``patch`` (with ``replace`` and ``edit``), ``setcmd`` (``set …``), ``auth``
and ``raw`` (``get --raw``); ``gosort`` is Go's unstable ``sort.Sort``, whose
order kubectl's event lists show.

Simplified: no kubeconfig (one context, ``kubernetes-admin@<cluster>``),
no ``--watch``, no ``exec``/``port-forward``; ``edit`` runs no editor (it
answers as kubectl does when the editor cannot run); ``drain`` deletes
pods instead of posting Evictions (no PodDisruptionBudgets);
``rollout undo`` restores the previous ReplicaSet's template; jsonpath is
the common subset (see ``jsonpath.py``).  A real flag the simulation does not
model is parsed and checked like the others, then refused unless left at its
default (``the --watch flag of "kubectl events" is not available in this
simulated cluster``); flags with no visible effect here (:data:`INERT`) are
accepted.  ``--help`` prints a pointer to the command's reference page, not
cobra's help; klog's lines carry the simulated time and thread id 1; ``-o``
other than the table formats is refused outside ``get``.
"""

from __future__ import annotations

import base64
import json
import re
import shlex
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..apiserver import Unreachable
from ..cri import go_duration
from ..errors import ApiError
from ..kinds import KINDS, category
from ..manifests import load_manifests, manifest_sources
from ..objects import deep_copy, parse_timestamp
from ..quantity import millicores, units
from ..resources import ResourceType, by_kind, by_plural, lookup
from . import jsonpath
from .auth import run_can_i, run_whoami
from .describe import describe, go_tabwriter, pod_template_text
from .diff import run_diff
from .events import run_events
from .explain import run_explain
from .flags import ROOT, Command, FlagError, parse_command_line
from .goparse import GoError, atoi, go_quote, parse_duration
from .patch import run_edit, run_patch, run_replace
from .printers import (
    custom_column_rows,
    custom_columns,
    custom_columns_from_template,
    resource_prefix,
    table_rows,
    tabulate,
    to_json,
    to_yaml,
)
from .raw import run_raw
from .setcmd import run_set
from .taint import run_taint
from .wait import run_wait

__all__ = ["LAST_APPLIED", "VERSION", "WAIT_TIMEOUT", "Kubectl", "KubectlError", "Output"]

VERSION = "v1.32.0"
LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"
WAIT_TIMEOUT = 600.0
#: ``kubectl top pod`` expects metrics for a pod older than this (``metricsCreationDelay``).
METRICS_CREATION_DELAY = 120.0
USER = "kubernetes-admin"
#: kubectl's commands in the order cobra holds them (its "Did you mean this?" follows this order).
COMMANDS = ("create", "expose", "run", "set", "explain", "get", "edit", "delete", "rollout", "scale", "autoscale",
            "certificate", "cluster-info", "top", "cordon", "uncordon", "drain", "taint", "describe", "logs",
            "attach", "exec", "port-forward", "proxy", "cp", "auth", "debug", "events", "diff", "apply", "patch",
            "replace", "wait", "kustomize", "label", "annotate", "completion", "api-versions", "api-resources",
            "config", "plugin", "version")

#: The resource builder's error when a command names nothing (``cli-runtime`` ``resource/builder.go``).
NO_RESOURCES = ("You must provide one or more resources by argument or filename.\nExample resource specifications "
                "include:\n   '-f rsrc.yaml'\n   '--filename=rsrc.json'\n   '<resource> <name>'\n   '<resource>'")
#: What the generic printer flags accept (``cli-runtime`` ``PrintFlags.AllowedFormats``), as kubectl lists them.
PRINTER_FORMATS = ("go-template,go-template-file,json,jsonpath,jsonpath-as-json,jsonpath-file,name,template,"
                   "templatefile,yaml")
TEMPLATE_FORMATS = ("go-template", "go-template-file", "template", "templatefile", "jsonpath", "jsonpath-file",
                    "jsonpath-as-json")
#: Flags cobra itself requires (``MarkFlagRequired``), checked before the command runs.
REQUIRED = {"create deployment": ("image",), "run": ("image",), "scale": ("replicas",)}
#: The ``all`` category, in discovery order.
ALL = tuple(kind.plural for kind in category("all"))

#: Flags that change nothing a learner can see in the simulated cluster: parsed and checked, then ignored.
INERT = {"request-timeout", "cache-dir", "v", "vmodule", "log-flush-frequency", "disable-compression",
         "insecure-skip-tls-verify", "tls-server-name", "match-server-version", "warnings-as-errors",
         "allow-missing-template-keys", "chunk-size", "field-manager", "show-managed-fields", "validate",
         "server-print", "save-config", "windows-line-endings", "pod-running-timeout", "disable-eviction",
         "skip-wait-for-delete-timeout"}
#: The flags each command honours, besides ``-n``, ``--help`` and :data:`INERT` (its other real flags are
#: parsed and checked, and refused unless left at their defaults).
SUPPORTED: dict[str, set[str]] = {
    "get": {"raw", "output", "selector", "field-selector", "show-labels", "filename", "sort-by", "no-headers", "watch",
            "recursive", "label-columns", "all-namespaces"},
    "describe": {"selector", "all-namespaces"},
    "apply": {"filename", "dry-run", "recursive", "selector", "server-side", "force-conflicts"},
    "create": {"filename", "image", "replicas", "port", "recursive", "from-literal"},
    "run": {"image", "port", "labels", "restart", "env", "annotations", "image-pull-policy", "command"},
    "delete": {"filename", "selector", "all", "force", "grace-period", "now", "wait", "field-selector", "dry-run",
               "output",
               "recursive"},
    "scale": {"replicas", "filename"}, "cordon": {"selector"}, "uncordon": {"selector"},
    "drain": {"ignore-daemonsets", "delete-emptydir-data", "force", "grace-period", "selector", "timeout"},
    "logs": {"previous", "container", "tail", "selector", "follow"},
    "rollout": {"watch", "timeout", "to-revision", "revision"},
    "label": {"overwrite", "selector", "all"},
    "annotate": {"overwrite", "selector", "all"},
    "expose": {"port", "target-port", "name", "type", "protocol", "selector"},
    "top": {"selector", "no-headers", "sort-by", "all-namespaces"}, "version": {"client"},
    "cluster-info": set(), "api-versions": set(),
    "taint": {"all", "selector", "overwrite", "dry-run"},
    "diff": {"filename", "recursive"}, "explain": {"recursive", "api-version"},
    "wait": {"for", "timeout", "selector", "all", "all-namespaces", "field-selector", "filename", "recursive"},
    "set": {"dry-run", "filename", "recursive", "list", "containers", "limits", "requests"},
    "patch": {"patch", "patch-file", "type", "dry-run", "output", "filename", "recursive"},
    "replace": {"filename", "dry-run", "recursive"}, "edit": {"filename", "recursive", "output"},
    "auth": {"all-namespaces", "subresource", "quiet", "list", "no-headers", "output"}, "api-resources": {"output", "no-headers"}, "config": set(), "events": {"all-namespaces", "for", "types", "output", "no-headers"},
}
#: Subcommands the simulated cluster runs (a parent listed here runs its own fallbacks for the rest).
IMPLEMENTED = {"get", "describe", "apply", "create", "create deployment", "create namespace", "create configmap",
               "create secret", "create secret generic", "create token", "run", "delete", "scale", "cordon", "uncordon", "drain",
               "logs", "rollout", "rollout status", "rollout history", "rollout restart", "rollout undo",
               "rollout pause", "rollout resume", "label", "annotate", "expose", "top", "top node", "top pod",
               "version", "cluster-info", "api-resources", "api-versions", "config", "auth", "auth can-i", "auth whoami", "taint", "patch", "replace", "edit", "set", "set image", "set env",
               "set resources", "set selector", "wait", "diff", "explain", "config current-context",
               "config get-contexts", "config use-context", "events"}
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

    def _repr_pretty_(self, p: Any, cycle: bool) -> None:
        p.text(self.rstrip("\n"))


@dataclass
class Args:
    """A parsed command line: the top-level command, the words after it, the flags the user set (typed)."""

    command: str
    positional: list[str]
    flags: dict[str, Any] = field(default_factory=dict)
    cmd: Command = field(default_factory=lambda: ROOT)

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
    return [c for c in COMMANDS if (abs(len(typed) - len(c)) <= 2 and _levenshtein(typed, c) <= 2)
            or c.startswith(typed.lower())]


def parse(argv: list[str]) -> Args:
    """Find the command and parse every flag, typed, as cobra and pflag do (:mod:`.flags`).

    Raises :class:`FlagError` for the first mistake, before anything runs.
    """
    if argv and argv[0] == "kubectl":
        argv = argv[1:]
    parsed = parse_command_line(list(argv))
    words = parsed.typed_words
    return Args(words[0] if words else "", words[1:] + parsed.positional, parsed.values, parsed.command)


class Kubectl:
    """A kubectl client bound to one simulated cluster."""

    def __init__(self, cluster: Any, *, age_clock: Callable[[], float] | None = None,
                 environ: dict[str, str] | None = None):
        """``age_clock`` gives the simulated instant that ages (``AGE``, ``LAST SEEN``) are measured from: the
        cluster's clock unless told otherwise (a served cluster's real kubectl measures them from the wall clock).
        ``environ`` is the environment kubectl would see (``KUBE_EDITOR``, ``EDITOR``); none by default, so the
        answers never depend on the process's own."""
        self.cluster = cluster
        self.api = cluster.api
        self.age_clock = age_clock
        self.environ = dict(environ or {})
        self._out: list[tuple[str, str]] = []

    # --- output --------------------------------------------------------------------------------------

    def _print(self, text: str) -> None:
        self._out.append(("out", text))

    def _eprint(self, text: str) -> None:
        self._out.append(("err", text))

    @property
    def now(self) -> float:
        return self.cluster.clock.now

    @property
    def age_now(self) -> float:
        """The instant the printed ages are measured from (see ``__init__``)."""
        return self.age_clock() if self.age_clock else self.cluster.clock.now

    # --- entry points ----------------------------------------------------------------------------------

    def run(self, command: str | list[str]) -> Output:
        """Run a command line and return what the terminal shows (stdout and stderr in order)."""
        self._execute(command)
        return Output("".join(text for _, text in self._out))

    def run_full(self, command: str | list[str]) -> tuple[int, str, str]:
        """``(exit_code, stdout, stderr)`` of a command line."""
        code = self._execute(command)
        return (code, "".join(t for s, t in self._out if s == "out"), "".join(t for s, t in self._out if s == "err"))

    def _execute(self, command: str | list[str]) -> int:
        self._out = []
        if not isinstance(command, str) and not (isinstance(command, (list, tuple))
                                                 and all(isinstance(word, str) for word in command)):
            self._eprint(f"error: a command line is text or a list of words, not {type(command).__name__}\n")
            return 1
        try:
            argv = shlex.split(command) if isinstance(command, str) else list(command)
        except ValueError as e:
            self._eprint(f"error: {e}\n")
            return 1
        try:
            args = parse(argv)
        except FlagError as e:
            return self._flag_error(e)
        try:
            return self._dispatch(args) or 0
        except KubectlError as e:
            # CheckErr prints several errors one a line, without the "error: " of a single one ("multiple"), and
            # some errors carry their own prefix ("bare").
            self._eprint(f"{e.message}\n" if e.usage in ("multiple", "bare") else f"error: {e.message}\n")
            if e.usage == "usage":
                self._eprint(args.cmd.usage_hint() + "\n")
            elif e.usage and e.usage not in ("multiple", "bare"):
                self._eprint(e.usage)
            return 1
        except ApiError as e:
            self._eprint(standard_error(e))
            return 1
        except jsonpath.JSONPathError as e:  # a template client-go parses but this evaluator does not follow
            self._eprint(f"error: {e}\n")
            return 1
        except Unreachable:
            self._eprint(f"Unable to connect to the server: dial tcp {self._server_ip()}:6443: i/o timeout\n")
            return 1

    def _flag_error(self, e: FlagError) -> int:
        """A command line refused while reading it: cobra's unknown command, kubectl's plugin check, pflag's errors."""
        if e.usage == "unknown-command":
            similar = suggestions(e.message)
            text = f'error: unknown command "{e.message}" for "kubectl"\n'
            if similar:
                text += "\nDid you mean this?\n" + "".join(f"\t{s}\n" for s in similar)
            self._eprint(text)
        elif e.usage == "plugin":
            self._eprint(f"Error: {e.message}\n")  # cmd.go prints this one itself, capitalised
        else:
            self._eprint(f"error: {e.message}\n{e.usage}\n")
        return 1

    def _server_ip(self) -> str:
        masters = sorted(n for n, m in self.cluster.machines.items() if m.is_master)
        return self.cluster.network.node_ip(masters[0]) if masters else "127.0.0.1"

    def _client(self) -> Any:
        return self.api.client(USER, None, field_validation="Strict")  # kubectl's --validate=strict

    def _dispatch(self, args: Args) -> int:
        if args.cmd is ROOT:
            raise KubectlError("no command given: try 'kubectl get pods'")
        path = args.cmd.path
        if args.flags.get("help"):
            doc = path.replace(" ", "_")
            self._print(f"Usage:\n  kubectl {path} [flags] [options]\n\nThe full help of this command is at "
                        f"https://kubernetes.io/docs/reference/kubectl/generated/kubectl_{doc}/\n")
            return 0
        runner = RUNNERS.get(args.command)
        handler = (lambda a: runner(self, a)) if runner else getattr(self, "_cmd_" + args.command.replace("-", "_"),
                                                                       None)
        if handler is None or path not in IMPLEMENTED:
            raise KubectlError(f'"{path}" is not available in this simulated cluster')
        self._check_flags(args)
        return handler(args)

    def _check_flags(self, args: Args) -> None:
        """What kubectl's Complete and Validate check of the common flags, and the flags the simulation lacks.

        Runs before the command does anything, so a wrong value changes nothing.
        """
        path = args.cmd.path
        missing = [name for name in REQUIRED.get(path, ()) if name not in args.flags]
        if missing:
            raise KubectlError("required flag(s) " + ", ".join(f'"{m}"' for m in missing) + " not set")
        self._check_values(args)
        self._check_output(args)
        ours = self._check_kubeconfig_flags(args)
        known = args.cmd.flags()
        for name, value in args.flags.items():
            if name in ("namespace", "help") or name in INERT or name in SUPPORTED[args.command] or name in ours:
                continue
            if value != known[name].default():
                raise KubectlError(f"the --{name} flag of \"kubectl {args.cmd.path}\" is not available in this "
                                   "simulated cluster")

    def _check_kubeconfig_flags(self, args: Args) -> set[str]:
        """``--context``, ``--cluster``, ``--user``, ``--kubeconfig``: the one kubeconfig entry there is, or clientcmd's
        error (``client-go/tools/clientcmd``); returns the flags that named this cluster's own entries."""
        if args.cmd.path.startswith("config"):
            return set()
        own = {"context": f"{USER}@{self.cluster.name}", "cluster": self.cluster.name, "user": USER}
        context, cluster, user = (args.get(name) for name in ("context", "cluster", "user"))
        if context and context != own["context"]:
            raise KubectlError(f"Error in configuration: context was not found for specified context: {context}",
                               "bare")
        if cluster and cluster != own["cluster"]:
            raise KubectlError(f'no server found for cluster "{cluster}"')
        if user and user != own["user"]:
            raise KubectlError(f'auth info "{user}" does not exist')
        kubeconfig = args.get("kubeconfig")
        if kubeconfig and not Path(kubeconfig).exists():
            raise KubectlError(f"stat {kubeconfig}: no such file or directory")
        return {name for name, value in own.items() if args.get(name) == value}

    def _check_output(self, args: Args) -> None:
        """``-o``: the formats each command's printer flags accept, and their error texts."""
        output = args.get("output")
        if output is None:
            return
        path, (fmt, _, template) = args.cmd.path, output.partition("=")
        if path == "version":
            if output not in ("", "yaml", "json"):
                raise KubectlError("--output must be 'yaml' or 'json'")
        elif path == "api-resources":
            if output not in ("", "wide", "name"):
                raise KubectlError(f"--output {output} is not available")
            if output == "wide":
                raise KubectlError('the --output=wide flag of "kubectl api-resources" is not available in this '
                                   "simulated cluster")
        elif path == "delete":
            if output not in ("", "name"):
                raise KubectlError(f"unexpected -o output mode: {output}. We only support '-o name'")
        elif output and fmt in TEMPLATE_FORMATS and not template:
            raise KubectlError("template format specified but no template given")
        elif path == "get":
            if fmt in TEMPLATE_FORMATS and fmt != "jsonpath":
                raise KubectlError(f'the --output={fmt} flag of "kubectl get" is not available in this simulated '
                                   "cluster")
        elif output and fmt not in PRINTER_FORMATS.split(","):
            raise KubectlError(f'unable to match a printer suitable for the output format "{output}", allowed '
                               f"formats are: {PRINTER_FORMATS}")

    def _check_values(self, args: Args) -> None:
        """The values kubectl's Complete checks for every command that has the flag."""
        dry = args.get("dry-run")
        if dry is not None and dry not in ("none", "client", "server", "unchanged"):
            raise KubectlError(f'Invalid dry-run value ({dry}). Must be "none", "server", or "client".')
        if dry == "unchanged":  # cmdutil.GetDryRunStrategy logs this through klog, with klog's header
            self._eprint(f"{klog_header('W', self.now)} helpers.go:702] --dry-run is deprecated and can be replaced "
                         "with --dry-run=client.\n")
        validate = args.get("validate")
        if validate is not None and validate.lower() not in ("strict", "true", "warn", "ignore", "false"):
            raise KubectlError(f'invalid - validate option "{validate}"; must be one of: strict (or true), warn, '
                               "ignore (or false)")
        cascade = args.get("cascade")
        if cascade is not None and cascade not in ("background", "foreground", "orphan", "true", "false"):
            raise KubectlError(f'invalid cascade value ({cascade}). Must be "background", "foreground", or '
                               '"orphan"')
        timeout = args.get("request-timeout")
        if timeout is not None and not _valid_request_timeout(timeout):
            raise KubectlError("Invalid timeout value. Timeout must be a single integer in seconds, or an integer "
                               "followed by a corresponding time unit (e.g. 1s | 2m | 3h)")

    def _namespace(self, args: Args) -> str:
        return args.get("namespace") or "default"

    def _int_flag(self, args: Args, name: str, default: int | None = None) -> int | None:
        value = args.get(name)
        return default if value is None else value

    # --- resources and names -----------------------------------------------------------------------------

    def _resource(self, name: str) -> ResourceType:
        rt = lookup(name)
        if rt is None:
            raise KubectlError(f'the server doesn\'t have a resource type "{name}"')
        return rt

    def _list(self, rt: ResourceType, namespace: str | None, label_selector: str | None = None,
              field_selector: str | None = None) -> list[dict]:
        """A list as kubectl's resource builder makes it: a 400 or 404 names the resource and the selectors.

        ``cli-runtime`` ``resource/selector.go`` rewrites the Status message (``Unable to find "/v1,
        Resource=pods" that match label selector …``) and keeps its reason.
        """
        try:
            return self._client().list(rt.plural, namespace, label_selector=label_selector,
                                       field_selector=field_selector)["items"]
        except ApiError as e:
            if e.code not in (400, 404):
                raise
            gv = rt.api_version if "/" in rt.api_version else "/" + rt.api_version
            resource = f"{gv}, Resource={rt.plural}"
            if label_selector or field_selector:
                message = (f'Unable to find "{resource}" that match label selector "{label_selector or ""}", '
                           f'field selector "{field_selector or ""}": {e.message}')
            else:
                message = f'Unable to list "{resource}": {e.message}'
            raise ApiError(e.code, e.reason, message, kind=e.kind, name=e.name, group=e.group,
                           causes=list(e.causes)) from None

    def _targets(self, positional: list[str]) -> tuple[list[tuple[ResourceType, list[str]]], bool]:
        """``pods``, ``pods,svc``, ``pod/x pod/y``, ``pods x y`` → types with names; and whether to show kinds."""
        if not positional:
            return [], False
        if all("/" in p for p in positional):
            out: list[tuple[ResourceType, list[str]]] = []
            for p in positional:
                type_name, _, name = p.partition("/")
                if "/" in name:
                    raise KubectlError("arguments in resource/name form may not have more than one slash")
                if not type_name or not name or "," in type_name:
                    raise KubectlError("arguments in resource/name form must have a single resource and name")
                rt = self._resource(type_name)
                for existing in out:
                    if existing[0] is rt:
                        existing[1].append(name)
                        break
                else:
                    out.append((rt, [name]))
            return out, len(out) > 1
        if any("/" in p for p in positional):
            raise KubectlError("there is no need to specify a resource type as a separate argument when passing "
                               "arguments in resource/name form (e.g. 'kubectl get resource/<resource_name>' "
                               "instead of 'kubectl get resource resource/<resource_name>'")
        kinds: list[ResourceType] = []
        for part in positional[0].split(","):
            if part == "all":
                kinds.extend(by_plural(p) for p in ALL)  # type: ignore[misc]
            elif part:
                kinds.append(self._resource(part))
        show = "," in positional[0] or positional[0] == "all"
        names = positional[1:]
        if names and len(kinds) > 1:
            if positional[0] == "all" or "all" in positional[0].split(","):
                raise KubectlError("you may only specify a single resource type")
            # normalizeMultipleResourcesArgs: "svc,ep web" means "svc/web ep/web".
            return self._targets([f"{part}/{name}" for part in positional[0].split(",") if part
                                  for name in names])
        return [(rt, list(names)) for rt in kinds], show

    # --- get ----------------------------------------------------------------------------------------------

    def _cmd_get(self, args: Args) -> int:
        if args.get("raw"):
            return run_raw(self, args)
        if args.get("filename"):
            objs = self._file_objects(args)
            if any(not (o.get("metadata") or {}).get("name") for o in objs):
                raise KubectlError("resource name may not be empty")
            targets = [(by_kind(o["kind"]), [o["metadata"]["name"]]) for o in objs]
            targets = [(rt, n) for rt, n in targets if rt is not None]
            show_kind = len({rt.plural for rt, _ in targets}) > 1
        else:
            targets, show_kind = self._targets(args.positional)
        if not targets:
            self._eprint('You must specify the type of resource to get. Use "kubectl api-resources" for a complete '
                         "list of supported resources.\n\n")
            raise KubectlError("Required resource not specified.\nUse \"kubectl explain <resource>\" for a detailed "
                               "description of that resource (e.g. kubectl explain pods).",
                               "See 'kubectl get -h' for help and examples\n")
        output = args.get("output") or ""
        all_ns = bool(args.get("all-namespaces"))
        ns = None if all_ns else self._namespace(args)
        client = self._client()
        groups: list[tuple[ResourceType, list[dict]]] = []
        errors: list[ApiError] = []
        single = len(targets) == 1 and len(targets[0][1]) == 1
        for rt, names in targets:
            if names:
                objs = []
                for name in names:
                    try:
                        objs.append(client.get(rt.plural, name, ns if rt.namespaced else None))
                    except ApiError as e:
                        errors.append(e)
            else:
                objs = self._list(rt, ns if rt.namespaced else None, args.get("selector"),
                                  args.get("field-selector"))
            if args.get("sort-by"):
                objs = self._sorted(objs, args.get("sort-by"))
            groups.append((rt, objs))
        if any(objs for _, objs in groups) or not errors:  # every named object missing: only the errors print
            self._print_objects(groups, output, args, show_kind=show_kind, all_ns=all_ns,
                                single=single and not errors)
        if not any(objs for _, objs in groups) and not errors and output in ("", "wide", "name") and \
                not any(names for _, names in targets):
            namespaced = any(rt.namespaced for rt, _ in targets)
            self._eprint(f"No resources found in {ns} namespace.\n" if namespaced and ns else "No resources found\n")
        for e in errors:
            self._eprint(standard_error(e))
        return 1 if errors else 0

    def _sorted(self, objs: list[dict], expr: str) -> list[dict]:
        """``--sort-by``: a template that does not parse leaves kubectl with nothing to print (its sorter's error is
        dropped, and ``No resources found`` follows), as v1.32 does once there are two objects to sort."""
        if len(objs) < 2:
            return objs
        try:
            jsonpath.check(jsonpath.relaxed(expr))
        except jsonpath.JSONPathError:
            return []
        expr = expr.strip()
        if expr.startswith("{") and expr.endswith("}"):
            expr = expr[1:-1]
        if not expr.startswith("."):
            expr = "." + expr

        def key(o: dict) -> tuple:
            values = jsonpath.evaluate(expr, o)
            v = values[0] if values else None
            if isinstance(v, (int, float)) and not isinstance(v, bool):
                return (0, v, "")
            return (1, 0, "" if v is None else str(v))
        return sorted(objs, key=key)

    def _print_objects(self, groups: list[tuple[ResourceType, list[dict]]], output: str, args: Args, *,
                       show_kind: bool = False, all_ns: bool = False, single: bool = False) -> None:
        objs = [o for _, group in groups for o in group]
        kinds = {id(o): rt for rt, group in groups for o in group}
        if output in ("yaml", "json") or output.startswith("jsonpath"):
            data: Any = self._typed(objs[0], kinds[id(objs[0])]) if single and objs else {
                "apiVersion": "v1", "items": [self._typed(o, kinds[id(o)]) for o in objs], "kind": "List",
                "metadata": {"resourceVersion": ""}}
            self._print_data(data, output)
            return
        if output == "name":
            for o in objs:
                self._print(f"{resource_prefix(kinds[id(o)])}/{o['metadata']['name']}\n")
            return
        if output.startswith(("custom-columns=", "custom-columns-file=")) or output in ("custom-columns",
                                                                                         "custom-columns-file"):
            self._print(tabulate(custom_column_rows(self._custom_columns(output), objs,
                                                    headers=not args.get("no-headers"))))
            return
        if output not in ("", "wide"):
            raise KubectlError(f'unable to match a printer suitable for the output format "{output}", allowed '
                               "formats are: custom-columns,custom-columns-file,go-template,go-template-file,json,"
                               "jsonpath,jsonpath-as-json,jsonpath-file,name,template,templatefile,wide,yaml")
        tables = []
        for rt, group in groups:
            if not group:
                continue
            rows = table_rows(rt, group, self.now, wide=output == "wide", namespace_column=all_ns and rt.namespaced,
                              show_kind=show_kind, show_labels=bool(args.get("show-labels")),
                              label_columns=[k for v in args.get("label-columns") or [] for k in v.split(",") if k],
                              headers=not args.get("no-headers"))
            tables.append(tabulate(rows))
        self._print("\n".join(tables))

    def _print_data(self, data: Any, output: str) -> None:
        """``-o yaml``, ``-o json`` or ``-o jsonpath=…`` of one object or list."""
        if output == "yaml":
            self._print(to_yaml(data))
        elif output == "json":
            self._print(to_json(data))
        elif output == "name":
            for o in data.get("items", [data]):
                rt = lookup(o["kind"].lower())
                self._print(f"{resource_prefix(rt) if rt else o['kind'].lower()}/{o['metadata']['name']}\n")
        else:
            template = output.partition("=")[2]
            if not template:
                raise KubectlError("template format specified but no template given")
            try:
                jsonpath.check(template)
                self._print(jsonpath.render(template, data))
            except jsonpath.JSONPathError as e:
                raise KubectlError(f"error parsing jsonpath {template}, {e}") from None
            except RecursionError:  # thousands of nested {range}: Go's stack grows, Python's does not
                raise KubectlError(f"error executing jsonpath {template!r}: its ranges nest too deeply for "
                                   "this simulated cluster") from None

    @staticmethod
    def _custom_columns(output: str) -> list[tuple[str, str]]:
        """The columns of ``-o custom-columns=…`` or ``-o custom-columns-file=…``."""
        kind, _, spec = output.partition("=")
        try:
            if kind == "custom-columns":
                return custom_columns(spec)
            try:
                with open(spec, encoding="utf-8") as f:
                    text = f.read()
            except OSError as e:
                raise KubectlError(f"error reading template {spec}, {e.strerror.lower() if e.strerror else e}"
                                   "\n") from None
            return custom_columns_from_template(text)
        except ValueError as e:
            raise KubectlError(str(e)) from None

    @staticmethod
    def _typed(obj: dict, rt: ResourceType) -> dict:
        if "apiVersion" in obj and "kind" in obj:
            return obj
        out = {"apiVersion": rt.api_version, "kind": rt.kind}
        out.update(obj)
        return out

    # --- describe -------------------------------------------------------------------------------------------

    def _cmd_describe(self, args: Args) -> int:
        targets, _ = self._targets(args.positional)
        if not targets:
            raise KubectlError("You must specify the type of resource to describe. Use \"kubectl api-resources\" "
                               "for a complete list of supported resources.")
        ns = self._namespace(args)
        client = self._client()
        texts, errors = [], []
        for rt, names in targets:
            rns = ns if rt.namespaced else None
            if names:
                objs = []
                for name in names:
                    try:
                        objs.append(client.get(rt.plural, name, rns))
                    except ApiError as e:
                        errors.append(e)
            else:
                objs = self._list(rt, None if args.get("all-namespaces") else rns, args.get("selector"))
            texts.extend(describe(rt.plural, self._typed(o, rt), self.api, self.age_now) for o in objs)
        self._print("\n\n".join(texts))  # describe.go writes "\n\n" before every object but the first
        if not texts and not errors:
            self._eprint(f"No resources found in {ns} namespace.\n")
        for e in errors:
            self._eprint(standard_error(e))
        return 1 if errors else 0

    # --- apply / create ----------------------------------------------------------------------------------------

    def _file_objects(self, args: Args) -> list[dict]:
        return [o for _, objs in self._file_sources(args) for o in objs]

    def _file_sources(self, args: Args) -> list[tuple[str, list[dict]]]:
        """The objects of each ``-f`` file; paths that do not exist are reported together, as the builder does."""
        paths = args.get("filename") or []
        missing = [p for p in paths if not p or not Path(p).exists()]
        if len(missing) == 1:
            raise KubectlError(f'the path "{missing[0]}" does not exist')
        if missing:
            raise KubectlError("\n".join(f'the path "{p}" does not exist' for p in missing), "multiple")
        try:
            return manifest_sources(paths)
        except ApiError as e:  # kubectl reads -f files itself: their errors are client-side
            raise KubectlError(e.message) from None

    def _check_namespace(self, obj: dict, namespace: str | None) -> str | None:
        rt = by_kind(obj.get("kind", ""))
        if rt is None or not rt.namespaced:
            return None
        own = (obj.get("metadata") or {}).get("namespace")
        if own and namespace and own != namespace:
            raise KubectlError(f'the namespace from the provided object "{own}" does not match the namespace '
                               f'"{namespace}". You must pass \'--namespace={own}\' to perform this operation.')
        return own or namespace or "default"

    def apply(self, manifest: Any, namespace: str | None = None) -> Any:
        """Apply a manifest (dict, list, YAML/JSON text or path); the stored object, or a list for several.

        Errors from the API server do not stop the other objects (kubectl's
        behaviour); the first one is raised after the rest were applied.
        """
        objs = load_manifests(manifest)
        if not objs:
            raise ApiError(400, "BadRequest", "no objects passed to apply")
        results, first_error = [], None
        for obj in objs:
            try:
                stored, _ = self._apply_one(obj, namespace)
                results.append(stored)
            except ApiError as e:
                first_error = first_error or e
            except KubectlError as e:
                first_error = first_error or ApiError(400, "BadRequest", e.message)
        if first_error is not None:
            raise first_error
        return results[0] if len(results) == 1 else results

    def _apply_one(self, obj: dict, namespace: str | None, source: str = "", dry: bool = False) -> tuple[dict, str]:
        rt = by_kind(obj.get("kind", ""))
        if rt is None or obj.get("apiVersion") != rt.api_version:
            raise ApiError(404, "NotFound", f'resource mapping not found for name: "{obj.get("metadata", {}).get("name", "")}" '
                           f'namespace: "{(obj.get("metadata") or {}).get("namespace", "")}" from "{source or "STDIN"}": '
                           f'no matches for kind "{obj.get("kind")}" in version "{obj.get("apiVersion")}"\n'
                           "ensure CRDs are installed first")
        ns = self._check_namespace(obj, namespace)
        modified = deep_copy(obj)
        md = modified.setdefault("metadata", {})
        if ns:
            md["namespace"] = ns
        annotations = dict(md.get("annotations") or {})
        annotations.pop(LAST_APPLIED, None)
        md["annotations"] = annotations
        last_applied = json.dumps(modified, separators=(",", ":"), sort_keys=True, ensure_ascii=False) + "\n"
        md["annotations"] = {**annotations, LAST_APPLIED: last_applied}
        client = self._client()
        name = md.get("name", "")
        if not name:
            gv = rt.api_version if "/" in rt.api_version else "/" + rt.api_version
            raise KubectlError("error when retrieving current configuration of:\nResource: \"" + gv +
                               f", Resource={rt.plural}\", GroupVersionKind: \"" + f"{gv}, Kind={rt.kind}\"\nName: \"\", "
                               f"Namespace: \"{ns or ''}\"\nfrom server for: \"{source or 'STDIN'}\": resource name may "
                               "not be empty")
        current = self.api.peek(rt.plural, name, ns)
        if current is None:
            return (modified, "created (dry run)") if dry else (client.create(modified, namespace=ns), "created")
        original_text = (current["metadata"].get("annotations") or {}).get(LAST_APPLIED)
        original = json.loads(original_text) if original_text else {}
        patch = three_way_patch(original, modified, current)
        if not patch:
            return current, "unchanged (dry run)" if dry else "unchanged"
        if dry:
            return current, "configured (dry run)"
        stored = client.patch(rt.plural, name, patch, namespace=ns, patch_type="strategic")
        return stored, "configured" if stored is not current else "unchanged"

    def _cmd_apply(self, args: Args) -> int:
        if not args.get("filename"):
            raise KubectlError("must specify one of -f and -k")
        namespace = args.get("namespace")
        errors = []
        dry = args.get("dry-run") not in (None, "none")
        if args.get("server-side"):
            return self._apply_server_side(args)
        if args.get("dry-run") == "server":
            raise KubectlError('the --dry-run=server flag of "kubectl apply" is not available in this simulated '
                               "cluster")
        sources = self._file_sources(args)
        if not any(objs for _, objs in sources):
            raise KubectlError("no objects passed to apply")
        for source, objs in sources:
            for obj in objs:
                rt = by_kind(obj.get("kind", ""))
                try:
                    stored, verb = self._apply_one(obj, namespace, source, dry=dry)
                except ApiError as e:
                    existed = rt is not None and self.api.peek(
                        rt.plural, (obj.get("metadata") or {}).get("name", ""),
                        (obj.get("metadata") or {}).get("namespace") or namespace or "default") is not None
                    verb_text = "patching" if existed else "creating"
                    errors.append(with_source(e, verb_text, source))
                    continue
                self._print(f"{resource_prefix(rt)}/{stored['metadata']['name']} {verb}\n")
        for e in errors:
            self._eprint(standard_error(e))
        return 1 if errors else 0

    def _apply_server_side(self, args: Args) -> int:
        """``apply --server-side``: each manifest sent as an apply patch; the server creates the object or merges the
        configuration into it (``serverside-applied``).  Simplified as the served API is: no managedFields, so no
        conflicts."""
        dry = dry_run_strategy(args)

        def act(obj: dict, rt: ResourceType, ns: str | None) -> str:
            if dry != "client":
                name = obj["metadata"]["name"]
                if self.api.peek(rt.plural, name, ns if rt.namespaced else None) is None:
                    self._client().create(obj, namespace=ns, dry_run=dry == "server")
                else:
                    self._client().patch(rt.plural, name, obj, namespace=ns, patch_type="strategic",
                                         dry_run=dry == "server")
            return f"{resource_prefix(rt)}/{obj['metadata']['name']} serverside-applied{DRY_SUFFIX.get(dry, '')}\n"
        return self._each_manifest(args, "patching", act)

    def _each_manifest(self, args: Args, verb: str, act: Callable[[dict, ResourceType, str | None], str]) -> int:
        """Each object of the ``-f`` files in turn: ``act`` returns the line to print; an API error is printed after
        all the others ran, naming the file (``error when <verb> "<file>": …``), and the exit code is 1."""
        errors = []
        for source, objs in self._file_sources(args):
            for obj in objs:
                rt = by_kind(obj.get("kind", ""))
                try:
                    ns = self._check_namespace(obj, args.get("namespace"))
                    line = act(obj, rt, ns)  # type: ignore[arg-type]
                except ApiError as e:
                    errors.append(with_source(e, verb, source))
                    continue
                self._print(line)
        for e in errors:
            self._eprint(standard_error(e))
        return 1 if errors else 0

    def _cmd_create(self, args: Args) -> int:
        generated = lookup(args.positional[0]) if args.positional else None
        if generated is not None and generated.kubectl_create is not None:
            return self._create_generated(generated, generated.kubectl_create, args)
        if args.positional and args.positional[0] in ("deployment", "deploy"):
            return self._create_deployment(args)
        if args.positional and args.positional[0] in ("configmap", "cm") or args.positional[:2] == ["secret", "generic"]:
            return self._create_from_literals(args)
        if args.positional and args.positional[0] in ("namespace", "ns"):
            if len(args.positional) != 2:
                raise KubectlError(f"exactly one NAME is required, got {len(args.positional) - 1}",
                                   "See 'kubectl create namespace -h' for help and examples\n")
            ns = self._client().create({"apiVersion": "v1", "kind": "Namespace",
                                        "metadata": {"name": args.positional[1]}})
            self._print(f"namespace/{ns['metadata']['name']} created\n")
            return 0
        if args.positional and args.positional[0] == "token":
            return self._create_token(args)
        if not args.get("filename"):
            raise KubectlError("must specify one of -f and -k")
        return self._each_manifest(args, "creating", lambda obj, rt, ns: (
            f"{resource_prefix(rt)}/{self._client().create(obj, namespace=ns)['metadata']['name']} created\n"))

    def _create_token(self, args: Args) -> int:
        """``create token``: a TokenRequest on the ServiceAccount's ``token`` subresource.  The simulated API
        server has no TokenRequest API, so the answer is kubectl's for a server without it (a 404 for the
        subresource, whatever the account)."""
        if len(args.positional) != 2:
            raise KubectlError("exactly one NAME is required", "See 'kubectl create token -h' for help and "
                               "examples\n")
        raise KubectlError("failed to create token: the server could not find the requested resource")

    def _create_generated(self, kind: ResourceType, build: Callable[[list[str], dict[str, Any]], dict],
                          args: Args) -> int:
        """``kubectl create <kind> NAME …`` for a kind whose entry (kcourse.sim.kinds) builds the object."""
        try:
            obj = build(args.positional[1:], args.flags)
        except ValueError as e:
            raise KubectlError(str(e), f"See 'kubectl create {kind.singular} -h' for help and examples\n"
                               if "NAME" in str(e) else "") from None
        try:
            stored = self._client().create(obj, namespace=self._namespace(args))
        except ApiError as e:
            raise KubectlError(f"failed to create {kind.singular}: {e.message}") from None
        self._print(f"{resource_prefix(kind)}/{stored['metadata']['name']} created\n")
        return 0

    def _create_from_literals(self, args: Args) -> int:
        """``create configmap NAME --from-literal=k=v`` and ``create secret generic NAME …`` (data base64-encoded)."""
        secret = args.positional[0] == "secret"
        words = args.positional[2:] if secret else args.positional[1:]
        what = "secret generic" if secret else "configmap"
        if len(words) != 1:
            raise KubectlError(f"exactly one NAME is required, got {len(words)}",
                               f"See 'kubectl create {what} -h' for help and examples\n")
        data: dict[str, str] = {}
        for literal in args.get("from-literal") or []:
            key, eq, value = literal.partition("=")
            if not eq or not key:
                raise KubectlError(f'invalid literal source {literal}, expected key=value')
            if key in data:
                raise KubectlError(f'cannot add key "{key}", another key by that name already exists in Data for '
                                   f'{"Secret" if secret else "ConfigMap"} "{words[0]}"')
            data[key] = base64.b64encode(value.encode()).decode() if secret else value
        obj: dict[str, Any] = {"apiVersion": "v1", "kind": "Secret" if secret else "ConfigMap",
                               "metadata": {"name": words[0]}}
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

    def _create_deployment(self, args: Args) -> int:
        if len(args.positional) != 2:
            raise KubectlError(f"exactly one NAME is required, got {len(args.positional) - 1}",
                               "See 'kubectl create deployment -h' for help and examples\n")
        name = args.positional[1]
        images = args.get("image") or []  # --image= is no image: the API server answers for it
        replicas = self._int_flag(args, "replicas", 1)
        containers = [{"name": image.rsplit("/", 1)[-1].split(":")[0].split("@")[0].replace("_", "-"),
                       "image": image, "resources": {}} for image in images]
        port = self._int_flag(args, "port", -1)
        if containers and port is not None and port >= 0:
            containers[0]["ports"] = [{"containerPort": port}]
        obj = {"apiVersion": "apps/v1", "kind": "Deployment",
               "metadata": {"name": name, "labels": {"app": name}},
               "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}},
                        "strategy": {}, "template": {"metadata": {"labels": {"app": name}},
                                                      "spec": {"containers": containers}}}}
        try:
            self._client().create(obj, namespace=self._namespace(args))
        except ApiError as e:
            raise KubectlError(f"failed to create deployment: {e.message}") from None
        self._print(f"deployment.apps/{name} created\n")
        return 0

    def _cmd_run(self, args: Args) -> int:
        if not args.positional:
            raise KubectlError("NAME is required for run", "See 'kubectl run -h' for help and examples\n")
        name = args.positional[0]
        image = args.get("image")
        if not image:
            raise KubectlError("--image is required")
        restart = args.get("restart") or "Always"
        if restart not in ("Always", "OnFailure", "Never"):
            raise KubectlError(f"invalid restart policy: {restart}", "See 'kubectl run -h' for help and examples\n")
        pull = args.get("image-pull-policy") or ""
        if pull not in ("", "Always", "IfNotPresent", "Never"):
            raise KubectlError(f"invalid image pull policy: {pull}", "See 'kubectl run -h' for help and examples\n")
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
        pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "labels": labels},
               "spec": {"containers": [container], "dnsPolicy": "ClusterFirst",
                        "restartPolicy": restart}}
        if annotations:
            pod["metadata"]["annotations"] = annotations
        self._client().create(pod, namespace=self._namespace(args))
        self._print(f"pod/{name} created\n")
        return 0

    # --- delete ----------------------------------------------------------------------------------------------------

    def _cmd_delete(self, args: Args) -> int:
        client = self._client()
        ns = self._namespace(args)
        # delete.go Complete/Validate, before anything is read: -1 is "the object's own grace period".
        period = self._int_flag(args, "grace-period", -1)
        if args.get("now"):
            if period != -1:
                raise KubectlError("--now and --grace-period cannot be specified together")
            period = 1
        if period == 0 and not args.get("force"):
            period = 1  # kubectl turns --grace-period=0 into 1 unless --force says otherwise
        if args.get("force") and period < 0:
            period = 0
        if args.get("all") and (args.get("selector") or args.get("field-selector")):
            raise KubectlError("setting 'all' parameter but found a non empty selector. ")
        if args.get("force") and period > 0:
            raise KubectlError("--force and --grace-period greater than 0 cannot be specified together")
        if (args.get("selector") or args.get("field-selector")) and len(args.positional) > 1:
            raise KubectlError("name cannot be provided when a selector is specified")
        grace = None if period < 0 else period
        work: list[tuple[ResourceType, str, str | None]] = []
        errors: list[ApiError] = []
        if args.get("filename"):
            for source, objs in self._file_sources(args):
                for obj in objs:
                    if not (obj.get("metadata") or {}).get("name"):
                        raise KubectlError(f'error when deleting "{source}": resource name may not be empty')
                    rt = by_kind(obj["kind"])
                    if rt is not None:
                        work.append((rt, obj["metadata"]["name"], self._check_namespace(obj, args.get("namespace"))))
        else:
            targets, _ = self._targets(args.positional)
            if not targets:
                raise KubectlError(NO_RESOURCES)
            for rt, names in targets:
                rns = ns if rt.namespaced else None
                if names:
                    work.extend((rt, n, rns) for n in names)
                elif args.get("all") or args.get("selector") or args.get("field-selector"):
                    items = self._list(rt, rns, args.get("selector"), args.get("field-selector"))
                    work.extend((rt, o["metadata"]["name"], rns) for o in items)
                else:
                    raise KubectlError("resource(s) were provided, but no name was specified")
        if args.get("force") and grace == 0:
            self._eprint("Warning: Immediate deletion does not wait for confirmation that the running resource "
                         "has been terminated. The resource may continue to run on the cluster indefinitely.\n")
        if not work and not errors:
            self._eprint("No resources found\n")
        dry = dry_run_strategy(args)
        for rt, name, rns in work:
            if dry != "client":  # a client dry run asks nothing (delete.go deleteResource)
                try:
                    if dry == "server":  # the API server checks everything and stores nothing
                        client.get(rt.plural, name, rns)
                    else:
                        client.delete(rt.plural, name, rns, grace_period_seconds=grace)
                except ApiError as e:
                    errors.append(e)
                    continue
            if args.get("output") == "name":
                self._print(f"{resource_prefix(rt)}/{name}\n")
                continue
            verb = "force deleted" if args.get("force") and grace == 0 else "deleted"
            self._print(f'{_deleted_name(rt)} "{name}" {verb}{DRY_SUFFIX.get(dry, "")}\n')
        for e in errors:
            self._eprint(standard_error(e))
        return 1 if errors else 0

    # --- scale, label, annotate ----------------------------------------------------------------------------------------

    def _one_target(self, args: Args, verb: str) -> tuple[ResourceType, list[str]]:
        targets, _ = self._targets(args.positional)
        if not targets or (not targets[0][1] and not args.get("all") and not args.get("selector")):
            raise KubectlError("resource(s) were provided, but no name was specified")
        return targets[0]

    def _cmd_scale(self, args: Args) -> int:
        if not args.positional and not args.get("filename"):
            raise KubectlError(NO_RESOURCES)
        replicas = self._int_flag(args, "replicas")
        if replicas is None:
            raise KubectlError("required flag(s) \"replicas\" not set")
        if replicas < 0:
            raise KubectlError("The --replicas=COUNT flag is required, and COUNT must be greater than or equal to 0")
        rt, names = self._one_target(args, "scale")
        if rt.plural not in ("deployments", "replicasets", "statefulsets", "replicationcontrollers"):
            raise KubectlError(f'no objects passed to scale {rt.qualified} "{names[0]}" is not scalable')
        for name in names:
            self._client().patch(rt.plural, name, {"spec": {"replicas": replicas}}, namespace=self._namespace(args),
                                 patch_type="merge")
            self._print(f"{resource_prefix(rt)}/{name} scaled\n")
        return 0

    def _metadata_edit(self, args: Args, field: str) -> int:
        """``kubectl label``/``annotate``: resources first, then ``key=value`` and ``key-`` changes, all checked before
        anything is read or written (``cmdutil.GetResourcesAndPairs``, label.go ``parseLabels``, annotate.go
        ``parseAnnotations``/``validateAnnotations``)."""
        kind = field[:-1]
        rest, pairs = resources_and_pairs(args.positional, kind)
        sets, removes = parse_labels_spec(pairs) if field == "labels" else parse_annotations_spec(pairs)
        args = Args(args.command, rest, args.flags, args.cmd)
        if args.get("all") and args.get("selector"):
            raise KubectlError("cannot set --all and --selector at the same time")
        if not rest:
            raise KubectlError("one or more resources must be specified as <resource> <name> or <resource>/<name>")
        if not sets and not removes:
            raise KubectlError(f"at least one {kind} update is required")
        both = [key for key in removes if key in sets]
        if both and field == "annotations":
            raise KubectlError("can not both modify and remove the following annotation(s) in the same command: "
                               + ", ".join(both))
        rt, names = self._one_target(args, args.command)
        ns = self._namespace(args) if rt.namespaced else None
        client = self._client()
        if not names:
            names = [o["metadata"]["name"] for o in self._list(rt, ns, args.get("selector"))]
        for name in names:
            current = client.get(rt.plural, name, ns)
            existing = current["metadata"].get(field) or {}
            patch: dict[str, Any] = dict.fromkeys(removes)
            for key, value in sets.items():
                if key in existing and existing[key] != value and not args.get("overwrite"):
                    raise KubectlError(f"'{key}' already has a value ({existing[key]}), and --overwrite is false")
                patch[key] = value
            stored = client.patch(rt.plural, name, {"metadata": {field: patch}}, namespace=ns, patch_type="merge")
            verb = "labeled" if field == "labels" else "annotated"
            changed = stored is not current
            self._print(f"{resource_prefix(rt)}/{name} {verb if changed else 'not ' + verb}\n")
        return 0

    def _cmd_label(self, args: Args) -> int:
        return self._metadata_edit(args, "labels")

    def _cmd_annotate(self, args: Args) -> int:
        return self._metadata_edit(args, "annotations")

    # --- nodes: cordon, uncordon, drain ----------------------------------------------------------------------------------

    def _node_names(self, args: Args, verb: str) -> list[str]:
        if args.get("selector"):
            return [n["metadata"]["name"] for n in self._list(by_plural("nodes"), None, args.get("selector"))]
        names = [p.split("/", 1)[1] if p.startswith(("node/", "nodes/")) else p for p in args.positional]
        if len(names) != 1:
            raise KubectlError(f"USAGE: {verb} NODE [flags]", f"See 'kubectl {verb} -h' for help and examples\n")
        return names

    def _set_unschedulable(self, name: str, value: bool) -> bool:
        client = self._client()
        node = client.get("nodes", name)
        if bool((node.get("spec") or {}).get("unschedulable")) == value:
            return False
        client.patch("nodes", name, {"spec": {"unschedulable": True if value else None}}, patch_type="strategic")
        return True

    def _cmd_cordon(self, args: Args) -> int:
        for name in self._node_names(args, "cordon"):
            changed = self._set_unschedulable(name, True)
            self._print(f"node/{name} {'cordoned' if changed else 'already cordoned'}\n")
        return 0

    def _cmd_uncordon(self, args: Args) -> int:
        for name in self._node_names(args, "uncordon"):
            changed = self._set_unschedulable(name, False)
            self._print(f"node/{name} {'uncordoned' if changed else 'already uncordoned'}\n")
        return 0

    def _cmd_drain(self, args: Args) -> int:
        """Cordon, then evict every pod on the node that a controller will recreate elsewhere."""
        names = self._node_names(args, "drain")
        client = self._client()
        code = 0
        for name in names:
            changed = self._set_unschedulable(name, True)
            self._print(f"node/{name} {'cordoned' if changed else 'already cordoned'}\n")
            pods = client.list("pods", field_selector=f"spec.nodeName={name}")["items"]
            to_evict, warnings, problems = [], {}, {}
            for pod in pods:
                key = f"{pod['metadata']['namespace']}/{pod['metadata']['name']}"
                owner = next((r for r in pod["metadata"].get("ownerReferences") or [] if r.get("controller")), None)
                phase = (pod.get("status") or {}).get("phase")
                if pod["metadata"].get("annotations", {}).get("kubernetes.io/config.mirror"):
                    warnings.setdefault("ignoring mirror pods", []).append(key)
                    continue
                if phase in ("Succeeded", "Failed"):
                    to_evict.append(pod)
                    continue
                if owner is not None and owner.get("kind") == "DaemonSet":
                    if args.get("ignore-daemonsets"):
                        warnings.setdefault("ignoring DaemonSet-managed Pods", []).append(key)
                    else:
                        problems.setdefault("cannot delete DaemonSet-managed Pods (use --ignore-daemonsets to "
                                            "ignore)", []).append(key)
                    continue
                if owner is None:
                    if args.get("force"):
                        warnings.setdefault("deleting Pods that declare no controller", []).append(key)
                    else:
                        problems.setdefault("cannot delete Pods that declare no controller (use --force to "
                                            "override)", []).append(key)
                        continue
                if any("emptyDir" in v for v in (pod.get("spec") or {}).get("volumes") or []):
                    if args.get("delete-emptydir-data"):
                        warnings.setdefault("deleting Pods with local storage", []).append(key)
                    else:
                        problems.setdefault("cannot delete Pods with local storage (use --delete-emptydir-data to "
                                            "override)", []).append(key)
                        continue
                to_evict.append(pod)
            if problems:
                text = ", ".join(f"{p}: {', '.join(keys)}" for p, keys in problems.items())
                if len(problems) > 1:
                    text = "[" + text + "]"
                self._eprint(f'error: unable to drain node "{name}" due to error: {text}, continuing command...\n'
                             f"There are pending nodes to be drained:\n {name}\n{text}\n")
                code = 1
                continue
            if warnings:
                self._eprint("Warning: " + "; ".join(f"{w}: {', '.join(keys)}" for w, keys in warnings.items()) + "\n")
            grace = self._int_flag(args, "grace-period")
            for pod in to_evict:
                self._eprint(f"evicting pod {pod['metadata']['namespace']}/{pod['metadata']['name']}\n")
                client.delete("pods", pod["metadata"]["name"], pod["metadata"]["namespace"],
                              grace_period_seconds=None if grace is None or grace < 0 else grace)
            self._wait(lambda to_evict=to_evict: all(self.api.peek("pods", p["metadata"]["name"], p["metadata"]["namespace"]) is None
                                   or self.api.peek("pods", p["metadata"]["name"], p["metadata"]["namespace"])
                                   ["metadata"]["uid"] != p["metadata"]["uid"] for p in to_evict))
            for pod in to_evict:
                self._print(f"pod/{pod['metadata']['name']} evicted\n")
            self._print(f"node/{name} drained\n")
        return code

    def _wait(self, done: Callable[[], bool], timeout: float = WAIT_TIMEOUT,
              progress: Callable[[], None] | None = None) -> bool:
        """Run the simulation until ``done()`` (kubectl's watch loop), at most ``timeout`` simulated seconds."""
        return self.cluster.run_until(done, self.now + timeout, after_step=progress)

    # --- logs ------------------------------------------------------------------------------------------------------

    def _cmd_logs(self, args: Args) -> int:
        if not args.positional and args.get("selector"):
            # Every Pod the selector matches, one after the other (kubectl streams them concurrently, so the
            # real order of their lines depends on timing).
            pods = self._list(by_plural("pods"), self._namespace(args), args.get("selector"))  # type: ignore[arg-type]
            if not pods:
                self._eprint(f"No resources found in {self._namespace(args)} namespace.\n")
                return 0
            code = 0
            for pod in pods:
                code = self._cmd_logs(Args(args.command, [pod["metadata"]["name"]], args.flags, args.cmd)) or code
            return code
        if not args.positional:
            raise KubectlError("expected 'logs [-f] [-p] (POD | TYPE/NAME) [-c CONTAINER]'.\nPOD or TYPE/NAME is a "
                               "required argument for the logs command", "See 'kubectl logs -h' for help and "
                               "examples\n")
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
                pods = client.list("pods", ns, label_selector=",".join(f"{k}={v}" for k, v in sorted(selector.items())))
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
                default = (pod["metadata"].get("annotations") or {}).get("kubectl.kubernetes.io/default-container")
                container = default or containers[0]
                self._eprint(f'Defaulted container "{container}" out of: {", ".join(containers)}\n')
            else:
                container = containers[0]
        elif container not in containers + [c["name"] for c in pod["spec"].get("initContainers") or []]:
            raise ApiError(400, "BadRequest", f"container {container} is not valid for pod {target}")
        node = pod["spec"].get("nodeName")
        if not node:
            raise ApiError(400, "BadRequest", f'container "{container}" in pod "{target}" is waiting to start: '
                           "ContainerCreating")
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

    # --- rollout ------------------------------------------------------------------------------------------------------

    def _cmd_rollout(self, args: Args) -> int:
        if not args.positional:
            raise KubectlError("Required resource not specified.")
        sub, rest = args.positional[0], args.positional[1:]
        if sub not in ("status", "history", "restart", "undo", "pause", "resume"):
            raise KubectlError(f'unknown command "{" ".join(args.positional)}"',
                               "See 'kubectl rollout -h' for help and examples\n")
        targets, _ = self._targets(rest)
        if not targets or not targets[0][1]:
            raise KubectlError("required resource not specified",
                               f"See 'kubectl rollout {sub} -h' for help and examples\n")
        rt, names = targets[0]
        ns = self._namespace(args)
        client = self._client()
        for name in names:
            obj = client.get(rt.plural, name, ns)
            if sub == "status":
                return self._rollout_status(rt, name, ns, args)
            if sub == "restart":
                stamp = f"{self.cluster.timestamp()}"
                client.patch(rt.plural, name, {"spec": {"template": {"metadata": {"annotations": {
                    "kubectl.kubernetes.io/restartedAt": stamp}}}}}, namespace=ns, patch_type="strategic")
                self._print(f"{resource_prefix(rt)}/{name} restarted\n")
            elif sub in ("pause", "resume"):
                paused = sub == "pause"
                if bool((obj.get("spec") or {}).get("paused")) == paused:
                    self._print(f"{resource_prefix(rt)}/{name} already {sub}d\n")
                    continue
                client.patch(rt.plural, name, {"spec": {"paused": True if paused else None}}, namespace=ns,
                             patch_type="merge")
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

    def _owned_replicasets(self, d: dict) -> list[dict]:
        uid = d["metadata"]["uid"]
        rss = [rs for rs in self.api.items("replicasets", d["metadata"]["namespace"])
               if any(r.get("uid") == uid for r in rs["metadata"].get("ownerReferences") or [])]
        return sorted(rss, key=lambda rs: int((rs["metadata"].get("annotations") or {}).get(
            "deployment.kubernetes.io/revision", "0") or 0))

    def _rollout_history(self, rt: ResourceType, obj: dict) -> None:
        if rt.plural != "deployments":
            raise KubectlError(f"no history viewer has been implemented for \"{rt.kind}\"")
        rows = [["REVISION", "CHANGE-CAUSE"]]
        for rs in self._owned_replicasets(obj):
            ann = rs["metadata"].get("annotations") or {}
            rows.append([ann.get("deployment.kubernetes.io/revision", "0"), ann.get("kubernetes.io/change-cause",
                                                                                    "<none>")])
        # history.go writes the table through describe's tabbedString (padding 2), not the printers' tabwriter.
        table = go_tabwriter("".join("\t".join(r) + "\n" for r in rows))
        self._print(f"{resource_prefix(rt)}/{obj['metadata']['name']} \n{table}\n")

    def _rollout_revision(self, rt: ResourceType, obj: dict, revision: int) -> None:
        """``rollout history --revision=N``: the ReplicaSet's Pod template as ``DescribePodTemplate`` writes it,
        without a tabwriter (``polymorphichelpers/history.go`` ``printTemplate``)."""
        if rt.plural != "deployments":
            raise KubectlError(f"no history viewer has been implemented for \"{rt.kind}\"")
        for rs in self._owned_replicasets(obj):
            ann = rs["metadata"].get("annotations") or {}
            if ann.get("deployment.kubernetes.io/revision") == str(revision):
                template = deep_copy((rs.get("spec") or {}).get("template") or {})
                if ann.get("kubernetes.io/change-cause"):
                    template.setdefault("metadata", {}).setdefault("annotations", {})[
                        "kubernetes.io/change-cause"] = ann["kubernetes.io/change-cause"]
                self._print(f"{resource_prefix(rt)}/{obj['metadata']['name']} with revision #{revision}\n"
                            f"{pod_template_text(template)}\n")
                return
        raise KubectlError("unable to find the specified revision")

    def _rollout_undo(self, rt: ResourceType, obj: dict, to_revision: int) -> None:
        rss = self._owned_replicasets(obj)
        revision = lambda rs: int((rs["metadata"].get("annotations") or {}).get(
            "deployment.kubernetes.io/revision", "0") or 0)
        if to_revision:
            match = [rs for rs in rss if revision(rs) == to_revision]
            if not match:
                raise KubectlError(f"unable to find specified revision {to_revision} in history")
            target = match[0]
        else:
            if len(rss) < 2:
                raise KubectlError(f"no rollout history found for deployment \"{obj['metadata']['name']}\"")
            target = rss[-2]
        template = deep_copy(target["spec"]["template"])
        template["metadata"].get("labels", {}).pop("pod-template-hash", None)
        self._client().patch(rt.plural, obj["metadata"]["name"], {"spec": {"template": {"$patch": "replace",
                                                                                        **template}}},
                             namespace=obj["metadata"]["namespace"], patch_type="strategic")
        self._print(f"{resource_prefix(rt)}/{obj['metadata']['name']} rolled back\n")

    def _rollout_status(self, rt: ResourceType, name: str, ns: str, args: Args) -> int:
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

    # --- expose -------------------------------------------------------------------------------------------------

    def _cmd_expose(self, args: Args) -> int:
        targets, _ = self._targets(args.positional)
        if not targets or not targets[0][1]:
            raise KubectlError(NO_RESOURCES)
        rt, names = targets[0]
        ns = self._namespace(args)
        client = self._client()
        obj = client.get(rt.plural, names[0], ns)
        if rt.plural == "pods":
            selector = obj["metadata"].get("labels") or {}
            ports = [p.get("containerPort") for c in obj["spec"].get("containers") or [] for p in c.get("ports") or []]
        elif rt.plural in ("deployments", "replicasets", "daemonsets"):
            selector = (obj["spec"].get("selector") or {}).get("matchLabels") or {}
            ports = [p.get("containerPort") for c in obj["spec"]["template"]["spec"].get("containers") or []
                     for p in c.get("ports") or []]
        elif rt.plural == "services":
            selector = obj["spec"].get("selector") or {}
            ports = [p["port"] for p in obj["spec"].get("ports") or []]
        else:
            raise KubectlError(f"cannot expose a {rt.kind}")
        if not selector:
            raise KubectlError(f"couldn't retrieve selectors via --selector flag or introspection: the {rt.kind} "
                               "has no labels")
        port: int | None = None
        if args.get("port"):
            try:
                port = atoi(args.get("port"))
            except GoError as e:
                raise KubectlError(str(e)) from None
        port = port or (ports[0] if ports else None)
        if port is None:
            raise KubectlError("couldn't find port via --port flag or introspection",
                               "See 'kubectl expose -h' for help and examples\n")
        target = args.get("target-port")
        service_port: dict[str, Any] = {"port": port, "protocol": args.get("protocol") or "TCP"}
        target_value: Any = int(target) if target and target.isdigit() else target or port
        service_port["targetPort"] = target_value
        name = args.get("name") or names[0]
        svc = {"apiVersion": "v1", "kind": "Service",
               "metadata": {"name": name, "labels": obj["metadata"].get("labels") or {}},
               "spec": {"ports": [service_port], "selector": selector, "type": args.get("type") or "ClusterIP"}}
        client.create(svc, namespace=ns)
        self._print(f"service/{name} exposed\n")
        return 0

    # --- top, version, cluster-info, api-resources, config ------------------------------------------------------------

    def _cmd_top(self, args: Args) -> int:
        """``kubectl top node|pod``: the metrics.k8s.io usage, laid out as kubectl's TopCmdPrinter does."""
        if not args.positional:
            raise KubectlError("Required resource not specified.")
        if args.positional[0] not in ("node", "nodes", "no", "pod", "pods", "po"):
            raise KubectlError(f'unknown command "{" ".join(args.positional)}"',
                               "See 'kubectl top -h' for help and examples\n")
        sort_by = args.get("sort-by") or ""
        if sort_by not in ("", "cpu", "memory"):
            raise KubectlError("--sort-by accepts only cpu or memory")
        metrics = getattr(getattr(self.cluster, "addons", None), "metrics", None)
        if metrics is None:  # no metrics-server installed: no metrics.k8s.io APIService in discovery
            raise KubectlError("Metrics API not available")
        if not metrics.available:  # the APIService is there, its backend is not
            raise ApiError(503, "ServiceUnavailable", "the server is currently unable to handle the request")
        if args.positional[0].startswith("no"):
            return self._top_nodes(metrics, args, sort_by)
        return self._top_pods(metrics, args, sort_by)

    def _top_nodes(self, metrics: Any, args: Args, sort_by: str) -> int:
        """NAME CPU(cores) CPU(%) MEMORY(bytes) MEMORY(%); percentages of allocatable, truncated."""
        name = args.positional[1] if len(args.positional) > 1 else None
        usage = {r["name"]: r for r in metrics.top_nodes() if r["cpu"] is not None}
        if name:
            if name not in usage:
                raise ApiError(404, "NotFound", f'nodemetrics.metrics.k8s.io "{name}" not found')
            nodes = [self._client().get("nodes", name)]
        else:
            nodes = self._client().list("nodes", label_selector=args.get("selector"))["items"]
        measured = [n for n in nodes if n["metadata"]["name"] in usage]
        if not measured:
            raise KubectlError("metrics not available yet")
        measured = _top_sorted(sorted(measured, key=lambda n: n["metadata"]["name"]),
                               lambda n: usage[n["metadata"]["name"]], sort_by)
        rows = [] if args.get("no-headers") else [["NAME", "CPU(cores)", "CPU(%)", "MEMORY(bytes)", "MEMORY(%)"]]
        for node in measured:
            u = usage[node["metadata"]["name"]]
            alloc = (node.get("status") or {}).get("allocatable") or {}
            cpu_alloc, mem_alloc = millicores(alloc.get("cpu", "0")), units(alloc.get("memory", "0"))
            rows.append([node["metadata"]["name"], f"{u['cpu']}m",
                         f"{u['cpu'] * 100 // cpu_alloc}%" if cpu_alloc else "<unknown>",
                         f"{u['memory'] // 2**20}Mi",
                         f"{u['memory'] * 100 // mem_alloc}%" if mem_alloc else "<unknown>"])
        # printMissingMetricsNodeLine: nodes the metrics-server could not scrape.
        rows += [[n["metadata"]["name"]] + ["<unknown>"] * 4 for n in nodes if n not in measured]
        self._print(tabulate(rows))
        return 0

    def _top_pods(self, metrics: Any, args: Args, sort_by: str) -> int:
        """NAME CPU(cores) MEMORY(bytes), NAMESPACE first with ``-A``."""
        all_ns = bool(args.get("all-namespaces"))
        ns = None if all_ns else self._namespace(args)
        name = args.positional[1] if len(args.positional) > 1 else None
        usage = {(r["namespace"], r["name"]): r for r in metrics.top_pods(ns)}
        if name and (ns, name) not in usage:
            raise ApiError(404, "NotFound", f'podmetrics.metrics.k8s.io "{ns}/{name}" not found')
        client = self._client()
        if name:
            pods = [client.get("pods", name, ns)]
        else:
            pods = client.list("pods", ns, label_selector=args.get("selector"))["items"]
        key = lambda p: (p["metadata"]["namespace"], p["metadata"]["name"])
        measured = [p for p in pods if key(p) in usage]
        if not measured:
            # verifyEmptyMetrics: pods older than two minutes should have been measured by now.
            for pod in pods:
                age = self.now - parse_timestamp(pod["metadata"]["creationTimestamp"])
                if age > METRICS_CREATION_DELAY:
                    raise KubectlError(f"Metrics not available for pod {key(pod)[0]}/{key(pod)[1]}, "
                                       f"age: {go_duration(age)}")
            if pods:
                raise KubectlError("metrics not available yet")
            self._eprint("No resources found\n" if all_ns else f"No resources found in {ns} namespace.\n")
            return 0
        measured = sorted(measured, key=key) if all_ns else sorted(measured, key=lambda p: p["metadata"]["name"])
        measured = _top_sorted(measured, lambda p: usage[key(p)], sort_by)
        header = ["NAME", "CPU(cores)", "MEMORY(bytes)"]
        rows = [] if args.get("no-headers") else [["NAMESPACE", *header] if all_ns else header]
        for pod in measured:
            u = usage[key(pod)]
            row = [pod["metadata"]["name"], f"{u['cpu']}m", f"{u['memory'] // 2**20}Mi"]
            rows.append([pod["metadata"]["namespace"], *row] if all_ns else row)
        self._print(tabulate(rows))
        return 0

    def _cmd_version(self, args: Args) -> int:
        text = f"Client Version: {VERSION}\nKustomize Version: v5.5.0\n"
        if not args.get("client"):
            text += f"Server Version: {VERSION}\n"
        self._print(text)
        return 0

    def _cmd_cluster_info(self, args: Args) -> int:
        ip = self._server_ip()
        # go-colortext colours the names and URLs only on a terminal; a notebook's output is not one.
        text = f"Kubernetes control plane is running at https://{ip}:6443\n"
        if self.api.peek("services", "kube-dns", "kube-system") is not None:
            text += (f"CoreDNS is running at https://{ip}:6443/api/v1/namespaces/kube-system/services/"
                     "kube-dns:dns/proxy\n")
        text += "\nTo further debug and diagnose cluster problems, use 'kubectl cluster-info dump'.\n"
        self._print(text)
        return 0

    def _cmd_api_resources(self, args: Args) -> int:
        rows = [] if args.get("no-headers") else [["NAME", "SHORTNAMES", "APIVERSION", "NAMESPACED", "KIND"]]
        listed = []
        for group, version, resource in _discovered():
            if "/" not in resource["name"]:
                listed.append((group, resource["name"], version, resource))
        for group, name, version, r in sorted(listed, key=lambda x: (x[0], x[1])):
            rows.append([name, ",".join(r.get("shortNames") or []), f"{group}/{version}" if group else version,
                         str(r["namespaced"]).lower(), r["kind"]])
        if args.get("output") == "name":
            self._print("".join(f"{name}.{group}\n" if group else f"{name}\n"
                                for group, name, _, _ in sorted(listed, key=lambda x: (x[0], x[1]))))
            return 0
        self._print(tabulate(rows))
        return 0

    def _cmd_api_versions(self, args: Args) -> int:
        """``apiversions.go``: every group version the server announces, sorted as strings."""
        versions = sorted({f"{g}/{v}" if g else v for g, v, _ in _discovered()})
        self._print("".join(f"{v}\n" for v in versions))
        return 0

    def _cmd_config(self, args: Args) -> int:
        if args.positional[:1] == ["current-context"]:
            self._print(f"{USER}@{self.cluster.name}\n")
            return 0
        context = f"{USER}@{self.cluster.name}"
        if args.positional[:1] == ["get-contexts"]:
            header = ["CURRENT", "NAME", "CLUSTER", "AUTHINFO", "NAMESPACE"]
            missing = [n for n in args.positional[1:] if n != context]
            if missing:  # get_contexts.go prints the header, then the error
                self._print(tabulate([header, *([["*", context, self.cluster.name, USER, ""]]
                                                if context in args.positional[1:] else [])]))
                raise KubectlError(f"context {missing[0]} not found")
            self._print(tabulate([header, ["*", context, self.cluster.name, USER, ""]]))
            return 0
        if args.positional[:1] in (["use-context"], ["use"]) and len(args.positional) == 2:
            if args.positional[1] != context:
                raise KubectlError(f'no context exists with the name: "{args.positional[1]}"')
            self._print(f'Switched to context "{context}".\n')
            return 0
        raise KubectlError(f'unknown command "{" ".join(args.positional)}"',
                           "See 'kubectl config -h' for help and examples\n")

    def _cmd_auth(self, args: Args) -> int:
        sub = Args(args.command, args.positional[1:], args.flags, args.cmd)
        return run_whoami(self, sub) if args.cmd.path == "auth whoami" else run_can_i(self, sub)


#: Commands whose code lives in a module of their own: ``run(kubectl, args)``.
RUNNERS: dict[str, Callable[[Kubectl, Args], int]] = {
    "events": run_events, "wait": run_wait, "set": run_set, "patch": run_patch, "replace": run_replace,
    "edit": run_edit, "taint": run_taint, "diff": run_diff,
    "explain": run_explain,
}


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


def resources_and_pairs(words: list[str], kind: str, is_change: Callable[[str], bool] = _is_pair
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
    """label.go ``parseLabels``: ``k=v`` with a valid label value (``IsValidLabelValue``), ``k-`` to remove."""
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
                problems.append("a valid label must be an empty string or consist of alphanumeric characters, '-', "
                                "'_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  "
                                "or 'my_value',  or '12345', regex used for validation is "
                                "'(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')")
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
                return ((f'Waiting for deployment "{name}" rollout to finish: {updated} out of {replicas} new '
                        "replicas have been updated...\n"), False)
            if total > updated:
                return ((f'Waiting for deployment "{name}" rollout to finish: {total - updated} old replicas are '
                        "pending termination...\n"), False)
            if available < updated:
                return ((f'Waiting for deployment "{name}" rollout to finish: {available} of {updated} updated '
                        "replicas are available...\n"), False)
            return f'deployment "{name}" successfully rolled out\n', True
        return "Waiting for deployment spec update to be observed...\n", False
    if rt.plural == "daemonsets":
        if obj["metadata"].get("generation", 0) <= st.get("observedGeneration", 0):
            desired, updated = st.get("desiredNumberScheduled", 0), st.get("updatedNumberScheduled", 0)
            available = st.get("numberAvailable", 0)
            if updated < desired:
                return ((f'Waiting for daemon set "{name}" rollout to finish: {updated} out of {desired} new pods have '
                        "been updated...\n"), False)
            if available < desired:
                return ((f'Waiting for daemon set "{name}" rollout to finish: {available} of {desired} updated pods '
                        "are available...\n"), False)
            return f'daemon set "{name}" successfully rolled out\n', True
        return "Waiting for daemon set spec update to be observed...\n", False
    raise KubectlError(f"no status viewer has been implemented for {rt.kind}")


def three_way_patch(original: Any, modified: Any, current: Any, field: str = "") -> dict:
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
            sub = three_way_patch(original.get(key), value, cur, key)
            if sub:
                patch[key] = sub
        elif isinstance(value, list) and isinstance(cur, list) and key in MERGE_KEYS and \
                all(isinstance(v, dict) for v in value + cur):
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


def with_source(e: ApiError, verb: str, source: str) -> ApiError:
    """``cmdutil.AddSourceToErr``: ``error when creating "web.yaml": …`` (the Status stays a Status)."""
    if not source:
        return e
    return ApiError(e.code, e.reason, f'error when {verb} "{source}": {e.message}', kind=e.kind, name=e.name,
                    group=e.group, causes=list(e.causes))


def standard_error(e: ApiError) -> str:
    """How kubectl's CheckErr prints a Status error (``Error from server (NotFound): …``, ``The Pod "x" is invalid``)."""
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
