"""Leader election: one leader among the control plane nodes; hand-over after the lease expires."""

import kcourse


def leaders(cluster, component: str) -> list[str]:
    return [m.name for m in cluster.machines.values() for c in m.components
            if c.name == component and getattr(c, "is_leader", False)]


def test_one_controller_manager_leads_among_three_masters():
    c = kcourse.Cluster(masters=3, workers=0, addons=False, seed=0)
    assert leaders(c, "kube-controller-manager") == ["master-1"]
    lease = c.api.peek("leases", "kube-controller-manager", "kube-system")
    assert lease["spec"]["holderIdentity"] == "master-1_kube-controller-manager"


def test_stopping_the_leaders_master_hands_over_after_the_lease_expires():
    c = kcourse.Cluster(masters=3, workers=0, addons=False, seed=0)
    c.advance(10)
    stopped_at = c.now
    c.stop_master("master-1")
    c.run_until_stable()
    new = leaders(c, "kube-controller-manager")
    assert new and new[0] != "master-1"
    took_over = [e for e in c.events if e.verb == "lead" and e.component == "kube-controller-manager"
                 and "became leader" in e.message][-1]
    assert 15 <= took_over.time - stopped_at <= 15 + 2 + 2  # lease duration, then at most a retry period
    lease = c.api.peek("leases", "kube-controller-manager", "kube-system")
    assert lease["spec"]["leaseTransitions"] == 1
