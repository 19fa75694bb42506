"""PLEG, the Pod Lifecycle Event Generator: how the kubelet learns that a container ended.

The kubelet does not watch its containers' processes.  Upstream's
``pkg/kubelet/pleg`` (``generic.go``) relists the runtime's containers every
second (``ListPodSandbox``/``ListContainers``), compares with the previous
list and turns each difference into an event (``ContainerDied`` …) that
wakes the Pod's worker.  So an exit is seen up to a second after it
happened, and a container that died while the kubelet was down is seen at
the first relist after it starts again.

Simplified: no periodic relist; each exit is noticed exactly
:data:`PLEG_DELAY` after it happened (and a restarted kubelet checks each
container it knows once).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..component import Event
from .container import ContainerRecord, PodRecord, should_restart

if TYPE_CHECKING:
    from .kubelet import Kubelet

__all__ = ["PLEG_DELAY", "GenericPLEG"]

#: Seconds from a container's exit to the kubelet noticing it (the relist period).
PLEG_DELAY = 1.0


class GenericPLEG:
    """Notices container exits and hands them to the pod worker."""

    def __init__(self, kubelet: Kubelet):
        self.kubelet = kubelet

    def relist(self, p: PodRecord) -> None:
        """The first relist after the kubelet started: containers that died while it was down."""
        kl = self.kubelet
        for c in p.ctrs.values():
            rc = kl.cri.containers.get(c.cid) if c.cid else None
            if c.state == "running" and rc is not None and rc.state.name == "CONTAINER_EXITED":
                kl.after(PLEG_DELAY, lambda p=p, c=c, cid=c.cid: self.container_died(p, c, cid))

    def exited(self, p: PodRecord, c: ContainerRecord, cid: str, exit_code: int) -> Event | None:
        """The container's main process ended: the runtime notices now, the kubelet at its next relist."""
        kl = self.kubelet
        if c.cid != cid or c.state != "running":
            return None
        kl.cri.exit_container(cid, exit_code)
        kl.stop_program(c)
        if kl.running:
            kl.after(PLEG_DELAY, lambda: self.container_died(p, c, cid))
        return None

    def container_died(self, p: PodRecord, c: ContainerRecord, cid: str) -> Event | None:
        """ContainerDied: record the termination and decide on a restart."""
        kl = self.kubelet
        if c.cid != cid or c.state != "running":
            return None
        status = kl.cri.runtime_service.ContainerStatus(cid)
        c.terminate(status.exit_code, status.reason, kl.clock.now)
        note = f"container {c.name} exited with code {status.exit_code} ({status.reason})"
        if should_restart(p.restart_policy, status.exit_code) and not p.terminating:
            note += kl.plan_restart(p, c)
        kl.status_manager.mark(p)
        kl.kick(p)
        return kl.event(p.key, f"PLEG: {note}")
