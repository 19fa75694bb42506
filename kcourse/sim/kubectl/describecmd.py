"""``kubectl describe``: resolve what to describe, then print each object with :mod:`.describe`'s
per-kind describers (a port of ``pkg/cmd/describe``).

Simplified: describers exist only for the kinds the simulation models.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..errors import ApiError
from .cmdutil import (
    Args,
    KubectlError,
    standard_error,
)
from .describe import describe

if TYPE_CHECKING:
    from . import Kubectl


def _cmd_describe(self: Kubectl, args: Args) -> int:
    targets, _ = self._targets(args.positional)
    if not targets:
        raise KubectlError(
            'You must specify the type of resource to describe. Use "kubectl api-resources" '
            "for a complete list of supported resources."
        )
    ns = self._namespace(args)
    client = self._client()
    texts, errors = [], []
    for rt, names in targets:
        rns = ns if rt.namespaced else None
        if names:
            objs = []
            for name in names:
                try:
                    objs.append(client.get(rt.plural, name, rns))
                except ApiError as e:
                    errors.append(e)
        else:
            objs = self._list(rt, None if args.get("all-namespaces") else rns, args.get("selector"))
        texts.extend(describe(rt.plural, self._typed(o, rt), self.api, self.age_now) for o in objs)
    self._print("\n\n".join(texts))  # describe.go writes "\n\n" before every object but the first
    if not texts and not errors:
        self._eprint(f"No resources found in {ns} namespace.\n")
    for e in errors:
        self._eprint(standard_error(e))
    return 1 if errors else 0
