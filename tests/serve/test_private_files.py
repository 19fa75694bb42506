"""The files a served cluster writes: private from the first byte, never through a link, gone when it stops.

kubeadm writes ``/etc/kubernetes/admin.conf`` and the PKI under
``/etc/kubernetes/pki`` readable by root only (``cmd/kubeadm/app/util/kubeconfig/kubeconfig.go``
``WriteToDisk`` → ``clientcmd.WriteToFile`` with mode 0600; ``pkiutil.WriteKey`` 0600).
Here the kubeconfig holds the bearer token, so the same rules apply, and
temporary copies do not outlive the server.
"""

from __future__ import annotations

import io
import os
import stat
import subprocess
import sys
import tempfile
import threading
from pathlib import Path
from typing import Any

import pytest

import kcourse
from kcourse.serve import kubeconfig, tls


def private(path: Path) -> bool:
    return stat.S_IMODE(path.lstat().st_mode) == 0o600


def temporary_dirs() -> set[str]:
    return {
        p
        for p in os.listdir(tempfile.gettempdir())
        if p.startswith(("kcourse-serve-", "kcourse-pki-", "kcourse-tls-"))
    }


def test_the_kubeconfig_is_created_0600_before_any_byte_is_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Opened with O_CREAT|O_EXCL|O_NOFOLLOW and mode 0600: no moment where the token is world-readable."""
    opened: list[tuple[str, int, int]] = []
    real_open = os.open

    def spy(path: Any, flags: int, mode: int = 0o777, **kw: Any) -> int:
        opened.append((str(path), flags, mode))
        return real_open(path, flags, mode, **kw)

    monkeypatch.setattr(os, "open", spy)
    old = os.umask(0)
    try:
        path = kubeconfig.write_kubeconfig(tmp_path / "config", "kcourse", "https://127.0.0.1:1", "t0ken")
    finally:
        os.umask(old)
    assert private(path)
    assert path.read_text().count("t0ken") == 1
    ((_name, flags, mode),) = [o for o in opened if "config" in o[0]]
    assert flags & os.O_CREAT and flags & os.O_EXCL and flags & os.O_NOFOLLOW
    assert mode == 0o600


def test_an_existing_kubeconfig_is_replaced_and_stays_private(tmp_path: Path) -> None:
    path = tmp_path / "config"
    path.write_text("old")
    path.chmod(0o644)
    kubeconfig.write_kubeconfig(path, "kcourse", "https://127.0.0.1:1", "new-token")
    assert private(path) and "new-token" in path.read_text()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["config"]  # no temporary file left behind


def test_a_kubeconfig_path_that_is_a_symbolic_link_is_refused(tmp_path: Path) -> None:
    """Never write a token through a link (it could point at a file another user reads)."""
    victim = tmp_path / "victim"
    victim.write_text("precious")
    link = tmp_path / "config"
    link.symlink_to(victim)
    with pytest.raises(kubeconfig.KubeconfigError, match="is a symbolic link"):
        kubeconfig.write_kubeconfig(link, "kcourse", "https://127.0.0.1:1", "t0ken")
    dangling = tmp_path / "dangling"
    dangling.symlink_to(tmp_path / "nowhere")
    with pytest.raises(kubeconfig.KubeconfigError, match="is a symbolic link"):
        kubeconfig.write_kubeconfig(dangling, "kcourse", "https://127.0.0.1:1", "t0ken")
    assert victim.read_text() == "precious" and not (tmp_path / "nowhere").exists()
    with pytest.raises(kubeconfig.KubeconfigError, match="is a directory"):
        kubeconfig.write_kubeconfig(tmp_path, "kcourse", "https://127.0.0.1:1", "t0ken")


def test_serve_with_a_symlinked_kubeconfig_fails_clearly_and_leaves_nothing(tmp_path: Path) -> None:
    cluster = kcourse.Cluster(masters=1, workers=0, addons=False, seed=0)
    link = tmp_path / "config"
    link.symlink_to(tmp_path / "elsewhere")
    threads = threading.active_count()
    with pytest.raises(kubeconfig.KubeconfigError):
        cluster.serve(kubeconfig=link)
    assert not (tmp_path / "elsewhere").exists()
    assert threading.active_count() <= threads  # no server thread left running


def test_kcourse_serve_reports_a_symlinked_kubeconfig_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from kcourse.cli import build_parser
    from kcourse.serve.cli import _serve

    link = tmp_path / "config"
    link.symlink_to(tmp_path / "elsewhere")
    args = build_parser().parse_args(["serve", "--workers", "0", "--kubeconfig", str(link)])
    assert _serve(args, io.StringIO(), forever=False) == 1
    err = capsys.readouterr().err
    assert (
        err == f"kcourse serve: error: refusing to write the kubeconfig to {link}: it is a symbolic link "
        "(give the path of a regular file)\n"
    )


def test_the_temporary_kubeconfig_and_keys_are_gone_when_the_server_stops() -> None:
    """No CA key, serving key or token stays in the temporary directory after ``stop()``."""
    before = temporary_dirs()
    cluster = kcourse.Cluster(masters=1, workers=0, addons=False, seed=0)
    handle = cluster.serve()
    path = Path(handle.kubeconfig)
    assert private(path) and stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert temporary_dirs() - before == {path.parent.name}  # no PKI directory: keys live in memory only
    handle.stop()
    assert not path.exists() and not path.parent.exists()
    assert temporary_dirs() - before == set()


def test_a_kubeconfig_at_a_given_path_stays_after_stop(tmp_path: Path) -> None:
    """A path the learner chose is theirs; only the server's own temporary directory is removed."""
    cluster = kcourse.Cluster(masters=1, workers=0, addons=False, seed=0)
    with cluster.serve(kubeconfig=tmp_path / "config") as handle:
        assert private(Path(handle.kubeconfig))
    assert (tmp_path / "config").exists()


def test_servers_left_running_are_cleaned_up_at_interpreter_exit(tmp_path: Path) -> None:
    code = (
        "import kcourse; c = kcourse.Cluster(masters=1, workers=0, addons=False, seed=0); "
        "h = c.serve(); print(h.kubeconfig)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": str(Path(kcourse.__file__).parents[1])},
    )
    path = Path(out.stdout.strip())
    assert path.name == "kubeconfig"
    assert not path.exists() and not path.parent.exists()


def test_the_pki_is_made_in_memory_without_writing_a_file(monkeypatch: pytest.MonkeyPatch) -> None:
    """``tls._make`` opens no file at all: the CA key and the serving key exist in memory only."""
    opened: list[Any] = []
    real_open = os.open
    monkeypatch.setattr(os, "open", lambda *a, **k: opened.append(a) or real_open(*a, **k))
    certs = tls._make()
    assert opened == []
    assert certs.key.startswith(b"-----BEGIN PRIVATE KEY-----")
    assert certs.ca.startswith(b"-----BEGIN CERTIFICATE-----")
    assert certs.cert.startswith(b"-----BEGIN CERTIFICATE-----")


def test_the_served_certificate_files_are_private_from_their_first_byte(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``server_context`` hands the key to TLS through a 0600 file that is removed at once."""
    seen: list[tuple[str, int]] = []
    real_load = tls.ssl.SSLContext.load_cert_chain

    def load(self: Any, certfile: Any, keyfile: Any = None, password: Any = None) -> None:
        seen.extend((Path(f).name, stat.S_IMODE(Path(f).lstat().st_mode)) for f in (certfile, keyfile))
        real_load(self, certfile, keyfile, password)

    monkeypatch.setattr(tls.ssl.SSLContext, "load_cert_chain", load)
    tls.server_context(tls.certificates())
    assert seen == [("apiserver.crt", 0o600), ("apiserver.key", 0o600)]
    assert not any(p.startswith("kcourse-tls-") for p in os.listdir(tempfile.gettempdir()))


def test_serving_needs_no_openssl_program(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kubectl_path: Path
) -> None:
    """With nothing on PATH the PKI is still made, and the real kubectl trusts the kubeconfig's CA.

    kubectl verifies the serving certificate against ``certificate-authority-data`` (client-go
    ``rest.TLSClientConfig.CAData``): a wrong SAN, key usage or CA flag makes it fail with an x509 error.
    """
    empty = tmp_path / "bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    monkeypatch.setattr(tls, "_cached", None)
    c = kcourse.Cluster(masters=1, workers=1, addons=False, seed=0)
    handle = c.serve()
    try:
        env = {
            "PATH": str(empty),
            "HOME": str(tmp_path),
            "KUBECONFIG": str(handle.kubeconfig),
            "NO_PROXY": "127.0.0.1",
        }
        r = subprocess.run(
            [str(kubectl_path), "get", "pods", "-A"],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert r.returncode == 0, r.stderr
        assert "kube-apiserver-master-1" in r.stdout
        assert "x509" not in r.stderr
    finally:
        handle.stop()


def test_private_files_are_made_where_the_platform_has_no_o_nofollow(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Windows' ``os`` has no ``O_NOFOLLOW`` or ``O_CLOEXEC``: the file is still made, once, from its first
    byte."""
    monkeypatch.delattr(os, "O_NOFOLLOW")
    monkeypatch.delattr(os, "O_CLOEXEC")
    tls.create_private(tmp_path / "apiserver.key", b"key")
    assert (tmp_path / "apiserver.key").read_bytes() == b"key"
    assert private(tmp_path / "apiserver.key")
    with pytest.raises(FileExistsError):
        tls.create_private(tmp_path / "apiserver.key", b"other")
