"""Resource quantities such as ``100m``, ``0.5``, ``128Mi`` and ``1G``.

Kubernetes writes CPU in cores or millicores and memory in bytes with
binary (Ki, Mi, Gi…) or decimal (k, M, G…) suffixes.  The scheduler and the
kubelet compare them as exact numbers; here CPU becomes integer millicores
and everything else integer units (rounded up, as the real ``Quantity``).
"""

from __future__ import annotations

import math
import re
from decimal import Decimal, InvalidOperation

__all__ = ["QUANTITY_ERROR", "format_bytes", "format_millicores", "millicores", "parse_quantity"]

_SUFFIX: dict[str, int | Decimal] = {
    "": 1,
    "n": Decimal("1e-9"),
    "u": Decimal("1e-6"),
    "m": Decimal("0.001"),
    "k": 10**3,
    "M": 10**6,
    "G": 10**9,
    "T": 10**12,
    "P": 10**15,
    "E": 10**18,
    "Ki": 2**10,
    "Mi": 2**20,
    "Gi": 2**30,
    "Ti": 2**40,
    "Pi": 2**50,
    "Ei": 2**60,
}
_RE = re.compile(
    r"^([+-]?[0-9]+(?:\.[0-9]*)?|[+-]?\.[0-9]+)(?:([eE][+-]?[0-9]+)|(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E))?$"
)
QUANTITY_ERROR = "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"


def parse_quantity(value: object) -> Decimal:
    """The exact value of a quantity; raises ValueError with the API server's message."""
    if isinstance(value, bool):
        raise ValueError(QUANTITY_ERROR)  # noqa: TRY004 -- the API server reports every bad quantity alike
    if isinstance(value, (int, float)):
        if isinstance(value, float) and not math.isfinite(value):
            raise ValueError(QUANTITY_ERROR)
        return Decimal(str(value))
    if not isinstance(value, str) or len(value) > 64:
        raise ValueError(QUANTITY_ERROR)
    m = _RE.match(value.strip())
    if not m:
        raise ValueError(QUANTITY_ERROR)
    number, exponent, suffix = m.groups()
    try:
        result = Decimal(number)
        if exponent:
            exp = int(exponent[1:])
            if abs(exp) > 30:
                raise ValueError(QUANTITY_ERROR)
            result = result.scaleb(exp)
    except InvalidOperation as e:
        raise ValueError(QUANTITY_ERROR) from e
    return result * _SUFFIX[suffix or ""]


def millicores(value: object) -> int:
    """CPU as integer millicores, rounded up as Kubernetes does."""
    return math.ceil(parse_quantity(value) * 1000)


def units(value: object) -> int:
    """Any other quantity (memory, pods, storage) as a whole number, rounded up."""
    return math.ceil(parse_quantity(value))


def format_millicores(m: int) -> str:
    return f"{m // 1000}" if m % 1000 == 0 else f"{m}m"


def format_bytes(n: int) -> str:
    for suffix, size in (("Gi", 2**30), ("Mi", 2**20), ("Ki", 2**10)):
        if n and n % size == 0:
            return f"{n // size}{suffix}"
    return str(n)
