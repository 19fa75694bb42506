"""``kubectl explain``: a kind's or a field's documentation, from the server's OpenAPI v3 document.

This is kubectl's ``pkg/explain/v2`` step for step: the resource is mapped to its group, version and
resource, the group version's document is the one the served API publishes (``kcourse.sim.openapi``, plain
data), and the text is what ``templates/plaintext.tmpl`` renders: ``KIND``/``VERSION`` (``GROUP`` for a named
group), then for a field path ``FIELD: name <type>``, the ``DESCRIPTION`` word-wrapped at 76 columns
(``mitchellh/go-wordwrap``) and indented, and the ``FIELDS`` with their type guesses (``[]Container``,
``map[string]string``, ``Object``), ``-required-`` and at most four ``enum:`` values, or one line each and
nested with ``--recursive``.

Simplified: only the plaintext output (no ``--output=plaintext-openapiv2``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..resources import lookup

if TYPE_CHECKING:
    from . import Args, Kubectl

__all__ = ["run_explain", "word_wrap"]


def word_wrap(s: str, limit: int) -> str:
    """``wordwrap.WrapString``: break at spaces so no line passes ``limit`` runes; longer words stay whole."""
    out: list[str] = []
    word: list[str] = []
    space: list[str] = []
    current = 0
    for ch in s:
        if ch == "\n":
            out.extend(space)
            out.extend(word)
            space, word = [], []
            out.append(ch)
            current = 0
        elif ch.isspace() and ch != "\u00a0":
            if not space or word:
                current += len(space) + len(word)
                out.extend(space)
                out.extend(word)
                space, word = [], []
            space.append(ch)
        else:
            word.append(ch)
            if current + len(space) + len(word) > limit and len(word) < limit:
                out.append("\n")
                current = 0
                space = []
    if not word:
        if current + len(space) <= limit:
            out.extend(space)
    else:
        out.extend(space)
        out.extend(word)
    return "".join(out)


def _indent(amount: int, text: str) -> str:
    pad = " " * amount
    return pad + text.replace("\n", "\n" + pad)


def _is_map(schema: dict) -> bool:
    return isinstance(schema.get("additionalProperties"), dict) and bool(schema["additionalProperties"])


class _Explainer:
    def __init__(self, doc: dict):
        self.doc = doc

    def resolve(self, ref: Any) -> dict | None:
        if not isinstance(ref, str) or not ref.startswith("#"):
            return None
        cur: Any = self.doc
        for part in ref[1:].split("/"):
            if not part:
                continue
            cur = cur.get(part) if isinstance(cur, dict) else None
            if not isinstance(cur, dict):
                return None
        return cur

    def type_guess(self, s: dict) -> str:
        if s.get("items"):
            return "[]" + self.type_guess(s["items"])
        if _is_map(s):
            return "map[string]" + self.type_guess(s["additionalProperties"])
        if s.get("allOf") and not s.get("properties") and len(s["allOf"]) == 1:
            return self.type_guess(s["allOf"][0])
        if s.get("$ref"):
            ref = s["$ref"]
            target = self.resolve(ref)
            if not target or not target.get("type") or target.get("type") == "object":
                return ref.split("/")[-1].split(".")[-1] or "Object"
            return target["type"]
        return "Object" if s.get("type") == "object" else (s.get("type") or "Object")

    @staticmethod
    def enum(s: dict, long: bool, limit: int, indent: int = 0) -> str:
        values = s.get("enum")
        if not values:
            return ""
        out = "ENUM:" if long else "\n" + " " * indent + "enum: "
        for i, v in enumerate(values):
            if limit > -1 and i >= limit:
                out += ", ...."
                break
            if i > 0 and not long:
                out += ", "
            elif long:
                out += "\n    "
            out += '""' if v == "" else str(v)
        return out

    def description(self, s: dict) -> str:
        r = self.resolve(s.get("$ref")) or s
        out = r["description"] + "\n" if r.get("description") else ""
        for sub in r.get("allOf") or []:
            out += self.description(sub)
        if r.get("items"):
            out += self.description(r["items"])
        if _is_map(r):
            out += self.description(r["additionalProperties"])
        return out

    def field_detail(self, name: str, schema: dict, short: bool, level: int) -> str:
        amount = level * 2
        f = schema["properties"][name]
        out = _indent(amount, name) + f"\t<{self.type_guess(f)}>"
        if name in (schema.get("required") or []):
            out += " -required-"
        out += self.enum(f, False, 4, amount) + "\n"
        if not short:
            out += (
                _indent(amount + 2, word_wrap(f.get("description") or "<no description>", 78 - amount))
                + "\n\n"
            )
        return out

    def field_list(self, s: dict, level: int, history: frozenset[str], recursive: bool) -> str:
        ref = s.get("$ref") or ""
        if ref and ref in history:
            return ""
        nxt = history | {ref}
        r = self.resolve(ref) or s
        out = ""
        for name in sorted(r.get("properties") or {}):
            out += self.field_detail(name, r, recursive, level)
            if recursive:
                out += self.field_list(r["properties"][name], level + 1, nxt, recursive)
        for sub in r.get("allOf") or []:
            out += self.field_list(sub, level, nxt, recursive)
        if r.get("items"):
            out += self.field_list(r["items"], level, nxt, recursive)
        if _is_map(r):
            out += self.field_list(r["additionalProperties"], level, nxt, recursive)
        return out

    def output(self, s: dict, history: frozenset[str], path: list[str], recursive: bool) -> str:
        ref = s.get("$ref") or ""
        nxt = history | {ref}
        r = self.resolve(ref) or s
        if not path:
            out = "DESCRIPTION:\n" + _indent(4, word_wrap(self.description(r) or "<empty>", 76)) + "\n"
            fields = self.field_list(r, 1, frozenset(), recursive)
            return out + ("FIELDS:\n" + fields if fields else "")
        if ref and ref in history:
            return ""
        props = r.get("properties") or {}
        if props.get(path[0]):
            sub = props[path[0]]
            out = ""
            if len(path) == 1:
                out += f"FIELD: {path[0]} <{self.type_guess(sub)}>\n" + self.enum(sub, True, -1) + "\n\n"
            return out + self.output(sub, frozenset(), path[1:], recursive)
        if r.get("items"):
            return self.output(r["items"], nxt, path, recursive)
        if _is_map(r):
            return self.output(r["additionalProperties"], nxt, path, recursive)
        for sub in r.get("allOf") or []:
            text = self.output(sub, nxt, path, recursive)
            if text:
                return text
        return ""


def run_explain(k: Kubectl, args: Args) -> int:
    from ..openapi import group_version_document
    from . import KubectlError

    if not args.positional:
        raise KubectlError(
            'You must specify the type of resource to explain. Use "kubectl api-resources" for a '
            "complete list of supported resources."
        )
    if len(args.positional) > 1:
        raise KubectlError("We accept only this format: explain RESOURCE\n")
    resource, *path = args.positional[0].split(".")
    rt = lookup(resource.lower())
    if rt is None:
        raise KubectlError(f'the server doesn\'t have a resource type "{resource.lower()}"', "bare")
    group, version = rt.group, rt.version
    if args.get("api-version"):
        gv = args.get("api-version")
        group, _, version = gv.rpartition("/")
    doc = group_version_document(group, version) or {}
    explainer = _Explainer(doc)
    gvk = None
    prefix = f"/apis/{group}" if group else "/api"
    base = f"{prefix}/{version}"
    for search in (
        f"{base}/{rt.plural}",
        f"{base}/{rt.plural}/{{name}}",
        f"{base}/namespaces/{{namespace}}/{rt.plural}",
        f"{base}/namespaces/{{namespace}}/{rt.plural}/{{name}}",
    ):
        element = (doc.get("paths") or {}).get(search) or {}
        for method in ("get", "post", "put", "patch", "delete"):
            gvk = (element.get(method) or {}).get("x-kubernetes-group-version-kind")
            if gvk:
                break
        if gvk:
            break
    if not gvk:
        raise KubectlError(
            f"GVR ({group}/{version}, Resource={rt.plural}) not found in OpenAPI schema", "bare"
        )
    text = (
        f"GROUP:      {gvk['group']}\n" if gvk.get("group") else ""
    ) + f"KIND:       {gvk['kind']}\nVERSION:    {gvk['version']}\n\n"
    for _, schema in sorted((doc.get("components") or {}).get("schemas", {}).items()):
        if gvk in (schema.get("x-kubernetes-group-version-kind") or []):
            body = explainer.output(schema, frozenset(), path, bool(args.get("recursive")))
            if not body:  # the template has written the header already when it throws
                k._print(text)
                raise KubectlError(f'field "{path[-1]}" does not exist')
            text += body
            break
    else:
        raise KubectlError(f"GVK {gvk} not found in OpenAPI schema")
    k._print(text + "\n")
    return 0
