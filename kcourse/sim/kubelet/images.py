"""The image manager: is the container's image on the node, and pulling it if not.

As upstream's ``pkg/kubelet/images`` (``image_manager.go``), before a
container is created the kubelet asks the runtime's ImageService
(``ImageStatus``) whether the image is present and applies
``imagePullPolicy``:

* ``IfNotPresent`` (the default for a tagged image) — use the local image
  (``Pulled``: 'Container image "x" already present on machine');
* ``Always`` — pull anyway;
* ``Never`` — use the local image or fail with ``ErrImageNeverPull``.

A pull (``Pulling``, then ``Pulled`` with its duration and size) takes the
image's bytes over the registry's simulated bandwidth.  A failed pull is
``ErrImagePull``, and the next sync finds it in back-off:
``ImagePullBackOff``, 10 s doubling to 300 s.

Simplified: pulls are serial per pod worker; the back-off is kept per
container, not per image in a shared table.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..component import Event
from ..cri import PULL_BANDWIDTH, PULL_LATENCY, CriError, ImageSpec, go_duration, image_size
from .container import ContainerRecord, PodRecord

if TYPE_CHECKING:
    from .kubelet import Kubelet

__all__ = ["BACKOFF_INITIAL", "BACKOFF_MAX", "ImageManager", "image_pull_seconds"]

BACKOFF_INITIAL = 10.0
BACKOFF_MAX = 300.0


def image_pull_seconds(image: str) -> float:
    """How long a pull takes here: a round trip plus the image's bytes over the simulated bandwidth."""
    return round(PULL_LATENCY + image_size(image) / PULL_BANDWIDTH, 3)


class ImageManager:
    """``EnsureImageExists`` for the kubelet's containers, as two steps of the pod worker."""

    def __init__(self, kubelet: Kubelet):
        self.kubelet = kubelet

    def image_status(self, p: PodRecord, c: ContainerRecord) -> Event | None:
        """ImageStatus, then the pull policy decides: use it, pull it, or ErrImageNeverPull."""
        kl = self.kubelet
        image = c.spec["image"]
        img = kl.cri.image_service.ImageStatus(ImageSpec(image), p.key)
        policy = c.spec.get("imagePullPolicy", "IfNotPresent")
        c.image_checked = True
        if img is not None and policy != "Always":
            c.image_ready, c.image_ref = True, img.repo_digests[0]
            kl.record(p, "Normal", "Pulled", f'Container image "{image}" already present on machine', c)
        elif policy == "Never":
            c.image_checked = False
            c.wait("ErrImageNeverPull", f'Container image "{image}" is not present with pull policy of Never')
            kl.record(p, "Warning", "ErrImageNeverPull", c.current.message, c)
            kl.status_manager.mark(p)
            return kl.cri_event(p.key)
        else:
            kl.record(p, "Normal", "Pulling", f'Pulling image "{image}"', c)
        return kl.cri_event(p.key)

    def pull(self, p: PodRecord, c: ContainerRecord, seconds: float) -> Event | None:
        """PullImage; a failure is ErrImagePull and starts (or doubles) the back-off."""
        kl = self.kubelet
        image = c.spec["image"]
        try:
            c.image_ref = kl.cri.image_service.PullImage(ImageSpec(image), kl.sandbox_config(p))
        except CriError as err:
            c.image_checked = False
            c.image_backoff = BACKOFF_INITIAL if not c.image_backoff else min(c.image_backoff * 2, BACKOFF_MAX)
            c.wait("ErrImagePull", str(err))
            kl.record(p, "Warning", "Failed", f'Failed to pull image "{image}": {err}', c)
            kl.record(p, "Warning", "Failed", "Error: ErrImagePull", c)
            kl.status_manager.mark(p)
            kl.after(1.0, lambda: self._backoff(p, c))
            return kl.cri_event(p.key)
        c.image_ready, c.image_backoff = True, 0.0
        kl.record(p, "Normal", "Pulled", f'Successfully pulled image "{image}" in {go_duration(seconds)} '
                                         f"({go_duration(seconds)} including waiting). Image size: "
                                         f"{image_size(image)} bytes.", c)
        return kl.cri_event(p.key)

    def _backoff(self, p: PodRecord, c: ContainerRecord) -> Event | None:
        """The next sync finds the pull in back-off: ImagePullBackOff until the back-off ends."""
        kl = self.kubelet
        if p.terminating or c.image_ready:
            return None
        image = c.spec["image"]
        c.not_before = kl.clock.now + c.image_backoff
        previous = c.current.message if c.state == "waiting" else ""
        message = f'Back-off pulling image "{image}": ErrImagePull: {previous.split(": ", 1)[-1]}' \
            if not previous.startswith("Back-off") else previous
        c.wait("ImagePullBackOff", message)
        kl.record(p, "Normal", "BackOff", f'Back-off pulling image "{image}"', c)
        kl.record(p, "Warning", "Failed", "Error: ImagePullBackOff", c)
        kl.after(c.image_backoff, lambda: kl.kick(p))
        kl.status_manager.mark(p)
        return kl.event(p.key, f"{c.name}: ImagePullBackOff, next pull of {image} in {c.image_backoff:g}s")
