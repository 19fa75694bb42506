"""The status manager's Pod conditions: the same as ``set_condition`` applied to copies of all of them.

``generateAPIPodStatus`` (``pkg/kubelet/kubelet_pods.go``) computes the conditions and
``podutil.UpdatePodCondition`` (``pkg/api/v1/pod/util.go``) keeps a condition's
``lastTransitionTime`` unless its status changes.  The status manager copies only the conditions that
change; this checks it against the plain reading — copy every old condition, ``set_condition`` each
type in turn, sort — over every combination of container states and old conditions (missing, equal,
another status, another reason or message, an empty reason, a foreign type), and that an unchanged
condition is the old dict itself.
"""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from kcourse.sim.kubelet.container import ContainerRecord, PodRecord, Running, Terminated, Waiting
from kcourse.sim.kubelet.status import CONDITION_ORDER, StatusManager
from kcourse.sim.objects import set_condition

NOW = 120.0


def reference(p: PodRecord, old: list[dict], phase: str) -> list[dict]:
    """The conditions as set_condition gives them on copies of all the old ones."""
    inits, mains = p.inits(), p.mains()
    initialized = all(c.succeeded for c in inits)
    all_ready = bool(mains) and all(c.ready for c in mains)
    conds = {
        "PodReadyToStartContainers": "True" if p.sandbox_ok and p.sandbox_status_known else "False",
        "Initialized": "True" if initialized else "False",
        "Ready": "True" if all_ready else "False",
        "ContainersReady": "True" if all_ready else "False",
        "PodScheduled": "True",
    }
    holder: dict[str, Any] = {"kind": "Pod", "status": {"conditions": [dict(c) for c in old]}}
    for ctype in CONDITION_ORDER:
        reason = message = ""
        if ctype == "Initialized" and not initialized:
            pending = " ".join(c.name for c in inits if not c.succeeded)
            reason, message = "ContainersNotInitialized", f"containers with incomplete status: [{pending}]"
        if ctype in ("Ready", "ContainersReady") and not all_ready:
            unready = " ".join(c.name for c in mains if not c.ready)
            reason, message = "ContainersNotReady", f"containers with unready status: [{unready}]"
            if phase in ("Succeeded", "Failed"):
                reason, message = "PodCompleted", ""
        set_condition(holder, ctype, conds[ctype], NOW, reason, message)
    return sorted(
        holder["status"]["conditions"],
        key=lambda c: CONDITION_ORDER.index(c["type"]) if c["type"] in CONDITION_ORDER else 9,
    )


def record(init_state: Any, main_ready: bool, sandbox: bool) -> PodRecord:
    ctrs = {}
    if init_state is not None:
        ctrs["setup"] = ContainerRecord("setup", {"name": "setup", "image": "busybox"}, True, init_state)
    main = ContainerRecord("app", {"name": "app", "image": "nginx"}, False, Running(5.0), ready=main_ready)
    ctrs["app"] = main
    p = PodRecord("default/web", "uid-1", {}, ctrs)
    p.sandbox_ok = p.sandbox_status_known = sandbox
    return p


def variants(ctype: str) -> list[dict | None]:
    """What the old status may hold for one type: nothing, or a condition of some shape."""
    base = {
        "type": ctype,
        "status": "True",
        "lastProbeTime": None,
        "lastTransitionTime": "2025-01-01T09:00:00Z",
    }
    return [
        None,
        base,
        {**base, "status": "False"},
        {
            **base,
            "status": "False",
            "reason": "ContainersNotReady",
            "message": "containers with unready status: [app]",
        },
        {**base, "reason": ""},
        {**base, "status": "False", "reason": "PodCompleted"},
    ]


CASES = [
    (init_state, ready, sandbox, phase)
    for init_state in (None, Terminated(0, "Completed", 1.0, 2.0), Waiting("PodInitializing"))
    for ready in (True, False)
    for sandbox in (True, False)
    for phase in ("Running", "Succeeded")
]


@pytest.mark.parametrize(("init_state", "ready", "sandbox", "phase"), CASES)
def test_conditions_are_set_condition_on_copies_and_unchanged_ones_are_the_old_dicts(
    init_state, ready, sandbox, phase
):
    manager = StatusManager(kubelet=None)  # type: ignore[arg-type]
    p = record(init_state, ready, sandbox)
    foreign = {"type": "example.com/Gate", "status": "True"}
    shapes = [variants("Ready"), variants("Initialized"), variants("PodReadyToStartContainers")]
    for ready_old, init_old, sandbox_old in itertools.product(*shapes):
        for extra in ([], [foreign]):
            old = [c for c in (sandbox_old, init_old, ready_old) if c is not None] + extra
            got = manager._conditions(p, old, phase, NOW)
            assert got == reference(p, old, phase)
            for cond in got:
                before = next((c for c in old if c["type"] == cond["type"]), None)
                if before is not None and before == cond:
                    assert cond is before, "an unchanged condition is the old dict itself"
            if got == old:
                assert got is old
            assert all(c == dict(c) for c in old)  # nothing old was changed


def test_conditions_never_change_the_old_list_or_its_dicts():
    manager = StatusManager(kubelet=None)  # type: ignore[arg-type]
    p = record(None, False, True)
    old = [
        {
            "type": "Ready",
            "status": "True",
            "lastProbeTime": None,
            "lastTransitionTime": "2025-01-01T09:00:00Z",
        }
    ]
    frozen = [dict(c) for c in old]
    got = manager._conditions(p, old, "Running", NOW)
    assert old == frozen and got is not old
    assert [c["type"] for c in got] == list(CONDITION_ORDER)
    ready = next(c for c in got if c["type"] == "Ready")
    assert ready["status"] == "False" and ready["lastTransitionTime"] == "2025-01-01T09:02:00Z"
