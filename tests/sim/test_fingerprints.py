"""The simulation, byte for byte: every scenario's sections hash to the committed goldens.

This is the gate for restructuring ``kcourse.sim``: moving a plugin into its own file, handing a
component what it uses instead of the cluster, or a speed-up must leave the trace, the API
requests, etcd, the scheduler's decisions, the iptables rules, ``kubectl`` output and the Events
exactly as they were.  A deliberate change of behaviour regenerates the goldens
(``python -m tests.sim.fingerprints --update``) in the commit that makes it.

On a mismatch the full texts are written to ``test-artifacts/fingerprints/<scenario>/`` so they
can be compared (``--dump DIR`` on the old tree writes the other side).
"""

from __future__ import annotations

import pytest

from tests.sim.fingerprints.scenarios import SCENARIOS, assert_matches_golden, measure


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_scenario_matches_its_fingerprint(scenario: str) -> None:
    assert_matches_golden(scenario, measure(scenario))


def test_every_scenario_has_sections_worth_comparing() -> None:
    """A fingerprint of nothing would pass anything: the smallest scenario must show real work."""
    sections = measure("notebook")
    assert sections["trace"].count("\n") > 200
    assert "replicaset-controller" in sections["trace"]
    assert "-A KUBE-SERVICES" in sections["iptables"]
    assert "$ kubectl get pods -A -o wide" in sections["kubectl"] and "shop-" in sections["kubectl"]
    assert sections["etcd"].startswith("revision ")
    assert "BackOff" in sections["events"] or "Started" in sections["events"]
