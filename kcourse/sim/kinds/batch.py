"""The ``batch/v1`` group: Jobs, Pods that run to completion.

Everything the API server and kubectl know about a Job is here, after
upstream's files:

* defaulting (``pkg/apis/batch/v1/defaults.go``, ``SetDefaults_Job``):
  ``completions`` and ``parallelism`` 1 when both are unset, ``backoffLimit``
  6, ``completionMode: NonIndexed``, ``suspend: false``,
  ``podReplacementPolicy: TerminatingOrFailed`` (JobPodReplacementPolicy is
  on in v1.32), ``manualSelector: false``, the Job's labels copied from its
  template's when it has none;
* the generated selector (``pkg/registry/batch/job/strategy.go``,
  ``generateSelector`` in ``PrepareForCreate``): the template gets
  ``batch.kubernetes.io/controller-uid`` and ``batch.kubernetes.io/job-name``
  (and the legacy ``controller-uid`` and ``job-name``), the selector matches
  the UID;
* validation (``pkg/apis/batch/validation/validation.go``): non-negative
  counts, ``restartPolicy`` ``OnFailure`` or ``Never``, a selector that was
  generated and matches the template, and on update an immutable selector,
  template, completions and completion mode;
* the table ``kubectl get jobs`` prints (``printJob`` in
  ``pkg/printers/internalversion/printers.go``): STATUS, COMPLETIONS
  (``1/3``, ``0/1 of 2`` without completions), DURATION, AGE;
* ``kubectl create job NAME --image=IMAGE [-- COMMAND …]``
  (``kubectl/pkg/cmd/create/create_job.go``).

Its controller is :mod:`kcourse.sim.controllers.job`.

Simplified: Indexed completion, pod failure and success policies,
``backoffLimitPerIndex``, ``managedBy`` and ``ttlSecondsAfterFinished`` are
accepted as the schema allows but not acted on; a changed template is
refused as "field is immutable" without Go's rendering of the whole
template; ``kubectl create job --from=cronjob/…`` is refused (no CronJobs);
``kubectl describe job`` uses the generic layout.
"""

from __future__ import annotations

from typing import Any

from .. import defaults
from ..labels import selector_from_spec
from ..validation import (
    ErrorList,
    validate_label_selector,
    validate_labels,
    validate_pod_spec,
    validate_selector_update,
)
from . import Kind, Printer, spec_changed

__all__ = ["CONTROLLER_UID_LABEL", "JOB", "JOB_NAME_LABEL", "JOB_TRACKING_FINALIZER", "job_status"]

CONTROLLER_UID_LABEL = "batch.kubernetes.io/controller-uid"
JOB_NAME_LABEL = "batch.kubernetes.io/job-name"
LEGACY_CONTROLLER_UID_LABEL = "controller-uid"
LEGACY_JOB_NAME_LABEL = "job-name"
#: The finalizer the Job controller puts on its Pods until it has counted them
# (``batch.JobTrackingFinalizer``).
JOB_TRACKING_FINALIZER = "batch.kubernetes.io/job-tracking"


# --- defaulting and the generated selector ------------------------------------------------------------------


def default_job(obj: dict) -> None:
    """``SetDefaults_Job``, then the Pod template's defaults (``SetDefaults_PodSpec``)."""
    spec = obj.setdefault("spec", {})
    if spec.get("completions") is None and spec.get("parallelism") is None:
        spec["completions"] = 1
        spec["parallelism"] = 1
    spec.setdefault("parallelism", 1)
    spec.setdefault("backoffLimit", 6)
    template = spec.setdefault("template", {})
    tlabels = (template.get("metadata") or {}).get("labels")
    if tlabels is not None and not obj["metadata"].get("labels"):
        obj["metadata"]["labels"] = dict(tlabels)
    spec.setdefault("completionMode", "NonIndexed")
    spec.setdefault("suspend", False)
    spec.setdefault(
        "podReplacementPolicy", "Failed" if spec.get("podFailurePolicy") else "TerminatingOrFailed"
    )
    spec.setdefault("manualSelector", False)
    template.setdefault("metadata", {})
    defaults.default_pod_spec(template.setdefault("spec", {}))


def generate_selector(obj: dict) -> None:
    """``PrepareForCreate``: the status starts empty, and unless ``manualSelector`` the selector is
    generated."""
    obj["status"] = {}
    spec, md = obj["spec"], obj["metadata"]
    if spec.get("manualSelector"):
        return
    labels = spec["template"]["metadata"].setdefault("labels", {})
    for key in (LEGACY_JOB_NAME_LABEL, JOB_NAME_LABEL):
        labels.setdefault(key, md.get("name", ""))  # a label the user set is kept: validation then judges it
    for key in (LEGACY_CONTROLLER_UID_LABEL, CONTROLLER_UID_LABEL):
        labels.setdefault(key, md["uid"])
    selector = spec.get("selector") or {}
    spec["selector"] = selector
    selector.setdefault("matchLabels", {}).setdefault(CONTROLLER_UID_LABEL, md["uid"])
    if not md.get("labels"):  # defaulting runs again whenever the stored Job is decoded: it copies these
        md["labels"] = dict(labels)


# --- validation ---------------------------------------------------------------------------------------------

_COUNTS = (
    "parallelism",
    "completions",
    "activeDeadlineSeconds",
    "backoffLimit",
    "ttlSecondsAfterFinished",
    "backoffLimitPerIndex",
    "maxFailedIndexes",
)


def _has_label(errs: ErrorList, labels: dict, key: str, value: str) -> None:
    """core validation's ``ValidateHasLabel``: the label is there, with that value."""
    path = f"spec.template.metadata.labels[{key}]"
    if key not in labels:
        errs.required(path, f"must be '{value}'")
    elif labels[key] != value:
        errs.invalid(path, labels, f"must be '{value}'")


def _validate_generated_selector(errs: ErrorList, obj: dict) -> None:
    """``validateGeneratedSelector``: the labels generated for this Job's UID and name are the ones there."""
    spec, md = obj.get("spec") or {}, obj.get("metadata") or {}
    if spec.get("manualSelector") or spec.get("selector") is None:
        return
    labels = (spec.get("template") or {}).get("metadata", {}).get("labels") or {}
    uid, name = md.get("uid", ""), md.get("name", "")
    if not uid:
        errs.required("metadata.uid")
    expected = {}
    for key, value in (
        (LEGACY_CONTROLLER_UID_LABEL, uid),
        (LEGACY_JOB_NAME_LABEL, name),
        (CONTROLLER_UID_LABEL, uid),
        (JOB_NAME_LABEL, name),
    ):
        _has_label(errs, labels, key, value)
        expected[key] = value
    if not selector_from_spec(spec["selector"]).matches(expected):
        errs.invalid("spec.selector", spec["selector"], "`selector` not auto-generated")


def validate_job(errs: ErrorList, obj: dict) -> None:
    """``ValidateJob``: the generated selector, then ``ValidateJobSpec``."""
    spec = obj.get("spec")
    if not isinstance(spec, dict):
        errs.required("spec")
        return
    _validate_generated_selector(errs, obj)
    for name in _COUNTS:
        if spec.get(name) is not None and spec[name] < 0:
            errs.invalid(f"spec.{name}", spec[name], "must be greater than or equal to 0")
    mode = spec.get("completionMode")
    if mode not in (None, "NonIndexed", "Indexed"):
        errs.unsupported("spec.completionMode", mode, ["NonIndexed", "Indexed"])
    elif mode == "Indexed" and spec.get("completions") is None:
        errs.required("spec.completions", "when completion mode is Indexed")
    policy = spec.get("podReplacementPolicy")
    if policy is not None and policy not in ("Failed", "TerminatingOrFailed"):
        errs.unsupported("spec.podReplacementPolicy", policy, ["Failed", "TerminatingOrFailed"])
    template = spec.get("template") or {}
    tlabels = (template.get("metadata") or {}).get("labels") or {}
    validate_labels(errs, tlabels, "spec.template.metadata.labels")
    tspec = template.get("spec")
    validate_pod_spec(errs, tspec, "spec.template.spec")
    restart = (tspec or {}).get("restartPolicy", "") if isinstance(tspec, dict) else ""
    if restart in ("Always", ""):
        errs.required("spec.template.spec.restartPolicy", 'valid values: "OnFailure", "Never"')
    selector = spec.get("selector")
    if selector is None:
        errs.required("spec.selector")
    elif validate_label_selector(errs, selector, "spec.selector") and not selector_from_spec(
        selector
    ).matches(tlabels):
        errs.invalid("spec.template.metadata.labels", tlabels, "`selector` does not match template `labels`")


def validate_job_update(errs: ErrorList, new: dict, old: dict) -> None:
    """``ValidateJobSpecUpdate``: selector, completions (NonIndexed), template and completion mode are
    immutable."""
    spec, old_spec = new.get("spec") or {}, old.get("spec") or {}
    if spec.get("completionMode", "NonIndexed") == "NonIndexed" and spec.get("completions") != old_spec.get(
        "completions"
    ):
        errs.invalid("spec.completions", spec.get("completions"), "field is immutable")
    validate_selector_update(errs, new, old)
    if spec.get("template") != old_spec.get("template"):
        errs.invalid("spec.template", "…", "field is immutable")
    if spec.get("completionMode") != old_spec.get("completionMode"):
        errs.invalid("spec.completionMode", spec.get("completionMode"), "field is immutable")


# --- kubectl ------------------------------------------------------------------------------------------------


def _has_condition(job: dict, ctype: str) -> bool:
    return any(
        c.get("type") == ctype and c.get("status") == "True"
        for c in (job.get("status") or {}).get("conditions") or []
    )


def job_status(job: dict) -> str:
    """The STATUS column: ``Complete``, ``Failed``, ``Terminating``, ``Suspended``, ``FailureTarget`` or
    ``Running``."""
    if _has_condition(job, "Complete"):
        return "Complete"
    if _has_condition(job, "Failed"):
        return "Failed"
    if job["metadata"].get("deletionTimestamp"):
        return "Terminating"
    if _has_condition(job, "Suspended"):
        return "Suspended"
    if _has_condition(job, "FailureTarget"):
        return "FailureTarget"
    return "Running"


def job_row(job: dict, now: float, wide: bool) -> list[str]:
    """``printJob``: NAME, STATUS, COMPLETIONS, DURATION, AGE (and, wide, CONTAINERS, IMAGES, SELECTOR)."""
    from ..kubectl.printers import _age, _containers_images, _selector_string, human_duration
    from ..objects import parse_timestamp

    spec, st = job.get("spec") or {}, job.get("status") or {}
    succeeded = st.get("succeeded", 0)
    if spec.get("completions") is not None:
        completions = f"{succeeded}/{spec['completions']}"
    elif (spec.get("parallelism") or 0) > 1:
        completions = f"{succeeded}/1 of {spec['parallelism']}"
    else:
        completions = f"{succeeded}/1"
    duration = ""
    if st.get("startTime"):
        end = parse_timestamp(st["completionTime"]) if st.get("completionTime") else now
        duration = human_duration(end - parse_timestamp(st["startTime"]))
    row = [job["metadata"]["name"], job_status(job), completions, duration, _age(job, now)]
    if wide:
        row += _containers_images(((spec.get("template") or {}).get("spec")) or {})
        row.append(_selector_string(spec.get("selector")))
    return row


def kubectl_create_job(words: list[str], flags: dict[str, Any]) -> dict:
    """``createJob``: one container named after the Job, the words after ``--`` as its command,
    restartPolicy Never."""
    if not words:
        raise ValueError("exactly one NAME is required, got 0")
    image, source = flags.get("image") or "", flags.get("from") or ""
    if bool(image) == bool(source):
        raise ValueError("either --image or --from must be specified")
    if source:
        raise ValueError("from must be an existing cronjob")
    name, command = words[0], words[1:]
    container: dict[str, Any] = {"name": name, "image": image, "resources": {}}
    if command:
        container["command"] = command
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": name},
        "spec": {"template": {"metadata": {}, "spec": {"containers": [container], "restartPolicy": "Never"}}},
    }


JOB = Kind(
    "Job",
    "jobs",
    "batch",
    "v1",
    True,
    "/registry/jobs",
    categories=("all",),
    default=default_job,
    prepare_for_create=generate_selector,
    validate=validate_job,
    validate_update=validate_job_update,
    generation=spec_changed,
    printer=Printer(
        ("NAME", "STATUS", "COMPLETIONS", "DURATION", "AGE"), job_row, ("CONTAINERS", "IMAGES", "SELECTOR")
    ),
    controllers=(
        (
            "job-controller",
            (
                "The Job controller runs each Job's Pods to completion: it keeps up to "
                "parallelism Pods active until completions of them have succeeded, replaces failed ones "
                "after a "
                "back-off, and fails the Job once more than backoffLimit have failed."
            ),
        ),
    ),
    kubectl_create=kubectl_create_job,
    create_flags=("image", "from"),
)
