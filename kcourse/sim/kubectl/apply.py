"""``kubectl apply``: create what is missing, or send a three-way strategic merge patch computed from the
last-applied annotation, the manifest and the live object (a port of ``pkg/cmd/apply``).

Simplified: ``--server-side`` keeps no managedFields, so it meets no conflicts;
flags outside :data:`.cmdutil.SUPPORTED` are refused unless left at their default.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..errors import ApiError
from ..manifests import load_manifests, manifest_sources
from ..objects import deep_copy
from ..resources import ResourceType, by_kind
from .cmdutil import (
    DRY_SUFFIX,
    LAST_APPLIED,
    Args,
    KubectlError,
    dry_run_strategy,
    path_problem,
    standard_error,
    three_way_patch,
    with_source,
)
from .printers import (
    resource_prefix,
)

if TYPE_CHECKING:
    from . import Kubectl


def _file_objects(self: Kubectl, args: Args) -> list[dict]:
    return [o for _, objs in self._file_sources(args) for o in objs]


def _file_sources(_self: Kubectl, args: Args) -> list[tuple[str, list[dict]]]:
    """The objects of each ``-f`` file; paths that do not exist are reported together, as the builder does."""
    paths = args.get("filename") or []
    problems = [problem for p in paths if (problem := path_problem(p))]
    if len(problems) == 1:
        raise KubectlError(problems[0])
    if problems:
        raise KubectlError("\n".join(problems), "multiple")
    try:
        return manifest_sources(paths)
    except ApiError as e:  # kubectl reads -f files itself: their errors are client-side
        raise KubectlError(e.message) from None


def _check_namespace(_self: Kubectl, obj: dict, namespace: str | None) -> str | None:
    rt = by_kind(obj.get("kind", ""))
    if rt is None or not rt.namespaced:
        return None
    own = (obj.get("metadata") or {}).get("namespace")
    if own and namespace and own != namespace:
        raise KubectlError(
            f'the namespace from the provided object "{own}" does not match the namespace '
            f"\"{namespace}\". You must pass '--namespace={own}' to perform this operation."
        )
    return own or namespace or "default"


def apply(self: Kubectl, manifest: Any, namespace: str | None = None) -> Any:
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


def _mapping_error(obj: dict, source: str) -> ApiError:
    """The resource builder's error for an object of a kind the cluster does not serve (``mapper.go``)."""
    return ApiError(
        404,
        "NotFound",
        f'resource mapping not found for name: "{obj.get("metadata", {}).get("name", "")}" '
        f'namespace: "{(obj.get("metadata") or {}).get("namespace", "")}" from "{source or "STDIN"}": '
        f'no matches for kind "{obj.get("kind")}" in version "{obj.get("apiVersion")}"\n'
        "ensure CRDs are installed first",
    )


def _apply_one(
    self: Kubectl, obj: dict, namespace: str | None, source: str = "", dry: bool = False
) -> tuple[dict, str]:
    rt = by_kind(obj.get("kind", ""))
    if rt is None or obj.get("apiVersion") != rt.api_version:
        raise _mapping_error(obj, source)
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
        raise KubectlError(
            'error when retrieving current configuration of:\nResource: "'
            + gv
            + f', Resource={rt.plural}", GroupVersionKind: "'
            + f'{gv}, Kind={rt.kind}"\nName: "", '
            f'Namespace: "{ns or ""}"\nfrom server for: "{source or "STDIN"}": resource name may '
            "not be empty"
        )
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


def _cmd_apply(self: Kubectl, args: Args) -> int:
    if not args.get("filename"):
        raise KubectlError("must specify one of -f and -k")
    namespace = args.get("namespace")
    errors = []
    dry = args.get("dry-run") not in (None, "none")
    if args.get("server-side"):
        return self._apply_server_side(args)
    if args.get("dry-run") == "server":
        raise KubectlError(
            'the --dry-run=server flag of "kubectl apply" is not available in this simulated cluster'
        )
    sources = self._file_sources(args)
    if not any(objs for _, objs in sources):
        raise KubectlError("no objects passed to apply")
    for source, objs in sources:
        for obj in objs:
            rt = by_kind(obj.get("kind", ""))
            try:
                stored, verb = self._apply_one(obj, namespace, source, dry=dry)
            except ApiError as e:
                existed = (
                    rt is not None
                    and self.api.peek(
                        rt.plural,
                        (obj.get("metadata") or {}).get("name", ""),
                        (obj.get("metadata") or {}).get("namespace") or namespace or "default",
                    )
                    is not None
                )
                verb_text = "patching" if existed else "creating"
                errors.append(with_source(e, verb_text, source))
                continue
            self._print(f"{resource_prefix(rt)}/{stored['metadata']['name']} {verb}\n")
    for e in errors:
        self._eprint(standard_error(e))
    return 1 if errors else 0


def _apply_server_side(self: Kubectl, args: Args) -> int:
    """``apply --server-side``: each manifest sent as an apply patch; the server creates the object or merges
    the configuration into it (``serverside-applied``).  Simplified as the served API is: no managedFields, so
    no conflicts."""
    dry = dry_run_strategy(args)

    def act(obj: dict, rt: ResourceType, ns: str | None) -> str:
        if dry != "client":
            name = obj["metadata"]["name"]
            if self.api.peek(rt.plural, name, ns if rt.namespaced else None) is None:
                self._client().create(obj, namespace=ns, dry_run=dry == "server")
            else:
                self._client().patch(
                    rt.plural, name, obj, namespace=ns, patch_type="strategic", dry_run=dry == "server"
                )
        return (
            f"{resource_prefix(rt)}/{obj['metadata']['name']} serverside-applied{DRY_SUFFIX.get(dry, '')}\n"
        )

    return self._each_manifest(args, "patching", act)


def _each_manifest(
    self: Kubectl, args: Args, verb: str, act: Callable[[dict, ResourceType, str | None], str]
) -> int:
    """Each object of the ``-f`` files in turn: ``act`` returns the line to print; an API error is printed
    after all the others ran, naming the file (``error when <verb> "<file>": …``), and the exit code is 1."""
    errors = []
    for source, objs in self._file_sources(args):
        for obj in objs:
            rt = by_kind(obj.get("kind", ""))
            try:
                if rt is None:  # an unknown kind: an error for this object, the others still run
                    raise _mapping_error(obj, source)
                ns = self._check_namespace(obj, args.get("namespace"))
                line = act(obj, rt, ns)
            except ApiError as e:
                errors.append(with_source(e, verb, source))
                continue
            self._print(line)
    for e in errors:
        self._eprint(standard_error(e))
    return 1 if errors else 0
