"""The commands kubectl has beyond get/describe/apply: wait, taint, diff, edit, logs -f, set, patch, events.

The text of each is compared with the real kubectl in ``tests/conformance/test_kubectl_corpus.py``; these
tests pin the behaviour behind the text on the simulated cluster itself: what changes in the store, what the
clock does, the exit codes.  Upstream: kubectl ``pkg/cmd/wait/wait.go``, ``pkg/cmd/taint/utils.go``,
``pkg/cmd/diff/diff.go``, ``pkg/cmd/util/editor/launcher_others.go``, ``pkg/cmd/events/events.go``,
``pkg/describe/describe.go`` (``describeContainers``), Go ``sort/zsortinterface.go``,
``mitchellh/go-wordwrap``.
"""

from __future__ import annotations

import random

import kcourse
from kcourse.sim.kubectl import Kubectl
from kcourse.sim.kubectl.explain import word_wrap
from kcourse.sim.kubectl.gosort import go_sort

PENDING = (
    "apiVersion: v1\nkind: Pod\nmetadata:\n  name: pending\nspec:\n  nodeSelector: {disktype: ssd}\n"
    "  containers:\n  - name: app\n    image: nginx:1.27\n"
)


def _cluster() -> kcourse.Cluster:
    c = kcourse.Cluster(masters=1, workers=1, addons=False, seed=5)
    c.run_until_stable()
    return c


def test_go_sort_orders_by_key_and_keeps_equal_elements_in_place_up_to_twelve() -> None:
    rng = random.Random(1)
    for n in (0, 1, 5, 12, 13, 40, 60, 200):
        items = [(rng.randrange(4), i) for i in range(n)]
        out = go_sort(items, lambda a, b: a[0] < b[0])
        assert sorted(out) == sorted(items)
        assert [k for k, _ in out] == sorted(k for k, _ in items)
        if n <= 12:  # insertion sort: stable
            assert out == sorted(items, key=lambda x: x[0])


def test_word_wrap_breaks_at_spaces_and_keeps_a_long_word_whole() -> None:
    text = "word " * 40 + "x" * 90 + " tail"
    wrapped = word_wrap(text, 20)
    assert all(len(line) <= 20 for line in wrapped.split("\n") if not line.startswith("x"))
    assert "x" * 90 in wrapped.split("\n")
    assert wrapped.replace("\n", " ").split() == text.split()


def test_wait_runs_the_cluster_until_the_deployment_is_available() -> None:
    c = _cluster()
    c.kubectl("create deployment web --image=nginx:1.27")
    before = c.clock.now
    code, out, err = Kubectl(c).run_full("wait --for=condition=Available deployment/web --timeout=120s")
    assert (code, out, err) == (0, "deployment.apps/web condition met\n", "")
    assert before < c.clock.now <= before + 120


def test_wait_that_times_out_names_the_object_and_fails() -> None:
    c = _cluster()
    c.apply(PENDING)
    start = c.clock.now
    code, out, err = Kubectl(c).run_full("wait --for=condition=Ready pod/pending --timeout=30s")
    assert (code, out, err) == (1, "", "error: timed out waiting for the condition on pods/pending\n")
    assert c.clock.now > start + 25  # the cluster ran on to the last event before the deadline
    code, _, err = Kubectl(c).run_full("wait --for=condition=Ready pod/pending --timeout=0")
    assert (code, err) == (1, "error: condition not met for pods/pending\n")


def test_describe_of_an_unscheduled_pod_shows_no_container_state() -> None:
    c = _cluster()
    c.apply(PENDING)
    c.run_until_stable()
    text = c.kubectl("describe pod pending")
    assert "    Image:        nginx:1.27\n" in text
    for line in ("State:", "Ready:  ", "Restart Count:", "Container ID:", "Image ID:"):
        assert line not in text.split("Conditions:")[0]


def test_taint_adds_refuses_a_duplicate_overwrites_and_removes() -> None:
    c = _cluster()
    k = Kubectl(c)
    assert k.run_full("taint nodes worker-1 gpu=yes:NoSchedule") == (0, "node/worker-1 tainted\n", "")
    revision = c.etcd.revision
    assert k.run_full("taint nodes worker-1 gpu=no:NoSchedule") == (
        1,
        "",
        "error: node worker-1 already has gpu taint(s) with same effect(s) and --overwrite is false\n",
    )
    assert c.etcd.revision == revision
    assert k.run_full("taint nodes worker-1 gpu=no:NoSchedule --overwrite")[1] == "node/worker-1 modified\n"
    assert c.get("nodes", "worker-1", None)["spec"]["taints"] == [
        {"key": "gpu", "value": "no", "effect": "NoSchedule"}
    ]
    assert k.run_full("taint nodes worker-1 gpu-")[1] == "node/worker-1 untainted\n"
    assert not c.get("nodes", "worker-1", None)["spec"].get("taints")
    assert k.run_full("taint nodes worker-1 gpu-") == (1, "", 'error: taint "gpu" not found\n')


def test_diff_exits_0_when_apply_would_change_nothing_and_1_when_it_would(tmp_path) -> None:  # type: ignore[no-untyped-def]
    c = _cluster()
    manifest = tmp_path / "cm.yaml"
    manifest.write_text("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cfg\ndata:\n  a: b\n")
    k = Kubectl(c)
    code, out, _ = k.run_full(["diff", "-f", str(manifest)])
    assert code == 1 and "\n+  a: b\n" in out and "@@ -0,0 +1," in out  # not there yet: all added
    revision = c.etcd.revision
    k.run_full(["apply", "-f", str(manifest)])
    assert c.etcd.revision > revision
    assert k.run_full(["diff", "-f", str(manifest)]) == (0, "", "")
    manifest.write_text("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cfg\ndata:\n  a: c\n")
    revision = c.etcd.revision
    code, out, _ = k.run_full(["diff", "-f", str(manifest)])
    assert code == 1 and "-  a: b\n+  a: c\n" in out
    assert c.etcd.revision == revision, "diff asks for dry runs only"


def test_edit_reads_the_object_then_answers_that_the_editor_cannot_run() -> None:
    c = _cluster()
    c.kubectl("create configmap cfg --from-literal=a=b")
    assert Kubectl(c).run_full("edit cm cfg") == (1, "", 'error: unable to launch the editor "vi"\n')
    assert Kubectl(c, environ={"KUBE_EDITOR": "/usr/bin/nano"}).run_full("edit cm cfg") == (
        1,
        "",
        'error: there was a problem with the editor "/usr/bin/nano"\n',
    )
    assert Kubectl(c).run_full("edit cm nosuch") == (
        1,
        "",
        'Error from server (NotFound): configmaps "nosuch" not found\n',
    )


def test_logs_follow_prints_what_exists_and_never_moves_the_clock() -> None:
    c = _cluster()
    c.kubectl("run web --image=nginx:1.27")
    c.run_until_stable()
    now = c.clock.now
    code, out, err = Kubectl(c).run_full("logs -f web")
    assert code == 0 and "nginx" in out and err == ""
    code, out2, err = Kubectl(c).run_full("logs -f web --request-timeout=5s")
    assert (code, out2, err) == (1, out, "error: context deadline exceeded\n")
    assert c.clock.now == now


def test_set_image_and_patch_change_the_template_and_print_kubectls_operations() -> None:
    c = _cluster()
    c.kubectl("create deployment web --image=nginx:1.27")
    k = Kubectl(c)
    assert k.run_full("set image deployment/web nginx=nginx:1.28 --dry-run=client")[1] == (
        "deployment.apps/web image updated (dry run)\n"
    )
    assert c.get("deployments", "web")["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx:1.27"
    assert k.run_full("set image deployment/web nginx=nginx:1.28")[1] == "deployment.apps/web image updated\n"
    assert c.get("deployments", "web")["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx:1.28"
    assert k.run_full(["patch", "deployment", "web", "-p", '{"spec":{"replicas":3}}'])[1] == (
        "deployment.apps/web patched\n"
    )
    assert k.run_full(["patch", "deployment", "web", "-p", '{"spec":{"replicas":3}}'])[1] == (
        "deployment.apps/web patched (no change)\n"
    )
    assert c.get("deployments", "web")["spec"]["replicas"] == 3


def test_events_for_an_object_filters_by_kind_and_name_and_checks_types() -> None:
    c = _cluster()
    c.apply(PENDING)
    c.run_until_stable()
    code, out, _ = Kubectl(c).run_full("events --for pod/pending")
    assert code == 0 and out.splitlines()[0].split() == [
        "LAST",
        "SEEN",
        "TYPE",
        "REASON",
        "OBJECT",
        "MESSAGE",
    ]
    assert all("Pod/pending" in line for line in out.splitlines()[1:]) and "FailedScheduling" in out
    assert Kubectl(c).run_full("events --types=Bogus") == (
        1,
        "",
        "error: valid --types are Normal or Warning\n",
    )


def test_create_deployment_takes_the_first_containers_command_after_the_dash():
    """``kubectl create deployment NAME --image=… -- COMMAND [args…]`` (staging/src/k8s.io/kubectl/pkg/cmd/
    create/create_deployment.go: NameFromCommandArgs counts only the words before ``--``; the rest is the
    container's command; several images with a command are refused in Validate).  Texts checked against
    the real kubectl v1.32 with ``--dry-run=client``."""
    c = kcourse.Cluster(seed=0)
    assert (
        c.kubectl("create deployment batch --image=busybox:1.36 -- sleep 3600")
        == "deployment.apps/batch created\n"
    )
    assert (
        c.kubectl("get deploy batch -o jsonpath={.spec.template.spec.containers[0].command}")
        == '["sleep","3600"]'
    )
    assert c.kubectl("create deployment b2 --image=busybox:1.36 --image=nginx:1.27 -- sleep 1") == (
        "error: cannot specify multiple --image options and command\n"
    )
    assert c.kubectl("create deployment --image=busybox:1.36 -- sleep 1").startswith(
        "error: exactly one NAME is required, got 0\n"
    )
    assert c.kubectl("create deployment a b --image=busybox:1.36").startswith(
        "error: exactly one NAME is required, got 2\n"
    )
    assert [d["metadata"]["name"] for d in c.api.items("deployments", "default")] == ["batch"]
