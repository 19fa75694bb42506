"""The knowledge-check widget: controls, Check, Hint and feedback in place.

Thin on purpose: every rule (order, attempts, grading, saving) is in
:class:`kcourse.quiz.QuizSession`; this module only turns controls into an
answer, calls ``session.check`` on click and shows the Feedback.  The key
never reaches a widget trait, so it is never in saved widget state; feedback
exists only after Check, computed in the kernel.

Where widgets are not live (GitHub, nbconvert HTML) the output falls back to
``text/html`` and ``text/plain`` renderings of the questions without answers;
both are deterministic (no model ids), so nbval compares them byte for byte.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any

import ipywidgets as w

from kcourse.quiz.model import Feedback, Question
from kcourse.quiz.render import LETTERS, question_html, quiz_html, quiz_text
from kcourse.quiz.session import QuizSession
from kcourse.widgets.static import display_with_fallback, fallback_outputs, widget_bundle

__all__ = ["QuestionWidget", "QuizWidget"]

_WIDE = {"description_width": "initial"}
_CHOOSE = "choose…"
RUN_MESSAGE = "Run this cell to check your answers."


def _control(q: Question, session: QuizSession, number: int) -> tuple[w.Widget, Callable[[], Any]]:
    """The input control for ``q`` and a function reading the learner's answer from it."""
    lay = session.layout(q)
    label = f"Answer to question {number}"
    if q.type == "multiple":
        boxes = [(t, w.Checkbox(value=False, description=t, indent=False, tooltip=t)) for t in lay.options]
        return w.VBox([b for _, b in boxes]), lambda: [t for t, b in boxes if b.value]
    if q.type == "true_false":
        radio = w.RadioButtons(options=lay.options, value=None, description="Answer", tooltip=label)
        return radio, lambda: None if radio.value is None else radio.value == "True"
    if lay.options:
        radio = w.RadioButtons(options=lay.options, value=None, description="Answer", tooltip=label,
                               layout=w.Layout(width="auto"))
        return radio, lambda: radio.value
    if q.type == "matching":
        rights = [(_CHOOSE, None)] + [(f"{LETTERS[i]}) {r}", r) for i, r in enumerate(lay.rights)]
        menus = [(left, w.Dropdown(options=rights, value=None, description=left, style=_WIDE,
                                   tooltip=f"Match for {left}")) for left in lay.lefts]
        return w.VBox([m for _, m in menus]), lambda: {left: m.value for left, m in menus if m.value}
    if q.type == "ordering":
        items = [(_CHOOSE, None)] + [(t, t) for t in lay.items]
        menus = [w.Dropdown(options=items, value=None, description=f"{i + 1}.", style=_WIDE,
                            tooltip=f"Position {i + 1}") for i in range(len(lay.items))]
        return w.VBox(menus), lambda: [m.value for m in menus]
    placeholder = "a number" + (f" in {q.unit}" if q.unit else "") if q.unit or q.type != "text" else "your answer"
    box = w.Text(value="", placeholder=placeholder, description="Answer", tooltip=label, continuous_update=False)
    return box, lambda: box.value


def _feedback_html(fb: Feedback, attempts_left: int | None) -> str:
    e = html.escape
    if not fb.valid:
        return f'<p role="alert"><strong>{e(fb.message)}</strong> (not counted as an attempt)</p>'
    mark = "✔" if fb.correct else ("◐" if fb.score > 0 else "✘")
    parts = [f'<p role="status"><strong>{mark} {e(fb.message)}</strong> {fb.score:g} / {fb.points:g}</p>']
    parts += [f"<p>{e(f)}</p>" for f in fb.option_feedback]
    if fb.explanation:
        parts.append(f"<p><em>Explanation:</em> {e(fb.explanation)}</p>")
    if attempts_left is not None:
        parts.append(f"<p>Attempts left: {attempts_left}</p>")
    return "\n".join(parts)


class QuestionWidget(w.VBox):
    """One question: prompt, control, Check and Hint buttons, feedback and hints below."""

    def __init__(self, session: QuizSession, question: Question, number: int,
                 on_checked: Callable[[], None] = lambda: None):
        self.session, self.question, self._on_checked = session, question, on_checked
        self.control, self._read = _control(question, session, number)
        self.check_button = w.Button(description="Check", icon="check", button_style="primary",
                                     tooltip=f"Check your answer to question {number}")
        self.hint_button = w.Button(description="Hint", icon="lightbulb-o",
                                    tooltip=f"Show a hint for question {number}",
                                    disabled=session.hints_left(question.id) == 0)
        self.feedback = w.HTML(value="")
        self.hints = w.HTML(value="")
        self.check_button.on_click(self._check)
        self.hint_button.on_click(self._hint)
        if session.attempts_left(question.id) == 0:
            self.check_button.disabled = True
            self.feedback.value = "<p>No attempts left.</p>"
        super().__init__([w.HTML(question_html(question, number, session.seed, with_choices=False)),
                          self.control, w.HBox([self.check_button, self.hint_button]), self.hints,
                          self.feedback], layout=w.Layout(margin="0 0 1em 0"))

    def answer(self) -> Any:
        return self._read()

    def _check(self, _button: w.Button | None = None) -> None:
        fb = self.session.check(self.question.id, self.answer())
        left = self.session.attempts_left(self.question.id)
        self.feedback.value = _feedback_html(fb, left)
        if left == 0:
            self.check_button.disabled = True
        if fb.valid:
            self._on_checked()

    def _hint(self, _button: w.Button | None = None) -> None:
        text = self.session.hint(self.question.id)
        if text is not None:
            self.hints.value += f"<p><em>Hint:</em> {html.escape(text)}</p>"
        self.hint_button.disabled = self.session.hints_left(self.question.id) == 0


class QuizWidget(w.VBox):
    """A chapter's (or section's) knowledge check with a running score."""

    def __init__(self, session: QuizSession):
        self.session = session
        self.score = w.HTML(value="", description="Score", tooltip="Points earned so far")
        self.questions = [QuestionWidget(session, q, i + 1, self._update_score)
                          for i, q in enumerate(session.questions)]
        title = quiz_text(session.bank, session.section, session.seed).split("\n", 1)[0]
        self._update_score()
        super().__init__([w.HTML(f"<h4>{html.escape(title)}</h4>"), *self.questions, self.score])

    def _update_score(self) -> None:
        earned, possible = self.session.score()
        self.score.value = f"{earned:g} / {possible:g} points"

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
        return fallback_outputs(self, self.static_html(), self.static_text(), summary=self.summary(),
                                message=RUN_MESSAGE)

    def _ipython_display_(self) -> None:
        display_with_fallback(self, self.static_html(), self.static_text(), summary=self.summary(),
                              message=RUN_MESSAGE)

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any]:
        """The live view alone (IPython uses ``_ipython_display_``, which adds the static copy)."""
        return widget_bundle(self, self.summary())

    def __repr__(self) -> str:
        return f"<QuizWidget {self.session.bank.chapter} section={self.session.section} " \
               f"questions={len(self.questions)}>"
