"""Reading manifests: real ones load as they are; unsafe or malformed ones are refused with kubectl's
words."""

from __future__ import annotations

from pathlib import Path

import pytest

from kcourse import ApiError
from kcourse.sim.manifests import MAX_MANIFEST_BYTES, load_manifests

MANIFESTS = Path(__file__).parent.parent / "manifests"


def test_nginx_deployment_from_the_docs_loads_as_is():
    [d] = load_manifests(MANIFESTS / "nginx-deployment.yaml")
    assert (d["apiVersion"], d["kind"], d["metadata"]["name"]) == (
        "apps/v1",
        "Deployment",
        "nginx-deployment",
    )
    assert d["spec"]["replicas"] == 3
    assert d["spec"]["template"]["spec"]["containers"][0] == {
        "name": "nginx",
        "image": "nginx:1.14.2",
        "ports": [{"containerPort": 80}],
    }


def test_a_path_given_as_text_is_read():
    assert load_manifests(str(MANIFESTS / "pod.yaml"))[0]["kind"] == "Pod"


def test_service_manifest_loads():
    [svc] = load_manifests(MANIFESTS / "service.yaml")
    assert svc["spec"]["ports"] == [{"protocol": "TCP", "port": 80, "targetPort": 9376}]


def test_multi_document_file_gives_every_object_in_order():
    objs = load_manifests(MANIFESTS / "web.yaml")
    assert [o["kind"] for o in objs] == ["Deployment", "Service"]


def test_directory_reads_its_manifest_files_in_name_order():
    names = [o["metadata"]["name"] for o in load_manifests(MANIFESTS)]
    assert names == ["nginx-deployment", "nginx", "my-service", "web", "web"]


def test_empty_documents_are_skipped():
    assert load_manifests("---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: a\n---\n") == [
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "a"}}
    ]


def test_kind_list_is_flattened():
    text = (
        '{"apiVersion": "v1", "kind": "List", "items": [{"apiVersion": "v1", "kind": "Namespace", '
        '"metadata": {"name": "a"}}, {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "b"}}]}'
    )
    assert [o["metadata"]["name"] for o in load_manifests(text)] == ["a", "b"]


def test_dict_and_list_inputs():
    ns = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "a"}}
    assert load_manifests(ns) == [ns]
    assert load_manifests([ns, ns]) == [ns, ns]


def test_unquoted_dates_become_rfc3339_timestamps_as_kubectl_sends_them():
    """go-yaml v2 resolves an unquoted date as a timestamp and ``YAMLToJSON`` writes the ``time.Time``
    in RFC 3339 (sigs.k8s.io/yaml v1.4.0 ``goyaml.v2/resolve.go`` ``parseTimestamp``); quoted stays text."""
    [cm] = load_manifests(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  when: 2025-01-01\n"
        "  at: 2025-1-2 3:04:05.50\n  quoted: '2025-01-01'\n  version: 1.10\n"
    )
    assert cm["data"] == {
        "when": "2025-01-01T00:00:00Z",
        "at": "2025-01-02T03:04:05.5Z",
        "quoted": "2025-01-01",
        "version": 1.1,
    }


def test_yaml_1_1_words_and_odd_numbers_read_as_go_yaml_reads_them():
    """``y``/``off`` are booleans; ``0x_``, ``1:20`` and a 400-digit integer stay strings (go-yaml v2
    ``resolve``)."""
    [obj] = load_manifests(
        "apiVersion: v1\nkind: X\na: [y, off, 0x_, '1', 1:20, 0x1F, 010, 1_000, "
        + "9" * 400
        + ", 100000000000000000000000]\n"
    )
    assert obj["a"] == [True, False, "0x_", "1", "1:20", 31, 8, 1000, "9" * 400, 1e23]


def _error(text: str) -> str:
    with pytest.raises(ApiError) as info:
        load_manifests(text, filename="bad.yaml")
    assert info.value.code == 400 and info.value.reason == "BadRequest"
    return info.value.message


def test_missing_api_version_and_kind_use_kubectls_validation_message():
    assert _error("metadata:\n  name: a\n") == (
        'error validating "bad.yaml": error validating data: [apiVersion not set, kind not set]; if you '
        "choose to ignore these errors, turn validation off with --validate=false"
    )


def test_missing_kind_alone():
    assert "error validating data: kind not set;" in _error("apiVersion: v1\nmetadata:\n  name: a\n")


def test_non_mapping_document_is_refused():
    assert _error("- a\n- b\n") == (
        'unable to decode "bad.yaml": json: cannot unmarshal array into Go value of '
        "type unstructured.detector"
    )


def test_duplicate_key_names_both_lines():
    message = _error("apiVersion: v1\nkind: Pod\nmetadata:\n  name: a\n  name: b\n")
    assert message == (
        "error parsing bad.yaml: error converting YAML to JSON: yaml: unmarshal errors:\n"
        '  line 5: mapping key "name" already defined at line 4'
    )


def test_python_tags_are_refused():
    message = _error("apiVersion: v1\nkind: Pod\nmetadata: !!python/object/apply:os.system ['echo hi']\n")
    assert message.startswith("error parsing bad.yaml: error converting YAML to JSON: yaml: line 3:")
    assert "python/object/apply:os.system" in message


def test_custom_tags_are_refused():
    assert "'!foo' is not allowed" in _error("apiVersion: v1\nkind: Pod\nmetadata: !foo {name: a}\n")


def test_alias_bomb_is_refused():
    lines = [
        "apiVersion: v1",
        "kind: ConfigMap",
        "metadata: {name: a}",
        "data:",
        '  a: &a ["x","x","x","x","x"]',
    ]
    prev = "a"
    for name in "bcdefghij":
        lines.append(f"  {name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]")
        prev = name
    assert _error("\n".join(lines) + "\n").endswith("yaml: document contains excessive aliasing")


def test_small_aliases_are_fine():
    text = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, labels: &l {x: z}, annotations: *l}\n"
    assert load_manifests(text)[0]["metadata"]["annotations"] == {"x": "z"}


def test_huge_document_is_refused():
    text = (
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata:\n  x: " + "a" * MAX_MANIFEST_BYTES + "\n"
    )
    assert "larger than the API server's limit" in _error(text)


def test_syntax_error_carries_the_line():
    assert _error("apiVersion: v1\nkind: Pod\nmetadata:\n  name: [a\n").startswith(
        "error parsing bad.yaml: error converting YAML to JSON: yaml: line "
    )


def test_missing_path_is_an_error():
    with pytest.raises(ApiError, match='the path "nope.yaml" does not exist'):
        load_manifests("nope.yaml")
