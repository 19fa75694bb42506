"""``kubectl scale``: set ``spec.replicas`` through the scale subresource (a port of ``pkg/cmd/scale``).

Simplified: flags outside :data:`.cmdutil.SUPPORTED` are refused unless left at their default.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .cmdutil import (
    NO_RESOURCES,
    Args,
    KubectlError,
)
from .printers import (
    resource_prefix,
)

if TYPE_CHECKING:
    from . import Kubectl


def _cmd_scale(self: Kubectl, args: Args) -> int:
    if not args.positional and not args.get("filename"):
        raise KubectlError(NO_RESOURCES)
    replicas = self._int_flag(args, "replicas")
    if replicas is None:
        raise KubectlError('required flag(s) "replicas" not set')
    if replicas < 0:
        raise KubectlError(
            "The --replicas=COUNT flag is required, and COUNT must be greater than or equal to 0"
        )
    rt, names = self._one_target(args)
    if rt.plural not in ("deployments", "replicasets", "statefulsets", "replicationcontrollers"):
        raise KubectlError(f'no objects passed to scale {rt.qualified} "{names[0]}" is not scalable')
    for name in names:
        self._client().patch(
            rt.plural,
            name,
            {"spec": {"replicas": replicas}},
            namespace=self._namespace(args),
            patch_type="merge",
        )
        self._print(f"{resource_prefix(rt)}/{name} scaled\n")
    return 0
