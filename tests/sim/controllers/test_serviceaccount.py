"""service-account-controller: a ``default`` ServiceAccount in every namespace."""

from __future__ import annotations


def test_every_system_namespace_has_a_default_service_account(bare):
    namespaces = sorted(ns["metadata"]["name"] for ns in bare.api.items("namespaces"))
    accounts = sorted(
        sa["metadata"]["namespace"]
        for sa in bare.api.items("serviceaccounts", None)
        if sa["metadata"]["name"] == "default"
    )
    assert accounts == namespaces == ["default", "kube-node-lease", "kube-public", "kube-system"]


def test_a_new_namespace_gets_one(bare):
    bare.api.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop"}}, user="admin")
    bare.run_until_stable()
    assert bare.api.peek("serviceaccounts", "default", "shop") is not None


def test_a_deleted_default_account_comes_back(bare):
    old_uid = bare.api.peek("serviceaccounts", "default", "default")["metadata"]["uid"]
    bare.api.delete("serviceaccounts", "default", "default", user="admin")
    bare.run_until_stable()
    assert bare.api.peek("serviceaccounts", "default", "default")["metadata"]["uid"] != old_uid


def test_other_accounts_are_left_alone(bare):
    bare.api.create(
        {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "ci", "namespace": "default"}},
        user="admin",
    )
    bare.run_until_stable()
    bare.api.delete("serviceaccounts", "ci", "default", user="admin")
    bare.run_until_stable()
    assert bare.api.peek("serviceaccounts", "ci", "default") is None
