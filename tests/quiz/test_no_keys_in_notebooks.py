"""No notebook in the repository carries an answer key.

Rule: a notebook file (its whole JSON: sources, outputs of every mime type,
widget state in metadata) leaks the key of bank question Q when its text
contains any of

1. Q's private texts verbatim: per-option feedback, true/false feedback,
   explanations and hints of 20 characters or more.  They exist only in the
   bank and are shown only after Check, so any occurrence is a leak;
2. Q's text pattern verbatim;
3. a serialised key: Q's id, then within 600 characters a key field name
   (answer, answers, correct, solution, expected, key) followed by ``:`` or
   ``=`` and one of Q's key values (the correct option, number, boolean or
   accepted text).  The pairing with the id is what keeps a common word such
   as "etcd" in prose from counting;
4. an ordering question's items in the correct order, separated by nothing
   but punctuation, numbering, arrows or whitespace;
5. a matching question's left item directly followed by its right item in
   the same way (``kubelet → Starts and watches…``).

The rendered questions (the widget's text/plain and text/html) list options,
shuffled orders and the two columns of a matching question apart, so they
never trip the rules; the tests below check both that and that each rule
catches a synthetic leak.
"""

from __future__ import annotations

import dataclasses
import html
import json
import re
from pathlib import Path
from typing import Any

import pytest

from kcourse.quiz import QuizSession, load_bank
from kcourse.quiz.model import Bank, Question
from kcourse.widgets.quiz import QuizWidget

from .conftest import BANK, REPO

MIN_PRIVATE = 20
_SEP = r"[\s\"'`,;:=>|()\[\]{}.\-–—→0-9]{0,16}"
_FIELD = r"[\"']?(?:answers?|correct|solution|expected|key)[\"']?\s*[:=]\s*[\[\(\{]?\s*[\"']?"


def _strings(node: Any) -> list[str]:
    if isinstance(node, str):
        return [node]
    if isinstance(node, list):
        if node and all(isinstance(x, str) for x in node):
            return ["".join(node)]  # notebook sources and outputs are lists of lines
        return [s for x in node for s in _strings(x)]
    if isinstance(node, dict):
        return [s for k, v in node.items() for s in [k, *_strings(v)]]
    return [json.dumps(node)]


def notebook_text(raw: str) -> str:
    """Every string in a notebook's JSON, decoded and joined."""
    return "\n".join(_strings(json.loads(raw)))


def _key_values(q: Question) -> list[str]:
    if q.type == "multiple":
        return list(q.answer)
    if q.type == "text":
        return [a for a in q.answer if len(a) >= 3]
    if q.type == "true_false":
        return [str(q.answer), str(q.answer).lower()]
    if q.type == "numeric":
        return [f"{q.answer:g}", str(q.answer)]
    return [str(q.answer)] if q.answer is not None else []


def _private(q: Question) -> list[str]:
    texts = [o.feedback for o in q.options] + [t for _, t in q.feedback] + [q.explanation, *q.hints]
    return [t for t in texts if len(t) >= MIN_PRIVATE]


def _chain(parts: list[str]) -> re.Pattern[str]:
    return re.compile(_SEP.join(re.escape(p) for p in parts), re.IGNORECASE)


def leaks(text: str, bank: Bank) -> list[str]:
    """Why ``text`` reveals a key of ``bank``, one line per finding (empty if it does not)."""
    found = []
    for q in bank.questions:
        found += [f"{q.id}: private text {t[:40]!r}" for t in _private(q) if t in text]
        if q.pattern and q.pattern in text:
            found.append(f"{q.id}: pattern")
        for m in re.finditer(re.escape(q.id), text):
            window = text[m.end() : m.end() + 600]
            found += [
                f"{q.id}: serialised key {v!r}"
                for v in _key_values(q)
                if re.search(_FIELD + re.escape(v) + r"(?![\w.])", window, re.IGNORECASE)
            ]
        if q.type == "ordering" and _chain(list(q.items)).search(text):
            found.append(f"{q.id}: items in the right order")
        if q.type == "matching":
            found += [
                f"{q.id}: pair {left!r}" for left, right in q.pairs if _chain([left, right]).search(text)
            ]
    return found


def notebook(*outputs: dict[str, str], source: str = "") -> str:
    cells = [
        {
            "cell_type": "code",
            "source": source.splitlines(True),
            "metadata": {},
            "execution_count": 1,
            "outputs": [
                {"output_type": "execute_result", "data": data, "metadata": {}, "execution_count": 1}
                for data in outputs
            ],
        }
    ]
    return json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}, indent=1)


@pytest.fixture(scope="module")
def bank() -> Bank:
    return load_bank(BANK)


NOTEBOOKS = sorted((REPO / "notebooks").rglob("*.ipynb"))


def test_no_notebook_in_the_repository_leaks_a_key(bank: Bank):
    found = {str(p.relative_to(REPO)): leaks(notebook_text(p.read_text()), bank) for p in NOTEBOOKS}
    assert {k: v for k, v in found.items() if v} == {}


@pytest.fixture(scope="module")
def exporter():
    from nbconvert import HTMLExporter

    return HTMLExporter(template_name="lab")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_no_static_html_export_of_a_notebook_leaks_a_key(bank: Bank, path: Path, exporter):
    """What nbconvert (and so a static site) publishes from the stored outputs: the static copies included."""
    page, _ = exporter.from_filename(str(path))
    assert leaks(html.unescape(page), bank) == []


def test_the_rendered_quiz_and_plain_prose_are_not_leaks(bank: Bank, progress):
    bundles = [
        b
        for s in bank.sections
        for b in QuizWidget(QuizSession(bank, section=s.id, progress=progress)).outputs()
    ]
    whole = QuizWidget(QuizSession(bank, progress=progress)).outputs()
    prose = (
        "etcd stores the state; kube-apiserver is its only client. The answer: etcd. It takes 50 s and "
        "300 s. Pods run on worker-1. True. CoreDNS and dockershim (removed in 1.24)."
    )
    outputs = [{k: v for k, v in b.items() if k.startswith("text/")} for b in [*bundles, *whole]]
    text = notebook_text(notebook(*outputs, {"text/plain": prose}, source="kcourse.quiz.show('ch04')"))
    assert leaks(text, bank) == []


@pytest.mark.parametrize(
    "leak,expected",
    [
        (lambda q: json.dumps(dataclasses.asdict(q["etcd-compaction"])), "etcd-compaction: private text"),
        (
            lambda q: "{'id': 'etcd-revision-count', 'type': 'numeric', 'answer': 14}",
            "etcd-revision-count: serialised key '14'",
        ),
        (lambda q: 'question dns-addon\nanswers = ["CoreDNS"]', "dns-addon: serialised key 'CoreDNS'"),
        (lambda q: "control-plane-brain -> correct: True", "control-plane-brain: serialised key 'True'"),
        (lambda q: q["only-etcd-client"].explanation, "only-etcd-client: private text"),
        (lambda q: q["dns-addon"].pattern, "dns-addon: pattern"),
        (
            lambda q: "\n".join(f"{i}. {s}" for i, s in enumerate(q["scheduling-cycle"].items, 1)),
            "scheduling-cycle: items in the right order",
        ),
        (lambda q: " → ".join(q["apply-path"].items), "apply-path: items in the right order"),
        (
            lambda q: "kube-proxy: Programs the node so that traffic to a Service reaches one of its Pods",
            "component-roles: pair 'kube-proxy'",
        ),
    ],
)
def test_the_checker_catches_a_leaked_key(bank: Bank, leak, expected):
    by_id = {q.id: q for q in bank.questions}
    text = notebook_text(notebook({"text/plain": leak(by_id)}))
    found = leaks(text, bank)
    assert any(f.startswith(expected) for f in found), found


def test_the_checker_reads_widget_state_in_notebook_metadata(bank: Bank):
    nb = json.loads(notebook({"text/plain": "quiz"}))
    nb["metadata"]["widgets"] = {
        "application/vnd.jupyter.widget-state+json": {
            "state": {
                "m1": {
                    "state": {
                        "value": "<p><em>Explanation:</em> "
                        + bank.question("etcd-update").explanation
                        + "</p>"
                    }
                }
            }
        }
    }
    assert leaks(notebook_text(json.dumps(nb)), bank) == [
        (f"etcd-update: private text {bank.question('etcd-update').explanation[:40]!r}")
    ]


def test_a_real_notebook_file_on_disk_is_scanned(bank: Bank, tmp_path: Path):
    path = tmp_path / "leaky.ipynb"
    path.write_text(
        notebook(
            {
                "text/plain": "etcd-compaction answer: 'To drop revisions older than a chosen "
                "point so the store stays bounded'"
            }
        )
    )
    assert leaks(notebook_text(path.read_text()), bank) == [
        (
            "etcd-compaction: serialised key 'To drop revisions older than a chosen point so the store stays "
            "bounded'"
        )
    ]
