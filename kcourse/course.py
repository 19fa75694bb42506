"""The course itself: its notebooks, copied out for a learner, and JupyterLab opened on them.

A pip-installed kcourse carries the notebooks as package data
(``kcourse/data/notebooks/``, copied from the repository's ``notebooks/`` when
the wheel is built); an editable install or a source checkout uses
``notebooks/`` directly.  ``kcourse notebooks DIR`` copies them into a
directory of the learner's choice, and ``kcourse lab [DIR]`` opens JupyterLab
there.  The notebooks need nothing else beside them: question banks are found
inside the package (:func:`kcourse.quiz.banks_dir`), progress in the user data
directory.

Copying never overwrites a learner's file unless asked (``--force``): a
notebook they have worked in holds their own cells.  Copied notebooks are
trusted (when ``nbformat`` is installed) so their stored diagrams show on
first open, as ``jupyter trust`` would.

Simplified: only ``*.ipynb`` files are copied (the notebooks read no other
file); nothing is merged into a notebook that a learner changed.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import shutil
import subprocess
import sys
from importlib import resources
from pathlib import Path
from typing import Any

__all__ = ["CourseError", "copy_course", "course_dir", "course_notebooks", "register", "trust"]

#: The notebook a learner starts from; ``kcourse lab`` opens it.
INDEX = "00-index.ipynb"
#: Where ``kcourse lab`` puts the course when it is not run inside one.
DEFAULT_DIR = "kcourse-course"


class CourseError(Exception):
    """The course cannot be copied or opened; the message is one line saying why and what to do."""


def course_dir() -> Path:
    """The directory holding the course notebooks: the package's copy, else the checkout's ``notebooks/``."""
    shipped = Path(str(resources.files("kcourse") / "data" / "notebooks"))
    if shipped.is_dir() and any(shipped.glob("*.ipynb")):
        return shipped
    checkout = Path(__file__).resolve().parent.parent / "notebooks"
    if checkout.is_dir() and any(checkout.glob("*.ipynb")):
        return checkout
    raise CourseError(
        "this kcourse was installed without its notebooks; reinstall it from a wheel or a checkout"
    )


def course_notebooks() -> list[Path]:
    """Every course notebook, in chapter order."""
    return sorted(course_dir().glob("*.ipynb"))


def trust(paths: list[Path]) -> bool:
    """Sign ``paths`` as trusted for this user (``jupyter trust``); False when nbformat is not installed.

    A notebook that cannot be read (a learner broke it) is left unsigned, never an error.
    """
    try:
        import nbformat
        from nbformat.sign import NotebookNotary
    except ImportError:
        return False
    notary = NotebookNotary()
    for path in paths:
        try:
            notary.sign(nbformat.read(path, as_version=nbformat.NO_CONVERT))
        except (OSError, ValueError):  # nbformat's NotJSONError is a ValueError
            continue
    return True


def copy_course(dest: str | os.PathLike[str], *, force: bool = False) -> list[Path]:
    """Copy every course notebook into ``dest`` (created if missing); the copies, in order.

    Refuses, changing nothing, when a file of the same name is already there, unless ``force``.
    """
    raw = os.fspath(dest)
    if not raw or "\0" in raw:
        raise CourseError(f"{raw!r} is not a usable directory name")
    target = Path(raw).expanduser()
    if os.path.lexists(target) and not target.is_dir():
        raise CourseError(f"{target} exists and is not a directory")
    sources = course_notebooks()
    present = [s.name for s in sources if os.path.lexists(target / s.name)]
    if present and not force:
        shown = ", ".join(present[:3]) + (f" and {len(present) - 3} more" if len(present) > 3 else "")
        raise CourseError(
            f"{target} already has {shown}; choose an empty directory, or add --force to overwrite them"
        )
    clobbered = [name for name in present if (target / name).is_dir()]
    if clobbered:
        raise CourseError(f"{target / clobbered[0]} is a directory; a notebook cannot replace it")
    copies = []
    try:
        target.mkdir(parents=True, exist_ok=True)
        for source in sources:
            copy = target / source.name
            if os.path.islink(copy):
                copy.unlink()  # replace the link itself, never write through it
            shutil.copyfile(source, copy)
            copies.append(copy)
    except OSError as exc:
        raise CourseError(f"cannot copy the course into {target}: {exc.strerror or exc}") from None
    return copies


def _notebooks(args: argparse.Namespace) -> int:
    try:
        copies = copy_course(args.directory, force=args.force)
    except CourseError as exc:
        print(f"kcourse notebooks: {exc}", file=sys.stderr)
        return 2
    trusted = trust(copies)
    where = copies[0].parent
    print(f"copied {len(copies)} notebooks to {where}{' (trusted)' if trusted else ''}")
    print(f"start with {where / INDEX}, or run: kcourse lab {where}")
    return 0


def _lab_dir(directory: str | None) -> Path:
    if directory is not None:
        return Path(directory).expanduser()
    return Path.cwd() if (Path.cwd() / INDEX).is_file() else Path(DEFAULT_DIR)


def _lab(args: argparse.Namespace) -> int:
    where = _lab_dir(args.directory)
    if importlib.util.find_spec("jupyterlab") is None:
        print(
            "kcourse lab: JupyterLab is not installed here; install it with: pip install 'kcourse[lab]'",
            file=sys.stderr,
        )
        return 2
    try:
        if not (where / INDEX).is_file():
            copies = copy_course(where)
            print(f"copied {len(copies)} notebooks to {where}")
        trust(sorted(where.glob("*.ipynb")))
    except (CourseError, OSError, ValueError) as exc:
        print(f"kcourse lab: {exc}", file=sys.stderr)
        return 2
    command = [
        sys.executable,
        "-m",
        "jupyterlab",
        f"--ServerApp.root_dir={where.resolve()}",
        f"--port={args.port}",
        str((where / INDEX).resolve()),
    ]
    if args.no_browser:
        command.append("--no-browser")
    return subprocess.call(command)


def _challenge(args: argparse.Namespace) -> int:
    from kcourse.challenges import terminal

    if args.challenge_command == "list":
        return terminal.cmd_list()
    if args.challenge_command == "start":
        return terminal.cmd_start(
            args.name, seed=args.seed, speed=args.speed, port=args.port, kubeconfig=args.kubeconfig
        )
    if args.challenge_command == "hint":
        return terminal.cmd_hint(args.name, args.number)
    return terminal.cmd_check(args.name)


def register(subparsers: Any) -> None:
    """Add the ``notebooks``, ``lab`` and ``challenge`` commands."""
    p = subparsers.add_parser("notebooks", help="copy the course notebooks into a directory of your choice")
    p.add_argument("directory", metavar="DIR", help="where to put the notebooks (created if missing)")
    p.add_argument("--force", action="store_true", help="overwrite notebooks already there")
    p.set_defaults(func=_notebooks)

    p = subparsers.add_parser(
        "lab", help="open the course in JupyterLab (copying it into DIR first if needed)"
    )
    p.add_argument(
        "directory",
        metavar="DIR",
        nargs="?",
        help=f"the course directory (default: this one if it holds {INDEX}, else ./{DEFAULT_DIR})",
    )
    p.add_argument("--port", type=int, default=8888, help="port for JupyterLab (default: 8888)")
    p.add_argument("--no-browser", action="store_true", help="do not open a browser")
    p.set_defaults(func=_lab)

    p = subparsers.add_parser(
        "challenge", help="hands-on challenges: fix a broken cluster with the real kubectl"
    )
    sub = p.add_subparsers(dest="challenge_command", metavar="SUBCOMMAND", required=True)
    sub.add_parser("list", help="the challenges, with the section each trains").set_defaults(func=_challenge)
    q = sub.add_parser("start", help="serve a challenge's cluster and print its goal (until Ctrl-C)")
    q.add_argument("name", metavar="NAME", help="the challenge (see: kcourse challenge list)")
    q.add_argument("--seed", type=int, default=0, help="which instance (default 0)")
    q.add_argument(
        "--speed", type=float, default=1.0, help="simulated seconds per wall-clock second (default 1)"
    )
    q.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (default: any free port)")
    q.add_argument("--kubeconfig", help="where to write the kubeconfig (default: a new temporary directory)")
    q.set_defaults(func=_challenge)
    q = sub.add_parser("check", help="check the challenge served by `kcourse challenge start` or a notebook")
    q.add_argument("name", metavar="NAME")
    q.set_defaults(func=_challenge)
    q = sub.add_parser("hint", help="print the served challenge's hints")
    q.add_argument("name", metavar="NAME")
    q.add_argument("number", type=int, nargs="?", help="only the first NUMBER hints")
    q.set_defaults(func=_challenge)
