"""The default scheduler profile: which plugins run, in which order, with which weights.

Upstream: ``pkg/scheduler/apis/config/v1/default_plugins.go`` (``getDefaultPlugins``,
the ``multiPoint`` list) and ``KubeSchedulerProfile`` in
``pkg/scheduler/apis/config/types.go``.  Each plugin named here runs at every
extension point it implements, in this order: the first Filter to reject a
node gives the node's reason.  The weights multiply Score plugins' normalised
scores: TaintToleration 3, NodeAffinity 2, PodTopologySpread 2,
NodeResourcesFit 1, NodeResourcesBalancedAllocation 1, ImageLocality 1.

Simplified: upstream's list also has SchedulingGates, VolumeRestrictions,
NodeVolumeLimits, VolumeBinding, VolumeZone and InterPodAffinity (weight 2)
and, when enabled, DynamicResources; they are not modelled, so they are left
out and the others keep upstream's relative order.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["DEFAULT_PROFILE", "DEFAULT_SCHEDULER_NAME", "PluginSpec", "Profile"]

DEFAULT_SCHEDULER_NAME = "default-scheduler"


@dataclass(frozen=True)
class PluginSpec:
    """One enabled plugin (``config.Plugin``): its name and, for a Score plugin, its weight (0 means 1)."""

    name: str
    weight: int = 0


@dataclass(frozen=True)
class Profile:
    """``KubeSchedulerProfile``: the scheduler name pods ask for, and its plugins in order."""

    scheduler_name: str
    plugins: tuple[PluginSpec, ...]


DEFAULT_PROFILE = Profile(
    DEFAULT_SCHEDULER_NAME,
    (
        PluginSpec("PrioritySort"),
        PluginSpec("NodeUnschedulable"),
        PluginSpec("NodeName"),
        PluginSpec("TaintToleration", 3),
        PluginSpec("NodeAffinity", 2),
        PluginSpec("NodePorts"),
        PluginSpec("NodeResourcesFit", 1),
        PluginSpec("PodTopologySpread", 2),
        PluginSpec("DefaultPreemption"),
        PluginSpec("NodeResourcesBalancedAllocation", 1),
        PluginSpec("ImageLocality", 1),
        PluginSpec("DefaultBinder"),
    ),
)
