"""``kubectl taint``: add, overwrite and remove node taints as ``pkg/cmd/taint`` does.

Arguments are read as ``taint.go`` reads them (resources first, then ``key=value:Effect`` to add and
``key:Effect-`` or ``key-`` to remove), parsed and checked by ``utils.go`` (``parseTaints``, with
apimachinery's qualified-name and label-value messages), then each node's taints are merged by
``reorganizeTaints``: the new ones first, the old ones not replaced after them.  The result is ``tainted``,
``untainted`` or ``modified``; an existing key and effect without ``--overwrite`` is refused.

Simplified: the change is sent as a JSON merge patch of ``spec.taints`` (kubectl sends the strategic merge
patch of the same list, which has no merge key, so the stored list is the same).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..validation import label_value_errors, qualified_name_errors

if TYPE_CHECKING:
    from . import Args, Kubectl

__all__ = ["parse_taint", "run_taint"]

#: ``cmdutil.UsageErrorf``'s second line.
_USAGE = "See 'kubectl taint -h' for help and examples\n"
EFFECTS = ("NoSchedule", "PreferNoSchedule", "NoExecute")


def taint_text(t: dict) -> str:
    """``Taint.ToString``."""
    key, value, effect = t.get("key", ""), t.get("value", ""), t.get("effect", "")
    if not effect:
        return f"{key}={value}:" if value else key
    return f"{key}={value}:{effect}" if value else f"{key}:{effect}"


def parse_taint(spec: str) -> dict:
    """``parseTaint``: ``key[=value][:effect]``."""
    from . import KubectlError

    parts = spec.split(":")
    value, effect = "", ""
    if len(parts) == 1:
        key = parts[0]
    elif len(parts) == 2:
        effect = parts[1]
        if effect not in EFFECTS:
            raise KubectlError(f"invalid taint effect: {effect}, unsupported taint effect", _USAGE)
        kv = parts[0].split("=")
        if len(kv) > 2:
            raise KubectlError(f"invalid taint spec: {spec}", _USAGE)
        key = kv[0]
        if len(kv) == 2:
            value = kv[1]
            errs = label_value_errors(value)
            if errs:
                raise KubectlError(f"invalid taint spec: {spec}, {'; '.join(errs)}", _USAGE)
    else:
        raise KubectlError(f"invalid taint spec: {spec}", _USAGE)
    errs = qualified_name_errors(key)
    if errs:
        raise KubectlError(f"invalid taint spec: {spec}, {'; '.join(errs)}", _USAGE)
    out = {"key": key, "effect": effect}
    if value:
        out["value"] = value
    return out


def _parse_taints(specs: list[str]) -> tuple[list[dict], list[dict]]:
    from . import KubectlError

    add: list[dict] = []
    remove: list[dict] = []
    seen: set[tuple[str, str]] = set()
    for spec in specs:
        if spec.endswith("-"):
            t = parse_taint(spec[:-1])
            remove.append({"key": t["key"], "effect": t["effect"]})
            continue
        t = parse_taint(spec)
        if not t["effect"]:
            raise KubectlError(f"invalid taint spec: {spec}", _USAGE)
        if (t["effect"], t["key"]) in seen:
            raise KubectlError(
                f"duplicated taints with the same key and effect: {{{t['key']} {t.get('value', '')} "
                f"{t['effect']} <nil>}}",
                _USAGE,
            )
        seen.add((t["effect"], t["key"]))
        add.append(t)
    return add, remove


def _reorganize(
    old: list[dict], overwrite: bool, add: list[dict], remove: list[dict]
) -> tuple[str, list[dict], list[str]]:
    """``reorganizeTaints``: the new taints, then the old ones they do not match (same key and effect)."""
    new = [dict(t) for t in add]
    for t in old:
        if not any(n["key"] == t.get("key") and n["effect"] == t.get("effect") for n in new):
            new.append(t)
    added = len(old) != len(new)
    errors: list[str] = []
    removed = False
    for r in remove:
        keep = [
            t
            for t in new
            if not (t.get("key") == r["key"] and (not r["effect"] or t.get("effect") == r["effect"]))
        ]
        removed = len(keep) != len(new)
        new = keep
        if not removed:
            errors.append(f'taint "{taint_text(r)}" not found')
    if (added and removed) or overwrite:
        return "modified", new, errors
    return ("tainted" if added else "untainted"), new, errors


def run_taint(k: Kubectl, args: Args) -> int:
    from . import KubectlError, dry_run_strategy, resource_prefix, resources_and_pairs

    resources, specs = resources_and_pairs(args.positional, "taint", lambda w: ":" in w or w.endswith("-"))
    if not resources:
        raise KubectlError("one or more resources must be specified as <resource> <name>")
    if not specs:
        raise KubectlError("at least one taint update is required")
    add, remove = _parse_taints(specs)
    rt = k._resource(resources[0].lower())
    if rt.kind != "Node":
        raise KubectlError(f"invalid resource type {resources[0].lower()}, only node types are supported")
    conflicts = [
        f"{r['key']}={r['effect']}"
        for a in add
        for r in remove
        if a["key"] == r["key"] and (not r["effect"] or a["effect"] == r["effect"])
    ]
    if conflicts:
        raise KubectlError(
            "can not both modify and remove the following taint(s) in the same command: "
            + ", ".join(conflicts)
        )
    selector, everything = args.get("selector"), bool(args.get("all"))
    if everything and selector:
        raise KubectlError("setting 'all' parameter with a non empty selector is prohibited")
    if not everything and not selector and len(resources) < 2:
        raise KubectlError("at least one resource name must be specified since 'all' parameter is not set")
    client = k._client()
    if everything or selector:
        nodes = k._list(rt, None, selector)
    else:
        nodes = [client.get("nodes", name) for name in resources[1:]]
    dry = dry_run_strategy(args)
    overwrite = bool(args.get("overwrite"))
    for node in nodes:
        old = (node.get("spec") or {}).get("taints") or []
        if not overwrite:
            exists = ",".join(
                a["key"]
                for a in add
                for t in old
                if a["key"] == t.get("key") and a["effect"] == t.get("effect")
            )
            if exists:
                raise KubectlError(
                    f"node {node['metadata']['name']} already has {exists} taint(s) with same "
                    "effect(s) and --overwrite is false"
                )
        operation, new, errors = _reorganize(old, overwrite, add, remove)
        if errors:
            raise KubectlError(errors[0] if len(errors) == 1 else "[" + ", ".join(errors) + "]")
        if dry != "client":
            patch: dict[str, Any] = {"spec": {"taints": new or None}}
            client.patch(
                "nodes", node["metadata"]["name"], patch, patch_type="merge", dry_run=dry == "server"
            )
        # taint's printer is not told the dry-run strategy: no "(dry run)" after the operation.
        k._print(f"{resource_prefix(rt)}/{node['metadata']['name']} {operation}\n")
    return 0
