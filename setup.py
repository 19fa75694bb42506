"""Build hooks: ship the course notebooks inside the package; a README that reads on the package index.

The notebooks are written and executed in ``notebooks/`` (one place to edit);
building the package copies ``notebooks/*.ipynb`` to ``kcourse/data/notebooks/``
so a wheel holds the whole course and ``kcourse notebooks DIR`` can copy it out.

The README links its pictures relative to the repository (``docs/architecture.png``), which
GitHub resolves and a package index cannot: the package's long description is the README with
every relative link made absolute, against the repository named in ``site/_config.yml`` (the one
place the repository is named) at the tag of this version.
Everything else is declared in ``pyproject.toml``.
"""

import re
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


def _version() -> str:
    text = (ROOT / "kcourse" / "__init__.py").read_text()
    return re.search(r'^__version__ = "([^"]+)"', text, re.MULTILINE).group(1)


def _repository() -> str:
    config = (ROOT / "site" / "_config.yml").read_text()
    return re.search(r"^repository:\n  url: (\S+)", config, re.MULTILINE).group(1).rstrip("/")


#: ``](path)`` and ``src="path"`` with a relative path (no scheme, no leading ``/`` or ``#``).
_RELATIVE = re.compile(r'(\]\(|src=")(?![a-z][a-z0-9+.-]*:|/|#)([^)"\s]+)')


def long_description(readme: str, repository: str, ref: str) -> str:
    """The README with relative links absolute: pictures from the raw files, others to the file view."""

    def absolute(m: re.Match) -> str:
        path = m.group(2)
        kind = "raw" if re.search(r"\.(png|jpe?g|gif|svg|webp)$", path, re.IGNORECASE) else "blob"
        return f"{m.group(1)}{repository}/{kind}/{ref}/{path}"

    return _RELATIVE.sub(absolute, readme)


setup(
    cmdclass={"build_py": build_py_with_course},
    long_description=long_description(
        (ROOT / "README.md").read_text(encoding="utf-8"), _repository(), f"v{_version()}"
    ),
    long_description_content_type="text/markdown",
)
