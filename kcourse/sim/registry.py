"""The container registry: which images exist, what they weigh, and what their programs serve.

A real node pulls from registries on the internet — Docker Hub
(``docker.io``), ``registry.k8s.io``, ``gcr.io`` … — and a pull fails when
the repository or tag is not there.  Each simulated cluster owns one
:class:`Registry` standing for all of them.  It starts from a catalog
shipped with the package (``kcourse/sim/data/images.json``): the
repositories and tags the course and the Kubernetes tutorials use (nginx,
busybox, redis, httpd, the ``registry.k8s.io`` images, …), each tag with a
size and a sha256 digest, and each repository with what its program
serves (ports, protocols, HTTP paths and status codes).  A learner can add
an image, as ``docker push`` would: ``cluster.registry.push("myapp:1.0")``.

Names are parsed as the runtime parses them (``github.com/distribution/
reference``): ``nginx`` is ``docker.io/library/nginx:latest``; a tag or a
digest (``nginx@sha256:…``) selects the manifest.  A failed resolution
raises :class:`~kcourse.sim.cri.CriError` with containerd's text:

* a tag missing from a known repository — ``NotFound``: ``…: not found``;
* a Docker Hub repository that does not exist — ``Unknown``: ``pull access
  denied, repository does not exist or may require authorization …``;
* a registry host nobody knows — ``Unknown``: ``dial tcp: lookup <host>: no
  such host``.

Simplified: the digests are stable made-up values, not the real images';
every tag is its own manifest (``nginx:latest`` and ``nginx:1.27`` are not
the same image here); no authentication, no rate limits, no multi-arch
indexes; every registry answers at the same simulated bandwidth.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache, lru_cache
from importlib import resources
from typing import Any

from .cri import CriError, normalize_image

__all__ = [
    "PULL_BANDWIDTH",
    "PULL_LATENCY",
    "Endpoint",
    "ImageReferenceError",
    "Manifest",
    "Registry",
    "parse_reference",
]

#: Simulated registry bandwidth (bytes per second) and round-trip overhead of a pull.
PULL_BANDWIDTH = 30_000_000
PULL_LATENCY = 0.4
#: Registry hosts a node can resolve besides those of the catalog (pushing to a host adds it).
KNOWN_HOSTS = (
    "docker.io",
    "registry.k8s.io",
    "k8s.gcr.io",
    "gcr.io",
    "quay.io",
    "ghcr.io",
    "mcr.microsoft.com",
    "public.ecr.aws",
    "cr.fluentbit.io",
)
PROTOCOLS = ("HTTP", "HTTPS", "TCP", "UDP", "GRPC")

# The grammar of github.com/distribution/reference (regexp.go), enough to tell a valid name.
_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
_DOMAIN = (
    r"(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*"
    r"|\[[0-9a-fA-F:]+\])(?::[0-9]+)?"
)
_TAG = r"[\w][\w.-]{0,127}"
_DIGEST = r"[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}"
_REFERENCE = re.compile(
    rf"^(?:(?P<domain>{_DOMAIN})/)?(?P<path>{_COMPONENT}(?:/{_COMPONENT})*)"
    rf"(?::(?P<tag>{_TAG}))?(?:@(?P<digest>{_DIGEST}))?$"
)


class ImageReferenceError(ValueError):
    """An image name the runtime cannot parse (the kubelet's ``InvalidImageName``)."""


@dataclass(frozen=True)
class Reference:
    """A parsed image name: ``docker.io`` / ``library/nginx`` : ``1.27`` @ ``sha256:…``."""

    domain: str
    path: str
    tag: str
    digest: str

    @property
    def repository(self) -> str:
        return f"{self.domain}/{self.path}"

    def __str__(self) -> str:
        if self.digest:
            return f"{self.repository}@{self.digest}"
        return f"{self.repository}:{self.tag}"


def parse_reference(image: str) -> Reference:
    """``ParseNormalizedNamed`` plus the default tag: raises :class:`ImageReferenceError` with its text.

    A name parses to the same (frozen) :class:`Reference` every time, so the last names parsed are
    remembered: every Pod of a Deployment names the same image, at each of its kubelet's steps.
    """
    if not isinstance(image, str) or not image:
        raise ImageReferenceError("invalid reference format")
    return _parse_reference(image)


@lru_cache(maxsize=1024)
def _parse_reference(image: str) -> Reference:
    if re.fullmatch(r"[a-f0-9]{64}", image):
        raise ImageReferenceError(
            f"invalid repository name ({image}), cannot specify 64-byte hexadecimal strings"
        )
    first, _, rest = image.partition("/")
    if rest and ("." in first or ":" in first or first == "localhost" or first != first.lower()):
        domain, remainder = first, rest
    else:
        domain, remainder = "docker.io", image
    if domain == "index.docker.io":
        domain = "docker.io"
    if domain == "docker.io" and "/" not in remainder:
        remainder = "library/" + remainder
    remote = remainder.split("@", 1)[0].split(":", 1)[0]
    if remote.lower() != remote:
        raise ImageReferenceError(f"invalid reference format: repository name ({remote}) must be lowercase")
    m = _REFERENCE.match(f"{domain}/{remainder}")
    if m is None:
        raise ImageReferenceError("invalid reference format")
    tag, digest = m.group("tag") or "", m.group("digest") or ""
    return Reference(domain, m.group("path"), tag or ("" if digest else "latest"), digest)


def _is_code(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 100 <= value <= 599


@dataclass(frozen=True)
class Endpoint:
    """One port an image's program listens on, and (for HTTP) what each path answers.

    A path's answer is a status code, ``"healthy"``/``"ready"`` (200 while the program is, else
    500/503), or ``{"status": 200, "until": 10, "then": 500}`` (the code changes after ``until``
    seconds of running, as ``registry.k8s.io/liveness`` does); other paths get ``default``.
    ``http_error`` is what an HTTP client gets from a port that does not speak HTTP; ``latency`` is
    how many seconds the program takes to answer (a probe's ``timeoutSeconds`` may run out first).
    """

    port: int
    protocol: str = "HTTP"
    paths: Mapping[str, Any] = field(default_factory=dict)
    default: int = 404
    http_error: str = "EOF"
    latency: float = 0.0

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Endpoint:
        port, protocol = d.get("port"), str(d.get("protocol", "HTTP")).upper()
        if not isinstance(port, int) or isinstance(port, bool) or not 0 < port < 65536:
            raise ValueError(f"port must be a number between 1 and 65535, not {port!r}")
        if protocol not in PROTOCOLS:
            raise ValueError(f"protocol must be one of {', '.join(PROTOCOLS)}, not {protocol!r}")
        paths = d.get("paths") or {}
        if not isinstance(paths, Mapping) or not all(isinstance(p, str) and p.startswith("/") for p in paths):
            raise ValueError("paths must map paths that start with '/' to status codes")
        for path, answer in paths.items():
            if not (
                _is_code(answer)
                or answer in ("healthy", "ready")
                or (
                    isinstance(answer, Mapping)
                    and _is_code(answer.get("status", 200))
                    and _is_code(answer.get("then", 500))
                    and isinstance(answer.get("until", 0), (int, float))
                )
            ):
                raise ValueError(f"path {path} must answer a status code (100-599), not {answer!r}")
        default = d.get("default", 404)
        if not _is_code(default):
            raise ValueError(f"default must be an HTTP status code, not {default!r}")
        latency = d.get("latency", 0.0)
        if not isinstance(latency, (int, float)) or isinstance(latency, bool) or latency < 0:
            raise ValueError(f"latency must be a number of seconds, not {latency!r}")
        return cls(port, protocol, dict(paths), default, str(d.get("http_error", "EOF")), float(latency))

    @property
    def speaks_http(self) -> bool:
        return self.protocol in ("HTTP", "HTTPS")

    def status(self, path: str, running_for: float, healthy: bool, ready: bool) -> int:
        """The status code a GET of ``path`` gets after the program ran ``running_for`` seconds."""
        answer = self.paths.get(path.split("?", 1)[0] or "/", self.default)
        if answer == "healthy":
            return 200 if healthy else 500
        if answer == "ready":
            return 200 if ready and healthy else 503
        if isinstance(answer, Mapping):
            late = running_for >= float(answer.get("until", 0))
            return int(answer.get("then", 500) if late else answer.get("status", 200))
        return int(answer) if healthy else 500


@dataclass(frozen=True)
class Manifest:
    """One image in the registry: ``repository:tag``, its digest and compressed size."""

    repository: str
    tag: str
    digest: str
    size: int
    serves: tuple[Endpoint, ...] = ()

    @property
    def repo_digest(self) -> str:
        """``docker.io/library/nginx@sha256:…``: the ``imageID`` a container status reports."""
        return f"{self.repository}@{self.digest}"


@cache
def _catalog() -> dict[str, Any]:
    """The shipped catalog, read once (immutable data every registry starts from)."""
    text = resources.files("kcourse.sim").joinpath("data/images.json").read_text(encoding="utf-8")
    return json.loads(text)["repositories"]


def _digest(text: str) -> str:
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


class Registry:
    """The registries one cluster pulls from: the shipped catalog plus what a learner pushed."""

    def __init__(self) -> None:
        self._repos: dict[str, dict[str, Manifest]] = {}
        self._serves: dict[str, tuple[Endpoint, ...]] = {}
        for repo, entry in _catalog().items():
            serves = tuple(Endpoint.from_dict(e) for e in entry.get("serves") or [])
            self._serves[repo] = serves
            self._repos[repo] = {
                tag: Manifest(repo, tag, t["digest"], t["size"], serves) for tag, t in entry["tags"].items()
            }
        self._hosts = set(KNOWN_HOSTS) | {r.split("/", 1)[0] for r in self._repos}
        self._failing: set[str] = set()
        self._pushes = 0

    # --- what a learner does -----------------------------------------------------------------

    def push(
        self, image: str, size: int = 5_242_880, serves: list[Mapping[str, Any]] | None = None
    ) -> Manifest:
        """Add ``image`` (``myapp:1.0``) as ``docker push`` would; returns its manifest.

        ``serves`` says what its program answers, e.g. ``[{"port": 8080, "paths": {"/": 200,
        "/healthz": 200}}]`` (protocol ``HTTP`` unless given; other paths answer 404).  Without
        it, a pushed tag serves what the repository's other tags serve, or nothing.  Pushing a
        tag again replaces it, with a new digest.  Bad input raises ``ValueError`` and changes
        nothing.
        """
        try:
            ref = parse_reference(image)
        except ImageReferenceError as err:
            raise ValueError(f'cannot push "{image}": {err}') from None
        if ref.digest:
            raise ValueError(
                f'cannot push "{image}": push a tag (name:tag), the registry computes the digest'
            )
        if not isinstance(size, int) or isinstance(size, bool) or size <= 0:
            raise ValueError(f"size must be a positive number of bytes, not {size!r}")
        if serves is not None and (
            not isinstance(serves, list) or not all(isinstance(e, Mapping) for e in serves)
        ):
            raise ValueError("serves must be a list of endpoints such as {'port': 8080, 'paths': {'/': 200}}")
        endpoints = (
            tuple(Endpoint.from_dict(e) for e in serves)
            if serves is not None
            else self._serves.get(ref.repository, ())
        )
        self._pushes += 1  # a new push of the same tag is a new manifest, with a new digest
        manifest = Manifest(
            ref.repository, ref.tag, _digest(f"pushed {ref} {size} {self._pushes}"), size, endpoints
        )
        self._repos.setdefault(ref.repository, {})[ref.tag] = manifest
        if serves is not None or ref.repository not in self._serves:
            self._serves[ref.repository] = endpoints
        self._hosts.add(ref.domain)
        return manifest

    def set_failing(self, image: str, failing: bool = True) -> None:
        """Make pulls of ``image`` fail as a missing tag would (``cluster.fail_image_pull``)."""
        (self._failing.add if failing else self._failing.discard)(image)

    def is_failing(self, image: str) -> bool:
        return image in self._failing

    # --- what a runtime asks ---------------------------------------------------------------------

    def repositories(self) -> list[str]:
        return sorted(self._repos)

    def tags(self, repository: str) -> list[str]:
        """The tags of a repository (``nginx`` or ``docker.io/library/nginx``), sorted."""
        try:
            repo = parse_reference(repository).repository
        except ImageReferenceError:
            return []
        return sorted(self._repos.get(repo, {}))

    def lookup(self, image: str) -> Manifest | None:
        """The manifest ``image`` names, or None (never raises)."""
        try:
            ref = parse_reference(image)
        except ImageReferenceError:
            return None
        tags = self._repos.get(ref.repository, {})
        if ref.digest:
            return next((m for m in tags.values() if m.digest == ref.digest), None)
        return tags.get(ref.tag)

    def __contains__(self, image: object) -> bool:
        return isinstance(image, str) and self.lookup(image) is not None

    def serves(self, image: str) -> tuple[Endpoint, ...]:
        """What the program of ``image`` listens on (nothing for an image the registry does not hold)."""
        m = self.lookup(image)
        return m.serves if m is not None else ()

    def pull_seconds(self, image: str) -> float:
        """How long a pull takes: a round trip, plus the image's bytes over the bandwidth if it exists."""
        m = None if self.is_failing(image) else self.lookup(image)
        return round(PULL_LATENCY + (m.size / PULL_BANDWIDTH if m else 0.0), 3)

    def resolve(self, image: str) -> Manifest:
        """The manifest a pull of ``image`` gets, or :class:`CriError` with the runtime's text."""
        ref_text = normalize_image(image)
        prefix = f'failed to pull and unpack image "{ref_text}": failed to resolve reference "{ref_text}"'
        if self.is_failing(image):
            raise CriError("NotFound", f"{prefix}: {ref_text}: not found")
        try:
            ref = parse_reference(image)
        except ImageReferenceError as err:
            raise CriError("Unknown", f'failed to pull and unpack image "{image}": {err}') from None
        if ref.domain not in self._hosts:
            host = ref.domain.split(":", 1)[0]
            raise CriError(
                "Unknown",
                f'{prefix}: failed to do request: Head "https://{ref.domain}/v2/{ref.path}/'
                f'manifests/{ref.digest or ref.tag}": dial tcp: lookup {host}: no such host',
            )
        if ref.repository not in self._repos and ref.domain == "docker.io":
            raise CriError(
                "Unknown",
                f"{prefix}: pull access denied, repository does not exist or may require "
                "authorization: server message: insufficient_scope: authorization failed",
            )
        manifest = self.lookup(image)
        if manifest is None:
            raise CriError("NotFound", f"{prefix}: {ref_text}: not found")
        return manifest
