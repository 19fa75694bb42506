#!/usr/bin/env python3
"""Execute the chapter notebooks top to bottom, in place, so their stored outputs are current.

Usage: ``scripts/execute_notebooks.py [NOTEBOOK ...]`` (default: every ``notebooks/*.ipynb``).

Notebooks are committed with their outputs and checked by ``pytest --nbval``;
this is the one command that refreshes them.  It runs each notebook in a fresh
kernel of this interpreter's environment (cwd = the notebook's folder, the same
kernel environment as ``notebooks/conftest.py`` gives nbval), then removes what
varies from run to run, so executing an unchanged notebook with an unchanged
library rewrites the file byte for byte and ``git diff`` shows only real changes:

* widget model ids (random uuids) become ids derived from the notebook's name
  and the cell and output that display the widget;
* no widget state is stored: a restored widget looks live before the kernel
  runs but answers nothing, and saved state makes nbconvert and Jupyter Book
  show an empty widget view instead of the widget's static copy (see
  ``kcourse/widgets/static.py``).  Widget state already in a notebook is
  renamed to match its outputs and kept only for models a stored output
  reaches, without the null (default) properties of Layout models;
* per-cell execution timings are not recorded;
* the kernel's interpreter version is not recorded (``language_info`` keeps
  only what selects the syntax highlighting);
* execution counts are sequential, 1..n.

A progress bar on stderr (``tqdm``, shown only when stderr is a terminal) counts the code cells of
all the notebooks; it lives in this process, never in a kernel, so no stored output carries it.

A cell that raises stops that notebook: the script names the notebook and the
cell, leaves the file untouched and exits non-zero after trying the others.
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import importlib.util
import json
import re
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
LANGUAGE_INFO = {
    "codemirror_mode": {"name": "ipython", "version": 3},
    "file_extension": ".py",
    "mimetype": "text/x-python",
    "name": "python",
    "nbconvert_exporter": "python",
    "pygments_lexer": "ipython3",
}
CELL_TIMEOUT = 600
# How long to wait, once a cell has finished, for the rest of its output. nbclient's default of 4 s is short
# on a loaded machine, and by default it then only logs a warning and stores the cell without that output.
IOPUB_TIMEOUT = 120
_UUID_HEX = re.compile(r"[0-9a-f]{32}")


def _kernel_env(progress_dir: str) -> dict[str, str]:
    """The kernel environment nbval uses too: defined once, in notebooks/conftest.py."""
    spec = importlib.util.spec_from_file_location("_notebooks_conftest", NOTEBOOKS / "conftest.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.kernel_env(progress_dir)


class NotebookFailed(Exception):
    """A cell raised; the message names the notebook and the cell."""


def execute(path: Path, cwd: Path | None = None, bar: Any = None) -> nbformat.NotebookNode:
    """Run every code cell of ``path`` in a fresh kernel (in ``cwd``, default its folder); return it.

    ``bar``, a progress bar, advances by one per code cell run.
    """
    nb = nbformat.read(path, as_version=4)
    nb.metadata.pop("widgets", None)  # widget state is not stored (see above): drop what an older run saved
    client = NotebookClient(
        nb,
        timeout=CELL_TIMEOUT,
        iopub_timeout=IOPUB_TIMEOUT,
        raise_on_iopub_timeout=True,
        kernel_name="python3",
        resources={"metadata": {"path": str(cwd or path.parent)}},
        record_timing=False,
        coalesce_streams=True,
        store_widget_state=False,
    )
    client.reset_execution_trackers()
    with (
        tempfile.TemporaryDirectory(prefix="kcourse-execute-") as progress_dir,
        client.setup_kernel(env=_kernel_env(progress_dir)),
    ):
        for index, cell in enumerate(nb.cells):
            try:
                client.execute_cell(cell, index, execution_count=client.code_cells_executed + 1)
                if bar is not None and cell.cell_type == "code":
                    bar.update()
            except CellExecutionError as error:
                first_line = cell.source.strip().splitlines()[0] if cell.source.strip() else ""
                raise NotebookFailed(f"{path.name}: cell {index} ({first_line!r}) raised:\n{error}") from None
        client.set_widgets_metadata()
    return nb


def normalise(nb: nbformat.NotebookNode, name: str) -> nbformat.NotebookNode:
    """Remove what varies between runs of the same notebook (see the module docstring)."""
    nb.metadata["kernelspec"] = dict(KERNELSPEC)
    nb.metadata["language_info"] = dict(LANGUAGE_INFO)
    count = 0
    for index, cell in enumerate(nb.cells):
        cell.metadata.pop("execution", None)
        if not cell.get("id"):
            cell["id"] = f"cell-{index}"
        if cell.cell_type != "code":
            continue
        if cell.source.strip():
            count += 1
            cell.execution_count = count
        for output in cell.get("outputs", []):
            if output.get("output_type") == "execute_result":
                output["execution_count"] = cell.execution_count
    return _normalise_widgets(nb, name)


def _widget_id(seed: str) -> str:
    return hashlib.sha256(seed.encode()).hexdigest()[:32]


def _references(value: Any) -> list[str]:
    """Model ids a widget's state refers to, in a deterministic order."""
    found: list[str] = []
    if isinstance(value, str) and value.startswith("IPY_MODEL_"):
        found.append(value[len("IPY_MODEL_") :])
    elif isinstance(value, dict):
        if isinstance(value.get("model_id"), str):
            found.append(value["model_id"])
        for key in sorted(value):
            found.extend(_references(value[key]))
    elif isinstance(value, list):
        for item in value:
            found.extend(_references(item))
    return found


def _normalise_widgets(nb: nbformat.NotebookNode, name: str) -> nbformat.NotebookNode:
    """Rename widget models to ids derived from where they are displayed; keep only reachable state."""
    state: dict[str, Any] = nb.metadata.get("widgets", {}).get(WIDGET_STATE, {}).get("state", {})
    renamed: dict[str, str] = {}

    def visit(model_id: str, seed: str) -> None:
        if model_id in renamed:
            return
        renamed[model_id] = _widget_id(seed)
        model = state.get(model_id)
        if model is None:
            return
        for n, child in enumerate(_references(model.get("state", {}))):
            visit(child, f"{seed}/{n}")

    for index, cell in enumerate(nb.cells):
        for n, output in enumerate(cell.get("outputs", [])):
            view = output.get("data", {}).get(WIDGET_VIEW)
            if view and view.get("model_id"):
                visit(view["model_id"], f"{name}/{index}/{n}")
    if not renamed and "widgets" not in nb.metadata:
        return nb

    kept = {old: copy.deepcopy(state[old]) for old in renamed if old in state}
    for model in kept.values():
        if model.get("model_name") == "OutputModel" and "msg_id" in model.get("state", {}):
            model["state"]["msg_id"] = ""  # the capturing message's id; empty once capture ends
        if model.get("model_name") == "LayoutModel":
            # Every CSS property of a Layout defaults to null in the front end too; a quiz has
            # hundreds of Layouts, and storing their nulls would make up half of its notebook.
            model["state"] = {k: v for k, v in model.get("state", {}).items() if v is not None}
    text = json.dumps({"cells": nb.cells, "state": kept})
    for old, new in renamed.items():
        text = text.replace(old, new)
    leftover = set(_UUID_HEX.findall(text)) & (set(state) - set(renamed))
    if leftover:
        raise NotebookFailed(f"{name}: widget state refers to unreachable models {sorted(leftover)}")
    data = json.loads(text)
    nb.cells = nbformat.from_dict(data["cells"])
    if data["state"]:
        nb.metadata["widgets"] = {
            WIDGET_STATE: {"state": data["state"], "version_major": 2, "version_minor": 0}
        }
    else:
        nb.metadata.pop("widgets", None)
    return nb


def serialise(nb: nbformat.NotebookNode) -> bytes:
    """The file's bytes, exactly as ``nbformat.write`` stores them."""
    text = nbformat.writes(nb)
    return (text if text.endswith("\n") else text + "\n").encode("utf-8")


def progress_bar(paths: list[Path], disable: bool | None = None) -> Any:
    """One bar over every code cell of ``paths``, on stderr; ``disable=None`` hides it off a terminal."""
    from tqdm.auto import tqdm

    cells = sum(
        1 for path in paths for cell in nbformat.read(path, as_version=4).cells if cell.cell_type == "code"
    )
    return tqdm(total=cells, unit="cell", file=sys.stderr, disable=disable, dynamic_ncols=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path, help="default: notebooks/*.ipynb")
    args = parser.parse_args(argv)
    paths = args.notebooks or sorted(NOTEBOOKS.glob("*.ipynb"))
    failures = []
    bar = progress_bar(paths)
    for path in paths:
        started = time.monotonic()
        bar.set_description(path.stem)
        try:
            nb = normalise(execute(path, bar=bar), path.stem)
        except NotebookFailed as failure:
            bar.write(f"FAILED {failure}", file=sys.stderr)
            failures.append(path.name)
            continue
        nbformat.validate(nb)
        path.write_bytes(serialise(nb))
        bar.write(f"executed {path.name} in {time.monotonic() - started:.1f} s", file=sys.stdout)
    bar.close()
    if failures:
        print(f"{len(failures)} notebook(s) failed: {', '.join(failures)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
