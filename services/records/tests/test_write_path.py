"""The way of a rollout's creation through records, traced while it runs against a real PostgreSQL: from the RPC
handler down to the write, calls only go down — no records module is entered again while it is still on the stack
below (no back-and-forth between modules) — and the generic write names no collection."""

from __future__ import annotations

import re
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from types import FrameType
from typing import Any

import asyncpg
import pytest

from oneclick_core.contracts.auth import Actor
from oneclick_core.contracts.records import CreateRequest
from oneclick_core.runtime.database import create_pool
from oneclick_core.runtime.migrations import migrate
from oneclick_core.tenancy import TenancySettings
from oneclick_records import writing
from oneclick_records.handlers import RecordHandlers
from oneclick_records.main import migrations
from oneclick_records.model import COLLECTIONS
from oneclick_records.tenancy import Tenancy
from oneclick_testing.infrastructure import Database
from oneclick_testing.records import rollout_manifest

USER, PROJECT, DEPLOYMENT = "useraaaaaaaaaaa", "projectaaaaaaaa", "deploymaaaaaaaa"
PACKAGE = "oneclick_records"


class Nobody:
    async def existing(self, ids: set[str]) -> set[str]:
        return set()


@pytest.fixture
async def pool(database: Database) -> AsyncIterator[asyncpg.Pool]:
    conn = await database.connect()
    try:
        await migrate(conn, "records", migrations())
        await conn.execute(
            "INSERT INTO records.users (id, username, created, updated) VALUES ($1, 'alice', now(), now())", USER
        )
        await conn.execute(
            'INSERT INTO records.projects (id, name, "user", created, updated) VALUES ($1, $2, $3, now(), now())',
            PROJECT,
            "shop",
            USER,
        )
        await conn.execute(
            'INSERT INTO records.deployments (id, project, "user", created, updated) VALUES ($1, $2, $3, now(), now())',
            DEPLOYMENT,
            PROJECT,
            USER,
        )
    finally:
        await conn.close()
    created = await create_pool(database.url, "records", max_size=2)
    yield created
    await created.close()


def _records_stack(frame: FrameType | None) -> list[str]:
    """The records modules on the stack, outermost first, one entry per run of frames of the same module."""
    modules: list[str] = []
    while frame is not None:
        name = str(frame.f_globals.get("__name__", ""))
        if name.startswith(PACKAGE) and (not modules or modules[-1] != name):
            modules.append(name)
        frame = frame.f_back
    return modules[::-1]


async def test_a_rollouts_creation_only_ever_calls_down(pool: asyncpg.Pool) -> None:
    handlers = RecordHandlers(pool, Nobody(), Tenancy(TenancySettings()))
    request = CreateRequest(
        collection="rollouts",
        actor=Actor(id=USER, collection="users"),
        data={"project": PROJECT, "deployment": DEPLOYMENT, "manifest": rollout_manifest()},
    )
    reentered: list[list[str]] = []
    entered: list[str] = []

    def profile(frame: FrameType, event: str, _: Any) -> None:
        if event != "call" or not str(frame.f_globals.get("__name__", "")).startswith(PACKAGE):
            return
        stack = _records_stack(frame)
        entered.append(stack[-1])
        if len(stack) != len(set(stack)):
            reentered.append(stack)

    sys.setprofile(profile)
    try:
        result = await handlers.create(request)
    finally:
        sys.setprofile(None)

    assert result.record["deployment"] == DEPLOYMENT
    assert not reentered, "a module called back into one below it on the stack:\n" + "\n".join(
        " -> ".join(stack) for stack in reentered[:5]
    )
    # The way, in order of first entry: the handler, the generic change, the rollout's hooks, the write.
    first = list(dict.fromkeys(entered))
    way = [
        "oneclick_records.handlers",
        "oneclick_records.changing",
        "oneclick_records.collections.rollouts",
        "oneclick_records.writing",
    ]
    assert [module for module in first if module in way] == way, first


def test_the_generic_write_names_no_collection() -> None:
    source = Path(writing.__file__).read_text()
    constants = {name for name in dir(sys.modules["oneclick_records.model"]) if name.isupper()}
    named = {name for name in constants if re.search(rf"\b{name}\b", source)} - {"SYSTEM_FIELDS"}
    assert not named, named
    for collection in COLLECTIONS.values():
        assert not re.search(rf"['\"]{collection.name}['\"]", source), collection.name
