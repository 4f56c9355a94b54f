"""Jobs run pods to completion (parallelism, completions, backoffLimit, activeDeadlineSeconds,
ttlSecondsAfterFinished); CronJobs create Jobs on their schedule and keep their history limits."""

from __future__ import annotations

import copy
import math
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import croniter

from kubesim import clock
from kubesim.apiserver import DeleteOptions, WriteOptions
from kubesim.controllers.base import Controller, controller_of, object_key, owner_ref, split_key
from kubesim.controllers.events import NORMAL, WARNING
from kubesim.status import ApiError
from kubesim.store import Change
from kubesim.strategies import every_interval

JSON = dict[str, Any]
JOB_CONTROLLER = "job-controller"
CRONJOB_CONTROLLER = "cronjob-controller"
SCHEDULED_AT = "batch.kubernetes.io/cronjob-scheduled-timestamp"
MAX_MISSED = 100


def finished(job: JSON) -> str | None:
    """"Complete" or "Failed" once the job has finished."""
    for c in (job.get("status") or {}).get("conditions") or []:
        if c.get("type") in ("Complete", "Failed") and c.get("status") == "True":
            return str(c["type"])
    return None


class JobController(Controller):
    name = "job"
    watches = ("batch/jobs", "/pods")
    resync_on_start = ("batch/jobs",)

    def keys_for(self, change: Change) -> list[str]:
        if change.resource == "batch/jobs":
            return [object_key(change.obj)]
        ref = controller_of(change.obj)
        if ref and ref.get("kind") == "Job":
            return [f"{change.obj['metadata'].get('namespace')}/{ref['name']}"]
        return []

    def reconcile(self, key: str) -> float | None:
        namespace, name = split_key(key)
        job = self.store.get("batch/jobs", namespace, name)
        if job is None or job["metadata"].get("deletionTimestamp"):
            self.forget(key)
            return None
        t = self.cluster.timings
        spec = job.get("spec") or {}
        status = copy.deepcopy(job.get("status") or {})
        now = clock.now()
        uid = job["metadata"]["uid"]
        pods = [p for r, p in self.store.dependents(uid) if r == "/pods" and (controller_of(p) or {}).get("uid") == uid]
        done = finished(job)
        if done:
            return self._ttl(job, now)
        if not status.get("startTime") and not spec.get("suspend"):
            status["startTime"] = clock.rfc3339(now)
        succeeded_pods = [p for p in pods if (p.get("status") or {}).get("phase") == "Succeeded"]
        failed_pods = [p for p in pods if (p.get("status") or {}).get("phase") == "Failed"]
        active = [p for p in pods if (p.get("status") or {}).get("phase") not in ("Succeeded", "Failed")
                  and not p["metadata"].get("deletionTimestamp")]
        succeeded = max(int(status.get("succeeded") or 0), len(succeeded_pods))
        failed = max(int(status.get("failed") or 0), len(failed_pods))
        completions = spec.get("completions")
        parallelism = int(spec.get("parallelism", 1))
        backoff_limit = int(spec.get("backoffLimit", 6))
        conditions = list(status.get("conditions") or [])
        stamp = clock.rfc3339(now)
        requeue: float | None = None
        deadline = spec.get("activeDeadlineSeconds")
        started = clock.parse_time(status.get("startTime"))
        failure: tuple[str, str] | None = None
        if failed > backoff_limit:
            failure = ("BackoffLimitExceeded", "Job has reached the specified backoff limit")
        elif deadline is not None and started is not None and \
                now - started >= float(deadline) * t.spec_seconds_scale:
            failure = ("DeadlineExceeded", "Job was active longer than specified deadline")
        if failure is not None:
            self._kill(active)
            conditions += [{"type": "FailureTarget", "status": "True", "lastProbeTime": stamp,
                            "lastTransitionTime": stamp, "reason": failure[0], "message": failure[1]},
                           {"type": "Failed", "status": "True", "lastProbeTime": stamp, "lastTransitionTime": stamp,
                            "reason": failure[0], "message": failure[1]}]
            self.cluster.events.record(job, WARNING, failure[0], failure[1], JOB_CONTROLLER)
            active = []
        elif (completions is not None and succeeded >= int(completions)) or \
                (completions is None and succeeded > 0 and not active):
            self._kill(active)
            conditions += [{"type": "SuccessCriteriaMet", "status": "True", "lastProbeTime": stamp,
                            "lastTransitionTime": stamp, "reason": "CompletionsReached",
                            "message": "Reached expected number of succeeded pods"},
                           {"type": "Complete", "status": "True", "lastProbeTime": stamp,
                            "lastTransitionTime": stamp, "reason": "CompletionsReached",
                            "message": "Reached expected number of succeeded pods"}]
            status["completionTime"] = stamp
            self.cluster.events.record(job, NORMAL, "Completed", "Job completed", JOB_CONTROLLER)
            active = []
        elif spec.get("suspend"):
            self._kill(active)
            active = []
        else:
            remaining = (int(completions) - succeeded) if completions is not None else parallelism
            want = max(0, min(parallelism, remaining))
            missing = want - len(active)
            if missing > 0:
                # Failed pods are replaced after a back-off, like the job controller's exponential delay.
                last_failure = max((clock.parse_time(self._finished_at(p)) or 0.0 for p in failed_pods), default=0.0)
                wait = last_failure + min(t.backoff_max, t.backoff_base * (2 ** max(0, failed - 1))) - now \
                    if failed else 0.0
                if wait > 0:
                    requeue = wait
                else:
                    created = self._create(job, missing, succeeded + len(active))
                    active += created
                    if len(created) < missing:
                        # A pod was refused (quota, Pod Security, ...): try again after a growing back-off.
                        requeue = self.backoff(key)
                    else:
                        self.forget(key)
            if deadline is not None and started is not None:
                left = float(deadline) * t.spec_seconds_scale - (now - started)
                requeue = left if requeue is None else min(requeue, left)
        ready = sum(1 for p in active if any(c.get("type") == "Ready" and c.get("status") == "True"
                                             for c in (p.get("status") or {}).get("conditions") or []))
        status.update({"active": len(active), "succeeded": succeeded, "failed": failed, "ready": ready,
                       "terminating": sum(1 for p in pods if p["metadata"].get("deletionTimestamp")),
                       "uncountedTerminatedPods": {}})
        for key_name in ("active", "succeeded", "failed", "terminating"):
            if not status[key_name]:
                del status[key_name]
        if conditions:
            status["conditions"] = conditions
        if status != (job.get("status") or {}):
            updated = copy.deepcopy(job)
            updated["status"] = status
            self.api.write(self.api.rt("batch", "jobs"), updated, JOB_CONTROLLER, "status")
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
            pod = {"apiVersion": "v1", "kind": "Pod",
                   "metadata": {"generateName": f"{job['metadata']['name']}-", "namespace": namespace,
                                "labels": labels, "ownerReferences": [owner_ref(job)],
                                **({"annotations": annotations} if annotations else {})},
                   "spec": copy.deepcopy(template.get("spec") or {})}
            try:
                made = self.api.create(self.api.rt("", "pods"), namespace, pod,
                                       WriteOptions(field_manager="kube-controller-manager"))
            except ApiError as exc:
                self.cluster.events.record(job, WARNING, "FailedCreate", f"Error creating: {exc.message}",
                                           JOB_CONTROLLER)
                break
            self.cluster.events.record(job, NORMAL, "SuccessfulCreate", f"Created pod: {made['metadata']['name']}",
                                       JOB_CONTROLLER)
            created.append(made)
        return created

    def _kill(self, pods: list[JSON]) -> None:
        for pod in pods:
            try:
                self.api.delete(self.api.rt("", "pods"), pod["metadata"]["namespace"], pod["metadata"]["name"],
                                DeleteOptions(), WriteOptions(field_manager=JOB_CONTROLLER))
            except ApiError:
                pass

    def _ttl(self, job: JSON, now: float) -> float | None:
        ttl = (job.get("spec") or {}).get("ttlSecondsAfterFinished")
        if ttl is None:
            return None
        finished_at = clock.parse_time((job.get("status") or {}).get("completionTime"))
        if finished_at is None:
            finished_at = max((clock.parse_time(c.get("lastTransitionTime")) or 0.0
                               for c in (job.get("status") or {}).get("conditions") or []), default=now)
        due = finished_at + float(ttl) * self.cluster.timings.spec_seconds_scale
        if now < due:
            return due - now
        try:
            self.api.delete(self.api.rt("batch", "jobs"), job["metadata"]["namespace"], job["metadata"]["name"],
                            DeleteOptions(propagation="Background"),
                            WriteOptions(field_manager="ttl-after-finished-controller"))
        except ApiError:
            pass
        return None


# --- CronJobs -----------------------------------------------------------------------------------------------------


def _zone(name: str | None) -> Any:
    if not name:
        return UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return UTC


def most_recent_schedule(schedule: str, time_zone: str | None, earliest: float, now: float) -> tuple[float | None, int]:
    """The latest scheduled time in (earliest, now] and how many were missed in that window."""
    interval = every_interval(schedule)
    if interval is not None:
        # robfig/cron's constant delay: the next run is the whole second of the previous one plus the delay.
        first = math.floor(earliest) + interval
        if first > now:
            return None, 0
        count = int((now - first) // interval) + 1
        return first + (count - 1) * interval, min(count, MAX_MISSED + 1)
    zone = _zone(time_zone)
    start = datetime.fromtimestamp(earliest, zone)
    itr = croniter(schedule, start)
    latest: float | None = None
    missed = 0
    while True:
        candidate = float(itr.get_next(float))
        if candidate > now:
            break
        latest = candidate
        missed += 1
        if missed > MAX_MISSED:
            break
    return latest, missed


def next_schedule(schedule: str, time_zone: str | None, after: float) -> float:
    interval = every_interval(schedule)
    if interval is not None:
        return math.floor(after) + interval
    zone = _zone(time_zone)
    return float(croniter(schedule, datetime.fromtimestamp(after, zone)).get_next(float))


def job_name(cronjob: str, scheduled: float) -> str:
    """Jobs are named after the scheduled minute, so one schedule time never makes two Jobs."""
    return f"{cronjob}-{int(scheduled // 60)}"


class CronJobController(Controller):
    name = "cronjob"
    watches = ("batch/cronjobs", "batch/jobs")
    resync_on_start = ("batch/cronjobs",)

    def keys_for(self, change: Change) -> list[str]:
        if change.resource == "batch/cronjobs":
            return [] if change.type == "DELETED" else [object_key(change.obj)]
        ref = controller_of(change.obj)
        if ref and ref.get("kind") == "CronJob":
            return [f"{change.obj['metadata'].get('namespace')}/{ref['name']}"]
        return []

    def reconcile(self, key: str) -> float | None:
        namespace, name = split_key(key)
        cronjob = self.store.get("batch/cronjobs", namespace, name)
        if cronjob is None or cronjob["metadata"].get("deletionTimestamp"):
            return None
        spec = cronjob.get("spec") or {}
        status = copy.deepcopy(cronjob.get("status") or {})
        now = clock.now()
        uid = cronjob["metadata"]["uid"]
        jobs = [j for r, j in self.store.dependents(uid) if r == "batch/jobs" and
                (controller_of(j) or {}).get("uid") == uid]
        active_refs = []
        for job in jobs:
            result = finished(job)
            if result is None:
                active_refs.append({"kind": "Job", "namespace": namespace, "name": job["metadata"]["name"],
                                    "uid": job["metadata"]["uid"], "apiVersion": "batch/v1",
                                    "resourceVersion": job["metadata"]["resourceVersion"]})
            else:
                was_active = any(ref.get("uid") == job["metadata"]["uid"] for ref in status.get("active") or [])
                if was_active:
                    self.cluster.events.record(cronjob, NORMAL, "SawCompletedJob",
                                               f"Saw completed job: {job['metadata']['name']}, status: {result}",
                                               CRONJOB_CONTROLLER)
                if result == "Complete":
                    completed = (job.get("status") or {}).get("completionTime")
                    if completed and (not status.get("lastSuccessfulTime") or
                                      str(completed) > str(status["lastSuccessfulTime"])):
                        status["lastSuccessfulTime"] = completed
        self._history(cronjob, jobs)
        requeue = self.cluster.timings.cron_tick
        if not spec.get("suspend"):
            last = clock.parse_time(status.get("lastScheduleTime")) or \
                clock.parse_time(cronjob["metadata"].get("creationTimestamp")) or now
            try:
                scheduled, missed = most_recent_schedule(str(spec.get("schedule")), spec.get("timeZone"), last, now)
                # Counted from the last run, not from now: ``@every`` schedules run on that grid.
                upcoming = next_schedule(str(spec.get("schedule")), spec.get("timeZone"),
                                         scheduled if scheduled is not None else last)
                if upcoming <= now:
                    upcoming = next_schedule(str(spec.get("schedule")), spec.get("timeZone"), now)
            except (ValueError, KeyError) as exc:
                self.cluster.events.record(cronjob, WARNING, "UnparseableSchedule",
                                           f"unparseable schedule: {spec.get('schedule')!r} : {exc}",
                                           CRONJOB_CONTROLLER)
                return None
            requeue = max(0.05, min(requeue, upcoming - now + 0.01))
            if missed > MAX_MISSED:
                self.cluster.events.record(cronjob, WARNING, "TooManyMissedTimes",
                                           "too many missed start times. Set or decrease .spec.startingDeadlineSeconds "
                                           "or check clock skew", CRONJOB_CONTROLLER)
            deadline = spec.get("startingDeadlineSeconds")
            if scheduled is not None and (deadline is None or now - scheduled <= float(deadline)):
                policy = spec.get("concurrencyPolicy", "Allow")
                if policy == "Forbid" and active_refs:
                    pass
                else:
                    if policy == "Replace":
                        for ref in active_refs:
                            self._delete_job(cronjob, str(ref["name"]))
                        active_refs = []
                    made = self._create_job(cronjob, scheduled)
                    if made is not None:
                        active_refs.append({"kind": "Job", "namespace": namespace, "name": made["metadata"]["name"],
                                            "uid": made["metadata"]["uid"], "apiVersion": "batch/v1",
                                            "resourceVersion": made["metadata"]["resourceVersion"]})
                    status["lastScheduleTime"] = clock.rfc3339(scheduled)
        if active_refs:
            status["active"] = active_refs
        else:
            status.pop("active", None)
        if status != (cronjob.get("status") or {}):
            updated = copy.deepcopy(cronjob)
            updated["status"] = status
            self.api.write(self.api.rt("batch", "cronjobs"), updated, CRONJOB_CONTROLLER, "status")
        return requeue

    def _create_job(self, cronjob: JSON, scheduled: float) -> JSON | None:
        template = copy.deepcopy((cronjob.get("spec") or {}).get("jobTemplate") or {})
        meta = template.get("metadata") or {}
        name = job_name(cronjob["metadata"]["name"], scheduled)
        namespace = cronjob["metadata"]["namespace"]
        job = {"apiVersion": "batch/v1", "kind": "Job",
               "metadata": {"name": name, "namespace": namespace, "labels": dict(meta.get("labels") or {}),
                            "annotations": {**(meta.get("annotations") or {}),
                                            SCHEDULED_AT: clock.rfc3339(scheduled)},
                            "ownerReferences": [owner_ref(cronjob)]},
               "spec": template.get("spec") or {}}
        try:
            made = self.api.create(self.api.rt("batch", "jobs"), namespace, job,
                                   WriteOptions(field_manager="kube-controller-manager"))
        except ApiError as exc:
            if exc.code == 409:
                return None
            self.cluster.events.record(cronjob, WARNING, "FailedCreate", f"Error creating job: {exc.message}",
                                       CRONJOB_CONTROLLER)
            return None
        self.cluster.events.record(cronjob, NORMAL, "SuccessfulCreate", f"Created job {name}", CRONJOB_CONTROLLER)
        return made

    def _delete_job(self, cronjob: JSON, name: str) -> None:
        try:
            self.api.delete(self.api.rt("batch", "jobs"), cronjob["metadata"]["namespace"], name,
                            DeleteOptions(propagation="Background"), WriteOptions(field_manager=CRONJOB_CONTROLLER))
        except ApiError:
            return
        self.cluster.events.record(cronjob, NORMAL, "SuccessfulDelete", f"Deleted job {name}", CRONJOB_CONTROLLER)

    def _history(self, cronjob: JSON, jobs: list[JSON]) -> None:
        spec = cronjob.get("spec") or {}
        for result, limit in (("Complete", int(spec.get("successfulJobsHistoryLimit", 3))),
                              ("Failed", int(spec.get("failedJobsHistoryLimit", 1)))):
            done = [j for j in jobs if finished(j) == result and not j["metadata"].get("deletionTimestamp")]
            done.sort(key=lambda j: str(j["metadata"].get("creationTimestamp")))
            for job in done[: max(0, len(done) - limit)]:
                self._delete_job(cronjob, job["metadata"]["name"])
