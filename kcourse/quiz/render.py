"""Questions as readable text and HTML, without their answers.

Used where widgets are not live (GitHub, nbconvert HTML, the ``text/plain``
that nbval compares) and by the terminal quiz.  Only what the learner is
meant to see goes in: the prompt, the choices in their shuffled order, what
kind of answer is expected and a plain summary of a simulation scenario.
Never keys, per-option feedback, hints or explanations; the output depends
only on the bank and the shuffle seed, so it is byte-for-byte stable.
"""

from __future__ import annotations

import html
import string
from typing import Any

from kcourse.quiz.model import Bank, Question
from kcourse.quiz.session import Layout, layout

__all__ = ["KIND", "question_html", "question_text", "quiz_html", "quiz_text", "scenario_summary"]

KIND = {
    "single": "choose one",
    "multiple": "choose all that apply",
    "true_false": "true or false",
    "numeric": "a number",
    "text": "a short answer",
    "matching": "match each item",
    "ordering": "put in order",
    "simulation": "run the scenario",
}

LETTERS = string.ascii_lowercase


def _points(p: float) -> str:
    return f"{p:g} point" + ("" if p == 1 else "s")


def _kind(q: Question) -> str:
    if q.type == "numeric" or (q.type == "simulation" and q.expect == "number"):
        return "a number" + (f" in {q.unit}" if q.unit else "")
    if q.type == "simulation":
        return "choose one"
    return KIND[q.type]


def _describe_manifest(m: dict[str, Any]) -> str:
    name = (m.get("metadata") or {}).get("name", "?")
    extra = ""
    replicas = (m.get("spec") or {}).get("replicas")
    if isinstance(replicas, int):
        extra = f" ({replicas} replica{'s' if replicas != 1 else ''})"
    return f"{m.get('kind', '?')} {name}{extra}"


def _describe_action(action: dict[str, Any]) -> str:
    ((name, arg),) = action.items()
    return {
        "apply": lambda: f"apply {_describe_manifest(arg)}",
        "kubectl": lambda: f"kubectl {arg}",
        "run_until_stable": lambda: "run until the cluster is stable",
        "advance": lambda: f"let {arg:g} simulated seconds pass",
        "run_until": lambda: f"run until t={arg:g} s",
        "step": lambda: f"run {arg} step{'s' if arg != 1 else ''}",
        "compact": lambda: "compact etcd" + ("" if arg is True else f" at revision {arg}"),
    }.get(name, lambda: f"{name.replace('_', ' ')} {arg}")()


def scenario_summary(scenario: dict[str, Any]) -> str:
    """One readable paragraph: the cluster, what was applied, what happened."""
    c = scenario.get("cluster", {})
    masters, workers = c.get("masters", 1), c.get("workers", 3)
    runtime = c.get("runtime", "containerd") + (f"/{c['oci_runtime']}" if "oci_runtime" in c else "")
    parts = [
        (
            f"A cluster of {masters} control-plane node{'s' if masters != 1 else ''} and {workers} "
            f"worker{'s' if workers != 1 else ''} ({runtime}, seed {c.get('seed', 0)})"
        )
    ]
    if scenario.get("manifests"):
        parts.append("apply " + ", ".join(_describe_manifest(m) for m in scenario["manifests"]))
    parts += [_describe_action(a) for a in scenario.get("actions", ())]
    return "; ".join(parts) + "."


def _choice_lines(lay: Layout) -> list[str]:
    if lay.options:
        return [f"  {LETTERS[i]}) {t}" for i, t in enumerate(lay.options)]
    if lay.lefts:
        return (
            [f"  {i + 1}. {t}" for i, t in enumerate(lay.lefts)]
            + ["  with one of:"]
            + [f"  {LETTERS[i]}) {t}" for i, t in enumerate(lay.rights)]
        )
    if lay.items:
        return [f"  {LETTERS[i]}) {t}" for i, t in enumerate(lay.items)]
    return []


def question_text(q: Question, number: int, seed: int) -> str:
    """A question as plain text, numbered ``number``."""
    lines = [f"Question {number} [{q.section}] ({_kind(q)}; {_points(q.points)})", q.prompt]
    if q.type == "simulation":
        lines.append("Scenario: " + scenario_summary(q.scenario))
    lines += _choice_lines(layout(q, seed))
    return "\n".join(lines)


def question_html(q: Question, number: int, seed: int, with_choices: bool = True) -> str:
    """A question as static HTML (no scripts, no styles that need loading).

    The widget passes ``with_choices=False``: its controls show the choices.
    """
    e = html.escape
    lay = layout(q, seed)
    out = [
        (
            f"<p><strong>Question {number}</strong> <em>[{e(q.section)}] ({e(_kind(q))}; "
            f"{_points(q.points)})</em></p>"
        ),
        f"<p>{e(q.prompt)}</p>",
    ]
    if q.type == "simulation":
        out.append(f"<p><em>Scenario:</em> {e(scenario_summary(q.scenario))}</p>")
    if not with_choices:
        return "\n".join(out)
    if lay.options or lay.items:
        out.append('<ol type="a">' + "".join(f"<li>{e(t)}</li>" for t in lay.options or lay.items) + "</ol>")
    if lay.lefts:
        out.append("<ol>" + "".join(f"<li>{e(t)}</li>" for t in lay.lefts) + "</ol><p>with one of:</p>")
        out.append('<ol type="a">' + "".join(f"<li>{e(t)}</li>" for t in lay.rights) + "</ol>")
    return "\n".join(out)


def _heading(bank: Bank, section: str | None) -> str:
    title = f"Knowledge check {bank.chapter}: {bank.title}"
    if section is not None:
        title += " — " + next(s.title for s in bank.sections if s.id == section)
    return title


def quiz_text(bank: Bank, section: str | None = None, seed: int | None = None) -> str:
    """The whole check (or one section) as plain text."""
    seed = bank.seed if seed is None else seed
    qs = bank.in_section(section)
    blocks = [_heading(bank, section) + f" ({len(qs)} question{'s' if len(qs) != 1 else ''})"]
    blocks += [question_text(q, i + 1, seed) for i, q in enumerate(qs)]
    return "\n\n".join(blocks)


def quiz_html(bank: Bank, section: str | None = None, seed: int | None = None) -> str:
    """The whole check (or one section) as static HTML."""
    seed = bank.seed if seed is None else seed
    qs = bank.in_section(section)
    body = "\n".join(
        f'<div class="kcourse-question">{question_html(q, i + 1, seed)}</div>' for i, q in enumerate(qs)
    )
    return f'<div class="kcourse-quiz"><h4>{html.escape(_heading(bank, section))}</h4>\n{body}\n</div>'
