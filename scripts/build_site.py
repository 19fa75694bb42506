"""Build the static course site into build/site/ with Jupyter Book 1, offline.

Why a script rather than ``jupyter-book build site/``: the notebooks live in
``notebooks/`` and are edited only there, while a book's pages must sit beside
its ``_config.yml``.  So the build copies ``site/`` and ``notebooks/*.ipynb``
into ``build/site-src/`` and builds that.  On the way, every cell id is
prefixed with its notebook's stem (``cell-12`` -> ``05-controller-managers-cell-12``):
the notebooks share ids such as ``cell-12``, which anchors and cross-notebook
tools (mystmd, nbgitpuller merges) expect to be unique across a book.
Nothing is executed: the pages show the stored outputs.

Simplified: the whole HTML tree is rebuilt each time (about ten seconds, no
incremental build); the copy drops nothing but ids, so a page shows exactly
what the stored notebook shows.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CONFIG = REPO / "site"
SOURCE = REPO / "build" / "site-src"
OUTPUT = REPO / "build" / "site"


def unique_ids(notebook: dict, stem: str) -> dict:
    """Prefix each cell id with the notebook's stem; ids stay within nbformat's 64 characters."""
    for cell in notebook["cells"]:
        if "id" in cell:
            cell["id"] = f"{stem}-{cell['id']}"[-64:].lstrip("-_") or stem[:64]
    return notebook


def prepare(source: Path = SOURCE) -> list[Path]:
    if source.exists():
        shutil.rmtree(source)
    shutil.copytree(CONFIG, source)
    pages = []
    for path in sorted((REPO / "notebooks").glob("*.ipynb")):
        notebook = unique_ids(json.loads(path.read_text(encoding="utf-8")), path.stem)
        target = source / path.name
        target.write_text(json.dumps(notebook, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        pages.append(target)
    return pages


def build(source: Path = SOURCE, output: Path = OUTPUT) -> Path:
    prepare(source)
    jb = Path(sys.executable).with_name("jupyter-book")
    subprocess.run([str(jb), "build", "--quiet", "--builder", "html", str(source)], check=True)
    if output.exists():
        shutil.rmtree(output)
    shutil.copytree(source / "_build" / "html", output)
    return output


if __name__ == "__main__":
    print(build() / "index.html")
