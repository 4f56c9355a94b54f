"""Pure logic of the edge's per-connection queues: coalescing past the limit, dropping logs, giving up."""

from __future__ import annotations

import orjson
import pytest

from oneclick_edge.live.changes import Change
from oneclick_edge.live.queues import ChangeQueue, LineQueue, LogUnavailable, SlowClient


def _pod(name: str, uid: str, phase: str = "Pending") -> dict:
    return {
        "metadata": {"name": name, "uid": uid, "namespace": "ns", "labels": {"app": "x"}},
        "status": {"phase": phase},
    }


def _statuses(frames: list[str]) -> list[tuple[str, str, str]]:
    parsed = [orjson.loads(frame) for frame in frames]
    return [(m["name"], m["status"], m["object"]["status"]["phase"]) for m in parsed]


async def test_frames_pass_unchanged_below_the_limit_and_keep_the_originals_keys() -> None:
    queue = ChangeQueue("map", limit=10)
    queue.push(Change("pod", "ADDED", _pod("a", "1")))
    queue.push(Change("pod", "MODIFIED", _pod("a", "1", "Running")))
    frames = await queue.next()
    assert _statuses(frames) == [("a", "ADDED", "Pending"), ("a", "MODIFIED", "Running")]
    assert list(orjson.loads(frames[0])) == ["kind", "labels", "name", "namespace", "object", "status"]


async def test_past_the_limit_changes_of_one_object_merge() -> None:
    queue = ChangeQueue("map", limit=3)
    queue.push(Change("pod", "ADDED", _pod("a", "1")))
    queue.push(Change("pod", "MODIFIED", _pod("b", "2", "Running")))
    queue.push(Change("pod", "ADDED", _pod("c", "3")))
    queue.push(Change("pod", "MODIFIED", _pod("a", "1", "Running")))  # a: ADDED + MODIFIED → ADDED, newest object
    queue.push(Change("pod", "DELETED", _pod("b", "2", "Running")))  # b: MODIFIED + DELETED → DELETED
    queue.push(Change("pod", "DELETED", _pod("c", "3")))  # c: ADDED + DELETED → nothing to tell
    assert _statuses(await queue.next()) == [("a", "ADDED", "Running"), ("b", "DELETED", "Running")]


async def test_a_recreated_object_is_not_merged_with_its_predecessor() -> None:
    queue = ChangeQueue("map", limit=2)
    queue.push(Change("pod", "DELETED", _pod("a", "1")))
    queue.push(Change("pod", "ADDED", _pod("a", "2")))
    queue.push(Change("pod", "MODIFIED", _pod("a", "2", "Running")))
    assert _statuses(await queue.next()) == [("a", "DELETED", "Pending"), ("a", "ADDED", "Running")]


async def test_a_client_behind_on_more_objects_than_the_limit_is_given_up() -> None:
    queue = ChangeQueue("map", limit=2)
    for index in range(3):
        queue.push(Change("pod", "ADDED", _pod(f"p{index}", str(index))))
    with pytest.raises(SlowClient):
        await queue.next()


async def test_event_frames_are_the_originals() -> None:
    queue = ChangeQueue("event", limit=5)
    queue.push(
        Change(
            "event",
            "ADDED",
            {
                "metadata": {"name": "e", "uid": "u"},
                "reason": "BackOff",
                "message": "Back-off pulling image",
                "type": "Warning",
            },
        )
    )
    assert await queue.next() == ['{"message":"Back-off pulling image","reason":"BackOff","typus":"Warning"}']


async def test_log_lines_past_the_limit_drop_the_oldest_and_say_so() -> None:
    queue = LineQueue(limit=10)
    queue.push(["aaaa", "bbbb", "cccc", "dddd"])
    assert await queue.next() == ["[2 lines dropped: the connection is too slow]", "cccc", "dddd"]
    queue.push(["eeee"])
    queue.end()
    assert await queue.next() == ["eeee"]
    assert await queue.next() is None


async def test_a_log_that_cannot_be_read_ends_with_its_reason_after_what_was_queued() -> None:
    queue = LineQueue(limit=100)
    queue.push(["Error getting logs: gone"])
    queue.end("gone")
    assert await queue.next() == ["Error getting logs: gone"]
    with pytest.raises(LogUnavailable, match="gone"):
        await queue.next()
