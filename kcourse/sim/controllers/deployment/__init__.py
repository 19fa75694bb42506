"""The Deployment controller (``deployment-controller``): roll out Pod templates through ReplicaSets.

A Deployment never creates Pods.  It owns one ReplicaSet per version of its
Pod template, named ``<deployment>-<pod-template-hash>``, and only changes
their ``spec.replicas``; the ReplicaSet controller does the rest.

* The hash is upstream's ``ComputeHash``: FNV-32a over the template (plus
  ``status.collisionCount`` when set), its decimal value rendered with
  ``rand.SafeEncodeString``.  Go hashes a ``spew`` dump of the struct; we hash
  a canonical JSON rendering of the template (sorted keys, no spaces), so the
  letters differ from a real cluster's for the same template but behave alike.
  The label ``pod-template-hash`` is added to the new ReplicaSet's selector and
  template so that two revisions never fight over the same Pods.
* **RollingUpdate**: scale the new ReplicaSet up while the total stays within
  ``replicas + maxSurge`` (a percentage rounds up), and old ones down while at
  least ``replicas - maxUnavailable`` Pods stay available (a percentage rounds
  down); both zero means maxUnavailable 1.  **Recreate**: scale every old
  ReplicaSet to 0, wait for its Pods to be gone, then scale the new one up.
* A change of ``spec.replicas`` alone (a *scaling event*, seen through the
  ``deployment.kubernetes.io/desired-replicas`` annotation) is spread over the
  active ReplicaSets in proportion to their size, as upstream ``scale``.
* Revisions: ``deployment.kubernetes.io/revision`` on the Deployment and each
  ReplicaSet; old ReplicaSets beyond ``revisionHistoryLimit`` that have no
  Pods are deleted.
* Status: ``observedGeneration``, ``replicas``, ``updatedReplicas``,
  ``readyReplicas``, ``availableReplicas``, ``unavailableReplicas`` and the
  conditions ``Available`` and ``Progressing`` with upstream's reasons and
  messages — what ``kubectl rollout status`` reads.  A rollout that makes no
  progress for ``progressDeadlineSeconds`` gets ``ProgressDeadlineExceeded``.
* ``spec.paused``: only scaling is applied, no rollout.

The modules follow upstream's ``pkg/controller/deployment``: ``deployment_controller`` (informers, handlers,
the sync), ``sync`` (ReplicaSets, scaling, history, status), ``rolling``, ``recreate``, ``progress`` and
``util`` (``util/deployment_util.go``).  Each strategy's steps are functions taking the controller as
``self``, as Go's methods on ``*DeploymentController`` spread over files; the class binds them.  There is no
``rollback`` module: apps/v1 has no ``rollbackTo``.

Simplified: the Deployment's revision annotation is written with a plain
update before the status update (the real controller sends both in one
UpdateStatus, which keeps annotation changes); no ``rollbackTo`` (it does not
exist in apps/v1: ``kubectl rollout undo`` works client-side); no
``ReplicaFailure`` condition copied from ReplicaSets.  A rollout already
complete (``NewReplicaSetAvailable``) is not re-checked for its progress
deadline after a sync that changed nothing: upstream's
``requeueStuckDeployment`` re-queues it rate-limited after every such sync,
a loop of syncs that write nothing while a Pod is missing, though the
deadline cannot fire for it; a check due within a second comes one second
after the deadline instead of polling towards it.
"""

from __future__ import annotations

from .deployment_controller import DeploymentController
from .util import (
    DESIRED_REPLICAS,
    MAX_REPLICAS,
    POD_TEMPLATE_HASH,
    REVISION,
    compute_hash,
    max_surge,
    max_unavailable,
    resolve_fenceposts,
    safe_encode_string,
    scaled_value,
)

__all__ = [
    "DESIRED_REPLICAS",
    "MAX_REPLICAS",
    "POD_TEMPLATE_HASH",
    "REVISION",
    "DeploymentController",
    "compute_hash",
    "max_surge",
    "max_unavailable",
    "resolve_fenceposts",
    "safe_encode_string",
    "scaled_value",
]
