"""kube-apiserver's etcd compactor (``k8s.io/apiserver/pkg/storage/etcd3/compact.go``).

Simplified: one compaction key and interval for the whole simulated cluster.
"""

from __future__ import annotations

from ..etcd import Compare, Etcd, EtcdError, Op

#: ``--etcd-compaction-interval``: kube-apiserver compacts etcd this often (seconds; its default, 5m).
COMPACTION_INTERVAL = 300.0


class Compactor:
    """kube-apiserver's etcd compactor (``k8s.io/apiserver/pkg/storage/etcd3/compact.go``).

    Every interval it writes the revision it recorded at the previous interval
    to ``compact_rev_key`` in a transaction guarded by that key's ``version``,
    then compacts etcd to that revision and records the current one.  So the
    first interval only records, each later one compacts to where the store
    stood an interval before: a watcher that falls less than one interval
    behind can always resume, one further behind gets 410 Gone and relists.
    The guard is how several API servers share one etcd without compacting
    twice: the one whose transaction fails adopts the winner's count instead.
    The key lies outside ``/registry/``, so no API object ever shows it, but
    its write is a revision like any other.
    """

    KEY = "compact_rev_key"

    def __init__(self, etcd: Etcd):
        self.etcd = etcd
        self.time = 0  # how many compaction rounds the key has seen (its ``version``)
        self.rev = 0  # the revision recorded at the previous round, the next compaction point

    def run_once(self) -> str:
        """One round; returns what it did, for the trace."""
        ok, results = self.etcd.txn(
            [Compare(self.KEY, "version", "=", self.time)],
            [Op("put", self.KEY, str(self.rev).encode())],
            [Op("get", self.KEY)],
        )
        current = self.etcd.revision
        if not ok:  # another API server compacted this round: take its count and wait for the next
            found = results[0]
            self.time = found[0].version if isinstance(found, list) and found else 0
            self.rev = current
            return f"another API server compacted; recorded revision {current}"
        self.time += 1
        target, self.rev = self.rev, current
        if not target:  # the first round only records where the store is
            return f"recorded revision {current} to compact to in {COMPACTION_INTERVAL:g}s"
        try:
            self.etcd.compact(target)
        except EtcdError as e:  # compacted further already (by hand): nothing to drop
            return f"compaction at revision {target} skipped: {e}"
        return f"compacted etcd to revision {target}; recorded revision {current}"
