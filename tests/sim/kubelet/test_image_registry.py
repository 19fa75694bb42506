"""The registry a cluster pulls from: its catalog, names as the runtime parses them, and a learner's
pushes."""

from __future__ import annotations

import re

import pytest

import kcourse
from kcourse.sim.cri import CriError
from kcourse.sim.registry import ImageReferenceError, Registry, parse_reference


@pytest.fixture
def reg() -> Registry:
    return Registry()


@pytest.mark.parametrize(
    "image",
    [
        "nginx",
        "nginx:1.27",
        "nginx:1.25",
        "busybox:1.36",
        "redis:7",
        "httpd:2.4",
        "registry.k8s.io/pause:3.10",
        "registry.k8s.io/coredns/coredns:v1.11.3",
        "registry.k8s.io/kube-proxy:v1.32.0",
        "registry.k8s.io/etcd:3.5.16-0",
        "docker.io/library/nginx:1.27",
        "library/nginx:1.27",
    ],
)
def test_the_catalog_holds_the_images_the_course_and_tutorials_use(reg, image):
    m = reg.resolve(image)
    assert re.fullmatch(r"sha256:[0-9a-f]{64}", m.digest) and m.size > 0
    assert m.repo_digest.startswith(m.repository + "@sha256:")


def test_every_tag_has_its_own_digest_and_the_catalog_is_the_same_in_every_registry(reg):
    digests = [reg.lookup(f"{repo}:{tag}").digest for repo in reg.repositories() for tag in reg.tags(repo)]
    assert len(digests) == len(set(digests)) > 100
    other = Registry()
    assert [other.lookup(f"{r}:{t}") for r in other.repositories() for t in other.tags(r)] == [
        reg.lookup(f"{r}:{t}") for r in reg.repositories() for t in reg.tags(r)
    ]


@pytest.mark.parametrize(
    ("image", "expected"),
    [
        ("nginx", "docker.io/library/nginx:latest"),
        ("nginx:1.27", "docker.io/library/nginx:1.27"),
        ("bitnami/redis:7.2", "docker.io/bitnami/redis:7.2"),
        ("localhost:5000/app", "localhost:5000/app:latest"),
        ("registry.k8s.io/etcd:3.5.16-0", "registry.k8s.io/etcd:3.5.16-0"),
        ("nginx@sha256:" + "a" * 64, "docker.io/library/nginx@sha256:" + "a" * 64),
    ],
)
def test_names_are_normalised_as_the_runtime_does(image, expected):
    """distribution/reference ``ParseNormalizedNamed``: docker.io and library/ are implied, latest is the
    default tag."""
    assert str(parse_reference(image)) == expected


@pytest.mark.parametrize(
    ("image", "message"),
    [
        ("Nginx", "invalid reference format: repository name (library/Nginx) must be lowercase"),
        ("nginx:", "invalid reference format"),
        ("nginx::1", "invalid reference format"),
        ("", "invalid reference format"),
        ("a" * 64, f"invalid repository name ({'a' * 64}), cannot specify 64-byte hexadecimal strings"),
    ],
)
def test_names_the_runtime_cannot_parse_say_why(image, message):
    with pytest.raises(ImageReferenceError) as err:
        parse_reference(image)
    assert str(err.value) == message


def test_a_missing_tag_of_a_known_repository_is_not_found(reg):
    with pytest.raises(CriError) as err:
        reg.resolve("redis:99")
    assert err.value.code == "NotFound"
    assert str(err.value).endswith(
        'failed to resolve reference "docker.io/library/redis:99": docker.io/library/redis:99: not found'
    )


def test_push_adds_an_image_with_a_digest_and_pushing_again_gives_a_new_one(reg):
    first = reg.push("myapp:1.0", size=7_000_000)
    assert reg.resolve("myapp:1.0") == first and first.repository == "docker.io/library/myapp"
    second = reg.push("myapp:1.0", size=7_000_000)
    assert second.digest != first.digest and reg.lookup("myapp:1.0") == second
    assert reg.tags("myapp") == ["1.0"]


def test_push_to_a_private_registry_makes_its_host_known(reg):
    with pytest.raises(CriError, match="no such host"):
        reg.resolve("registry.local:5000/team/api:2")
    reg.push("registry.local:5000/team/api:2")
    assert reg.resolve("registry.local:5000/team/api:2").repository == "registry.local:5000/team/api"


@pytest.mark.parametrize(
    ("image", "kw", "text"),
    [
        ("MyApp:1", {}, "must be lowercase"),
        ("myapp@sha256:" + "b" * 64, {}, "push a tag"),
        ("myapp:1", {"size": 0}, "size must be a positive number"),
        ("myapp:1", {"size": "big"}, "size must be a positive number"),
        ("myapp:1", {"serves": {"port": 80}}, "serves must be a list"),
        ("myapp:1", {"serves": [{"port": 70000}]}, "port must be a number between 1 and 65535"),
        ("myapp:1", {"serves": [{"port": 80, "protocol": "SCTP"}]}, "protocol must be one of"),
        (
            "myapp:1",
            {"serves": [{"port": 80, "paths": {"healthz": 200}}]},
            "paths must map paths that start with '/'",
        ),
        ("myapp:1", {"serves": [{"port": 80, "paths": {"/": "ok"}}]}, "path / must answer a status code"),
        ("myapp:1", {"serves": [5]}, "serves must be a list"),
        ("myapp:1", {"serves": [{"port": 80, "latency": -1}]}, "latency must be a number of seconds"),
    ],
)
def test_bad_pushes_are_refused_and_change_nothing(reg, image, kw, text):
    before = reg.repositories()
    with pytest.raises(ValueError, match=re.escape(text)):
        reg.push(image, **kw)
    assert reg.repositories() == before and "myapp:1" not in reg


def test_each_cluster_owns_its_registry():
    a = kcourse.Cluster(masters=1, workers=1, addons=False, seed=0)
    b = kcourse.Cluster(masters=1, workers=1, addons=False, seed=0)
    a.registry.push("mine:1")
    assert "mine:1" in a.registry and "mine:1" not in b.registry
    assert a.kubelet("worker-1").cri.registry is a.registry


def test_the_catalog_ships_with_the_package():
    """The catalog is package data: a wheel built from pyproject.toml carries it next to the code that reads
    it."""
    import fnmatch
    import tomllib
    from pathlib import Path

    root = Path(__file__).resolve().parents[3]
    globs = tomllib.loads((root / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"][
        "kcourse.sim"
    ]
    assert any(fnmatch.fnmatch("data/images.json", g) for g in globs)
    assert (root / "kcourse" / "sim" / "data" / "images.json").is_file()


def test_an_image_name_parses_to_the_same_reference_and_a_bad_one_fails_every_time():
    assert parse_reference("nginx:1.27") is parse_reference("nginx:1.27")
    assert str(parse_reference("nginx:1.27")) == "docker.io/library/nginx:1.27"
    for bad in ("Nginx:1", "nginx::1", ""):
        for _ in range(2):
            with pytest.raises(ImageReferenceError, match="invalid reference format"):
                parse_reference(bad)
    with pytest.raises(ImageReferenceError, match="invalid reference format"):
        parse_reference(["not", "a", "name"])  # type: ignore[arg-type]
