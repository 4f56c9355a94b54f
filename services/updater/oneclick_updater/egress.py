"""The HTTP client of the platform's registry calls: every connection goes only where the address policy allows.

The check sits where connections are made (httpcore's network backend), not in front of requests: the backend
resolves the host once, refuses it unless an address passes :class:`~oneclick_updater.addresses.AddressPolicy`,
and opens the TCP connection to that very address. There is no second lookup a rebinding DNS server could
answer differently, while the URL keeps the host name, so the ``Host`` header, TLS SNI, certificate
verification and connection reuse all stay those of the name. Every redirect hop and every token realm is a
new connection through the same backend. Environment proxies are not used: a proxy would resolve and connect
on its own, past the policy.
"""

from __future__ import annotations

import ipaddress
import socket
import time
from collections.abc import Iterable

import anyio
import httpcore
import httpx

from oneclick_updater.addresses import AddressPolicy, IPAddress, is_public

SocketOptions = Iterable[httpcore.SOCKET_OPTION]


class AddressRefused(Exception):
    """The policy refused the host, or every address it resolved to; the message says why (for the log)."""


class HostNotFound(Exception):
    """The host name did not resolve (or not in time)."""


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """httpcore's network backend that connects only to addresses the policy allows."""

    def __init__(self, policy: AddressPolicy, inner: httpcore.AsyncNetworkBackend | None = None) -> None:
        self._policy = policy
        self._inner = inner or httpcore.AnyIOBackend()

    async def vetted_addresses(self, host: str, port: int, timeout: float | None = None) -> list[IPAddress]:
        """The addresses of ``host`` a connection may go to, in the resolver's order; raises when there are none."""
        early = self._policy.refusal_before_lookup(host)
        if early is not None:
            raise AddressRefused(f"{host}: {early}")
        try:
            addresses: list[IPAddress] = [ipaddress.ip_address(host)]
        except ValueError:
            addresses = await _resolve(host, port, timeout)
        vetted: list[IPAddress] = []
        refusals: list[str] = []
        for address in addresses:
            reason = self._policy.refusal(host, address)
            if reason is None:
                vetted.append(address)
            else:
                refusals.append(f"{address}: {reason}")
        if not vetted:
            raise AddressRefused(f"{host} ({'; '.join(refusals)})")
        return vetted

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: SocketOptions | None = None,
    ) -> httpcore.AsyncNetworkStream:
        deadline = None if timeout is None else time.monotonic() + timeout
        addresses = await self.vetted_addresses(host, port, timeout)
        failure: Exception | None = None
        for address in addresses:
            left = None if deadline is None else max(deadline - time.monotonic(), 0.0)
            try:
                # An IP literal: the operating system connects to it without looking anything up.
                return await self._inner.connect_tcp(str(address), port, left, local_address, socket_options)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                failure = exc
        assert failure is not None
        raise failure

    async def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: SocketOptions | None = None
    ) -> httpcore.AsyncNetworkStream:
        raise AddressRefused("unix sockets are never a registry")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


async def _resolve(host: str, port: int, timeout: float | None) -> list[IPAddress]:
    try:
        with anyio.fail_after(timeout):
            infos = await anyio.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, TimeoutError, UnicodeError) as exc:
        raise HostNotFound(f"{host}: {type(exc).__name__}: {exc}") from None
    found: list[IPAddress] = []
    for info in infos:
        address = ipaddress.ip_address(str(info[4][0]))
        if address not in found:
            found.append(address)
    if not found:
        raise HostNotFound(f"{host}: no address")
    return found


class GuardedTransport(httpx.AsyncHTTPTransport):
    """httpx's HTTP transport with its connections opened by :class:`GuardedBackend`."""

    def __init__(
        self,
        policy: AddressPolicy,
        *,
        limits: httpx.Limits | None = None,
        backend: httpcore.AsyncNetworkBackend | None = None,
    ) -> None:
        limits = limits or httpx.Limits(max_connections=100, max_keepalive_connections=20, keepalive_expiry=5.0)
        super().__init__(limits=limits)
        # httpx has no parameter for the network backend, so its pool is replaced by the one it would have made
        # with ours in it (SSL_CERT_FILE / SSL_CERT_DIR still honoured, for in-house registries' CAs). The
        # updater's tests prove that requests go through the guard.
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=httpx.create_ssl_context(),
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=GuardedBackend(policy, backend),
        )


def guarded_client(policy: AddressPolicy, *, timeout: float, user_agent: str) -> httpx.AsyncClient:
    """A client for registry calls: policy-checked connections, redirects left to the caller (each hop is a new
    request, checked again), no environment proxies."""
    return httpx.AsyncClient(
        transport=GuardedTransport(policy),
        timeout=timeout,
        follow_redirects=False,
        trust_env=False,
        headers={"User-Agent": user_agent},
    )


def peer_address(response: httpx.Response) -> IPAddress | None:
    """The address the response came from (None when the transport does not say)."""
    stream = response.extensions.get("network_stream")
    peer = stream.get_extra_info("server_addr") if stream is not None else None
    if not isinstance(peer, tuple) or not peer:
        return None
    try:
        return ipaddress.ip_address(str(peer[0]))
    except ValueError:
        return None


def from_public_address(response: httpx.Response) -> bool:
    """Whether the response came from a public address (not one reached only because the operator allowed it)."""
    peer = peer_address(response)
    return peer is not None and is_public(peer)
