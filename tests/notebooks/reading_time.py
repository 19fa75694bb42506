"""How long a notebook takes a learner: the model behind each notebook's "About N minutes".

The learner is an LFS158x-level beginner who reads the prose, runs every cell, glances over what it
prints and answers the questions; nobody studies a 40-line iptables dump line by line.  The model:

* prose: 200 words a minute (a usual rate for technical text); words are the Markdown cells' words
  outside code fences, HTML tags and link targets;
* a command in a Markdown code fence (the *Try this on a real cluster* boxes): 3 s a line;
* a code cell: 5 s to run it (its output is counted below), plus 2 s per line of code to read it
  (YAML manifests included);
* text output: 1 s a line (a table or a trace is scanned, not read word by word);
* a picture (a diagram or a plot): 20 s;
* a knowledge-check question, to read it, answer and read the feedback: 20 s for true or false,
  30 s for one choice, a short answer or a number, 45 s for "all that apply", 60 s for matching
  or ordering; a simulation question adds 15 s for its scenario;
* the Stepper: 3 minutes of clicking.

The navigation lines (previous · index · next) are not counted.  The *core path* is every cell not tagged
``deep-dive`` and the Markdown outside ``<details>`` blocks; the deep dives are the rest.  Each notebook
declares its estimate right under its title: "*About 8 minutes; the deep dives add 12.*"  ``python
tests/notebooks/reading_time.py`` prints the table; ``--write`` puts the computed estimates into the notebooks
and the map in ``00-index``.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

WORDS_PER_MINUTE = 200
FENCE_LINE_S = 3
CELL_S = 5
CODE_LINE_S = 2
OUTPUT_LINE_S = 1
PICTURE_S = 20
QUESTION_S = {
    "true_false": 20,
    "single": 30,
    "text": 30,
    "numeric": 30,
    "multiple": 45,
    "matching": 60,
    "ordering": 60,
}
SCENARIO_S = 15
STEPPER_S = 180

DEEP_DIVE_TAG = "deep-dive"
DEEP_DIVE_HEADING = re.compile(r"^#{2,3} Deep dive \(optional\): \S", re.MULTILINE)
ESTIMATE = re.compile(r"^\*About (\d+) minutes?(?:; the deep dives add (\d+))?\.\*$", re.MULTILINE)

_FENCE = re.compile(r"^```.*?^```", re.MULTILINE | re.DOTALL)
_DETAILS = re.compile(r"<details>.*?</details>", re.DOTALL)
_TAG = re.compile(r"<[^>]+>")
_LINK_TARGET = re.compile(r"\]\([^)]*\)")
_WORD = re.compile(r"[\w'’-]*\w[\w'’-]*")
NAVIGATION = re.compile(r"^\[[^\]]+\]\([\w.-]+\.ipynb\)( · \[[^\]]+\]\([\w.-]+\.ipynb\))*$")
_QUIZ = re.compile(r"quiz\.show\(\s*[\"'](\w+)[\"'](?:\s*,\s*(?:section=)?[\"']([\w-]+)[\"'])?")


@dataclass
class Seconds:
    """Seconds spent on the core path and in the deep dives, with the counts behind them."""

    core: float = 0.0
    deep: float = 0.0
    counts: dict[str, dict[str, int]] = field(default_factory=lambda: {"core": {}, "deep": {}})

    def add(self, deep: bool, seconds: float, what: str, n: int = 1) -> None:
        if deep:
            self.deep += seconds
        else:
            self.core += seconds
        bucket = self.counts["deep" if deep else "core"]
        bucket[what] = bucket.get(what, 0) + n

    @property
    def core_minutes(self) -> int:
        return round(self.core / 60)

    @property
    def deep_minutes(self) -> int:
        return round(self.deep / 60)


def is_deep_dive(cell) -> bool:
    return DEEP_DIVE_TAG in cell.get("metadata", {}).get("tags", [])


def words(markdown: str) -> int:
    text = _LINK_TARGET.sub("]", _TAG.sub(" ", _FENCE.sub(" ", markdown)))
    return len(_WORD.findall(text))


def fence_lines(markdown: str) -> int:
    return sum(max(len(block.splitlines()) - 2, 0) for block in _FENCE.findall(markdown))


def _questions(source: str) -> tuple[int, float]:
    """How many questions a cell's ``quiz.show(...)`` calls show, and the seconds they take."""
    from kcourse import quiz

    count, seconds = 0, 0.0
    for chapter, section in _QUIZ.findall(source):
        bank = quiz.load(chapter)
        for question in bank.in_section(section) if section else bank.questions:
            count += 1
            seconds += question_seconds(question)
    return count, seconds


def question_seconds(question) -> float:
    """A simulation question reads like a one-choice or a number question, plus its scenario."""
    kind = {"choice": "single", "number": "numeric"}.get(question.expect, question.type)
    return QUESTION_S.get(kind, QUESTION_S["single"]) + (SCENARIO_S if question.scenario else 0)


def _is_picture(data: dict) -> bool:
    html = data.get("text/html", "")
    return any(k.startswith("image/") for k in data) or "<svg" in html or "<img" in html


def _output_lines(output) -> int:
    if output.output_type == "stream":
        return len(output.text.rstrip("\n").splitlines())
    return len(output.get("data", {}).get("text/plain", "").rstrip("\n").splitlines())


def estimate(path: Path) -> Seconds:
    """Seconds on the core path and in the deep dives of one notebook, by the model above."""
    result = Seconds()
    for cell in nbformat.read(path, as_version=4).cells:
        deep = is_deep_dive(cell)
        if cell.cell_type == "markdown" and NAVIGATION.match(cell.source):
            continue
        if cell.cell_type == "markdown":
            optional = "".join(_DETAILS.findall(cell.source))
            main = _DETAILS.sub(" ", cell.source)
            for text, in_details in ((main, deep), (optional, True)):
                n = words(text)
                result.add(in_details, n * 60 / WORDS_PER_MINUTE, "words", n)
                n = fence_lines(text)
                result.add(in_details, n * FENCE_LINE_S, "command lines", n)
            continue
        if cell.cell_type != "code" or not cell.source.strip():
            continue
        lines = len(cell.source.strip().splitlines())
        result.add(deep, CELL_S + lines * CODE_LINE_S, "code lines", lines)
        result.add(deep, 0, "code cells")
        questions, seconds = _questions(cell.source)
        if questions:  # the widget and its static copy: the questions are what takes time
            result.add(deep, seconds, "questions", questions)
            continue
        if "Stepper(" in cell.source:
            result.add(deep, STEPPER_S, "steppers")
            continue
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if _is_picture(data):
                result.add(deep, PICTURE_S, "pictures")
                continue
            n = _output_lines(output)
            result.add(deep, n * OUTPUT_LINE_S, "output lines", n)
    return result


def declared(path: Path) -> tuple[int, int] | None:
    """The (core, deep-dive) minutes a notebook declares under its title, if it does."""
    for cell in nbformat.read(path, as_version=4).cells[:3]:
        if cell.cell_type == "markdown" and (m := ESTIMATE.search(cell.source)):
            return int(m.group(1)), int(m.group(2) or 0)
    return None


def estimate_line(s: Seconds) -> str:
    deep = f"; the deep dives add {s.deep_minutes}" if s.deep_minutes else ""
    return f"*About {s.core_minutes} minute{'s' if s.core_minutes != 1 else ''}{deep}.*"


def map_time(s: Seconds) -> str:
    return f"{s.core_minutes} min (+{s.deep_minutes})" if s.deep_minutes else f"{s.core_minutes} min"


def write(paths: list[Path]) -> None:
    """Write each notebook's computed estimate under its title, and into the map of 00-index."""
    import importlib.util

    root = Path(__file__).resolve().parents[2]
    spec = importlib.util.spec_from_file_location(
        "execute_notebooks", root / "scripts" / "execute_notebooks.py"
    )
    assert spec and spec.loader
    execute = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(execute)
    estimates = {path.stem: estimate(path) for path in paths}
    for path in paths:
        nb = nbformat.read(path, as_version=4)
        for cell in nb.cells:
            if cell.cell_type != "markdown":
                continue
            cell.source = ESTIMATE.sub(estimate_line(estimates[path.stem]), cell.source, count=1)
            for stem, s in estimates.items():
                cell.source = re.sub(
                    rf"^(\| \[{re.escape(stem)}\]\({re.escape(stem)}\.ipynb\) \| [^|]+ \| )[^|]+( \|)$",
                    rf"\g<1>{map_time(s)}\g<2>",
                    cell.source,
                    flags=re.MULTILINE,
                )
        path.write_bytes(execute.serialise(execute.normalise(nb, path.stem)))


def main(paths: list[Path]) -> None:
    total_core = total_deep = 0.0
    print(f"{'notebook':34} {'core':>5} {'deep':>5}  declared  core counts")
    for path in paths:
        s = estimate(path)
        total_core += s.core
        total_deep += s.deep
        counts = ", ".join(f"{v} {k}" for k, v in s.counts["core"].items() if v)
        print(f"{path.stem:34} {s.core / 60:5.1f} {s.deep / 60:5.1f}  {declared(path)!s:8}  {counts}")
    print(f"{'total':34} {total_core / 60:5.1f} {total_deep / 60:5.1f}")


if __name__ == "__main__":
    root = Path(__file__).resolve().parents[2] / "notebooks"
    arguments = [a for a in sys.argv[1:] if a != "--write"]
    chosen = [Path(p) for p in arguments] or sorted(root.glob("*.ipynb"))
    if "--write" in sys.argv[1:]:
        write(chosen)
    main(chosen)
