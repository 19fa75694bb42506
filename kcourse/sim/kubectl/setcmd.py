"""``kubectl set image|env|resources|selector``: change one part of a workload's Pod template or a Service
(``pkg/cmd/set``).

Each subcommand reads the objects, changes its part locally as kubectl's ``Update…`` functions do, and sends
the difference (here as a JSON merge patch of the changed fields: the same object results as from kubectl's
strategic merge patch of them).  The printed operation is the one each command's ``PrintFlags`` names
(``image updated``, ``env updated``, ``resource requirements updated``, ``selector updated``), with
``(dry run)`` or ``(server dry run)`` after it.

Simplified: ``set env`` takes ``KEY=value`` and ``KEY-`` only (no ``--from``, ``--keys``, ``--prefix``, ``-e``
files); ``set selector`` replaces ``spec.selector`` of Services only (as kubectl does for non-Services it
refuses).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..objects import deep_copy

if TYPE_CHECKING:
    from . import Args, Kubectl

__all__ = ["merge_diff", "run_set"]

OPERATIONS = {
    "image": "image updated",
    "env": "env updated",
    "resources": "resource requirements updated",
    "selector": "selector updated",
}


def merge_diff(old: Any, new: Any) -> Any:
    """The RFC 7386 merge patch that turns ``old`` into ``new`` (``None`` deletes a key)."""
    if not isinstance(old, dict) or not isinstance(new, dict):
        return new
    out: dict[str, Any] = {}
    for key in old:
        if key not in new:
            out[key] = None
    for key, value in new.items():
        if key not in old:
            out[key] = value
        elif old[key] != value:
            out[key] = merge_diff(old[key], value)
    return out


def _pod_spec(obj: dict) -> dict | None:
    """``polymorphichelpers.updatePodSpecForObject``: the Pod's own spec, or its template's."""
    if obj.get("kind") == "Pod":
        return obj.get("spec")
    return ((obj.get("spec") or {}).get("template") or {}).get("spec")


def _image(spec: dict, changes: dict[str, str]) -> list[str]:
    errors = []
    for name, image in changes.items():
        found = False
        for c in (spec.get("initContainers") or []) + (spec.get("containers") or []):
            if name in ("*", c["name"]):
                c["image"] = image
                found = True
        if not found and name != "*":
            errors.append(f'error: unable to find container named "{name}"')
    return errors


def _env(spec: dict, sets: list[tuple[str, str]], removes: list[str], container: str) -> list[str]:
    for c in (spec.get("initContainers") or []) + (spec.get("containers") or []):
        if container not in ("*", c["name"]):
            continue
        env = [dict(e) for e in c.get("env") or []]
        for name, value in sets:
            for e in env:
                if e["name"] == name:
                    e.pop("valueFrom", None)
                    e["value"] = value
                    break
            else:
                env.append({"name": name, "value": value})
        env = [e for e in env if e["name"] not in removes]
        if env:
            c["env"] = env
        else:
            c.pop("env", None)
    return []


def _resources(spec: dict, limits: dict[str, str], requests: dict[str, str], container: str) -> list[str]:
    found = False
    for c in (spec.get("initContainers") or []) + (spec.get("containers") or []):
        if container not in ("*", c["name"]):
            continue
        found = True
        res = c.setdefault("resources", {})
        for section, values in (("limits", limits), ("requests", requests)):
            if values:
                res.setdefault(section, {}).update(values)
    return [] if found else [f"error: unable to find container named {container}"]


def _quantities(text: str | None) -> dict[str, str]:
    from ..quantity import parse_quantity
    from . import KubectlError

    out: dict[str, str] = {}
    for part in (text or "").split(","):
        if not part:
            continue
        name, sep, value = part.partition("=")
        if not sep:
            raise KubectlError(f"invalid argument syntax {part}, expected <resource>=<value>")
        try:
            parse_quantity(value)
        except (ValueError, ArithmeticError):
            raise KubectlError(
                "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"
            ) from None
        out[name] = value
    return out


def run_set(k: Kubectl, args: Args) -> int:
    from ..errors import ApiError
    from . import (
        DRY_SUFFIX,
        Args,
        KubectlError,
        dry_run_strategy,
        resource_prefix,
        resources_and_pairs,
        standard_error,
    )

    sub, words = args.positional[0], args.positional[1:]
    if sub == "image":
        resources, pairs = resources_and_pairs(words, "image", lambda w: "=" in w)
        if not resources:
            raise KubectlError(
                "one or more resources must be specified as <resource> <name> or <resource>/<name>"
            )
        if not pairs:
            raise KubectlError("at least one image update is required")
        changes = dict(p.split("=", 1) for p in pairs)
    elif sub == "env":
        resources, pairs = resources_and_pairs(words, "env", lambda w: "=" in w or w.endswith("-"))
        if not args.get("list") and not pairs:
            raise KubectlError("at least one environment variable must be provided")
        sets = [tuple(p.split("=", 1)) for p in pairs if "=" in p]
        removes = [p[:-1] for p in pairs if "=" not in p]
    elif sub == "resources":
        resources = words
        limits, requests = _quantities(args.get("limits")), _quantities(args.get("requests"))
        if not limits and not requests:
            raise KubectlError(
                "you must specify an update to requests or limits (in the form of --requests/--limits)"
            )
    else:  # selector
        if len(words) < 2 and not args.get("filename"):
            raise KubectlError("one selector is required")
        resources, expression = words[:-1], words[-1]
        selector = {}
        for part in expression.split(","):
            key, _, value = part.partition("=")
            selector[key] = value
    parsed = Args(args.command, resources, args.flags, args.cmd)
    dry = dry_run_strategy(args)
    client = k._client()
    errors: list[str] = []
    from .patch import _objects

    for rt, obj in _objects(k, parsed):
        typed = k._typed(obj, rt)
        if sub == "env" and args.get("list"):
            spec = _pod_spec(typed) or {}
            for c in (spec.get("initContainers") or []) + (spec.get("containers") or []):
                if (args.get("container") or "*") not in ("*", c["name"]):
                    continue
                k._print(f"# {typed['kind']} {obj['metadata']['name']}, container {c['name']}\n")
                for e in c.get("env") or []:
                    k._print(f"{e['name']}={e.get('value', '')}\n")
            continue
        new = deep_copy(typed)
        if sub == "selector":
            if rt.kind != "Service":
                errors.append("setting a selector is only supported for Services")
                continue
            new.setdefault("spec", {})["selector"] = selector
            problems: list[str] = []
        else:
            spec = _pod_spec(new)
            if spec is None:
                errors.append(
                    f"error: {rt.plural}/{obj['metadata']['name']} the object is not a pod or does not "
                    "have a pod template"
                )
                continue
            container = args.get("containers") or args.get("container") or "*"
            problems = (
                _image(spec, changes)
                if sub == "image"
                else _env(spec, sets, removes, container)
                if sub == "env"
                else _resources(spec, limits, requests, container)
            )
        if problems:
            errors.extend(problems)
            continue
        if dry != "client":
            try:
                client.patch(
                    rt.plural,
                    obj["metadata"]["name"],
                    merge_diff(typed, new),
                    namespace=obj["metadata"].get("namespace"),
                    patch_type="merge",
                    dry_run=dry == "server",
                )
            except ApiError as e:
                k._eprint(standard_error(e))
                return 1
        k._print(
            f"{resource_prefix(rt)}/{obj['metadata']['name']} {OPERATIONS[sub]}{DRY_SUFFIX.get(dry, '')}\n"
        )
    if errors:
        raise KubectlError("\n".join(e.removeprefix("error: ") for e in errors))
    return 0
