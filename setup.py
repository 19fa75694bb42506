"""Build hook: ship the course notebooks inside the package.

The notebooks are written and executed in ``notebooks/`` (one place to edit);
building the package copies ``notebooks/*.ipynb`` to ``kcourse/data/notebooks/``
so a wheel holds the whole course and ``kcourse notebooks DIR`` can copy it out.
Everything else is declared in ``pyproject.toml``.
"""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent


class build_py_with_course(build_py):
    def run(self):
        super().run()
        if getattr(self, "editable_mode", False):
            return  # an editable install reads notebooks/ in place (kcourse.course.course_dir)
        target = Path(self.build_lib) / "kcourse" / "data" / "notebooks"
        target.mkdir(parents=True, exist_ok=True)
        for notebook in sorted((ROOT / "notebooks").glob("*.ipynb")):
            shutil.copyfile(notebook, target / notebook.name)


setup(cmdclass={"build_py": build_py_with_course})
