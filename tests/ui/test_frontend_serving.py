"""The edge serves the built web UI at ``/``: SPA fallback, caching headers, precompressed files, API first.

A stand-in build (a few files shaped like adapter-static's output) keeps this independent of npm; the
real build is served the same way in the browser tests (test_e2e_flow.py).
"""

from __future__ import annotations

import asyncio
import gzip
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from oneclick_cli.processes import free_port
from oneclick_testing.infrastructure import Database
from oneclick_testing.services import ServiceGroup

INDEX = "<!doctype html><html><head><title>One-Click</title></head><body>app</body></html>"
ASSET = "export const answer = 42;" * 40


@pytest.fixture(scope="module")
def build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("build")
    (root / "index.html").write_text(INDEX)
    (root / "index.html.gz").write_bytes(gzip.compress(INDEX.encode()))
    immutable = root / "_app" / "immutable" / "entry"
    immutable.mkdir(parents=True)
    (immutable / "start.Ab12Cd.js").write_text(ASSET)
    (immutable / "start.Ab12Cd.js.gz").write_bytes(gzip.compress(ASSET.encode()))
    (root / "_app" / "version.json").write_text('{"version":"1"}')
    (root / "favicon.svg").write_text("<svg xmlns='http://www.w3.org/2000/svg'/>")
    (root.parent / "secret.txt").write_text("outside the build")
    return root


@pytest.fixture(scope="module")
async def edges(
    nats_url: str, module_database: Database, module_log_dir: Path, build: Path
) -> AsyncIterator[tuple[httpx.AsyncClient, httpx.AsyncClient]]:
    """An edge serving ``build`` and one whose build directory does not exist."""
    group = ServiceGroup({"ONECLICK_NATS_URL": nats_url, "ONECLICK_DATABASE_URL": module_database.url}, module_log_dir)
    try:
        built, missing = free_port(), free_port()
        await asyncio.gather(
            group.start("edge", env={"ONECLICK_HTTP_PORT": str(built), "ONECLICK_FRONTEND_DIR": str(build)}),
            group.start(
                "edge",
                label="edge-unbuilt",
                env={"ONECLICK_HTTP_PORT": str(missing), "ONECLICK_FRONTEND_DIR": str(build.parent / "not-built")},
            ),
        )
        async with (
            httpx.AsyncClient(base_url=f"http://127.0.0.1:{built}", timeout=10) as served,
            httpx.AsyncClient(base_url=f"http://127.0.0.1:{missing}", timeout=10) as unbuilt,
        ):
            yield served, unbuilt
    finally:
        group.stop_all()


async def test_index_and_page_paths_get_the_app_revalidated(edges: tuple[httpx.AsyncClient, ...]) -> None:
    served, _ = edges
    for path in ("/", "/login", "/app/projects/abc123/deployments/def456/map", "/_/"):
        response = await served.get(path, headers={"Accept-Encoding": "identity"})
        assert response.status_code == 200, path
        assert response.text == INDEX, path
        assert response.headers["content-type"].startswith("text/html"), path
        assert response.headers["cache-control"] == "no-cache", path
        assert response.headers["x-content-type-options"] == "nosniff"
    head = await served.head("/app/projects")
    assert head.status_code == 200
    assert head.headers["cache-control"] == "no-cache"


async def test_hashed_assets_are_immutable_and_other_files_revalidated(edges: tuple[httpx.AsyncClient, ...]) -> None:
    served, _ = edges
    asset = await served.get("/_app/immutable/entry/start.Ab12Cd.js", headers={"Accept-Encoding": "identity"})
    assert asset.status_code == 200
    assert asset.text == ASSET
    assert asset.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert asset.headers["content-type"].startswith(("text/javascript", "application/javascript"))
    for path in ("/favicon.svg", "/_app/version.json"):
        response = await served.get(path)
        assert response.status_code == 200, path
        assert response.headers["cache-control"] == "no-cache", path


async def test_precompressed_siblings_go_to_clients_that_accept_them(edges: tuple[httpx.AsyncClient, ...]) -> None:
    served, _ = edges
    response = await served.get("/_app/immutable/entry/start.Ab12Cd.js", headers={"Accept-Encoding": "gzip"})
    assert response.headers["content-encoding"] == "gzip"
    assert response.headers["vary"] == "Accept-Encoding"
    assert int(response.headers["content-length"]) < len(ASSET)
    assert response.text == ASSET  # httpx decodes it


async def test_etag_revalidation_answers_304(edges: tuple[httpx.AsyncClient, ...]) -> None:
    served, _ = edges
    first = await served.get("/", headers={"Accept-Encoding": "identity"})
    again = await served.get("/", headers={"Accept-Encoding": "identity", "If-None-Match": first.headers["etag"]})
    assert again.status_code == 304
    assert again.content == b""
    zipped = await served.get("/", headers={"Accept-Encoding": "gzip"})
    assert zipped.headers["etag"] != first.headers["etag"]


async def test_api_routes_keep_precedence_and_their_error_shape(edges: tuple[httpx.AsyncClient, ...]) -> None:
    served, _ = edges
    health = await served.get("/api/health")
    assert health.headers["content-type"].startswith("application/json")
    for path in ("/api/nothing-here", "/pb/nothing/here/at-all", "/_app/immutable/missing.js", "/rollouts/a/b/c/d"):
        missing = await served.get(path)
        assert missing.status_code == 404, path
        assert missing.json() == {"status": 404, "message": "The requested resource wasn't found.", "data": {}}, path
    # A path that exists for another method still says so.
    wrong = await served.get("/api/collections/users/auth-with-password")
    assert wrong.status_code == 405
    unauthenticated = await served.get("/api/collections/projects/records")
    assert unauthenticated.status_code == 401


async def test_nothing_outside_the_build_is_served(edges: tuple[httpx.AsyncClient, ...]) -> None:
    served, _ = edges
    for path in ("/../secret.txt", "/%2e%2e/secret.txt", "/_app/..%2f..%2fsecret.txt"):
        response = await served.get(path, headers={"Accept-Encoding": "identity"})
        assert "outside the build" not in response.text, path


async def test_unbuilt_app_gets_a_friendly_placeholder(edges: tuple[httpx.AsyncClient, ...]) -> None:
    _, unbuilt = edges
    response = await unbuilt.get("/app/projects")
    assert response.status_code == 503
    assert "web UI has not been built" in response.text
    assert "npm run build" in response.text
    assert response.headers["cache-control"] == "no-store"
    assert (await unbuilt.get("/api/health")).headers["content-type"].startswith("application/json")
