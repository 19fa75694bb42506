"""Manifest commands given an object of a kind the cluster does not serve.

kubectl's resource builder maps each object of ``-f`` to a resource before any request
(staging/src/k8s.io/cli-runtime/pkg/resource/mapper.go: ``resource mapping not found for name: %q
namespace: %q from %q: %w\\nensure CRDs are installed first``); the object fails, the others still run.
"""

from __future__ import annotations

import pytest

from kcourse.sim.cluster import Cluster

MANIFEST = """\
apiVersion: v1
kind: Foo
metadata:
  name: x
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: {name}
data:
  a: b
"""


@pytest.mark.parametrize(
    ("command", "verb"),
    [("create", "creating"), ("apply --server-side", "patching"), ("apply", "creating")],
)
def test_an_unknown_kind_fails_alone_with_the_mapping_error(tmp_path, command: str, verb: str) -> None:
    c = Cluster(seed=1)
    path = tmp_path / "m.yaml"
    path.write_text(MANIFEST.format(name="cm-" + verb))
    out = c.kubectl(f"{command} -f {path}")
    assert (
        f'error when {verb} "{path}": resource mapping not found for name: "x" namespace: "" '
        f'from "{path}": no matches for kind "Foo" in version "v1"\nensure CRDs are installed first\n'
    ) in str(out)
    assert c.kubectl(f"get configmap cm-{verb} -o name").strip() == f"configmap/cm-{verb}"


def test_replace_of_an_unknown_kind_is_the_mapping_error_and_changes_nothing(tmp_path) -> None:
    c = Cluster(seed=1)
    path = tmp_path / "m.yaml"
    path.write_text(MANIFEST.split("---\n")[0])
    before = c.etcd.revision
    out = c.kubectl(f"replace -f {path}")
    assert 'resource mapping not found for name: "x"' in str(out)
    assert c.etcd.revision == before
