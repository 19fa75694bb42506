"""The simulated Kubernetes cluster: pure Python, no Jupyter, Graphviz or matplotlib.

One module per component, named after it (``etcd``, ``apiserver``,
``scheduler``, ``controllers``, ``cloud``, ``kubelet``, ``cri``,
``kubeproxy``, ``network``, ``addons``, ``kubectl``), wired by ``cluster``.
"""

from .errors import ApiError

__all__ = ["ApiError", "Cluster"]


def __getattr__(name: str):
    if name == "Cluster":
        from .cluster import Cluster

        return Cluster
    raise AttributeError(name)
