"""Typed garbage derived from real manifests: each document is refused at the door or runs harmlessly.

The seeds are the manifests a learner meets — ``tests/manifests``, the ones
the notebooks apply, the addons' own objects — and every generated document
is a seed with one or more places changed: a field replaced by a value of
each wrong JSON type (and by huge, empty, negative, fractional values and odd
unicode), removed, renamed to a near miss (``Replicas``, ``imagePullPolice``),
joined by an unknown sibling, or written twice in the JSON text.  Each goes
to the API server the way a client would send it — ``api.create`` with every
``fieldValidation`` (a body read with the decoder's own JSON reader, so
duplicates are seen), ``Cluster.apply`` as kubectl sends it, or an update of
a stored object — and must end one of two ways:

* refused with a 4xx :class:`kcourse.ApiError` and the store's revision
  unchanged (apimachinery's decoder and validation refuse before writing:
  ``k8s.io/apiserver/pkg/endpoints/handlers/create.go``, ``update.go``); or
* accepted, stored well-typed (the stored object decodes again under
  ``Strict`` unchanged), and the cluster, running until stable with the batch
  of accepted objects, raises nothing and still runs a fresh canary Pod.

The ``ci`` profile is derandomized, so ``make test`` tries the same documents
every run (about 6,000 of them); ``HYPOTHESIS_PROFILE=soak`` tries more.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import kcourse
from kcourse.sim.addons import dashboard, dns, kube_proxy_manifests, logging, monitoring
from kcourse.sim.manifests import load_manifests
from kcourse.sim.objects import deep_copy
from kcourse.sim.resources import by_kind
from kcourse.sim.serializer import decode, loads

ROOT = Path(__file__).resolve().parents[2]
DOCS_PER_EXAMPLE = 12
#: Accepted documents run together: this many, then the cluster must settle and pass the canary.
BATCH = 40
_APPLIED = re.compile(r"apply\(\s*(?:'''|\"\"\")(.*?)(?:'''|\"\"\")", re.DOTALL)


def _notebook_manifests() -> list[dict]:
    out = []
    for nb in sorted((ROOT / "notebooks").glob("*.ipynb")):
        cells = json.loads(nb.read_text(encoding="utf-8"))["cells"]
        for cell in cells:
            if cell["cell_type"] == "code":
                for text in _APPLIED.findall("".join(cell["source"])):
                    try:
                        out.extend(load_manifests(text))
                    except kcourse.ApiError:
                        continue  # a notebook may show a refusal on purpose
    return out


def _seeds() -> list[dict]:
    objs: list[dict] = []
    for path in sorted((ROOT / "tests" / "manifests").glob("*.yaml")):
        objs.extend(load_manifests(path))
    objs.extend(_notebook_manifests())
    for group in (
        kube_proxy_manifests(),
        dns.manifests(),
        monitoring.manifests(),
        logging.manifests(),
        dashboard.manifests(),
    ):
        objs.extend(group)
    seen, seeds = set(), []
    for obj in objs:
        key = json.dumps(obj, sort_keys=True)
        if by_kind(obj.get("kind", "")) is not None and obj["kind"] != "Namespace" and key not in seen:
            seen.add(key)
            if isinstance((obj.get("spec") or {}).get("replicas"), int):  # one replica keeps a batch cheap
                obj = {**obj, "spec": {**obj["spec"], "replicas": min(obj["spec"]["replicas"], 1)}}
            seeds.append(obj)
    return seeds


SEEDS = _seeds()


def _paths(value: Any, prefix: tuple = ()) -> list[tuple]:
    """Every place in a document: each mapping key and each list index, at any depth."""
    out = []
    if isinstance(value, dict):
        for k, v in value.items():
            out.append((*prefix, k))
            out.extend(_paths(v, (*prefix, k)))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out.append((*prefix, i))
            out.extend(_paths(v, (*prefix, i)))
    return out


SEED_PATHS = [[p for p in _paths(s) if p[0] not in ("apiVersion", "kind")] for s in SEEDS]

ODD_TEXT = [
    "",
    " ",
    "x",
    "abc%",
    "25%",
    "150%",
    "0x_",
    "80",
    "-1",
    "1.5",
    "1e400",
    "Always",
    "TCP",
    "http",
    "é",
    "🙂",
    "\u202e",
    "\u0000",
    "\ud800",
    "a" * 300,
    "a/b/c",
    "UPPER",
    "null",
    "true",
    "{}",
    "💥" * 64,
    "2025-01-01",
    "1Gi",
    "100m",
    "lots",
]
ODD_NUMBERS = [
    0,
    -1,
    1,
    3,
    65536,
    2**31 - 1,
    2**31,
    -(2**31) - 1,
    2**63,
    10**30,
    10**5000,
    1.0,
    1.5,
    -0.0,
    1e300,
    1e-7,
    float("nan"),
    float("inf"),
]
ODD_SHAPES = [
    None,
    True,
    False,
    [],
    [None],
    [1],
    ["80"],
    [{}],
    [[]],
    {},
    {"a": 1},
    {"": ""},
    {"bogus": "x"},
    {"1": 2},
    [{"name": 5}],
]
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=6,
)
hostile_values = st.sampled_from(ODD_TEXT + ODD_NUMBERS + ODD_SHAPES) | json_values


def _parent(doc: Any, path: tuple) -> Any:
    for part in path[:-1]:
        doc = doc[part]
    return doc


@st.composite
def documents(draw: st.DrawFn) -> tuple[dict, str, str, str | None, dict | None]:
    """A seed with 1-3 places changed, how it is sent, its fieldValidation, the JSON text if a key is doubled,
    and for an update the clean seed stored first under the same name."""
    i = draw(st.integers(0, len(SEEDS) - 1))
    doc = deep_copy(SEEDS[i])
    paths = SEED_PATHS[i]
    duplicate = None
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(paths))
        try:
            parent = _parent(doc, path)
            key = path[-1]
            parent[key]  # an earlier change may have removed or replaced the place
        except (KeyError, IndexError, TypeError):
            continue
        if not isinstance(parent, (dict, list)):
            continue
        op = draw(
            st.sampled_from(
                ["replace", "replace", "replace", "remove", "unknown", "rename", "wrap", "duplicate"]
            )
        )
        if op == "replace":
            parent[key] = draw(hostile_values)
        elif op == "remove":
            del parent[key]
        elif op == "unknown" and isinstance(parent, dict):
            parent[
                draw(st.sampled_from(["bogus", "imagePullPolice", "replica", "Spec", "metdata", "x-y"]))
            ] = draw(hostile_values)
        elif op == "rename" and isinstance(parent, dict) and isinstance(key, str):
            parent[key[:1].upper() + key[1:] if key[:1].islower() else key + "s"] = parent.pop(key)
        elif op == "wrap":
            parent[key] = [parent[key]]
        elif op == "duplicate" and isinstance(parent, dict) and isinstance(key, str):
            duplicate = key
    how = draw(st.sampled_from(["create", "create", "apply", "update"]))
    twin = None
    if how == "update":  # the seed under the same name is stored first, then replaced by the changed document
        twin = deep_copy(SEEDS[i])
        name = (doc.get("metadata") or {}).get("name") if isinstance(doc.get("metadata"), dict) else None
        if not isinstance(name, str):
            how = "create"
        else:
            twin["metadata"]["name"] = name
    fv = draw(st.sampled_from(["Strict", "Warn", "Ignore", ""]))
    text = None
    if duplicate is not None and how == "create":
        # The body is sent as JSON text with the key written twice (the second copy wins, Strict must see it).
        needle = json.dumps(duplicate) + ": "
        text = f"{needle}\0{needle}null, {needle}"
    return doc, how, fv, text, twin


class Fuzz:
    """One cluster that takes every document, and the counts the report quotes."""

    def __init__(self) -> None:
        # strict: a component that raises fails the test instead of being reported and retried
        self.cluster = kcourse.Cluster(masters=1, workers=1, addons=False, seed=0, strict=True)
        for ns in sorted({s["metadata"].get("namespace") for s in SEEDS} - {None, "default", "kube-system"}):
            self.cluster.api.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}})
        self.cluster.run_until_stable()
        self.counts: Counter[str] = Counter()
        self.accepted: list[tuple[str, str, str | None]] = []
        self.canaries = 0
        self.serial = 0

    def send(self, doc: dict, how: str, fv: str, text: str | None, twin: dict | None) -> None:
        api, etcd = self.cluster.api, self.cluster.etcd
        self.serial += 1
        for obj in (doc, twin):  # a name of its own, so no document is refused only for being a repeat
            md = obj.get("metadata") if isinstance(obj, dict) else None
            if isinstance(md, dict) and isinstance(md.get("name"), str):
                md["name"] = f"g{self.serial}-{md['name']}"[:60].rstrip("-.")
        if twin is not None:
            try:
                self._track(api.create(twin, field_validation="Strict", user="fuzz"))
            except kcourse.ApiError:
                how = "create"  # the seed's name was taken: the update becomes a create
        rev = etcd.revision
        self.counts["documents"] += 1
        try:
            if how == "apply":
                stored = self.cluster.apply(doc)
            elif how == "update":
                stored = api.update(doc, field_validation=fv, user="fuzz", warnings=[])
            else:
                stored = api.create(self._body(doc, text), field_validation=fv, user="fuzz", warnings=[])
        except kcourse.ApiError as e:
            assert 400 <= e.code < 500, f"{e.code} for {how} ({fv}): {e.message[:300]}"
            assert etcd.revision == rev, f"a refused {how} changed the store: {e.message[:300]}"
            self.counts["refused"] += 1
            self.counts[f"refused {e.code}"] += 1
            return
        self.counts["accepted"] += 1
        self.counts[f"accepted by {how}"] += 1
        for obj in stored if isinstance(stored, list) else [stored]:
            assert decode(obj, "Strict") == obj, "a stored object is not well-typed"
            self._track(obj)
        if len(self.accepted) >= BATCH:
            self.settle()

    @staticmethod
    def _body(doc: dict, duplicate: str | None) -> Any:
        """The document itself, or read back from JSON text in which one key is written twice."""
        if duplicate is None:
            return doc
        try:
            text = json.dumps(doc)
        except (ValueError, TypeError):  # NaN and friends cannot be JSON text: send the object
            return doc
        needle, doubled = duplicate.split("\0")
        return loads(text.replace(needle, doubled, 1))

    def _track(self, obj: dict) -> None:
        rt = by_kind(obj["kind"])
        self.accepted.append((rt.plural, obj["metadata"]["name"], obj["metadata"].get("namespace")))

    def settle(self) -> None:
        """Run the accepted batch until stable (nothing may raise), then check a fresh Pod still runs.

        A batch may hold Pods that can never start (an image name of emoji, a port taken twice), so
        "stable" is bounded by a minute of simulated time; the canary must be Running within it.
        """
        c = self.cluster
        c.run_until_stable(timeout=60, max_steps=20_000)
        self.canaries += 1
        name = f"canary-{self.canaries}"
        c.api.create(
            {
                "apiVersion": "v1",
                "kind": "Pod",
                "metadata": {"name": name, "namespace": "default"},
                "spec": {
                    "containers": [{"name": "c", "image": "busybox:1.36", "command": ["sleep", "3600"]}]
                },
            },
            user="fuzz",
        )
        c.run_until_stable(timeout=60, max_steps=20_000)
        pod = c.api.get("pods", name, "default")
        assert pod["status"].get("phase") == "Running", (
            f"the canary did not run after a batch: {pod['status']}"
        )
        for plural, obj_name, ns in [*self.accepted, ("pods", name, "default")]:
            try:
                c.api.delete(plural, obj_name, ns, grace_period_seconds=0, user="fuzz")
            except kcourse.ApiError:
                continue
        self.accepted.clear()


@pytest.fixture(scope="module")
def fuzz() -> Fuzz:
    return Fuzz()


def test_the_seeds_are_real_manifests_of_several_kinds() -> None:
    kinds = Counter(s["kind"] for s in SEEDS)
    assert len(SEEDS) >= 15 and {"Deployment", "Service", "Pod", "DaemonSet", "ConfigMap"} <= set(kinds), (
        kinds
    )


def test_generated_documents_are_refused_cleanly_or_run_harmlessly(fuzz: Fuzz) -> None:
    examples = max(10, settings.default.max_examples // 2)

    @settings(max_examples=examples)
    @given(st.lists(documents(), min_size=DOCS_PER_EXAMPLE, max_size=DOCS_PER_EXAMPLE))
    def run(docs: list) -> None:
        for doc in docs:
            fuzz.send(*doc)

    run()
    fuzz.settle()
    counts = fuzz.counts
    print(f"\ngenerated documents: {dict(sorted(counts.items()))}, canaries: {fuzz.canaries}")
    assert counts["documents"] >= examples * DOCS_PER_EXAMPLE
    assert counts["refused"] > counts["documents"] // 10 and counts["accepted"] > counts["documents"] // 20, (
        counts
    )
