"""batch/v1 Job as the API server and kubectl know it: defaults, the generated selector, validation, the
table."""

from __future__ import annotations

import pytest

import kcourse
from kcourse.sim.errors import ApiError
from kcourse.sim.kinds import batch, by_kind
from kcourse.sim.objects import timestamp


def job(name: str = "pi", **spec) -> dict:
    template = {"spec": {"containers": [{"name": "pi", "image": "busybox"}], "restartPolicy": "Never"}}
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": name},
        "spec": {"template": template, **spec},
    }


@pytest.fixture(scope="module")
def cluster() -> kcourse.Cluster:
    return kcourse.Cluster(seed=0)


def test_defaults_are_set_defaults_job(cluster):
    """``SetDefaults_Job`` (pkg/apis/batch/v1/defaults.go): completions and parallelism 1 when both are
    unset, backoffLimit 6, NonIndexed, not suspended, TerminatingOrFailed, manualSelector false."""
    stored = cluster.api.create(job("defaults"), namespace="default")
    spec = stored["spec"]
    assert (
        spec["completions"],
        spec["parallelism"],
        spec["backoffLimit"],
        spec["completionMode"],
        spec["suspend"],
        spec["podReplacementPolicy"],
        spec["manualSelector"],
    ) == (1, 1, 6, "NonIndexed", False, "TerminatingOrFailed", False)
    only_parallelism = cluster.api.create(job("par", parallelism=3), namespace="default")["spec"]
    assert "completions" not in only_parallelism and only_parallelism["parallelism"] == 3


def test_the_selector_is_generated_from_the_uid(cluster):
    """``generateSelector`` (pkg/registry/batch/job/strategy.go): the template carries the controller-uid and
    job-name labels, prefixed and legacy, and the selector matches the UID; the Job's labels are copied."""
    stored = cluster.api.create(job("gen"), namespace="default")
    uid = stored["metadata"]["uid"]
    want = {
        "batch.kubernetes.io/controller-uid": uid,
        "batch.kubernetes.io/job-name": "gen",
        "controller-uid": uid,
        "job-name": "gen",
    }
    assert stored["spec"]["template"]["metadata"]["labels"] == want
    assert stored["spec"]["selector"] == {"matchLabels": {"batch.kubernetes.io/controller-uid": uid}}
    assert stored["metadata"]["labels"] == want
    assert stored["status"] == {}


def _invalid(cluster, obj) -> list[str]:
    with pytest.raises(ApiError) as err:
        cluster.api.create(obj, namespace="default")
    assert err.value.code == 422
    return [f"{c.field}: {c.message}" for c in err.value.causes]


def test_restart_policy_always_is_refused(cluster):
    """``validateJobSpec``: the defaulted ``Always`` is as wrong as leaving it out."""
    obj = job("always")
    del obj["spec"]["template"]["spec"]["restartPolicy"]
    assert _invalid(cluster, obj) == [
        ('spec.template.spec.restartPolicy: Required value: valid values: "OnFailure", "Never"')
    ]


def test_negative_counts_and_a_foreign_selector_are_refused(cluster):
    causes = _invalid(cluster, job("neg", parallelism=-1, backoffLimit=-2))
    assert "spec.parallelism: Invalid value: -1: must be greater than or equal to 0" in causes
    assert "spec.backoffLimit: Invalid value: -2: must be greater than or equal to 0" in causes
    causes = _invalid(cluster, job("sel", selector={"matchLabels": {"app": "x"}}))
    assert any(
        c.startswith("spec.selector: Invalid value") and c.endswith("`selector` not auto-generated")
        for c in causes
    )


def test_a_user_set_job_name_label_that_conflicts_is_refused(cluster):
    """``ValidateHasLabel``: the generated labels must carry this Job's name."""
    obj = job("named")
    obj["spec"]["template"]["metadata"] = {"labels": {"job-name": "other"}}
    causes = _invalid(cluster, obj)
    assert any(
        c.startswith("spec.template.metadata.labels[job-name]: Invalid value:")
        and c.endswith("must be 'named'")
        for c in causes
    )


def test_completions_and_selector_are_immutable(cluster):
    stored = cluster.api.create(job("imm", completions=2), namespace="default")
    changed = dict(stored, spec=dict(stored["spec"], completions=3))
    with pytest.raises(ApiError) as err:
        cluster.api.update(changed)
    assert "spec.completions: Invalid value: 3: field is immutable" in str(err.value)


def test_get_jobs_columns_follow_print_job():
    """``printJob`` (pkg/printers/internalversion/printers.go): STATUS from the conditions, COMPLETIONS as
    succeeded/completions or ``n/1 of p`` without completions, DURATION until completion or now."""

    def obj(**kw) -> dict:
        base = {"metadata": {"name": "j", "creationTimestamp": timestamp(0)}, "spec": {}, "status": {}}
        for part, value in kw.items():
            base[part].update(value)
        return base

    assert batch.job_row(
        obj(spec={"completions": 3}, status={"succeeded": 1, "startTime": timestamp(10)}), 100, False
    ) == ["j", "Running", "1/3", "90s", "100s"]
    assert batch.job_row(obj(spec={"parallelism": 2}), 5, False)[1:4] == ["Running", "0/1 of 2", ""]
    done = obj(
        spec={"completions": 1},
        status={
            "succeeded": 1,
            "startTime": timestamp(10),
            "completionTime": timestamp(25),
            "conditions": [{"type": "Complete", "status": "True"}],
        },
    )
    assert batch.job_row(done, 4000, False)[1:4] == ["Complete", "1/1", "15s"]
    failed = obj(status={"conditions": [{"type": "FailureTarget", "status": "True"}]})
    assert batch.job_status(failed) == "FailureTarget"
    assert by_kind("Job").printer.columns == ("NAME", "STATUS", "COMPLETIONS", "DURATION", "AGE")


def test_kubectl_create_job_builds_what_create_job_go_builds(cluster):
    """``createJob`` (kubectl/pkg/cmd/create/create_job.go): one container named after the Job, the words
    after
    ``--`` as its command, restartPolicy Never; ``--image`` or ``--from`` is required."""
    assert cluster.kubectl("create job hello --image=busybox -- echo hi") == "job.batch/hello created\n"
    stored = cluster.api.get("jobs", "hello", "default")
    container = stored["spec"]["template"]["spec"]["containers"][0]
    assert (container["name"], container["image"], container["command"]) == (
        "hello",
        "busybox",
        ["echo", "hi"],
    )
    assert stored["spec"]["template"]["spec"]["restartPolicy"] == "Never"
    assert cluster.kubectl("create job nothing") == "error: either --image or --from must be specified\n"
    assert cluster.kubectl("create job hello --image=busybox").startswith(
        'error: failed to create job: jobs.batch "hello" already exists'
    )


def test_jobs_are_discovered_in_batch_v1_with_the_all_category(cluster):
    assert "jobs.batch" in cluster.kubectl("api-resources --no-headers -o name")
    assert cluster.kubectl("get jobs.batch hello -o name") == "job.batch/hello\n"
