"""kube-proxy in iptables mode: every node's rules for reaching Services.

A Service's ClusterIP belongs to no machine; nothing listens on it.  It
works because kube-proxy, a DaemonSet Pod on every node, watches Services
and EndpointSlices and writes NAT rules into the node's kernel.  A packet
to ``10.96.x.y:80`` walks the chains

* ``KUBE-SERVICES`` — one rule per Service port matching the ClusterIP
  (``-d 10.96.x.y/32 -p tcp --dport 80``), jumping to
* ``KUBE-SVC-<hash>`` — one rule per ready endpoint, the k-th of n taken
  with probability 1/(n-k+1) (``-m statistic --mode random``), so each
  endpoint gets 1/n of the new connections; the last has no statistic;
* ``KUBE-SEP-<hash>`` — DNAT to ``podIP:targetPort`` (and, for hairpin
  traffic from the endpoint itself, ``KUBE-MARK-MASQ``);
* ``KUBE-NODEPORTS`` → ``KUBE-EXT-<hash>`` for NodePort and LoadBalancer
  traffic arriving at a node's own address; ``KUBE-MARK-MASQ`` marks
  packets (``0x4000``) that ``KUBE-POSTROUTING`` must MASQUERADE.

A Service port without endpoints gets a ``REJECT`` in the filter table, so
a client is refused at once instead of waiting for a timeout.

Chain names are upstream's (``servicePortChainName``): base32 of the
SHA-256 of ``namespace/name:port`` + protocol (+ ``ip:port`` for an
endpoint), first 16 characters — so ``iptables-save`` here reads like on a
real node.  Rules live in the node's kernel (``cluster.network.iptables``):
they survive kube-proxy's own crash, go stale on a node cut off from the API
server, and vanish only when the machine powers off.

A sync costs what changed since the node's last one, as upstream's partial
sync rewrites only the chains of changed Services: the rules of each Service
port are built once and shared (by every node and every later sync), a
node's table is an immutable :class:`RuleSet` of them, and a new RuleSet
replaces only the Services whose object or EndpointSlices changed.  Each
node's kube-proxy has its own Services and EndpointSlices informers, as on a
real node, so a node cut off from the API server keeps stale rules.  What
connected nodes share is what is identical anyway: their informers' caches,
held once while their watches are live (``share``, see :mod:`.informer`),
and the result: the cluster's :class:`RuleSetMemo` hands the RuleSet one
kube-proxy computed to every other whose informers stand at the same
resourceVersions, so identical input on many nodes is worked out once.

This module decides which rules a node needs (upstream's ``pkg/proxy/iptables/proxier.go``) and
runs the process; the tables it writes them into, :class:`Rule`, :class:`RuleSet`,
:class:`RuleTable` with its ``iptables-save`` text and packet walk, live in ``iptables``
(upstream's ``pkg/util/iptables`` and the kernel behind it) and are re-exported here.

Simplified: only IPv4 and TCP/UDP/SCTP ClusterIP, NodePort and
LoadBalancer ingress IPs; traffic policies (``Local``), session affinity,
``externalIPs``, the firewall (``KUBE-FW``) chain and the periodic 30 s
resync are left out; one sync per batch of changes, at most one a second
(``--iptables-min-sync-period``); packet counters stay ``[0:0]``; no Node
informer (upstream's ``NodeConfig`` serves topology-aware routing and the
node's podCIDR, neither of which is modelled); connected nodes' identical
informer caches are held once, and a sync reads what changed from the
informers' change feeds rather than from per-event handlers.
"""

from __future__ import annotations

import base64
import functools
import hashlib
from typing import TYPE_CHECKING, Any

from .iptables import EMPTY_RULES, ConnectResult, PortRules, Rule, RuleSet, RuleTable, ServiceRules
from .programs import ContainerProgram, GuardedInformer

if TYPE_CHECKING:
    from .network import NetworkView

__all__ = [
    "IMAGE",
    "ConnectResult",
    "KubeProxy",
    "Rule",
    "RuleSet",
    "RuleSetMemo",
    "RuleState",
    "RuleTable",
    "build_rules",
    "connect",
    "endpoint_chain_name",
    "iptables_save",
    "probability",
    "service_port_chain_name",
]

IMAGE = "registry.k8s.io/kube-proxy:v1.32.0"


def _hash(text: str) -> str:
    return base64.b32encode(hashlib.sha256(text.encode()).digest()).decode()[:16]


def service_port_name(namespace: str, name: str, port_name: str) -> str:
    """``ServicePortName.String()``: ``ns/name:port`` (``ns/name`` for an unnamed port)."""
    return f"{namespace}/{name}" + (f":{port_name}" if port_name else "")


def service_port_chain_name(spn: str, protocol: str) -> str:
    """``KUBE-SVC-`` + base32(sha256(servicePortName + lower(protocol)))[:16], as upstream."""
    return "KUBE-SVC-" + _hash(spn + protocol.lower())


def external_chain_name(spn: str, protocol: str) -> str:
    return "KUBE-EXT-" + _hash(spn + protocol.lower())


def endpoint_chain_name(spn: str, protocol: str, endpoint: str) -> str:
    """``KUBE-SEP-`` + the same hash over servicePortName + protocol + ``ip:port``."""
    return "KUBE-SEP-" + _hash(spn + protocol.lower() + endpoint)


def probability(n: int) -> str:
    """``--probability`` for 1/n as ``iptables-save`` prints it (the kernel keeps it as a 31-bit fraction)."""
    return f"{round((1.0 / n) * 0x80000000) / 0x80000000:.11f}"


def _service_rules(ports: tuple[PortRules, ...]) -> ServiceRules:
    return ServiceRules(
        ports, sum(p[4][0] for p in ports), sum(p[4][1] for p in ports), sum(p[4][2] for p in ports)
    )


def _endpoints_for(slices: list[dict], port_name: str, protocol: str) -> list[str]:
    """``ip:port`` of the usable endpoints: ready ones, else serving-and-terminating ones (as upstream)."""
    ready: set[str] = set()
    terminating: set[str] = set()
    for sl in slices:
        number = None
        for p in sl.get("ports") or []:
            if (p.get("name") or "") == port_name and p.get("protocol", "TCP") == protocol:
                number = p.get("port")
        if number is None:
            continue
        for ep in sl.get("endpoints") or []:
            cond = ep.get("conditions") or {}
            for addr in ep.get("addresses") or []:
                hostport = f"{addr}:{number}"
                if cond.get("ready") is not False:
                    ready.add(hostport)
                elif cond.get("serving") and cond.get("terminating"):
                    terminating.add(hostport)
    chosen = ready or terminating
    return sorted(chosen, key=lambda hp: (tuple(int(x) for x in hp.split(":")[0].split(".")), hp))


@functools.lru_cache(maxsize=8192)
def _service_port_rules(
    spn: str,
    proto: str,
    ip: str,
    port: int,
    endpoints: tuple[str, ...],
    node_port: int | None,
    lb_ips: tuple[str, ...],
    cluster_cidr: str,
) -> PortRules:
    """One Service port's rules: (filter rules, nat rules, nat chains, KUBE-SERVICES jumps, the counts
    of its KUBE-SVC chains, KUBE-SEP chains and REJECT rules for the sync log line).

    They depend on the Service port and its endpoints only, never on the node, so every node (and every
    later sync while the Service is unchanged) shares them: kube-proxy's partial sync likewise rewrites
    only the chains of Services that changed.  Rules are never modified once built.
    """
    filters: list[Rule] = []
    nats: list[Rule] = []
    chains: list[str] = []
    service_rules: list[Rule] = []
    f, n = filters.append, nats.append
    p = proto.lower()
    svc_chain = service_port_chain_name(spn, proto)
    ext_chain = external_chain_name(spn, proto)
    match = f'-d {ip}/32 -p {p} -m comment --comment "{spn} cluster IP" -m {p} --dport {port}'
    if not endpoints:
        f(
            Rule(
                "KUBE-SERVICES",
                f'-d {ip}/32 -p {p} -m comment --comment "{spn} has no endpoints" '
                f"-m {p} --dport {port} -j REJECT --reject-with icmp-port-unreachable",
                "REJECT",
                dst=ip,
                proto=p,
                dport=port,
                reject=True,
            )
        )
        if node_port:
            f(
                Rule(
                    "KUBE-EXTERNAL-SERVICES",
                    f'-p {p} -m comment --comment "{spn} has no endpoints" '
                    f"-m addrtype --dst-type LOCAL -m {p} --dport {node_port} "
                    "-j REJECT --reject-with icmp-port-unreachable",
                    "REJECT",
                    proto=p,
                    dport=node_port,
                    local=True,
                    reject=True,
                )
            )
        return tuple(filters), (), (), (), (0, 0, len(filters))
    chains.append(svc_chain)
    service_rules.append(
        Rule("KUBE-SERVICES", f"{match} -j {svc_chain}", svc_chain, dst=ip, proto=p, dport=port)
    )
    n(
        Rule(
            svc_chain,
            f"! -s {cluster_cidr} {match} -j KUBE-MARK-MASQ",
            "KUBE-MARK-MASQ",
            dst=ip,
            proto=p,
            dport=port,
        )
    )
    for k, ep in enumerate(endpoints):
        left = len(endpoints) - k
        jump, sep, masq, dnat = _endpoint_rules(spn, proto, svc_chain, ep, max(1, left))
        n(jump)
        chains.append(sep)
        n(masq)
        n(dnat)
    if node_port or lb_ips:
        chains.append(ext_chain)
        n(
            Rule(
                ext_chain,
                f'-m comment --comment "masquerade traffic for {spn} external destinations" '
                "-j KUBE-MARK-MASQ",
                "KUBE-MARK-MASQ",
            )
        )
        n(Rule(ext_chain, f"-j {svc_chain}", svc_chain))
    for lb in lb_ips:
        service_rules.append(
            Rule(
                "KUBE-SERVICES",
                f"-d {lb}/32 -p {p} -m comment --comment "
                f'"{spn} loadbalancer IP" -m {p} --dport {port} '
                f"-j {ext_chain}",
                ext_chain,
                dst=lb,
                proto=p,
                dport=port,
            )
        )
    if node_port:
        n(
            Rule(
                "KUBE-NODEPORTS",
                f'-p {p} -m comment --comment "{spn}" -m {p} --dport {node_port} -j {ext_chain}',
                ext_chain,
                proto=p,
                dport=node_port,
            )
        )
    return tuple(filters), tuple(nats), tuple(chains), tuple(service_rules), (1, len(endpoints), 0)


@functools.lru_cache(maxsize=1 << 17)
def _endpoint_rules(spn: str, proto: str, svc_chain: str, ep: str, left: int) -> tuple[Rule, str, Rule, Rule]:
    """One endpoint's jump (the k-th of n, ``left`` = n-k+1) and its KUBE-SEP chain's rules.

    Cached: a Service whose endpoints change keeps the rules of the endpoints that stayed (their jump
    too while their place from the end is the same), so rebuilding it costs what changed.
    """
    p = proto.lower()
    sep = endpoint_chain_name(spn, proto, ep)
    stat = f"-m statistic --mode random --probability {probability(left)} " if left > 1 else ""
    jump = Rule(
        svc_chain,
        f'-m comment --comment "{spn} -> {ep}" {stat}-j {sep}',
        sep,
        probability=float(probability(left)) if left > 1 else None,
    )
    ep_ip = ep.rsplit(":", 1)[0]
    masq = Rule(sep, f'-s {ep_ip}/32 -m comment --comment "{spn}" -j KUBE-MARK-MASQ', "KUBE-MARK-MASQ")
    dnat = Rule(
        sep,
        f'-p {p} -m comment --comment "{spn}" -m {p} -j DNAT --to-destination {ep}',
        "DNAT",
        proto=p,
        dnat=ep,
    )
    return jump, sep, masq, dnat


def _cached_endpoints(
    memo: dict | None, slices: list[dict], port_name: str, protocol: str
) -> tuple[str, ...]:
    """``_endpoints_for``, remembered by the slices' uid and resourceVersion.

    One cluster's writes never repeat them.
    """
    ids = tuple((sl["metadata"].get("uid"), sl["metadata"].get("resourceVersion")) for sl in slices)
    if memo is None or not all(uid and rv for uid, rv in ids):
        return tuple(_endpoints_for(slices, port_name, protocol))
    key = (port_name, protocol, ids)
    found = memo.get(key)
    if found is None:
        if len(memo) > 100_000:
            memo.clear()
        found = memo[key] = tuple(_endpoints_for(slices, port_name, protocol))
    return found


def _rules_of_service(
    svc: dict, slices: list[dict], cluster_cidr: str, memo: dict | None
) -> ServiceRules | None:
    """One Service's rules from its object and its EndpointSlices (None: it gets none, e.g. headless)."""
    spec = svc.get("spec") or {}
    ip = spec.get("clusterIP")
    if not ip or ip == "None" or spec.get("type") == "ExternalName":
        return None
    ns, name = svc["metadata"]["namespace"], svc["metadata"]["name"]
    lb_ips = tuple(
        i["ip"]
        for i in ((svc.get("status") or {}).get("loadBalancer") or {}).get("ingress") or []
        if i.get("ip")
    )
    ports = []
    for sp in spec.get("ports") or []:
        proto = sp.get("protocol", "TCP")
        spn = service_port_name(ns, name, sp.get("name") or "")
        endpoints = _cached_endpoints(memo, slices, sp.get("name") or "", proto)
        node_port = sp.get("nodePort") if spec.get("type") in ("NodePort", "LoadBalancer") else None
        ports.append(
            _service_port_rules(spn, proto, ip, sp["port"], endpoints, node_port, lb_ips, cluster_cidr)
        )
    return _service_rules(tuple(ports))


def _owner(sl: dict) -> tuple[str, str] | None:
    """The Service an EndpointSlice belongs to (its ``kubernetes.io/service-name`` label)."""
    owner = (sl["metadata"].get("labels") or {}).get("kubernetes.io/service-name")
    return (sl["metadata"]["namespace"], owner) if owner else None


def build_rules(
    node: str,
    node_ip: str,
    services: list[dict],
    slices: list[dict],
    cluster_cidr: str,
    now: float = 0.0,
    memo: dict | None = None,
) -> RuleTable:
    """``syncProxyRules`` from scratch: the whole rule set for one node from Services and EndpointSlices.

    ``memo`` (one per cluster) keeps each Service port's endpoints between syncs and nodes.
    """
    by_service: dict[tuple[str, str], list[dict]] = {}
    for sl in slices:
        owner = _owner(sl)
        if owner:
            by_service.setdefault(owner, []).append(sl)
    entries: dict[tuple[str, str], ServiceRules] = {}
    for svc in services:
        key = (svc["metadata"]["namespace"], svc["metadata"]["name"])
        rules = _rules_of_service(svc, by_service.get(key, []), cluster_cidr, memo)
        if rules is not None:
            entries[key] = rules
    return RuleTable(node, node_ip, synced_at=now, rules=RuleSet(entries))


class RuleState:
    """Incremental ``syncProxyRules``: the RuleSet of an informer pair's caches, redone where they changed.

    The informers' handlers call :meth:`service_changed` and queue EndpointSlice changes in
    ``slice_changes`` (upstream's ``EndpointsChangeTracker``: a handler only records the change, the
    sync applies them); :meth:`rules` recomputes the Services touched since the last call and
    reuses everything else (upstream's partial sync likewise rewrites only the chains of changed
    Services).  A sync that takes the RuleSet another kube-proxy computed from the same input
    skips working out what changed; the next sync that computes rebuilds its index of which
    EndpointSlices belong to which Service and redoes every Service (from shared, cached parts).
    """

    def __init__(
        self, services: dict[str, dict], slices: dict[str, dict], cluster_cidr: str, memo: dict | None = None
    ):
        self.services, self.slices = services, slices  # the informers' stores, read at sync time
        self.cluster_cidr, self.memo = cluster_cidr, memo
        self.slice_keys: dict[tuple[str, str], set[str]] = {}  # Service -> its EndpointSlices' keys
        self.dirty: set[tuple[str, str]] = set()
        #: (old, new) EndpointSlices changed since the last sync, in the order the watch delivered them.
        self.slice_changes: list[tuple[dict | None, dict | None]] = []
        self.current = EMPTY_RULES
        self._reindex()

    def _reindex(self) -> None:
        """Which EndpointSlices belong to which Service, from the caches; every Service to be redone."""
        self.slice_keys = {}
        self.dirty.update(self.current.services)
        for key in self.services:
            ns, _, name = key.partition("/")
            self.dirty.add((ns, name))
        for key, sl in self.slices.items():
            self.slice_changed(None, sl, key)
        self._index_stale = False

    def service_changed(self, obj: dict) -> None:
        self.dirty.add((obj["metadata"]["namespace"], obj["metadata"]["name"]))

    def slice_changed(self, old: dict | None, new: dict | None, key: str | None = None) -> None:
        """An EndpointSlice was added (old None), updated, or deleted (new None)."""
        some = new if new is not None else old
        assert some is not None
        key = key or f"{some['metadata']['namespace']}/{some['metadata']['name']}"
        was = _owner(old) if old is not None else None
        now = _owner(new) if new is not None else None
        if was is not None and was != now:
            keys = self.slice_keys.get(was)
            if keys is not None:
                keys.discard(key)
                if not keys:
                    del self.slice_keys[was]
            self.dirty.add(was)
        if now is not None:
            self.slice_keys.setdefault(now, set()).add(key)
            self.dirty.add(now)

    def rules(self, shared: RuleSetMemo | None = None, key: tuple[str, str] = ("", "")) -> RuleSet:
        """The current RuleSet (the same object as last time if nothing changed).

        With ``shared``, the RuleSet another kube-proxy computed from the same Services and
        EndpointSlices (``key``: their informers' resourceVersions) is taken instead of computing it.
        """
        changes = self.slice_changes
        if not changes and not self.dirty:
            return self.current
        found = shared.get(key) if shared is not None else None
        if found is not None:
            if changes:
                changes.clear()
                self._index_stale = True
            self.dirty.clear()
            self.current = found
            return found
        if self._index_stale:
            self._reindex()
        else:
            for old, new in changes:
                self.slice_changed(old, new)
        changes.clear()
        if not self.dirty:
            return self.current
        updates: dict[tuple[str, str], ServiceRules | None] = {}
        for ns, name in sorted(self.dirty):
            svc = self.services.get(f"{ns}/{name}")
            rules = None
            if svc is not None:
                slices = [
                    self.slices[k] for k in sorted(self.slice_keys.get((ns, name), ())) if k in self.slices
                ]
                rules = _rules_of_service(svc, slices, self.cluster_cidr, self.memo)
            updates[(ns, name)] = rules
        self.dirty.clear()
        self.current = self.current.changed(updates)
        if shared is not None:
            shared.put(key, self.current)
        return self.current


class RuleSetMemo:
    """The rule sets a cluster's kube-proxies computed, by the Services and EndpointSlices they came from.

    Every kube-proxy keeps its own informers and works out its own rules, as on real nodes.  But an
    informer at resourceVersion R holds exactly its resource's objects as of R (a watch delivers one
    resource's events in order, and a relist replaces the cache with the list at its version), so two
    kube-proxies whose Services and EndpointSlices informers stand at the same pair of resourceVersions
    would compute the same rules.  The first one to sync computes them; the others take its RuleSet,
    which is immutable, so sharing it shares no state: identical input on 5,000 nodes is worked out
    once.  A kube-proxy that is behind (cut off, restarted) misses and computes its own.

    It also keeps each Service port's endpoints by the uid and resourceVersion of its EndpointSlices
    (``endpoints``), which every rebuild of a changed Service looks up.  The cluster's network owns one.
    Both are bounded: only recent rule sets are kept, since connected kube-proxies sync in step.
    """

    #: How many rule sets are kept (the most recent ones: connected kube-proxies ask for the same few).
    size = 8

    def __init__(self) -> None:
        self._rule_sets: dict[tuple[str, str], RuleSet] = {}
        self.endpoints: dict[tuple, tuple[str, ...]] = {}
        self._messages: dict[tuple[int, int, int], str] = {}

    def message(self, rules: RuleSet) -> str:
        """kube-proxy's log line for a sync to ``rules``: one string for every node that logs it."""
        counts = (rules.svc_chains, rules.endpoints, rules.rejects)
        msg = self._messages.get(counts)
        if msg is None:
            if len(self._messages) >= 1024:
                self._messages.clear()
            msg = self._messages[counts] = (
                f"synced iptables rules: {counts[0]} service ports with endpoints, {counts[1]} "
                f"endpoints, {counts[2]} without endpoints (REJECT)"
            )
        return msg

    def get(self, key: tuple[str, str]) -> RuleSet | None:
        return self._rule_sets.get(key)

    def put(self, key: tuple[str, str], rules: RuleSet) -> None:
        sets = self._rule_sets
        sets[key] = rules
        if len(sets) > self.size:
            del sets[next(iter(sets))]


# --- the kube-proxy process -------------------------------------------------------------------------


class KubeProxy(ContainerProgram):
    """The kube-proxy container of the ``kube-proxy`` DaemonSet Pod on one node.

    Like upstream's (``pkg/proxy/config``), it has its own Services and EndpointSlices informers;
    their handlers mark the Services whose rules must be redone and ask for a sync.
    """

    program_name = "kube-proxy"
    resources = ("services", "endpointslices")
    #: ``--iptables-min-sync-period``: changes within a second are batched into one sync.
    min_sync_period = 1.0

    def setup(self) -> None:
        self._last_sync: float | None = None
        self._pending = False
        self.state: RuleState | None = None
        # Every kube-proxy gets every Service and EndpointSlice event, so its informers share one cache
        # with every other node's while their watches are live (``share``: N identical caches held
        # once), and instead of handlers that record each change, a sync takes the changes since the
        # last one from the informers' change feeds (upstream's ``EndpointsChangeTracker`` likewise only
        # records a change; the sync applies them).
        for resource in self.resources:
            self.informers.informers[resource] = GuardedInformer(
                self.client, resource, self._lost, share=self.program_name
            )
        self._await_changes()

    def _await_changes(self) -> None:
        """No sync is pending: the next change to either cache asks for one."""
        for inf in self.informers.informers.values():
            inf.notify_once(self._changed)

    def _changed(self) -> None:
        if not self._pending:
            self.request_sync()

    def _rule_state(self) -> RuleState:
        services, slices = self.informers.informer("services"), self.informers.informer("endpointslices")
        if self.state is None:
            # What changed before the first sync is in the caches the state starts from.
            services.take_changes()
            slices.take_changes()
            net = self.host.network
            cidr = str(net.cluster_cidr)
            self.state = RuleState(services.store, slices.store, cidr, net.rule_sets.endpoints)
            return self.state
        state = self.state
        state.services, state.slices = services.store, slices.store  # a shared cache, or a copy of it
        for old, new in services.take_changes():
            changed = new if new is not None else old
            assert changed is not None  # a change has an old or a new object, or both
            state.service_changed(changed)
        state.slice_changes.extend(slices.take_changes())
        return state

    def on_synced(self) -> None:
        self.log(f"Using iptables Proxier on node {self.node}")
        self.request_sync()

    def request_sync(self) -> None:
        if self._pending or not self.running:
            return
        self._pending = True
        delay = 0.01
        if self._last_sync is not None:
            delay = max(delay, self._last_sync + self.min_sync_period - self.clock.now)
        self.after(delay, self.sync_proxy_rules, trace_name=self.program_name)

    def sync_proxy_rules(self) -> Any:
        """Install the node's rule set from the informers' caches (iptables-restore of the changed chains)."""
        self._pending = False
        self._await_changes()
        self._last_sync = self.clock.now
        net = self.host.network
        informers = self.informers.informers
        key = (informers["services"].resource_version, informers["endpointslices"].resource_version)
        rules = self._rule_state().rules(net.rule_sets, key)
        net.iptables[self.node] = RuleTable(self.node, net.node_ip(self.node), self.clock.now, rules)
        msg = net.rule_sets.message(rules)
        self.log(msg)
        return self.event(self.node, msg, verb="sync")

    def on_stop(self, machine_off: bool) -> None:
        # The rules are kernel state: a crashed kube-proxy leaves them in place; a powered-off machine
        # loses them.
        if machine_off:
            self.host.network.iptables.pop(self.node, None)


# --- what a learner calls -----------------------------------------------------------------------------


def iptables_save(cluster: NetworkView, node: str) -> str:
    """``iptables-save`` on ``node``: the rules kube-proxy last installed there."""
    if not (cluster.machine(node).powered):
        raise ValueError(f"node {node} is down: there is no kernel to ask")
    table = cluster.network.iptables.get(node)
    if table is None:
        return "# no kube-proxy rules on this node yet (kube-proxy has not synced)\n"
    return table.save()


def connect(cluster: NetworkView, node: str, dst_ip: str, port: int, protocol: str = "TCP") -> ConnectResult:
    """A new connection from ``node`` (or a Pod on it) to ``dst_ip:port``, through that node's rules."""
    m = cluster.machine(node)
    if not m.powered:
        return ConnectResult(node, f"{dst_ip}:{port}/{protocol}", verdict=f"node {node} is down: no rules")
    table = cluster.network.iptables.get(node)
    if table is None:
        return ConnectResult(
            node,
            f"{dst_ip}:{port}/{protocol}",
            verdict=f"kube-proxy has not synced on {node}: no rule for {dst_ip}:{port} "
            "(connection timed out)",
        )
    return table.connect(dst_ip, port, protocol, cluster.rng, local_ips=(cluster.network.node_ip(node),))


def kube_proxy_program(ctx: Any) -> KubeProxy:
    """The program behind the ``registry.k8s.io/kube-proxy`` image."""
    return KubeProxy(ctx)
