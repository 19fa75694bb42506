"""The in-tree plugins, one module each, named after upstream's ``framework/plugins/<dir>/<file>.go``.

=====================================  ==========================================================
this module                            upstream file (``pkg/scheduler/framework/plugins/…``)
=====================================  ==========================================================
``queue_sort.py``                      ``queuesort/priority_sort.go``
``node_unschedulable.py``              ``nodeunschedulable/node_unschedulable.go``
``node_name.py``                       ``nodename/node_name.go``
``taint_toleration.py``                ``tainttoleration/taint_toleration.go``
``node_affinity.py``                   ``nodeaffinity/node_affinity.go``
``node_ports.py``                      ``nodeports/node_ports.go``
``node_resources_fit.py``              ``noderesources/fit.go``, ``noderesources/least_allocated.go``
``pod_topology_spread.py``             ``podtopologyspread/plugin.go``, ``filtering.go``, ``scoring.go``
``default_preemption.py``              ``defaultpreemption/default_preemption.go``
``balanced_allocation.py``             ``noderesources/balanced_allocation.go``
``image_locality.py``                  ``imagelocality/image_locality.go``
``default_binder.py``                  ``defaultbinder/default_binder.go``
``helper.py``                          ``helper/normalize_score.go``
=====================================  ==========================================================
"""

from .balanced_allocation import NodeResourcesBalancedAllocation
from .default_binder import DefaultBinder
from .default_preemption import DefaultPreemption
from .image_locality import ImageLocality
from .node_affinity import NodeAffinity
from .node_name import NodeName
from .node_ports import NodePorts
from .node_resources_fit import NodeResourcesFit
from .node_unschedulable import NodeUnschedulable
from .pod_topology_spread import PodTopologySpread
from .queue_sort import PrioritySort
from .taint_toleration import TaintToleration

__all__ = [
    "DefaultBinder",
    "DefaultPreemption",
    "ImageLocality",
    "NodeAffinity",
    "NodeName",
    "NodePorts",
    "NodeResourcesBalancedAllocation",
    "NodeResourcesFit",
    "NodeUnschedulable",
    "PodTopologySpread",
    "PrioritySort",
    "TaintToleration",
]
