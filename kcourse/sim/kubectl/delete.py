"""``kubectl delete``: delete by name, label selector, ``--all`` or file, with the cascade policy asked for
(a port of ``pkg/cmd/delete``).

Simplified: flags outside :data:`.cmdutil.SUPPORTED` are refused unless left at their default.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..errors import ApiError
from ..resources import ResourceType, by_kind
from .cmdutil import (
    DRY_SUFFIX,
    NO_RESOURCES,
    Args,
    KubectlError,
    _deleted_name,
    dry_run_strategy,
    standard_error,
)
from .printers import (
    resource_prefix,
)

if TYPE_CHECKING:
    from . import Kubectl


def _cmd_delete(self: Kubectl, args: Args) -> int:
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
                    work.append(
                        (rt, obj["metadata"]["name"], self._check_namespace(obj, args.get("namespace")))
                    )
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
        self._eprint(
            "Warning: Immediate deletion does not wait for confirmation that the running resource "
            "has been terminated. The resource may continue to run on the cluster indefinitely.\n"
        )
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


def _one_target(self: Kubectl, args: Args) -> tuple[ResourceType, list[str]]:
    targets, _ = self._targets(args.positional)
    if not targets or (not targets[0][1] and not args.get("all") and not args.get("selector")):
        raise KubectlError("resource(s) were provided, but no name was specified")
    return targets[0]
