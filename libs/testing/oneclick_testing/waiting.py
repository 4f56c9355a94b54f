"""Waiting for an outcome of asynchronous work without turning wall-clock time into a pass/fail criterion.

The deadline only bounds a hang; tests assert what happened, not how fast.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable


async def eventually(
    condition: Callable[[], bool | Awaitable[bool]],
    timeout: float = 30.0,
    interval: float = 0.02,
    message: str = "condition not reached",
) -> None:
    """Poll ``condition`` (plain or async) until it is true; fail after ``timeout`` seconds."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        outcome = condition()
        if not isinstance(outcome, bool):
            outcome = await outcome
        if outcome:
            return
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"{message} within {timeout:g}s")
        await asyncio.sleep(interval)
