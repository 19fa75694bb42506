"""The terminal's path: ``kcourse challenge start NAME`` serves a challenge, ``kcourse challenge check NAME``
checks it.

How ``check`` finds the cluster that ``start`` serves (another process,
another terminal): serving a challenge — from ``kcourse challenge start``
or from a notebook's ``ch.cluster.serve()`` — writes a small *state file*,
``challenges/<name>.json`` beside the learner's progress file (the user
data directory, or the directory of ``$KCOURSE_PROGRESS``).  It holds the
challenge's name, seed, parameters and baseline (what the check compares
against), the serving process's id and the path of the kubeconfig the
server wrote.  ``check`` reads it, then reads the cluster **through the
served API**, with the kubeconfig's server address, CA and token, exactly
as ``kubectl`` does, and judges it with the same check a notebook runs.

Why this rather than asking the serving process over a socket of its own:
nothing is added to the serving process (no second protocol to secure or
keep alive), the check sees what ``kubectl`` sees, it works whichever process
serves (a terminal or a notebook kernel), and a state file left behind by a
process that died is recognised because its kubeconfig is gone (a served
cluster's temporary kubeconfig is removed when it stops), its process is
gone, or its API no longer answers; ``check`` then says to start the
challenge again instead of judging a stale cluster.  The state file is
written readable by its owner only, like the kubeconfig it points to.

Simplified: one served instance per challenge name (serving it again
replaces the note); the state file holds the baseline, which for the etcd
challenge includes the revision to find, as the package itself does.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import secrets
import ssl
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any, TextIO

import yaml

from kcourse.quiz.progress import default_path
from kcourse.sim.errors import ApiError

from .model import Challenge, CheckResult, judge

__all__ = ["ChallengeNotRunning", "RemoteReader", "check_served", "note_served", "served", "state_path"]

#: Where each resource is served: (API group path, namespaced).
PATHS = {
    "pods": ("api/v1", True),
    "services": ("api/v1", True),
    "endpoints": ("api/v1", True),
    "configmaps": ("api/v1", True),
    "events": ("api/v1", True),
    "nodes": ("api/v1", False),
    "namespaces": ("api/v1", False),
    "deployments": ("apis/apps/v1", True),
    "replicasets": ("apis/apps/v1", True),
    "daemonsets": ("apis/apps/v1", True),
    "endpointslices": ("apis/discovery.k8s.io/v1", True),
    "leases": ("apis/coordination.k8s.io/v1", True),
}
TIMEOUT = 10.0


class ChallengeNotRunning(Exception):
    """No served cluster of this challenge answers; the message says how to start one."""


def state_dir() -> Path:
    return default_path().parent / "challenges"


def state_path(name: str) -> Path:
    return state_dir() / f"{name}.json"


def note_served(challenge: Challenge, handle: Any) -> Path | None:
    """Record that ``challenge`` is served by ``handle`` in this process (None, with a warning, if
    impossible)."""
    from kcourse.serve.tls import create_private

    path = state_path(challenge.name)
    state = {
        "name": challenge.name,
        "chapter": challenge.chapter,
        "seed": challenge.seed,
        "params": challenge.params,
        "baseline": challenge.baseline,
        "pid": os.getpid(),
        "url": handle.url,
        "kubeconfig": str(Path(handle.kubeconfig).resolve()),
    }
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        create_private(temporary, json.dumps(state, indent=1, sort_keys=True).encode())
        os.replace(temporary, path)
    except OSError as e:
        with contextlib.suppress(OSError):
            temporary.unlink()
        print(
            f"kcourse: cannot note the served challenge in {path}: {e.strerror or e}; "
            "`kcourse challenge check` will not find it",
            file=sys.stderr,
        )
        return None
    return path


def forget_served(name: str, pid: int | None = None) -> None:
    """Remove the state file of ``name`` (only if it is this process's, when ``pid`` is given)."""
    path = state_path(name)
    with contextlib.suppress(OSError, ValueError):
        if pid is None or json.loads(path.read_text(encoding="utf-8")).get("pid") == pid:
            path.unlink()


def _alive(pid: Any) -> bool:
    if not isinstance(pid, int) or isinstance(pid, bool) or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True  # it exists; it is not ours to signal
    return True


class RemoteReader:
    """Reads a served cluster over HTTPS with a kubeconfig's server, CA and token, as kubectl does."""

    def __init__(self, kubeconfig: str | os.PathLike[str]):
        config = yaml.safe_load(Path(kubeconfig).read_text(encoding="utf-8"))
        context = next(c["context"] for c in config["contexts"] if c["name"] == config["current-context"])
        cluster = next(c["cluster"] for c in config["clusters"] if c["name"] == context["cluster"])
        user = next(u["user"] for u in config["users"] if u["name"] == context["user"])
        self.server = cluster["server"].rstrip("/")
        self.token = user["token"]
        ca = base64.b64decode(cluster.get("certificate-authority-data", "")).decode()
        self.context = ssl.create_default_context(cadata=ca) if ca else ssl.create_default_context()

    def _get(self, path: str) -> dict | None:
        request = urllib.request.Request(
            self.server + path,
            headers={
                "Authorization": f"Bearer {self.token}",
                "Accept": "application/json",
                "User-Agent": "kcourse-challenge-check",
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT, context=self.context) as response:
                return json.loads(response.read())
        except urllib.error.HTTPError as e:
            if e.code == 404:
                return None
            try:  # the API server's Status object, as kubectl would print it
                status = json.loads(e.read())
                raise ApiError(
                    e.code, str(status.get("reason", "")), str(status.get("message", ""))
                ) from None
            except (ValueError, AttributeError):
                raise ApiError(e.code, str(e.reason), f"the server answered {e.code}") from None

    @staticmethod
    def _path(resource: str, namespace: str | None) -> str:
        group, namespaced = PATHS[resource]
        if namespaced and namespace:
            return f"/{group}/namespaces/{urllib.parse.quote(namespace)}/{resource}"
        return f"/{group}/{resource}"

    def get(self, resource: str, name: str, namespace: str | None = None) -> dict | None:
        return self._get(f"{self._path(resource, namespace)}/{urllib.parse.quote(name)}")

    def list(self, resource: str, namespace: str | None = None) -> list[dict]:
        found = self._get(self._path(resource, namespace))
        return list((found or {}).get("items") or [])


def served(name: str) -> dict[str, Any]:
    """The state of the served challenge ``name``; :class:`ChallengeNotRunning` if none is served now."""
    path = state_path(name)
    start = f"start it with: kcourse challenge start {name}"
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ChallengeNotRunning(f"no served cluster of challenge {name} was found; {start}") from None
    except (OSError, ValueError) as e:
        raise ChallengeNotRunning(f"cannot read {path} ({e}); {start}") from None
    if (
        not isinstance(state, dict)
        or state.get("name") != name
        or not isinstance(state.get("kubeconfig"), str)
    ):
        raise ChallengeNotRunning(f"{path} is not a served challenge's note; {start}")
    if not _alive(state.get("pid")) or not Path(state["kubeconfig"]).is_file():
        forget_served(name)
        raise ChallengeNotRunning(
            f"the cluster of challenge {name} is no longer served (its process ended); {start}"
        )
    return state


def check_served(name: str) -> CheckResult:
    """Check the served challenge ``name`` through its API, as a notebook's Check would."""
    from . import spec as find_spec

    spec = find_spec(name)
    state = served(name)
    try:
        reader = RemoteReader(state["kubeconfig"])
        return judge(spec, reader, state["params"], state["baseline"])
    except (OSError, urllib.error.URLError, ssl.SSLError) as e:
        reason = getattr(e, "reason", None) or e
        raise ChallengeNotRunning(
            f"the API of challenge {name}'s cluster at {state.get('url')} does not answer "
            f"({reason}); start it again with: kcourse challenge start {name}"
        ) from None
    except (KeyError, StopIteration, ValueError, TypeError) as e:
        raise ChallengeNotRunning(
            f"the served challenge's note or kubeconfig is not usable ({e}); start it again "
            f"with: kcourse challenge start {name}"
        ) from None


# --- the commands -------------------------------------------------------------------------------------------


def _wrap(text: str, indent: str = "  ") -> str:
    import textwrap

    return textwrap.fill(text, width=100, initial_indent=indent, subsequent_indent=indent)


def cmd_list(out: TextIO | None = None) -> int:
    from . import names, spec

    out = out or sys.stdout
    for name in names():
        s = spec(name)
        print(f"{name:28} {s.section:12} {s.title}", file=out)
    return 0


def cmd_start(
    name: str,
    seed: int = 0,
    speed: float = 1.0,
    port: int = 0,
    kubeconfig: str | None = None,
    out: TextIO | None = None,
    forever: bool = True,
) -> int:
    """Start challenge ``name``, serve it in real time and print its goal; until Ctrl-C (or
    ``forever=False``)."""
    from kcourse.serve.kubeconfig import KubeconfigError

    from . import start

    out = out or sys.stdout
    try:
        challenge = start(name, seed=seed)
    except (ValueError, TypeError) as e:
        print(f"kcourse challenge start: {e}", file=sys.stderr)
        return 2
    print(f"Challenge {challenge.name} (seed {seed}): {challenge.title}", file=out)
    print(_wrap(challenge.goal), file=out)
    print(
        f"Its cluster is served at 127.0.0.1 (simulated time runs at {speed:g}x). In another terminal, run:",
        file=out,
        flush=True,
    )
    stdout = sys.stdout
    try:
        sys.stdout = out  # serve() prints the export line where this command prints
        handle = challenge.cluster.serve(port=port, kubeconfig=kubeconfig, realtime=True, speed=speed)
    except (KubeconfigError, OSError) as e:
        print(f"kcourse challenge start: error: {e}", file=sys.stderr)
        return 1
    finally:
        sys.stdout = stdout
    print(f"then fix the cluster with kubectl, and check with: kcourse challenge check {name}", file=out)
    print("Hints: kcourse challenge hint " + name + ". Press Ctrl-C to stop.", file=out, flush=True)
    _stop_on_signals()
    try:
        while forever:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        handle.stop()
        forget_served(name, os.getpid())
    return 0


def _stop_on_signals() -> None:
    """Ctrl-C, and a ``kill`` (SIGTERM), stop the server cleanly, even where the shell started us ignoring
    SIGINT."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        return

    def stop(_signum: int, _frame: Any) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)


def cmd_check(name: str, out: TextIO | None = None, record: bool = True) -> int:
    """Check the served challenge; exit status 0 solved, 1 not yet, 2 nothing to check."""
    from . import spec

    out = out or sys.stdout
    try:
        outcome = check_served(name)
    except (ChallengeNotRunning, ValueError, TypeError) as e:
        print(f"kcourse challenge check: {e}", file=sys.stderr)
        return 2
    print(("✔ " if outcome.passed else "✘ ") + outcome.message, file=out)
    for problem in outcome.problems[3:]:
        print(f"  - {problem}", file=out)
    if record:
        from kcourse.quiz.progress import ProgressError

        from .progress import record as record_check

        try:
            record_check(spec(name), outcome)
        except ProgressError as e:
            print(f"kcourse: the result was not saved: {e}", file=sys.stderr)
    return 0 if outcome.passed else 1


def cmd_hint(name: str, number: int | None = None, out: TextIO | None = None) -> int:
    """Print the challenge's hints up to ``number`` (all by default)."""
    from . import spec

    out = out or sys.stdout
    try:
        s = spec(name)
        state = served(name)  # the hints name this instance's nodes and objects
    except (ChallengeNotRunning, ValueError) as e:
        print(f"kcourse challenge hint: {e}", file=sys.stderr)
        return 2
    words = {**state["params"], **state["baseline"]}
    hints = s.hints[:number] if number else s.hints
    for i, hint in enumerate(hints, 1):
        print(_wrap(f"Hint {i} of {len(s.hints)}: {hint.format(**words)}", indent=""), file=out)
    return 0
