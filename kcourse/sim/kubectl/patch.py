"""``kubectl patch``, ``replace`` and ``edit``: changing an object that exists (``pkg/cmd/patch``,
``pkg/cmd/replace``, ``pkg/cmd/edit``).

``patch`` reads ``-p`` or ``--patch-file`` as apimachinery's ``yaml.ToJSON`` does (text that starts like JSON
is sent as it is, so the server is the one to refuse it), sends it as a strategic merge (the default), JSON
merge or JSON patch, and prints ``patched`` or ``patched (no change)``; a client dry run patches the object
read from the server locally.  ``replace -f`` sends each manifest as a PUT.  ``edit`` reads the objects, then
would open ``$KUBE_EDITOR`` or ``$EDITOR`` (``vi`` by default) on them: the simulated cluster runs no program,
so it answers as kubectl does when the editor cannot run.

Simplified: no ``--local``, ``--subresource`` or ``--record`` for patch; ``replace`` has no ``--force``.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from ..apiserver import json_patch, merge_patch, strategic_merge_patch
from ..errors import ApiError
from ..objects import deep_copy

if TYPE_CHECKING:
    from . import Args, Kubectl

__all__ = ["run_edit", "run_patch", "run_replace"]

PATCH_TYPES = ("json", "merge", "strategic")
JSON_PATCH_OPS = ("add", "remove", "replace", "move", "copy", "test")


def _to_json(text: str) -> Any:
    """apimachinery ``yaml.ToJSON``: text that starts like JSON is left to the server; YAML is converted."""
    from . import KubectlError

    if text.lstrip()[:1] in ("{", "["):
        return text
    import yaml

    try:
        return json.dumps(yaml.safe_load(text))
    except yaml.YAMLError as e:
        raise KubectlError(f'unable to parse "{text}": error converting YAML to JSON: {e}') from None


def _decode_patch(text: str, patch_type: str) -> Any:
    """What the API server's patchers decode, refused in their words (``endpoints/handlers/patch.go``)."""
    from .. import codecs as serializers

    try:
        patch = serializers.decode_json(text.encode())
    except serializers.DecodeError as e:
        reason = str(e)
        raise ApiError(
            400, "BadRequest", reason if patch_type == "strategic" else f"error decoding patch: {reason}"
        )
    if patch_type == "json":
        if not isinstance(patch, list):
            raise ApiError(
                400,
                "BadRequest",
                "error decoding patch: json: cannot unmarshal object into Go value of "
                "type []handlers.jsonPatchOp",
            )
        for op in patch:
            if isinstance(op, dict) and op.get("op") not in JSON_PATCH_OPS:
                raise ApiError(
                    422,
                    "Invalid",
                    "the server rejected our request due to an error in our request: "
                    f"Unexpected kind: {op.get('op') or ''}",
                )
    elif not isinstance(patch, dict):
        raise ApiError(
            400, "BadRequest", "json: cannot unmarshal array into Go value of type map[string]interface {}"
        )
    return patch


def _objects(k: Kubectl, args: Args) -> list[tuple[Any, dict]]:
    """The resource builder's objects: by file or by ``type name`` arguments, each read from the server."""
    from ..resources import by_kind
    from . import NO_RESOURCES, KubectlError

    client, ns = k._client(), k._namespace(args)
    if args.get("filename"):
        out = []
        for obj in k._file_objects(args):
            rt = by_kind(obj.get("kind", ""))
            if rt is not None:
                out.append(
                    (
                        rt,
                        client.get(
                            rt.plural, obj["metadata"]["name"], k._check_namespace(obj, args.get("namespace"))
                        ),
                    )
                )
        return out
    targets, _ = k._targets(args.positional)
    if not targets:
        raise KubectlError(NO_RESOURCES)
    out = []
    for rt, names in targets:
        if not names:
            raise KubectlError("resource(s) were provided, but no name was specified")
        out.extend((rt, client.get(rt.plural, name, ns if rt.namespaced else None)) for name in names)
    return out


def run_patch(k: Kubectl, args: Args) -> int:
    from . import KubectlError, dry_run_strategy, resource_prefix
    from .cmdutil import read_file

    text, path = args.get("patch") or "", args.get("patch-file") or ""
    if text and path:
        raise KubectlError("cannot specify --patch and --patch-file together")
    if not text and not path:
        raise KubectlError("must specify --patch or --patch-file containing the contents of the patch")
    patch_type = (args.get("type") or "strategic").lower()
    if patch_type not in PATCH_TYPES:
        raise KubectlError(f'--type must be one of [json merge strategic], not "{args.get("type")}"')
    if path:
        try:
            text = read_file(path).decode("utf-8", "replace")
        except KubectlError as e:
            raise KubectlError(f"unable to read patch file: {e.message}") from None
    body = _to_json(text)
    dry = dry_run_strategy(args)
    client = k._client()
    for rt, obj in _objects(k, args):
        name, ns = obj["metadata"]["name"], obj["metadata"].get("namespace")
        patch = _decode_patch(body, patch_type)
        if dry == "client":
            patched = (
                merge_patch
                if patch_type == "merge"
                else strategic_merge_patch
                if patch_type == "strategic"
                else json_patch
            )(deep_copy(obj), patch)
        else:
            patched = client.patch(
                rt.plural, name, patch, namespace=ns, patch_type=patch_type, dry_run=dry == "server"
            )
        operation = "patched" if patched != obj else "patched (no change)"
        output = args.get("output") or ""
        if output and output != "name":
            k._print_data(k._typed(patched, rt), output)
            continue
        # patch.go sets the printer's operation after the dry-run suffix was added, so none shows.
        k._print(
            f"{resource_prefix(rt)}/{name}\n"
            if output == "name"
            else f"{resource_prefix(rt)}/{name} {operation}\n"
        )
    return 0


def run_replace(k: Kubectl, args: Args) -> int:
    from . import DRY_SUFFIX, KubectlError, dry_run_strategy, resource_prefix

    if not args.get("filename"):
        raise KubectlError("must specify --filename to replace")
    dry = dry_run_strategy(args)

    def act(obj: dict, rt: Any, ns: str | None) -> str:
        if dry != "client":
            k._client().update(obj, namespace=ns, dry_run=dry == "server")
        return f"{resource_prefix(rt)}/{obj['metadata']['name']} replaced{DRY_SUFFIX.get(dry, '')}\n"

    return k._each_manifest(args, "replacing", act)


def editor_args(environ: dict[str, str]) -> list[str]:
    """``defaultEnvEditor``: ``$KUBE_EDITOR``, else ``$EDITOR``, else ``vi``; a command line with quotes runs
    in ``$SHELL -c``."""
    editor = environ.get("KUBE_EDITOR") or environ.get("EDITOR") or "vi"
    if " " not in editor:
        return [editor]
    if not any(c in editor for c in "\"'\\"):
        return editor.split(" ")
    return [environ.get("SHELL") or "/bin/bash", "-c", editor]


def run_edit(k: Kubectl, args: Args) -> int:
    """Read what would be edited (so a missing object is NotFound first), then the editor's failure: no
    program runs in the simulated cluster.  A bare command name is looked up on ``$PATH`` first (``unable to
    launch``); a path is started and fails."""
    from . import KubectlError

    if not _objects(k, args):
        raise KubectlError("edit cancelled, no objects found")
    argv = editor_args(k.environ)
    joined = " ".join(argv)
    if "/" not in argv[0]:
        raise KubectlError(f'unable to launch the editor "{joined}"')
    raise KubectlError(f'there was a problem with the editor "{joined}"')
