"""Jobs run pods to completion (parallelism, completions, backoffLimit, activeDeadlineSeconds,
ttlSecondsAfterFinished); CronJobs create Jobs on their schedule and keep their history limits."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from kubesim import clock
from kubesim.apiserver import DeleteOptions, WriteOptions
from kubesim.controllers.base import Controller
from kubesim.controllers.events import NORMAL, WARNING
from kubesim.controllers.objects import controlled, object_key, owner_keys, owner_ref, pod_ready, split_key
from kubesim.cron import MAX_MISSED, most_recent_schedule, next_schedule
from kubesim.status import ApiError
from kubesim.store import Change

JSON = dict[str, Any]
JOB_CONTROLLER = "job-controller"
CRONJOB_CONTROLLER = "cronjob-controller"
SCHEDULED_AT = "batch.kubernetes.io/cronjob-scheduled-timestamp"


def finished(job: JSON) -> str | None:
    """ "Complete" or "Failed" once the job has finished."""
    for c in (job.get("status") or {}).get("conditions") or []:
        if c.get("type") in ("Complete", "Failed") and c.get("status") == "True":
            return str(c["type"])
    return None


@dataclass
class _Pods:
    """A Job's pods by outcome, and its counts (which never go down: the status remembers removed pods)."""

    all: list[JSON]
    failed_pods: list[JSON]
    active: list[JSON]
    succeeded: int
    failed: int

    @staticmethod
    def of(pods: list[JSON], status: JSON) -> _Pods:
        def phase(p: JSON) -> Any:
            return (p.get("status") or {}).get("phase")

        failed_pods = [p for p in pods if phase(p) == "Failed"]
        return _Pods(
            all=pods,
            failed_pods=failed_pods,
            active=[
                p
                for p in pods
                if phase(p) not in ("Succeeded", "Failed") and not p["metadata"].get("deletionTimestamp")
            ],
            succeeded=max(int(status.get("succeeded") or 0), sum(1 for p in pods if phase(p) == "Succeeded")),
            failed=max(int(status.get("failed") or 0), len(failed_pods)),
        )


def _finish(kind: str, reason: str, message: str, stamp: str) -> list[JSON]:
    """The two conditions a finished Job gets: the criterion it met, then Complete or Failed."""
    first = "SuccessCriteriaMet" if kind == "Complete" else "FailureTarget"
    return [
        {
            "type": condition,
            "status": "True",
            "lastProbeTime": stamp,
            "lastTransitionTime": stamp,
            "reason": reason,
            "message": message,
        }
        for condition in (first, kind)
    ]


class JobController(Controller):
    name = "job"
    component = JOB_CONTROLLER
    watches = ("batch/jobs", "/pods")
    resync_on_start = ("batch/jobs",)

    def keys_for(self, change: Change) -> list[str]:
        if change.resource == "batch/jobs":
            return [object_key(change.obj)]
        return owner_keys(change, "Job")

    def reconcile(self, key: str) -> float | None:
        namespace, name = split_key(key)
        job = self.store.get("batch/jobs", namespace, name)
        if job is None or job["metadata"].get("deletionTimestamp"):
            self.forget(key)
            return None
        now = clock.now()
        if finished(job):
            return self._ttl(job, now)
        spec = job.get("spec") or {}
        status = copy.deepcopy(job.get("status") or {})
        if not status.get("startTime") and not spec.get("suspend"):
            status["startTime"] = clock.rfc3339(now)
        pods = _Pods.of(controlled(self.store, job, "/pods"), status)
        conditions = list(status.get("conditions") or [])
        stamp = clock.rfc3339(now)
        completions = spec.get("completions")
        requeue: float | None = None
        failure = self._failure(spec, status, pods.failed, now)
        if failure is not None:
            self._kill(pods.active)
            conditions += _finish("Failed", *failure, stamp)
            self.event(job, WARNING, *failure)
            pods.active = []
        elif (completions is not None and pods.succeeded >= int(completions)) or (
            completions is None and pods.succeeded > 0 and not pods.active
        ):
            self._kill(pods.active)
            conditions += _finish("Complete", "CompletionsReached", "Reached expected number of succeeded pods", stamp)
            status["completionTime"] = stamp
            self.event(job, NORMAL, "Completed", "Job completed")
            pods.active = []
        elif spec.get("suspend"):
            self._kill(pods.active)
            pods.active = []
        else:
            requeue = self._run(job, key, pods, status, now)
        status.update(
            {
                "active": len(pods.active),
                "succeeded": pods.succeeded,
                "failed": pods.failed,
                "ready": sum(1 for p in pods.active if pod_ready(p)),
                "terminating": sum(1 for p in pods.all if p["metadata"].get("deletionTimestamp")),
                "uncountedTerminatedPods": {},
            }
        )
        for key_name in ("active", "succeeded", "failed", "terminating"):
            if not status[key_name]:
                del status[key_name]
        if conditions:
            status["conditions"] = conditions
        self.write_status("batch/jobs", job, status)
        return requeue

    def _failure(self, spec: JSON, status: JSON, failed: int, now: float) -> tuple[str, str] | None:
        """(reason, message) when the Job has failed: too many failed pods, or active past its deadline."""
        if failed > int(spec.get("backoffLimit", 6)):
            return "BackoffLimitExceeded", "Job has reached the specified backoff limit"
        deadline = spec.get("activeDeadlineSeconds")
        started = clock.parse_time(status.get("startTime"))
        if (
            deadline is not None
            and started is not None
            and now - started >= float(deadline) * self.timings.spec_seconds_scale
        ):
            return "DeadlineExceeded", "Job was active longer than specified deadline"
        return None

    def _run(self, job: JSON, key: str, pods: _Pods, status: JSON, now: float) -> float | None:
        """Keep ``parallelism`` pods running until enough succeeded (failed ones replaced after a back-off); when
        to look again."""
        spec = job.get("spec") or {}
        completions = spec.get("completions")
        parallelism = int(spec.get("parallelism", 1))
        remaining = (int(completions) - pods.succeeded) if completions is not None else parallelism
        missing = max(0, min(parallelism, remaining)) - len(pods.active)
        requeue: float | None = None
        if missing > 0:
            # Failed pods are replaced after a back-off, like the job controller's exponential delay.
            last_failure = max((clock.parse_time(self._finished_at(p)) or 0.0 for p in pods.failed_pods), default=0.0)
            wait = last_failure + self.timings.backoff(pods.failed) - now if pods.failed else 0.0
            if wait > 0:
                requeue = wait
            else:
                created = self._create(job, missing, pods.succeeded + len(pods.active))
                pods.active += created
                if len(created) < missing:
                    # A pod was refused (quota, Pod Security, ...): try again after a growing back-off.
                    requeue = self.backoff(key)
                else:
                    self.forget(key)
        deadline = spec.get("activeDeadlineSeconds")
        started = clock.parse_time(status.get("startTime"))
        if deadline is not None and started is not None:
            left = float(deadline) * self.timings.spec_seconds_scale - (now - started)
            requeue = left if requeue is None else min(requeue, left)
        return requeue

    @staticmethod
    def _finished_at(pod: JSON) -> str | None:
        for cs in (pod.get("status") or {}).get("containerStatuses") or []:
            finished_at = ((cs.get("state") or {}).get("terminated") or {}).get("finishedAt")
            if finished_at:
                return str(finished_at)
        return None

    def _create(self, job: JSON, count: int, index_base: int) -> list[JSON]:
        template = copy.deepcopy(job["spec"].get("template") or {})
        meta = template.get("metadata") or {}
        namespace = job["metadata"]["namespace"]
        created = []
        for i in range(count):
            annotations = dict(meta.get("annotations") or {})
            labels = dict(meta.get("labels") or {})
            if job["spec"].get("completionMode") == "Indexed":
                index = str(index_base + i)
                annotations["batch.kubernetes.io/job-completion-index"] = index
                labels["batch.kubernetes.io/job-completion-index"] = index
            pod = {
                "apiVersion": "v1",
                "kind": "Pod",
                "metadata": {
                    "generateName": f"{job['metadata']['name']}-",
                    "namespace": namespace,
                    "labels": labels,
                    "ownerReferences": [owner_ref(job)],
                    **({"annotations": annotations} if annotations else {}),
                },
                "spec": copy.deepcopy(template.get("spec") or {}),
            }
            try:
                made = self.api.create(
                    self.api.rt("", "pods"), namespace, pod, WriteOptions(field_manager="kube-controller-manager")
                )
            except ApiError as exc:
                self.event(job, WARNING, "FailedCreate", f"Error creating: {exc.message}")
                break
            self.event(job, NORMAL, "SuccessfulCreate", f"Created pod: {made['metadata']['name']}")
            created.append(made)
        return created

    def _kill(self, pods: list[JSON]) -> None:
        for pod in pods:
            try:
                self.api.delete(
                    self.api.rt("", "pods"),
                    pod["metadata"]["namespace"],
                    pod["metadata"]["name"],
                    DeleteOptions(),
                    WriteOptions(field_manager=JOB_CONTROLLER),
                )
            except ApiError:
                pass

    def _ttl(self, job: JSON, now: float) -> float | None:
        ttl = (job.get("spec") or {}).get("ttlSecondsAfterFinished")
        if ttl is None:
            return None
        finished_at = clock.parse_time((job.get("status") or {}).get("completionTime"))
        if finished_at is None:
            finished_at = max(
                (
                    clock.parse_time(c.get("lastTransitionTime")) or 0.0
                    for c in (job.get("status") or {}).get("conditions") or []
                ),
                default=now,
            )
        due = finished_at + float(ttl) * self.timings.spec_seconds_scale
        if now < due:
            return due - now
        try:
            self.api.delete(
                self.api.rt("batch", "jobs"),
                job["metadata"]["namespace"],
                job["metadata"]["name"],
                DeleteOptions(propagation="Background"),
                WriteOptions(field_manager="ttl-after-finished-controller"),
            )
        except ApiError:
            pass
        return None


# --- CronJobs -----------------------------------------------------------------------------------------------------


def job_name(cronjob: str, scheduled: float) -> str:
    """Jobs are named after the scheduled minute, so one schedule time never makes two Jobs."""
    return f"{cronjob}-{int(scheduled // 60)}"


def _job_ref(job: JSON) -> JSON:
    """A Job as a CronJob's ``status.active`` lists it."""
    meta = job["metadata"]
    return {
        "kind": "Job",
        "namespace": meta["namespace"],
        "name": meta["name"],
        "uid": meta["uid"],
        "apiVersion": "batch/v1",
        "resourceVersion": meta["resourceVersion"],
    }


class CronJobController(Controller):
    name = "cronjob"
    component = CRONJOB_CONTROLLER
    watches = ("batch/cronjobs", "batch/jobs")
    resync_on_start = ("batch/cronjobs",)

    def keys_for(self, change: Change) -> list[str]:
        if change.resource == "batch/cronjobs":
            return [] if change.type == "DELETED" else [object_key(change.obj)]
        return owner_keys(change, "CronJob")

    def reconcile(self, key: str) -> float | None:
        namespace, name = split_key(key)
        cronjob = self.store.get("batch/cronjobs", namespace, name)
        if cronjob is None or cronjob["metadata"].get("deletionTimestamp"):
            return None
        spec = cronjob.get("spec") or {}
        status = copy.deepcopy(cronjob.get("status") or {})
        now = clock.now()
        jobs = controlled(self.store, cronjob, "batch/jobs")
        active_refs = self._observe(cronjob, jobs, status)
        self._history(cronjob, jobs)
        requeue = self.timings.cron_tick
        if not spec.get("suspend"):
            due = self._due(cronjob, status, now)
            if due is None:
                return None
            scheduled, missed, upcoming = due
            requeue = max(0.05, min(requeue, upcoming - now + 0.01))
            if missed > MAX_MISSED:
                self.event(
                    cronjob,
                    WARNING,
                    "TooManyMissedTimes",
                    "too many missed start times. Set or decrease .spec.startingDeadlineSeconds or check clock skew",
                )
            deadline = spec.get("startingDeadlineSeconds")
            if scheduled is not None and (deadline is None or now - scheduled <= float(deadline)):
                active_refs = self._start(cronjob, scheduled, active_refs, status)
        if active_refs:
            status["active"] = active_refs
        else:
            status.pop("active", None)
        self.write_status("batch/cronjobs", cronjob, status)
        return requeue

    def _observe(self, cronjob: JSON, jobs: list[JSON], status: JSON) -> list[JSON]:
        """The Jobs still running (as ``status.active`` lists them); finished ones that were active are reported,
        and the latest success goes into ``status.lastSuccessfulTime``."""
        active_refs = []
        for job in jobs:
            result = finished(job)
            if result is None:
                active_refs.append(_job_ref(job))
                continue
            if any(ref.get("uid") == job["metadata"]["uid"] for ref in status.get("active") or []):
                self.event(
                    cronjob,
                    NORMAL,
                    "SawCompletedJob",
                    f"Saw completed job: {job['metadata']['name']}, status: {result}",
                )
            completed = (job.get("status") or {}).get("completionTime")
            if (
                result == "Complete"
                and completed
                and (not status.get("lastSuccessfulTime") or str(completed) > str(status["lastSuccessfulTime"]))
            ):
                status["lastSuccessfulTime"] = completed
        return active_refs

    def _due(self, cronjob: JSON, status: JSON, now: float) -> tuple[float | None, int, float] | None:
        """(the latest scheduled time not run yet, how many were missed, the next one); None for a schedule that
        cannot be read (an event says so)."""
        spec = cronjob.get("spec") or {}
        schedule, zone = str(spec.get("schedule")), spec.get("timeZone")
        last = (
            clock.parse_time(status.get("lastScheduleTime"))
            or clock.parse_time(cronjob["metadata"].get("creationTimestamp"))
            or now
        )
        try:
            scheduled, missed = most_recent_schedule(schedule, zone, last, now)
            # Counted from the last run, not from now: ``@every`` schedules run on that grid.
            upcoming = next_schedule(schedule, zone, scheduled if scheduled is not None else last)
            if upcoming <= now:
                upcoming = next_schedule(schedule, zone, now)
        except (ValueError, KeyError) as exc:
            self.event(
                cronjob, WARNING, "UnparseableSchedule", f"unparseable schedule: {spec.get('schedule')!r} : {exc}"
            )
            return None
        return scheduled, missed, upcoming

    def _start(self, cronjob: JSON, scheduled: float, active_refs: list[JSON], status: JSON) -> list[JSON]:
        """Run the Job scheduled at ``scheduled`` as the concurrency policy allows; the active Jobs after that."""
        policy = (cronjob.get("spec") or {}).get("concurrencyPolicy", "Allow")
        if policy == "Forbid" and active_refs:
            return active_refs
        if policy == "Replace":
            for ref in active_refs:
                self._delete_job(cronjob, str(ref["name"]))
            active_refs = []
        made = self._create_job(cronjob, scheduled)
        if made is not None:
            active_refs.append(_job_ref(made))
        status["lastScheduleTime"] = clock.rfc3339(scheduled)
        return active_refs

    def _create_job(self, cronjob: JSON, scheduled: float) -> JSON | None:
        template = copy.deepcopy((cronjob.get("spec") or {}).get("jobTemplate") or {})
        meta = template.get("metadata") or {}
        name = job_name(cronjob["metadata"]["name"], scheduled)
        namespace = cronjob["metadata"]["namespace"]
        job = {
            "apiVersion": "batch/v1",
            "kind": "Job",
            "metadata": {
                "name": name,
                "namespace": namespace,
                "labels": dict(meta.get("labels") or {}),
                "annotations": {**(meta.get("annotations") or {}), SCHEDULED_AT: clock.rfc3339(scheduled)},
                "ownerReferences": [owner_ref(cronjob)],
            },
            "spec": template.get("spec") or {},
        }
        try:
            made = self.api.create(
                self.api.rt("batch", "jobs"), namespace, job, WriteOptions(field_manager="kube-controller-manager")
            )
        except ApiError as exc:
            if exc.code == 409:
                return None
            self.event(cronjob, WARNING, "FailedCreate", f"Error creating job: {exc.message}")
            return None
        self.event(cronjob, NORMAL, "SuccessfulCreate", f"Created job {name}")
        return made

    def _delete_job(self, cronjob: JSON, name: str) -> None:
        try:
            self.api.delete(
                self.api.rt("batch", "jobs"),
                cronjob["metadata"]["namespace"],
                name,
                DeleteOptions(propagation="Background"),
                WriteOptions(field_manager=CRONJOB_CONTROLLER),
            )
        except ApiError:
            return
        self.event(cronjob, NORMAL, "SuccessfulDelete", f"Deleted job {name}")

    def _history(self, cronjob: JSON, jobs: list[JSON]) -> None:
        spec = cronjob.get("spec") or {}
        for result, limit in (
            ("Complete", int(spec.get("successfulJobsHistoryLimit", 3))),
            ("Failed", int(spec.get("failedJobsHistoryLimit", 1))),
        ):
            done = [j for j in jobs if finished(j) == result and not j["metadata"].get("deletionTimestamp")]
            done.sort(key=lambda j: str(j["metadata"].get("creationTimestamp")))
            for job in done[: max(0, len(done) - limit)]:
                self._delete_job(cronjob, job["metadata"]["name"])
