"""Bad manifests, from Python (``Cluster.apply``) and from the command line (``kubectl apply -f``).

Each file under ``manifests/`` is one bad input — broken YAML, wrong types,
missing fields, names that are not DNS-1123, unknown kinds, huge values,
alias bombs, duplicate keys, Python tags that would run code — and starts
with ``# expect: <fragment>`` naming the error it must get.  The refusal
must be the library's own error (never another exception), carry a clear
message, and leave the store at the same revision.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import kcourse
from kcourse.sim.kubectl import Kubectl
from kcourse.sim.manifests import MAX_MANIFEST_BYTES

from .conftest import CORPUS, assert_clear, expectation

FILES = sorted((CORPUS / "manifests").glob("*.yaml"))


def _text(path: Path, marker: Path) -> str:
    return path.read_text(encoding="utf-8").replace("{MARKER}", str(marker))


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_apply_refuses(path: Path, cluster: kcourse.Cluster, marker: Path) -> None:
    revision = cluster.etcd.revision
    with pytest.raises(kcourse.ApiError) as err:
        cluster.apply(_text(path, marker))
    assert expectation(path) in str(err.value)
    assert_clear(str(err.value))
    assert 400 <= err.value.code < 500, err.value
    assert cluster.etcd.revision == revision


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_kubectl_apply_f_refuses(path: Path, cluster: kcourse.Cluster, marker: Path, tmp_path: Path) -> None:
    manifest = tmp_path / path.name
    manifest.write_text(_text(path, marker), encoding="utf-8")
    revision = cluster.etcd.revision
    code, out, err = Kubectl(cluster).run_full(["apply", "-f", str(manifest)])
    assert code == 1
    assert out == ""
    assert err.startswith(("error: ", "Error from server", "The ")), err
    assert expectation(path) in err
    assert_clear(err)
    assert cluster.etcd.revision == revision


def test_a_manifest_over_the_request_limit_is_refused_before_parsing(cluster: kcourse.Cluster) -> None:
    revision = cluster.etcd.revision
    huge = (
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: big}\ndata:\n  x: '"
        + "a" * MAX_MANIFEST_BYTES
        + "'\n"
    )
    with pytest.raises(kcourse.ApiError, match="larger than the API server's limit"):
        cluster.apply(huge)
    assert cluster.etcd.revision == revision


@pytest.mark.parametrize(
    "value",
    [None, 42, 3.5, object(), b"\xff\xfe\x00", {"kind": "Pod"}, [[]]],
    ids=["none", "int", "float", "object", "bad-utf8", "no-apiversion", "nested-list"],
)
def test_apply_refuses_what_is_not_a_manifest(value: object, cluster: kcourse.Cluster) -> None:
    revision = cluster.etcd.revision
    with pytest.raises(kcourse.ApiError) as err:
        cluster.apply(value)
    assert_clear(str(err.value))
    assert cluster.etcd.revision == revision


def test_templates_in_quoted_strings_are_plain_data(cluster: kcourse.Cluster, marker: Path) -> None:
    """``{{ }}`` and ``$( )`` inside a string are characters, not something to expand or run."""
    value = f"{{{{ lookup('pipe', 'touch {marker}') }}}} $(touch {marker}) `touch {marker}` ${{HOME}}"
    stored = cluster.apply(
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "templated"}, "data": {"cmd": value}}
    )
    assert stored["data"]["cmd"] == value
    assert cluster.get("configmaps", "templated")["data"]["cmd"] == value
