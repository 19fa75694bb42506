"""``kcourse serve``: a simulated cluster for the real ``kubectl`` in a terminal.

It boots a cluster, serves its API on 127.0.0.1, writes the kubeconfig and
runs the simulation in real time (``--speed`` simulated seconds per second)
until Ctrl-C, printing the line to paste into another shell::

    export KUBECONFIG=/tmp/kcourse-serve-…/kubeconfig
"""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any, TextIO

__all__ = ["register"]


def _serve(args: argparse.Namespace, out: TextIO | None = None, *, forever: bool = True) -> int:
    import kcourse

    out = out or sys.stdout
    cluster = kcourse.Cluster(
        masters=args.masters, workers=args.workers, runtime=args.runtime, seed=args.seed, name=args.name
    )
    from .kubeconfig import KubeconfigError

    try:
        handle = cluster.serve(port=args.port, kubeconfig=args.kubeconfig, realtime=True, speed=args.speed)
    except (KubeconfigError, OSError) as e:
        print(f"kcourse serve: error: {e}", file=sys.stderr)
        return 1
    print(
        f"Serving cluster {cluster.name!r} at {handle.url} (simulated time runs at {args.speed:g}x).",
        file=out,
    )
    print(f"export KUBECONFIG={handle.kubeconfig}", file=out)
    print("Press Ctrl-C to stop.", file=out, flush=True)
    try:
        while forever:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        handle.stop()
    return 0


def register(subparsers: Any) -> None:
    """Add the ``serve`` command."""
    p = subparsers.add_parser("serve", help="serve a simulated cluster's API to the real kubectl")
    p.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (default: any free port)")
    p.add_argument("--kubeconfig", help="where to write the kubeconfig (default: a new temporary directory)")
    p.add_argument("--masters", type=int, default=1, help="control plane nodes (default 1)")
    p.add_argument("--workers", type=int, default=3, help="worker nodes (default 3)")
    p.add_argument("--runtime", default="containerd", choices=["containerd", "cri-o", "dockershim"])
    p.add_argument("--seed", type=int, default=0, help="random seed of the simulation (default 0)")
    p.add_argument("--name", default="kcourse", help="cluster name, used for the kubeconfig context")
    p.add_argument(
        "--speed", type=float, default=1.0, help="simulated seconds per wall-clock second (default 1)"
    )
    p.set_defaults(func=_serve)
