"""Helpers the plugins share (``pkg/scheduler/framework/plugins/helper/normalize_score.go``)."""

from __future__ import annotations

from ..framework.interface import MAX_NODE_SCORE

__all__ = ["default_normalize_score"]


def default_normalize_score(scores: list[int], reverse: bool = False) -> None:
    """``DefaultNormalizeScore``: scale to 0..100 by the maximum (reversed: fewer is better)."""
    top = max(scores, default=0)
    if top == 0:
        if reverse:
            scores[:] = [MAX_NODE_SCORE] * len(scores)
        return
    if reverse:
        scores[:] = [MAX_NODE_SCORE - MAX_NODE_SCORE * s // top for s in scores]
    else:
        scores[:] = [MAX_NODE_SCORE * s // top for s in scores]
