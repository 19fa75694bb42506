"""Image references: how a name such as ``nginx:1.27`` is read and completed.

Upstream, neither the kubelet nor a runtime parses image names by hand: both use the
``github.com/distribution/reference`` library (``normalize.go``: ``ParseNormalizedNamed``,
``FamiliarName``), which adds the default registry ``docker.io``, the ``library/`` namespace of official
images and the ``latest`` tag.  The simulation keeps the same two answers in this small module, apart from
the runtime, because the image registry, the kubelet's programs and the challenges read names too.

Simplified: no validation of the reference grammar (an invalid name is returned as it came); a digest is
kept as written; no domain aliases (``index.docker.io``).
"""

from __future__ import annotations

__all__ = ["image_repository", "normalize_image"]


def image_repository(image: str) -> str:
    """``nginx:1.27`` → ``nginx``; ``registry.k8s.io/etcd:3.5.16-0`` → ``registry.k8s.io/etcd``.

    No tag, no digest.
    """
    repo = image.split("@", 1)[0]
    last = repo.rsplit("/", 1)
    if ":" in last[-1]:
        repo = repo[: len(repo) - len(last[-1]) + last[-1].index(":")]
    return repo


def normalize_image(image: str) -> str:
    """The fully qualified reference a runtime resolves: ``nginx:1.27`` → ``docker.io/library/nginx:1.27``."""
    ref = image if ("@" in image or ":" in image.rsplit("/", 1)[-1]) else image + ":latest"
    first = ref.split("/", 1)[0]
    if "/" not in ref:
        return f"docker.io/library/{ref}"
    if "." not in first and ":" not in first and first != "localhost":
        return f"docker.io/{ref}"
    return ref
