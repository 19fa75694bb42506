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


def test_wrong_then_right_shows_option_feedback_and_the_explanation_only_when_earned(
    widget: QuizWidget, progress: Progress
):
    pick = by_id(widget, "pick")
    pick.control.value = "kubelet"
    pick.check_button.click()
    assert "The node agent keeps nothing" in pick.feedback.value
    assert "Only etcd persists state." not in pick.feedback.value and "Answer:" not in pick.feedback.value
    assert "Attempts left: 1" in pick.feedback.value
    assert widget.score.value == "0 / 6 points"
    pick.control.value = "etcd"
    pick.check_button.click()
    assert "Correct" in pick.feedback.value and "Only etcd persists state." in pick.feedback.value
    assert pick.check_button.disabled  # attempts used up
    assert widget.score.value == "1 / 6 points"
    assert progress.attempts("ch99", "pick") == 2


def test_two_wrong_answers_show_answer_and_explanation(widget: QuizWidget, progress: Progress):
    many = by_id(widget, "many")
    for box in many._control.boxes:
        box.value = box.description == "kube-scheduler"
    many.check_button.click()
    assert "Answer:" not in many.feedback.value and not many.reveal_button.disabled
    many.check_button.click()
    assert "<em>Answer:</em> kubelet; kube-proxy" in many.feedback.value
    assert many.reveal_button.disabled and progress.entry("ch99", "many")["revealed"] is True


def test_show_answer_shows_key_and_explanation_and_the_score_reflects_it(
    widget: QuizWidget, progress: Progress
):
    pick = by_id(widget, "pick")
    pick.reveal_button.click()
    assert (
        "<em>Answer:</em> etcd" in pick.feedback.value and "Only etcd persists state." in pick.feedback.value
    )
    assert progress.entry("ch99", "pick")["revealed"] is True and pick.reveal_button.disabled
    pick.control.value = "etcd"
    pick.check_button.click()
    assert "earns no points" in pick.feedback.value and widget.score.value == "0 / 6 points"


def test_hints_come_one_at_a_time_and_say_how_many_there_are(widget: QuizWidget):
    pick = by_id(widget, "pick")
    assert pick.hints.value == "" and pick.hint_button.description == "Hint 1 of 1"
    pick.hint_button.click()
    assert "<em>Hint 1:</em> It is a key-value store." in pick.hints.value
    assert pick.hint_button.disabled and pick.hint_button.description == "1 hint shown"
    assert by_id(widget, "many").hint_button.disabled  # this test bank has none; lint requires one


def _sort_by_clicks(order, target: list[str]) -> None:
    """Put the ordering control in ``target`` order with its up buttons, as a learner would."""
    for i, item in enumerate(target):
        j = order._control.order.index(item)
        while j > i:
            order._control.ups[j].click()
            j -= 1


def test_every_control_type_reads_an_answer(widget: QuizWidget):
    many = by_id(widget, "many")
    for box in many._control.boxes:
        box.value = box.description in ("kubelet", "kube-proxy")
    many.check_button.click()
    assert "Correct" in many.feedback.value

    order = by_id(widget, "order")
    _sort_by_clicks(order, ["first step", "second step", "third step"])
    order.check_button.click()
    assert "Correct" in order.feedback.value

    pairs = by_id(widget, "pairs")
    pairs._control.menus[0].value = "runs pods"
    pairs.check_button.click()
    assert "Match every item" in pairs.feedback.value
    pairs._control.menus[1].value = "service rules"
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


def test_matching_marks_each_pair_right_or_wrong(widget: QuizWidget):
    pairs = by_id(widget, "pairs")
    pairs._control.menus[0].value = "runs pods"
    pairs._control.menus[1].value = "runs pods"
    pairs.check_button.click()
    assert "1 of 2 matched correctly" in pairs.feedback.value
    assert 'aria-label="right"' in pairs._control.marks[0].value
    assert 'aria-label="wrong"' in pairs._control.marks[1].value
    assert "kube-proxy → runs pods" in pairs.feedback.value
    pairs._control.menus[1].value = "service rules"  # changing a pick clears its mark
    assert pairs._control.marks[1].value == ""


def test_ordering_marks_each_item_by_the_item_it_follows(widget: QuizWidget):
    order = by_id(widget, "order")
    _sort_by_clicks(order, ["third step", "first step", "second step"])
    order.check_button.click()
    assert "1 of 2 neighbouring pairs" in order.feedback.value
    marks = ['aria-label="right"' in m.value for m in order._control.marks]
    assert marks == [False, False, True]
    assert "“second step” rightly comes straight after “first step”" in order.feedback.value


def test_option_texts_are_shown_in_full_and_allowed_to_wrap(progress: Progress):
    long = (
        "A consistent key-value store holding the cluster state, which every other component reads through "
        "the API"
    )
    text = bank_text(f"""\
    - id: long
      type: multiple
      section: s1
      objective: o1
      prompt: Which?
      options: ["{long}", short one, another]
      answers: ["{long}"]
    - id: long1
      type: single
      section: s1
      objective: o1
      prompt: Which one?
      options: ["{long}", short one]
      answer: short one
    """)
    widget = QuizWidget(QuizSession(load_text(text), progress=progress))
    assert long in [b.description for b in widget.questions[0]._control.boxes]
    assert long in widget.questions[1].control.options
    style = widget.children[0].value
    assert (
        "white-space: normal" in style and ".kcourse-quiz-live .widget-checkbox .widget-label-basic" in style
    )
    assert "kcourse-quiz-live" in widget._dom_classes


def test_a_restarted_kernel_shows_each_last_answer_and_its_result(widget: QuizWidget, progress: Progress):
    by_id(widget, "pick").control.value = "kubelet"
    by_id(widget, "pick").check_button.click()
    for box in by_id(widget, "many")._control.boxes:
        box.value = box.description in ("kubelet", "kube-proxy")
    by_id(widget, "many").check_button.click()
    _sort_by_clicks(by_id(widget, "order"), ["second step", "first step", "third step"])
    by_id(widget, "order").check_button.click()
    by_id(widget, "pairs")._control.menus[0].value = "service rules"
    by_id(widget, "pairs")._control.menus[1].value = "runs pods"
    by_id(widget, "pairs").check_button.click()
    by_id(widget, "count").control.value = "4 min"
    by_id(widget, "count").check_button.click()

    again = QuizWidget(QuizSession(load_text(TEXT), progress=Progress(progress.path)))  # a new kernel
    assert by_id(again, "pick").control.value == "kubelet"
    assert "Your last checked answer" in by_id(again, "pick").feedback.value
    assert "Only etcd persists state." not in by_id(again, "pick").feedback.value
    assert [b.value for b in by_id(again, "many")._control.boxes] == [
        b.description in ("kubelet", "kube-proxy") for b in by_id(again, "many")._control.boxes
    ]
    assert "Correct" in by_id(again, "many").feedback.value
    assert by_id(again, "order")._control.order == ["second step", "first step", "third step"]
    assert [m.value for m in by_id(again, "pairs")._control.menus] == ["service rules", "runs pods"]
    assert 'aria-label="wrong"' in by_id(again, "pairs")._control.marks[0].value
    assert by_id(again, "count").control.value == "4 min"
    assert by_id(again, "yesno").feedback.value == "" and by_id(again, "yesno").control.value is None
    assert again.score.value == widget.score.value


def test_controls_are_labelled_for_keyboard_and_screen_reader_users(widget: QuizWidget):
    for qw in widget.questions:
        assert qw.check_button.description == "Check" and qw.check_button.tooltip.startswith(
            "Check your answer"
        )
        assert qw.hint_button.tooltip
        assert qw.reveal_button.tooltip
        inputs = [
            c
            for c in tree(qw.control)
            if isinstance(c, (w.Checkbox, w.RadioButtons, w.Dropdown, w.Text, w.Button))
        ]
        assert inputs and all(c.description or c.tooltip for c in inputs), qw.question.id


def test_the_quiz_is_displayed_as_a_readable_static_copy_then_the_live_view(
    widget: QuizWidget, progress: Progress
):
    static, live = widget.outputs()
    assert set(static) == {"text/plain", "text/html"} and "application/vnd.jupyter.widget-view+json" in live
    plain, html = static["text/plain"], static["text/html"]
    assert plain.startswith(
        "Run this cell to check your answers.\n\nKnowledge check ch99: Test bank (6 questions)"
    )
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
    for secret in (
        "The store itself - correct.",
        "Only etcd persists state.",
        "It is a key-value store.",
        "first step → second step",
        '"answer"',
        "300",
    ):
        assert secret not in bundle, secret
    for secret in ("The store itself - correct.", "Only etcd persists state.", "It is a key-value store."):
        assert secret not in state, secret
    pick = by_id(widget, "pick")  # the feedback exists only after Check, computed in the kernel
    pick.control.value = "etcd"
    pick.check_button.click()
    assert "Only etcd persists state." in json.dumps([x.get_state() for x in tree(widget)], default=str)
    order = by_id(widget, "order")
    assert order._control.order != ["first step", "second step", "third step"]


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
