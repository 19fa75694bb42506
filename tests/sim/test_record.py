"""Events as client-go's recorder writes them (kcourse/sim/record.py).

Upstream: staging/src/k8s.io/client-go/tools/record/event.go (makeEvent, generateEvent, recordEvent) and
tools/record/events_cache.go (EventAggregator, eventLogger, EventSourceObjectSpamFilter and their defaults);
tools/leaderelection/resourcelock/leaselock.go (RecordEvent) for LeaderElection events.
"""

import re

import pytest

import kcourse
from kcourse.sim.objects import EPOCH
from kcourse.sim.record import (
    DEFAULT_AGGREGATE_INTERVAL_SECONDS,
    DEFAULT_AGGREGATE_MAX_EVENTS,
    DEFAULT_SPAM_BURST,
    DEFAULT_SPAM_QPS,
    event_source,
)


@pytest.fixture
def bare():
    """A cluster with its namespaces and nothing running, so only the test records events."""
    return kcourse.Cluster(seed=0, workers=1, addons=False, bootstrap=False)


def configmap(c, name="cfg"):
    return c.api.create(
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "namespace": "default"}},
        user="test",
    )


def events(c, name="cfg"):
    return sorted(
        (e for e in c.api.items("events", "default") if e["involvedObject"]["name"] == name),
        key=lambda e: e["metadata"]["name"],
    )


def test_the_defaults_are_client_gos():
    """events_cache.go: defaultAggregateMaxEvents 10, defaultAggregateIntervalInSeconds 600,
    defaultSpamBurst 25, defaultSpamQPS 1/300."""
    assert (DEFAULT_AGGREGATE_MAX_EVENTS, DEFAULT_AGGREGATE_INTERVAL_SECONDS, DEFAULT_SPAM_BURST) == (
        10,
        600,
        25,
    )
    assert DEFAULT_SPAM_QPS == 1 / 300


def test_an_event_is_named_after_its_object_and_the_unix_nanoseconds_in_hex(bare):
    """event.go makeEvent: ``fmt.Sprintf("%v.%x", ref.Name, t.UnixNano())``."""
    bare.advance(7.25)
    stored = bare.api.client("someone").event(configmap(bare), "Normal", "Tested", "hello")
    name, _, nanos = stored["metadata"]["name"].partition(".")
    assert name == "cfg" and re.fullmatch(r"[0-9a-f]{16}", nanos)
    assert int(nanos, 16) // 1_000_000 == (int(EPOCH.timestamp()) * 1000 + bare.clock.now_ms)


def test_names_sort_in_the_order_events_happened_even_within_one_millisecond(bare):
    """Several recorders about one object in the same simulated millisecond get distinct, ordered names."""
    cm = configmap(bare)
    for i, who in enumerate(["kube-scheduler", "kubelet", "someone", "kubelet"]):
        bare.api.client(who, "worker-1").event(cm, "Normal", f"Step{i}", "same instant")
    bare.advance(0.001)
    bare.api.client("someone").event(cm, "Normal", "Step4", "a millisecond later")
    assert [e["reason"] for e in events(bare)] == [f"Step{i}" for i in range(5)]


def test_the_involved_object_is_a_full_reference_and_the_source_the_recorders(bare):
    """ref.GetReference (kind, namespace, name, uid, apiVersion, resourceVersion); generateEvent sets source
    and reportingComponent/Instance from the recorder's EventSource; the kubelet's has the node as host."""
    cm = configmap(bare)
    ev = bare.api.client("kubelet", "worker-1").event(cm, "Warning", "Tested", "hello", field_path="data")
    assert ev["involvedObject"] == {
        "kind": "ConfigMap",
        "namespace": "default",
        "name": "cfg",
        "uid": cm["metadata"]["uid"],
        "apiVersion": "v1",
        "resourceVersion": cm["metadata"]["resourceVersion"],
        "fieldPath": "data",
    }
    assert ev["source"] == {"component": "kubelet", "host": "worker-1"}
    assert (ev["reportingComponent"], ev["reportingInstance"]) == ("kubelet", "worker-1")
    assert ev["count"] == 1 and ev["firstTimestamp"] == ev["lastTimestamp"] and ev["type"] == "Warning"


@pytest.mark.parametrize(
    ("component", "source"),
    [
        ("kube-scheduler", {"component": "default-scheduler"}),
        ("node-lifecycle-controller", {"component": "node-controller"}),
        ("taint-eviction-controller", {"component": "taint-eviction-controller"}),
        ("endpointslice-controller", {"component": "endpoint-slice-controller"}),
        ("endpoint-controller", {"component": "endpoint-controller"}),
        ("replicaset-controller", {"component": "replicaset-controller"}),
        ("node-ipam-controller", {"component": "cidrAllocator"}),
        ("service-lb-controller", {"component": "service-controller"}),
        ("node-route-controller", {"component": "route_controller"}),
        ("kubelet", {"component": "kubelet", "host": "worker-1"}),
    ],
)
def test_each_component_records_under_its_upstream_source_name(component, source):
    """The EventSource each binary gives its recorder: pkg/controller/nodelifecycle (``node-controller``),
    endpointslice_controller.go (``endpoint-slice-controller``), ipam/range_allocator.go (``cidrAllocator``),
    cloud-provider's service and route controllers, kube-scheduler's profile name, the kubelet with its
    host."""
    assert event_source(component, "worker-1") == source


def test_an_identical_event_is_counted_on_the_first_one(bare):
    """eventLogger.eventObserve: same source, object, type, reason and message → the first Event's count + 1,
    its firstTimestamp kept, lastTimestamp now — sent as a PATCH (recordEvent with updateExistingEvent)."""
    cm = configmap(bare)
    kubelet = bare.api.client("kubelet", "worker-1")
    first = kubelet.event(cm, "Warning", "BackOff", "Back-off restarting failed container")
    verbs = []
    for _ in range(5):
        bare.advance(30)
        kubelet.event(cm, "Warning", "BackOff", "Back-off restarting failed container")
        verbs.append(bare.api.recent_requests[-1].verb)
    [ev] = events(bare)
    assert ev["metadata"]["name"] == first["metadata"]["name"] and ev["count"] == 6
    assert (ev["firstTimestamp"], ev["lastTimestamp"]) == ("2025-01-01T09:00:00Z", "2025-01-01T09:02:30Z")
    assert verbs == ["patch"] * 5


def test_describe_shows_a_counted_event_as_x_times_over_a_duration(bare):
    """kubectl describe's event table: ``<last> (x<count> over <first>)``."""
    cm = configmap(bare)
    kubelet = bare.api.client("kubelet", "worker-1")
    for _ in range(6):
        kubelet.event(cm, "Warning", "BackOff", "Back-off restarting failed container")
        bare.advance(24)
    assert "24s (x6 over 2m24s)" in bare.kubectl("describe configmap cfg")


def test_a_deleted_event_is_created_again_when_it_repeats(bare):
    """recordEvent: a patch that finds no Event (``IsKeyNotFoundError``) falls back to a create."""
    cm = configmap(bare)
    client = bare.api.client("someone")
    first = client.event(cm, "Normal", "Tested", "again")
    bare.api.delete("events", first["metadata"]["name"], "default", user="test")
    again = client.event(cm, "Normal", "Tested", "again")
    assert again["count"] == 2 and again["metadata"]["name"] == first["metadata"]["name"]
    assert [e["count"] for e in events(bare)] == [2]


def test_the_tenth_similar_event_is_combined_and_later_ones_count_on_it(bare):
    """EventAggregator: events differing only in message; at the 10th distinct message within 600 s the
    recorder writes ``(combined from similar events): <message>`` instead, and later similar ones bump it."""
    cm = configmap(bare)
    rs = bare.api.client("replicaset-controller")
    for i in range(12):
        rs.event(cm, "Normal", "SuccessfulCreate", f"Created pod: web-{i}")
        bare.advance(1)
    evs = events(bare)
    assert [e["message"] for e in evs[:9]] == [f"Created pod: web-{i}" for i in range(9)]
    combined = evs[9:]
    assert len(combined) == 1 and combined[0]["count"] == 3
    assert combined[0]["message"] == "(combined from similar events): Created pod: web-11"
    assert combined[0]["firstTimestamp"] == "2025-01-01T09:00:09Z"
    assert combined[0]["reportingComponent"] == "" and combined[0]["source"] == {
        "component": "replicaset-controller"
    }


def test_a_repeated_message_counts_once_towards_the_ten_similar_ones(bare):
    """EventAggregate keeps the group's messages as a set (``localKeys``): nine messages repeated many times
    are nine, and only a tenth distinct one starts the combined Event; each repeat bumps its own count."""
    cm = configmap(bare)
    rs = bare.api.client("replicaset-controller")
    for _ in range(2):  # 18 events: within the spam filter's burst of 25
        for i in range(9):
            rs.event(cm, "Normal", "SuccessfulCreate", f"Created pod: web-{i}")
            bare.advance(1)
    evs = events(bare)
    assert [(e["message"], e["count"]) for e in evs] == [(f"Created pod: web-{i}", 2) for i in range(9)]
    rs.event(cm, "Normal", "SuccessfulCreate", "Created pod: web-9")
    rs.event(cm, "Normal", "SuccessfulCreate", "Created pod: web-0")  # the group is full: combined too
    combined = events(bare)[9:]
    assert [(e["message"], e["count"]) for e in combined] == [  # the patch carries the latest message
        ("(combined from similar events): Created pod: web-0", 2)
    ]


def test_similar_events_spread_over_more_than_ten_minutes_are_not_combined(bare):
    """The aggregate record is forgotten when its last event is older than maxIntervalInSeconds (600)."""
    cm = configmap(bare)
    rs = bare.api.client("replicaset-controller")
    for i in range(12):
        rs.event(cm, "Normal", "SuccessfulCreate", f"Created pod: web-{i}")
        bare.advance(601)
    assert not [e for e in events(bare) if e["message"].startswith("(combined")]


def test_a_source_may_record_25_events_about_an_object_then_one_every_five_minutes(bare):
    """EventSourceObjectSpamFilter: a token bucket per source + object (+ type), burst 25, refilled at
    1/300 s."""
    cm, other = configmap(bare), configmap(bare, "other")
    client = bare.api.client("someone")
    for i in range(30):
        client.event(cm, "Normal", f"Reason{i}", "spam")
    assert len(events(bare)) == 25
    assert client.event(other, "Normal", "Reason0", "spam") is not None  # another object: its own bucket
    assert bare.api.client("another").event(cm, "Normal", "Reason0", "spam")  # another source too
    bare.advance(299)
    assert client.event(cm, "Normal", "Late0", "spam") is None
    bare.advance(1)
    assert client.event(cm, "Normal", "Late1", "spam") is not None
    assert client.event(cm, "Normal", "Late2", "spam") is None
    assert len(events(bare)) == 27


def test_an_unsupported_event_type_is_not_recorded(bare):
    """generateEvent: ``util.ValidateEventType`` accepts Normal and Warning only."""
    assert bare.api.client("someone").event(configmap(bare), "Error", "Tested", "no") is None
    assert events(bare) == []


def test_an_event_in_a_terminating_namespace_is_dropped(bare):
    """recordEvent: the API server refuses it (NamespaceTerminatingCause) and the recorder will not retry."""
    ns = bare.api.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "gone"}}, user="test")
    cm = bare.api.create(
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "namespace": "gone"}}, user="test"
    )
    bare.api.update(dict(ns, spec={"finalizers": ["kubernetes"]}), user="test")
    bare.api.delete("namespaces", "gone", user="test")
    assert bare.api.client("someone").event(cm, "Normal", "Tested", "no") is None
    assert bare.api.items("events", "gone") == []


def test_components_record_under_their_upstream_names_in_a_running_cluster():
    """A scheduled Deployment's story, and a node going away, told by default-scheduler, kubelet (with
    host), replicaset-controller, deployment-controller and node-controller."""
    c = kcourse.Cluster(seed=0, workers=2)
    c.apply(
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "web", "namespace": "default"},
            "spec": {
                "replicas": 2,
                "selector": {"matchLabels": {"app": "web"}},
                "template": {
                    "metadata": {"labels": {"app": "web"}},
                    "spec": {"containers": [{"name": "nginx", "image": "nginx:1.27"}]},
                },
            },
        }
    )
    c.run_until_stable()
    c.fail_node("worker-2")
    c.advance(60)
    c.run_until_stable()
    sources = {
        (e["reason"], e["source"]["component"], e["source"].get("host", "")) for e in c.api.items("events")
    }
    assert {
        ("Scheduled", "default-scheduler", ""),
        ("SuccessfulCreate", "replicaset-controller", ""),
        ("ScalingReplicaSet", "deployment-controller", ""),
        ("RegisteredNode", "node-controller", ""),
        ("NodeNotReady", "node-controller", ""),
    } <= sources
    assert {s for r, s, _ in sources if r in ("Pulled", "Created", "Started")} == {"kubelet"}
    assert {h for r, _, h in sources if r == "Started"} <= {"master-1", "worker-1", "worker-2"}
    assert not {s for _, s, _ in sources} & {"node-lifecycle-controller", "kube-scheduler"}
    # The kubelet's container events name the container
    # (ref.GetPartialReference with "spec.containers{name}").
    paths = {
        e["involvedObject"].get("fieldPath")
        for e in c.api.items("events", "default")
        if e["reason"] in ("Pulling", "Created", "Started")
    }
    assert paths == {"spec.containers{nginx}"}


def test_each_leader_records_that_it_became_leader_on_its_lease():
    """leaselock.go RecordEvent: ``<identity> became leader``, reason LeaderElection, on the Lease, recorded
    by the component's own recorder (kube-scheduler's is its profile's, ``default-scheduler``)."""
    c = kcourse.Cluster(seed=0, workers=1, masters=1)
    c.run_until_stable()
    got = {
        (e["involvedObject"]["name"], e["source"]["component"], e["message"])
        for e in c.api.items("events", "kube-system")
        if e["reason"] == "LeaderElection"
    }
    assert got == {
        ("kube-scheduler", "default-scheduler", "master-1_kube-scheduler became leader"),
        (
            "kube-controller-manager",
            "kube-controller-manager",
            "master-1_kube-controller-manager became leader",
        ),
        (
            "cloud-controller-manager",
            "cloud-controller-manager",
            "master-1_cloud-controller-manager became leader",
        ),
    }
    [ev] = [
        e for e in c.api.items("events", "kube-system") if e["involvedObject"]["name"] == "kube-scheduler"
    ]
    assert (
        ev["involvedObject"]["kind"] == "Lease"
        and ev["involvedObject"]["apiVersion"] == "coordination.k8s.io/v1"
    )


def test_a_new_leader_after_a_failover_records_its_own_event():
    c = kcourse.Cluster(seed=0, workers=1, masters=3)
    c.run_until_stable()
    holder = c.api.get("leases", "kube-scheduler", "kube-system")["spec"]["holderIdentity"]
    c.fail_node(holder.split("_")[0])
    c.advance(40)
    c.run_until_stable()
    new = c.api.get("leases", "kube-scheduler", "kube-system")["spec"]["holderIdentity"]
    assert new != holder
    messages = [
        e["message"]
        for e in c.api.items("events", "kube-system")
        if e["reason"] == "LeaderElection" and e["involvedObject"]["name"] == "kube-scheduler"
    ]
    assert f"{holder} became leader" in messages and f"{new} became leader" in messages


def test_an_object_without_a_reference_is_not_reported(bare):
    """generateEvent: ref.GetReference fails → "Could not construct reference, will not report event"."""
    client = bare.api.client("someone")
    assert client.event({"metadata": {}}, "Normal", "Tested", "no") is None
    assert (
        client.event({"kind": "ConfigMap", "metadata": {"namespace": "default"}}, "Normal", "Tested", "no")
        is None
    )
    assert bare.api.items("events", "default") == []


@pytest.mark.parametrize(("seed", "size"), [(0, 7), (1, 7), (2, 7), (3, 64), (4, 64)])
def test_the_correlator_caches_forget_the_least_recently_used_key(seed, size):
    """``k8s.io/utils/lru`` (``Cache.Get`` moves the entry to the front, ``Cache.Add`` evicts the oldest
    once ``maxEntries`` is passed), against a reference model on random uses of a small cache: through
    ``get``/``add`` and through ``take``/``put`` (the recorder's read-then-write of one key), and across
    the copies a full cache makes of itself every ``size // 4`` evictions."""
    import random
    from collections import OrderedDict

    from kcourse.sim.record import _LRU

    rng = random.Random(seed)
    lru, model = _LRU(size=size), OrderedDict()
    for step in range(4_000):
        key = ("source", rng.randrange(size * 2))
        use = rng.random()
        if use < 0.4:
            got = lru.get(key)
            assert got == model.get(key)
            if key in model:
                model.move_to_end(key)
        elif use < 0.7:
            assert lru.take(key) == model.pop(key, None)
            lru.put(key, step)
            model[key] = step
            if len(model) > size:
                model.popitem(last=False)
        else:
            lru.add(key, step)
            model[key] = step
            model.move_to_end(key)
            if len(model) > size:
                model.popitem(last=False)
        assert len(lru) == len(model) and list(lru._data.items()) == list(model.items())


def test_a_repeat_after_its_record_was_evicted_creates_a_new_event(bare):
    """Once 4096 other events pushed an event's record out of the logger's LRU, a repeat of it is a new
    Event (``eventObserve`` finds no last record), not a count + 1 patch."""
    from kcourse.sim.record import MAX_LRU_CACHE_ENTRIES

    obj = configmap(bare)
    client = bare.client("test")
    first = client.event(obj, "Normal", "Tick", "the message")
    assert client.event(obj, "Normal", "Tick", "the message")["count"] == 2
    for i in range(MAX_LRU_CACHE_ENTRIES):
        other = configmap(bare, f"other-{i}")
        client.event(other, "Normal", "Other", f"message {i}")
    again = client.event(obj, "Normal", "Tick", "the message")
    assert again is not None and again["count"] == 1
    assert again["metadata"]["name"] != first["metadata"]["name"]


def test_equal_messages_and_field_paths_are_one_string_in_the_recorders_caches(bare):
    """A kubelet records ``Created container: web`` once a Pod: its correlator keeps each Event's message
    (in getEventKey's key) for as long as the LRU keeps the entry, so equal messages are one object."""
    client = bare.api.client("someone")
    one, two = configmap(bare, "one"), configmap(bare, "two")
    name = "web"
    for obj in (one, two):  # each message and field path built afresh, as a kubelet builds them
        client.event(
            obj,
            "Normal",
            "Created",
            f"Created container: {name}",
            field_path=f"spec.containers{{{name}}}",
        )
    [recorder] = client._recorders.values()
    keys = list(recorder.correlator.logger.cache._data)
    assert len(keys) == 2 and keys[0][-1] is keys[1][-1]  # the message, held by both keys
    assert keys[0][5] is keys[1][5] == "spec.containers{web}"
