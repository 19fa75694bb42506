"""Load a question bank from YAML and say exactly where it is wrong.

The YAML is composed (not constructed) with a ``SafeLoader`` subclass, and the
node tree is turned into plain data by hand.  That is what lets every problem
carry ``file:line``: each mapping key and sequence item remembers the line it
came from.  It is also where the safety rules live: only the YAML core
schema's tags are accepted (``!!python/...`` and every custom tag are refused),
aliases and merge keys are refused (no billion-laughs expansion), duplicate
keys are errors rather than silent overrides, and file size, nesting depth
and node count are capped.  Nothing in a bank is ever executed.

Checks run in three layers, all reported together: YAML structure, the JSON
Schema of :mod:`kcourse.quiz.schema`, then the meaning (an answer that is not
one of the options, an unknown section, a pattern that does not compile).
"""

from __future__ import annotations

import math
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from kcourse.quiz.grading import normalise, safe_pattern
from kcourse.quiz.model import Bank, Objective, Option, Question, Section

__all__ = ["MAX_BYTES", "BankError", "Problem", "load_bank", "load_text"]

MAX_BYTES = 1 << 20
MAX_NODES = 50_000
MAX_DEPTH = 40
_CORE_TAGS = {"tag:yaml.org,2002:" + t for t in ("str", "int", "float", "bool", "null")}
_MAP, _SEQ = "tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"

Lines = dict[tuple, int]
_LONG_NUMBER = re.compile(r"\d{31,}")
#: Bounds on numbers inside a scenario's manifests: Kubernetes' int64, and replicas a check can run quickly.
MAX_INT64 = 2**63 - 1
MAX_SCENARIO_REPLICAS = 100
_UNEXPECTED = re.compile(r"\('([^']+)'(?:, '[^']+')* (?:was|were) unexpected\)")


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a bank, printable as ``file:line: message``."""

    file: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}"


class BankError(ValueError):
    """A bank that cannot be used; ``problems`` lists every reason found."""

    def __init__(self, problems: list[Problem]):
        self.problems = sorted(problems, key=lambda p: (p.file, p.line, p.message))
        super().__init__("\n".join(map(str, self.problems)))


class _Stop(Exception):
    def __init__(self, line: int, message: str):
        self.line, self.message = line, message


class _BankLoader(yaml.SafeLoader):
    """SafeLoader that refuses aliases before they are ever expanded."""

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise _Stop(event.start_mark.line + 1, f"alias *{event.anchor} is not allowed in a bank")
        return super().compose_node(parent, index)


class _Walker:
    """Turns a composed node tree into dicts, lists and scalars, recording lines."""

    def __init__(self, loader: _BankLoader):
        self.loader = loader
        self.lines: Lines = {}
        self.nodes = 0

    def walk(self, node: yaml.Node, path: tuple, depth: int) -> Any:
        line = node.start_mark.line + 1
        self.lines.setdefault(path, line)
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise _Stop(line, f"bank has more than {MAX_NODES} YAML nodes")
        if depth > MAX_DEPTH:
            raise _Stop(line, f"bank nests deeper than {MAX_DEPTH} levels")
        if isinstance(node, yaml.MappingNode):
            if node.tag != _MAP:
                raise _Stop(line, f"tag {node.tag} is not allowed in a bank")
            out: dict[str, Any] = {}
            for key_node, value_node in node.value:
                key_line = key_node.start_mark.line + 1
                if key_node.tag == "tag:yaml.org,2002:merge":
                    raise _Stop(key_line, "merge keys (<<) are not allowed in a bank")
                key = self.walk(key_node, path + ("<key>",), depth + 1)
                if not isinstance(key, str):
                    raise _Stop(key_line, f"mapping key {key!r} must be a string")
                if key in out:
                    first = self.lines[path + (key,)]
                    raise _Stop(key_line, f"duplicate key {key!r} (first at line {first})")
                self.lines[path + (key,)] = key_line
                out[key] = self.walk(value_node, path + (key,), depth + 1)
            return out
        if isinstance(node, yaml.SequenceNode):
            if node.tag != _SEQ:
                raise _Stop(line, f"tag {node.tag} is not allowed in a bank")
            return [self.walk(item, path + (i,), depth + 1) for i, item in enumerate(node.value)]
        if node.tag not in _CORE_TAGS:
            raise _Stop(line, f"tag {node.tag} is not allowed in a bank")
        try:
            return self.loader.construct_object(node)
        except ValueError:  # Python refuses integers of more than 4,300 digits
            raise _Stop(line, f"number of {len(str(node.value))} characters is too long for a bank") from None


def _parse(text: str) -> tuple[Any, Lines]:
    try:
        loader = _BankLoader(text)
    except yaml.reader.ReaderError as exc:  # raised while the text is first scanned: NUL, BEL and the like
        line = text.count("\n", 0, max(exc.position, 0)) + 1
        code = exc.character if isinstance(exc.character, int) else ord(exc.character)
        raise _Stop(line, f"YAML error: control character #x{code:04x} is not allowed") from None
    try:
        node = loader.get_single_node()
        if node is None:
            raise _Stop(1, "bank is empty")
        walker = _Walker(loader)
        return walker.walk(node, (), 0), walker.lines
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise _Stop(mark.line + 1 if mark else 1, f"YAML error: {exc.problem or exc}") from None
    except RecursionError:  # nesting far past MAX_DEPTH exhausts the YAML composer before the walker sees it
        raise _Stop(1, f"bank nests deeper than {MAX_DEPTH} levels") from None
    finally:
        loader.dispose()


def _line(lines: Lines, path: tuple) -> int:
    """The line of ``path``, or of its nearest ancestor that has one."""
    for n in range(len(path), -1, -1):
        if path[:n] in lines:
            return lines[path[:n]]
    return 1


def _where(data: Any, path: tuple) -> str:
    """``question 'id': 'field[0].text'`` for a path into the bank."""
    prefix, rest = "", list(path)
    if len(path) >= 2 and path[0] == "questions" and isinstance(path[1], int):
        qs = data.get("questions") if isinstance(data, dict) else None
        q = qs[path[1]] if isinstance(qs, list) and path[1] < len(qs) else None
        qid = q.get("id") if isinstance(q, dict) else None
        prefix = f"question {qid!r}: " if isinstance(qid, str) else f"question #{path[1] + 1}: "
        rest = list(path[2:])
    field = ""
    for part in rest:
        field += f"[{part}]" if isinstance(part, int) else (f".{part}" if field else str(part))
    return prefix + (f"{field!r}: " if field else "")


def _import_jsonschema() -> Any:
    """jsonschema without the optional IRI format checker, whose grammar takes seconds to compile.

    The bank's schema uses no ``format`` keywords, and every notebook loads a bank, so those
    seconds would be paid in every notebook for nothing.  Another importer gets the real module later.
    """
    if "jsonschema" in sys.modules or "rfc3987_syntax" in sys.modules:
        import jsonschema

        return jsonschema
    sys.modules["rfc3987_syntax"] = None  # type: ignore[assignment]  # makes its import fail fast
    try:
        import jsonschema
    finally:
        del sys.modules["rfc3987_syntax"]
    return jsonschema


def _schema_problems(data: Any, lines: Lines, file: str) -> list[tuple[tuple, Problem]]:
    """Every schema violation, with the path into the bank it was found at."""
    jsonschema = _import_jsonschema()

    from kcourse.quiz.schema import SCHEMA, question_fields

    out: list[tuple[tuple, Problem]] = []

    def add(path: tuple, where: tuple, message: str) -> None:
        message = _LONG_NUMBER.sub(lambda m: f"<a {len(m.group())}-digit number>", message)
        out.append((path, Problem(file, _line(lines, path), _where(data, where) + message)))

    for err in jsonschema.Draft202012Validator(SCHEMA).iter_errors(data):
        path = tuple(err.absolute_path)
        if err.validator == "unevaluatedProperties" and isinstance(err.instance, dict):
            # A failing per-type branch leaves even valid fields "unevaluated";
            # report only the fields that no question of this type may have.
            qtype = err.instance.get("type")
            for k in sorted(set(err.instance) - question_fields(str(qtype))):
                add(path + (k,), path, f"unknown field {k!r} for type {qtype!r}")
            continue
        # A oneOf/anyOf failure is clearest through its most specific sub-error.
        err = jsonschema.exceptions.best_match([err]) if err.context else err
        path = tuple(err.absolute_path)
        unexpected = _UNEXPECTED.search(err.message)
        if unexpected and isinstance(err.instance, dict) and unexpected.group(1) in err.instance:
            add(path + (unexpected.group(1),), path, err.message)  # point at the stray key
        else:
            add(path, path, err.message)
    return out


def _option(raw: Any) -> Option:
    return Option(raw) if isinstance(raw, str) else Option(raw["text"], raw.get("feedback", ""))


def _question(raw: dict[str, Any], line: int) -> Question:
    t = raw["type"]
    answer: Any = raw.get("answer")
    if t == "multiple":
        answer = tuple(raw["answers"])
    elif t == "text":
        answer = tuple(raw.get("answers", ()))
    elif t == "simulation":
        answer = None
    return Question(
        id=raw["id"],
        type=t,
        prompt=raw["prompt"].strip(),
        section=raw["section"],
        objective=raw["objective"],
        points=float(raw.get("points", 1)),
        hints=tuple(raw.get("hints", ())),
        explanation=raw.get("explanation", "").strip(),
        attempts=raw.get("attempts"),
        shuffle=raw.get("shuffle", True),
        options=tuple(_option(o) for o in raw.get("options", ())),
        answer=answer,
        tolerance=float(raw.get("tolerance", 0)),
        unit=raw.get("unit", ""),
        pattern=raw.get("pattern", ""),
        pairs=tuple((p["left"], p["right"]) for p in raw.get("pairs", ())),
        distractors=tuple(raw.get("distractors", ())),
        items=tuple(raw.get("items", ())),
        feedback=tuple(sorted(raw.get("feedback", {}).items())),
        scenario=raw.get("scenario", {}),
        query=raw.get("query", {}),
        expect=raw.get("expect", ""),
        line=line,
    )


def _duplicates(values: list[str]) -> list[str]:
    seen: set[str] = set()
    twice: set[str] = set()
    for v in values:
        (twice if v in seen else seen).add(v)
    return sorted(twice)


def _meaning_problems(data: dict[str, Any], lines: Lines, file: str) -> list[Problem]:
    """What the schema cannot say: references, keys among options, patterns."""
    out: list[Problem] = []

    def add(path: tuple, message: str) -> None:
        # Messages name their field themselves, as in "'answer' must be one of the options".
        out.append(
            Problem(
                file, _line(lines, path), _where(data, path[:2] if path[0] == "questions" else ()) + message
            )
        )

    for kind in ("objectives", "sections"):
        for dup in _duplicates([o["id"] for o in data[kind]]):
            add((kind,), f"duplicate {kind[:-1]} id {dup!r}")
    objectives = {o["id"] for o in data["objectives"]}
    sections = {s["id"] for s in data["sections"]}
    first_line: dict[str, int] = {}
    for i, q in enumerate(data["questions"]):
        p = ("questions", i)
        if q["id"] in first_line:
            add(p + ("id",), f"duplicate question id (first at line {first_line[q['id']]})")
        first_line.setdefault(q["id"], _line(lines, p))
        if q["section"] not in sections:
            add(p + ("section",), f"'section' {q['section']!r} is not one of the bank's sections")
        if q["objective"] not in objectives:
            add(p + ("objective",), f"'objective' {q['objective']!r} is not one of the bank's objectives")
        texts = [_option(o).text for o in q.get("options", ())]
        for dup in _duplicates(texts):
            add(p + ("options",), f"option {dup!r} appears twice")
        t = q["type"]
        if t == "single" and q["answer"] not in texts:
            add(p + ("answer",), "'answer' must be one of the options")
        elif t == "multiple":
            for j, a in enumerate(q["answers"]):
                if a not in texts:
                    add(p + ("answers", j), f"'answers' entry {a!r} must be one of the options")
            for dup in _duplicates(q["answers"]):
                add(p + ("answers",), f"answer {dup!r} appears twice")
        elif t == "numeric" and not math.isfinite(q["answer"]):
            add(p + ("answer",), "'answer' must be a finite number")
        elif t == "text":
            if "pattern" in q:
                try:
                    safe_pattern(q["pattern"])
                except ValueError as exc:
                    add(p + ("pattern",), f"'pattern': {exc}")
            for j, a in enumerate(q.get("answers", ())):
                if not normalise(a):
                    add(p + ("answers", j), "'answers' entry is empty once punctuation is ignored")
        elif t == "matching":
            lefts, rights = [x["left"] for x in q["pairs"]], [x["right"] for x in q["pairs"]]
            for dup in _duplicates(lefts) + _duplicates(rights + q.get("distractors", [])):
                add(p + ("pairs",), f"{dup!r} appears twice")
        elif t == "ordering":
            for dup in _duplicates(q["items"]):
                add(p + ("items",), f"item {dup!r} appears twice")
        elif t == "simulation":
            for where, message in _scenario_numbers(q["scenario"]):
                add(p + ("scenario",), f"'scenario' {where}: {message}")
            if q["expect"] == "choice" and not texts:
                add(p + ("expect",), "a 'choice' simulation question needs 'options'")
            if q["expect"] == "number" and texts:
                add(p + ("options",), "a 'number' simulation question takes no 'options'")
    return out


def _numbers(node: Any, path: str) -> list[tuple[str, Any]]:
    if isinstance(node, dict):
        return [x for k, v in node.items() for x in _numbers(v, f"{path}.{k}" if path else str(k))]
    if isinstance(node, list):
        return [x for i, v in enumerate(node) for x in _numbers(v, f"{path}[{i}]")]
    return [(path, node)] if isinstance(node, (int, float)) and not isinstance(node, bool) else []


def _scenario_numbers(scenario: dict[str, Any]) -> list[tuple[str, str]]:
    """Numbers in a scenario's manifests that no API server would take, or that would make a check crawl."""
    out = []
    docs = list(scenario.get("manifests", ())) + [
        a["apply"] for a in scenario.get("actions", ()) if "apply" in a
    ]
    for i, doc in enumerate(docs):
        for path, value in _numbers(doc, ""):
            if isinstance(value, float) and not math.isfinite(value) or abs(value) > MAX_INT64:
                out.append((f"manifest {i + 1} {path}", "number out of range"))
            elif path.endswith("spec.replicas") and value > MAX_SCENARIO_REPLICAS:
                out.append(
                    (
                        f"manifest {i + 1} {path}",
                        f"more than {MAX_SCENARIO_REPLICAS} replicas would make the check slow",
                    )
                )
    return out


def _reindex(lines: Lines, index: list[int]) -> Lines:
    """``lines`` with question paths renumbered to match a filtered question list."""
    new = {old: n for n, old in enumerate(index)}
    out = {}
    for path, line in lines.items():
        if len(path) >= 2 and path[0] == "questions" and isinstance(path[1], int):
            if path[1] in new:
                out[("questions", new[path[1]]) + path[2:]] = line
        else:
            out[path] = line
    return out


def load_text(text: str, file: str = "<bank>") -> Bank:
    """Parse and check a bank given as text; raises :class:`BankError`."""
    if len(text.encode("utf-8", "surrogatepass")) > MAX_BYTES:
        raise BankError([Problem(file, 1, f"bank is larger than {MAX_BYTES} bytes")])
    try:
        data, lines = _parse(text)
    except _Stop as stop:
        raise BankError([Problem(file, stop.line, stop.message)]) from None
    found = _schema_problems(data, lines, file)
    problems = [p for _, p in found]
    broken = {path[1] if len(path) >= 2 and path[0] == "questions" else None for path, _ in found}
    if problems and (None in broken or not isinstance(data.get("questions"), list)):
        raise BankError(problems)
    # Questions that passed the schema are still checked for meaning, so one
    # run reports everything that is wrong.
    checkable = {**data, "questions": [q for i, q in enumerate(data["questions"]) if i not in broken]}
    index = [i for i in range(len(data["questions"])) if i not in broken]
    problems += _meaning_problems(checkable, _reindex(lines, index), file)
    if problems:
        raise BankError(problems)
    questions = tuple(_question(q, _line(lines, ("questions", i))) for i, q in enumerate(data["questions"]))
    return Bank(
        chapter=data["chapter"],
        title=data["title"],
        questions=questions,
        seed=data.get("seed", 0),
        objectives=tuple(Objective(o["id"], o["text"].strip()) for o in data["objectives"]),
        sections=tuple(Section(s["id"], s["title"]) for s in data["sections"]),
        path=file,
    )


def load_bank(path: str | Path) -> Bank:
    """Load ``path`` (a ``.yaml`` bank); problems name the path as given."""
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise BankError([Problem(str(path), 1, f"bank is larger than {MAX_BYTES} bytes")])
        raw = path.read_bytes()
    except OSError as exc:
        raise BankError([Problem(str(path), 1, f"cannot read bank: {exc.strerror}")]) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise BankError([Problem(str(path), 1, "bank is not UTF-8 text")]) from None
    return load_text(text, str(path))
