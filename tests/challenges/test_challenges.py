"""Every challenge: starts unsolved, is solved by its reference solution, is never solved by deleting its
workload.

The checks read the cluster through the API server, so these tests change the
cluster only as a learner would: with kubectl command lines
(``cluster.kubectl`` and :func:`kcourse.challenges.solution.run_solution`).
"""

from __future__ import annotations

import pytest

from kcourse import challenges
from kcourse.challenges.solution import run_solution

NAMES = challenges.names("ch04")


def delete(ch: challenges.Challenge) -> None:
    for resource, namespace, name in ch.spec.workload:
        ns = f" -n {namespace}" if namespace else ""
        ch.cluster.kubectl(f"delete {resource} {name}{ns} --wait=false")


def test_the_chapter_has_at_least_twelve_challenges_with_distinct_names():
    assert len(NAMES) >= 12
    assert len(set(NAMES)) == len(NAMES)


def test_each_challenge_trains_a_section_and_an_objective_of_the_chapter():
    from kcourse import quiz

    bank = quiz.load("ch04")
    sections = {s.id for s in bank.sections}
    objectives = {o.id for o in bank.objectives}
    specs = [challenges.spec(n) for n in NAMES]
    for s in specs:
        assert s.section in sections, s.name
        assert s.objective in objectives, s.name
        assert len(s.hints) >= 2, s.name
    assert len({s.section for s in specs}) >= 7


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("name", NAMES)
def test_a_challenge_starts_unsolved_and_its_reference_solution_solves_it(name: str, seed: int):
    ch = challenges.start(name, seed=seed)
    first = ch.check()
    assert not first.passed
    assert first.message.startswith("Not yet: ") and first.problems
    assert ch.goal and ch.solution and all(line.startswith("kubectl ") for line in ch.solution)
    run_solution(ch.cluster, ch.solution)
    solved = ch.check()
    assert solved.passed, solved.message
    assert not solved.problems


@pytest.mark.parametrize("name", NAMES)
def test_deleting_the_workload_never_passes(name: str):
    ch = challenges.start(name, seed=2)
    delete(ch)
    assert not ch.check().passed
    ch = challenges.start(name, seed=2)
    run_solution(ch.cluster, ch.solution)
    assert ch.check().passed
    delete(ch)
    after = ch.check()
    assert not after.passed
    assert after.message.startswith("Not yet: ")


def test_a_deployment_deleted_and_created_again_is_not_the_original():
    ch = challenges.start("scale-without-downtime", seed=0)
    manifest = ch.cluster.kubectl("get deployment shop -o yaml")
    ch.cluster.kubectl("delete deployment shop")
    ch.cluster.run_until_stable(timeout=60)
    import yaml

    obj = yaml.safe_load(manifest)
    obj["metadata"] = {"name": "shop", "namespace": "default"}
    obj["spec"]["replicas"] = ch.params["replicas"]
    obj.pop("status", None)
    ch.cluster.apply(obj)
    result = ch.check()
    assert not result.passed
    assert "uid changed" in result.message


def test_scaling_a_stuck_rollout_to_zero_does_not_pass():
    ch = challenges.start("crashloop-command", seed=0)
    ch.cluster.kubectl("scale deployment worker --replicas=0")
    result = ch.check()
    assert not result.passed
    assert "spec.replicas 0" in result.message


def test_removing_the_gpu_taint_instead_of_tolerating_it_does_not_pass():
    ch = challenges.start("pending-untolerated-taint", seed=0)
    node = ch.cluster.get("nodes", ch.params["node"])
    node["spec"]["taints"] = [t for t in node["spec"].get("taints") or [] if t["key"] != "nvidia.com/gpu"]
    ch.cluster.api.update(node, user="kubernetes-admin")
    result = ch.check()
    assert not result.passed
    assert any("must keep its taint nvidia.com/gpu" in p for p in result.problems)


def test_labelling_every_node_as_an_ssd_node_does_not_pass():
    ch = challenges.start("pending-node-selector", seed=0)
    ch.cluster.kubectl("label nodes worker-1 worker-2 worker-3 disktype=ssd --overwrite")
    result = ch.check()
    assert not result.passed
    assert "node worker-2 has no SSD but is labelled disktype=ssd" in result.problems


@pytest.mark.parametrize("name", NAMES)
def test_the_same_seed_gives_the_same_instance_byte_for_byte(name: str):
    a, b = challenges.start(name, seed=5), challenges.start(name, seed=5)
    assert a.params == b.params and a.goal == b.goal and a.solution == b.solution
    assert a.cluster.kubectl("get all -A -o wide") == b.cluster.kubectl("get all -A -o wide")
    assert a.check().message == b.check().message
    assert a.cluster.trace() == b.cluster.trace()


@pytest.mark.parametrize("name", NAMES)
def test_other_seeds_give_other_instances(name: str):
    spec = challenges.spec(name)
    instances = {repr(sorted(spec.instance(seed).items())) for seed in range(8)}
    assert len(instances) >= 2


def test_an_unknown_challenge_name_says_which_exist():
    with pytest.raises(ValueError, match="did you mean 'pending-cordoned-node'"):
        challenges.start("pending-cordoned-nod")
    with pytest.raises(ValueError, match="no challenges for chapter 'ch99'"):
        challenges.names("ch99")
    with pytest.raises(TypeError):
        challenges.start("node-failure", seed="1")  # type: ignore[arg-type]


def test_a_check_is_recorded_in_the_progress_file_beside_the_quiz(_private_progress):
    import json

    ch = challenges.start("dns-coredns-scaled-to-zero", seed=0)
    ch.check()
    run_solution(ch.cluster, ch.solution)
    ch.check()
    ch.check(record=False)
    entry = json.loads(_private_progress.read_text())["chapters"]["ch04-challenges"][
        "dns-coredns-scaled-to-zero"
    ]
    assert (entry["attempts"], entry["correct"], entry["section"]) == (2, True, "addons")


def test_with_the_control_plane_down_the_check_says_the_api_server_does_not_answer():
    ch = challenges.start("pending-cordoned-node", seed=0)
    ch.cluster.fail_node("master-1")
    result = ch.check(settle=False)
    assert not result.passed
    assert result.problems == (
        (
            "the API server answered 503 ServiceUnavailable: the server is currently unable to "
            "handle the request"
        ),
    )
