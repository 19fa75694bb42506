"""The generic controller loop of client-go's sample-controller.

A controller is a watch-loop: informers watch the API server, their handlers
put ``namespace/name`` keys in a work queue, and the loop takes one key at a
time and calls ``sync_handler(key)``, which compares the desired state (the
object's spec) with the current state (the informers' caches) and makes
API requests to close the gap.  The loop — not the business logic — owns
retries: a sync that fails is re-queued with exponential back-off; one that
succeeds is forgotten.  A concrete controller writes only ``sync_handler``
and the handlers that enqueue keys.

Each loop iteration is one step on the simulated clock, so a learner can
watch desired and current state converge key by key.

A controller never dies of an object it cannot handle: whatever its sync
raises is that key's error (a Go ``syncHandler`` returns an error; ours may
raise any exception), reported on the trace as ``error syncing '<key>': …``
and retried with the queue's back-off while every other key goes on.

Simplified: one worker per controller; errors are trace lines, not klog
lines; ``max_retries`` is modelled where upstream has one, but the special
cases of some ``handleErr`` (a terminating namespace) are not.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from .apiserver import Unreachable
from .clock import Timer
from .component import Component, Event, describe_error
from .errors import ApiError
from .informer import SharedInformerFactory
from .resources import object_key
from .workqueue import WorkQueue

if TYPE_CHECKING:
    from .informer import Informer

__all__ = ["Controller", "SyncError"]


class SyncError(Exception):
    """An error a sync returns on purpose, as a Go ``syncHandler`` returns ``err`` (an informer cache found
    lagging, a precondition not met yet): retried with back-off like an API error, and never a bug, so a
    ``strict`` cluster does not raise it."""


class Controller:
    """Base class: subclasses set ``name``, register handlers in ``__init__`` and write ``sync_handler``."""

    name = "controller"
    #: Simulated seconds one pass of the loop takes (the time between two steps of this controller).
    work_delay = 0.005
    #: Requeues after which a key that keeps failing is dropped (``maxRetries``: 15 in the Deployment,
    #: Endpoints and EndpointSlice controllers, whose ``handleErr`` then forgets it); None retries for ever,
    #: as most controllers' ``processNextWorkItem`` does.  A dropped key comes back with its object's next
    #: change.
    max_retries: int | None = None

    def __init__(self, manager: Component, informers: SharedInformerFactory):
        self.manager = manager
        self.host = manager.host
        self.clock = manager.clock
        self.informers = informers
        self.client = self.host.client(self.name, manager.node)
        self.queue = WorkQueue(self.name, self.clock, on_ready=self._wake, schedule=self._schedule_queued)
        self.active = False
        self._timer: Timer | None = None

    def _schedule_queued(self, delay: float, work: Callable[[], None], priority: int) -> Timer:
        """A delayed add of the queue, on the host's clock as this controller's (it runs even while the
        manager is stopped: the queue outlives a lost lease)."""
        return self.host.schedule(
            self.manager, delay, work, trace_name=self.name, when_stopped=True, priority=priority
        )

    def informer(self, resource: str) -> Informer:
        return self.informers.informer(resource)

    def enqueue(self, obj: dict) -> None:
        """The only thing an informer handler does: queue the object's key."""
        self.queue.add(object_key(obj))

    def sync_handler(self, key: str) -> str | None:
        """Reconcile one object; return a sentence for the trace, raise to retry."""
        raise NotImplementedError

    # --- the loop ----------------------------------------------------------------------------

    def run(self) -> None:
        """Start processing (the manager calls this once it leads and its informers have synced)."""
        self.active = True
        if len(self.queue):
            self._wake()

    def stop(self) -> None:
        self.active = False
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _wake(self) -> None:
        if self.active and self._timer is None and self.manager.running:
            self._timer = self.manager.after(
                self.work_delay, self.process_next_work_item, trace_name=self.name
            )

    def process_next_work_item(self) -> Event | None:
        """get → sync_handler → forget, or add_rate_limited on failure; always done.

        Whatever the sync raises is its error, as a Go ``syncHandler`` returns one: a typed
        object the controller cannot handle (``maxSurge: "abc%"``) fails that key only.  The
        key is retried after its back-off, every other key goes on being processed, and the
        loop never stops — only a cluster built with ``strict=True`` lets an unexpected
        exception propagate, so that a bug in a controller fails its test.
        """
        self._timer = None
        key = self.queue.get()
        if key is None:
            return None
        try:
            message = self.sync_handler(key)
            self.queue.forget(key)
        except (ApiError, Unreachable, SyncError) as err:
            message = self.handle_err(key, str(err))
        except Exception as err:
            if self.host.strict:
                raise
            message = self.handle_err(key, describe_error(err))
        finally:
            self.queue.done(key)
        if len(self.queue):
            self._wake()
        return self.manager.event(key, message or "in sync", component=self.name)

    def handle_err(self, key: str, error: str) -> str:
        """``handleErr``: requeue with back-off, or forget a key that failed ``max_retries`` times; the trace
        line."""
        if self.max_retries is not None and self.queue.num_requeues(key) >= self.max_retries:
            self.queue.forget(key)
            return (
                f"error syncing {key!r}: {error}; dropping it out of the queue after {self.max_retries} "
                "retries"
            )
        self.queue.add_rate_limited(key)
        return f"error syncing {key!r}: {error}; requeuing (attempt {self.queue.num_requeues(key)})"
