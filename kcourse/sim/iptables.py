"""A node's iptables tables as its kernel holds them: rules, rule sets, ``iptables-save``, a packet's walk.

kube-proxy (``kubeproxy``) decides *which* rules a node needs; this module is what it writes them
into and what answers afterwards: a :class:`Rule` is one ``-A CHAIN ...`` line with the fields the
kernel matches on, a :class:`RuleSet` is every Service's rules at one moment (immutable, shared by
every node that installed the same one), and a :class:`RuleTable` is one node's ``filter`` and
``nat`` tables, which print as ``iptables-save`` does and walk a new connection through the chains
(:meth:`RuleTable.connect`, a :class:`ConnectResult`).  Upstream splits the same way:
``pkg/proxy/iptables/proxier.go`` builds the rules and hands them to ``pkg/util/iptables``, the
interface to the ``iptables-save``/``iptables-restore`` binaries and so to the kernel's netfilter
tables.  The chains kube-proxy writes on every node whatever its Services (the builtin chains'
jumps to ``KUBE-SERVICES``, ``KUBE-FORWARD``, ``KUBE-MARK-MASQ``, ``KUBE-POSTROUTING``) live here
too, because every table starts with them.

Simplified: no iptables binary, no locking (``/run/xtables.lock``) and no ``iptables-restore``
transactions, the kernel's tables are these objects; only the ``filter`` and ``nat`` tables; a rule
matches on destination, protocol, destination port, ``--dst-type LOCAL`` and ``--probability`` only
(its text is what ``iptables-save`` prints); packet counters stay ``[0:0]``; a connection walks at
most ten jumps.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from .objects import EPOCH

__all__ = [
    "EMPTY_RULES",
    "MASQ_MARK",
    "NODEPORTS_COMMENT",
    "ConnectResult",
    "PortRules",
    "Rule",
    "RuleSet",
    "RuleTable",
    "ServiceRules",
]

MASQ_MARK = "0x4000"
NODEPORTS_COMMENT = "kubernetes service nodeports; NOTE: this must be the last rule in this chain"


@dataclass(slots=True)
class Rule:
    """One ``-A CHAIN ...`` line, with the fields :meth:`RuleTable.connect` matches on.

    Slots: there are many.
    """

    chain: str
    text: str
    jump: str = ""
    dst: str | None = None
    proto: str | None = None
    dport: int | None = None
    local: bool = False
    probability: float | None = None
    dnat: str | None = None
    reject: bool = False

    def __str__(self) -> str:
        return f"-A {self.chain} {self.text}"


#: The rules every node has whatever its Services: the builtin chains' jumps, KUBE-FORWARD, masquerading.
_BASE_FILTER = (
    *(
        Rule(c, '-m comment --comment "kubernetes service portals" -j KUBE-SERVICES', "KUBE-SERVICES")
        for c in ("INPUT", "FORWARD", "OUTPUT")
    ),
    Rule(
        "INPUT",
        '-m comment --comment "kubernetes externally-visible service portals" -j KUBE-EXTERNAL-SERVICES',
        "KUBE-EXTERNAL-SERVICES",
    ),
    Rule("FORWARD", '-m comment --comment "kubernetes forwarding rules" -j KUBE-FORWARD', "KUBE-FORWARD"),
    Rule("KUBE-FORWARD", "-m conntrack --ctstate INVALID -j DROP", "DROP"),
    Rule(
        "KUBE-FORWARD",
        f'-m comment --comment "kubernetes forwarding rules" -m mark --mark '
        f"{MASQ_MARK}/{MASQ_MARK} -j ACCEPT",
        "ACCEPT",
    ),
    Rule(
        "KUBE-FORWARD",
        '-m comment --comment "kubernetes forwarding conntrack rule" -m conntrack '
        "--ctstate RELATED,ESTABLISHED -j ACCEPT",
        "ACCEPT",
    ),
)
_BASE_NAT = (
    *(
        Rule(c, '-m comment --comment "kubernetes service portals" -j KUBE-SERVICES', "KUBE-SERVICES")
        for c in ("PREROUTING", "OUTPUT")
    ),
    Rule(
        "POSTROUTING",
        '-m comment --comment "kubernetes postrouting rules" -j KUBE-POSTROUTING',
        "KUBE-POSTROUTING",
    ),
    Rule("KUBE-MARK-MASQ", f"-j MARK --set-xmark {MASQ_MARK}/{MASQ_MARK}", "MARK"),
    Rule("KUBE-POSTROUTING", f"-m mark ! --mark {MASQ_MARK}/{MASQ_MARK} -j RETURN", "RETURN"),
    Rule("KUBE-POSTROUTING", f"-j MARK --set-xmark {MASQ_MARK}/0x0", "MARK"),
    Rule(
        "KUBE-POSTROUTING",
        '-m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE --random-fully',
        "MASQUERADE",
    ),
)
_NODEPORTS_JUMP = Rule(
    "KUBE-SERVICES",
    f'-m comment --comment "{NODEPORTS_COMMENT}" -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS',
    "KUBE-NODEPORTS",
    local=True,
)
_BASE_FILTER_CHAINS = (
    "KUBE-EXTERNAL-SERVICES",
    "KUBE-FORWARD",
    "KUBE-NODEPORTS",
    "KUBE-PROXY-FIREWALL",
    "KUBE-SERVICES",
)
_BASE_NAT_CHAINS = ("KUBE-MARK-MASQ", "KUBE-NODEPORTS", "KUBE-POSTROUTING", "KUBE-SERVICES")

#: One Service port's rules, as ``_service_port_rules`` returns them: (filter, nat, nat chains, KUBE-SERVICES
#: jumps, (KUBE-SVC chains, KUBE-SEP chains, REJECT rules)).
PortRules = tuple[tuple[Rule, ...], tuple[Rule, ...], tuple[str, ...], tuple[Rule, ...], tuple[int, int, int]]


@dataclass(frozen=True)
class ServiceRules:
    """One Service's rules (its ports' groups in spec order) and what the sync log line counts of them."""

    ports: tuple[PortRules, ...]
    svc_chains: int
    endpoints: int
    rejects: int


class RuleSet:
    """Every Service's rules at one moment: immutable, so every table synced from it shares it.

    A new RuleSet is made from the previous one by replacing only the Services that changed (the
    rules themselves are shared per Service port), so a sync costs what changed, and the tables of
    many nodes cost one reference each.
    """

    __slots__ = ("_by_chain", "endpoints", "order", "rejects", "services", "svc_chains")

    def __init__(
        self, services: dict[tuple[str, str], ServiceRules], order: list[tuple[str, str]] | None = None
    ):
        self.services = services
        self.order = sorted(services) if order is None else order
        values = services.values()
        self.svc_chains = sum(s.svc_chains for s in values)
        self.endpoints = sum(s.endpoints for s in values)
        self.rejects = sum(s.rejects for s in values)
        self._by_chain: dict[tuple[str, str], list[Rule]] | None = None

    def changed(self, updates: dict[tuple[str, str], ServiceRules | None]) -> RuleSet:
        """A new RuleSet with ``updates`` applied (None: the Service has no rules any more)."""
        services = dict(self.services)
        new = RuleSet.__new__(RuleSet)
        svc_chains, endpoints, rejects = self.svc_chains, self.endpoints, self.rejects
        members = False
        for key, rules in updates.items():
            old = services.get(key)
            if old is rules:
                continue
            if old is not None:
                svc_chains, endpoints, rejects = (
                    svc_chains - old.svc_chains,
                    endpoints - old.endpoints,
                    rejects - old.rejects,
                )
            if rules is None:
                if old is not None:
                    del services[key]
                    members = True
                continue
            services[key] = rules
            members = members or old is None
            svc_chains, endpoints, rejects = (
                svc_chains + rules.svc_chains,
                endpoints + rules.endpoints,
                rejects + rules.rejects,
            )
        new.services = services
        new.order = sorted(services) if members else self.order
        new.svc_chains, new.endpoints, new.rejects = svc_chains, endpoints, rejects
        new._by_chain = None
        return new

    def _groups(self) -> Iterator[PortRules]:
        services = self.services
        for key in self.order:
            yield from services[key].ports

    def filter_rules(self) -> list[Rule]:
        out = list(_BASE_FILTER)
        for g in self._groups():
            out.extend(g[0])
        return out

    def nat_rules(self) -> list[Rule]:
        out = list(_BASE_NAT)
        jumps: list[Rule] = []
        for g in self._groups():
            out.extend(g[1])
            jumps.extend(g[3])
        out.extend(jumps)
        out.append(_NODEPORTS_JUMP)
        return out

    def nat_chains(self) -> list[str]:
        out = list(_BASE_NAT_CHAINS)
        for g in self._groups():
            out.extend(g[2])
        return out

    def chain(self, name: str, table: str) -> list[Rule]:
        if (
            self._by_chain is None
        ):  # built once per RuleSet, on the first question (connect, a learner's look)
            by_chain: dict[tuple[str, str], list[Rule]] = {}
            for t, rules in (("filter", self.filter_rules()), ("nat", self.nat_rules())):
                for r in rules:
                    by_chain.setdefault((t, r.chain), []).append(r)
            self._by_chain = by_chain
        return list(self._by_chain.get((table, name), ()))


EMPTY_RULES = RuleSet({})


class RuleTable:
    """A node's kube-proxy rules (``filter`` and ``nat`` tables) as installed in its kernel.

    The table is the node's name and address, when it synced, and the :class:`RuleSet` it installed
    (shared with every node that installed the same one); ``filter``/``nat`` list the rules in order.
    """

    def __init__(self, node: str, node_ip: str, synced_at: float = 0.0, rules: RuleSet = EMPTY_RULES):
        self.node, self.node_ip, self.synced_at, self.rules = node, node_ip, synced_at, rules

    def __repr__(self) -> str:
        return (
            f"RuleTable(node={self.node!r}, synced_at={self.synced_at}, "
            f"{self.rules.svc_chains} service ports with endpoints, "
            f"{self.rules.endpoints} endpoints, {self.rules.rejects} REJECT)"
        )

    @property
    def filter_chains(self) -> list[str]:
        return list(_BASE_FILTER_CHAINS)

    @property
    def nat_chains(self) -> list[str]:
        return self.rules.nat_chains()

    @property
    def filter(self) -> list[Rule]:
        return self.rules.filter_rules()

    @property
    def nat(self) -> list[Rule]:
        return self.rules.nat_rules()

    def chain(self, name: str, table: str = "nat") -> list[Rule]:
        return self.rules.chain(name, "nat" if table == "nat" else "filter")

    def save(self) -> str:
        """``iptables-save`` text: builtin chains, then kube-proxy's in name order (as libiptc keeps them)."""
        when = (EPOCH + timedelta(seconds=int(self.synced_at))).strftime("%a %b %e %H:%M:%S %Y")
        out: list[str] = []
        for table, builtins, chains, rules in (
            ("filter", ("INPUT", "FORWARD", "OUTPUT"), self.filter_chains, self.filter),
            ("nat", ("PREROUTING", "INPUT", "OUTPUT", "POSTROUTING"), self.nat_chains, self.nat),
        ):
            by_chain: dict[str, list[str]] = {}
            for r in rules:
                by_chain.setdefault(r.chain, []).append(str(r))
            out.append(f"# Generated by iptables-save v1.8.9 (nf_tables) on {when}")
            out.append(f"*{table}")
            out += [f":{c} ACCEPT [0:0]" for c in builtins]
            out += [f":{c} - [0:0]" for c in sorted(chains)]
            for c in (*builtins, *sorted(chains)):
                out += by_chain.get(c, ())
            out.append("COMMIT")
            out.append(f"# Completed on {when}")
        return "\n".join(out) + "\n"

    def connect(
        self, dst: str, port: int, protocol: str, rng: Any, *, local_ips: tuple[str, ...] = ()
    ) -> ConnectResult:
        """Walk the chains as the kernel would for a new connection to ``dst:port``."""
        proto = protocol.lower()
        result = ConnectResult(self.node, f"{dst}:{port}/{protocol}")
        for r in self.filter:
            if (
                r.reject
                and r.proto == proto
                and r.dport == port
                and (r.dst == dst or (r.local and dst in local_ips))
            ):
                result.rules.append(str(r))
                result.verdict = (
                    f"REJECT (icmp-port-unreachable): {r.text.split(chr(34))[1]}: connection refused"
                )
                return result
        chain = "KUBE-SERVICES"
        for _ in range(10):
            rules = self.chain(chain)
            if chain == "KUBE-SERVICES" and dst not in local_ips:
                rules = [r for r in rules if not r.local]
            taken = None
            for r in rules:
                if r.dst is not None and r.dst != dst:
                    continue
                if r.proto is not None and r.proto != proto:
                    continue
                if r.dport is not None and r.dport != port:
                    continue
                if r.jump == "KUBE-MARK-MASQ":
                    continue  # marks the packet and carries on in this chain
                if r.probability is not None and rng.random() >= r.probability:
                    continue
                taken = r
                break
            if taken is None:
                result.verdict = (
                    f"no rule for {dst}:{port}/{protocol} in {chain} on {self.node}: the packet "
                    "leaves unchanged and nothing answers (connection timed out)"
                )
                return result
            result.rules.append(str(taken))
            if taken.dnat:
                result.endpoint = taken.dnat
                result.verdict = f"DNAT to {taken.dnat}"
                return result
            chain = taken.jump
        result.verdict = "rule loop"
        return result


@dataclass
class ConnectResult:
    """Which rules a new connection matched, and the endpoint it was DNATed to (None if it failed)."""

    node: str
    destination: str
    rules: list[str] = field(default_factory=list)
    endpoint: str | None = None
    verdict: str = ""

    @property
    def ok(self) -> bool:
        return self.endpoint is not None
