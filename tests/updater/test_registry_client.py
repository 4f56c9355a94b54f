"""The updater's registry client against a real registry: anonymous, basic and bearer auth, paging, errors,
redirects and the address policy.

A small local HTTP server stands in for a registry that rate-limits, fails or redirects, because the real one
never answers 429 or 503 on purpose (it is a real HTTP server on a socket; nothing of ours is faked). The
registries listen on 127.0.0.1, which the policy refuses unless allowed: the clients here allow 127.0.0.1/32
(as an operator would an in-house registry's network), so 127.0.0.2 stands for a refused address.
"""

from __future__ import annotations

import ipaddress
import json
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Literal
from urllib.parse import parse_qs, urlsplit

import pytest

from oneclick_cli.processes import free_port
from oneclick_testing.probes import AcceptRecorder
from oneclick_updater.addresses import AddressPolicy
from oneclick_updater.registry import (
    REGISTRY_UNREACHABLE,
    Credentials,
    RegistryClient,
    RegistryError,
    Repository,
    RetryPolicy,
)

from .registry import Auth, Registry, requires_registry

USER, PASSWORD = "ci", "s3cret-pass"
CREDENTIALS = Credentials(USER, PASSWORD)
TAGS = [f"1.{minor}.0" for minor in range(25)]
LOCAL = AddressPolicy((ipaddress.ip_network("127.0.0.1/32"),))

Clients = Callable[..., RegistryClient]


@pytest.fixture
async def clients() -> AsyncIterator[Clients]:
    """Registry clients allowed to reach 127.0.0.1 (or with the given ``policy``), closed after the test."""
    made: list[RegistryClient] = []

    def make(policy: AddressPolicy = LOCAL, **options: Any) -> RegistryClient:
        made.append(RegistryClient(policy, timeout=5, **options))
        return made[-1]

    yield make
    for client in made:
        await client.aclose()


async def start_registry(tmp_path: Path, auth: Auth) -> Registry:
    registry = await Registry(tmp_path, auth, {USER: PASSWORD}).start()
    try:
        await registry.push("team/app", *TAGS)
    except BaseException:
        registry.stop()
        raise
    return registry


@requires_registry
@pytest.mark.parametrize("auth", ["none", "htpasswd", "token"])
async def test_lists_every_tag_across_pages(tmp_path: Path, clients: Clients, auth: Auth) -> None:
    registry = await start_registry(tmp_path, auth)
    calls: list[tuple[str, str]] = []
    try:
        client = clients(page_size=10, observe=lambda host, outcome: calls.append((host, outcome)))
        listing = await client.list_tags(Repository.of(registry.host, "team/app"), CREDENTIALS)
        assert sorted(listing.tags) == sorted(TAGS)
        assert registry.listings("team/app") == 1  # distribution 2.8 ignores n for tags: one page
        assert (registry.host, "200") in calls
        if auth == "token":
            assert registry.tokens is not None
            assert registry.tokens.requests == 2  # one for our push, one for this whole listing
    finally:
        registry.stop()


@requires_registry
@pytest.mark.parametrize("auth", ["htpasswd", "token"])
async def test_wrong_or_missing_credentials_are_a_clear_error(tmp_path: Path, clients: Clients, auth: Auth) -> None:
    registry = await start_registry(tmp_path, auth)
    try:
        client = clients()
        with pytest.raises(RegistryError, match="refused") as wrong:
            await client.list_tags(Repository.of(registry.host, "team/app"), Credentials(USER, "wrong"))
        assert wrong.value.status in (401, 403)
        assert "wrong" not in str(wrong.value)
        # The registry is at an address only the operator's exception makes reachable: the user is told no
        # more than for any other failure (see test_only_public_registries_tell_refused_credentials).
        assert wrong.value.shown == REGISTRY_UNREACHABLE
        with pytest.raises(RegistryError, match="requires credentials"):
            await client.list_tags(Repository.of(registry.host, "team/app"), None)
        # One-Click used credentials only when both were set; a username alone is anonymous.
        with pytest.raises(RegistryError, match="requires credentials"):
            await client.list_tags(Repository.of(registry.host, "team/app"), Credentials(USER, ""))
    finally:
        registry.stop()


@requires_registry
@pytest.mark.parametrize("token_field", ["token", "access_token"])
async def test_public_images_behind_a_token_server_are_listed_anonymously(
    tmp_path: Path, clients: Clients, token_field: str
) -> None:
    """Docker Hub's and GHCR's way for public images: the registry answers 401 with a bearer challenge even
    without credentials, and the token server gives anyone a pull-only token for the asked scope."""
    registry = await Registry(tmp_path, "token", {USER: PASSWORD}, anonymous_pull=True, token_field=token_field).start()
    try:
        await registry.push("team/app", *TAGS)
        assert registry.tokens is not None
        client = clients()
        listing = await client.list_tags(Repository.of(registry.host, "team/app"), None)
        assert sorted(listing.tags) == sorted(TAGS)
        assert registry.tokens.anonymous_tokens == 1
        assert registry.listings("team/app") == 1
    finally:
        registry.stop()


@requires_registry
async def test_an_unknown_repository_is_a_clear_error(tmp_path: Path, clients: Clients) -> None:
    registry = await start_registry(tmp_path, "none")
    try:
        with pytest.raises(RegistryError, match="does not exist") as missing:
            await clients().list_tags(Repository.of(registry.host, "team/nothing"))
        assert missing.value.status == 404
        assert missing.value.shown == REGISTRY_UNREACHABLE
    finally:
        registry.stop()


@pytest.mark.parametrize(
    ("registry", "repository", "base_url", "name"),
    [
        ("docker.io", "nginx", "https://registry-1.docker.io", "library/nginx"),
        ("docker.io", "bitnami/nginx", "https://registry-1.docker.io", "bitnami/nginx"),
        ("index.docker.io", "redis", "https://registry-1.docker.io", "library/redis"),
        ("ghcr.io", "janlauber/one-click", "https://ghcr.io", "janlauber/one-click"),
        ("quay.io", "prometheus/node-exporter", "https://quay.io", "prometheus/node-exporter"),
        ("registry.example.com:5000", "app", "https://registry.example.com:5000", "app"),
        ("localhost:5000", "app", "http://localhost:5000", "app"),
        ("127.0.0.1:5000", "team/app", "http://127.0.0.1:5000", "team/app"),
        ("docker.example.com", "app", "https://docker.example.com", "app"),  # One-Click took this for Docker Hub
    ],
)
def test_repository_addresses(registry: str, repository: str, base_url: str, name: str) -> None:
    found = Repository.of(registry, repository)
    assert (found.base_url, found.name) == (base_url, name)


def test_configured_insecure_registries_use_plain_http() -> None:
    assert (
        Repository.of("registry.lan:5000", "app", frozenset({"registry.lan:5000"})).base_url
        == "http://registry.lan:5000"
    )


class FlakyRegistry:
    """Answers tag lists (paged by ``n``/``last`` with Link headers, like Docker Hub) after a scripted
    series of failures; records when each request came."""

    def __init__(self, script: list[tuple[int, dict[str, str]]], tags: list[str] | None = None) -> None:
        self.script = list(script)
        self.tags = sorted(tags or ["1.0.0"])
        self.arrivals: list[float] = []
        self.authorizations: list[str | None] = []
        self.port = free_port()
        flaky = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                flaky.arrivals.append(time.monotonic())
                flaky.authorizations.append(self.headers.get("Authorization"))
                status, headers = flaky.script.pop(0) if flaky.script else (200, {})
                body = b'{"errors": []}'
                if status == 200:
                    query = parse_qs(urlsplit(self.path).query)
                    size, last = int(query.get("n", ["100"])[0]), query.get("last", [""])[0]
                    rest = [tag for tag in flaky.tags if tag > last]
                    body = json.dumps({"name": "app", "tags": rest[:size]}).encode()
                    if len(rest) > size and "Link" not in headers:
                        headers = {**headers, "Link": f'</v2/app/tags/list?last={rest[size - 1]}&n={size}>; rel="next"'}
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *_: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def flaky() -> Iterator[Callable[[list[tuple[int, dict[str, str]]]], FlakyRegistry]]:
    servers: list[FlakyRegistry] = []

    def make(script: list[tuple[int, dict[str, str]]], tags: list[str] | None = None) -> FlakyRegistry:
        servers.append(FlakyRegistry(script, tags))
        return servers[-1]

    yield make
    for server in servers:
        server.stop()


async def test_pages_are_followed_through_link_headers(clients: Clients, flaky: Callable[..., FlakyRegistry]) -> None:
    server = flaky([], TAGS)
    listing = await clients(page_size=10).list_tags(Repository.of(f"127.0.0.1:{server.port}", "app"))
    assert listing.tags == sorted(TAGS)
    assert (listing.requests, len(server.arrivals)) == (3, 3)


async def test_retry_after_is_honoured(clients: Clients, flaky: Callable[..., FlakyRegistry]) -> None:
    server = flaky([(429, {"Retry-After": "1"}), (503, {})])
    client = clients(retry=RetryPolicy(attempts=3, backoff=0.01))
    listing = await client.list_tags(Repository.of(f"127.0.0.1:{server.port}", "app"))
    assert listing.tags == ["1.0.0"]
    assert len(server.arrivals) == 3
    assert server.arrivals[1] - server.arrivals[0] >= 1.0  # waited as told, not the 10 ms backoff


async def test_gives_up_after_the_attempts_and_on_too_long_retry_after(
    clients: Clients, flaky: Callable[..., FlakyRegistry]
) -> None:
    failing = flaky([(503, {})] * 5)
    with pytest.raises(RegistryError, match="answered 503") as error:
        await clients(retry=RetryPolicy(attempts=3, backoff=0.01)).list_tags(
            Repository.of(f"127.0.0.1:{failing.port}", "app")
        )
    assert error.value.status == 503
    assert len(failing.arrivals) == 3
    patient = flaky([(429, {"Retry-After": "3600"})])
    with pytest.raises(RegistryError, match="retry after 3600s"):
        await clients(retry=RetryPolicy(attempts=3, max_retry_after=30)).list_tags(
            Repository.of(f"127.0.0.1:{patient.port}", "app")
        )
    assert len(patient.arrivals) == 1


async def test_an_unreachable_registry_is_a_clear_error_in_the_log(clients: Clients) -> None:
    with pytest.raises(RegistryError, match="could not be reached") as error:
        await clients(retry=RetryPolicy(attempts=2, backoff=0.01)).list_tags(
            Repository.of(f"127.0.0.1:{free_port()}", "app")
        )
    assert "ConnectError" in str(error.value)
    assert error.value.shown == REGISTRY_UNREACHABLE


async def test_a_next_link_to_another_host_is_not_followed(
    clients: Clients, flaky: Callable[..., FlakyRegistry]
) -> None:
    server = flaky([(200, {"Link": '<https://elsewhere.example/v2/app/tags/list?last=1.0.0>; rel="next"'})])
    with pytest.raises(RegistryError, match="another host"):
        await clients().list_tags(Repository.of(f"127.0.0.1:{server.port}", "app"))


@pytest.fixture
def recorders() -> Iterator[Callable[..., AcceptRecorder]]:
    made: list[AcceptRecorder] = []

    def make(speaks: Literal["http", "banner"] = "http", host: str = "127.0.0.1") -> AcceptRecorder:
        made.append(AcceptRecorder(speaks, host).start())
        return made[-1]

    yield make
    for recorder in made:
        recorder.stop()


async def test_refused_addresses_are_never_connected(
    clients: Clients, recorders: Callable[..., AcceptRecorder]
) -> None:
    http, banner = recorders("http"), recorders("banner")
    calls: list[tuple[str, str]] = []
    client = clients(AddressPolicy(), observe=lambda host, outcome: calls.append((host, outcome)))
    errors = []
    for registry in (
        http.address,
        banner.address,
        f"127.0.0.1:{free_port()}",
        f"localhost:{http.port}",
        "169.254.169.254",
        "10.0.0.1",
        "kubernetes.default.svc",
    ):
        with pytest.raises(RegistryError) as error:
            await client.list_tags(Repository.of(registry, "app"), CREDENTIALS)
        assert "AddressRefused" in str(error.value)
        errors.append((error.value.shown, error.value.status))
    assert set(errors) == {(REGISTRY_UNREACHABLE, None)}
    assert (http.accepted, banner.accepted) == (0, 0)
    assert {outcome for _, outcome in calls} == {"refused"}


async def test_a_port_of_another_protocol_reads_like_any_failure(
    clients: Clients, recorders: Callable[..., AcceptRecorder]
) -> None:
    """Inside an allowed network the updater does connect; what it finds there is still not told."""
    banner = recorders("banner")
    with pytest.raises(RegistryError) as error:
        await clients(retry=RetryPolicy(attempts=1)).list_tags(Repository.of(banner.address, "app"))
    assert banner.accepted == 1
    assert error.value.shown == REGISTRY_UNREACHABLE
    assert "could not be reached" in str(error.value)


async def test_redirects_are_followed_without_credentials_to_another_origin(
    clients: Clients, flaky: Callable[..., FlakyRegistry]
) -> None:
    target = flaky([], ["2.0.0"])
    front = flaky(
        [
            (401, {"WWW-Authenticate": 'Basic realm="x"'}),
            (307, {"Location": f"http://127.0.0.1:{target.port}/v2/app/tags/list"}),
        ]
    )
    listing = await clients().list_tags(Repository.of(f"127.0.0.1:{front.port}", "app"), CREDENTIALS)
    assert listing.tags == ["2.0.0"]
    assert front.authorizations[0] is None
    assert front.authorizations[1] is not None
    assert front.authorizations[1].startswith("Basic ")
    assert target.authorizations == [None]  # another port is another origin: the password stays behind


@pytest.mark.parametrize("where", ["127.0.0.2:{port}", "169.254.169.254", "10.0.0.1"])
async def test_a_redirect_to_a_refused_address_is_refused(
    clients: Clients, flaky: Callable[..., FlakyRegistry], recorders: Callable[..., AcceptRecorder], where: str
) -> None:
    elsewhere = recorders("http", host="127.0.0.2")
    front = flaky([(302, {"Location": f"http://{where.format(port=elsewhere.port)}/v2/app/tags/list"})])
    with pytest.raises(RegistryError, match="AddressRefused") as error:
        await clients().list_tags(Repository.of(f"127.0.0.1:{front.port}", "app"))
    assert error.value.shown == REGISTRY_UNREACHABLE
    assert len(front.arrivals) == 1
    assert elsewhere.accepted == 0


async def test_a_token_service_at_a_refused_address_is_refused(
    clients: Clients, flaky: Callable[..., FlakyRegistry], recorders: Callable[..., AcceptRecorder]
) -> None:
    tokens = recorders("http", host="127.0.0.2")
    front = flaky([(401, {"WWW-Authenticate": f'Bearer realm="http://{tokens.address}/token",service="x"'})])
    with pytest.raises(RegistryError, match="AddressRefused"):
        await clients().list_tags(Repository.of(f"127.0.0.1:{front.port}", "app"), CREDENTIALS)
    assert tokens.accepted == 0


async def test_endless_redirects_end(clients: Clients, flaky: Callable[..., FlakyRegistry]) -> None:
    loop = flaky([])
    loop.script = [(302, {"Location": f"http://127.0.0.1:{loop.port}/v2/app/tags/list"})] * 20
    with pytest.raises(RegistryError, match="redirected more than") as error:
        await clients().list_tags(Repository.of(f"127.0.0.1:{loop.port}", "app"))
    assert error.value.shown == REGISTRY_UNREACHABLE


async def test_a_name_that_does_not_resolve_reads_the_same_and_is_not_retried(clients: Clients) -> None:
    calls: list[tuple[str, str]] = []
    client = clients(
        AddressPolicy(),
        retry=RetryPolicy(attempts=4, backoff=5),
        observe=lambda host, outcome: calls.append((host, outcome)),
    )
    with pytest.raises(RegistryError, match="HostNotFound") as error:
        await client.list_tags(Repository.of("registry.nonexistent.invalid", "app"))
    assert error.value.shown == REGISTRY_UNREACHABLE
    assert calls == [("registry.nonexistent.invalid", "refused")]  # once: no backoff to wait out
