"""Many WebSocket viewers in processes of their own (the browser tabs of a benchmark).

``python -m bench.viewers`` reads a plan as one JSON line on stdin::

    {"url": "ws://127.0.0.1:8090", "marker": "bench/seq", "count_to": 200,
     "sockets": [{"path": "/ws/k8s/rollouts", "token": "...", "request": {"projectId": "..."}}, ...]}

opens every socket (token in ``?token=``, the request as first message) and then answers commands, one per
line on stdin, with one JSON line on stdout:

- ``ready``: waits until every open socket received a frame (the current state), says how many did;
- ``report``: per socket, frames, lines and bytes received, when its request was sent, when the first frame
  came and when ``count_to`` lines had come, and for each value of the ``marker`` annotation seen on an object
  when it first arrived (``time.monotonic()``, which is the same
  clock in every process of the machine);
- ``seen VALUE``: how many sockets have seen that value of the marker;
- ``close``: closes the sockets and exits.

:class:`Viewers` drives one or more such processes from a benchmark.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import orjson
import uvloop

REPO = Path(__file__).resolve().parents[1]
OPENING_AT_ONCE = 50


@dataclass
class _Socket:
    frames: int = 0
    lines: int = 0
    bytes: int = 0
    sent: float | None = None
    first: float | None = None
    counted: float | None = None  # when ``count_to`` lines had arrived
    seen: dict[str, float] = field(default_factory=dict)
    close_code: int | None = None
    settled: asyncio.Event = field(default_factory=asyncio.Event)  # a first frame came, or the socket ended


async def _follow(
    session: aiohttp.ClientSession,
    url: str,
    spec: dict[str, Any],
    marker: str,
    count_to: int,
    state: _Socket,
    opened: asyncio.Future[bool],
) -> None:
    try:
        async with session.ws_connect(
            f"{url}{spec['path']}?token={spec['token']}", max_msg_size=0, autoping=True, heartbeat=None
        ) as ws:
            await ws.send_str(json.dumps(spec["request"]))
            state.sent = time.monotonic()
            opened.set_result(True)
            async for message in ws:
                if message.type is not aiohttp.WSMsgType.TEXT:
                    continue
                now = time.monotonic()
                text: str = message.data
                state.frames += 1
                state.bytes += len(text)
                state.lines += text.count("\n")
                if count_to and state.counted is None and state.lines >= count_to:
                    state.counted = now
                if state.first is None:
                    state.first = now
                    state.settled.set()
                if marker and marker in text:
                    found = orjson.loads(text)
                    value = (((found.get("object") or {}).get("metadata") or {}).get("annotations") or {}).get(marker)
                    if value is not None and value not in state.seen:
                        state.seen[value] = now
            state.close_code = ws.close_code
    except (aiohttp.ClientError, TimeoutError) as exc:
        if not opened.done():
            opened.set_exception(exc)
        state.close_code = -1
    finally:
        state.settled.set()


async def _serve() -> None:
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader(limit=1 << 28)
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    plan: dict[str, Any] = json.loads(await reader.readline())

    def answer(payload: dict[str, Any]) -> None:
        sys.stdout.write(json.dumps(payload) + "\n")
        sys.stdout.flush()

    states = [_Socket() for _ in plan["sockets"]]
    tasks: list[asyncio.Task[None]] = []
    failures: list[str] = []
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=None)) as session:
        specs = list(zip(plan["sockets"], states, strict=True))
        for start in range(0, len(specs), OPENING_AT_ONCE):
            batch = []
            for spec, state in specs[start : start + OPENING_AT_ONCE]:
                opened: asyncio.Future[bool] = loop.create_future()
                tasks.append(
                    asyncio.create_task(
                        _follow(
                            session,
                            plan["url"],
                            spec,
                            plan.get("marker", ""),
                            int(plan.get("count_to", 0)),
                            state,
                            opened,
                        )
                    )
                )
                batch.append(opened)
            for outcome in await asyncio.gather(*batch, return_exceptions=True):
                if isinstance(outcome, BaseException):
                    failures.append(repr(outcome))
        answer({"opened": len(states) - len(failures), "failed": len(failures), "errors": failures[:3]})
        while command := (await reader.readline()).decode().strip():
            if command == "ready":
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(asyncio.gather(*(s.settled.wait() for s in states)), 120)
                answer({"ready": sum(s.first is not None for s in states)})
            elif command == "report":
                answer(
                    {
                        "now": time.monotonic(),
                        "sockets": [
                            {
                                "frames": s.frames,
                                "lines": s.lines,
                                "bytes": s.bytes,
                                "sent": s.sent,
                                "first": s.first,
                                "counted": s.counted,
                                "seen": s.seen,
                                "close_code": s.close_code,
                            }
                            for s in states
                        ],
                    }
                )
            elif command.startswith("seen "):
                value = command.removeprefix("seen ")
                answer({"count": sum(value in s.seen for s in states)})
            elif command == "close":
                break
        for task in tasks:
            task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.gather(*tasks, return_exceptions=True)
    answer({"closed": len(states)})


class Viewers:
    """Sockets spread over ``processes`` viewer processes; commands go to all and their answers are merged."""

    def __init__(self) -> None:
        self.children: list[asyncio.subprocess.Process] = []

    async def start(
        self, url: str, sockets: list[dict[str, Any]], *, marker: str = "", count_to: int = 0, processes: int = 1
    ) -> dict[str, Any]:
        shares = [sockets[index::processes] for index in range(processes)]
        for share in shares:
            child = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "bench.viewers",
                cwd=REPO,
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                limit=1 << 28,
            )
            assert child.stdin is not None
            child.stdin.write(
                json.dumps({"url": url, "marker": marker, "count_to": count_to, "sockets": share}).encode() + b"\n"
            )
            self.children.append(child)
        answers = [await self._read(child) for child in self.children]
        return {
            "opened": sum(a["opened"] for a in answers),
            "failed": sum(a["failed"] for a in answers),
            "errors": [e for a in answers for e in a["errors"]],
        }

    async def _read(self, child: asyncio.subprocess.Process) -> dict[str, Any]:
        assert child.stdout is not None
        line = await child.stdout.readline()
        if not line:
            raise RuntimeError(f"a viewer process exited with {await child.wait()}")
        answer: dict[str, Any] = json.loads(line)
        return answer

    async def command(self, name: str) -> list[dict[str, Any]]:
        for child in self.children:
            assert child.stdin is not None
            child.stdin.write(name.encode() + b"\n")
        return [await self._read(child) for child in self.children]

    async def ready(self) -> int:
        return sum(answer["ready"] for answer in await self.command("ready"))

    async def report(self) -> list[dict[str, Any]]:
        return [socket for answer in await self.command("report") for socket in answer["sockets"]]

    async def seen(self, value: str) -> int:
        return sum(answer["count"] for answer in await self.command(f"seen {value}"))

    async def close(self) -> None:
        if self.children:
            await self.command("close")
        for child in self.children:
            await child.wait()
        self.children = []


def main() -> None:
    uvloop.run(_serve())


if __name__ == "__main__":
    main()
