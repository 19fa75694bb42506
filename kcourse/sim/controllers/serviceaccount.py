"""service-account-controller: a ``default`` ServiceAccount in every namespace.

Every Pod runs as some ServiceAccount, and the API server's ServiceAccount
admission sets ``spec.serviceAccountName: default`` when a manifest names
none — so each namespace needs one called ``default``.  This controller
watches Namespaces and ServiceAccounts: a new (active) namespace gets
``default``, and a deleted ``default`` comes straight back.  Namespaces
being terminated are left alone (the API server refuses new content there).

Since Kubernetes 1.24 the ServiceAccount no longer lists token Secrets:
pods get short-lived tokens through the TokenRequest API (see
:mod:`kcourse.sim.controllers.token`).
"""

from __future__ import annotations

from ..component import Component
from ..controller import Controller
from ..errors import ApiError
from ..informer import ResourceEventHandler, SharedInformerFactory

__all__ = ["MANAGED_SERVICE_ACCOUNTS", "ServiceAccountsController"]

MANAGED_SERVICE_ACCOUNTS = ("default",)


class ServiceAccountsController(Controller):
    """Keys are namespace names; each sync makes sure the managed accounts exist."""

    name = "service-account-controller"

    def __init__(self, manager: Component, informers: SharedInformerFactory):
        super().__init__(manager, informers)
        self.namespaces = self.informer("namespaces")
        self.accounts = self.informer("serviceaccounts")
        self.namespaces.add_event_handler(
            ResourceEventHandler(self.enqueue, lambda _old, new: self.enqueue(new))
        )
        self.accounts.add_event_handler(ResourceEventHandler(on_delete=self._account_deleted))

    def _account_deleted(self, sa: dict) -> None:
        if sa["metadata"]["name"] in MANAGED_SERVICE_ACCOUNTS:
            self.queue.add(sa["metadata"]["namespace"])

    def sync_handler(self, key: str) -> str | None:
        ns = self.namespaces.get(key)
        if ns is None or ns["status"].get("phase") != "Active":
            return f"namespace {key} is not active"
        created = []
        for name in MANAGED_SERVICE_ACCOUNTS:
            if self.accounts.get(f"{key}/{name}") is not None:
                continue
            try:
                self.client.create(
                    {
                        "apiVersion": "v1",
                        "kind": "ServiceAccount",
                        "metadata": {"name": name, "namespace": key},
                    }
                )
            except ApiError as err:
                if err.code == 409:  # the cache was behind: it exists already
                    continue
                if err.code == 403:  # the namespace started terminating meanwhile
                    return f"namespace {key} is terminating"
                raise
            created.append(name)
        if not created:
            return f"namespace {key} has its service accounts"
        return f"created ServiceAccount {', '.join(f'{key}/{n}' for n in created)}"
