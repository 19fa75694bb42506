"""What a challenge is: a starting state, a goal in a learner's words, and a check that reads the cluster.

A challenge is defined once (:class:`ChallengeSpec`) and started many times
(:class:`Challenge`).  Starting one builds a new cluster, draws the instance's
parameters from a random generator seeded by the challenge's name and the
seed (which node is hit, how many replicas …), applies manifests and faults,
and notes a *baseline*: the identities the check compares against (the
Deployment's uid, the Pods that must survive, the revision to find).

The check is a pure function of what the API server returns, the
parameters and the baseline.  It never sees the learner's commands, so any
fix that reaches the intended state passes, typed in a notebook cell, with
the real ``kubectl`` in a terminal, or with ``kubectl edit``; and a fix that
only hides the symptom (deleting the Deployment, recreating it under the same
name, scaling it to zero) does not.  Because it only needs the parameters,
the baseline and something that reads the API, the same check runs in the
kernel (:class:`LocalReader`, reading ``cluster.api``) and in another
process against a served cluster (``kcourse challenge check``, reading over
HTTPS).

Time: a cell's ``cluster.kubectl(...)`` stores objects but moves no clock,
so an in-kernel check first lets the cluster run until it is stable, at most
:data:`SETTLE` simulated seconds, as a learner would wait a moment before
looking.  A served cluster runs in real time, so a check from a terminal
reads it as it is.

Simplified: the check reads state, never history, so "without downtime"
is judged by the original Pods still running rather than by watching every
moment in between.
"""

from __future__ import annotations

import json
import random
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from kcourse.cluster import Cluster
from kcourse.sim.errors import ApiError

__all__ = ["SETTLE", "Challenge", "ChallengeCluster", "ChallengeSpec", "CheckResult", "LocalReader", "Reader"]

#: Simulated seconds an in-kernel check lets the cluster run before it reads (stops earlier once stable).
SETTLE = 45.0
#: Who the check is, in the API server's request log.
CHECK_USER = "kcourse-challenge-check"


class Reader(Protocol):
    """Reads the cluster's state through its API: one object, or every object of a resource."""

    def get(self, resource: str, name: str, namespace: str | None = None) -> dict | None: ...

    def list(self, resource: str, namespace: str | None = None) -> list[dict]: ...


class LocalReader:
    """Reads a cluster in this process through its API server, as the user :data:`CHECK_USER`."""

    def __init__(self, cluster: Cluster):
        self.cluster = cluster

    def _reachable(self) -> None:
        """With every control plane node down there is no API server to ask (the served API answers 503
        too)."""
        if not self.cluster.reachable(None):
            raise ApiError(503, "ServiceUnavailable", "the server is currently unable to handle the request")

    def get(self, resource: str, name: str, namespace: str | None = None) -> dict | None:
        self._reachable()
        try:
            return self.cluster.api.get(resource, name, namespace, user=CHECK_USER)
        except ApiError as e:
            if e.code == 404:
                return None
            raise

    def list(self, resource: str, namespace: str | None = None) -> list[dict]:
        self._reachable()
        return list(self.cluster.api.list(resource, namespace, user=CHECK_USER)["items"])


@dataclass(frozen=True)
class CheckResult:
    """What a check found: ``passed``, a one-paragraph ``message``, and each thing still wrong."""

    passed: bool
    message: str
    problems: tuple[str, ...] = ()

    def __str__(self) -> str:
        return self.message

    def __bool__(self) -> bool:
        return self.passed

    def _repr_html_(self) -> str:
        import html

        mark = "✔" if self.passed else "✘"
        return f'<p role="status"><strong>{mark}</strong> {html.escape(self.message)}</p>'


def result(problems: list[str], success: str) -> CheckResult:
    """A passed result saying ``success``, or a failed one listing ``problems`` (the first ones in its
    message)."""
    if not problems:
        return CheckResult(True, success)
    shown = problems[:3]
    more = f" (and {len(problems) - 3} more)" if len(problems) > 3 else ""
    return CheckResult(False, "Not yet: " + "; ".join(shown) + more, tuple(problems))


#: What a challenge's setup returns: the baseline its check compares against (JSON data).
Baseline = dict[str, Any]


@dataclass(frozen=True)
class ChallengeSpec:
    """One challenge's definition: how to break a cluster, how to say the goal, how to check it.

    ``params(rng)`` draws the instance (JSON data); ``setup(cluster, params)``
    brings a fresh cluster into the starting state and returns the baseline;
    ``check(reader, params, baseline)`` returns the problems still left
    (empty: solved).  ``goal``, ``hints`` and ``solution`` are format strings
    over the parameters.  ``workload`` lists ``(resource, namespace, name)``
    of the objects whose deletion must never pass the check.
    """

    name: str
    title: str
    chapter: str
    section: str
    objective: str
    goal: str
    hints: tuple[str, ...]
    solution: tuple[str, ...]
    success: str
    params: Callable[[random.Random], dict[str, Any]]
    setup: Callable[[Cluster, dict[str, Any]], Baseline]
    check: Callable[[Reader, dict[str, Any], Baseline], list[str]]
    workload: tuple[tuple[str, str | None, str], ...] = ()
    workers: int = 3

    def instance(self, seed: int) -> dict[str, Any]:
        """The parameters of this challenge for ``seed``: the same seed, the same instance."""
        params = self.params(random.Random(f"{self.chapter}/{self.name}/{seed}"))
        return json.loads(json.dumps(params))  # plain JSON data, so a terminal's check reads it back equal


class ChallengeCluster(Cluster):
    """A challenge's cluster: ``serve()`` runs it in real time and prints the line for a terminal.

    Serving also notes the challenge in the user's data directory
    (:mod:`kcourse.challenges.terminal`) so ``kcourse challenge check NAME``
    in another terminal finds this served cluster and checks it over the API.
    """

    challenge: Challenge | None = None

    def serve(self, port: int = 0, **options: Any) -> Any:
        """Serve the API (``realtime=True`` unless told otherwise) and print ``export KUBECONFIG=…``."""
        options.setdefault("realtime", True)
        handle = super().serve(port=port, **options)
        if self.challenge is not None:
            from .terminal import note_served

            note_served(self.challenge, handle)
        print(f"export KUBECONFIG={handle.kubeconfig}", flush=True)
        return handle


@dataclass
class Challenge:
    """One started challenge: its cluster in the starting state, what to achieve, and its check."""

    spec: ChallengeSpec
    seed: int
    cluster: ChallengeCluster
    params: dict[str, Any]
    baseline: Baseline
    checks: int = field(default=0)

    @classmethod
    def start(cls, spec: ChallengeSpec, seed: int = 0) -> Challenge:
        if isinstance(seed, bool) or not isinstance(seed, int):
            raise TypeError(f"seed must be an integer, not {type(seed).__name__}")
        params = spec.instance(seed)
        cluster = ChallengeCluster(masters=1, workers=spec.workers, seed=seed, name=f"challenge-{spec.name}")
        baseline = spec.setup(cluster, params)
        challenge = cls(spec, seed, cluster, params, json.loads(json.dumps(baseline)))
        cluster.challenge = challenge
        return challenge

    # --- what a learner reads ------------------------------------------------------------------------

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def title(self) -> str:
        return self.spec.title

    @property
    def chapter(self) -> str:
        return self.spec.chapter

    @property
    def section(self) -> str:
        return self.spec.section

    @property
    def objective(self) -> str:
        return self.spec.objective

    @property
    def goal(self) -> str:
        return self.spec.goal.format(**self.words)

    @property
    def hints(self) -> tuple[str, ...]:
        return tuple(h.format(**self.words) for h in self.spec.hints)

    @property
    def solution(self) -> tuple[str, ...]:
        """A reference solution as command lines (each runs unchanged in a shell with ``KUBECONFIG`` set)."""
        return tuple(s.format(**self.words) for s in self.spec.solution)

    @property
    def words(self) -> dict[str, Any]:
        """What the goal, hints and solution are filled in with: the instance's parameters and baseline."""
        return {**self.params, **self.baseline}

    # --- checking ------------------------------------------------------------------------------------

    def check(self, *, settle: bool = True, record: bool = True) -> CheckResult:
        """Let the cluster settle (unless ``settle=False``), then read it through the API and judge.

        The result is recorded in the learner's progress file unless ``record=False``; a progress
        file that cannot be written costs a line on stderr, never the check.
        """
        with self.cluster.lock:
            if settle:
                self.cluster.run_until_stable(timeout=SETTLE)
            outcome = judge(self.spec, LocalReader(self.cluster), self.params, self.baseline)
        self.checks += 1
        if record:
            from kcourse.quiz.progress import ProgressError

            from .progress import record as record_check

            try:
                record_check(self.spec, outcome)
            except ProgressError as e:
                print(f"kcourse: the result was not saved: {e}", file=sys.stderr)
        return outcome

    def __repr__(self) -> str:
        return f"<Challenge {self.name} seed={self.seed}: {self.title}>"


def judge(spec: ChallengeSpec, reader: Reader, params: dict[str, Any], baseline: Baseline) -> CheckResult:
    """Run ``spec``'s check on what ``reader`` returns; an API server that refuses is a problem, not a
    crash."""
    try:
        problems = spec.check(reader, params, baseline)
    except ApiError as e:
        problems = [f"the API server answered {e.code} {e.reason}: {e.message}"]
    return result(problems, spec.success.format(**params, **baseline))
