"""scripts/execute_notebooks.py: what it normalises, and how it reports a failing cell."""

from __future__ import annotations

import os
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

VIEW = "application/vnd.jupyter.widget-view+json"
STATE = "application/vnd.jupyter.widget-state+json"
BOX, BUTTON, LAYOUT, ORPHAN = "a" * 32, "b" * 32, "c" * 32, "d" * 32


def widget_notebook() -> nbformat.NotebookNode:
    """A VBox holding a Button, shown by cell 1; an orphan model that no output shows."""
    view = new_output(
        "display_data",
        data={VIEW: {"model_id": BOX, "version_major": 2, "version_minor": 0}, "text/plain": "VBox()"},
    )
    nb = new_notebook(
        cells=[new_markdown_cell("# t"), new_code_cell("box", outputs=[view], execution_count=7)]
    )
    nb.metadata["widgets"] = {
        STATE: {
            "version_major": 2,
            "version_minor": 0,
            "state": {
                BOX: {
                    "model_name": "VBoxModel",
                    "state": {"children": [f"IPY_MODEL_{BUTTON}"], "layout": f"IPY_MODEL_{LAYOUT}"},
                },
                BUTTON: {
                    "model_name": "ButtonModel",
                    "state": {"description": "Step", "layout": f"IPY_MODEL_{LAYOUT}"},
                },
                LAYOUT: {"model_name": "LayoutModel", "state": {}},
                ORPHAN: {"model_name": "LayoutModel", "state": {}},
            },
        }
    }
    nb.metadata["language_info"] = {"name": "python", "version": "3.11.7"}
    nb.cells[1].metadata["execution"] = {"iopub.execute_input": "2026-11-27T03:30:00.000Z"}
    return nb


def test_widget_ids_come_from_the_notebook_name_and_position(execute_notebooks):
    nb = execute_notebooks.normalise(widget_notebook(), "05-x")
    again = execute_notebooks.normalise(widget_notebook(), "05-x")
    other = execute_notebooks.normalise(widget_notebook(), "06-y")
    box = nb.cells[1].outputs[0].data[VIEW]["model_id"]
    assert box == again.cells[1].outputs[0].data[VIEW]["model_id"]
    assert box != other.cells[1].outputs[0].data[VIEW]["model_id"]
    assert box not in (BOX, BUTTON, LAYOUT, ORPHAN)


def test_widget_state_is_renamed_consistently_and_unreachable_models_dropped(execute_notebooks):
    nb = execute_notebooks.normalise(widget_notebook(), "05-x")
    state = nb.metadata["widgets"][STATE]["state"]
    box = nb.cells[1].outputs[0].data[VIEW]["model_id"]
    button = state[box]["state"]["children"][0].removeprefix("IPY_MODEL_")
    assert state[button]["state"]["description"] == "Step"
    assert state[box]["state"]["layout"] == state[button]["state"]["layout"]
    assert len(state) == 3


def test_run_noise_is_removed_and_counts_are_sequential(execute_notebooks):
    nb = execute_notebooks.normalise(widget_notebook(), "05-x")
    assert "version" not in nb.metadata["language_info"]
    assert "execution" not in nb.cells[1].metadata
    assert nb.cells[1].execution_count == 1
    assert nb.metadata["kernelspec"]["name"] == "python3"


def test_normalising_twice_changes_nothing(execute_notebooks):
    once = execute_notebooks.normalise(widget_notebook(), "05-x")
    twice = execute_notebooks.normalise(nbformat.reads(nbformat.writes(once), as_version=4), "05-x")
    assert execute_notebooks.serialise(once) == execute_notebooks.serialise(twice)


def test_a_failing_cell_is_named_and_the_file_left_alone(tmp_path: Path, execute_notebooks, capsys):
    path = tmp_path / "broken.ipynb"
    nbformat.write(new_notebook(cells=[new_code_cell("x = 1"), new_code_cell("1 / 0")]), path)
    before = path.read_bytes()
    assert execute_notebooks.main([str(path)]) == 1
    err = capsys.readouterr().err
    assert "broken.ipynb: cell 1 ('1 / 0')" in err and "ZeroDivisionError" in err
    assert path.read_bytes() == before


def test_the_kernel_runs_with_an_empty_progress_file_of_its_own(tmp_path: Path, execute_notebooks):
    path = tmp_path / "env.ipynb"
    source = "import os\nprint(os.environ['KCOURSE_PROGRESS'].startswith(os.environ['HOME']), os.getcwd())"
    nbformat.write(new_notebook(cells=[new_code_cell(source)]), path)
    nb = execute_notebooks.execute(path)
    assert nb.cells[0].outputs[0].text == f"False {tmp_path}\n"


def test_nbval_kernels_get_a_fresh_progress_file_too(tmp_path: Path):
    """notebooks/conftest.py gives every notebook nbval runs the same clean environment as the script."""
    import shutil
    import subprocess
    import sys

    from .conftest import NOTEBOOKS

    shutil.copy(NOTEBOOKS / "conftest.py", tmp_path / "conftest.py")
    home = tmp_path / "home"
    (home / ".kcourse").mkdir(parents=True)
    (home / ".kcourse" / "progress.json").write_text('{"version": 1, "chapters": {"ch04": {}}}')
    source = (
        "import os\nfrom kcourse.quiz import Progress\n"
        "print(Progress().path.exists(), os.environ['PYTHONHASHSEED'])"
    )
    cell = new_code_cell(
        source, execution_count=1, outputs=[new_output("stream", name="stdout", text="False 0\n")]
    )
    nbformat.write(
        new_notebook(cells=[cell], metadata={"kernelspec": {"name": "python3", "display_name": "Python 3"}}),
        tmp_path / "env.ipynb",
    )
    env = {k: v for k, v in os.environ.items() if k not in ("KCOURSE_PROGRESS", "PYTHONHASHSEED")}
    env["HOME"] = str(home)
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "--nbval",
            "-q",
            "-p",
            "no:cacheprovider",
            "--rootdir",
            str(tmp_path),
            str(tmp_path / "env.ipynb"),
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_progress_bar_counts_every_code_cell_and_stays_out_of_the_outputs(
    tmp_path: Path, execute_notebooks, capsys
):
    """The bar runs in the executing process: it advances once per code cell, and no stored output shows
    it."""
    path = tmp_path / "bar.ipynb"
    nbformat.write(
        new_notebook(cells=[new_markdown_cell("# t"), new_code_cell("print('one')"), new_code_cell("2 + 2")]),
        path,
    )
    bar = execute_notebooks.progress_bar([path, path], disable=False)
    assert bar.total == 4
    nb = execute_notebooks.execute(path, bar=bar)
    assert bar.n == 2
    bar.close()
    stored = nbformat.writes(nb)
    assert "cell/s" not in stored and "it/s" not in stored and "%|" not in stored
    assert "2/4" in capsys.readouterr().err  # the bar itself went to stderr
