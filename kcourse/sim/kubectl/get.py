"""``kubectl get``: list or fetch objects and print them as a table, ``-o wide``, names, JSON/YAML, jsonpath,
custom columns or Go templates (a port of ``pkg/cmd/get``).

Simplified: flags outside :data:`.cmdutil.SUPPORTED` are refused unless left at their default.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..errors import ApiError
from ..resources import ResourceType, by_kind, lookup
from . import jsonpath
from .cmdutil import (
    Args,
    KubectlError,
    standard_error,
)
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

if TYPE_CHECKING:
    from . import Kubectl


def _cmd_get(self: Kubectl, args: Args) -> int:
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
        self._eprint(
            'You must specify the type of resource to get. Use "kubectl api-resources" for a complete '
            "list of supported resources.\n\n"
        )
        raise KubectlError(
            'Required resource not specified.\nUse "kubectl explain <resource>" for a detailed '
            "description of that resource (e.g. kubectl explain pods).",
            "See 'kubectl get -h' for help and examples\n",
        )
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
            objs = self._list(
                rt, ns if rt.namespaced else None, args.get("selector"), args.get("field-selector")
            )
        if args.get("sort-by"):
            objs = self._sorted(objs, args.get("sort-by"))
        groups.append((rt, objs))
    if any(objs for _, objs in groups) or not errors:  # every named object missing: only the errors print
        self._print_objects(
            groups, output, args, show_kind=show_kind, all_ns=all_ns, single=single and not errors
        )
    if (
        not any(objs for _, objs in groups)
        and not errors
        and output in ("", "wide", "name")
        and not any(names for _, names in targets)
    ):
        namespaced = any(rt.namespaced for rt, _ in targets)
        self._eprint(
            f"No resources found in {ns} namespace.\n" if namespaced and ns else "No resources found\n"
        )
    for e in errors:
        self._eprint(standard_error(e))
    return 1 if errors else 0


def _sorted(_self: Kubectl, objs: list[dict], expr: str) -> list[dict]:
    """``--sort-by``: a template that does not parse leaves kubectl with nothing to print (its sorter's error
    is dropped, and ``No resources found`` follows), as v1.32 does once there are two objects to sort."""
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


def _print_objects(
    self: Kubectl,
    groups: list[tuple[ResourceType, list[dict]]],
    output: str,
    args: Args,
    *,
    show_kind: bool = False,
    all_ns: bool = False,
    single: bool = False,
) -> None:
    objs = [o for _, group in groups for o in group]
    kinds = {id(o): rt for rt, group in groups for o in group}
    if output in ("yaml", "json") or output.startswith("jsonpath"):
        data: Any = (
            self._typed(objs[0], kinds[id(objs[0])])
            if single and objs
            else {
                "apiVersion": "v1",
                "items": [self._typed(o, kinds[id(o)]) for o in objs],
                "kind": "List",
                "metadata": {"resourceVersion": ""},
            }
        )
        self._print_data(data, output)
        return
    if output == "name":
        for o in objs:
            self._print(f"{resource_prefix(kinds[id(o)])}/{o['metadata']['name']}\n")
        return
    if output.startswith(("custom-columns=", "custom-columns-file=")) or output in (
        "custom-columns",
        "custom-columns-file",
    ):
        self._print(
            tabulate(
                custom_column_rows(self._custom_columns(output), objs, headers=not args.get("no-headers"))
            )
        )
        return
    if output not in ("", "wide"):
        raise KubectlError(
            f'unable to match a printer suitable for the output format "{output}", allowed '
            "formats are: custom-columns,custom-columns-file,go-template,go-template-file,json,"
            "jsonpath,jsonpath-as-json,jsonpath-file,name,template,templatefile,wide,yaml"
        )
    tables = []
    for rt, group in groups:
        if not group:
            continue
        rows = table_rows(
            rt,
            group,
            self.now,
            wide=output == "wide",
            namespace_column=all_ns and rt.namespaced,
            show_kind=show_kind,
            show_labels=bool(args.get("show-labels")),
            label_columns=[k for v in args.get("label-columns") or [] for k in v.split(",") if k],
            headers=not args.get("no-headers"),
        )
        tables.append(tabulate(rows))
    self._print("\n".join(tables))


def _print_data(self: Kubectl, data: Any, output: str) -> None:
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
            raise KubectlError(
                f"error executing jsonpath {template!r}: its ranges nest too deeply for "
                "this simulated cluster"
            ) from None


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
            raise KubectlError(
                f"error reading template {spec}, {e.strerror.lower() if e.strerror else e}\n"
            ) from None
        return custom_columns_from_template(text)
    except ValueError as e:
        raise KubectlError(str(e)) from None


def _typed(obj: dict, rt: ResourceType) -> dict:
    if "apiVersion" in obj and "kind" in obj:
        return obj
    out = {"apiVersion": rt.api_version, "kind": rt.kind}
    out.update(obj)
    return out
