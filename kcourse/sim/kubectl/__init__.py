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
order kubectl's event lists show.  The older ones are each in the module named
after their kubectl package too (``get``, ``describecmd``, ``apply``,
``create``, ``run``, ``delete``, ``scale``, ``label``, ``drain``, ``logs``,
``rollout``, ``expose``, ``top``, ``clusterinfo``), as functions of the
client that :class:`Kubectl` binds as its methods; ``cmdutil`` holds what
they share, as kubectl's ``pkg/cmd/util`` does.

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

import shlex
from collections.abc import Callable
from typing import Any

from ..apiserver import Unreachable
from ..errors import ApiError
from ..resources import ResourceType, lookup
from . import apply as apply_cmd
from . import clusterinfo as clusterinfo_cmd
from . import create as create_cmd
from . import delete as delete_cmd
from . import describecmd as describecmd_cmd
from . import drain as drain_cmd
from . import expose as expose_cmd
from . import get as get_cmd
from . import jsonpath as jsonpath
from . import label as label_cmd
from . import logs as logs_cmd
from . import rollout as rollout_cmd
from . import run as run_cmd
from . import scale as scale_cmd
from . import top as top_cmd
from .cmdutil import (
    ALL,
    IMPLEMENTED,
    INERT,
    LAST_APPLIED,
    PRINTER_FORMATS,
    REQUIRED,
    SUPPORTED,
    TEMPLATE_FORMATS,
    USER,
    VERSION,
    WAIT_TIMEOUT,
    Args,
    KubectlError,
    Output,
    _valid_request_timeout,
    klog_header,
    kubeconfig_problem,
    parse,
    standard_error,
    suggestions,
)
from .cmdutil import DRY_SUFFIX as DRY_SUFFIX
from .cmdutil import NO_RESOURCES as NO_RESOURCES
from .cmdutil import _discovered as _discovered
from .cmdutil import dry_run_strategy as dry_run_strategy
from .cmdutil import resources_and_pairs as resources_and_pairs
from .cmdutil import three_way_patch as three_way_patch
from .diff import run_diff
from .events import run_events
from .explain import run_explain
from .flags import ROOT, FlagError
from .patch import run_edit, run_patch, run_replace
from .printers import resource_prefix as resource_prefix
from .setcmd import run_set
from .taint import run_taint
from .wait import run_wait

__all__ = ["LAST_APPLIED", "VERSION", "WAIT_TIMEOUT", "Kubectl", "KubectlError", "Output"]


class Kubectl:
    def __init__(
        self,
        cluster: Any,
        *,
        age_clock: Callable[[], float] | None = None,
        environ: dict[str, str] | None = None,
    ):
        """``age_clock`` gives the simulated instant that ages (``AGE``, ``LAST SEEN``) are measured from: the
        cluster's clock unless told otherwise (a served cluster's real kubectl measures them from the wall
        clock). ``environ`` is the environment kubectl would see (``KUBE_EDITOR``, ``EDITOR``); none by
        default, so the answers never depend on the process's own."""
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
        return (
            code,
            "".join(t for s, t in self._out if s == "out"),
            "".join(t for s, t in self._out if s == "err"),
        )

    def _execute(self, command: str | list[str]) -> int:
        self._out = []
        if not isinstance(command, str) and not (
            isinstance(command, (list, tuple)) and all(isinstance(word, str) for word in command)
        ):
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
            # CheckErr prints several errors one a line, without the "error: " of a single one ("multiple"),
            # and some errors carry their own prefix ("bare").
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
        """A command line refused while reading it: cobra's unknown command, kubectl's plugin check, pflag's
        errors."""
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
            self._print(
                f"Usage:\n  kubectl {path} [flags] [options]\n\nThe full help of this command is at "
                f"https://kubernetes.io/docs/reference/kubectl/generated/kubectl_{doc}/\n"
            )
            return 0
        runner = RUNNERS.get(args.command)
        handler = (
            (lambda a: runner(self, a))
            if runner
            else getattr(self, "_cmd_" + args.command.replace("-", "_"), None)
        )
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
            if (
                name in ("namespace", "help")
                or name in INERT
                or name in SUPPORTED[args.command]
                or name in ours
            ):
                continue
            if value != known[name].default():
                raise KubectlError(
                    f'the --{name} flag of "kubectl {args.cmd.path}" is not available in this '
                    "simulated cluster"
                )

    def _check_kubeconfig_flags(self, args: Args) -> set[str]:
        """``--context``, ``--cluster``, ``--user``, ``--kubeconfig``: the one kubeconfig entry there is, or
        clientcmd's error (``client-go/tools/clientcmd``); returns the flags that named this cluster's own
        entries."""
        if args.cmd.path.startswith("config"):
            return set()
        own = {"context": f"{USER}@{self.cluster.name}", "cluster": self.cluster.name, "user": USER}
        context, cluster, user = (args.get(name) for name in ("context", "cluster", "user"))
        if context and context != own["context"]:
            raise KubectlError(
                f"Error in configuration: context was not found for specified context: {context}", "bare"
            )
        if cluster and cluster != own["cluster"]:
            raise KubectlError(f'no server found for cluster "{cluster}"')
        if user and user != own["user"]:
            raise KubectlError(f'auth info "{user}" does not exist')
        kubeconfig = args.get("kubeconfig")
        problem = kubeconfig_problem(kubeconfig) if kubeconfig else None
        if problem:
            raise KubectlError(problem)
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
                raise KubectlError(
                    'the --output=wide flag of "kubectl api-resources" is not available in this '
                    "simulated cluster"
                )
        elif path == "delete":
            if output not in ("", "name"):
                raise KubectlError(f"unexpected -o output mode: {output}. We only support '-o name'")
        elif output and fmt in TEMPLATE_FORMATS and not template:
            raise KubectlError("template format specified but no template given")
        elif path == "get":
            if fmt in TEMPLATE_FORMATS and fmt != "jsonpath":
                raise KubectlError(
                    f'the --output={fmt} flag of "kubectl get" is not available in this simulated cluster'
                )
        elif output and fmt not in PRINTER_FORMATS.split(","):
            raise KubectlError(
                f'unable to match a printer suitable for the output format "{output}", allowed '
                f"formats are: {PRINTER_FORMATS}"
            )

    def _check_values(self, args: Args) -> None:
        """The values kubectl's Complete checks for every command that has the flag."""
        dry = args.get("dry-run")
        if dry is not None and dry not in ("none", "client", "server", "unchanged"):
            raise KubectlError(f'Invalid dry-run value ({dry}). Must be "none", "server", or "client".')
        if dry == "unchanged":  # cmdutil.GetDryRunStrategy logs this through klog, with klog's header
            self._eprint(
                f"{klog_header('W', self.now)} helpers.go:702] --dry-run is deprecated and can be replaced "
                "with --dry-run=client.\n"
            )
        validate = args.get("validate")
        if validate is not None and validate.lower() not in ("strict", "true", "warn", "ignore", "false"):
            raise KubectlError(
                f'invalid - validate option "{validate}"; must be one of: strict (or true), warn, '
                "ignore (or false)"
            )
        cascade = args.get("cascade")
        if cascade is not None and cascade not in ("background", "foreground", "orphan", "true", "false"):
            raise KubectlError(
                f'invalid cascade value ({cascade}). Must be "background", "foreground", or "orphan"'
            )
        timeout = args.get("request-timeout")
        if timeout is not None and not _valid_request_timeout(timeout):
            raise KubectlError(
                "Invalid timeout value. Timeout must be a single integer in seconds, or an integer "
                "followed by a corresponding time unit (e.g. 1s | 2m | 3h)"
            )

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

    def _list(
        self,
        rt: ResourceType,
        namespace: str | None,
        label_selector: str | None = None,
        field_selector: str | None = None,
    ) -> list[dict]:
        """A list as kubectl's resource builder makes it: a 400 or 404 names the resource and the selectors.

        ``cli-runtime`` ``resource/selector.go`` rewrites the Status message (``Unable to find "/v1,
        Resource=pods" that match label selector …``) and keeps its reason.
        """
        try:
            return self._client().list(
                rt.plural, namespace, label_selector=label_selector, field_selector=field_selector
            )["items"]
        except ApiError as e:
            if e.code not in (400, 404):
                raise
            gv = rt.api_version if "/" in rt.api_version else "/" + rt.api_version
            resource = f"{gv}, Resource={rt.plural}"
            if label_selector or field_selector:
                message = (
                    f'Unable to find "{resource}" that match label selector "{label_selector or ""}", '
                    f'field selector "{field_selector or ""}": {e.message}'
                )
            else:
                message = f'Unable to list "{resource}": {e.message}'
            raise ApiError(
                e.code, e.reason, message, kind=e.kind, name=e.name, group=e.group, causes=list(e.causes)
            ) from None

    def _targets(self, positional: list[str]) -> tuple[list[tuple[ResourceType, list[str]]], bool]:
        """``pods``, ``pods,svc``, ``pod/x pod/y``, ``pods x y`` → types with names; and whether to show
        kinds."""
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
            raise KubectlError(
                "there is no need to specify a resource type as a separate argument when passing "
                "arguments in resource/name form (e.g. 'kubectl get resource/<resource_name>' "
                "instead of 'kubectl get resource resource/<resource_name>'"
            )
        kinds: list[ResourceType] = []
        for part in positional[0].split(","):
            if part == "all":
                kinds.extend(ALL)
            elif part:
                kinds.append(self._resource(part))
        show = "," in positional[0] or positional[0] == "all"
        names = positional[1:]
        if names and len(kinds) > 1:
            if positional[0] == "all" or "all" in positional[0].split(","):
                raise KubectlError("you may only specify a single resource type")
            # normalizeMultipleResourcesArgs: "svc,ep web" means "svc/web ep/web".
            return self._targets(
                [f"{part}/{name}" for part in positional[0].split(",") if part for name in names]
            )
        return [(rt, list(names)) for rt in kinds], show

    # --- get ----------------------------------------------------------------------------------------------

    def _wait(
        self,
        done: Callable[[], bool],
        timeout: float = WAIT_TIMEOUT,
        progress: Callable[[], None] | None = None,
    ) -> bool:
        """Run the simulation until ``done()`` (kubectl's watch loop), at most ``timeout`` simulated
        seconds."""
        return self.cluster.run_until(done, self.now + timeout, after_step=progress)

    # --- logs -----------------------------------------------------------------------------------------------

    # --- commands, each in the module named after its kubectl package -----------------------------
    _cmd_get = get_cmd._cmd_get
    _sorted = get_cmd._sorted
    _print_objects = get_cmd._print_objects
    _print_data = get_cmd._print_data
    _custom_columns = staticmethod(get_cmd._custom_columns)
    _typed = staticmethod(get_cmd._typed)
    _cmd_describe = describecmd_cmd._cmd_describe
    _file_objects = apply_cmd._file_objects
    _file_sources = apply_cmd._file_sources
    _check_namespace = apply_cmd._check_namespace
    apply = apply_cmd.apply
    _apply_one = apply_cmd._apply_one
    _cmd_apply = apply_cmd._cmd_apply
    _apply_server_side = apply_cmd._apply_server_side
    _each_manifest = apply_cmd._each_manifest
    _cmd_create = create_cmd._cmd_create
    _create_token = create_cmd._create_token
    _create_generated = create_cmd._create_generated
    _create_from_literals = create_cmd._create_from_literals
    _create_deployment = create_cmd._create_deployment
    _cmd_run = run_cmd._cmd_run
    _cmd_delete = delete_cmd._cmd_delete
    _one_target = delete_cmd._one_target
    _cmd_scale = scale_cmd._cmd_scale
    _metadata_edit = label_cmd._metadata_edit
    _cmd_label = label_cmd._cmd_label
    _cmd_annotate = label_cmd._cmd_annotate
    _node_names = drain_cmd._node_names
    _set_unschedulable = drain_cmd._set_unschedulable
    _cmd_cordon = drain_cmd._cmd_cordon
    _cmd_uncordon = drain_cmd._cmd_uncordon
    _cmd_drain = drain_cmd._cmd_drain
    _cmd_logs = logs_cmd._cmd_logs
    _cmd_rollout = rollout_cmd._cmd_rollout
    _owned_replicasets = rollout_cmd._owned_replicasets
    _rollout_history = rollout_cmd._rollout_history
    _rollout_revision = rollout_cmd._rollout_revision
    _rollout_undo = rollout_cmd._rollout_undo
    _rollout_status = rollout_cmd._rollout_status
    _cmd_expose = expose_cmd._cmd_expose
    _cmd_top = top_cmd._cmd_top
    _top_nodes = top_cmd._top_nodes
    _top_pods = top_cmd._top_pods
    _cmd_version = clusterinfo_cmd._cmd_version
    _cmd_cluster_info = clusterinfo_cmd._cmd_cluster_info
    _cmd_api_resources = clusterinfo_cmd._cmd_api_resources
    _cmd_api_versions = clusterinfo_cmd._cmd_api_versions
    _cmd_config = clusterinfo_cmd._cmd_config
    _cmd_auth = clusterinfo_cmd._cmd_auth


#: Commands whose code lives in a module of their own: ``run(kubectl, args)``.
RUNNERS: dict[str, Callable[[Kubectl, Args], int]] = {
    "events": run_events,
    "wait": run_wait,
    "set": run_set,
    "patch": run_patch,
    "replace": run_replace,
    "edit": run_edit,
    "taint": run_taint,
    "diff": run_diff,
    "explain": run_explain,
}
