"""The image manager: is the container's image on the node, and pulling it if not.

As upstream's ``pkg/kubelet/images`` (``image_manager.go``,
``EnsureImageExists``), before a container is created the kubelet

1. parses the image name — a name the runtime cannot parse is
   ``InvalidImageName`` (event ``InspectFailed``: "Failed to apply default
   image tag …");
2. asks the runtime's ImageService (``ImageStatus``) whether the image is
   present, and applies ``imagePullPolicy``: ``IfNotPresent`` uses a local
   image ("Container image … already present on machine"), ``Always`` pulls
   anyway, ``Never`` uses the local image or fails with
   ``ErrImageNeverPull``;
3. pulls (``Pulling``, then ``Pulled`` with the duration and the size) —
   unless the image is in back-off;
4. on a failed pull: event ``Failed`` ("Failed to pull image …: <the
   runtime's error>"), the container waits with ``ErrImagePull``, and the
   per-pod-and-image back-off starts at 10 s and doubles up to 300 s
   (``flowcontrol.Backoff``; forgotten after 600 s without a failure).  The
   next sync finds the pull in back-off: ``BackOff`` ("Back-off pulling
   image …") and ``ImagePullBackOff``, whose message keeps the pull's error.

kuberuntime then records each failure as ``Failed`` "Error: <reason>"
(``kuberuntime_container.go``, ``startContainer``).

Simplified: the pod worker's next sync after a failed pull comes 1 s later
(after ErrImageNeverPull and InvalidImageName: 10 s, the worker's back-off),
without jitter; pulls are serial per pod worker.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..component import Event
from ..cri import CriError, ImageSpec, go_duration
from ..registry import ImageReferenceError, parse_reference
from .container import ContainerRecord, PodRecord

if TYPE_CHECKING:
    from .kubelet import Kubelet

__all__ = ["BACKOFF_INITIAL", "BACKOFF_MAX", "SYNC_RETRY", "ImageManager"]

#: The image pull back-off (kubelet.go: ``backOffPeriod``, ``MaxContainerBackOff``).
BACKOFF_INITIAL = 10.0
BACKOFF_MAX = 300.0
#: When the pod worker tries again after a sync that failed for another reason than a pull.
SYNC_RETRY = 10.0
#: The pod worker's next sync after a failed pull.
NEXT_SYNC = 1.0


class ImageManager:
    """``EnsureImageExists`` for the kubelet's containers, as steps of the pod worker."""

    def __init__(self, kubelet: Kubelet):
        self.kubelet = kubelet

    def image_status(self, p: PodRecord, c: ContainerRecord) -> Event | None:
        """Parse the name, ImageStatus, then the pull policy decides: use it, pull it, or fail."""
        kl = self.kubelet
        image = c.spec["image"]
        try:
            parse_reference(image)
        except ImageReferenceError as err:
            msg = (
                f'Failed to apply default image tag "{image}": '
                f'couldn\'t parse image reference "{image}": {err}'
            )
            kl.record(p, "Warning", "InspectFailed", msg, c)
            return self._failed(p, c, "InvalidImageName", msg)
        img = kl.cri.image_service.ImageStatus(ImageSpec(image), p.key)
        policy = c.spec.get("imagePullPolicy", "IfNotPresent")
        c.image_checked = True
        if img is not None and policy != "Always":
            c.image_ready, c.image_ref = True, img.repo_digests[0]
            kl.record(p, "Normal", "Pulled", f'Container image "{image}" already present on machine', c)
        elif policy == "Never":
            msg = f'Container image "{image}" is not present with pull policy of Never'
            kl.record(p, "Warning", "ErrImageNeverPull", msg, c)
            self._failed(p, c, "ErrImageNeverPull", msg)
        else:
            kl.record(p, "Normal", "Pulling", f'Pulling image "{image}"', c)
        return kl.cri_event(p.key)

    def pull_seconds(self, c: ContainerRecord) -> float:
        return self.kubelet.cri.registry.pull_seconds(c.spec["image"])

    def pull(self, p: PodRecord, c: ContainerRecord, seconds: float) -> Event | None:
        """PullImage; a failure is ErrImagePull and starts (or doubles) the back-off."""
        kl = self.kubelet
        image = c.spec["image"]
        try:
            c.image_ref = kl.cri.image_service.PullImage(ImageSpec(image), kl.sandbox_config(p))
        except CriError as err:
            now = kl.clock.now
            kl.record(p, "Warning", "Failed", f'Failed to pull image "{image}": {err}', c)
            expired = now - c.image_backoff_at > 2 * BACKOFF_MAX
            c.image_backoff = (
                BACKOFF_INITIAL if not c.image_backoff or expired else min(c.image_backoff * 2, BACKOFF_MAX)
            )
            c.image_backoff_at = now
            c.image_checked = False
            c.not_before = now + c.image_backoff
            c.wait("ErrImagePull", str(err))
            kl.record(p, "Warning", "Failed", "Error: ErrImagePull", c)
            kl.status_manager.mark(p)
            pull_error = f"ErrImagePull: {err}"
            kl.after(NEXT_SYNC, lambda: self._in_backoff(p, c, pull_error))
            return kl.cri_event(p.key)
        c.image_ready = True
        manifest = kl.cri.registry.lookup(image)
        size = manifest.size if manifest is not None else 0
        kl.record(
            p,
            "Normal",
            "Pulled",
            f'Successfully pulled image "{image}" in {go_duration(seconds)} '
            f"({go_duration(seconds)} including waiting). Image size: {size} bytes.",
            c,
        )
        return kl.cri_event(p.key)

    def _failed(self, p: PodRecord, c: ContainerRecord, reason: str, message: str) -> Event | None:
        """EnsureImageExists failed without a pull: wait with ``reason``; the worker tries again later."""
        kl = self.kubelet
        c.image_checked = False
        c.not_before = kl.clock.now + SYNC_RETRY
        c.wait(reason, message)
        kl.record(p, "Warning", "Failed", f"Error: {reason}", c)
        kl.status_manager.mark(p)
        kl.after(SYNC_RETRY, lambda: kl.kick(p))
        return kl.event(p.key, f"{c.name}: {reason}, trying again in {SYNC_RETRY:g}s")

    def _in_backoff(self, p: PodRecord, c: ContainerRecord, pull_error: str) -> Event | None:
        """The next sync finds the pull in back-off: ImagePullBackOff until the back-off ends."""
        kl = self.kubelet
        if p.terminating or c.image_ready or c.state != "waiting" or c.not_before <= kl.clock.now:
            return None
        image = c.spec["image"]
        msg = f'Back-off pulling image "{image}"'
        kl.record(p, "Normal", "BackOff", msg, c)
        c.wait("ImagePullBackOff", f"{msg}: {pull_error}")
        kl.record(p, "Warning", "Failed", "Error: ImagePullBackOff", c)
        kl.after(c.not_before - kl.clock.now, lambda: kl.kick(p))
        kl.status_manager.mark(p)
        return kl.event(p.key, f"{c.name}: ImagePullBackOff, next pull of {image} in {c.image_backoff:g}s")
