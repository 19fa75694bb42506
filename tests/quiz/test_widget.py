"""The widget wires clicks to the session; its static renderings carry no keys and no model ids."""

from __future__ import annotations

import json

import ipywidgets as w
import pytest

from kcourse.quiz import QuizSession, load_bank, show
from kcourse.quiz.loader import load_text
from kcourse.quiz.progress import Progress
from kcourse.widgets.quiz import QuizWidget

from .conftest import BANK, bank_text

TEXT = bank_text("""\
- id: pick
  type: single
  section: s1
  objective: o1
  prompt: Which component stores cluster state?
  options:
    - {text: etcd, feedback: The store itself - correct.}
    - {text: kubelet, feedback: The node agent keeps nothing for the cluster.}
  answer: etcd
  hints: [It is a key-value store.]
  explanation: Only etcd persists state.
  attempts: 2
- id: many
  type: multiple
  section: s1
  objective: o1
  prompt: Which run on workers?
  options: [kubelet, kube-proxy, kube-scheduler]
  answers: [kubelet, kube-proxy]
- id: order
  type: ordering
  section: s2
  objective: o1
  prompt: Order them.
  items: [first step, second step, third step]
- id: pairs
  type: matching
  section: s2
  objective: o1
  prompt: Match them.
  pairs: [{left: kubelet, right: runs pods}, {left: kube-proxy, right: service rules}]
- id: count
  type: numeric
  section: s2
  objective: o1
  prompt: How long?
  answer: 300
  unit: s
- id: yesno
  type: true_false
  section: s2
  objective: o1
  prompt: Really?
  answer: true
""")


@pytest.fixture
def widget(progress: Progress) -> QuizWidget:
    return QuizWidget(QuizSession(load_text(TEXT), progress=progress))


def by_id(widget: QuizWidget, qid: str):
    return next(x for x in widget.questions if x.question.id == qid)


def test_check_with_no_answer_is_refused_without_costing_an_attempt(widget: QuizWidget, progress: Progress):
    pick = by_id(widget, "pick")
    pick.check_button.click()
    assert "Choose one of the options" in pick.feedback.value and "not counted" in pick.feedback.value
    assert progress.attempts("ch99", "pick") == 0


def test_wrong_then_right_shows_option_feedback_explanation_and_score(widget: QuizWidget, progress: Progress):
    pick = by_id(widget, "pick")
    pick.control.value = "kubelet"
    pick.check_button.click()
    assert "The node agent keeps nothing" in pick.feedback.value
    assert "Attempts left: 1" in pick.feedback.value
    assert widget.score.value == "0 / 6 points"
    pick.control.value = "etcd"
    pick.check_button.click()
    assert "Correct" in pick.feedback.value and "Only etcd persists state." in pick.feedback.value
    assert pick.check_button.disabled  # attempts used up
    assert widget.score.value == "1 / 6 points"
    assert progress.attempts("ch99", "pick") == 2


def test_hint_button_reveals_hints_then_disables(widget: QuizWidget):
    pick = by_id(widget, "pick")
    assert pick.hints.value == ""
    pick.hint_button.click()
    assert "It is a key-value store." in pick.hints.value
    assert pick.hint_button.disabled
    assert by_id(widget, "many").hint_button.disabled  # no hints at all


def test_every_control_type_reads_an_answer(widget: QuizWidget):
    many = by_id(widget, "many")
    for box in many.control.children:
        box.value = box.description in ("kubelet", "kube-proxy")
    many.check_button.click()
    assert "Correct" in many.feedback.value

    order = by_id(widget, "order")
    for menu, item in zip(order.control.children, ["first step", "second step", "third step"]):
        menu.value = item
    order.check_button.click()
    assert "Correct" in order.feedback.value

    pairs = by_id(widget, "pairs")
    pairs.control.children[0].value = "runs pods"
    pairs.check_button.click()
    assert "Match every item" in pairs.feedback.value
    pairs.control.children[1].value = "service rules"
    pairs.check_button.click()
    assert "Correct" in pairs.feedback.value

    count = by_id(widget, "count")
    count.control.value = "5 min"
    count.check_button.click()
    assert "Correct" in count.feedback.value

    yesno = by_id(widget, "yesno")
    yesno.control.value = "False"
    yesno.check_button.click()
    assert "Not quite" in yesno.feedback.value
    assert widget.score.value == "4 / 6 points"


def test_controls_are_labelled_for_keyboard_and_screen_reader_users(widget: QuizWidget):
    for qw in widget.questions:
        assert qw.check_button.description == "Check" and qw.check_button.tooltip.startswith("Check your answer")
        assert qw.hint_button.tooltip
        controls = qw.control.children if isinstance(qw.control, w.VBox) else (qw.control,)
        assert all(c.description for c in controls)


def test_the_quiz_is_displayed_as_a_readable_static_copy_then_the_live_view(widget: QuizWidget,
                                                                             progress: Progress):
    static, live = widget.outputs()
    assert set(static) == {"text/plain", "text/html"} and "application/vnd.jupyter.widget-view+json" in live
    plain, html = static["text/plain"], static["text/html"]
    assert plain.startswith("Run this cell to check your answers.\n\nKnowledge check ch99: Test bank (6 questions)")
    assert "Which component stores cluster state?\n  a) " in plain and "kubelet" in plain
    assert "<li>etcd</li>" in html or "<li>kubelet</li>" in html
    assert live["text/plain"] == "Knowledge check ch99: Test bank (6 questions): interactive"
    again = QuizWidget(QuizSession(load_text(TEXT), progress=progress)).outputs()
    assert again[0] == static and again[1]["text/plain"] == live["text/plain"]
    assert widget.model_id not in plain + html + live["text/plain"]


def tree(widget: w.Widget) -> list[w.Widget]:
    """``widget`` and every widget below it: what its saved state would include."""
    out = [widget]
    for child in getattr(widget, "children", ()):
        out += tree(child)
    return out


def test_no_key_or_feedback_in_bundle_or_widget_state(widget: QuizWidget):
    """What a saved notebook can hold: the bundle and every widget's synced state."""
    bundle = json.dumps(widget.outputs()[0])
    state = json.dumps([x.get_state() for x in tree(widget)], default=str)
    for secret in ("The store itself - correct.", "Only etcd persists state.", "It is a key-value store.",
                   "first step → second step", '"answer"', "300"):
        assert secret not in bundle, secret
    for secret in ("The store itself - correct.", "Only etcd persists state.", "It is a key-value store."):
        assert secret not in state, secret
    pick = by_id(widget, "pick")  # the feedback exists only after Check, computed in the kernel
    pick.control.value = "etcd"
    pick.check_button.click()
    assert "Only etcd persists state." in json.dumps([x.get_state() for x in tree(widget)], default=str)
    order = by_id(widget, "order")
    assert [o[1] for o in order.control.children[0].options[1:]] != ["first step", "second step", "third step"]


def test_show_builds_a_section_widget_from_the_chapter_bank():
    widget = show("ch04", section="etcd")
    bank = load_bank(BANK)
    assert [x.question.id for x in widget.questions] == [x.id for x in bank.in_section("etcd")]
    assert "etcd" in widget.outputs()[0]["text/plain"]


def test_importing_the_quiz_engine_does_not_import_ipywidgets():
    import subprocess
    import sys
    code = "import sys, kcourse.quiz, kcourse.widgets; print('ipywidgets' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"
