"""Leader election: one leader among the control plane nodes; hand-over after the lease expires."""

import kcourse
from kcourse.sim.objects import deep_copy, micro_timestamp, parse_timestamp


def leaders(cluster, component: str) -> list[str]:
    return [
        m.name
        for m in cluster.machines.values()
        for c in m.components
        if c.name == component and getattr(c, "is_leader", False)
    ]


def test_one_controller_manager_leads_among_three_masters():
    c = kcourse.Cluster(masters=3, workers=0, addons=False, seed=0)
    assert leaders(c, "kube-controller-manager") == ["master-1"]
    lease = c.api.peek("leases", "kube-controller-manager", "kube-system")
    assert lease["spec"]["holderIdentity"] == "master-1_kube-controller-manager"


def test_stopping_the_leaders_master_hands_over_after_the_lease_expires():
    c = kcourse.Cluster(masters=3, workers=0, addons=False, seed=0)
    c.advance(10)
    c.stop_master("master-1")
    renewed = parse_timestamp(
        c.api.peek("leases", "kube-controller-manager", "kube-system")["spec"]["renewTime"]
    )
    c.run_until_stable()
    new = leaders(c, "kube-controller-manager")
    assert new and new[0] != "master-1"
    took_over = [
        e
        for e in c.events
        if e.verb == "lead" and e.component == "kube-controller-manager" and "became leader" in e.message
    ][-1]
    # A candidate sees the last renewal at its next retry (≤ 2 s), waits out the lease (15 s) from then
    # on its own clock, and takes over at its next retry after that (≤ 2 s).
    assert renewed + 15 < took_over.time <= renewed + 2 + 15 + 2
    lease = c.api.peek("leases", "kube-controller-manager", "kube-system")
    assert lease["spec"]["leaseTransitions"] == 1


def test_a_candidate_times_the_lease_on_its_own_clock_not_by_the_holders_renew_time():
    c = kcourse.Cluster(masters=3, workers=0, addons=False, seed=0)
    c.advance(10)
    c.stop_master("master-1")
    # The holder's last renewal carries a timestamp from a clock running a minute behind.
    lease = deep_copy(c.api.peek("leases", "kube-controller-manager", "kube-system"))
    lease["spec"]["renewTime"] = micro_timestamp(c.now - 60)
    c.api.update(lease, user="kube-controller-manager")
    written = c.now
    c.run_until_stable()
    took_over = [
        e
        for e in c.events
        if e.verb == "lead" and e.component == "kube-controller-manager" and "became leader" in e.message
    ][-1]
    assert written + 15 < took_over.time <= written + 2 + 15 + 2
