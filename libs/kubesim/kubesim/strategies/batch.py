"""Jobs (the controller-uid selector and labels, immutable templates) and CronJobs (schedules, concurrency)."""

from __future__ import annotations

from typing import Any

from kubesim import validation
from kubesim.cron import valid_schedule
from kubesim.status import Cause
from kubesim.strategies.base import Admission, Strategy
from kubesim.strategies.pods import default_template

JSON = dict[str, Any]


JOB_UID_LABEL = "batch.kubernetes.io/controller-uid"
JOB_NAME_LABEL = "batch.kubernetes.io/job-name"


class JobStrategy(Strategy):
    def default(self, obj: JSON, admission: Admission) -> None:
        spec = obj.setdefault("spec", {})
        spec.setdefault("parallelism", 1)
        if spec.get("completions", 0) is not None:  # an explicit null stays: a work queue
            spec.setdefault("completions", 1)
        spec.setdefault("backoffLimit", 6)
        spec.setdefault("completionMode", "NonIndexed")
        spec.setdefault("suspend", False)
        spec.setdefault("podReplacementPolicy", "TerminatingOrFailed")
        template = spec.get("template")
        default_template(template, restart="Never")

    def prepare_create(self, obj: JSON, admission: Admission) -> None:
        spec = obj.setdefault("spec", {})
        meta = obj.setdefault("metadata", {})
        if not spec.get("manualSelector"):
            uid = meta.get("uid") or ""
            name = meta.get("name") or ""
            spec["selector"] = {"matchLabels": {JOB_UID_LABEL: uid}}
            template = spec.setdefault("template", {})
            labels = template.setdefault("metadata", {}).setdefault("labels", {})
            labels.update({JOB_UID_LABEL: uid, JOB_NAME_LABEL: name, "controller-uid": uid, "job-name": name})
        obj["status"] = {}

    def validate(self, obj: JSON, old: JSON | None, admission: Admission) -> list[Cause]:
        spec = obj.get("spec") or {}
        template = spec.get("template") or {}
        causes = validation.pod_spec(template.get("spec"), "spec.template.spec", allowed_restart=("OnFailure", "Never"))
        for name in ("parallelism", "completions", "backoffLimit"):
            value = spec.get(name)
            if value is not None and (not isinstance(value, int) or value < 0):
                causes.append(validation.invalid_value(f"spec.{name}", value, "must be greater than or equal to 0"))
        if old is not None:
            if (old.get("spec") or {}).get("template") != spec.get("template"):
                causes.append(validation.immutable("spec.template", "core.PodTemplateSpec{...}"))
            if (old.get("spec") or {}).get("selector") != spec.get("selector"):
                causes.append(validation.immutable("spec.selector", spec.get("selector")))
        return causes


class CronJobStrategy(Strategy):
    def default(self, obj: JSON, admission: Admission) -> None:
        spec = obj.setdefault("spec", {})
        spec.setdefault("concurrencyPolicy", "Allow")
        spec.setdefault("suspend", False)
        spec.setdefault("successfulJobsHistoryLimit", 3)
        spec.setdefault("failedJobsHistoryLimit", 1)
        job_template = spec.setdefault("jobTemplate", {})
        job_template.setdefault("metadata", {})
        job_spec = job_template.setdefault("spec", {})
        job_spec.setdefault("backoffLimit", 6)
        job_spec.setdefault("completionMode", "NonIndexed")
        job_spec.setdefault("suspend", False)
        job_spec.setdefault("podReplacementPolicy", "TerminatingOrFailed")
        default_template(job_spec.get("template"), restart="Never")

    def validate(self, obj: JSON, old: JSON | None, admission: Admission) -> list[Cause]:
        spec = obj.get("spec") or {}
        schedule = spec.get("schedule")
        causes: list[Cause] = []
        if not schedule:
            causes.append(validation.required("spec.schedule"))
        elif not valid_schedule(str(schedule)):
            causes.append(validation.invalid_value("spec.schedule", schedule, "unparseable cron schedule"))
        if spec.get("concurrencyPolicy") not in ("Allow", "Forbid", "Replace"):
            causes.append(
                validation.not_supported(
                    "spec.concurrencyPolicy", spec.get("concurrencyPolicy"), ["Allow", "Forbid", "Replace"]
                )
            )
        template = ((spec.get("jobTemplate") or {}).get("spec") or {}).get("template") or {}
        causes += validation.pod_spec(
            template.get("spec"), "spec.jobTemplate.spec.template.spec", allowed_restart=("OnFailure", "Never")
        )
        return causes
