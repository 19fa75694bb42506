"""Taints and tolerations: the one ``ToleratesTaint`` the scheduler, taint manager and DaemonSet controller
share."""

from kcourse.sim.taints import tolerated, tolerates

NOT_READY = {"key": "node.kubernetes.io/not-ready", "effect": "NoExecute"}
DEDICATED = {"key": "dedicated", "value": "db", "effect": "NoSchedule"}


def test_exists_with_a_key_ignores_the_value():
    assert tolerates({"key": "dedicated", "operator": "Exists"}, DEDICATED)


def test_equal_is_the_default_operator_and_compares_the_value():
    assert tolerates({"key": "dedicated", "value": "db"}, DEDICATED)
    assert not tolerates({"key": "dedicated", "value": "web"}, DEDICATED)


def test_an_empty_effect_matches_every_effect_and_a_set_one_only_itself():
    assert tolerates({"key": "node.kubernetes.io/not-ready", "operator": "Exists"}, NOT_READY)
    assert not tolerates(
        {"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoSchedule"}, NOT_READY
    )


def test_exists_without_a_key_tolerates_every_taint():
    assert tolerated([{"operator": "Exists"}], DEDICATED) and tolerated([{"operator": "Exists"}], NOT_READY)
    assert not tolerated([], DEDICATED)
