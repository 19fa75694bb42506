"""``kubectl label`` and ``kubectl annotate``: edit metadata maps with ``key=value``/``key-`` specs (ports of
``pkg/cmd/label`` and ``pkg/cmd/annotate``).

Simplified: no ``--list``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .cmdutil import (
    Args,
    KubectlError,
    parse_annotations_spec,
    parse_labels_spec,
    resources_and_pairs,
)
from .printers import (
    resource_prefix,
)

if TYPE_CHECKING:
    from . import Kubectl


def _metadata_edit(self: Kubectl, args: Args, field: str) -> int:
    """``kubectl label``/``annotate``: resources first, then ``key=value`` and ``key-`` changes, all checked
    before anything is read or written (``cmdutil.GetResourcesAndPairs``, label.go ``parseLabels``,
    annotate.go ``parseAnnotations``/``validateAnnotations``)."""
    kind = field[:-1]
    rest, pairs = resources_and_pairs(args.positional, kind)
    sets, removes = parse_labels_spec(pairs) if field == "labels" else parse_annotations_spec(pairs)
    args = Args(args.command, rest, args.flags, args.cmd)
    if args.get("all") and args.get("selector"):
        raise KubectlError("cannot set --all and --selector at the same time")
    if not rest:
        raise KubectlError(
            "one or more resources must be specified as <resource> <name> or <resource>/<name>"
        )
    if not sets and not removes:
        raise KubectlError(f"at least one {kind} update is required")
    both = [key for key in removes if key in sets]
    if both and field == "annotations":
        raise KubectlError(
            "can not both modify and remove the following annotation(s) in the same command: "
            + ", ".join(both)
        )
    rt, names = self._one_target(args)
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


def _cmd_label(self: Kubectl, args: Args) -> int:
    return self._metadata_edit(args, "labels")


def _cmd_annotate(self: Kubectl, args: Args) -> int:
    return self._metadata_edit(args, "annotations")
