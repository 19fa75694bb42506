"""Bad kubectl command lines answered by the simulation and by the real kubectl v1.32: the same text.

The cluster is served (``Cluster.serve``) and the real ``/usr/bin/kubectl``
is pointed at it, so the binary itself is the oracle: most of these errors
come out of cobra, pflag and kubectl's Complete/Validate before any request,
the rest from the served API.  Each command must leave both the store and
the answer unchanged: exit 1, nothing on stdout, the same stderr.

The installed binary is a "dispatcher" build whose ``main`` runs cobra through
component-base's ``cli.Run`` instead of kubectl's ``cmd/kubectl/kubectl.go``
(``cli.RunNoErrOutput`` + ``cmdutil.CheckErr``): it prints an error cobra
returns as ``Error: <err>`` (a flag error) or as a klog line
``E… run.go:72] "command failed" err="<err>"`` (a required flag), where
kubectl's own ``main`` prints ``error: <err>``.  :func:`as_kubectl_prints`
undoes exactly those two framings and nothing else; kubectl's plugin check
really prints ``Error: flags cannot be placed before plugin name`` itself
(``pkg/cmd/cmd.go``), so that one is left alone.
"""

from __future__ import annotations

import json
import os
import random
import re
import subprocess
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

import kcourse
from kcourse.sim.kubectl import Kubectl

from .kubectl_families import all_cases

KUBECTL = Path("/usr/bin/kubectl")
KLOG_FAILED = re.compile(r'^E\d{4} [\d:.]+\s+\d+ \S+\] "command failed" err=(".*")$', re.MULTILINE)

#: Hand-picked bad command lines beyond the flag families: values kubectl checks in Complete/Validate,
#: printers, jsonpath templates, selectors, arguments, names and manifests.  ``{dir}`` is a directory of
#: manifests written by the fixture.
HAND = [
    "get pods -o xyz",
    "get pods -o jsonpath={.items[",
    "get pods -o jsonpath={{.x}}",
    "get pods -o jsonpath={.items[0].metadata.name",
    "get pods -o jsonpath={.items[?(@.x",
    "get pods -o jsonpath={.a[x]}",
    'get pods -o jsonpath={"abc}',
    "get pods -o jsonpath=",
    "get pods -o jsonpath={.a}{#}",
    "get pods -o go-template",
    "get pods -o custom-columns=",
    "get pods -o custom-columns=NAME",
    "get podz",
    "get pods,podz",
    "get pods/",
    "get nosuch/x",
    "get pods nosuch",
    "get pods -l a=(b",
    "get pods --field-selector=abc",
    "get pods -l foo!",
    "get pods --request-timeout=abc",
    "get pods --request-timeout=5x",
    "get pods --all=maybe",
    "get pods --timeout=5s",
    "get pods --dry-run",
    "get pods --sort-by",
    "get pods -n",
    "get pods -o",
    "get pods -L",
    "get pods -Az",
    "get pods -lx -z",
    "get pods ---x",
    "get pods --=x",
    "--foo get pods",
    "-A get pods",
    "gett pods",
    "get",
    "delete",
    "scale",
    "create",
    "top foo",
    "config bogus",
    "label",
    "annotate",
    "expose",
    "delete pods",
    "delete pod x --grace-period=1.5",
    "delete pod x --cascade=foo",
    "delete pod x --dry-run=foo",
    "delete pod x --timeout=abc",
    "delete pod x --now=2",
    "delete pod x --now --grace-period=5",
    "delete pod x --grace-period=5 --force",
    "delete pods --all -l x=y",
    "delete pods --all --field-selector=a=b",
    "delete pods -l x=y x",
    "scale deployment x",
    "scale deployment x --replicas=-5",
    "scale deployment x --replicas=abc",
    "scale deployment x --replicas 0x",
    "scale --replicas=1",
    "create deployment x --image=nginx --port=abc",
    "create deployment x --image=nginx -r abc",
    "create deployment x --image=nginx --dry-run=foo",
    "create deployment x --image=nginx -o foo",
    "create deployment",
    "create deployment x",
    "create deploy x --port=99999999999 --image=nginx",
    "create namespace",
    "create configmap",
    "create secret generic",
    "run x --image=nginx --port=abc",
    "run y --image=nginx --labels=foo",
    "run y --image=nginx --labels==x",
    "run y --image=nginx -l a=b=c",
    "run z --image=nginx --restart=Foo",
    "run z --image=nginx -o foo",
    "run z --image=nginx --dry-run=foo",
    "run",
    "run x",
    "run x --image=nginx --env=A",
    "run x --image=nginx --env==B",
    "run x --image=nginx --annotations=foo",
    "run x --image=nginx --image-pull-policy=Sometimes",
    "run x --image=",
    "create namespace x y",
    "create deployment x y --image=nginx",
    "create configmap x --from-literal=foo",
    "get pods/x/y",
    "get pods,/x",
    "get /x",
    "drain worker-1 --grace-period=abc",
    "drain worker-1 --timeout=abc",
    "drain worker-1 --dry-run=foo",
    "drain worker-1 --force=maybe",
    "drain",
    "cordon",
    "uncordon",
    "cordon worker-1 --dry-run=foo",
    "logs",
    "logs x --tail=abc",
    "logs x --since=5",
    "logs x --since=abc",
    "logs x -c",
    "logs x --previous=2",
    "rollout foo x",
    "rollout status deploy/x --timeout=abc",
    "rollout status deploy/x -w=maybe",
    "rollout undo deploy/x --to-revision=abc",
    "rollout history deploy/x --revision=abc",
    "label pods",
    "label pod x a=b --overwrite=2",
    "label pod x a=b=c",
    "label pod x a=b a-",
    "label pod x a=bad!",
    "label pod x a=" + "v" * 64,
    "label pod x a=b c",
    "annotate pod x a- a=b",
    "annotate pod x a=b c",
    "label pod x a=b --all -l x=y",
    "annotate pod x",
    "annotate pod x a=b --all=maybe",
    "expose deploy x --port=80 --dry-run=foo",
    "top pod --sort-by=foo",
    "top pod -A=2",
    "top node --no-headers=x",
    "version --client=maybe",
    "version --output=foo",
    "api-resources -o foo",
    "api-resources --namespaced=maybe",
    "events -o foo",
    "events --for",
    "config current-context --bogus",
    "config use-context bogus",
    "config get-contexts bogus",
    "apply",
    "apply -f /nonexistent/x.yaml",
    "apply -f {dir}/noname.yaml",
    "apply --dry-run=client -f {dir}/noname.yaml",
    "apply --dry-run=client -f {dir}/nometa.yaml",
    "apply -f {dir}/noname.yaml --validate=foo",
    "apply -f {dir}/noname.yaml --dry-run=foo",
    "delete -f {dir}/noname.yaml",
    "delete -f {dir}/nometa.yaml",
    "get pods -f",
    "get -f ,",
    "get -f /nonexistent/a.yaml -f /nonexistent/b.yaml",
    "get pods -o go-template={{.x}} --bogus",
    "api-resources -o foo --namespaced=true",
    "get pods -n default --all-namespaces=no",
    "describe nosuch",
    "describe pod nosuch",
    "port-forward x 80 --address",
    "--context=bogus get pods",
    "--cluster=bogus get pods",
    "--user=bogus get pods",
    "get pods --kubeconfig=/nonexistent",
    "get pods nosuch --context=kubernetes-admin@kcourse --user=kubernetes-admin",
    "edit pod x --output-patch=maybe",
]


def as_kubectl_prints(stderr: str) -> str:
    """The dispatcher build's stderr framed as kubectl's own ``main`` frames it (see the module docstring)."""
    stderr = KLOG_FAILED.sub(lambda m: "error: " + json.loads(m.group(1)), stderr)
    if stderr.startswith("Error: ") and "flags cannot be placed before plugin name" not in stderr:
        # cli.Run adds "\n" to every error; CheckErr only to one that does not end with it already.
        stderr = (
            "error: "
            + stderr[len("Error: ") :].removesuffix("\n\n")
            + ("\n" if stderr.endswith("\n\n") else "")
        )
    return stderr


@pytest.fixture(scope="module")
def served(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[kcourse.Cluster, dict[str, str], Path]]:
    if not KUBECTL.exists():
        message = f"{KUBECTL} is missing: the comparison with the real kubectl needs it"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    cluster = kcourse.Cluster(masters=1, workers=1, addons=False, seed=0)
    home = tmp_path_factory.mktemp("home")
    manifests = tmp_path_factory.mktemp("manifests")
    (manifests / "nometa.yaml").write_text(
        "apiVersion: v1\nkind: Pod\nspec:\n  containers:\n  - name: a\n    image: nginx\n"
    )
    (manifests / "noname.yaml").write_text(
        "apiVersion: v1\nkind: Pod\nmetadata:\n  labels: {a: b}\nspec:\n"
        "  containers:\n  - name: a\n    image: nginx\n"
    )
    handle = cluster.serve(kubeconfig=home / "kubeconfig")
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(home),
        "KUBECONFIG": str(handle.kubeconfig),
        "LANG": "C.UTF-8",
        "NO_PROXY": "127.0.0.1",
    }
    yield cluster, env, manifests
    handle.stop()


def _sample() -> list[tuple[str, list[str]]]:
    """Every hand-picked line and a seeded sample of the generated families (``--help`` left out: the
    dispatcher build answers a bad ``--help`` value with its own flag dump)."""
    families = [(cid, argv) for cid, argv, _ in all_cases() if "--help" not in cid]
    return random.Random(13).sample(families, 30)


def test_bad_commands_answer_as_the_real_kubectl(
    served: tuple[kcourse.Cluster, dict[str, str], Path],
) -> None:
    cluster, env, manifests = served
    commands: list[list[str]] = [line.replace("{dir}", str(manifests)).split() for line in HAND]
    commands += [argv for _, argv in _sample()]

    def real(argv: list[str]) -> tuple[int, str, str]:
        r = subprocess.run(
            [str(KUBECTL), *argv],
            capture_output=True,
            text=True,
            env=env,
            timeout=60,
            stdin=subprocess.DEVNULL,
            check=False,
        )
        return r.returncode, r.stdout, as_kubectl_prints(r.stderr)

    revision = cluster.etcd.revision
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(real, commands))
    differences: list[Any] = []
    for argv, answer in zip(commands, answers, strict=True):
        with cluster.lock:
            ours = Kubectl(cluster).run_full(argv)
        if ours != answer:
            differences.append((" ".join(argv), ours, answer))
    assert cluster.etcd.revision == revision, "a bad command changed the store"
    assert not differences, "\n".join(
        f"$ kubectl {cmd}\n  ours: {o!r}\n  real: {r!r}" for cmd, o, r in differences
    )
    assert all(code == 1 for code, _, _ in answers), "every command here is one kubectl refuses"
    print(f"{len(commands)} bad commands, identical to kubectl v1.32")


#: Values at the edges of Go's parsers: base prefixes and ``_`` separators of ``strconv.ParseInt(s, 0, 64)``,
#: the units and fractions of ``time.ParseDuration``, quoting in ``encoding/csv``, and ``%q`` of odd
#: characters.
EDGE_VALUES = {
    "--chunk-size": [
        "0x10",
        "0X1f",
        "0o17",
        "017",
        "08",
        "0b101",
        "1_000",
        "0_1",
        "_1",
        "1__0",
        "0x_1",
        "+5",
        "-0",
        "9223372036854775807",
        "9223372036854775808",
        "-9223372036854775808",
        "0x8000000000000000",
        " 1",
        "1 ",
        "١",
        "",
        "0x",
        "1e3",
        "\u200b",
        "a\tb",
        "\\x00",
    ],
    "--timeout": [
        "1h30m",
        "1.5h",
        ".5s",
        "5.s",
        "-1s",
        "+1m",
        "0",
        "-0",
        "00",
        "1us",
        "1µs",
        "1μs",
        "1ns",
        "1d",
        "1",
        "",
        "s",
        "1.2.3s",
        "9223372036s",
        "9223372037s",
        "2562047h",
        "2562048h",
        "1H",
        "1s ",
        "١s",
    ],
}


def test_value_parsers_agree_with_go(served: tuple[kcourse.Cluster, dict[str, str], Path]) -> None:
    """The same refused-or-accepted answer, and the same text, as the real binary for values at the edges of
    Go's ``strconv``, ``time`` and ``%q`` (``get --chunk-size`` is an int flag, ``rollout status --timeout`` a
    duration; an accepted value goes on to the NotFound of a missing object)."""
    cluster, env, _ = served
    commands = [
        ["get", "pods", "nosuch", f"{flag}={v}"]
        if flag == "--chunk-size"
        else ["rollout", "status", "deployment/nosuch", f"{flag}={v}"]
        for flag, values in EDGE_VALUES.items()
        for v in values
    ]

    def real(argv: list[str]) -> tuple[int, str, str]:
        r = subprocess.run(
            [str(KUBECTL), *argv],
            capture_output=True,
            text=True,
            env=env,
            timeout=60,
            stdin=subprocess.DEVNULL,
            check=False,
        )
        return r.returncode, r.stdout, as_kubectl_prints(r.stderr)

    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(real, commands))
    differences = []
    for argv, answer in zip(commands, answers, strict=True):
        with cluster.lock:
            ours = Kubectl(cluster).run_full(argv)
        if ours != answer:
            differences.append((argv[-1], ours, answer))
    assert not differences, "\n".join(f"{v!r}\n  ours: {o!r}\n  real: {r!r}" for v, o, r in differences)
    accepted = sum("NotFound" in err for _, _, err in answers)
    assert 10 < accepted < len(commands) - 10, "the edge values are a mix of accepted and refused ones"
