"""Small pure helpers: durations as kubectl prints them, quantities, protobuf decoding, cron schedules,
image markers, synthetic log lines."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from kubesim import clock, protobuf, quantity
from kubesim.controllers.jobs import job_name
from kubesim.controllers.kubelet.images import image_behaviour, normalize_image
from kubesim.cron import most_recent_schedule, next_schedule
from kubesim.logs import line_text


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (5, "5s"),
        (119, "119s"),
        (125, "2m5s"),
        (600, "10m"),
        (3 * 3600 + 60, "3h1m"),
        (9 * 3600, "9h"),
        (50 * 3600, "2d2h"),
        (10 * 86400, "10d"),
        (800 * 86400, "2y70d"),
    ],
)
def test_human_duration(seconds: int, text: str) -> None:
    assert clock.human_duration(seconds) == text


def test_quantities() -> None:
    assert quantity.cpu_millis("250m") == 250
    assert quantity.cpu_millis("1.5") == 1500
    assert quantity.memory_bytes("128Mi") == 128 * 2**20
    assert quantity.memory_bytes("1G") == 10**9
    assert not quantity.is_valid("12 apples")


def _ts(text: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp()


def test_cron_schedule_times() -> None:
    latest, missed = most_recent_schedule("*/5 * * * *", None, _ts("2024-01-01T00:01:00"), _ts("2024-01-01T00:16:00"))
    assert latest == _ts("2024-01-01T00:15:00")
    assert missed == 3
    latest, missed = most_recent_schedule("0 * * * *", None, _ts("2024-01-01T00:01:00"), _ts("2024-01-01T00:30:00"))
    assert latest is None
    assert missed == 0
    assert next_schedule("0 3 * * *", None, _ts("2024-01-01T04:00:00")) == _ts("2024-01-02T03:00:00")
    # A time zone moves the schedule: 03:00 in Zurich (UTC+1 in winter) is 02:00 UTC.
    assert next_schedule("0 3 * * *", "Europe/Zurich", _ts("2024-01-01T00:00:00")) == _ts("2024-01-01T02:00:00")
    assert job_name("backup", _ts("2024-01-01T00:15:00")) == f"backup-{int(_ts('2024-01-01T00:15:00') // 60)}"


def test_every_schedules_run_at_a_constant_delay() -> None:
    # robfig/cron: the next run is the previous one's whole second plus the delay.
    start = _ts("2024-01-01T00:00:00") + 0.7
    assert most_recent_schedule("@every 2s", None, start, start + 1) == (None, 0)
    assert most_recent_schedule("@every 2s", None, start, start + 7) == (_ts("2024-01-01T00:00:06"), 3)
    assert most_recent_schedule("@every 1m30s", None, start, start + 200) == (_ts("2024-01-01T00:03:00"), 2)
    assert next_schedule("@every 2s", None, _ts("2024-01-01T00:00:06")) == _ts("2024-01-01T00:00:08")
    # Delays are cut to whole seconds and are at least one second.
    assert next_schedule("@every 1500ms", None, _ts("2024-01-01T00:00:00")) == _ts("2024-01-01T00:00:01")
    assert next_schedule("@every 100ms", None, _ts("2024-01-01T00:00:00")) == _ts("2024-01-01T00:00:01")
    assert clock.parse_go_duration("1h30m") == 5400.0
    assert clock.parse_go_duration("-1.5s") == -1.5
    for text in ("", "5", "s", "1x", "1s2", "1 s"):
        with pytest.raises(ValueError, match="invalid duration"):
            clock.parse_go_duration(text)


@pytest.mark.parametrize(
    ("image", "behaviour"),
    [
        ("nginx:1.25", "ok"),
        ("registry.example.com/team/app:fail-pull", "pull-fail"),
        ("does-not-exist/app:1", "pull-fail"),
        ("ghcr.io/acme/api:crash", "crash"),
        ("crashloop/app", "crash"),
        ("busybox:oom", "oom"),
        ("mycrashapp:1", "ok"),
    ],
)
def test_image_markers(image: str, behaviour: str) -> None:
    assert image_behaviour(image) == behaviour


def test_normalized_image_names() -> None:
    assert normalize_image("nginx") == "docker.io/library/nginx:latest"
    assert normalize_image("bitnami/redis:7") == "docker.io/bitnami/redis:7"
    assert normalize_image("ghcr.io/acme/api:1.0") == "ghcr.io/acme/api:1.0"


def test_log_lines_are_deterministic() -> None:
    first = [line_text("pod-a", "web", "nginx:1", 0, i, [80]) for i in range(20)]
    again = [line_text("pod-a", "web", "nginx:1", 0, i, [80]) for i in range(20)]
    other = [line_text("pod-b", "web", "nginx:1", 0, i, [80]) for i in range(20)]
    assert first == again
    assert first != other
    assert first[1] == "Listening on 0.0.0.0:80"


def test_protobuf_namespace_and_configmap() -> None:
    namespace = protobuf.decode(
        b"k8s\x00\n\x0f\n\x02v1\x12\tNamespace\x12\x1d\n\x15\n\x05capns\x12\x00\x1a\x00"
        b'"\x00*\x002\x008\x00B\x00\x12\x00\x1a\x02\n\x00\x1a\x00"\x00'
    )
    assert namespace["kind"] == "Namespace"
    assert namespace["metadata"] == {"name": "capns"}
    configmap = protobuf.decode(
        b'k8s\x00\n\x0f\n\x02v1\x12\tConfigMap\x12\x1c\n\x12\n\x01c\x12\x00\x1a\x01x"\x00'
        b'*\x002\x008\x00B\x00\x12\x06\n\x01a\x12\x01b\x1a\x00"\x00'
    )
    assert configmap["data"] == {"a": "b"}
    assert configmap["metadata"]["namespace"] == "x"
    with pytest.raises(protobuf.ProtobufError):
        protobuf.decode(b"{}")
