"""Families of bad kubectl command lines, generated from kubectl v1.32's own flag table.

For every command the simulated cluster runs, a command line that would be
valid (``BASE``) is spoiled one way at a time: each typed flag of the
command (its own and the global ones) given a value its Go type refuses,
each flag that takes a value given none, unknown long and short flags,
malformed flag syntax.  Each case carries the text kubectl prints, written
here from pflag's and Go's message formats for the chosen values (not
computed by the code under test):

- ``invalid argument %q for %q flag: %v`` and ``flag needs an argument``,
  ``unknown flag``, ``unknown shorthand flag: %q in -%s``, ``bad flag
  syntax`` — spf13/pflag ``flag.go``;
- ``strconv.ParseBool``/``ParseInt`` ``parsing %q: invalid syntax`` or
  ``value out of range`` — Go ``strconv/atoi.go``, ``atob.go``;
- ``time: invalid duration``, ``missing unit``, ``unknown unit`` — Go
  ``time/format.go``;
- ``parse error on line 1, column N`` — Go ``encoding/csv/reader.go``;
- ``See 'kubectl <command path> --help' for usage.`` — kubectl
  ``pkg/util/templates/templater.go`` ``FlagErrorFunc``.
"""

from __future__ import annotations

from kcourse.sim.kubectl import IMPLEMENTED
from kcourse.sim.kubectl.flags import ROOT, Command

#: A command line each implemented command would accept (against the hostile cluster's objects).
BASE = {
    "get": "get pods",
    "describe": "describe pods",
    "apply": "apply -f /nonexistent.yaml",
    "create": "create -f /nonexistent.yaml",
    "create deployment": "create deployment x --image=nginx",
    "create namespace": "create namespace x",
    "create configmap": "create configmap x",
    "create secret generic": "create secret generic x",
    "run": "run x --image=nginx",
    "delete": "delete pod x",
    "scale": "scale deployment x --replicas=1",
    "cordon": "cordon worker-1",
    "uncordon": "uncordon worker-1",
    "drain": "drain worker-1",
    "logs": "logs x",
    "rollout status": "rollout status deployment/x",
    "rollout history": "rollout history deployment/x",
    "rollout restart": "rollout restart deployment/x",
    "rollout undo": "rollout undo deployment/x",
    "rollout pause": "rollout pause deployment/x",
    "rollout resume": "rollout resume deployment/x",
    "label": "label pod x a=b",
    "annotate": "annotate pod x a=b",
    "expose": "expose deployment x --port=80",
    "top node": "top node",
    "top pod": "top pod",
    "version": "version",
    "cluster-info": "cluster-info",
    "api-resources": "api-resources",
    "config current-context": "config current-context",
    "config get-contexts": "config get-contexts",
    "events": "events",
}

#: Values each pflag type refuses, with the Go error that follows ``flag: `` in kubectl's message.
WRONG = {
    "bool": [
        ("maybe", 'strconv.ParseBool: parsing "maybe": invalid syntax'),
        ("2", 'strconv.ParseBool: parsing "2": invalid syntax'),
        ("", 'strconv.ParseBool: parsing "": invalid syntax'),
        ("yes", 'strconv.ParseBool: parsing "yes": invalid syntax'),
    ],
    "int": [
        ("abc", 'strconv.ParseInt: parsing "abc": invalid syntax'),
        ("1.5", 'strconv.ParseInt: parsing "1.5": invalid syntax'),
        ("", 'strconv.ParseInt: parsing "": invalid syntax'),
        ("99999999999999999999", 'strconv.ParseInt: parsing "99999999999999999999": value out of range'),
        ("1_", 'strconv.ParseInt: parsing "1_": invalid syntax'),
        ("٣", 'strconv.ParseInt: parsing "٣": invalid syntax'),
    ],
    "int32": [
        ("abc", 'strconv.ParseInt: parsing "abc": invalid syntax'),
        ("99999999999", 'strconv.ParseInt: parsing "99999999999": value out of range'),
        ("-2147483649", 'strconv.ParseInt: parsing "-2147483649": value out of range'),
        ("0x", 'strconv.ParseInt: parsing "0x": invalid syntax'),
    ],
    "duration": [
        ("abc", 'time: invalid duration "abc"'),
        ("5", 'time: missing unit in duration "5"'),
        ("5x", 'time: unknown unit "x" in duration "5x"'),
        ("", 'time: invalid duration ""'),
        (".s", 'time: invalid duration ".s"'),
        ("1é", 'time: unknown unit "\\xc3\\xa9" in duration "1\\xc3\\xa9"'),
    ],
    "stringSlice": [
        ('"a', 'parse error on line 1, column 3: extraneous or missing " in quoted-field'),
        ('a"b', 'parse error on line 1, column 2: bare " in non-quoted-field'),
        ('"a"b', 'parse error on line 1, column 3: extraneous or missing " in quoted-field'),
    ],
}


def _quoted(text: str) -> str:
    """Go's ``%q`` for the plain ASCII-or-printable values used here."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def command(path: str) -> Command:
    node = ROOT
    for word in path.split():
        node = node.children[word]
    return node


def flag_value_cases() -> list[tuple[str, list[str], str]]:
    """``(id, argv, expected stderr)``: each typed flag of each command given each refused value."""
    cases = []
    for path, base in sorted(BASE.items()):
        assert path in IMPLEMENTED, path
        cmd = command(path)
        hint = f"See 'kubectl {path} --help' for usage.\n"
        for flag in sorted(cmd.flags().values(), key=lambda f: f.name):
            for value, go_error in WRONG.get(flag.type, []):
                shown = f"-{flag.shorthand}, --{flag.name}" if flag.shorthand else f"--{flag.name}"
                expected = (
                    f"error: invalid argument {_quoted(value)} for {_quoted(shown)} flag: {go_error}\n{hint}"
                )
                cases.append(
                    (f"{path} --{flag.name}={value!r}", [*base.split(), f"--{flag.name}={value}"], expected)
                )
                if flag.shorthand and flag.type != "bool":
                    cases.append(
                        (
                            f"{path} -{flag.shorthand} {value!r}",
                            [*base.split(), f"-{flag.shorthand}", value],
                            expected,
                        )
                    )
    return cases


def missing_value_cases() -> list[tuple[str, list[str], str]]:
    """Each flag that takes a value, given last with none: ``flag needs an argument``."""
    cases = []
    for path, base in sorted(BASE.items()):
        cmd = command(path)
        hint = f"See 'kubectl {path} --help' for usage.\n"
        for flag in sorted(cmd.flags().values(), key=lambda f: f.name):
            if flag.no_opt:
                continue
            cases.append(
                (
                    f"{path} --{flag.name}",
                    [*base.split(), f"--{flag.name}"],
                    f"error: flag needs an argument: --{flag.name}\n{hint}",
                )
            )
            if flag.shorthand:
                cases.append(
                    (
                        f"{path} -{flag.shorthand}",
                        [*base.split(), f"-{flag.shorthand}"],
                        f"error: flag needs an argument: '{flag.shorthand}' in -{flag.shorthand}\n{hint}",
                    )
                )
    return cases


def unknown_flag_cases() -> list[tuple[str, list[str], str]]:
    """Flags no kubectl command has, and malformed flag syntax, after every command."""
    cases = []
    for path, base in sorted(BASE.items()):
        cmd = command(path)
        hint = f"See 'kubectl {path} --help' for usage.\n"
        shorts = {f.shorthand for f in cmd.flags().values()}
        letter = next(ch for ch in "ZQjJ" if ch not in shorts)
        for argv_tail, message in (
            (["--bogus"], "unknown flag: --bogus"),
            (["--bogus=1"], "unknown flag: --bogus"),
            ([f"-{letter}"], f"unknown shorthand flag: '{letter}' in -{letter}"),
            ([f"-{letter}x"], f"unknown shorthand flag: '{letter}' in -{letter}x"),
            (["---x"], "bad flag syntax: ---x"),
            (["--=x"], "bad flag syntax: --=x"),
        ):
            cases.append(
                (f"{path} {' '.join(argv_tail)}", [*base.split(), *argv_tail], f"error: {message}\n{hint}")
            )
    return cases


def all_cases() -> list[tuple[str, list[str], str]]:
    return flag_value_cases() + missing_value_cases() + unknown_flag_cases()
