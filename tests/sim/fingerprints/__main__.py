"""``python -m tests.sim.fingerprints [--update] [--dump DIR] [SCENARIO ...]``.

``--update`` rewrites the goldens (for a deliberate change of behaviour, committed with a message that
says which sections changed and why); ``--dump DIR`` writes every section's full text, one file per
scenario and section, so two trees' outputs can be compared with ``diff -r``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tests.sim.fingerprints.scenarios import SCENARIOS, golden_path, measure, write_golden


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.sim.fingerprints")
    parser.add_argument("scenarios", nargs="*", default=sorted(SCENARIOS))
    parser.add_argument("--update", action="store_true", help="rewrite the golden hashes")
    parser.add_argument("--dump", type=Path, help="write each section's full text under this directory")
    args = parser.parse_args(argv)
    for name in args.scenarios:
        sections = measure(name)
        if args.dump:
            out = args.dump / name
            out.mkdir(parents=True, exist_ok=True)
            for section, text in sections.items():
                (out / f"{section}.txt").write_text(text)
        if args.update:
            write_golden(name, sections)
            print(f"{name}: wrote {golden_path(name)}", file=sys.stderr)
        else:
            print(f"{name}: {len(sections)} sections, {sum(len(t) for t in sections.values()):,} characters",
                  file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
