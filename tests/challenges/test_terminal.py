"""The terminal's path: the real kubectl against a served challenge, and ``kcourse challenge start/check``.

The reference solutions are shell command lines; here they run unchanged in
``bash`` with the real ``/usr/bin/kubectl`` against ``ch.cluster.serve()``,
and both checks (the notebook's, reading ``cluster.api``, and the terminal's,
reading the served API over HTTPS) must then agree that the challenge is solved.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from kcourse import challenges
from kcourse.challenges import terminal

REPO = Path(__file__).resolve().parents[2]


def shell(line: str, kubeconfig: Path, home: Path) -> subprocess.CompletedProcess:
    env = {"PATH": "/usr/bin:/bin", "HOME": str(home), "KUBECONFIG": str(kubeconfig)}
    return subprocess.run(
        ["bash", "-c", line], check=False, env=env, capture_output=True, text=True, timeout=120
    )


def test_serve_prints_the_one_export_line(capsys: pytest.CaptureFixture[str]):
    ch = challenges.start("pending-cordoned-node")
    handle = ch.cluster.serve()
    try:
        out = capsys.readouterr().out
        assert out == f"export KUBECONFIG={handle.kubeconfig}\n"
        assert handle.app.cluster is ch.cluster and handle.running
        note = json.loads(terminal.state_path(ch.name).read_text())
        assert note["name"] == ch.name and note["kubeconfig"] == str(Path(handle.kubeconfig).resolve())
        assert oct(terminal.state_path(ch.name).stat().st_mode & 0o777) == "0o600"
    finally:
        handle.stop()


@pytest.mark.parametrize(
    "name",
    [
        "pending-cordoned-node",
        "service-no-endpoints",
        "pending-no-scheduler",
        "node-failure",
        "etcd-deleted-revision",
    ],
)
def test_the_reference_solution_typed_into_bash_with_the_real_kubectl_solves_the_served_cluster(
    name: str, kubectl_path: Path, tmp_path: Path
):
    ch = challenges.start(name, seed=1)
    handle = ch.cluster.serve()
    try:
        remote = terminal.check_served(name)
        assert not remote.passed
        assert remote.message == ch.check(settle=False).message
        for line in ch.solution:
            done = shell(line, handle.kubeconfig, tmp_path)
            assert done.returncode == 0, (line, done.stderr)
        local = ch.check()
        assert local.passed, local.message
        assert terminal.check_served(name) == local
    finally:
        handle.stop()
    with pytest.raises(terminal.ChallengeNotRunning, match="no longer served"):
        terminal.check_served(name)


def test_checking_a_challenge_nobody_serves_says_how_to_start_it(capsys: pytest.CaptureFixture[str]):
    assert terminal.cmd_check("pending-cordoned-node") == 2
    err = capsys.readouterr().err
    assert "no served cluster of challenge pending-cordoned-node was found" in err
    assert "kcourse challenge start pending-cordoned-node" in err
    assert terminal.cmd_check("no-such-challenge") == 2


def test_a_note_left_by_a_process_that_ended_is_not_trusted(tmp_path: Path):
    path = terminal.state_path("pending-cordoned-node")
    path.parent.mkdir(parents=True)
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text("apiVersion: v1\n")
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], check=False, capture_output=True, text=True
    ).stdout.strip()
    path.write_text(
        json.dumps(
            {
                "name": "pending-cordoned-node",
                "pid": int(dead),
                "kubeconfig": str(kubeconfig),
                "params": {},
                "baseline": {},
            }
        )
    )
    with pytest.raises(terminal.ChallengeNotRunning, match="no longer served"):
        terminal.served("pending-cordoned-node")
    assert not path.exists()
    path.write_text("{not json")
    with pytest.raises(terminal.ChallengeNotRunning, match="cannot read"):
        terminal.served("pending-cordoned-node")


def _kcourse(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "kcourse", *args],
        check=False,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=REPO,
    )


def test_kcourse_challenge_start_serves_until_stopped_and_check_reads_it_from_another_process(
    kubectl_path: Path, tmp_path: Path, _private_progress: Path
):
    env = dict(os.environ, PYTHONPATH=str(REPO), KCOURSE_PROGRESS=str(_private_progress))
    server = subprocess.Popen(
        [sys.executable, "-m", "kcourse", "challenge", "start", "dns-coredns-scaled-to-zero", "--seed", "3"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=REPO,
    )
    try:
        lines = []
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            line = server.stdout.readline()
            lines.append(line)
            if line.startswith("export KUBECONFIG=") or not line:
                break
        exports = [x for x in lines if x.startswith("export KUBECONFIG=")]
        assert len(exports) == 1, "".join(lines)
        assert lines[0].startswith("Challenge dns-coredns-scaled-to-zero (seed 3): DNS is broken")
        kubeconfig = Path(exports[0].split("=", 1)[1].strip())
        first = _kcourse("challenge", "check", "dns-coredns-scaled-to-zero", env=env)
        assert first.returncode == 1, first.stderr
        assert first.stdout.startswith('✘ Not yet: deployment.apps "coredns" has spec.replicas 0')
        hint = _kcourse("challenge", "hint", "dns-coredns-scaled-to-zero", "1", env=env)
        assert hint.stdout.startswith("Hint 1 of 3: ") and "Hint 2" not in hint.stdout
        replicas = challenges.spec("dns-coredns-scaled-to-zero").instance(3)["replicas"]
        done = shell(
            f"kubectl -n kube-system scale deployment coredns --replicas={replicas}", kubeconfig, tmp_path
        )
        assert done.returncode == 0, done.stderr
        for _ in range(40):  # the served cluster runs in real time: the Pods start within seconds
            second = _kcourse("challenge", "check", "dns-coredns-scaled-to-zero", env=env)
            if second.returncode != 1:
                break
            time.sleep(0.5)
        assert second.returncode == 0, second.stdout + second.stderr
        assert second.stdout.startswith("✔ CoreDNS runs")
        entry = json.loads(_private_progress.read_text())["chapters"]["ch04-challenges"][
            "dns-coredns-scaled-to-zero"
        ]
        assert entry["correct"] and entry["attempts"] >= 2
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    assert not terminal.state_path("dns-coredns-scaled-to-zero").exists()
    gone = _kcourse("challenge", "check", "dns-coredns-scaled-to-zero", env=env)
    assert gone.returncode == 2


def test_a_served_cluster_whose_control_plane_is_down_is_answered_in_the_api_servers_words():
    ch = challenges.start("pending-cordoned-node")
    handle = ch.cluster.serve(realtime=False)
    try:
        ch.cluster.fail_node("master-1")
        result = terminal.check_served("pending-cordoned-node")
        assert not result.passed
        assert result.problems == (
            (
                "the API server answered 503 ServiceUnavailable: the server is currently unable to handle "
                "the request"
            ),
        )
    finally:
        handle.stop()
