"""Bad kubectl command lines: unknown commands and flags, missing arguments, bad values, shell tricks.

Each line of ``kubectl_commands.txt`` is one command and the text kubectl
must print on stderr.  The command must exit 1, print nothing on stdout,
raise nothing, run nothing (``$(...)`` and backticks are text, not a
shell) and leave the store at the same revision.
"""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

import kcourse
from kcourse.sim.kubectl import Kubectl

from .conftest import CORPUS, assert_clear
from .kubectl_families import BASE, command, flag_value_cases, missing_value_cases, unknown_flag_cases

MARKER = Path("/tmp/kcourse-hostile-marker")
#: kubectl's plugin lookup prints this one capitalised itself (``pkg/cmd/cmd.go``): not a leaked Python error.
PLUGIN_ERROR = "Error: flags cannot be placed before plugin name"
CASES = [
    tuple(line.rstrip("\n").split(" ==> ", 1))
    for line in (CORPUS / "kubectl_commands.txt").read_text().splitlines(True)
    if not line.startswith("#")
]


@pytest.mark.parametrize(("command", "expected"), CASES, ids=[c or "<empty>" for c, _ in CASES])
def test_bad_command_exits_1_with_kubectls_message(
    command: str, expected: str, cluster: kcourse.Cluster
) -> None:
    MARKER.unlink(missing_ok=True)
    revision = cluster.etcd.revision
    code, out, err = Kubectl(cluster).run_full(command)
    assert (code, out) == (1, "")
    assert expected in err
    assert_clear(err.removeprefix(PLUGIN_ERROR))
    assert cluster.etcd.revision == revision
    assert not MARKER.exists()


@pytest.mark.parametrize(
    "argv",
    [
        ["get", "\x00"],
        ["get", "pods", "x" * 100_000],
        ["get", "pods", "-o", "\udcff"],
        ["delete", "pod", "../../etc/passwd"],
        ["get", "pods", "-l", "(" * 10_000],
        ["get", "pods", "-l", "a" * 64 + "=x"],
    ],
    ids=["nul", "huge-name", "lone-surrogate", "path-traversal", "huge-selector", "selector-key-too-long"],
)
def test_odd_argv_is_refused_cleanly(argv: list[str], cluster: kcourse.Cluster) -> None:
    revision = cluster.etcd.revision
    code, out, err = Kubectl(cluster).run_full(argv)
    assert (code, out) == (1, "")
    assert_clear(err)
    assert cluster.etcd.revision == revision


def test_a_failed_command_through_the_cluster_returns_text(cluster: kcourse.Cluster) -> None:
    """``cluster.kubectl`` is what a notebook calls: errors come back as kubectl's text, never as an
    exception, even for a command line that is not text at all (``shlex.split(None)`` would read standard
    input)."""
    assert cluster.kubectl("get pods --bogus").startswith("error: unknown flag: --bogus")
    for odd in (None, 5, b"get pods", ["get", 5]):
        assert cluster.kubectl(odd).startswith("error: a command line is text or a list of words")  # type: ignore[arg-type]


# --- generated families: every typed flag of every command, from kubectl v1.32's own flag table -------------

FAMILIES = {
    "wrong-value": flag_value_cases(),
    "missing-value": missing_value_cases(),
    "unknown": unknown_flag_cases(),
}
BY_COMMAND = sorted(
    {
        (family, path)
        for family, cases in FAMILIES.items()
        for cid, _, _ in cases
        for path in [next(p for p in sorted(BASE, key=len, reverse=True) if cid.startswith(p + " "))]
    }
)


@pytest.mark.parametrize(("family", "path"), BY_COMMAND, ids=[f"{f}:{p}" for f, p in BY_COMMAND])
def test_every_flag_of_every_command_is_parsed_before_anything_runs(
    family: str, path: str, cluster: kcourse.Cluster
) -> None:
    """Each typed flag given a value its Go type refuses, each value-taking flag given none, unknown flags and
    bad flag syntax: pflag's message, kubectl's usage line, exit 1, and the store untouched — whatever the
    command would have done (drain's cordon, create, delete) never starts.

    Texts: spf13/pflag ``flag.go`` (``parseLongArg``, ``parseSingleShortArg``, ``Set``), Go ``strconv``,
    ``time.ParseDuration``, ``encoding/csv``; kubectl ``pkg/util/templates/templater.go`` (``FlagErrorFunc``).
    """
    cases = [
        (cid, argv, expected)
        for cid, argv, expected in FAMILIES[family]
        if next(p for p in sorted(BASE, key=len, reverse=True) if cid.startswith(p + " ")) == path
    ]
    assert cases
    revision = cluster.etcd.revision
    wrong = []
    for cid, argv, expected in cases:
        answer = Kubectl(cluster).run_full(argv)
        if answer != (1, "", expected):
            wrong.append((cid, answer, expected))
    assert not wrong, wrong[:5]
    assert cluster.etcd.revision == revision


def test_the_families_cover_every_typed_flag_of_every_command() -> None:
    """The generator reaches each command the simulation runs and every flag type pflag gives kubectl."""
    generated = {cid.split(" --")[0].split(" -")[0] for cid, _, _ in flag_value_cases()}
    assert generated == set(BASE)
    types = {f.type for path in BASE for f in command(path).flags().values()}
    assert {"bool", "int", "int32", "duration", "stringSlice"} <= types
    assert len(flag_value_cases()) > 1500 and len(missing_value_cases()) > 1000


# --- what kubectl checks in Complete/Validate, before any request -------------------------------------------

PRINTING = [
    p
    for p in sorted(BASE)
    if "output" in command(p).flags() and p not in ("get", "version", "api-resources", "delete")
]


@pytest.mark.parametrize("path", PRINTING)
def test_an_unknown_output_format_is_refused_by_the_printer_flags(
    path: str, cluster: kcourse.Cluster
) -> None:
    """``-o xyz``: cli-runtime's ``PrintFlags.ToPrinter`` answers ``unable to match a printer suitable for the
    output format`` with the formats it allows, before the command acts
    (``genericclioptions/print_flags.go``)."""
    revision = cluster.etcd.revision
    code, out, err = Kubectl(cluster).run_full([*BASE[path].split(), "-o", "xyz"])
    assert (code, out) == (1, "")
    assert err == (
        'error: unable to match a printer suitable for the output format "xyz", allowed formats are: '
        "go-template,go-template-file,json,jsonpath,jsonpath-as-json,jsonpath-file,name,template,"
        "templatefile,yaml\n"
    )
    assert cluster.etcd.revision == revision


DRY_RUN = [p for p in sorted(BASE) if "dry-run" in command(p).flags()]


@pytest.mark.parametrize("path", DRY_RUN)
@pytest.mark.parametrize("value", ["maybe", "Client", "true", ""])
def test_a_dry_run_value_other_than_none_server_client_is_refused(
    path: str, value: str, cluster: kcourse.Cluster
) -> None:
    """``--dry-run``: ``cmdutil.GetDryRunStrategy`` accepts none, server, client
    (``pkg/cmd/util/helpers.go``)."""
    revision = cluster.etcd.revision
    code, out, err = Kubectl(cluster).run_full([*BASE[path].split(), f"--dry-run={value}"])
    assert (code, out, err) == (
        1,
        "",
        (f'error: Invalid dry-run value ({value}). Must be "none", "server", or "client".\n'),
    )
    assert cluster.etcd.revision == revision


def test_drain_with_a_bad_flag_leaves_the_node_schedulable(cluster: kcourse.Cluster) -> None:
    """``drain worker-1 --grace-period=abc`` fails in pflag, before drain's cordon: the node stays
    schedulable."""
    revision = cluster.etcd.revision
    for bad in ("--grace-period=abc", "--timeout=abc", "--force=maybe", "--dry-run=bogus", "--bogus"):
        code, _, err = Kubectl(cluster).run_full(["drain", "worker-1", bad])
        assert code == 1 and err.startswith("error: ")
    assert not (cluster.get("nodes", "worker-1", None).get("spec") or {}).get("unschedulable")
    assert cluster.etcd.revision == revision


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        (
            "create deployment x --image=nginx --port=abc",
            (
                'error: invalid argument "abc" for "--port" flag: strconv.ParseInt: parsing "abc": '
                "invalid syntax\nSee 'kubectl create deployment --help' for usage.\n"
            ),
        ),
        (
            "create deploy x --image=nginx --port=99999999999",
            (
                'error: invalid argument "99999999999" for "--port" flag: strconv.ParseInt: parsing '
                "\"99999999999\": value out of range\nSee 'kubectl create deployment --help' for usage.\n"
            ),
        ),
        ("run x --image=nginx --port=abc", 'error: strconv.Atoi: parsing "abc": invalid syntax\n'),
        ("run y --image=nginx --labels=foo", "error: unexpected label spec: foo\n"),
        ("run y --image=nginx --labels==x", "error: unexpected empty label key\n"),
        ("run y --image=nginx -l a=b,c", "error: unexpected label spec: c\n"),
        (
            "run z --image=nginx --restart=Sometimes",
            "error: invalid restart policy: Sometimes\nSee 'kubectl run -h' for help and examples\n",
        ),
        (
            "scale deployment x --replicas=-1",
            "error: The --replicas=COUNT flag is required, and COUNT must be greater than or equal to 0\n",
        ),
        ("expose deployment x --port=http", 'Error from server (NotFound): deployments.apps "x" not found\n'),
        ("version --output=toml", "error: --output must be 'yaml' or 'json'\n"),
        ("api-resources -o toml", "error: --output toml is not available\n"),
        ("delete pod x -o yaml", "error: unexpected -o output mode: yaml. We only support '-o name'\n"),
        (
            "delete pod x --cascade=sometimes",
            'error: invalid cascade value (sometimes). Must be "background", "foreground", or "orphan"\n',
        ),
        (
            "get pods --request-timeout=soon",
            (
                "error: Invalid timeout value. Timeout must be a single integer in seconds, "
                "or an integer followed by a corresponding time unit (e.g. 1s | 2m | 3h)\n"
            ),
        ),
        (
            "get pods -o jsonpath={.items[?(@.x",
            "error: error parsing jsonpath {.items[?(@.x, unterminated filter\n",
        ),
        (
            "get pods -o jsonpath={.a[1:x]}",
            "error: error parsing jsonpath {.a[1:x]}, invalid array index 1:x\n",
        ),
        ("get pods/x/y", "error: arguments in resource/name form may not have more than one slash\n"),
        (
            "get pods -l a=(b",
            (
                'Error from server (BadRequest): Unable to find "/v1, Resource=pods" that match label '
                'selector "a=(b", field selector "": unable to parse requirement: found \'a=(b\', expected: '
                "in, notin, =, ==, !=, gt, lt\n"
            ),
        ),
        (
            "rollout pause deploy/x extra/y --bogus",
            ("error: unknown flag: --bogus\nSee 'kubectl rollout pause --help' for usage.\n"),
        ),
        (
            "-n default get pods --bogus",
            "error: unknown flag: --bogus\nSee 'kubectl get --help' for usage.\n",
        ),
        (
            "--namespace default --foo get pods",
            "Error: flags cannot be placed before plugin name: --namespace\n",
        ),
    ],
)
def test_values_kubectl_checks_before_acting(command: str, expected: str, cluster: kcourse.Cluster) -> None:
    """Values pflag accepts but kubectl's Complete/Validate refuse (``run.go`` ``generate.ParseLabels``,
    ``Atoi``; ``scale.go``; ``version.go``; ``apiresources.go``; ``delete_flags.go``; client-go
    ``jsonpath/parser.go``; cli-runtime ``resource/builder.go`` and ``selector.go``), and cobra's own ordering
    (``Find`` before flags; kubectl's plugin check in ``cmd.go``): kubectl's text, exit 1, nothing stored."""
    revision = cluster.etcd.revision
    code, out, err = Kubectl(cluster).run_full(command)
    assert (code, out, err) == (1, "", expected)
    assert cluster.etcd.revision == revision


@pytest.mark.parametrize(
    "manifest",
    [
        "apiVersion: v1\nkind: Pod\nspec: {}\n",
        "apiVersion: v1\nkind: Pod\nmetadata: {labels: {a: b}}\n",
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: ''}\n",
    ],
    ids=["no-metadata", "no-name", "empty-name"],
)
@pytest.mark.parametrize("verb", ["get -f", "delete -f", "apply -f", "apply --dry-run=client -f"])
def test_a_manifest_without_a_name_is_refused_by_every_verb(
    manifest: str, verb: str, tmp_path: Path, cluster: kcourse.Cluster
) -> None:
    """``get``/``delete``/``apply`` of an object without ``metadata.name``: the builder's ``resource name may
    not be empty`` (cli-runtime ``resource/helper.go``; apply's ``error when retrieving current configuration
    of``)."""
    path = tmp_path / "noname.yaml"
    path.write_text(manifest)
    revision = cluster.etcd.revision
    code, out, err = Kubectl(cluster).run_full([*verb.split(), str(path)])
    assert (code, out) == (1, "")
    assert "resource name may not be empty" in err
    assert_clear(err)
    assert cluster.etcd.revision == revision


def test_a_sort_by_template_that_does_not_parse_leaves_nothing_to_print(busy: kcourse.Cluster) -> None:
    """kubectl v1.32 drops the sorter's parse error of ``--sort-by={.metadata.name[``: with two or more
    objects it prints ``No resources found`` and exits 0 (``get.go``/``sorter.go``; the real binary answers
    so), and with one it prints it unsorted."""
    assert busy.kubectl("get pods --sort-by={.metadata.name[") == "No resources found in default namespace.\n"
    assert busy.kubectl("get pods -A --sort-by=.metadata.name[") == "No resources found\n"
    assert busy.kubectl("get node worker-1 --sort-by={{.x}}").startswith("NAME ")


def test_a_list_flag_splits_on_commas_as_csv(cluster: kcourse.Cluster, tmp_path: Path) -> None:
    """``-f a,b`` is two files (pflag's stringSlice reads CSV) and every missing one is named, one per
    line."""
    code, out, err = Kubectl(cluster).run_full(["get", "-f", f"{tmp_path}/a.yaml,{tmp_path}/b.yaml"])
    assert (code, out) == (1, "")
    assert (
        err == f'the path "{tmp_path}/a.yaml" does not exist\nthe path "{tmp_path}/b.yaml" does not exist\n'
    )


LONG_NAME = "a" * 300  # longer than a file name may be (NAME_MAX, 255)


def _through_a_file(tmp_path: Path, *texts: str) -> list[str]:
    """``texts`` with ``{file}`` standing for a regular file in ``tmp_path`` (``{file}/x`` is a path the
    system refuses with ENOTDIR)."""
    (tmp_path / "file").write_text("")
    return [text.replace("{file}", str(tmp_path / "file")) for text in texts]


@pytest.mark.parametrize("verb", ["get", "apply", "delete", "create", "replace", "diff"])
@pytest.mark.parametrize(
    ("path", "why"),
    [
        (LONG_NAME, "file name too long"),
        ("{file}/x", "not a directory"),
        ("a\0b", "invalid argument"),
    ],
    ids=["too-long", "through-a-file", "nul-byte"],
)
def test_a_path_the_system_refuses_cannot_be_accessed(
    verb: str, path: str, why: str, cluster: kcourse.Cluster, tmp_path: Path
) -> None:
    """``-f PATH`` that ``os.Stat`` fails on for a reason other than a missing file: cli-runtime
    ``resource/builder.go`` ``Path`` answers ``the path "PATH" cannot be accessed: stat PATH: <errno>`` (the
    v1.32 binary answers so for a 300-character name and a path through a file), and nothing is read or
    sent (``diff`` exits 2 on an error, as it does for every error)."""
    [path] = _through_a_file(tmp_path, path)
    revision = cluster.etcd.revision
    code, out, err = Kubectl(cluster).run_full([verb, "-f", path])
    expected = f'the path "{path}" cannot be accessed: stat {path}: {why}'
    assert (code, out) == (2 if verb == "diff" else 1, ""), err
    assert expected in err
    assert cluster.etcd.revision == revision


def test_every_refused_path_is_named_one_per_line(cluster: kcourse.Cluster, tmp_path: Path) -> None:
    """Missing and inaccessible ``-f`` paths together: each of builder.go's errors on a line of its own."""
    missing = f"{tmp_path}/missing.yaml"
    code, out, err = Kubectl(cluster).run_full(["apply", "-f", missing, "-f", LONG_NAME])
    assert (code, out) == (1, "")
    assert err == (
        f'the path "{missing}" does not exist\n'
        f'the path "{LONG_NAME}" cannot be accessed: stat {LONG_NAME}: file name too long\n'
    )


#: Paths Go's ``os.ReadFile`` cannot read, with its error for each (as the v1.32 binary prints them).
UNREADABLE = [
    (LONG_NAME, f"open {LONG_NAME}: file name too long"),
    ("{file}/x", "open {file}/x: not a directory"),
    ("/", "read /: is a directory"),
    ("a\0b", "open a\0b: invalid argument"),
]
UNREADABLE_IDS = ["too-long", "through-a-file", "a-directory", "nul-byte"]


@pytest.mark.parametrize(("path", "why"), UNREADABLE, ids=UNREADABLE_IDS)
def test_a_kubeconfig_that_cannot_be_loaded_is_clientcmds_error(
    path: str, why: str, cluster: kcourse.Cluster, tmp_path: Path
) -> None:
    """``--kubeconfig=PATH``: client-go ``tools/clientcmd/loader.go`` ``Load`` returns ``os.Stat``'s error
    for a missing file and otherwise wraps ``os.ReadFile``'s (``error loading config file``), as the v1.32
    binary prints them; the command never runs."""
    path, why = _through_a_file(tmp_path, path, why)
    revision = cluster.etcd.revision
    for config, expected in [
        (path, f'error loading config file "{path}": {why}'),
        (f"{tmp_path}/missing", f"stat {tmp_path}/missing: no such file or directory"),
    ]:
        code, out, err = Kubectl(cluster).run_full(["get", "pods", f"--kubeconfig={config}"])
        assert (code, out, err) == (1, "", f"error: {expected}\n")
    assert cluster.etcd.revision == revision


@pytest.mark.parametrize(
    ("path", "why"),
    [*UNREADABLE, ("/nonexistent/patch.json", "open /nonexistent/patch.json: no such file or directory")],
    ids=[*UNREADABLE_IDS, "missing"],
)
def test_a_patch_file_that_cannot_be_read_is_refused_before_any_request(
    path: str, why: str, busy: kcourse.Cluster, tmp_path: Path
) -> None:
    """``patch --patch-file=PATH``: ``os.ReadFile``'s error after ``unable to read patch file:`` (patch.go),
    as the v1.32 binary prints it, and nothing is patched."""
    path, why = _through_a_file(tmp_path, path, why)
    revision = busy.etcd.revision
    code, out, err = Kubectl(busy).run_full(["patch", "deployment", "web", f"--patch-file={path}"])
    assert (code, out, err) == (1, "", f"error: unable to read patch file: {why}\n")
    assert busy.etcd.revision == revision


# --- a property: mutated valid command lines never escape as exceptions, and a refusal changes nothing ------

VALID = [
    "get pods",
    "get pods -o wide",
    "get nodes -o wide",
    "get pods -A",
    "get pods -n kube-system -o wide",
    "get nodes --no-headers",
    "get pods -l app=web -o name",
    "get pods -o jsonpath={.items[*].metadata.name}",
    "get node worker-1 -o jsonpath={.status.addresses}",
    "get pods --sort-by=.metadata.name",
    "get deploy,rs,pods",
    "get pods -o custom-columns=NAME:.metadata.name,NODE:.spec.nodeName",
    "get pods -L app --show-labels",
    "describe node worker-1",
    "describe pods",
    "create deployment web --image=nginx:1.27 --replicas=2 --port=80",
    "create namespace lab",
    "create configmap settings --from-literal=colour=blue",
    "run solo --image=nginx --port=80",
    "run tagged --image=nginx --labels=a=b,c=d --restart=Never",
    "scale deployment web --replicas=3",
    "label pod solo tier=front --overwrite",
    "annotate pod solo note=hi",
    "expose deployment web --port=80",
    "cordon worker-1",
    "uncordon worker-1",
    "logs solo --tail=5",
    "rollout history deployment/web",
    "rollout restart deployment/web",
    "rollout pause deployment/web",
    "rollout resume deployment/web",
    "delete pod solo --grace-period=0 --force",
    "delete configmap settings",
    "top node",
    "top pod -A",
    "version --client",
    "cluster-info",
    "api-resources --no-headers",
    "config current-context",
    "events -A",
]
JUNK = st.sampled_from(
    [
        "",
        "-",
        "--",
        "=",
        "abc",
        "-1",
        "0x",
        "1.5",
        "99999999999999999999",
        '"a',
        "a,b",
        "{.x[",
        "é",
        "\u200b",
        "\x00",
        "../../etc/passwd",
        "$(touch /tmp/x)",
        "'",
        "-n",
        "--all",
        "=x",
        "a" * 300,
        "🙂",
        "\udcff",
    ]
)
FLAG_NAMES = sorted({f.name for path in BASE for f in command(path).flags().values()})


@st.composite
def mutated(draw: st.DrawFn) -> list[str]:
    tokens = shlex.split(draw(st.sampled_from(VALID)))
    for _ in range(draw(st.integers(1, 3))):
        op = draw(st.sampled_from(["drop", "duplicate", "swap", "garble", "junk-value", "add-flag", "dash"]))
        i = draw(st.integers(0, max(len(tokens) - 1, 0)))
        if op == "drop" and tokens:
            del tokens[i]
        elif op == "duplicate" and tokens:
            tokens.insert(i, tokens[i])
        elif op == "swap" and len(tokens) > 1:
            j = draw(st.integers(0, len(tokens) - 1))
            tokens[i], tokens[j] = tokens[j], tokens[i]
        elif op == "garble" and tokens:
            text = draw(st.text(min_size=1, max_size=3))
            cut = draw(st.integers(0, len(tokens[i])))
            tokens[i] = tokens[i][:cut] + text + tokens[i][cut:]
        elif op == "junk-value" and tokens:
            name = (
                tokens[i].split("=", 1)[0]
                if tokens[i].startswith("-")
                else f"--{draw(st.sampled_from(FLAG_NAMES))}"
            )
            tokens[i] = f"{name}={draw(JUNK)}"
        elif op == "add-flag":
            tokens.insert(i, f"--{draw(st.sampled_from(FLAG_NAMES))}={draw(JUNK)}")
        else:
            tokens.insert(i, draw(st.sampled_from(["--", "-", "---", "-x", "--=", "-nx"])))
    return tokens


@pytest.fixture(scope="module")
def busy() -> kcourse.Cluster:
    """A cluster with the objects the valid command lines name."""
    c = kcourse.Cluster(masters=1, workers=1, addons=False, seed=0)
    for line in ("create deployment web --image=nginx:1.27 --replicas=2", "run solo --image=nginx"):
        c.kubectl(line)
    c.run_until_stable()
    return c


@settings(
    max_examples=400,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(argv=mutated())
def test_mutated_command_lines_answer_in_text_and_a_refusal_changes_nothing(
    argv: list[str], busy: kcourse.Cluster
) -> None:
    """Valid command lines with tokens dropped, duplicated, swapped or garbled, flags given junk values, stray
    dashes: no exception escapes, the answer is text, and when kubectl refuses (exit 1, nothing done on
    stdout) the store is at the same revision."""
    revision = busy.etcd.revision
    code, out, err = Kubectl(busy).run_full(argv)
    event("refused" if code else "accepted")
    assert isinstance(out, str) and isinstance(err, str) and code in (0, 1)
    if code:
        # kubectl's plugin lookup really prints "Error: " (pkg/cmd/cmd.go): not a leak
        assert_clear(err.removeprefix(PLUGIN_ERROR))
        if not out:
            assert busy.etcd.revision == revision, (argv, err)
    assert isinstance(busy.kubectl(shlex.join(argv)), str)


@pytest.mark.parametrize(
    "argv",
    [
        ["x" * 200_000],
        ["get", *["a"] * 100_000],
        ["get", "pods", *["-L", "a"] * 50_000],
        ["get", "nodes", "-o", "jsonpath=" + "{range .items[*]}" * 5_000],
        ["get", "nodes", "-o", "jsonpath=" + "{.a}" * 50_000],
        ["get", "nodes", "-o", "jsonpath={" + "[" * 100_000],
        ["get", "nodes", "--sort-by=" + ".a" * 50_000],
        ["get", "pods", "--bogus", *["a"] * 100_000],
    ],
    ids=[
        "long-unknown-command",
        "many-names",
        "many-label-columns",
        "deeply-nested-ranges",
        "many-actions",
        "deep-brackets",
        "long-sort-key",
        "many-words-after-a-bad-flag",
    ],
)
def test_huge_command_lines_answer_in_text(argv: list[str], cluster: kcourse.Cluster) -> None:
    """Hundreds of thousands of words or characters: parsed in linear time (cobra's suggestions skip words too
    long to be two edits away; jsonpath is parsed by a loop, not recursion) and answered with text, never an
    exception."""
    revision = cluster.etcd.revision
    code, out, err = Kubectl(cluster).run_full(argv)
    assert isinstance(out, str) and code in (0, 1)
    if code:
        assert_clear(err)
    assert cluster.etcd.revision == revision
