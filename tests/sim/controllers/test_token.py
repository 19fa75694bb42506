"""tokens-controller and root-ca-cert-publisher."""

from __future__ import annotations

import base64
import json

import kcourse
from kcourse.sim.controllers.token import cluster_ca_cert


def token_secret(name: str, account: str = "default") -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "type": "kubernetes.io/service-account-token",
        "metadata": {
            "name": name,
            "namespace": "default",
            "annotations": {"kubernetes.io/service-account.name": account},
        },
    }


def decode(value: str) -> str:
    return base64.b64decode(value).decode()


def claims(jwt: str) -> dict:
    payload = jwt.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def test_a_token_secret_is_populated(bare):
    bare.api.create(token_secret("build-robot-token"), user="admin")
    bare.run_until_stable()
    secret = bare.api.peek("secrets", "build-robot-token", "default")
    sa = bare.api.peek("serviceaccounts", "default", "default")
    assert secret["metadata"]["annotations"]["kubernetes.io/service-account.uid"] == sa["metadata"]["uid"]
    assert decode(secret["data"]["namespace"]) == "default"
    assert decode(secret["data"]["ca.crt"]).startswith("-----BEGIN CERTIFICATE-----\n")
    token = decode(secret["data"]["token"])
    assert token.count(".") == 2
    assert claims(token)["sub"] == "system:serviceaccount:default:default"
    assert claims(token)["kubernetes.io/serviceaccount/secret.name"] == "build-robot-token"


def test_tokens_are_the_same_for_the_same_seed():
    def token() -> str:
        c = kcourse.Cluster(masters=1, workers=0, addons=False, cloud=False, seed=7)
        c.api.create(token_secret("t"), user="admin")
        c.run_until_stable()
        return c.api.peek("secrets", "t", "default")["data"]["token"]

    assert token() == token()


def test_a_token_secret_for_a_missing_account_is_deleted(bare):
    bare.api.create(token_secret("orphan", account="nobody"), user="admin")
    bare.run_until_stable()
    assert bare.api.peek("secrets", "orphan", "default") is None


def test_deleting_an_account_deletes_its_token_secrets(bare):
    bare.api.create(
        {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "ci", "namespace": "default"}},
        user="admin",
    )
    bare.api.create(token_secret("ci-token", account="ci"), user="admin")
    bare.run_until_stable()
    assert bare.api.peek("secrets", "ci-token", "default")["data"]["token"]
    bare.api.delete("serviceaccounts", "ci", "default", user="admin")
    bare.run_until_stable()
    assert bare.api.peek("secrets", "ci-token", "default") is None


def test_every_namespace_has_the_root_ca_configmap(bare):
    bare.api.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop"}}, user="admin")
    bare.run_until_stable()
    for ns in ("default", "kube-node-lease", "kube-public", "kube-system", "shop"):
        cm = bare.api.peek("configmaps", "kube-root-ca.crt", ns)
        assert cm["data"] == {"ca.crt": cluster_ca_cert(bare)}


def test_an_edited_root_ca_configmap_is_restored(bare):
    cm = dict(bare.api.peek("configmaps", "kube-root-ca.crt", "default"), data={"ca.crt": "tampered"})
    bare.api.update(cm, user="admin")
    bare.run_until_stable()
    assert bare.api.peek("configmaps", "kube-root-ca.crt", "default")["data"]["ca.crt"] == cluster_ca_cert(
        bare
    )
