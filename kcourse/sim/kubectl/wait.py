"""``kubectl wait``: block until each object meets a condition, on the cluster's own clock (``pkg/cmd/wait``).

``--for`` is ``delete``, ``create``, ``condition=NAME[=VALUE]`` (a ``status.conditions`` entry, names and
values compared case-insensitively, a condition whose ``observedGeneration`` lags the object's generation not
yet met) or ``jsonpath=EXPR[=VALUE]``.  With ``--timeout=0`` each object is read once (``condition not met for
…``); otherwise the simulation runs forward (the watch kubectl would hold open) until the condition holds or
the simulated timeout passes (``timed out waiting for the condition on <resource>/<name>``).  Each object that
meets it prints ``<resource>/<name> condition met``.

Simplified: the jsonpath value is compared with the first result's text only.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..errors import ApiError
from . import jsonpath

if TYPE_CHECKING:
    from . import Args, Kubectl

__all__ = ["run_wait"]

TIMED_OUT = "timed out waiting for the condition"


def _condition_check(spec: str) -> Callable[[dict], bool]:
    name, _, value = spec.partition("=")
    value = value or "true"

    def met(obj: dict) -> bool:
        for c in (obj.get("status") or {}).get("conditions") or []:
            if str(c.get("type", "")).lower() != name.lower():
                continue
            generation = (obj.get("metadata") or {}).get("generation")
            if (
                c.get("observedGeneration") is not None
                and generation is not None
                and c["observedGeneration"] != generation
            ):
                return False
            return str(c.get("status", "")).lower() == value.lower()
        return False

    return met


def _jsonpath_check(spec: str) -> Callable[[dict], bool]:
    from . import KubectlError

    parts = spec.split("=")
    if len(parts) > 2 or not parts[0]:
        raise KubectlError(
            "jsonpath wait format must be --for=jsonpath='{.status.readyReplicas}'=3 or "
            "--for=jsonpath='{.status.readyReplicas}'"
        )
    expr = parts[0].strip()
    if expr.startswith("{") and expr.endswith("}"):  # get.RelaxedJSONPathExpression
        expr = expr[1:-1]
    value = parts[1].strip("'\"") if len(parts) == 2 else None
    if len(parts) == 2 and not value:
        raise KubectlError(
            "jsonpath wait has to have a value after equal sign, like "
            "--for=jsonpath='{.status.readyReplicas}'=3"
        )

    def met(obj: dict) -> bool:
        try:
            found = jsonpath.evaluate(expr, obj)
        except jsonpath.JSONPathError:
            return False
        if not found:
            return False
        if value is None:
            return True
        v = found[0]
        text = str(v).lower() if isinstance(v, bool) else str(v)
        return text == value

    return met


def run_wait(k: Kubectl, args: Args) -> int:
    from . import KubectlError, resource_prefix

    condition = args.get("for") or ""
    lowered = condition.lower()
    check: Callable[[dict], bool] | None
    if lowered in ("delete", "create"):
        check = None
    elif condition.startswith("condition="):
        check = _condition_check(condition[len("condition=") :])
    elif condition.startswith("jsonpath="):
        check = _jsonpath_check(condition[len("jsonpath=") :])
    else:
        raise KubectlError(f'unrecognized condition: "{condition}"')
    timeout = float(args.get("timeout") if args.get("timeout") is not None else 30.0)
    ns = k._namespace(args)
    client = k._client()
    targets, _ = k._targets(args.positional)
    if not targets:
        from . import NO_RESOURCES

        raise KubectlError(NO_RESOURCES)
    work: list[tuple[Any, str, str | None]] = []
    for rt, names in targets:
        rns = ns if rt.namespaced else None
        if names:
            work.extend((rt, n, rns) for n in names)
        else:
            items = k._list(rt, rns, args.get("selector"), args.get("field-selector"))
            work.extend((rt, o["metadata"]["name"], rns) for o in items)
    if not work and lowered != "delete":
        raise KubectlError("no matching resources found")

    def read(rt: Any, name: str, rns: str | None) -> dict | None:
        return k.api.peek(rt.plural, name, rns)

    for rt, name, rns in work:
        where = f"{rt.plural}/{name}"
        if lowered == "delete":
            if read(rt, name, rns) is None:
                continue
            if timeout == 0:
                raise KubectlError(f"condition not met for {rt.plural}/{name}")
            if not k._wait(lambda rt=rt, name=name, rns=rns: read(rt, name, rns) is None, timeout):
                raise KubectlError(f"{TIMED_OUT} on {where}")
            k._print(f"{resource_prefix(rt)}/{name} condition met\n")
            continue
        if lowered == "create":
            if read(rt, name, rns) is None and (
                timeout == 0
                or not k._wait(lambda rt=rt, name=name, rns=rns: read(rt, name, rns) is not None, timeout)
            ):
                raise KubectlError(TIMED_OUT)
            k._print(f"{resource_prefix(rt)}/{name} condition met\n")
            continue
        obj = client.get(rt.plural, name, rns)  # NotFound before any wait
        assert check is not None
        if not check(obj):
            if timeout == 0:
                raise KubectlError(f"condition not met for {rt.plural}/{name}")

            def done(rt: Any = rt, name: str = name, rns: str | None = rns) -> bool:
                current = read(rt, name, rns)
                return current is None or check(current)

            if not k._wait(done, timeout):
                raise KubectlError(f"{TIMED_OUT} on {where}")
            if read(rt, name, rns) is None:  # deleted while waiting
                raise ApiError(
                    404,
                    "NotFound",
                    f'{rt.plural if not rt.group else rt.plural + "." + rt.group} "{name}" not found',
                    kind=rt.plural,
                    name=name,
                    group=rt.group,
                )
        k._print(f"{resource_prefix(rt)}/{name} condition met\n")
    return 0
