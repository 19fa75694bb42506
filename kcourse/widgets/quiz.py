"""The knowledge-check widget: controls, Check, Hint, Show answer and feedback in place.

Thin on purpose: every rule (order, attempts, grading, when an explanation
shows, saving) is in :class:`kcourse.quiz.QuizSession`; this module turns
controls into an answer, calls the session on a click and shows what it
returns.  The key never reaches a widget trait before the session releases
it (a correct answer, used-up attempts, or "Show answer"), so a widget's
state holds no answer the learner has not earned or asked for.

What a learner sees:

* every option in full, wrapped over as many lines as it needs (the quiz's
  own stylesheet lets radio and checkbox labels wrap); a matching question
  lists its choices in full and picks them by letter; an ordering question
  is a list moved with up/down buttons;
* after Check: right/wrong per pair or per item for matching and ordering,
  what a simulation's cluster produced, and the explanation when the
  session allows it;
* hints one at a time ("Hint 1 of 2");
* after a kernel restart, each question's last checked answer and what
  Check said of it, from the learner's progress file.

Where no kernel runs, the cell's static copy (:mod:`kcourse.widgets.static`)
shows every question and says to run the cell.

Simplified: the ordering list moves one step per click (no drag and drop).
"""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from typing import Any

import ipywidgets as w

from kcourse.quiz.model import Feedback, Question
from kcourse.quiz.render import LETTERS, question_html, quiz_html, quiz_text
from kcourse.quiz.session import QuizSession
from kcourse.widgets.static import display_with_fallback, fallback_outputs, widget_bundle

__all__ = ["RUN_MESSAGE", "QuestionWidget", "QuizWidget"]

RUN_MESSAGE = "Run this cell to check your answers."
_CHOOSE = "choose…"
LIVE_CLASS = "kcourse-quiz-live"
# Radio and checkbox labels are one fixed-height, non-wrapping line in ipywidgets' own CSS;
# let them wrap so a long option reads in full.
_LIVE = f".{LIVE_CLASS}"  # the selector of a live quiz
_STYLE = f"""<style>
{_LIVE} .widget-radio-box label, {_LIVE} .jupyter-widget-radio-box label,
{_LIVE} .widget-checkbox .widget-label-basic, {_LIVE} .jupyter-widget-checkbox .widget-label-basic {{
  height: auto; min-height: var(--jp-widgets-inline-height); line-height: 1.4; white-space: normal;
  overflow: visible; text-overflow: clip; display: flex; align-items: flex-start; padding: 3px 0;
}}
{_LIVE} .widget-radio-box input, {_LIVE} .jupyter-widget-radio-box input,
{_LIVE} .widget-checkbox input, {_LIVE} .jupyter-widget-checkbox input {{
  flex: 0 0 auto; order: -1; margin: 2px 8px 0 1px; height: auto;
}}
{_LIVE} .widget-checkbox, {_LIVE} .jupyter-widget-checkbox {{ width: auto; height: auto; }}
{_LIVE} .widget-html-content {{ line-height: 1.4; white-space: normal; }}
</style>"""

_RIGHT = '<span role="img" aria-label="right" title="right">✔</span>'
_WRONG = '<span role="img" aria-label="wrong" title="wrong">✘</span>'


def _wrapping_html(text: str, **layout: str) -> w.HTML:
    return w.HTML(f"<div>{html.escape(text)}</div>", layout=w.Layout(**layout))


class _Control:
    """One question's input: the widget, reading and writing an answer, marking its parts."""

    widget: w.Widget

    def read(self) -> Any:
        raise NotImplementedError

    def write(self, answer: Any) -> None:
        """Show ``answer`` (from saved progress); ignore what does not fit the control."""

    def mark(self, items: Sequence[tuple[str, bool, str]]) -> None:
        """Show which parts of the last checked answer were right."""


class _Choice(_Control):
    """One option of several (single, true/false, a simulation with options)."""

    def __init__(self, options: Sequence[str], label: str, truth: bool = False):
        self.truth = truth
        self.widget = w.RadioButtons(
            options=list(options), value=None, description="", tooltip=label, layout=w.Layout(width="auto")
        )

    def read(self) -> Any:
        value = self.widget.value
        return value if value is None or not self.truth else value == "True"

    def write(self, answer: Any) -> None:
        value = ("True" if answer else "False") if self.truth and isinstance(answer, bool) else answer
        if isinstance(value, str) and value in self.widget.options:
            self.widget.value = value


class _Multiple(_Control):
    def __init__(self, options: Sequence[str]):
        self.boxes = [
            w.Checkbox(value=False, description=t, indent=False, tooltip=t, layout=w.Layout(width="auto"))
            for t in options
        ]
        self.widget = w.VBox(self.boxes)

    def read(self) -> Any:
        return [b.description for b in self.boxes if b.value]

    def write(self, answer: Any) -> None:
        if isinstance(answer, list) and all(isinstance(a, str) for a in answer):
            for b in self.boxes:
                b.value = b.description in answer


class _Matching(_Control):
    """Each item picks one lettered choice; the choices are listed in full above the items."""

    def __init__(self, lefts: Sequence[str], rights: Sequence[str]):
        self.lefts = list(lefts)
        self.rights = list(rights)
        letters = [(_CHOOSE, None)] + [(f"{LETTERS[i]})", r) for i, r in enumerate(rights)]
        choices = "".join(f"<li>{html.escape(r)}</li>" for r in rights)
        self.menus = [
            w.Dropdown(
                options=letters,
                index=0,
                tooltip=f"Match for {left}",
                description="",
                layout=w.Layout(width="7em", flex="0 0 auto"),
            )
            for left in lefts
        ]
        self.marks = [w.HTML("", layout=w.Layout(width="1.5em", flex="0 0 auto")) for _ in lefts]
        self.chosen = [w.HTML("", layout=w.Layout(flex="1 1 40%")) for _ in lefts]
        for i, menu in enumerate(self.menus):
            menu.observe(lambda _change, i=i: self._picked(i), names="value")
        rows = [
            w.HBox(
                [
                    self.marks[i],
                    _wrapping_html(f"{i + 1}. {left}", flex="1 1 35%"),
                    self.menus[i],
                    self.chosen[i],
                ],
                layout=w.Layout(align_items="flex-start"),
            )
            for i, left in enumerate(lefts)
        ]
        self.widget = w.VBox([w.HTML(f'<p>Choices:</p><ol type="a">{choices}</ol>'), *rows])

    def _picked(self, i: int) -> None:
        value = self.menus[i].value
        self.chosen[i].value = "" if value is None else f"<div>{html.escape(value)}</div>"
        self.marks[i].value = ""

    def read(self) -> Any:
        return {left: m.value for left, m in zip(self.lefts, self.menus) if m.value}

    def write(self, answer: Any) -> None:
        if isinstance(answer, dict):
            for left, menu in zip(self.lefts, self.menus):
                if answer.get(left) in self.rights:
                    menu.value = answer[left]

    def mark(self, items: Sequence[tuple[str, bool, str]]) -> None:
        right = {item: ok for item, ok, _ in items}
        for left, mark in zip(self.lefts, self.marks):
            mark.value = "" if left not in right else (_RIGHT if right[left] else _WRONG)


class _Ordering(_Control):
    """The items as a list in the learner's current order, each with up and down buttons."""

    def __init__(self, items: Sequence[str], number: int):
        self.order = list(items)
        n = len(items)
        self.marks = [w.HTML("", layout=w.Layout(width="1.5em", flex="0 0 auto")) for _ in items]
        self.texts = [w.HTML("", layout=w.Layout(flex="1 1 auto")) for _ in items]
        self.ups = [
            w.Button(
                icon="arrow-up",
                description="",
                disabled=i == 0,
                layout=w.Layout(width="3em"),
                tooltip=f"Question {number}: move item {i + 1} up",
            )
            for i in range(n)
        ]
        self.downs = [
            w.Button(
                icon="arrow-down",
                description="",
                disabled=i == n - 1,
                layout=w.Layout(width="3em"),
                tooltip=f"Question {number}: move item {i + 1} down",
            )
            for i in range(n)
        ]
        for i in range(n):
            self.ups[i].on_click(lambda _b, i=i: self.move(i, -1))
            self.downs[i].on_click(lambda _b, i=i: self.move(i, +1))
        self.widget = w.VBox(
            [
                w.HBox(
                    [self.marks[i], self.texts[i], self.ups[i], self.downs[i]],
                    layout=w.Layout(align_items="flex-start"),
                )
                for i in range(n)
            ]
        )
        self._show()

    def _show(self) -> None:
        for i, item in enumerate(self.order):
            self.texts[i].value = f"<div>{i + 1}. {html.escape(item)}</div>"
            self.marks[i].value = ""

    def move(self, i: int, step: int) -> None:
        j = i + step
        if 0 <= j < len(self.order):
            self.order[i], self.order[j] = self.order[j], self.order[i]
            self._show()

    def read(self) -> Any:
        return list(self.order)

    def write(self, answer: Any) -> None:
        if isinstance(answer, list) and sorted(map(str, answer)) == sorted(self.order):
            self.order = [str(a) for a in answer]
            self._show()

    def mark(self, items: Sequence[tuple[str, bool, str]]) -> None:
        if [item for item, _, _ in items] == self.order:
            for mark, (_, ok, _) in zip(self.marks, items):
                mark.value = _RIGHT if ok else _WRONG


class _Entry(_Control):
    def __init__(self, q: Question, label: str):
        placeholder = (
            ("a number" + (f" in {q.unit}" if q.unit else ""))
            if q.unit or q.type != "text"
            else "your answer"
        )
        self.widget = w.Text(
            value="", placeholder=placeholder, description="Answer", tooltip=label, continuous_update=False
        )

    def read(self) -> Any:
        return self.widget.value

    def write(self, answer: Any) -> None:
        if isinstance(answer, (str, int, float)) and not isinstance(answer, bool):
            self.widget.value = f"{answer:g}" if isinstance(answer, float) else str(answer)


def _control(q: Question, session: QuizSession, number: int) -> _Control:
    """The input control for ``q``, laid out in the session's (shuffled) order."""
    lay = session.layout(q)
    label = f"Answer to question {number}"
    if q.type == "multiple":
        return _Multiple(lay.options)
    if lay.options:
        return _Choice(lay.options, label, truth=q.type == "true_false")
    if q.type == "matching":
        return _Matching(lay.lefts, lay.rights)
    if q.type == "ordering":
        return _Ordering(lay.items, number)
    return _Entry(q, label)


def _feedback_html(fb: Feedback, attempts_left: int | None, restored: bool = False) -> str:
    e = html.escape
    if not fb.valid:
        return f'<p role="alert"><strong>{e(fb.message)}</strong> (not counted as an attempt)</p>'
    mark = "✔" if fb.correct else ("◐" if fb.score > 0 else "✘")
    lead = "Your last checked answer: " if restored else ""
    parts = [
        f'<p role="status">{lead}<strong>{mark} {e(fb.message)}</strong> {fb.score:g} / {fb.points:g}</p>'
    ]
    parts += [f"<p>{e(f)}</p>" for f in fb.option_feedback]
    if fb.items and not fb.correct:
        parts.append(
            "<ul>"
            + "".join(f"<li>{_RIGHT if ok else _WRONG} {e(note)}</li>" for _, ok, note in fb.items)
            + "</ul>"
        )
    if fb.outcome:
        parts.append(f"<p><em>What the cluster did:</em> {e(fb.outcome)}</p>")
    if fb.key and not fb.correct:
        parts.append(f"<p><em>Answer:</em> {e(fb.key)}</p>")
    if fb.explanation:
        parts.append(f"<p><em>Explanation:</em> {e(fb.explanation)}</p>")
    if attempts_left is not None:
        parts.append(f"<p>Attempts left: {attempts_left}</p>")
    return "\n".join(parts)


class QuestionWidget(w.VBox):
    """One question: prompt, control, Check / Hint / Show answer, then hints and feedback."""

    def __init__(
        self,
        session: QuizSession,
        question: Question,
        number: int,
        on_checked: Callable[[], None] = lambda: None,
    ):
        self.session, self.question, self.number, self._on_checked = session, question, number, on_checked
        self._control = _control(question, session, number)
        self.control = self._control.widget
        self.check_button = w.Button(
            description="Check",
            icon="check",
            button_style="primary",
            tooltip=f"Check your answer to question {number}",
        )
        self.hint_button = w.Button(
            description="Hint", icon="lightbulb-o", tooltip=f"Show a hint for question {number}"
        )
        self.reveal_button = w.Button(
            description="Show answer",
            icon="eye",
            tooltip=f"Show the answer and explanation of question {number}; it then earns no more points",
        )
        self.feedback = w.HTML(value="")
        self.hints = w.HTML(value="")
        self.check_button.on_click(self._check)
        self.hint_button.on_click(self._hint)
        self.reveal_button.on_click(self._reveal)
        self._update_hint_button()
        self._restore()
        super().__init__(
            [
                w.HTML(question_html(question, number, session.seed, with_choices=False)),
                self.control,
                w.HBox([self.check_button, self.hint_button, self.reveal_button]),
                self.hints,
                self.feedback,
            ],
            layout=w.Layout(margin="0 0 1em 0"),
        )

    def answer(self) -> Any:
        return self._control.read()

    def _show(self, fb: Feedback, restored: bool = False) -> None:
        left = self.session.attempts_left(self.question.id)
        self.feedback.value = _feedback_html(fb, left, restored)
        if fb.valid:
            self._control.mark(fb.items)
        self.check_button.disabled = left == 0
        self.reveal_button.disabled = bool(fb.valid and (fb.correct or fb.key or fb.explanation))

    def _restore(self) -> None:
        answer, fb = self.session.restore(self.question.id)
        if answer is not None:
            self._control.write(answer)
        if fb is not None:
            self._show(fb, restored=True)
        elif self.session.attempts_left(self.question.id) == 0:
            self.check_button.disabled = True
            self.feedback.value = "<p>No attempts left.</p>"

    def _check(self, _button: w.Button | None = None) -> None:
        fb = self.session.check(self.question.id, self.answer())
        self._show(fb)
        if fb.valid:
            self._on_checked()

    def _reveal(self, _button: w.Button | None = None) -> None:
        fb = self.session.reveal(self.question.id)
        self._show(fb)
        self._on_checked()

    def _update_hint_button(self) -> None:
        total = len(self.question.hints)
        left = self.session.hints_left(self.question.id)
        shown = total - left
        self.hint_button.disabled = left == 0
        self.hint_button.description = (
            "No hints"
            if total == 0
            else (
                f"Hint {shown + 1} of {total}" if left else f"{total} hint{'s' if total != 1 else ''} shown"
            )
        )

    def _hint(self, _button: w.Button | None = None) -> None:
        shown = len(self.question.hints) - self.session.hints_left(self.question.id)
        text = self.session.hint(self.question.id)
        if text is not None:
            self.hints.value += f"<p><em>Hint {shown + 1}:</em> {html.escape(text)}</p>"
        self._update_hint_button()


class QuizWidget(w.VBox):
    """A chapter's (or section's) knowledge check with a running score."""

    def __init__(self, session: QuizSession):
        self.session = session
        self.score = w.HTML(value="", description="Score", tooltip="Points earned so far")
        self.questions = [
            QuestionWidget(session, q, i + 1, self._update_score) for i, q in enumerate(session.questions)
        ]
        title = quiz_text(session.bank, session.section, session.seed).split("\n", 1)[0]
        self.problem = w.HTML(value="")
        self._update_score()
        super().__init__(
            [
                w.HTML(_STYLE, layout=w.Layout(display="none")),
                w.HTML(f"<h4>{html.escape(title)}</h4>"),
                self.problem,
                *self.questions,
                self.score,
            ]
        )
        self.add_class(LIVE_CLASS)

    def _update_score(self) -> None:
        earned, possible = self.session.score()
        self.score.value = f"{earned:g} / {possible:g} points"
        if self.session.problem:
            self.problem.value = f'<p role="alert"><strong>{html.escape(self.session.problem)}</strong></p>'

    def static_html(self) -> str:
        """The questions as HTML without answers: what a page without a kernel shows."""
        return quiz_html(self.session.bank, self.session.section, self.session.seed)

    def static_text(self) -> str:
        return quiz_text(self.session.bank, self.session.section, self.session.seed)

    def summary(self) -> str:
        """The live view's one line of ``text/plain``."""
        return f"{self.static_text().split(chr(10), 1)[0]}: interactive"

    def outputs(self) -> list[dict[str, Any]]:
        """The mime bundles a notebook stores for this quiz: the static copy, then the live view."""
        return fallback_outputs(
            self, self.static_html(), self.static_text(), summary=self.summary(), message=RUN_MESSAGE
        )

    def _ipython_display_(self) -> None:
        display_with_fallback(
            self, self.static_html(), self.static_text(), summary=self.summary(), message=RUN_MESSAGE
        )

    def _repr_mimebundle_(self, **_kwargs: Any) -> dict[str, Any]:
        """The live view alone (IPython uses ``_ipython_display_``, which adds the static copy)."""
        return widget_bundle(self, self.summary())

    def __repr__(self) -> str:
        return (
            f"<QuizWidget {self.session.bank.chapter} section={self.session.section} "
            f"questions={len(self.questions)}>"
        )
