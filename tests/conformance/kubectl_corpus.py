"""The kubectl comparison corpus: seeded, frozen clusters and the command lines run on them.

Each :class:`Scenario` builds a cluster from a seed; the test builds it twice (same seed, so the same objects,
names, UIDs and resourceVersions), serves one to the real kubectl and gives the other to ``Kubectl``.  The
clock is stopped (``serve(realtime=False)``), so nothing moves between two commands but what they do.

``reads`` change nothing and run concurrently; ``steps`` run in order on both twins, so a write and the reads
that follow it see the same state on both sides.  ``{dir}`` is a directory of manifests (:data:`MANIFESTS`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import kcourse

__all__ = ["KNOWN", "MANIFESTS", "RACY", "SCENARIOS", "Scenario"]


@dataclass(frozen=True)
class Scenario:
    name: str
    build: Callable[[], kcourse.Cluster]
    reads: list[str] = field(default_factory=list)
    steps: list[str] = field(default_factory=list)


PENDING = """apiVersion: v1
kind: Pod
metadata:
  name: pending
  labels: {app: pending}
spec:
  nodeSelector: {disktype: ssd}
  containers:
  - name: app
    image: nginx:1.27
"""


def _web() -> kcourse.Cluster:
    c = kcourse.Cluster(masters=1, workers=2, seed=7)
    c.run_until_stable()
    for line in (
        "create namespace team-a",
        "create deployment web --image=nginx:1.27 --replicas=2",
        "expose deployment web --port=80",
        "create configmap cfg --from-literal=mode=fast",
        "create secret generic creds --from-literal=user=admin",
        "create deployment api --image=httpd:2.4 -n team-a",
    ):
        c.kubectl(line)
    c.apply(PENDING)
    c.run_until_stable()
    return c


def _bare() -> kcourse.Cluster:
    c = kcourse.Cluster(masters=1, workers=1, addons=False, seed=3)
    c.run_until_stable()
    c.kubectl("create deployment web --image=nginx:1.27 --replicas=1")
    c.kubectl("create configmap cfg --from-literal=a=b")
    c.run_until_stable()
    return c


def _trouble() -> kcourse.Cluster:
    """A day-one mess: a typo in an image, a container that crashed, a node that went away."""
    c = kcourse.Cluster(masters=1, workers=2, addons=False, seed=11)
    c.run_until_stable()
    c.kubectl("create deployment typo --image=ngnix:latest")
    c.kubectl("create deployment web --image=nginx:1.27 --replicas=2")
    c.run_until_stable()
    web = sorted(p["metadata"]["name"] for p in c.pods() if p["metadata"]["name"].startswith("web-"))
    c.crash_container(web[0])
    c.advance(30)
    c.fail_node("worker-2")
    c.advance(60)
    return c


MANIFESTS = {
    "cfg-changed.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cfg\ndata:\n  a: c\n",
    "cfg-same.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cfg\ndata:\n  a: b\n",
    "cfg-new.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: fresh\ndata:\n  k: v\n",
    "cfg-nons.yaml": (
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cfg\n  namespace: nowhere\ndata:\n  a: b\n"
    ),
    "web-scaled.yaml": (
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  labels: {app: web}\nspec:\n"
        "  replicas: 3\n  selector:\n    matchLabels: {app: web}\n  template:\n    metadata:\n"
        "      labels: {app: web}\n    spec:\n      containers:\n      - name: nginx\n"
        "        image: nginx:1.27\n"
    ),
    "patch.json": '{"metadata":{"labels":{"from":"file"}}}\n',
}

WEB_READS = [
    # existing commands, for breadth
    "get pods",
    "get pods -o wide",
    "get pods -A",
    "get deploy",
    "get deploy -o wide",
    "get rs",
    "get svc",
    "get nodes",
    "get nodes -o wide",
    "get ns",
    "get cm",
    "get secrets",
    "get ds -A",
    "get all",
    "get all -n team-a",
    "get pods --show-labels",
    "get pods -l app=web",
    "get pod pending -o yaml",
    "get deploy web -o json",
    "get pods -o name",
    "get endpoints",
    "get endpointslices",
    "get leases -n kube-system",
    "get sa",
    "get pods -o jsonpath={.items[*].metadata.name}",
    "get pods --sort-by=.metadata.name",
    "get pods -o custom-columns=NAME:.metadata.name,NODE:.spec.nodeName",
    "get pods --field-selector=status.phase=Pending",
    "get events --field-selector=involvedObject.name=pending",
    "describe pod pending",
    "describe deploy web",
    "describe svc web",
    "describe node worker-1",
    "describe rs",
    "describe ds -n kube-system",
    "describe ns default",
    "describe ns team-a",
    "describe cm cfg",
    "describe lease -n kube-system",
    "describe endpointslice",
    "describe secret creds",
    "describe sa default",
    "describe cm -n kube-system",
    "describe namespace kube-system",
    "cluster-info",
    "version",
    "api-resources",
    "config current-context",
    # new commands
    "api-versions",
    "auth can-i create pods",
    "auth can-i delete nodes",
    "auth can-i get pods --all-namespaces",
    "auth can-i '*' '*'",
    "auth can-i list secrets -n kube-system",
    "auth can-i get /logs",
    "auth can-i create deployments.apps",
    "auth can-i create foo",
    "auth can-i",
    "auth can-i get pods/log",
    "auth whoami",
    "auth whoami -o json",
    "auth whoami -o yaml",
    "explain pods",
    "explain pods.spec.containers.image",
    "explain deployment.spec.replicas",
    "explain svc",
    "explain pods.spec.nosuch",
    "explain nosuch",
    "explain deployments --api-version=apps/v1",
    "explain cm.data",
    "explain pods.metadata",
    "explain nodes.spec.taints",
    "explain pods --recursive",
    "explain",
    "explain pods.spec.containers.ports",
    "events",
    "events -A",
    "events --for pod/pending",
    "events --types=Warning",
    "events --types=Normal -n team-a",
    "events --for deployment/web",
    "events --types=Bogus",
    "events --for nosuch/x",
    "events -o yaml --for pod/pending",
    "events --no-headers --for pod/pending",
    "events -n nowhere",
    "get --raw /version",
    "get --raw /api",
    "get --raw /apis/apps/v1",
    "get --raw /healthz",
    "get --raw /api/v1/namespaces/default/configmaps/cfg",
    "get --raw /nosuch",
    "get --raw version",
    "get pods --raw /version",
    "rollout history deployment/web --revision=9",
    "rollout history deployment/web --revision=1",
    "rollout history deployment/web",
    "create token default --dry-run=client",
    "create token nosuch",
    "logs -f deployment/web --request-timeout=1s",
    "logs --follow deployment/web --tail=1 --request-timeout=1s",
    "logs -f pending --request-timeout=1s",
    "logs deployment/web --tail=2",
    "wait --for=condition=Available deployment/web",
    "wait --for=condition=Ready pod -l app=web",
    "wait --for=jsonpath={.status.readyReplicas}=2 deployment/web",
    "wait --for=condition=Ready pod/pending --timeout=0",
    "wait --for=delete pod/nosuch --timeout=1s",
    "wait --for=condition=Available deployment/nosuch",
    "wait --for=bogus deployment/web",
    "wait deployment/web",
    "wait --for=condition=Ready=false pod/pending --timeout=0",
    "wait --for=create deployment/web",
    "diff -f {dir}/cfg-same.yaml",
    "diff -f {dir}/cfg-changed.yaml",
    "diff -f {dir}/cfg-new.yaml",
    "diff -f {dir}/web-scaled.yaml",
    "diff",
    "diff -f {dir}/cfg-nons.yaml",
    "delete deployment web --dry-run=client",
    "delete deployment web --dry-run=server",
    "delete pods -l app=web --dry-run=client",
    "delete cm nosuch --dry-run=server -o name",
    "delete pod nosuch --dry-run=client",
    "delete deployment web --dry-run",
    "taint nodes worker-1 a=b:NoSchedule --dry-run=client",
    "taint nodes worker-1 a=b:Bad",
    "taint nodes worker-1",
    "taint nodes worker-1 a-",
    "taint nodes nosuch a=b:NoSchedule",
    "taint nodes worker-1 =b:NoSchedule",
    "set image deployment/web nginx=nginx:1.28 --dry-run=client",
    "set image deployment/web nosuch=x",
    "set env deployment/web --list",
    "set env deployment/web A=1 --dry-run=client",
    "set resources deployment web --limits=cpu=200m --dry-run=client",
    "set selector svc web app=other --dry-run=client",
    "set image deployment/web",
    "set resources deployment web",
    'patch deployment web -p \'{"spec":{"replicas":3}}\' --dry-run=client',
    "patch deployment web -p {bad",
    'patch cm cfg --type=json -p \'[{"op":"remove","path":"/data/nosuch"}]\'',
    "patch cm cfg --type=bogus -p {}",
    "patch cm nosuch -p {}",
    "replace -f {dir}/cfg-nons.yaml",
    "edit cm cfg",
    "edit cm nosuch",
    "apply --server-side -f {dir}/cfg-new.yaml --dry-run=server",
]

WEB_STEPS = [
    "taint nodes worker-1 dedicated=gpu:NoSchedule",
    "taint nodes worker-1 dedicated=cpu:NoSchedule",
    "taint nodes worker-1 dedicated=cpu:NoSchedule --overwrite",
    "get node worker-1 -o jsonpath={.spec.taints}",
    "describe node worker-1",
    "taint nodes worker-1 dedicated:NoSchedule-",
    "taint nodes worker-1 dedicated-",
    "taint nodes --all team=x:PreferNoSchedule",
    "taint nodes worker-2 team-",
    "set image deployment/web nginx=nginx:1.28",
    "get deploy web -o jsonpath={.spec.template.spec.containers}",
    "set env deployment/web MODE=fast LEVEL=3",
    "set env deployment/web --list",
    "set env deployment/web MODE-",
    "set resources deployment web --limits=cpu=200m,memory=256Mi --requests=cpu=100m",
    "get deploy web -o jsonpath={.spec.template.spec.containers[0].resources}",
    "set selector svc web app=web,tier=front",
    "get svc web -o jsonpath={.spec.selector}",
    'patch deployment web -p \'{"spec":{"replicas":3}}\'',
    'patch deployment web -p \'{"spec":{"replicas":3}}\'',
    'patch cm cfg --type=merge -p \'{"data":{"extra":"x"}}\'',
    'patch cm cfg --type=json -p \'[{"op":"replace","path":"/data/mode","value":"slow"}]\'',
    "patch cm cfg --patch-file={dir}/patch.json",
    "get cm cfg -o yaml",
    "replace -f {dir}/cfg-changed.yaml",
    "get cm cfg -o yaml",
    "rollout history deployment/web",
    "rollout history deployment/web --revision=2",
    "delete cm cfg --dry-run=server",
    "get cm",
    "apply --server-side -f {dir}/cfg-new.yaml",
    "get cm fresh -o yaml",
    "apply --server-side -f {dir}/cfg-new.yaml",
    "create token default",
    "wait --for=delete cm/nosuch --timeout=0",
]

BARE_READS = [
    "get pods",
    "get nodes",
    "describe node master-1",
    "describe deploy web",
    "describe cm cfg",
    "cluster-info",
    "events",
    "events -A --types=Normal",
    "api-versions",
    "get --raw /apis",
    "explain nodes",
    "auth can-i watch leases",
    "diff -f {dir}/cfg-changed.yaml",
    "diff -f {dir}/cfg-same.yaml",
]

TROUBLE_READS = [
    "get pods -o wide",
    "get nodes",
    "get deploy",
    "get rs",
    "describe deploy typo",
    "describe node worker-2",
    "describe pods -l app=typo",
    "describe pods -l app=web",
    "events",
    "events --types=Warning",
    "events --for deployment/web",
    "get events --field-selector=type=Warning",
    "rollout history deployment/typo",
    "rollout status deployment/typo --timeout=1s",
    "wait --for=condition=Available deployment/typo --timeout=0",
    "wait --for=jsonpath={.status.phase}=Running pods -l app=web --timeout=0",
    "logs deployment/typo",
    "logs -l app=web --tail=1",
    "describe rs -l app=web",
    "get pods --field-selector=status.phase!=Running",
    "top nodes",
    "top pods",
    "explain pods.status.containerStatuses.state",
    "taint nodes --all x=y:NoSchedule --dry-run=client",
]

SCENARIOS = [
    Scenario("web", _web, WEB_READS, WEB_STEPS),
    Scenario("bare", _bare, BARE_READS, []),
    Scenario("trouble", _trouble, TROUBLE_READS, []),
]

LOGS_RACE = (
    "the real kubectl's error when --request-timeout cuts the stream depends on where the cut falls "
    "(context deadline exceeded, or net/http: request canceled ... while reading body)"
)
LOGS_CONCURRENT = (
    "kubectl logs -l reads the Pods' streams concurrently, so whose lines come first depends on "
    "timing; the simulation prints them Pod after Pod"
)
METRICS_DISCOVERY = (
    "the served API announces metrics.k8s.io even in a cluster without the metrics addon, so the "
    "real kubectl asks and gets 503; a real cluster without metrics-server has no such "
    "APIService, and kubectl says 'Metrics API not available' as the simulation does"
)
#: Commands whose text still differs from the real kubectl's, with the reason.  The test fails when one of
#: them becomes equal (take it out of here) and reports any other difference.
KNOWN: dict[str, str] = {
    "web: logs -f deployment/web --request-timeout=1s": LOGS_RACE,
    "web: logs --follow deployment/web --tail=1 --request-timeout=1s": LOGS_RACE,
    "trouble: logs -l app=web --tail=1": LOGS_CONCURRENT,
    "trouble: top nodes": METRICS_DISCOVERY,
    "trouble: top pods": METRICS_DISCOVERY,
}

#: Reasons of differences that come and go with timing: such a command may also come out equal.
RACY = {LOGS_RACE, LOGS_CONCURRENT}
