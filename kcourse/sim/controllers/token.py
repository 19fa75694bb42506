"""tokens-controller and root-ca-cert-publisher: credentials for ServiceAccounts.

A Pod talks to the API server as its ServiceAccount, with a bearer token
and the cluster's CA certificate to trust the server.

* **tokens-controller** fills in Secrets of type
  ``kubernetes.io/service-account-token`` that name their account in the
  annotation ``kubernetes.io/service-account.name``: it adds the account's
  ``kubernetes.io/service-account.uid`` annotation and the ``data`` keys
  ``token`` (a signed JWT), ``ca.crt`` and ``namespace``.  A token Secret
  whose ServiceAccount does not exist is deleted, and so are an account's
  token Secrets when the account is deleted.
* **root-ca-cert-publisher** puts the ConfigMap ``kube-root-ca.crt`` (the
  CA bundle) in every namespace; projected service-account volumes mount it.

Since Kubernetes 1.24 no Secret is created automatically for each
ServiceAccount: the kubelet asks the TokenRequest API for short-lived,
audience-bound tokens and mounts them in a projected volume together with
``kube-root-ca.crt``.  Long-lived Secret tokens exist only when someone
creates such a Secret by hand — the case this controller still serves.  The
2020 chapter's "service accounts and API access tokens" describes the older
scheme.

Simplified: the JWT's header and claims are the real legacy ones, but its
signature is 256 random bytes from the cluster's seeded generator, and the
CA certificate is deterministic filler text in PEM armour, not a real
X.509 certificate.
"""

from __future__ import annotations

import base64
import hashlib
import json

from ..component import Component
from ..controller import Controller
from ..errors import ApiError
from ..host import Host
from ..informer import ResourceEventHandler, SharedInformerFactory

__all__ = [
    "ROOT_CA_CONFIGMAP",
    "SA_TOKEN_TYPE",
    "RootCACertPublisher",
    "TokensController",
    "cluster_ca_cert",
    "legacy_token",
]

SA_TOKEN_TYPE = "kubernetes.io/service-account-token"
SA_NAME_ANNOTATION = "kubernetes.io/service-account.name"
SA_UID_ANNOTATION = "kubernetes.io/service-account.uid"
ROOT_CA_CONFIGMAP = "kube-root-ca.crt"
ROOT_CA_DESCRIPTION = (
    "Contains a CA bundle that can be used to verify the kube-apiserver when using "
    "internal "
    "endpoints such as the internal service IP or kubernetes.default.svc. No other usage "
    "is "
    "guaranteed across distributions of Kubernetes clusters."
)


def cluster_ca_cert(host: Host) -> str:
    """The cluster's CA certificate (PEM text), the same for the same cluster name and seed."""
    seed = f"kubernetes-ca/{host.name}/{host.seed}".encode()
    raw = b"".join(hashlib.sha256(seed + bytes([i])).digest() for i in range(24))
    body = base64.b64encode(raw).decode()
    lines = [body[i : i + 64] for i in range(0, len(body), 64)]
    return "-----BEGIN CERTIFICATE-----\n" + "\n".join(lines) + "\n-----END CERTIFICATE-----\n"


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def legacy_token(host: Host, namespace: str, secret: str, account: str, uid: str) -> str:
    """A JWT shaped like the legacy service-account tokens: header.claims.signature, base64url."""
    kid = _b64url(hashlib.sha256(cluster_ca_cert(host).encode()).digest())
    header = {"alg": "RS256", "kid": kid}
    claims = {
        "iss": "kubernetes/serviceaccount",
        "kubernetes.io/serviceaccount/namespace": namespace,
        "kubernetes.io/serviceaccount/secret.name": secret,
        "kubernetes.io/serviceaccount/service-account.name": account,
        "kubernetes.io/serviceaccount/service-account.uid": uid,
        "sub": f"system:serviceaccount:{namespace}:{account}",
    }
    signature = host.rng.getrandbits(2048).to_bytes(256, "big")
    parts = [
        json.dumps(header, separators=(",", ":")).encode(),
        json.dumps(claims, separators=(",", ":")).encode(),
    ]
    return ".".join([_b64url(parts[0]), _b64url(parts[1]), _b64url(signature)])


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


class TokensController(Controller):
    """Keys are token Secrets (``namespace/name``); also runs the root-ca-cert-publisher."""

    name = "tokens-controller"

    def __init__(self, manager: Component, informers: SharedInformerFactory):
        super().__init__(manager, informers)
        self.accounts = self.informer("serviceaccounts")
        self.secrets = self.informer("secrets")
        if "serviceAccount" not in self.secrets.indexers:
            self.secrets.add_indexer("serviceAccount", _account_index)
        self.secrets.add_event_handler(
            ResourceEventHandler(self._secret, lambda _old, new: self._secret(new))
        )
        self.accounts.add_event_handler(ResourceEventHandler(on_delete=self._account_deleted))
        self.root_ca_publisher = RootCACertPublisher(manager, informers)

    def _secret(self, secret: dict) -> None:
        if secret.get("type") == SA_TOKEN_TYPE and not _populated(secret):
            self.enqueue(secret)

    def _account_deleted(self, sa: dict) -> None:
        for secret in self.secrets.by_index(
            "serviceAccount", f"{sa['metadata']['namespace']}/{sa['metadata']['name']}"
        ):
            self.enqueue(secret)

    def run(self) -> None:
        super().run()
        self.root_ca_publisher.run()

    def stop(self) -> None:
        super().stop()
        self.root_ca_publisher.stop()

    def sync_handler(self, key: str) -> str | None:
        secret = self.secrets.get(key)
        if secret is None or secret.get("type") != SA_TOKEN_TYPE:
            return None
        md = secret["metadata"]
        ns, account = md["namespace"], (md.get("annotations") or {}).get(SA_NAME_ANNOTATION, "")
        sa = self.accounts.get(f"{ns}/{account}")
        want_uid = (md.get("annotations") or {}).get(SA_UID_ANNOTATION)
        if sa is None or (want_uid and want_uid != sa["metadata"]["uid"]):
            try:
                self.client.delete("secrets", md["name"], ns)
            except ApiError as err:
                if err.code != 404:
                    raise
            return f"deleted token secret {key}: service account {ns}/{account or '?'} does not exist"
        data = secret.get("data") or {}
        if _populated(secret):
            return f"token secret {key} is populated"
        uid = sa["metadata"]["uid"]
        new = {
            **secret,
            "metadata": {**md, "annotations": {**(md.get("annotations") or {}), SA_UID_ANNOTATION: uid}},
            "data": {
                **data,
                "ca.crt": _b64(cluster_ca_cert(self.host)),
                "namespace": _b64(ns),
                "token": _b64(legacy_token(self.host, ns, md["name"], account, uid)),
            },
        }
        self.client.update(new)
        return f"populated token secret {key} for service account {ns}/{account}"


def _populated(secret: dict) -> bool:
    data = secret.get("data") or {}
    return bool((secret["metadata"].get("annotations") or {}).get(SA_UID_ANNOTATION)) and all(
        data.get(k) for k in ("token", "ca.crt", "namespace")
    )


def _account_index(secret: dict) -> list[str]:
    if secret.get("type") != SA_TOKEN_TYPE:
        return []
    md = secret["metadata"]
    account = (md.get("annotations") or {}).get(SA_NAME_ANNOTATION)
    return [f"{md['namespace']}/{account}"] if account else []


class RootCACertPublisher(Controller):
    """Keys are namespace names: each active namespace gets ``kube-root-ca.crt`` with the CA bundle."""

    name = "root-ca-cert-publisher"

    def __init__(self, manager: Component, informers: SharedInformerFactory):
        super().__init__(manager, informers)
        self.namespaces = self.informer("namespaces")
        self.configmaps = self.informer("configmaps")
        self.namespaces.add_event_handler(
            ResourceEventHandler(self.enqueue, lambda _old, new: self.enqueue(new))
        )
        self.configmaps.add_event_handler(
            ResourceEventHandler(None, lambda _old, new: self._configmap(new), self._configmap)
        )

    def _configmap(self, cm: dict) -> None:
        if cm["metadata"]["name"] == ROOT_CA_CONFIGMAP:
            self.queue.add(cm["metadata"]["namespace"])

    def sync_handler(self, key: str) -> str | None:
        ns = self.namespaces.get(key)
        if ns is None or ns["status"].get("phase") != "Active":
            return f"namespace {key} is not active"
        data = {"ca.crt": cluster_ca_cert(self.host)}
        cm = self.configmaps.get(f"{key}/{ROOT_CA_CONFIGMAP}")
        if cm is None:
            try:
                described = {"kubernetes.io/description": ROOT_CA_DESCRIPTION}
                self.client.create(
                    {
                        "apiVersion": "v1",
                        "kind": "ConfigMap",
                        "metadata": {"name": ROOT_CA_CONFIGMAP, "namespace": key, "annotations": described},
                        "data": data,
                    }
                )
            except ApiError as err:
                if err.code in (403, 409):
                    return f"could not create {key}/{ROOT_CA_CONFIGMAP}: {err}"
                raise
            return f"created ConfigMap {key}/{ROOT_CA_CONFIGMAP}"
        if cm.get("data") == data:
            return f"{key}/{ROOT_CA_CONFIGMAP} is current"
        self.client.update({**cm, "data": data})
        return f"updated ConfigMap {key}/{ROOT_CA_CONFIGMAP}"
