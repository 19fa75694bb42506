"""What runs inside a container: programs, and a reading of the shell commands of the rest.

Nothing is ever executed.  A container's image picks the program the
simulation runs in it (``cluster.programs[repository] = factory``): the
kubelet calls the factory with a :class:`ProgramContext` — the node's
:class:`~kcourse.sim.host.Host` (never the cluster), ``node``, ``pod``,
``container`` and a ``log(line)`` function writing to the container's log —
and then ``start()``/``stop()``.  So these programs live
and die with their Pod: a failed node takes its CoreDNS replica, its
kube-proxy and its log shipper with it.

Two kinds of program:

* :class:`ContainerProgram` — kube-proxy and the addons.  Each is a client of
  the API server like any component, with its own informers.  Its watches
  break when its node is cut off from the API server: the informer notices
  on the next event it would have received, drops it and retries every few
  seconds, resuming from its last resourceVersion (or relisting after 410
  Gone), just as client-go's reflector does.
* :class:`GenericProgram` — every other image.  It writes a few log lines
  (nginx's start-up lines for an nginx image, the ``echo`` words of its
  command) and ends when :func:`lifetime`'s reading of its command says the
  shell would (``sleep``, ``exit``, loops).

Simplified: a shell script is read, never run — conditions of ``if``,
``while`` and ``case`` are not evaluated, variables are not expanded, and
only ``sleep`` takes time.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .apiserver import Unreachable
from .component import Component, Event
from .cri import image_repository
from .informer import Informer, SharedInformerFactory
from .objects import timestamp

if TYPE_CHECKING:
    from .apiserver import Client
    from .host import Host

__all__ = [
    "NGINX_START",
    "ContainerProgram",
    "GenericProgram",
    "GuardedInformer",
    "ProgramContext",
    "context_value",
    "ignores_sigterm",
    "lifetime",
]

NGINX_START = (
    "/docker-entrypoint.sh: /docker-entrypoint.d/ is not empty, will attempt to perform configuration",
    "/docker-entrypoint.sh: Looking for shell scripts in /docker-entrypoint.d/",
    "/docker-entrypoint.sh: Launching /docker-entrypoint.d/10-listen-on-ipv6-by-default.sh",
    "10-listen-on-ipv6-by-default.sh: info: Getting the checksum of /etc/nginx/conf.d/default.conf",
    "10-listen-on-ipv6-by-default.sh: info: Enabled listen on IPv6 in /etc/nginx/conf.d/default.conf",
    "/docker-entrypoint.sh: Sourcing /docker-entrypoint.d/15-local-resolvers.envsh",
    "/docker-entrypoint.sh: Launching /docker-entrypoint.d/20-envsubst-on-templates.sh",
    "/docker-entrypoint.sh: Launching /docker-entrypoint.d/30-tune-worker-processes.sh",
    "/docker-entrypoint.sh: Configuration complete; ready for start up",
)


@dataclass(slots=True)
class ProgramContext:
    """What a container's program gets: where it runs and how it writes its log.

    ``pod`` is the Pod as a registered program reads it (its name, uid, host network and IP when the
    container started); None for a :class:`GenericProgram`, which reads nothing of it.
    """

    host: Host
    node: str
    namespace: str
    pod_name: str
    container: str
    log: Callable[[str], None]
    pod: dict | None
    spec: dict = field(default_factory=dict)
    #: What the image's program listens on (:class:`kcourse.sim.registry.Endpoint`), from the registry.
    serves: tuple = ()


class GenericProgram:
    """Any image without a registered program: a few deterministic log lines, healthy while running."""

    __slots__ = ("ctx", "running")

    def __init__(self, ctx: ProgramContext):
        self.ctx = ctx
        self.running = False

    def start(self) -> None:
        self.running = True
        repo = image_repository(self.ctx.spec.get("image", ""))
        if repo.rsplit("/", 1)[-1] == "nginx":
            for line in NGINX_START:
                self.ctx.log(line)
            stamp = timestamp(self.ctx.host.clock.now).replace("-", "/").replace("T", " ").rstrip("Z")
            version = (self.ctx.spec.get("image", "").rsplit(":", 1) + ["latest"])[1]
            for line in ('using the "epoll" event method', f"nginx/{version}", "start worker processes"):
                self.ctx.log(f"{stamp} [notice] 1#1: {line}")
        for word in _echoes(self.ctx.spec):
            self.ctx.log(word)

    def stop(self) -> None:
        self.running = False

    @property
    def serves(self) -> tuple:
        """What the image's server listens on — nothing when the container runs a shell or a tool instead."""
        argv = _argv(self.ctx.spec)
        if argv and argv[0].rsplit("/", 1)[-1] in _SHELLS + _TOOLS:
            return ()
        return tuple(self.ctx.serves)

    def exec(self, argv: list[str], running_for: float) -> tuple[int, str]:
        """An exec probe's command run inside the container (see :func:`exec_answer`)."""
        repo = image_repository(self.ctx.spec.get("image", "")).rsplit("/", 1)[-1]
        return exec_answer(argv, self.ctx.spec, running_for, busybox=repo in ("busybox", "alpine"))


def _script(spec: dict) -> str:
    return " ".join(str(x) for x in (spec.get("command") or []) + (spec.get("args") or []))


def _echoes(spec: dict) -> list[str]:
    out = []
    for m in re.finditer(r"echo\s+((?:\"[^\"]*\")|(?:'[^']*')|[^;&|]+)", _script(spec)):
        try:
            out.append(" ".join(shlex.split(m.group(1))))
        except ValueError:
            out.append(m.group(1).strip())
    return out


_SHELLS = ("sh", "bash", "ash", "dash", "zsh")
#: Commands that replace an image's server when a Pod's ``command``/``args`` start with them.
_TOOLS = ("sleep", "echo", "true", "false", "date", "env", "tail", "cat", "ls", "printenv", "wget", "curl")
#: Commands that run until killed, whatever their arguments.
_FOREVER = ("tail -f", "tail -F", "sleep infinity", "sleep inf")
_UNITS = {"": 1.0, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
_OPENERS = {"while": "done", "until": "done", "for": "done", "if": "fi", "case": "esac"}


def _argv(spec: dict) -> list[str]:
    return [str(x) for x in (spec.get("command") or []) + (spec.get("args") or [])]


def lifetime(spec: dict) -> tuple[float, int] | None:
    """When a generic container ends on its own, as ``(seconds, exit code)``; None if it runs until stopped.

    A small reading of what the command would do, never running it.  A
    shell script (``sh -c '…'``) is read statement by statement, taking
    time only from ``sleep``:

    * ``sleep N`` (``s``/``m``/``h``/``d`` suffixes) waits N seconds;
      ``sleep infinity`` and ``tail -f`` never return;
    * ``exit C`` ends the container with code C; otherwise it ends after the
      last statement with that statement's status (``false`` is 1, any
      other command returns at once with 0);
    * ``a && b`` / ``a || b`` follow that status; ``cmd &`` takes no time;
    * a ``while``/``until`` loop never ends (its condition is not
      evaluated) unless its body reaches ``exit``; a ``for`` loop repeats
      its body once per word of its list (``$(seq A B)`` counts B-A+1);
    * ``if``/``case`` blocks are skipped (their conditions are unknown).

    A single command that is not a shell runs until stopped (a server),
    except ``sleep``, ``echo``, ``true``, ``false``, ``date`` and ``env``.
    """
    argv = _argv(spec)
    if not argv:
        return None
    prog = argv[0].rsplit("/", 1)[-1]
    if prog in _SHELLS:
        if "-c" not in argv[1:-1]:
            return None
        script = argv[argv.index("-c", 1) + 1]
    elif prog in ("sleep", "echo", "true", "false", "date", "env"):
        script = shlex.join(argv)
    else:
        return None
    try:
        tokens = _tokens(script)
    except ValueError:
        return None
    outcome, seconds, status = _run(tokens)
    if outcome == "forever":
        return None
    return (seconds or 0.05, status)


def _tokens(script: str) -> list[str]:
    lexer = shlex.shlex(script.replace("\n", " ; "), posix=True, punctuation_chars=";&|")
    lexer.whitespace_split = True
    lexer.commenters = ""
    return list(lexer)


def _block(tokens: list[str], i: int) -> tuple[list[str], int]:
    """The tokens of a compound command starting at ``tokens[i]`` and the index after its closing word."""
    depth, j = 0, i
    while j < len(tokens):
        word = tokens[j]
        starts = j == i or tokens[j - 1] in (";", "&&", "||", "|", "&", "do", "then", "else")
        if starts and word in _OPENERS:
            depth += 1
        elif starts and word in ("done", "fi", "esac"):
            depth -= 1
            if depth == 0:
                return tokens[i : j + 1], j + 1
        j += 1
    raise ValueError(f"unterminated {tokens[i]}")


def _loop_body(block: list[str]) -> list[str]:
    start = block.index("do") + 1
    return block[start:-1]


def _for_count(block: list[str]) -> int:
    words = block[3 : block.index("do")] if len(block) > 3 and block[2] == "in" else []
    words = [w for w in words if w != ";"]
    seq = re.fullmatch(r"\$\(seq\s+(?:(\d+)\s+)?(\d+)\)", " ".join(words))
    if seq:
        return max(0, int(seq.group(2)) - int(seq.group(1) or 1) + 1)
    return len(words)


def _run(
    tokens: list[str], files: list[tuple[float, str, str]] | None = None, start: float = 0.0
) -> tuple[str, float, int]:
    """``("done"|"exit"|"forever", seconds, status)`` of a statement list.

    ``files`` collects ``(time, "write"|"remove", path)`` for each ``touch``,
    ``>`` redirection and ``rm`` the script makes (time from ``start``).
    """
    seconds, status, i, skip = 0.0, 0, 0, False
    while i < len(tokens):
        word = tokens[i]
        if word in (";", "&", "&&", "||", "|"):
            skip = (word == "&&" and status != 0) or (word == "||" and status == 0)
            i += 1
            continue
        if word in _OPENERS:
            block, i = _block(tokens, i)
            if skip or word in ("if", "case"):
                continue
            outcome, took, code = _run(_loop_body(block), files, start + seconds)
            if outcome != "done":
                return outcome, seconds + took, code
            if word in ("while", "until"):
                return "forever", seconds, 0
            seconds, status = seconds + took * _for_count(block), code
            continue
        j = i
        while j < len(tokens) and tokens[j] not in (";", "&", "&&", "||", "|"):
            j += 1
        command, i = tokens[i:j], j
        background = i < len(tokens) and tokens[i] in ("&", "|")
        if skip:
            continue
        if files is not None:
            _file_ops(command, start + seconds, files)
        if background:
            continue
        text = " ".join(command)
        if any(text == f or text.startswith(f + " ") for f in _FOREVER):
            return "forever", seconds, 0
        if command[0] == "exit":
            return "exit", seconds, int(command[1]) if len(command) > 1 and command[1].isdigit() else status
        if command[0] == "sleep" and len(command) > 1:
            m = re.fullmatch(r"(\d+(?:\.\d+)?)([smhd]?)", command[1])
            seconds += float(m.group(1)) * _UNITS[m.group(2)] if m else 0.0
        status = 1 if command[0] == "false" else 0
    return "done", seconds, status


def _file_ops(command: list[str], when: float, files: list[tuple[float, str, str]]) -> None:
    for k, word in enumerate(command):
        if word in (">", ">>") and k + 1 < len(command):
            files.append((when, "write", command[k + 1]))
        elif word.startswith(">") and len(word.lstrip(">")) > 0:
            files.append((when, "write", word.lstrip(">")))
    if command[0] == "touch":
        files.extend((when, "write", path) for path in command[1:] if not path.startswith("-"))
    elif command[0] == "rm":
        files.extend((when, "remove", path) for path in command[1:] if not path.startswith("-"))


def file_timeline(spec: dict) -> list[tuple[float, str, str]]:
    """The files the container's shell script writes and removes, with when (seconds after start)."""
    argv = _argv(spec)
    if len(argv) < 3 or argv[0].rsplit("/", 1)[-1] not in _SHELLS or "-c" not in argv[1:-1]:
        return []
    files: list[tuple[float, str, str]] = []
    try:
        _run(_tokens(argv[argv.index("-c", 1) + 1]), files)
    except ValueError:
        return []
    return files


#: Directories an image ships files in; any other path exists only once the container writes it.
_IMAGE_DIRS = ("/etc/", "/usr/", "/bin/", "/sbin/", "/lib/", "/proc/", "/sys/", "/var/lib/", "/opt/")


def exec_answer(argv: list[str], spec: dict, running_for: float, busybox: bool) -> tuple[int, str]:
    """What ``argv`` run inside the container answers (exit code, output): an exec probe's result.

    Reads the files the container's own script wrote and removed by now (``touch``,
    ``echo … > f``, ``rm``) and answers ``cat``, ``test``/``[``, ``ls``, ``true``, ``false``,
    ``exit`` and ``sh -c`` lists of them, with busybox's or GNU coreutils' error texts.
    Simplified: any other command succeeds with no output.
    """
    present: dict[str, bool] = {}
    for when, op, path in file_timeline(spec):
        if when <= running_for + 1e-9:
            present[path] = op == "write"

    def exists(path: str) -> bool:
        return present.get(path, path.startswith(_IMAGE_DIRS))

    def one(cmd: list[str]) -> tuple[int, str]:
        prog = cmd[0].rsplit("/", 1)[-1]
        args = [a for a in cmd[1:] if not a.startswith("-")]
        if prog in ("false",):
            return 1, ""
        if prog == "exit":
            return (int(cmd[1]) if len(cmd) > 1 and cmd[1].isdigit() else 0), ""
        if prog == "cat":
            missing = [a for a in args if not exists(a)]
            if missing:
                return 1, "".join(
                    f"cat: can't open '{a}': No such file or directory\n"
                    if busybox
                    else f"cat: {a}: No such file or directory\n"
                    for a in missing
                )
            return 0, ""
        if prog == "ls":
            missing = [a for a in args if not exists(a)]
            if missing:
                return (1 if busybox else 2), "".join(
                    f"ls: {a}: No such file or directory\n"
                    if busybox
                    else f"ls: cannot access '{a}': No such file or directory\n"
                    for a in missing
                )
            return 0, "".join(a + "\n" for a in args)
        if prog in ("test", "["):
            operands = [a for a in cmd[1:] if a != "]"]
            if len(operands) == 2 and operands[0] in ("-e", "-f", "-s", "-r"):
                return (0 if exists(operands[1]) else 1), ""
            return 0, ""
        if prog == "echo":
            return 0, " ".join(cmd[1:]) + "\n"
        return 0, ""

    words = [str(a) for a in argv]
    if not words:
        return 0, ""
    if words[0].rsplit("/", 1)[-1] in _SHELLS and "-c" in words[1:-1]:
        try:
            tokens = _tokens(words[words.index("-c", 1) + 1])
        except ValueError:
            return 2, "sh: syntax error: unterminated quoted string\n"
        code, out, skip, cmd = 0, "", False, []
        for tok in [*tokens, ";"]:
            if tok in (";", "&&", "||", "&", "|"):
                if cmd and not skip:
                    code, more = one(cmd)
                    out += more
                    if cmd[0] == "exit":
                        return code, out
                cmd = []
                skip = (tok == "&&" and code != 0) or (tok == "||" and code == 0)
            else:
                cmd.append(tok)
        return code, out
    return one(words)


def ignores_sigterm(spec: dict) -> bool:
    """A shell or ``sleep`` as PID 1 ignores SIGTERM, so it is killed only when the grace period ends."""
    return bool(re.search(r"\bsleep\b", _script(spec)))


# --- the programs of kube-proxy and the addons ------------------------------------------------------


def context_value(ctx: Any, name: str, default: Any = None) -> Any:
    """Read one field of the kubelet's program context (an object or a mapping)."""
    if isinstance(ctx, dict):
        return ctx.get(name, default)
    return getattr(ctx, name, default)


class GuardedInformer(Informer):
    """An informer whose watch breaks when its node can no longer reach the API server.

    Every event delivered to it first asks the cluster whether its node still reaches the API server
    (the answer is remembered per node, so the question is a dictionary lookup); the check is the
    informer's own guard, run inline with the delivery, since every kube-proxy gets every EndpointSlice
    change.
    """

    def __init__(self, client: Client, resource: str, on_lost: Callable[[], None], **kw: Any):
        super().__init__(client, resource, **kw)
        self._guarded = True
        self._on_lost = on_lost


class _GuardedFactory(SharedInformerFactory):
    def __init__(self, client: Client, on_lost: Callable[[], None]):
        super().__init__(client)
        self._on_lost = on_lost

    def informer(self, resource: str) -> Informer:
        if resource not in self.informers:
            self.informers[resource] = GuardedInformer(self.client, resource, self._on_lost)
        return self.informers[resource]


class ContainerProgram(Component):
    """Base of a program run by a container: informers, reconnects, a log, start/stop with the Pod."""

    program_name = "program"
    resources: tuple[str, ...] = ()
    #: How often a broken watch is retried (client-go backs off from 800 ms; a few seconds here).
    retry_period = 5.0

    def __init__(self, ctx: Any):
        host = context_value(ctx, "host")
        node = context_value(ctx, "node")
        super().__init__(host, self.program_name, node)
        self.ctx = ctx
        self.pod: dict | None = context_value(ctx, "pod")
        self.container: Any = context_value(ctx, "container")
        self._log: Callable[[str], None] | None = context_value(ctx, "log")
        self.informers = _GuardedFactory(self.client, self._lost)
        self.connected = False
        self._retrying = False
        self.setup()

    # --- for subclasses ------------------------------------------------------------------------

    def setup(self) -> None:
        """Create informers and register handlers (called once, before start)."""

    def on_synced(self) -> None:
        """The informers have listed: the program can do its work."""

    def on_stop(self, machine_off: bool) -> None:
        """The container stopped (``machine_off``: because the whole machine powered off)."""

    def log(self, line: str) -> None:
        if self._log is not None:
            self._log(line)

    @property
    def pod_key(self) -> str:
        md = (self.pod or {}).get("metadata") or {}
        return f"{md.get('namespace', '')}/{md.get('name', '')}"

    @property
    def pod_ip(self) -> str | None:
        """The Pod's IP: the CNI's allocation, or the node's own for a host-network Pod."""
        if self.pod and (self.pod.get("spec") or {}).get("hostNetwork"):
            return self.host.network.node_ip(self.node)
        ip = self.host.network.pod_ips.get(self.pod_key)
        return ip or ((self.pod or {}).get("status") or {}).get("podIP")

    # --- lifecycle -------------------------------------------------------------------------------

    def start(self) -> None:
        super().start()
        self._connect()

    def stop(self) -> None:
        if not self.running:
            return
        machine_off = not self.host.powered(self.node)
        self.informers.stop()
        self.connected = False
        super().stop()
        self.on_stop(machine_off)

    def _connect(self) -> Event | None:
        self._retrying = False
        if not self.running:
            return None
        try:
            if any(i.has_synced for i in self.informers.informers.values()):
                for name in sorted(self.informers.informers):
                    self.informers.informers[name].reconnect()
            else:
                self.informers.start()
        except Unreachable:
            self._lost()
            return None
        was = self.connected
        self.connected = True
        if not was:
            self.on_synced()
        return None

    def _lost(self) -> None:
        """The watch broke: drop it and retry later (the caches stay, stale)."""
        self.informers.disconnect()
        self.connected = False
        if not self._retrying and self.running:
            self._retrying = True
            self.after(self.retry_period, self._connect, background=True, trace_name=self.program_name)

    def disconnect(self) -> None:
        self._lost()

    def reconnect(self) -> None:
        if self.running and not self.connected:
            self._connect()

    @property
    def serves(self) -> tuple:
        """What the program listens on: its image's endpoints (from the registry, through the context)."""
        return tuple(context_value(self.ctx, "serves", ()) or ())

    def exec(self, _argv: list[str], _running_for: float) -> tuple[int, str]:
        """An exec probe's command: a program with informers answers every command with success."""
        return 0, ""

    def ready(self) -> bool:
        """Would the container's readiness probe pass?  (Synced with the API server at least once.)"""
        return (
            self.running and any(i.has_synced for i in self.informers.informers.values())
            if self.resources
            else self.running
        )
