"""``python -m tests.sim.fingerprints [--update] [--dump DIR] [--scenarios | --notebooks] [NAME ...]``.

A NAME is a scenario (``chapter``, ``notebook``, …) or a chapter notebook (``04-scheduler``); without
any, every scenario and every notebook runs (``--scenarios`` / ``--notebooks``: only those).
``--update`` rewrites the goldens (for a deliberate change of behaviour, committed with a message that
says which sections changed and why); ``--dump DIR`` writes every section's full text, one file per
scenario (or notebook) and section, so two trees' outputs can be compared with ``diff -r``.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

from tests.sim.fingerprints.notebooks import measure_notebook, notebook_names
from tests.sim.fingerprints.scenarios import SCENARIOS, golden_path, measure, write_golden


def _cpu_seconds() -> float:
    """CPU time of this process and of the finished kernels it started."""
    return time.process_time() + sum(
        getattr(resource.getrusage(resource.RUSAGE_CHILDREN), f) for f in ("ru_utime", "ru_stime")
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.sim.fingerprints")
    parser.add_argument("names", nargs="*", help="scenarios or notebooks (default: all)")
    parser.add_argument("--update", action="store_true", help="rewrite the golden hashes")
    parser.add_argument("--dump", type=Path, help="write each section's full text under this directory")
    only = parser.add_mutually_exclusive_group()
    only.add_argument("--scenarios", action="store_true", help="every scenario, no notebook")
    only.add_argument("--notebooks", action="store_true", help="every chapter notebook, no scenario")
    args = parser.parse_args(argv)
    notebooks = notebook_names()
    names = args.names or (
        ([] if args.notebooks else sorted(SCENARIOS)) + ([] if args.scenarios else notebooks)
    )
    unknown = [n for n in names if n not in SCENARIOS and n not in notebooks]
    if unknown:
        parser.error(f"no scenario or notebook named {', '.join(unknown)}")
    for name in names:
        started, cpu = time.monotonic(), _cpu_seconds()
        sections = measure(name) if name in SCENARIOS else measure_notebook(name)
        if args.dump:
            for section, text in sections.items():
                out = args.dump / name / f"{section}.txt"
                out.parent.mkdir(parents=True, exist_ok=True)
                out.write_text(text)
        if args.update:
            write_golden(name, sections)
            print(f"{name}: wrote {golden_path(name)}", file=sys.stderr)
        else:
            print(
                f"{name}: {len(sections)} sections, {sum(len(t) for t in sections.values()):,} characters "
                f"in {time.monotonic() - started:.1f} s "
                f"({_cpu_seconds() - cpu:.1f} s of CPU, kernels included)",
                file=sys.stderr,
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
