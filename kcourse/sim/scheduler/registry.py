"""The in-tree plugins by name (``pkg/scheduler/framework/plugins/registry.go``: ``NewInTreeRegistry``).

A profile names plugins; the registry says how to build each one.  A plugin
class is its own factory: it is called with the Framework that will run it
(its ``handle``).  To try a plugin of your own, add it to a copy of the
registry and name it in a profile::

    registry = new_in_tree_registry() | {"MyPlugin": MyPlugin}
    Framework(cache, rng, registry=registry, profile=my_profile)

Simplified: only the plugins this simulation models are registered (no
volume plugins, no InterPodAffinity, no SchedulingGates, no
DynamicResources); factories take no plugin arguments.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from .framework.interface import Plugin
from .plugins.balanced_allocation import NodeResourcesBalancedAllocation
from .plugins.default_binder import DefaultBinder
from .plugins.default_preemption import DefaultPreemption
from .plugins.image_locality import ImageLocality
from .plugins.node_affinity import NodeAffinity
from .plugins.node_name import NodeName
from .plugins.node_ports import NodePorts
from .plugins.node_resources_fit import NodeResourcesFit
from .plugins.node_unschedulable import NodeUnschedulable
from .plugins.pod_topology_spread import PodTopologySpread
from .plugins.queue_sort import PrioritySort
from .plugins.taint_toleration import TaintToleration

if TYPE_CHECKING:
    from .framework.runtime import Framework

__all__ = ["PluginFactory", "new_in_tree_registry"]

#: What a registry maps a plugin's name to: a callable that builds the plugin for a framework.
PluginFactory = Callable[["Framework"], Plugin]

_IN_TREE: tuple[type[Plugin], ...] = (
    PrioritySort,
    NodeUnschedulable,
    NodeName,
    TaintToleration,
    NodeAffinity,
    NodePorts,
    NodeResourcesFit,
    PodTopologySpread,
    DefaultPreemption,
    NodeResourcesBalancedAllocation,
    ImageLocality,
    DefaultBinder,
)


def new_in_tree_registry() -> dict[str, PluginFactory]:
    """A fresh registry of every plugin this simulation models (a new dict: changing it changes no other)."""
    return {cls.name: cls for cls in _IN_TREE}
