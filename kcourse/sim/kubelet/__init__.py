"""The kubelet, split as upstream's ``pkg/kubelet``: the agent itself and the managers it runs.

* :mod:`.kubelet` — the Kubelet: informers, the pod worker, CRI steps, restarts, termination;
* :mod:`.container` — its records of Pods and containers, with each container's explicit state;
* :mod:`.node_status` — registration, the node lease, the Node's status;
* :mod:`.static_pods` — the control plane's static pods and their mirror Pods;
* :mod:`.images` — the image manager (``imagePullPolicy``, pulls, ImagePullBackOff);
* :mod:`.pleg` — the Pod Lifecycle Event Generator (container exits);
* :mod:`.prober` — startup, liveness and readiness probes;
* :mod:`.status` — the status manager (phase, conditions, container statuses);
* :mod:`.logs` — container log files and ``kubectl logs``.
"""

from __future__ import annotations

from ..programs import GenericProgram, ProgramContext, lifetime
from .kubelet import Kubelet
from .node_status import KUBELET_VERSION, hash_text
from .static_pods import STATIC_PODS

__all__ = [
    "KUBELET_VERSION",
    "STATIC_PODS",
    "GenericProgram",
    "Kubelet",
    "ProgramContext",
    "hash_text",
    "lifetime",
]
