"""How long emulated things take: ``fast`` for tests, ``realistic`` for a developer watching a UI."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from types import MappingProxyType


@dataclass(frozen=True)
class Timings:
    """Durations in seconds. Durations a user writes into a spec (``progressDeadlineSeconds``,
    ``initialDelaySeconds``, ``ttlSecondsAfterFinished``, ...) are multiplied by ``spec_seconds_scale``."""

    name: str
    schedule: float  # scheduler binding a pod to the node
    sandbox: float  # pod sandbox and network set-up (ContainerCreating)
    pull: float  # pulling an image that is not on the node yet
    start: float  # container created -> started
    ready: float  # started -> ready (no readiness probe delay)
    terminate: float  # kubelet stopping a pod's containers after deletion
    crash_after: float  # how long a crashing container runs before it exits
    job_run: float  # how long a run-to-completion container runs
    backoff_base: float  # first CrashLoopBackOff / ImagePullBackOff delay, doubled per failure
    backoff_max: float
    log_interval: float  # one synthetic log line every this many seconds
    bookmark_interval: float  # watch bookmarks when the client allows them
    hpa_interval: float
    cron_tick: float  # how often CronJobs are checked against their schedule
    event_ttl: float  # events are removed this long after their last occurrence
    spec_seconds_scale: float
    snapshot_interval: float  # periodic state snapshot (besides the one at shutdown)

    def backoff(self, failures: int) -> float:
        """The delay after ``failures`` consecutive failures: ``backoff_base`` after the first, doubling with each
        one after it, at most ``backoff_max`` (the kubelet's and controllers' exponential back-off)."""
        return float(min(self.backoff_max, self.backoff_base * 2 ** min(max(0, failures - 1), 30)))

    def with_overrides(self, **changes: float) -> Timings:
        return replace(self, **changes)  # type: ignore[arg-type]


FAST = Timings(
    name="fast",
    schedule=0.01,
    sandbox=0.03,
    pull=0.04,
    start=0.02,
    ready=0.03,
    terminate=0.05,
    crash_after=0.1,
    job_run=0.15,
    backoff_base=0.2,
    backoff_max=1.0,
    log_interval=0.05,
    bookmark_interval=1.0,
    hpa_interval=0.5,
    cron_tick=0.5,
    event_ttl=3600.0,
    spec_seconds_scale=0.01,
    snapshot_interval=2.0,
)

REALISTIC = Timings(
    name="realistic",
    schedule=0.3,
    sandbox=1.0,
    pull=2.5,
    start=0.5,
    ready=1.0,
    terminate=2.0,
    crash_after=3.0,
    job_run=8.0,
    backoff_base=10.0,
    backoff_max=300.0,
    log_interval=1.5,
    bookmark_interval=60.0,
    hpa_interval=15.0,
    cron_tick=5.0,
    event_ttl=3600.0,
    spec_seconds_scale=1.0,
    snapshot_interval=5.0,
)

PRESETS: Mapping[str, Timings] = MappingProxyType({"fast": FAST, "realistic": REALISTIC})


def preset(name: str) -> Timings:
    try:
        return PRESETS[name]
    except KeyError:
        raise ValueError(f"unknown timings {name!r}; choose one of {', '.join(PRESETS)}") from None
