"""The command-line layer: cobra's command search and pflag's parsing of valid command lines, typed.

Each form here is one kubectl accepts (spf13/pflag ``flag.go``: ``--name=value``, ``--name value``, ``-n
value``, ``-nvalue``, ``-n=value``, bundled shorthands, ``--`` ending the flags; component-base's
``WordSepNormalizeFunc`` reading ``_`` as ``-``; cobra ``command.go`` ``Find`` with aliases and flags before
the subcommand).
"""

from __future__ import annotations

import pytest

import kcourse
from kcourse.sim.kubectl import parse
from kcourse.sim.kubectl.flags import FlagError


@pytest.mark.parametrize(
    "line",
    [
        "get pods -nlab",
        "get pods -n=lab",
        "get pods -n lab",
        "get pods --namespace=lab",
        "get pods --namespace lab",
        "-n lab get pods",
        "get -n lab pods",
    ],
)
def test_every_spelling_of_a_value_flag_gives_the_same_value(line: str) -> None:
    args = parse(line.split())
    assert (args.command, args.positional, args.flags) == ("get", ["pods"], {"namespace": "lab"})


def test_values_are_typed_as_their_flags() -> None:
    args = parse(
        [
            "get",
            "pods",
            "-Aowide",
            "--chunk-size=0x10",
            "--all_namespaces=false",
            "-w",
            "--request-timeout",
            "5s",
        ]
    )
    assert args.flags == {
        "all-namespaces": False,
        "output": "wide",
        "chunk-size": 16,
        "watch": True,
        "request-timeout": "5s",
    }
    args = parse(["scale", "deploy/web", "--replicas", "3", "--timeout=1m30s"])
    assert args.flags == {"replicas": 3, "timeout": 90.0}


def test_list_flags_collect_their_values() -> None:
    """``-f`` is a stringSlice (CSV, comma-split); ``--from-literal`` a stringArray (kept whole)."""
    args = parse(["apply", "-f", "a.yaml,b.yaml", "-f", '"c,d.yaml"'])
    assert args.flags["filename"] == ["a.yaml", "b.yaml", "c,d.yaml"]
    args = parse(["create", "configmap", "x", "--from-literal=a=b,c", "--from-literal", "d=e"])
    assert args.flags["from-literal"] == ["a=b,c", "d=e"]


def test_subcommands_and_aliases_are_found_around_flags() -> None:
    args = parse(["create", "-n", "lab", "deploy", "web", "--image=nginx", "-r", "2"])
    assert (args.cmd.path, args.command, args.positional) == (
        "create deployment",
        "create",
        ["deploy", "web"],
    )
    assert args.flags == {"namespace": "lab", "image": ["nginx"], "replicas": 2}
    assert parse(["top", "po", "-A"]).cmd.path == "top pod"


def test_double_dash_ends_the_flags() -> None:
    args = parse(["get", "pods", "--", "-x", "--bogus"])
    assert args.positional == ["pods", "-x", "--bogus"] and args.flags == {}


def test_a_mistake_is_reported_before_any_later_one() -> None:
    with pytest.raises(FlagError) as first:
        parse(["get", "pods", "--chunk-size=x", "--bogus"])
    assert first.value.message.startswith('invalid argument "x" for "--chunk-size" flag')


def test_create_deployment_makes_one_container_per_image() -> None:
    """``--image`` of ``create deployment`` is a list: one container per image, named after it."""
    c = kcourse.Cluster(masters=1, workers=1, addons=False, seed=0)
    assert (
        c.kubectl("create deployment duo --image=nginx:1.27,registry.k8s.io/pause:3.10")
        == "deployment.apps/duo created\n"
    )
    spec = c.get("deployments", "duo")["spec"]["template"]["spec"]
    assert [(x["name"], x["image"]) for x in spec["containers"]] == [
        ("nginx", "nginx:1.27"),
        ("pause", "registry.k8s.io/pause:3.10"),
    ]
