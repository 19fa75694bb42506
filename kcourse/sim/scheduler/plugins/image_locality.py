"""ImageLocality: prefer nodes that already hold the pod's images.

Upstream: ``pkg/scheduler/framework/plugins/imagelocality/image_locality.go``.
A node that has pulled the image starts the pod sooner.  Each image present
counts with its size times its *spread* (the share of nodes holding it), so an
image everyone has does not pull pods together; the sum is clamped between
23 MB and 1000 MB per container and scaled to 0..100.  Extension points:
PreScore, Score; weight 1 in the default profile.

Over many nodes at once (``score_nodes``) the sizes come from the node
table's image columns, with the same float product and truncation.

Simplified: image names are normalised only by adding ``:latest`` to a name
without tag or digest (upstream also adds ``docker.io/library/``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ..framework.cycle_state import CycleState
from ..framework.interface import MAX_NODE_SCORE, Plugin, PreScorePlugin, ScoreArrays, ScorePlugin, Status
from ..framework.types import NodeInfo
from ..node_table import EXACT_LIMIT

if TYPE_CHECKING:
    from ..node_table import NodeView

__all__ = ["ImageLocality", "normalized_image_name"]

_PRE_SCORE_KEY = "PreScore/ImageLocality"


def normalized_image_name(name: str) -> str:
    """ImageLocality's name for an image: ``:latest`` added when there is no tag or digest."""
    last = name.rsplit("/", 1)[-1]
    if ":" not in last and "@" not in last:
        return name + ":latest"
    return name


class ImageLocality(Plugin):
    """Score: nodes that already hold the pod's images, weighted by size and how widely they are spread."""

    name = "ImageLocality"
    MB = 1024 * 1024
    MIN_THRESHOLD = 23 * MB
    MAX_CONTAINER_THRESHOLD = 1000 * MB

    def pre_score(self, state: CycleState, pod: dict, _nodes: list[NodeInfo]) -> Status | None:
        """Each container's image and its spread (the share of nodes holding it): the same on every node."""
        spec = pod["spec"]
        containers = (spec.get("initContainers") or []) + (spec.get("containers") or [])
        total_nodes = state.num_all_nodes
        image_nodes = self.handle.cache.image_nodes if self.handle else {}
        images = []
        for c in containers:
            name = normalized_image_name(c.get("image") or "")
            images.append((name, len(image_nodes.get(name, ())) / total_nodes if total_nodes else 0.0))
        state.write(_PRE_SCORE_KEY, (images, self.MAX_CONTAINER_THRESHOLD * len(containers)))
        return None

    def score(self, state: CycleState, _pod: dict, ni: NodeInfo) -> int:
        images, high = state.read(_PRE_SCORE_KEY)
        if high <= self.MIN_THRESHOLD:
            return 0
        total = 0
        for name, spread in images:
            size = ni.images.get(name)
            if size is not None:
                total += int(size * spread)
        total = min(max(total, self.MIN_THRESHOLD), high)
        return MAX_NODE_SCORE * (total - self.MIN_THRESHOLD) // (high - self.MIN_THRESHOLD)

    def score_nodes(self, state: CycleState, _pod: dict, nodes: NodeView) -> np.ndarray | None:
        """``score`` on every node at once: image sizes × spread summed, clamped, scaled."""
        images, high = state.read(_PRE_SCORE_KEY)
        if high <= self.MIN_THRESHOLD:
            return np.zeros(len(nodes), dtype=np.int64)
        if high >= EXACT_LIMIT:
            return None
        columns = nodes.table.image_sizes
        total = np.zeros(len(nodes), dtype=np.int64)
        for name, spread in images:
            sizes = columns.get(name)
            if sizes is not None:
                total += (sizes[nodes.slots] * spread).astype(np.int64)  # int(size * spread), node by node
        total = np.clip(total, self.MIN_THRESHOLD, high)
        return MAX_NODE_SCORE * (total - self.MIN_THRESHOLD) // (high - self.MIN_THRESHOLD)


#: What the plugin implements, checked by the type checker (upstream: ``var _ framework.ScorePlugin = …``).
_implements: tuple[type[PreScorePlugin], type[ScorePlugin], type[ScoreArrays]] = (
    ImageLocality,
    ImageLocality,
    ImageLocality,
)
