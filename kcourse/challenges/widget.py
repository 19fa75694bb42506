"""The challenge widget: the goal, a live status line, Check, Hint, Reset and Show solution.

Thin on purpose, like the quiz widget: the challenge (:class:`~kcourse.challenges.Challenge`)
builds the cluster and judges it; this module wires buttons to it and
shows what it returns.  What a learner sees:

* the title, the section and objective it trains, and the goal;
* a status line that follows the cluster as it runs (simulated time, how
  many Pods are Running, Pending or failing, whether it is served to a
  terminal), refreshed at most once per simulated second;
* **Check** runs the check and shows its message, and records the result
  in the progress file; **Hint** shows the next hint ("Hint 2 of 3");
  **Reset** builds the starting state again (a served cluster is served
  again at the same kubeconfig path, so a terminal's ``KUBECONFIG`` stays
  right); **Show solution** appears after two checks and shows the
  reference solution, after which a pass earns no more credit.

The solution reaches a widget trait only when shown, so the widget's state
never holds it before the learner asked for it.  Where no kernel runs, the
cell's static copy (:mod:`kcourse.widgets.static`) shows the goal and says
to run the cell.

Simplified: the status line counts Pods in every namespace by phase and
waiting reason; it does not replace ``kubectl get``.
"""

from __future__ import annotations

import html
from collections import Counter
from pathlib import Path
from typing import Any

import ipywidgets as w

from kcourse.widgets.static import display_with_fallback, fallback_outputs, widget_bundle

from . import spec as find_spec
from .model import Challenge, CheckResult

__all__ = ["CHECKS_BEFORE_SOLUTION", "RUN_MESSAGE", "ChallengeWidget", "static_html", "static_text"]

RUN_MESSAGE = "Run this cell to start the challenge."
#: Checks a learner makes before "Show solution" is offered.
CHECKS_BEFORE_SOLUTION = 2
#: Least simulated time between two refreshes of the status line.
STATUS_EVERY = 1.0


def _objective_text(chapter: str, objective: str) -> str:
    from kcourse.quiz import BankError, load

    try:
        texts = {o.id: o.text for o in load(chapter).objectives}
    except BankError:  # a missing bank only loses the objective's wording
        return objective
    return texts.get(objective, objective)


def _static_goal(name: str, seed: int) -> str:
    """The goal of ``seed``'s instance, with what only a started cluster knows left general."""
    s = find_spec(name)
    return s.goal.format_map(_Placeholders(s.instance(seed)))


def static_html(name: str, seed: int = 0) -> str:
    """The challenge as a page without a kernel shows it: title, what it trains, goal — never a solution."""
    s = find_spec(name)
    e = html.escape
    goal = _static_goal(name, seed)
    return (
        f"<h4>Challenge: {e(s.title)}</h4>\n<p><em>Trains section {e(s.section)}: "
        f"{e(_objective_text(s.chapter, s.objective))}</em></p>\n<p>{e(goal)}</p>\n"
        f"<p>Fix it with <code>kubectl</code> in a cell or in a terminal; Check reads the cluster.</p>"
    )


def static_text(name: str, seed: int = 0) -> str:
    s = find_spec(name)
    return (
        f"Challenge: {s.title}\nTrains section {s.section}: {_objective_text(s.chapter, s.objective)}\n"
        f"{_static_goal(name, seed)}"
    )


class _Placeholders(dict):
    """Fills a goal's instance-specific words with a neutral placeholder (a static page has no instance)."""

    def __missing__(self, key: str) -> str:
        return {"node": "a node"}.get(key, "…")


def pod_summary(pods: list[dict]) -> str:
    counts: Counter[str] = Counter()
    for pod in pods:
        status = pod.get("status") or {}
        waiting = [
            cs["state"]["waiting"].get("reason", "Waiting")
            for cs in status.get("containerStatuses") or []
            if (cs.get("state") or {}).get("waiting")
        ]
        if pod["metadata"].get("deletionTimestamp"):
            counts["Terminating"] += 1
        elif waiting:
            counts[waiting[0]] += 1
        else:
            counts[status.get("phase") or "Pending"] += 1
    return ", ".join(f"{n} {state}" for state, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


class ChallengeWidget(w.VBox):
    """One challenge in a notebook, started at once (the same seed gives the same instance)."""

    def __init__(self, name: str, seed: int = 0, *, progress: Any = None):
        self.spec = find_spec(name)
        self.seed = seed
        self._progress = progress
        self.challenge = Challenge.start(self.spec, seed)
        self._handle: Any = None
        self._last_status = -1.0
        self.status = w.HTML(value="", layout=w.Layout(margin="0 0 0.5em 0"))
        self.feedback = w.HTML(value="")
        self.hints_shown = 0
        self.hints = w.HTML(value="")
        self.solution = w.HTML(value="")
        self.check_button = w.Button(
            description="Check",
            icon="check",
            button_style="primary",
            tooltip="Read the cluster through its API and say what is still wrong",
        )
        self.hint_button = w.Button(description="", icon="lightbulb-o", tooltip="Show the next hint")
        self.reset_button = w.Button(
            description="Reset",
            icon="refresh",
            tooltip="Build the starting state again (a served cluster is served again)",
        )
        self.solution_button = w.Button(
            description="Show solution",
            icon="eye",
            disabled=True,
            tooltip=f"Offered after {CHECKS_BEFORE_SOLUTION} checks; a pass after it earns no credit",
        )
        self.check_button.on_click(self._check)
        self.hint_button.on_click(self._hint)
        self.reset_button.on_click(self._reset)
        self.solution_button.on_click(self._show_solution)
        self.goal = w.HTML(value="")
        self._watch()
        self._render()
        self._restore()
        super().__init__(
            [
                w.HTML(
                    f"<h4>Challenge: {html.escape(self.spec.title)}</h4><p><em>Trains section "
                    f"{html.escape(self.spec.section)}: "
                    f"{html.escape(_objective_text(self.spec.chapter, self.spec.objective))}</em></p>"
                ),
                self.goal,
                self.status,
                w.HBox([self.check_button, self.hint_button, self.reset_button, self.solution_button]),
                self.feedback,
                self.hints,
                self.solution,
            ]
        )

    # --- what the learner's cells use ----------------------------------------------------------------

    @property
    def cluster(self) -> Any:
        """The current challenge's cluster (a new one after Reset)."""
        return self.challenge.cluster

    def serve(self, **options: Any) -> Any:
        """Serve the cluster to a terminal (prints ``export KUBECONFIG=…``); Reset serves the new one
        there."""
        self._handle = self.cluster.serve(**options)
        self._refresh_status(force=True)
        return self._handle

    def check(self) -> CheckResult:
        """What the Check button does, callable from a cell."""
        return self._check()

    # --- behaviour -----------------------------------------------------------------------------------

    def _watch(self) -> None:
        self.cluster.on_event(lambda _ev: self._refresh_status())

    def _render(self) -> None:
        self.goal.value = f"<p>{html.escape(self.challenge.goal)}</p>"
        self.hints.value = ""
        self.solution.value = ""
        self.hints_shown = 0
        self._update_hint_button()
        self._refresh_status(force=True)

    def _refresh_status(self, force: bool = False) -> None:
        cluster = self.cluster
        if not force and cluster.now - self._last_status < STATUS_EVERY:
            return
        self._last_status = cluster.now
        pods = cluster.api.items("pods", None)
        mine = [p for p in pods if p["metadata"]["namespace"] == "default"]
        system_bad = sum(
            1
            for p in pods
            if p["metadata"]["namespace"] == "kube-system"
            and (p.get("status") or {}).get("phase") != "Running"
        )
        parts = [f"t={cluster.now:.0f}s", f"Pods in default: {pod_summary(mine) or 'none'}"]
        if system_bad:
            parts.append(f"kube-system: {system_bad} Pod(s) not Running")
        not_ready = [
            n["metadata"]["name"]
            for n in cluster.api.items("nodes")
            if not any(
                c.get("type") == "Ready" and c.get("status") == "True"
                for c in (n.get("status") or {}).get("conditions") or []
            )
        ]
        if not_ready:
            parts.append(f"NotReady: {', '.join(not_ready)}")
        if self._handle is not None and self._handle.running:
            parts.append(f"served: export KUBECONFIG={self._handle.kubeconfig}")
        self.status.value = f'<p role="status"><small>{html.escape(" · ".join(parts))}</small></p>'

    def _record(self, outcome: CheckResult) -> None:
        from kcourse.quiz.progress import ProgressError

        from .progress import record

        try:
            record(self.spec, outcome, self._progress)
        except ProgressError as e:
            self.feedback.value += f'<p role="alert">The result was not saved: {html.escape(str(e))}</p>'

    def _check(self, _button: w.Button | None = None) -> CheckResult:
        outcome = self.challenge.check(record=False)
        mark = "✔" if outcome.passed else "✘"
        items = "".join(f"<li>{html.escape(p)}</li>" for p in outcome.problems[3:])
        self.feedback.value = (
            f'<p role="status"><strong>{mark}</strong> {html.escape(outcome.message)}</p>'
            + (f"<ul>{items}</ul>" if items else "")
        )
        self._record(outcome)
        self.solution_button.disabled = self.challenge.checks < CHECKS_BEFORE_SOLUTION or bool(
            self.solution.value
        )
        self._refresh_status(force=True)
        return outcome

    def _update_hint_button(self) -> None:
        total = len(self.challenge.hints)
        self.hint_button.disabled = self.hints_shown >= total
        self.hint_button.description = (
            f"Hint {self.hints_shown + 1} of {total}" if self.hints_shown < total else f"{total} hints shown"
        )

    def _hint(self, _button: w.Button | None = None) -> None:
        hints = self.challenge.hints
        if self.hints_shown < len(hints):
            self.hints.value += (
                f"<p><em>Hint {self.hints_shown + 1}:</em> {html.escape(hints[self.hints_shown])}</p>"
            )
            self.hints_shown += 1
        self._update_hint_button()

    def _show_solution(self, _button: w.Button | None = None) -> None:
        if self.challenge.checks < CHECKS_BEFORE_SOLUTION:
            return
        from .progress import reveal

        reveal(self.spec, self._progress)
        lines = "\n".join(self.challenge.solution)
        self.solution.value = f"<p><em>A reference solution:</em></p><pre>{html.escape(lines)}</pre>"
        self.solution_button.disabled = True

    def _reset(self, _button: w.Button | None = None) -> None:
        served = self._handle is not None and self._handle.running
        kubeconfig = Path(self._handle.kubeconfig) if served else None
        if served:
            self._handle.stop()
        self.challenge = Challenge.start(self.spec, self.seed)
        self._watch()
        self._render()
        self.feedback.value = "<p>The cluster is back in its starting state.</p>"
        self.solution_button.disabled = True
        if served:
            self._handle = self.cluster.serve(kubeconfig=kubeconfig)
            self._refresh_status(force=True)

    def _restore(self) -> None:
        from kcourse.quiz.progress import ProgressError

        from .progress import results

        try:
            entry = results(self.spec.chapter, self._progress).get(self.spec.name, {})
        except ProgressError:
            return
        if entry.get("correct"):
            self.feedback.value = "<p>You solved this challenge before; solve it again for practice.</p>"

    # --- display -------------------------------------------------------------------------------------

    def summary(self) -> str:
        return f"Challenge: {self.spec.title}: interactive"

    def outputs(self) -> list[dict[str, Any]]:
        return fallback_outputs(
            self,
            static_html(self.spec.name, self.seed),
            static_text(self.spec.name, self.seed),
            summary=self.summary(),
            message=RUN_MESSAGE,
        )

    def _ipython_display_(self) -> None:
        display_with_fallback(
            self,
            static_html(self.spec.name, self.seed),
            static_text(self.spec.name, self.seed),
            summary=self.summary(),
            message=RUN_MESSAGE,
        )

    def _repr_mimebundle_(self, **_kwargs: Any) -> dict[str, Any]:
        return widget_bundle(self, self.summary())

    def __repr__(self) -> str:
        return f"<ChallengeWidget {self.spec.name} seed={self.seed}>"
