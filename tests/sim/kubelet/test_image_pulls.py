"""Image pulls as a learner meets them: images that exist, names that do not, pull policies and back-off."""

from __future__ import annotations

import itertools
import re

import pytest

import kcourse


def small(seed: int = 0) -> kcourse.Cluster:
    return kcourse.Cluster(masters=1, workers=1, addons=False, seed=seed)


def pod(name: str = "web", image: str = "nginx:1.27", **container) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name},
        "spec": {"nodeName": "worker-1", "containers": [{"name": "app", "image": image, **container}]},
    }


def events(c: kcourse.Cluster, name: str) -> list[tuple[str, str, str]]:
    obj = c.api.peek("pods", name, "default")
    return [(e["type"], e["reason"], e["message"]) for e in c.api.events_for(obj)]


def count(c: kcourse.Cluster, name: str, reason: str) -> int:
    """How many times the kubelet reported ``reason`` (repeats of one event bump its count)."""
    obj = c.api.peek("pods", name, "default")
    return sum(e.get("count", 1) for e in c.api.events_for(obj) if e["reason"] == reason)


def until_waiting(c: kcourse.Cluster, name: str, reason: str, seconds: float = 30) -> None:
    """Step until the container waits with ``reason`` (what ``kubectl get pod -w`` would show)."""
    assert c.run_until(lambda: waiting(c, name).get("reason") == reason, c.now + seconds), f"never {reason}"


def waiting(c: kcourse.Cluster, name: str) -> dict:
    statuses = c.api.peek("pods", name, "default")["status"].get("containerStatuses") or [{"state": {}}]
    return statuses[0]["state"].get("waiting", {})


@pytest.fixture
def c() -> kcourse.Cluster:
    return small()


def test_a_tag_the_registry_does_not_hold_fails_with_err_image_pull_and_the_runtimes_text(c):
    """pkg/kubelet/images/image_manager.go: ``Failed to pull image %q: %v`` (event Failed), ErrImagePull with
    the error as the waiting message; kuberuntime_container.go records ``Error: ErrImagePull``.  containerd's
    text for a missing tag: ``failed to resolve reference …: not found`` (gRPC NotFound)."""
    c.apply(pod(image="nginx:doesnotexist"))
    until_waiting(c, "web", "ErrImagePull")
    ref = "docker.io/library/nginx:doesnotexist"
    error = (
        f'rpc error: code = NotFound desc = failed to pull and unpack image "{ref}": failed to resolve '
        f'reference "{ref}": {ref}: not found'
    )
    assert events(c, "web") == [
        ("Normal", "Pulling", 'Pulling image "nginx:doesnotexist"'),
        ("Warning", "Failed", f'Failed to pull image "nginx:doesnotexist": {error}'),
        ("Warning", "Failed", "Error: ErrImagePull"),
    ]
    assert waiting(c, "web") == {"reason": "ErrImagePull", "message": error}
    assert c.kubectl("get pod web").splitlines()[1].split()[2] == "ErrImagePull"


def test_the_next_sync_finds_the_pull_in_back_off_and_keeps_the_pull_error_in_the_message(c):
    """image_manager.go: in back-off, event BackOff ``Back-off pulling image %q`` and ErrImagePullBackOff
    whose message wraps the previous pull's error (``prevPullErrMsg``: ``<msg>: ErrImagePull: <error>``)."""
    c.apply(pod(image="nginx:doesnotexist"))
    until_waiting(c, "web", "ImagePullBackOff")
    state = waiting(c, "web")
    assert state["reason"] == "ImagePullBackOff"
    assert state["message"].startswith(
        'Back-off pulling image "nginx:doesnotexist": ErrImagePull: rpc error: code '
        "= NotFound desc = failed to pull and unpack image"
    )
    assert events(c, "web")[-2:] == [
        ("Normal", "BackOff", 'Back-off pulling image "nginx:doesnotexist"'),
        ("Warning", "Failed", "Error: ImagePullBackOff"),
    ]
    assert "ImagePullBackOff" in c.kubectl("get pod web")


def test_pull_attempts_back_off_10_20_40_seconds_up_to_300():
    """kubelet.go: ``imageBackOff := flowcontrol.NewBackOff(backOffPeriod, MaxContainerBackOff)`` — 10 s
    doubling to 300 s (client-go util/flowcontrol/backoff.go ``Next``)."""
    c = small()
    c.apply(pod(image="nginx:doesnotexist"))
    trace = c.run(until=c.now + 1500)
    pulls = [e.time for e in trace if e.key == "default/web" and e.message.startswith("PullImage")]
    gaps = [round(b - a, 1) for a, b in itertools.pairwise(pulls)]
    latency = 0.41  # ImageStatus and the failed resolve take this long after the back-off ends
    assert [round(g - latency) for g in gaps[:6]] == [10, 20, 40, 80, 160, 300]
    assert all(round(g - latency) == 300 for g in gaps[6:])


def test_a_misspelt_docker_hub_repository_is_pull_access_denied(c):
    """containerd resolving a Docker Hub repository that does not exist gets 401 insufficient_scope: the
    familiar "pull access denied, repository does not exist or may require authorization"."""
    c.apply(pod(image="ngnix"))
    until_waiting(c, "web", "ErrImagePull")
    message = waiting(c, "web")["message"]
    assert message == (
        'rpc error: code = Unknown desc = failed to pull and unpack image "docker.io/library/ngnix:latest": '
        'failed to resolve reference "docker.io/library/ngnix:latest": pull access denied, repository '
        "does not exist or may require authorization: server message: insufficient_scope: "
        "authorization failed"
    )


def test_an_unknown_registry_host_cannot_be_resolved(c):
    c.apply(pod(image="registry.example.invalid/team/app:1.0"))
    until_waiting(c, "web", "ErrImagePull")
    message = waiting(c, "web")["message"]
    assert message.endswith(
        'failed to do request: Head "https://registry.example.invalid/v2/team/app/manifests/1.0": '
        "dial tcp: lookup registry.example.invalid: no such host"
    )
    assert message.startswith("rpc error: code = Unknown desc = ")


@pytest.mark.parametrize(
    ("image", "text"),
    [
        ("Nginx:1.27", "invalid reference format: repository name (library/Nginx) must be lowercase"),
        ("nginx:1.27:bad", "invalid reference format"),
        ("nginx:", "invalid reference format"),
    ],
)
def test_a_name_that_cannot_be_parsed_is_invalid_image_name_and_is_never_pulled(c, image, text):
    """image_manager.go: ``applyDefaultImageTag`` fails → event InspectFailed ``Failed to apply default image
    tag %q: couldn't parse image reference %q: <err>`` and ErrInvalidImageName; distribution/reference's
    texts."""
    c.apply(pod(image=image))
    c.run(until=c.now + 25)
    msg = f'Failed to apply default image tag "{image}": couldn\'t parse image reference "{image}": {text}'
    assert waiting(c, "web") == {"reason": "InvalidImageName", "message": msg}
    assert ("Warning", "InspectFailed", msg) in events(c, "web")
    assert ("Warning", "Failed", "Error: InvalidImageName") in events(c, "web")
    assert not [
        e
        for e in c.kubelet("worker-1").cri.calls
        if e.rpc in ("PullImage", "ImageStatus") and e.subject == "default/web"
    ]


def test_pull_policy_never_without_the_image_is_err_image_never_pull(c):
    """image_manager.go ``shouldPullImage``: PullNever and not present → event ErrImageNeverPull ``Container
    image %q is not present with pull policy of Never``; the worker tries again on its next sync."""
    c.apply(pod(image="redis:7", imagePullPolicy="Never"))
    c.run(until=c.now + 25)
    msg = 'Container image "redis:7" is not present with pull policy of Never'
    assert waiting(c, "web") == {"reason": "ErrImageNeverPull", "message": msg}
    assert ("Warning", "ErrImageNeverPull", msg) in events(c, "web")
    assert count(c, "web", "ErrImageNeverPull") == 3  # at 0, 10 and 20 s
    assert ("Warning", "Failed", "Error: ErrImageNeverPull") in events(c, "web")


def test_pull_policy_never_uses_an_image_already_on_the_node(c):
    c.apply(pod("first", image="redis:7"))
    c.run_until_stable()
    c.apply(pod("second", image="redis:7", imagePullPolicy="Never"))
    c.run_until_stable()
    assert ("Normal", "Pulled", 'Container image "redis:7" already present on machine') in events(c, "second")
    assert c.api.peek("pods", "second", "default")["status"]["phase"] == "Running"


def test_pull_policy_always_pulls_an_image_that_is_present(c):
    """image_manager.go: PullAlways pulls whether or not the image is present."""
    c.apply(pod("first", image="redis:7"))
    c.run_until_stable()
    c.apply(pod("second", image="redis:7", imagePullPolicy="Always"))
    c.run_until_stable()
    reasons = [r for _, r, _ in events(c, "second")]
    assert reasons[:2] == ["Pulling", "Pulled"]


def test_a_successful_pull_reports_the_catalogs_size_and_the_digest_becomes_the_image_id(c):
    """image_manager.go: ``Successfully pulled image %q in %v (%v including waiting). Image size: %v
    bytes.``"""
    c.apply(pod(image="busybox:1.36", command=["sleep", "3600"]))
    c.run_until_stable()
    manifest = c.registry.lookup("busybox:1.36")
    pulled = next(m for _, r, m in events(c, "web") if r == "Pulled")
    assert re.fullmatch(
        r'Successfully pulled image "busybox:1\.36" in [0-9.]+m?s \([0-9.]+m?s including waiting\)\. '
        rf"Image size: {manifest.size} bytes\.",
        pulled,
    )
    status = c.api.peek("pods", "web", "default")["status"]["containerStatuses"][0]
    assert status["imageID"] == f"docker.io/library/busybox@{manifest.digest}"


def test_an_image_pulled_by_digest_runs_and_an_unknown_digest_is_not_found(c):
    digest = c.registry.lookup("nginx:1.27").digest
    c.apply(pod("bydigest", image=f"nginx@{digest}"))
    c.apply(pod("nodigest", image="nginx@sha256:" + "0" * 64))
    c.run(until=c.now + 10)
    assert c.api.peek("pods", "bydigest", "default")["status"]["phase"] == "Running"
    message = waiting(c, "nodigest")["message"]
    assert message.endswith(f"docker.io/library/nginx@sha256:{'0' * 64}: not found")


def test_an_image_pushed_from_a_notebook_can_then_be_pulled(c):
    c.apply(pod(image="myapp:1.0"))
    c.run(until=c.now + 5)
    assert waiting(c, "web")["reason"] == "ImagePullBackOff"
    c.registry.push("myapp:1.0", size=12_000_000, serves=[{"port": 8080, "paths": {"/": 200}}])
    c.run(until=c.now + 20)
    status = c.api.peek("pods", "web", "default")["status"]
    assert status["phase"] == "Running"
    assert status["containerStatuses"][0]["imageID"] == c.registry.lookup("myapp:1.0").repo_digest


def test_fail_image_pull_makes_the_registry_refuse_an_image_it_holds_until_it_is_lifted(c):
    c.fail_image_pull("nginx:1.27")
    c.apply(pod())
    c.run(until=c.now + 5)
    assert waiting(c, "web")["reason"] == "ImagePullBackOff"
    assert waiting(c, "web")["message"].endswith("docker.io/library/nginx:1.27: not found")
    c.fail_image_pull("nginx:1.27", failing=False)
    c.run(until=c.now + 15)
    assert c.api.peek("pods", "web", "default")["status"]["phase"] == "Running"


def test_the_back_off_is_per_pod_a_new_pod_pulls_at_once():
    """image_manager.go keys the back-off by pod UID and image: another Pod is not held back."""
    c = small()
    c.apply(pod("a", image="myapp:2.0"))
    c.run(until=c.now + 5)
    c.registry.push("myapp:2.0")
    c.apply(pod("b", image="myapp:2.0"))
    c.run(until=c.now + 5)
    assert c.api.peek("pods", "b", "default")["status"]["phase"] == "Running"
    assert waiting(c, "a")["reason"] == "ImagePullBackOff"  # still waits out its own back-off
