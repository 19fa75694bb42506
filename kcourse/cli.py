"""The ``kcourse`` command.

Each command group lives in its own module with a ``register(subparsers)``
function that adds its sub-commands and sets ``func`` on their parsers; this
module only assembles them.  To add a group (``serve``, say), write its
``register`` and list the module in :data:`COMMAND_GROUPS`.  Group modules
import heavy things inside their command functions, so ``kcourse --help``
stays quick.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

__all__ = ["COMMAND_GROUPS", "build_parser", "main"]

#: Modules whose ``register(subparsers)`` adds a command group, in help order.
COMMAND_GROUPS = ("kcourse.course", "kcourse.quiz.cli", "kcourse.serve.cli")


def build_parser() -> argparse.ArgumentParser:
    from kcourse import __version__

    parser = argparse.ArgumentParser(
        prog="kcourse", description="Learn Kubernetes architecture by running one."
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module in COMMAND_GROUPS:
        importlib.import_module(module).register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; the return value is the process exit status."""
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except BrokenPipeError:  # `kcourse progress | head` is fine
        sys.stderr.close()
        return 0
