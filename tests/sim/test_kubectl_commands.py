"""kubectl's text, column for column: tables, errors, apply, and the commands a learner types.

The objects are written straight through the API server (Nodes labelled
``lab=yes``, Pods in the ``lab`` namespace with the status a kubelet would
report), so these tests do not depend on the scheduler, kubelet or
controllers.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import kcourse
from kcourse.sim.kubectl import Kubectl
from kcourse.sim.kubectl.printers import human_duration, tabulate, to_yaml
from kcourse.sim.objects import timestamp

MANIFESTS = Path(__file__).parent.parent / "manifests"


@pytest.fixture
def c() -> kcourse.Cluster:
    cluster = kcourse.Cluster(masters=1, workers=0, addons=False, cloud=False, seed=0)
    cluster.api.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "lab"}})
    return cluster


def add_node(c, name, ready="True", role=None, unschedulable=False):
    labels = {"lab": "yes"}
    if role:
        labels[f"node-role.kubernetes.io/{role}"] = ""
    c.api.create(
        {
            "apiVersion": "v1",
            "kind": "Node",
            "metadata": {"name": name, "labels": labels},
            "spec": {"unschedulable": True} if unschedulable else {},
        }
    )
    node = c.api.get("nodes", name)
    node = {
        **node,
        "status": {
            "conditions": [{"type": "Ready", "status": ready, "reason": "KubeletReady"}],
            "addresses": [
                {"type": "InternalIP", "address": "10.0.0.7"},
                {"type": "Hostname", "address": name},
            ],
            "nodeInfo": {
                "kubeletVersion": "v1.32.0",
                "osImage": "Ubuntu 24.04.1 LTS",
                "kernelVersion": "6.8.0-45-generic",
                "containerRuntimeVersion": "containerd://1.7.22",
            },
        },
    }
    c.api.update(node, subresource="status")


def add_pod(c, name, containers=1, status=None, node="worker-1", init=0, **spec):
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": "lab"},
        "spec": {"containers": [{"name": f"c{i}", "image": "nginx:1.27"} for i in range(containers)], **spec},
    }
    if init:
        pod["spec"]["initContainers"] = [{"name": f"init{i}", "image": "busybox"} for i in range(init)]
    c.api.create(pod)
    if node:
        c.api.bind("lab", name, node)
    if status:
        current = c.api.get("pods", name, "lab")
        c.api.update({**current, "status": {**current["status"], **status}}, subresource="status")


def running(name="c0", restarts=0, last_finished=None, ready=True):
    cs = {
        "name": name,
        "ready": ready,
        "restartCount": restarts,
        "image": "nginx:1.27",
        "state": {"running": {"startedAt": timestamp(0)}},
    }
    if last_finished is not None:
        cs["lastState"] = {
            "terminated": {"exitCode": 1, "reason": "Error", "finishedAt": timestamp(last_finished)}
        }
    return cs


def waiting(reason, name="c0", restarts=0, last_finished=None):
    cs = {"name": name, "ready": False, "restartCount": restarts, "state": {"waiting": {"reason": reason}}}
    if last_finished is not None:
        cs["lastState"] = {
            "terminated": {"exitCode": 1, "reason": "Error", "finishedAt": timestamp(last_finished)}
        }
    return cs


# --- printers ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "seconds, text",
    [
        (-5, "<invalid>"),
        (-1, "0s"),
        (0, "0s"),
        (45, "45s"),
        (119, "119s"),
        (120, "2m"),
        (123, "2m3s"),
        (600, "10m"),
        (179 * 60, "179m"),
        (3 * 3600 + 4 * 60, "3h4m"),
        (5 * 3600, "5h"),
        (8 * 3600 + 59, "8h"),
        (47 * 3600, "47h"),
        (5 * 86400, "5d"),
        (5 * 86400 + 3 * 3600, "5d3h"),
        (9 * 86400, "9d"),
        (800 * 86400, "2y70d"),
        (9 * 365 * 86400, "9y"),
    ],
)
def test_human_duration_matches_apimachinery(seconds, text):
    assert human_duration(seconds) == text


def test_tabwriter_pads_to_widest_cell_plus_three_with_minimum_six():
    assert tabulate([["NAME", "IP", "AGE"], ["a", "x", "1s"]]) == "NAME   IP    AGE\na      x     1s\n"


def test_yaml_output_matches_kubectl_create_dry_run():
    obj = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"creationTimestamp": None, "labels": {"app": "web"}, "name": "web"},
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": {"app": "web"}},
            "strategy": {},
            "template": {
                "metadata": {"creationTimestamp": None, "labels": {"app": "web"}},
                "spec": {"containers": [{"image": "nginx:1.27", "name": "nginx", "resources": {}}]},
            },
        },
        "status": {},
    }
    # The text /usr/bin/kubectl v1.32 prints for `create deployment web --image=nginx:1.27 --replicas=2
    # --dry-run=client -o yaml`.
    assert to_yaml(obj) == (
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  creationTimestamp: null\n  labels:\n    app: "
        "web\n  name: web\nspec:\n  replicas: 2\n  selector:\n    matchLabels:\n      app: web\n  strategy: "
        "{}\n  template:\n    metadata:\n      creationTimestamp: null\n      labels:\n        app: web\n   "
        " spec:\n      containers:\n      - image: nginx:1.27\n        name: nginx\n        resources: "
        "{}\nstatus: {}\n"
    )


def test_yaml_quotes_strings_that_would_read_as_other_types():
    assert (
        to_yaml({"a": "80", "b": "true", "c": "2025-01-01T09:00:00Z", "d": "", "e": "web", "f": "x\n"})
        == 'a: "80"\nb: "true"\nc: "2025-01-01T09:00:00Z"\nd: ""\ne: web\nf: |\n  x\n'
    )


# --- get pods -----------------------------------------------------------------------------------------------


def test_get_pods_statuses_follow_print_pod(c):
    add_pod(
        c,
        "run",
        status={
            "phase": "Running",
            "conditions": [{"type": "Ready", "status": "True"}],
            "containerStatuses": [running()],
        },
    )
    add_pod(c, "creating", status={"containerStatuses": [waiting("ContainerCreating")]})
    add_pod(
        c,
        "crash",
        status={
            "phase": "Running",
            "containerStatuses": [waiting("CrashLoopBackOff", restarts=2, last_finished=int(c.now) - 15)],
        },
    )
    add_pod(
        c,
        "done",
        status={
            "phase": "Succeeded",
            "containerStatuses": [
                {
                    "name": "c0",
                    "ready": False,
                    "restartCount": 0,
                    "state": {"terminated": {"exitCode": 0, "reason": "Completed"}},
                }
            ],
        },
    )
    add_pod(
        c,
        "init",
        init=1,
        status={
            "initContainerStatuses": [
                {"name": "init0", "ready": False, "restartCount": 0, "state": {"running": {}}}
            ]
        },
    )
    add_pod(c, "pending", node=None)
    add_pod(
        c,
        "two",
        containers=2,
        status={"phase": "Running", "containerStatuses": [running("c0"), running("c1", ready=False)]},
    )
    assert c.kubectl("get pods -n lab") == (
        "NAME       READY   STATUS              RESTARTS      AGE\n"
        "crash      0/1     CrashLoopBackOff    2 (15s ago)   0s\n"
        "creating   0/1     ContainerCreating   0             0s\n"
        "done       0/1     Completed           0             0s\n"
        "init       0/1     Init:0/1            0             0s\n"
        "pending    0/1     Pending             0             0s\n"
        "run        1/1     Running             0             0s\n"
        "two        1/2     Running             0             0s\n"
    )


def test_get_pods_wide_shows_ip_node_and_none(c):
    add_pod(
        c,
        "web",
        status={
            "phase": "Running",
            "podIP": "10.244.1.5",
            "podIPs": [{"ip": "10.244.1.5"}],
            "containerStatuses": [running()],
        },
    )
    add_pod(c, "waiting", node=None)
    assert c.kubectl("get pods -o wide -n lab") == (
        "NAME      READY   STATUS    RESTARTS   AGE   IP           NODE       NOMINATED NODE   READINESS "
        "GATES\nwaiting   0/1     Pending   0          0s    <none>       <none>     <none>           "
        "<none>\nweb       1/1     Running   0          0s    10.244.1.5   worker-1   <none>           "
        "<none>\n"
    )


def test_deleted_pod_on_a_node_shows_terminating(c):
    add_pod(c, "web", status={"phase": "Running", "containerStatuses": [running()]})
    c.api.delete("pods", "web", "lab")
    assert "web    1/1     Terminating   0          0s\n" in c.kubectl("get pods -n lab")


def test_all_namespaces_adds_namespace_column(c):
    add_pod(c, "web", node=None)
    out = c.kubectl("get pods -A -l nothing!=x --field-selector metadata.namespace=lab")
    assert out == (
        "NAMESPACE   NAME   READY   STATUS    RESTARTS   AGE\nlab         web    0/1     Pending   0    "
        "      0s\n"
    )


def test_show_labels_and_no_headers(c):
    add_pod(c, "web", node=None)
    assert (
        c.kubectl("get pods -n lab --show-labels --no-headers")
        == "web   0/1   Pending   0     0s    <none>\n"
    )


def test_no_resources_goes_to_stderr(c):
    code, out, err = Kubectl(c).run_full("get pods -n lab")
    assert (code, out, err) == (0, "", "No resources found in lab namespace.\n")


def test_not_found_error(c):
    code, out, err = Kubectl(c).run_full("get pod nope -n lab")
    assert (code, out, err) == (1, "", 'Error from server (NotFound): pods "nope" not found\n')


def test_unknown_command_suggests_like_cobra(c):
    assert (
        c.kubectl("gett")
        == 'error: unknown command "gett" for "kubectl"\n\nDid you mean this?\n\tset\n\tget\n'
    )
    assert (
        c.kubectl("lo")
        == 'error: unknown command "lo" for "kubectl"\n\nDid you mean this?\n\ttop\n\tlogs\n\tcp\n'
    )
    assert c.kubectl("frobnicate") == 'error: unknown command "frobnicate" for "kubectl"\n'


def test_unknown_flags(c):
    assert c.kubectl("get pods --foo") == "error: unknown flag: --foo\nSee 'kubectl get --help' for usage.\n"
    assert (
        c.kubectl("get pods -z")
        == "error: unknown shorthand flag: 'z' in -z\nSee 'kubectl get --help' for usage.\n"
    )
    assert (
        c.kubectl("get pods -n")
        == "error: flag needs an argument: 'n' in -n\nSee 'kubectl get --help' for usage.\n"
    )


def test_unknown_resource_type(c):
    assert c.kubectl("get podz") == 'error: the server doesn\'t have a resource type "podz"\n'


def test_namespace_flag_forms(c):
    add_pod(c, "web", node=None)
    assert all(
        "web" in c.kubectl(cmd)
        for cmd in (
            "get po -nlab",
            "get po -n=lab",
            "get po --namespace=lab",
            "-n lab get po",
            "get --namespace lab po",
        )
    )


# --- nodes --------------------------------------------------------------------------------------------------


def test_get_nodes_status_roles_and_wide(c):
    add_node(c, "node-a", role="control-plane")
    add_node(c, "node-b", ready="Unknown")
    add_node(c, "node-c", unschedulable=True)
    assert c.kubectl("get nodes -l lab=yes") == (
        "NAME     STATUS                     ROLES           AGE   VERSION\n"
        "node-a   Ready                      control-plane   0s    v1.32.0\n"
        "node-b   NotReady                   <none>          0s    v1.32.0\n"
        "node-c   Ready,SchedulingDisabled   <none>          0s    v1.32.0\n"
    )
    wide = c.kubectl("get no node-a -o wide").splitlines()
    assert wide[0].split() == [
        "NAME",
        "STATUS",
        "ROLES",
        "AGE",
        "VERSION",
        "INTERNAL-IP",
        "EXTERNAL-IP",
        "OS-IMAGE",
        "KERNEL-VERSION",
        "CONTAINER-RUNTIME",
    ]
    assert wide[1] == (
        "node-a   Ready    control-plane   0s    v1.32.0   10.0.0.7      <none>        "
        "Ubuntu 24.04.1 LTS   6.8.0-45-generic   containerd://1.7.22"
    )


def test_cordon_and_uncordon(c):
    add_node(c, "node-a")
    assert c.kubectl("cordon node-a") == "node/node-a cordoned\n"
    assert c.kubectl("cordon node-a") == "node/node-a already cordoned\n"
    assert "Ready,SchedulingDisabled" in c.kubectl("get node node-a")
    assert c.kubectl("uncordon node-a") == "node/node-a uncordoned\n"
    assert c.api.get("nodes", "node-a")["spec"].get("unschedulable") is None


def test_drain_refuses_daemonset_pods_without_the_flag(c):
    add_node(c, "node-a")
    add_pod(c, "proxy", node="node-a", status={"phase": "Running"})
    pod = c.api.get("pods", "proxy", "lab")
    c.api.update(
        {
            **pod,
            "metadata": {
                **pod["metadata"],
                "ownerReferences": [
                    {
                        "apiVersion": "apps/v1",
                        "kind": "DaemonSet",
                        "name": "proxy",
                        "uid": "u1",
                        "controller": True,
                    }
                ],
            },
        }
    )
    code, out, err = Kubectl(c).run_full("drain node-a")
    assert code == 1 and out == "node/node-a cordoned\n"
    assert err == (
        'error: unable to drain node "node-a" due to error: cannot delete DaemonSet-managed Pods (use '
        "--ignore-daemonsets to ignore): lab/proxy, continuing command...\n"
        "There are pending nodes to be drained:\n node-a\ncannot delete DaemonSet-managed Pods (use "
        "--ignore-daemonsets to ignore): lab/proxy\n"
    )
    code, out, err = Kubectl(c).run_full("drain node-a --ignore-daemonsets")
    assert (code, out) == (0, "node/node-a already cordoned\nnode/node-a drained\n")
    assert err == "Warning: ignoring DaemonSet-managed Pods: lab/proxy\n"


# --- apply, create, delete ----------------------------------------------------------------------------------


def test_apply_creates_then_is_unchanged_then_configured(c, tmp_path):
    path = MANIFESTS / "nginx-deployment.yaml"
    assert c.kubectl(f"apply -f {path}") == "deployment.apps/nginx-deployment created\n"
    assert c.kubectl(f"apply -f {path}") == "deployment.apps/nginx-deployment unchanged\n"
    changed = tmp_path / "d.yaml"
    changed.write_text(path.read_text().replace("replicas: 3", "replicas: 5"))
    assert c.kubectl(f"apply -f {changed}") == "deployment.apps/nginx-deployment configured\n"
    d = c.api.get("deployments", "nginx-deployment", "default")
    assert d["spec"]["replicas"] == 5
    last = d["metadata"]["annotations"]["kubectl.kubernetes.io/last-applied-configuration"]
    assert last.startswith(
        '{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"annotations":{},'
        '"labels":{"app":"nginx"},"name":"nginx-deployment","namespace":"default"}'
    )
    assert last.endswith("}\n")


def test_apply_three_way_drops_what_the_manifest_no_longer_has_but_keeps_others_changes(c):
    base = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "cfg", "namespace": "lab", "labels": {"a": "1", "b": "2"}},
        "data": {"k": "v"},
    }
    c.apply(base)
    c.api.patch("configmaps", "cfg", {"metadata": {"labels": {"other": "x"}}}, namespace="lab")
    c.apply({**base, "metadata": {**base["metadata"], "labels": {"a": "1"}}})
    assert c.api.get("configmaps", "cfg", "lab")["metadata"]["labels"] == {"a": "1", "other": "x"}


def test_apply_merges_containers_by_name(c):
    path = MANIFESTS / "nginx-deployment.yaml"
    c.apply(path)
    c.apply(path.read_text().replace("nginx:1.14.2", "nginx:1.16.1"))
    [container] = c.api.get("deployments", "nginx-deployment", "default")["spec"]["template"]["spec"][
        "containers"
    ]
    assert container["image"] == "nginx:1.16.1" and container["ports"] == [
        {"containerPort": 80, "protocol": "TCP"}
    ]


def test_cluster_apply_returns_stored_objects(c):
    objs = c.apply(MANIFESTS / "web.yaml")
    assert [o["kind"] for o in objs] == ["Deployment", "Service"]
    assert objs[1]["spec"]["clusterIP"]


def test_invalid_object_is_reported_like_kubectl_and_the_good_ones_applied(c, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: broken\nspec:\n  containers:\n  - name: c\n"
        "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: fine\n"
    )
    code, out, err = Kubectl(c).run_full(f"apply -f {bad}")
    assert code == 1
    assert out == "configmap/fine created\n"
    assert err.startswith('The Pod "broken" is invalid: spec.containers[0].image: Required value')
    assert c.api.peek("pods", "broken", "default") is None
    with pytest.raises(kcourse.ApiError):
        c.apply(bad)


def test_apply_into_a_namespace_and_mismatch(c, tmp_path):
    assert c.kubectl(f"apply -n lab -f {MANIFESTS / 'pod.yaml'}") == "pod/nginx created\n"
    assert c.api.peek("pods", "nginx", "lab") is not None
    other = tmp_path / "other.yaml"
    other.write_text(
        (MANIFESTS / "pod.yaml").read_text().replace("  name: nginx\n", "  name: x\n  namespace: other\n")
    )
    assert c.kubectl(f"apply -n lab -f {other}") == (
        'error: the namespace from the provided object "other" does not match the namespace "lab". You '
        "must pass '--namespace=other' to perform this operation.\n"
    )
    with pytest.raises(kcourse.ApiError, match="does not match the namespace"):
        c.apply(other, namespace="lab")


def test_create_twice_says_already_exists(c):
    path = MANIFESTS / "pod.yaml"
    assert c.kubectl(f"create -f {path}") == "pod/nginx created\n"
    assert c.kubectl(f"create -f {path}") == (
        f'Error from server (AlreadyExists): error when creating "{path}": pods "nginx" already exists\n'
    )


def test_create_deployment_and_run(c):
    assert (
        c.kubectl("create deployment web --image=nginx:1.27 --replicas=2") == "deployment.apps/web created\n"
    )
    d = c.api.get("deployments", "web", "default")
    assert d["spec"]["replicas"] == 2 and d["spec"]["template"]["spec"]["containers"][0]["name"] == "nginx"
    assert c.kubectl("run box --image=busybox") == "pod/box created\n"
    assert c.api.get("pods", "box", "default")["metadata"]["labels"] == {"run": "box"}


def test_delete_prints_kubectls_lines(c):
    c.apply(MANIFESTS / "web.yaml")
    assert c.kubectl("delete deployment web") == 'deployment.apps "web" deleted\n'
    assert c.kubectl("delete svc/web") == 'service "web" deleted\n'
    assert c.kubectl("delete pod nope") == 'Error from server (NotFound): pods "nope" not found\n'


def test_delete_by_selector(c):
    add_pod(c, "a", node=None)
    add_pod(c, "b", node=None)
    assert c.kubectl("delete pods --all -n lab") == 'pod "a" deleted\npod "b" deleted\n'


def test_scale_label_annotate(c):
    c.apply(MANIFESTS / "nginx-deployment.yaml")
    assert (
        c.kubectl("scale deployment nginx-deployment --replicas=1")
        == "deployment.apps/nginx-deployment scaled\n"
    )
    assert c.api.get("deployments", "nginx-deployment", "default")["spec"]["replicas"] == 1
    assert c.kubectl("label deploy nginx-deployment tier=web") == "deployment.apps/nginx-deployment labeled\n"
    assert c.kubectl("label deploy nginx-deployment tier=db") == (
        "error: 'tier' already has a value (web), and --overwrite is false\n"
    )
    assert (
        c.kubectl("annotate deploy nginx-deployment note=hi")
        == "deployment.apps/nginx-deployment annotated\n"
    )


def test_get_deployment_table_and_output_formats(c):
    c.apply(MANIFESTS / "nginx-deployment.yaml")
    assert c.kubectl("get deploy") == (
        "NAME               READY   UP-TO-DATE   AVAILABLE   AGE\n"
        "nginx-deployment   0/3     0            0           0s\n"
    )
    assert c.kubectl("get deploy -o wide").splitlines()[1].endswith("nginx        nginx:1.14.2   app=nginx")
    assert c.kubectl("get deploy -o name") == "deployment.apps/nginx-deployment\n"
    assert c.kubectl("get deploy nginx-deployment -o jsonpath={.spec.replicas}") == "3"
    assert c.kubectl("get deploy nginx-deployment -o yaml").startswith(
        "apiVersion: apps/v1\nkind: Deployment\n"
    )
    assert c.kubectl("get deploy -o json").startswith('{\n    "apiVersion": "v1",\n    "items": [\n')


def test_several_types_print_kinds_and_separate_tables(c):
    c.apply(MANIFESTS / "web.yaml")
    out = c.kubectl("get deploy,svc")
    tables = out.split("\n\n")
    assert tables[0].startswith("NAME                  READY") and "deployment.apps/web" in tables[0]
    assert "service/kubernetes" in tables[1] and "service/web" in tables[1]


def test_service_table(c):
    c.apply(MANIFESTS / "service.yaml")
    ip = c.api.get("services", "my-service", "default")["spec"]["clusterIP"]
    line = c.kubectl("get svc my-service -o wide").splitlines()[1]
    assert line.split() == [
        "my-service",
        "ClusterIP",
        ip,
        "<none>",
        "80/TCP",
        "0s",
        "app.kubernetes.io/name=MyApp",
    ]


# --- describe, events, rollout, misc ------------------------------------------------------------------------


def test_describe_pod_layout(c):
    add_pod(c, "web", status={"phase": "Running", "podIP": "10.244.1.5", "containerStatuses": [running()]})
    c.api.client("kube-scheduler").event(
        c.api.get("pods", "web", "lab"), "Normal", "Scheduled", "Successfully assigned lab/web to worker-1"
    )
    out = c.kubectl("describe pod web -n lab")
    lines = out.splitlines()
    assert lines[:4] == [
        "Name:             web",
        "Namespace:        lab",
        "Priority:         0",
        "Service Account:  default",
    ]
    assert "Containers:\n  c0:\n    Container ID:   \n    Image:          nginx:1.27\n" in out
    assert "    State:          Running\n      Started:      Wed, 01 Jan 2025 09:00:00 +0000\n" in out
    assert out.endswith(
        "Events:\n  Type    Reason     Age   From               Message\n"
        "  ----    ------     ----  ----               -------\n"
        "  Normal  Scheduled  0s    default-scheduler  Successfully assigned lab/web to worker-1\n"
    )


def test_describe_deployment_template_and_no_events(c):
    c.apply(MANIFESTS / "nginx-deployment.yaml")
    out = c.kubectl("describe deployment nginx-deployment")
    assert "Replicas:               3 desired | 0 updated | 0 total | 0 available | 0 unavailable\n" in out
    assert (
        "  Containers:\n   nginx:\n    Image:         nginx:1.14.2\n    Port:          80/TCP\n"
        "    Host Port:     0/TCP\n"
    ) in out
    assert out.endswith("NewReplicaSet:     <none>\nEvents:            <none>\n")


def test_get_events_columns(c):
    cm = c.api.create(
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cfg", "namespace": "lab"}}
    )
    c.api.client("someone").event(cm, "Warning", "Broken", "the value  is bad ")
    c.advance(30)
    assert c.kubectl("get events -n lab") == (
        "LAST SEEN   TYPE      REASON   OBJECT          MESSAGE\n"
        "30s         Warning   Broken   configmap/cfg   the value  is bad\n"
    )


def test_rollout_status_reads_the_deployment_status(c):
    c.apply(MANIFESTS / "nginx-deployment.yaml")
    d = c.api.get("deployments", "nginx-deployment", "default")
    c.api.update(
        {
            **d,
            "status": {"observedGeneration": 1, "replicas": 3, "updatedReplicas": 3, "availableReplicas": 1},
        },
        subresource="status",
    )
    assert c.kubectl("rollout status deployment/nginx-deployment --watch=false") == (
        'Waiting for deployment "nginx-deployment" rollout to finish: 1 of 3 updated replicas are '
        "available...\n"
    )
    d = c.api.get("deployments", "nginx-deployment", "default")
    c.api.update({**d, "status": {**d["status"], "availableReplicas": 3}}, subresource="status")
    assert c.kubectl("rollout status deploy nginx-deployment") == (
        'deployment "nginx-deployment" successfully rolled out\n'
    )


def test_top_without_metrics_addon(c):
    assert c.kubectl("top nodes") == "error: Metrics API not available\n"


def test_version_and_context(c):
    assert (
        c.kubectl("version")
        == "Client Version: v1.32.0\nKustomize Version: v5.5.0\nServer Version: v1.32.0\n"
    )
    assert c.kubectl("config current-context") == "kubernetes-admin@kcourse\n"


def test_unreachable_control_plane(c):
    c.fail_node("master-1")
    assert c.kubectl("get pods").startswith("Unable to connect to the server: dial tcp ")


# --- top ---------------------------------------------------------------------------------------------------


@pytest.fixture
def monitored() -> kcourse.Cluster:
    """A cluster with its metrics-server running and a two-replica Deployment in default."""
    cluster = kcourse.Cluster(seed=0, workers=2)
    cluster.kubectl("create deployment web --image=nginx --replicas=2")
    cluster.run_until_stable()
    cluster.advance(20)
    return cluster


def test_top_nodes_prints_usage_and_truncated_percent_of_allocatable(monitored):
    out = monitored.kubectl("top nodes")
    lines = out.splitlines()
    assert lines[0].split() == ["NAME", "CPU(cores)", "CPU(%)", "MEMORY(bytes)", "MEMORY(%)"]
    assert [line.split()[0] for line in lines[1:]] == ["master-1", "worker-1", "worker-2"]
    rows = {r["name"]: r for r in monitored.addons.metrics.top_nodes()}
    node = monitored.api.get("nodes", "worker-1")
    alloc = node["status"]["allocatable"]
    from kcourse.sim.quantity import millicores, units

    cpu, mem = rows["worker-1"]["cpu"], rows["worker-1"]["memory"]
    assert lines[2].split() == [
        "worker-1",
        f"{cpu}m",
        f"{cpu * 100 // millicores(alloc['cpu'])}%",
        f"{mem // 2**20}Mi",
        f"{mem * 100 // units(alloc['memory'])}%",
    ]


def test_top_nodes_sort_by_memory_and_unknown_for_an_unscraped_node(monitored):
    [server] = monitored.addons.metrics.servers
    dead = "worker-1" if server.node == "worker-2" else "worker-2"
    monitored.fail_node(dead)
    monitored.advance(60)
    lines = monitored.kubectl("top nodes --sort-by=memory").splitlines()
    assert lines[-1].split() == [dead] + ["<unknown>"] * 4
    memories = [int(line.split()[3].removesuffix("Mi")) for line in lines[1:-1]]
    assert memories == sorted(memories, reverse=True)


def test_top_pods_in_a_namespace_and_across_all(monitored):
    lines = monitored.kubectl("top pods").splitlines()
    assert lines[0].split() == ["NAME", "CPU(cores)", "MEMORY(bytes)"]
    assert len(lines) == 3 and all(line.startswith("web-") for line in lines[1:])
    everything = monitored.kubectl("top pods -A --sort-by cpu").splitlines()
    assert everything[0].split() == ["NAMESPACE", "NAME", "CPU(cores)", "MEMORY(bytes)"]
    assert {line.split()[0] for line in everything[1:]} >= {"default", "kube-system"}
    cpus = [int(line.split()[2].removesuffix("m")) for line in everything[1:]]
    assert cpus == sorted(cpus, reverse=True)


def test_top_errors_match_kubectl(monitored):
    assert monitored.kubectl("top pods --sort-by=name") == "error: --sort-by accepts only cpu or memory\n"
    assert monitored.kubectl("top pod nope") == (
        'Error from server (NotFound): podmetrics.metrics.k8s.io "default/nope" not found\n'
    )
    assert monitored.kubectl("top pods -n lab") == "No resources found in lab namespace.\n"
    for server in list(monitored.addons.metrics.servers):
        server.stop()
    # The metrics.k8s.io APIService is still registered, so kubectl asks it and the aggregator answers 503.
    assert monitored.kubectl("top pods") == (
        "Error from server (ServiceUnavailable): the server is currently unable to handle the request\n"
    )


# --- logs ---------------------------------------------------------------------------------------------------


def test_logs_of_a_pod_in_crash_loop_back_off_show_its_last_run():
    c = kcourse.Cluster(masters=1, workers=1, addons=False, seed=0)
    c.kubectl(["run", "crash", "--image=busybox", "--", "sh", "-c", "echo starting; sleep 2; exit 1"])
    assert c.kubectl("logs crash") == (
        'Error from server (BadRequest): container "crash" in pod "crash" is '
        "waiting to start: ContainerCreating\n"
    )
    c.advance(60)
    assert "CrashLoopBackOff" in c.kubectl("get pod crash")
    assert c.kubectl("logs crash") == "starting\n"
    assert c.kubectl("logs crash --previous") == "starting\n"
    assert c.kubectl("logs crash -p --tail=0") == ""


# --- custom columns -----------------------------------------------------------------------------------------


def test_custom_columns_print_headers_as_given_and_none_for_missing_values(c):
    add_pod(c, "web")
    add_pod(c, "pending", node=None)
    assert c.kubectl("get pods -n lab -o custom-columns=NAME:.metadata.name,NODE:.spec.nodeName") == (
        "NAME      NODE\npending   <none>\nweb       worker-1\n"
    )
    assert (
        c.kubectl(
            "get pod web -n lab -o custom-columns=Name:metadata.name,Images:{.spec.containers[*].image} "
            "--no-headers"
        )
        == "web   nginx:1.27\n"
    )


def test_custom_columns_join_several_values_and_read_a_columns_file(c, tmp_path):
    add_pod(c, "web", containers=2)
    assert c.kubectl("get pods -n lab -o custom-columns=C:.spec.containers[].name").splitlines()[1] == "c0,c1"
    spec = tmp_path / "columns.txt"
    spec.write_text("NAME          NODE\n.metadata.name  .spec.nodeName\n")
    assert c.kubectl(f"get pods -n lab -o custom-columns-file={spec}") == "NAME   NODE\nweb    worker-1\n"


def test_custom_columns_spec_errors(c):
    assert c.kubectl("get pods -o custom-columns=NAME") == (
        "error: unexpected custom-columns spec: NAME, expected <header>:<json-path-expr>\n"
    )
    assert c.kubectl("get pods -o custom-columns=") == (
        "error: custom-columns format specified but no custom columns given\n"
    )


def test_several_types_with_a_name_print_each_as_type_slash_name(c):
    c.apply(MANIFESTS / "web.yaml")
    c.advance(5)
    out = c.kubectl("get svc,endpoints web")
    service, endpoints = out.split("\n\n")
    assert service.splitlines()[0].split() == ["NAME", "TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)", "AGE"]
    assert service.splitlines()[1].startswith("service/web ") and len(service.splitlines()) == 2
    assert endpoints.splitlines()[0].split() == ["NAME", "ENDPOINTS", "AGE"]
    assert endpoints.splitlines()[1].startswith("endpoints/web ")
    assert c.kubectl("get svc,ep web -o name") == "service/web\nendpoints/web\n"
    assert c.kubectl("get svc,ep nope").endswith(
        'Error from server (NotFound): services "nope" not found\n'
        'Error from server (NotFound): endpoints "nope" not found\n'
    )


def test_label_columns_head_with_the_keys_last_segment_and_leave_missing_labels_empty(cluster):
    out = cluster.kubectl("get pods -n kube-system -L k8s-app -L app.kubernetes.io/name,tier")
    header, *rows = out.splitlines()
    assert header.split() == ["NAME", "READY", "STATUS", "RESTARTS", "AGE", "K8S-APP", "NAME", "TIER"]
    coredns = next(r for r in rows if r.startswith("coredns-"))
    etcd = next(r for r in rows if r.startswith("etcd-master-1"))
    assert coredns.split()[5:] == ["kube-dns"] and etcd.split()[5:] == ["control-plane"]


def test_create_configmap_and_secret_from_literals(cluster):
    assert (
        cluster.kubectl("create configmap demo --from-literal=color=blue --from-literal=size=L")
        == "configmap/demo created\n"
    )
    assert cluster.api.peek("configmaps", "demo", "default")["data"] == {"color": "blue", "size": "L"}
    assert cluster.kubectl("create secret generic pw --from-literal=password=s3cret") == "secret/pw created\n"
    secret = cluster.api.peek("secrets", "pw", "default")
    assert secret["type"] == "Opaque" and secret["data"] == {"password": "czNjcmV0"}


def test_create_configmap_refuses_a_literal_without_a_value_and_writes_nothing(cluster):
    revision = cluster.etcd.revision
    assert (
        cluster.kubectl("create configmap x --from-literal=bad")
        == "error: invalid literal source bad, expected key=value\n"
    )
    assert cluster.etcd.revision == revision


def test_a_missing_object_as_yaml_prints_only_the_error(cluster):
    assert (
        cluster.kubectl("get configmap nope -o yaml")
        == 'Error from server (NotFound): configmaps "nope" not found\n'
    )
