"""PrioritySort: which waiting pod the scheduler tries next.

Upstream: ``pkg/scheduler/framework/plugins/queuesort/priority_sort.go``.  The
activeQ is a heap ordered by the profile's one QueueSort plugin: a higher
``spec.priority`` first, then the pod that entered the queue earlier.
Extension points: QueueSort.

Simplified: the queue orders by :meth:`PrioritySort.sort_key` (a tuple, so the
heap compares tuples, not plugin calls); :meth:`PrioritySort.less` is the same
order as upstream's ``Less``.  Ties in the millisecond go to the pod queued
first.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..framework.interface import Plugin, QueueSortPlugin

if TYPE_CHECKING:
    from ..queue import QueuedPodInfo

__all__ = ["PrioritySort"]


class PrioritySort(Plugin):
    """QueueSort: higher priority first, then earlier in the queue."""

    name = "PrioritySort"

    def sort_key(self, pinfo: QueuedPodInfo) -> tuple[int, int, int]:
        return -pinfo.priority, round(pinfo.timestamp * 1000), pinfo.seq

    def less(self, a: QueuedPodInfo, b: QueuedPodInfo) -> bool:
        return self.sort_key(a) < self.sort_key(b)


#: What the plugin implements, checked by the type checker (``var _ framework.QueueSortPlugin = …``).
_implements: type[QueueSortPlugin] = PrioritySort
