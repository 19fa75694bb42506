"""``kubectl diff -f``: what ``apply`` would change, as ``diff -u -N`` of the live and the merged objects
(``pkg/cmd/diff``).

For each manifest the live object is read and the merged one is asked of the API server with a dry run: a
dry-run create when there is no live object, else the apply patcher's three-way strategic merge patch of the
manifest (its ``GetModifiedConfiguration`` without the last-applied annotation, so an object that had no
annotations gets an empty ``annotations: {}``).  Both are written as YAML into a ``LIVE-…`` and a ``MERGED-…``
directory, one file ``[group.]version.Kind.namespace.name`` each, and compared as GNU ``diff -u -N`` compares
the two directories.  The exit status is kubectl's: 0 no difference, 1 differences, 2 an error.

Simplified: the directories are not written to disk (their names are made from the command line, the file
times are the simulated clock's); no ``--server-side``, ``--prune`` or ``KUBECTL_EXTERNAL_DIFF``; Secret
values are shown as they are, not masked.
"""

from __future__ import annotations

import difflib
import zlib
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from ..errors import ApiError
from ..objects import EPOCH, deep_copy
from ..resources import by_kind

if TYPE_CHECKING:
    from . import Args, Kubectl

__all__ = ["run_diff", "unified"]


def _file_name(rt: Any, obj: dict) -> str:
    """``InfoObject.Name``."""
    md = obj.get("metadata") or {}
    group = f"{rt.group}." if rt.group else ""
    return f"{group}{rt.version}.{rt.kind}.{md.get('namespace', '')}.{md.get('name', '')}"


def _shown(obj: dict | None) -> str:
    from . import LAST_APPLIED
    from .printers import to_yaml

    if obj is None:
        return ""
    out = deep_copy(obj)
    md = out.get("metadata") or {}
    md.pop("managedFields", None)
    if isinstance(md.get("annotations"), dict):
        md["annotations"].pop(LAST_APPLIED, None)
    return to_yaml(out)


def unified(live: str, merged: str, live_path: str, merged_path: str, stamp: str) -> str:
    """GNU ``diff -u -N`` of two files, with the ``diff`` line it prints when comparing directories."""
    lines = list(difflib.unified_diff(live.splitlines(True), merged.splitlines(True), n=3))
    if not lines:
        return ""
    body = "".join(lines[2:])
    return (
        f"diff -u -N {live_path} {merged_path}\n--- {live_path}\t{stamp}\n+++ {merged_path}\t{stamp}\n{body}"
    )


def _merged(k: Kubectl, rt: Any, obj: dict, ns: str | None) -> tuple[dict | None, dict]:
    """(live, merged): the server's dry-run answer to what apply would send."""
    from . import LAST_APPLIED, three_way_patch

    client = k._client()
    modified = deep_copy(obj)
    md = modified.setdefault("metadata", {})
    if ns and rt.namespaced:
        md["namespace"] = ns
    annotations = dict(md.get("annotations") or {})
    annotations.pop(LAST_APPLIED, None)
    md["annotations"] = annotations
    live = k.api.peek(rt.plural, md.get("name", ""), ns if rt.namespaced else None)
    if live is None:
        return None, client.create(obj, namespace=ns, dry_run=True)
    live = client.get(rt.plural, md["name"], ns if rt.namespaced else None)
    import json

    original_text = (live["metadata"].get("annotations") or {}).get(LAST_APPLIED)
    original = json.loads(original_text) if original_text else {}
    patch = three_way_patch(original, modified, live)
    if not patch:
        return live, live
    return live, client.patch(
        rt.plural,
        md["name"],
        patch,
        namespace=ns if rt.namespaced else None,
        patch_type="strategic",
        dry_run=True,
    )


def run_diff(k: Kubectl, args: Args) -> int:
    from . import KubectlError, standard_error

    try:
        if not args.get("filename"):
            raise KubectlError("must specify one of -f and -k")
        pairs: list[tuple[str, str, str]] = []
        for _, objs in k._file_sources(args):
            for obj in objs:
                rt = by_kind(obj.get("kind", ""))
                if rt is None:
                    continue
                ns = k._check_namespace(obj, args.get("namespace"))
                if rt.namespaced and k.api.peek("namespaces", ns or "default") is None:
                    raise ApiError(
                        404, "NotFound", f'namespaces "{ns}" not found', kind="namespaces", name=ns
                    )
                live, merged = _merged(k, rt, obj, ns)
                pairs.append((_file_name(rt, merged), _shown(live), _shown(merged)))
    except KubectlError as e:
        k._eprint(f"error: {e.message}\n")
        return 2
    except ApiError as e:
        k._eprint(standard_error(e))
        return 2
    seed = zlib.crc32(" ".join(args.positional + list(args.get("filename") or [])).encode())
    live_dir, merged_dir = f"/tmp/LIVE-{seed % 10**10}", f"/tmp/MERGED-{(seed * 7 + 1) % 10**10}"
    stamp = (EPOCH + timedelta(seconds=k.now)).strftime("%Y-%m-%d %H:%M:%S.%f000 +0000")
    text = "".join(
        unified(live, merged, f"{live_dir}/{name}", f"{merged_dir}/{name}", stamp)
        for name, live, merged in sorted(pairs)
    )
    k._print(text)
    return 1 if text else 0
