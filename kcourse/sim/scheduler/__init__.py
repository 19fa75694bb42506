"""kube-scheduler: the scheduling framework of Kubernetes 1.32, one pod per step.

The package is laid out like upstream's ``pkg/scheduler``, so a learner can
read each part next to its Go source:

=============================  ====================================================================
module                         upstream
=============================  ====================================================================
``framework/interface.py``     ``framework/interface.go``: Status and its codes, the extension points
``framework/cycle_state.py``   ``framework/cycle_state.go``: what one cycle's plugins share
``framework/types.py``         ``framework/types.go``: PodInfo, NodeInfo, ClusterEvent, FitError
``framework/runtime.py``       ``framework/runtime/framework.go``: a profile's plugins at their points
``plugins/*.py``               ``framework/plugins/<plugin>/*.go``, one module per plugin
``registry.py``                ``framework/plugins/registry.go``: plugin name → factory
``profile.py``                 ``apis/config/v1/default_plugins.go``: the default profile
``cache.py``                   ``backend/cache/cache.go``: node infos kept from watch events
``queue.py``                   ``backend/queue/scheduling_queue.go``: activeQ, backoffQ, unschedulablePods
``schedule_one.py``            ``schedule_one.go``: one scheduling cycle (``schedulePod``)
``scheduler.py``               ``scheduler.go``: the process — informers, leader election, the loop
=============================  ====================================================================

The scheduler watches Pods and Nodes.  A Pod without ``spec.nodeName`` whose
``schedulerName`` is ``default-scheduler`` enters the *scheduling queue*; a
Pod already bound to a node updates the *cache*.  **One scheduling cycle**
(one step of the trace) pops the head of activeQ and runs the extension
points in order: PreFilter, Filter (on each node, the first failing plugin
gives the node's reason), PostFilter (DefaultPreemption when no node fits),
PreScore, Score, NormalizeScore (then × the plugin's weight), selectHost,
Reserve and Bind (the ``pods/binding`` subresource).  Filter plugins:
NodeUnschedulable, NodeName, TaintToleration, NodeAffinity, NodePorts,
NodeResourcesFit, PodTopologySpread.  Score plugins and weights:
TaintToleration 3, NodeAffinity 2, PodTopologySpread 2, NodeResourcesFit 1
(LeastAllocated), NodeResourcesBalancedAllocation 1, ImageLocality 1;
MaxNodeScore is 100.

A pod that fits nowhere gets ``PodScheduled=False`` with reason
``Unschedulable`` and the real message (``0/4 nodes are available: 1 node(s)
had untolerated taint {node-role.kubernetes.io/control-plane: }, 3
Insufficient cpu. preemption: 0/4 nodes are available: 1 Preemption is not
helpful for scheduling, 3 No preemption victims found for incoming pod.``),
and a ``FailedScheduling`` Event with the same text.

``scheduler.decisions[pod_key]`` keeps, for the last 1,000 pods, what the
cycle saw: feasible and evaluated counts, each filtered node's reason, each
plugin's weighted score per node, totals, the chosen node and ``decided_by``
— the score plugin whose weighted score differs most (winner minus
runner-up, the runner-up being the best other node); None when one node was
feasible, when the winner tied with the runner-up (the RNG chose), or when
the pod was not scheduled.  The dicts are built when first read: a cycle
keeps one array of scores per plugin.

Simplified: each module's docstring ends with what it leaves out.  Of the
default plugins, VolumeRestrictions, NodeVolumeLimits, VolumeBinding,
VolumeZone, InterPodAffinity and SchedulingGates are not modelled, and no
default plugin does visible work at Reserve, Permit or PreBind.
"""

from ..nodeaffinity import node_selector_term_matches, required_node_affinity_matches
from .cache import Cache
from .framework import (
    MAX_NODE_SCORE,
    SKIP,
    BindPlugin,
    ClusterEvent,
    Code,
    CycleState,
    FilterPlugin,
    NodeInfo,
    Plugin,
    PodInfo,
    PostFilterPlugin,
    PostFilterResult,
    PreFilterPlugin,
    PreFilterResult,
    PreScorePlugin,
    QueueSortPlugin,
    ReservePlugin,
    ScoreExtensions,
    ScorePlugin,
    Status,
    fit_error_message,
)
from .framework.runtime import Framework
from .framework.types import (
    DEFAULT_MEMORY_REQUEST,
    DEFAULT_MILLI_CPU_REQUEST,
    LABEL_HOSTNAME,
    LABEL_ZONE,
    ports_conflict,
)
from .plugins import (
    DefaultBinder,
    DefaultPreemption,
    ImageLocality,
    NodeAffinity,
    NodeName,
    NodePorts,
    NodeResourcesBalancedAllocation,
    NodeResourcesFit,
    NodeUnschedulable,
    PodTopologySpread,
    PrioritySort,
    TaintToleration,
)
from .plugins.helper import default_normalize_score
from .plugins.image_locality import normalized_image_name
from .plugins.node_unschedulable import TAINT_UNSCHEDULABLE
from .profile import DEFAULT_PROFILE, DEFAULT_SCHEDULER_NAME, PluginSpec, Profile
from .queue import QueuedPodInfo, SchedulingQueue
from .registry import new_in_tree_registry
from .schedule_one import CycleResult, num_feasible_nodes_to_find
from .scheduler import CYCLE_TIME, Decisions, Scheduler

__all__ = [
    "CYCLE_TIME",
    "DEFAULT_MEMORY_REQUEST",
    "DEFAULT_MILLI_CPU_REQUEST",
    "DEFAULT_PROFILE",
    "DEFAULT_SCHEDULER_NAME",
    "LABEL_HOSTNAME",
    "LABEL_ZONE",
    "MAX_NODE_SCORE",
    "SKIP",
    "TAINT_UNSCHEDULABLE",
    "BindPlugin",
    "Cache",
    "ClusterEvent",
    "Code",
    "CycleResult",
    "CycleState",
    "Decisions",
    "DefaultBinder",
    "DefaultPreemption",
    "FilterPlugin",
    "Framework",
    "ImageLocality",
    "NodeAffinity",
    "NodeInfo",
    "NodeName",
    "NodePorts",
    "NodeResourcesBalancedAllocation",
    "NodeResourcesFit",
    "NodeUnschedulable",
    "Plugin",
    "PluginSpec",
    "PodInfo",
    "PodTopologySpread",
    "PostFilterPlugin",
    "PostFilterResult",
    "PreFilterPlugin",
    "PreFilterResult",
    "PreScorePlugin",
    "PrioritySort",
    "Profile",
    "QueueSortPlugin",
    "QueuedPodInfo",
    "ReservePlugin",
    "Scheduler",
    "SchedulingQueue",
    "ScoreExtensions",
    "ScorePlugin",
    "Status",
    "TaintToleration",
    "default_normalize_score",
    "default_plugins",
    "fit_error_message",
    "new_in_tree_registry",
    "node_selector_term_matches",
    "normalized_image_name",
    "num_feasible_nodes_to_find",
    "ports_conflict",
    "required_node_affinity_matches",
]


def default_plugins(handle: Framework | None = None) -> list[Plugin]:
    """The default profile's plugins, built from the registry for ``handle`` (a new Framework's when None)."""
    if handle is None:
        return Framework().plugins
    registry = new_in_tree_registry()
    return [registry[spec.name](handle) for spec in DEFAULT_PROFILE.plugins]
