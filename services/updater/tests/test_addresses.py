"""The registry address policy, table by table: which addresses and names registry calls may reach.

The resolver cases use only IP literals and ``localhost`` (from /etc/hosts), so they need no network.
"""

from __future__ import annotations

import ipaddress

import httpcore
import pytest

from oneclick_core.tenancy import TenancySettings
from oneclick_updater.addresses import AddressPolicy, address_refusal, embedded_ipv4, is_public, name_refusal
from oneclick_updater.egress import AddressRefused, GuardedBackend, HostNotFound
from oneclick_updater.settings import UpdaterSettings

REFUSED = [
    ("127.0.0.1", "loopback"),
    ("127.255.255.254", "loopback"),
    ("::1", "loopback"),
    ("169.254.169.254", "link-local"),  # cloud metadata
    ("169.254.0.1", "link-local"),
    ("fe80::1", "link-local"),
    ("10.0.0.1", "private"),
    ("172.16.0.1", "private"),
    ("172.31.255.254", "private"),
    ("192.168.1.1", "private"),
    ("100.64.0.1", "carrier-grade NAT"),
    ("100.127.255.254", "carrier-grade NAT"),
    ("fc00::1", "unique-local"),
    ("fd12:3456:789a::1", "unique-local"),
    ("fec0::1", "unique-local"),  # deprecated site-local
    ("0.0.0.0", "unspecified"),
    ("::", "unspecified"),
    ("224.0.0.1", "multicast"),
    ("239.255.255.250", "multicast"),
    ("ff02::1", "multicast"),
    ("ff0e::1", "multicast"),
    ("240.0.0.1", "reserved"),
    ("255.255.255.255", ""),
    ("0.1.2.3", ""),  # "this network"
    ("192.0.2.10", ""),  # documentation
    ("198.18.0.1", ""),  # benchmarking
    ("2001:db8::1", ""),  # documentation
    # IPv6 spellings of IPv4 addresses are judged by the IPv4 address inside.
    ("::ffff:127.0.0.1", "loopback"),
    ("::ffff:169.254.169.254", "link-local"),
    ("::ffff:10.0.0.1", "private"),
    ("::ffff:100.64.0.1", "carrier-grade NAT"),
    ("64:ff9b::a00:1", "private"),  # NAT64 of 10.0.0.1
    ("64:ff9b::7f00:1", "loopback"),
    ("2002:a9fe:a9fe::1", "link-local"),  # 6to4 of 169.254.169.254
    ("::7f00:1", ""),  # IPv4-compatible (deprecated) ::127.0.0.1
]

PUBLIC = [
    "8.8.8.8",
    "1.1.1.1",
    "140.82.121.33",
    "100.63.255.255",
    "100.128.0.1",
    "172.32.0.1",
    "11.0.0.1",
    "2606:4700:4700::1111",
    "2a00:1450:4001::1",
    "::ffff:8.8.8.8",
    "64:ff9b::808:808",
    "2002:808:808::1",
]


@pytest.mark.parametrize(("address", "reason"), REFUSED)
def test_non_public_addresses_are_refused(address: str, reason: str) -> None:
    refusal = address_refusal(ipaddress.ip_address(address))
    assert refusal is not None
    assert reason in refusal
    assert not is_public(ipaddress.ip_address(address))
    assert AddressPolicy().refusal("registry.example.com", ipaddress.ip_address(address)) is not None


@pytest.mark.parametrize("address", PUBLIC)
def test_public_addresses_pass(address: str) -> None:
    assert address_refusal(ipaddress.ip_address(address)) is None
    assert AddressPolicy().refusal("registry.example.com", ipaddress.ip_address(address)) is None


def test_embedded_ipv4_addresses() -> None:
    assert embedded_ipv4(ipaddress.ip_address("::ffff:10.1.2.3")) == ipaddress.IPv4Address("10.1.2.3")
    assert embedded_ipv4(ipaddress.ip_address("64:ff9b::a01:203")) == ipaddress.IPv4Address("10.1.2.3")
    assert embedded_ipv4(ipaddress.ip_address("2002:a01:203::")) == ipaddress.IPv4Address("10.1.2.3")
    assert embedded_ipv4(ipaddress.ip_address("2606:4700::1")) is None
    assert embedded_ipv4(ipaddress.ip_address("10.1.2.3")) is None


@pytest.mark.parametrize(
    "host",
    [
        "kubernetes",
        "kubernetes.default",
        "kubernetes.default.svc",
        "kubernetes.default.svc.cluster.local",
        "KUBERNETES.Default.",
        "registry.tools.svc",
        "registry.tools.svc.cluster.local",
        "anything.cluster.local",
        "registry.tools.svc.k8s.example.com",
        "registry",
        "localhost",
        "localhost.",
        "registry.localhost",
        "printer.local",
        "metadata.google.internal",
        "nas.home.arpa",
    ],
)
def test_cluster_internal_and_private_use_names_are_refused(host: str) -> None:
    assert name_refusal(host) is not None
    # Even when the name resolves to a public address.
    assert AddressPolicy().refusal(host, ipaddress.ip_address("8.8.8.8")) is not None


@pytest.mark.parametrize(
    "host",
    [
        "ghcr.io",
        "registry-1.docker.io",
        "quay.io",
        "registry.example.com",
        "svc.example.com",
        "my.svc.example.com",
        "cluster.local.example.com",
        "kubernetes.io",
        "registry.gitlab.com",
        "8.8.8.8",
        "[2606:4700::1]",
        "2606:4700::1",
    ],
)
def test_ordinary_names_and_ip_literals_are_no_special_names(host: str) -> None:
    assert name_refusal(host) is None


def test_allowed_networks_let_private_addresses_and_names_through() -> None:
    policy = AddressPolicy((ipaddress.ip_network("10.0.0.0/8"), ipaddress.ip_network("fd00::/8")))
    assert policy.refusal("registry.corp.example", ipaddress.ip_address("10.1.2.3")) is None
    assert policy.refusal("registry.tools.svc", ipaddress.ip_address("10.96.0.20")) is None
    assert policy.refusal("registry.corp.example", ipaddress.ip_address("::ffff:10.1.2.3")) is None
    assert policy.refusal("registry.corp.example", ipaddress.ip_address("fd00::5")) is None
    assert policy.refusal("registry.corp.example", ipaddress.ip_address("192.168.1.1")) is not None
    assert policy.refusal("registry.corp.example", ipaddress.ip_address("169.254.169.254")) is not None
    # A cluster name is still refused when it resolves outside the allowed networks, public or not.
    assert policy.refusal("kubernetes.default.svc", ipaddress.ip_address("8.8.8.8")) is not None
    assert policy.refusal_before_lookup("kubernetes.default.svc") is None  # it has to be looked up first
    assert AddressPolicy().refusal_before_lookup("kubernetes.default.svc") is not None


def test_everything_is_allowed_with_a_star() -> None:
    policy = AddressPolicy("*")
    for host, address in [
        ("localhost", "127.0.0.1"),
        ("kubernetes.default.svc", "10.96.0.1"),
        ("x.example.com", "169.254.169.254"),
        ("x.example.com", "::1"),
    ]:
        assert policy.refusal(host, ipaddress.ip_address(address)) is None


def test_the_settings_make_the_policy(monkeypatch: pytest.MonkeyPatch) -> None:
    assert issubclass(UpdaterSettings, TenancySettings)
    assert UpdaterSettings().address_policy() == AddressPolicy(())
    monkeypatch.setenv("ONECLICK_TENANCY_REGISTRY_ALLOWED_NETWORKS", "127.0.0.1/32, 10.0.0.0/8")
    assert UpdaterSettings().address_policy() == AddressPolicy(
        (ipaddress.ip_network("127.0.0.1/32"), ipaddress.ip_network("10.0.0.0/8"))
    )
    monkeypatch.setenv("ONECLICK_TENANCY_REGISTRY_ALLOWED_NETWORKS", "*")
    assert UpdaterSettings().address_policy() == AddressPolicy("*")


class RecordingBackend(httpcore.AsyncNetworkBackend):
    """Stands behind the guard and records where it was asked to connect (it never connects)."""

    def __init__(self) -> None:
        self.asked: list[tuple[str, int]] = []

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: object = None,
    ) -> httpcore.AsyncNetworkStream:
        self.asked.append((host, port))
        raise httpcore.ConnectError("recorded")


@pytest.mark.parametrize(
    "host",
    [
        "127.0.0.1",
        "localhost",
        "10.0.0.1",
        "169.254.169.254",
        "::ffff:127.0.0.1",
        "kubernetes.default.svc",
        "0.0.0.0",
        "2130706433",
    ],
)
async def test_the_guard_refuses_before_connecting(host: str) -> None:
    inner = RecordingBackend()
    guard = GuardedBackend(AddressPolicy(), inner)
    with pytest.raises(AddressRefused):
        await guard.connect_tcp(host, 5000, timeout=5)
    assert inner.asked == []


async def test_the_guard_connects_to_the_address_it_checked() -> None:
    inner = RecordingBackend()
    guard = GuardedBackend(AddressPolicy((ipaddress.ip_network("127.0.0.0/8"),)), inner)
    with pytest.raises(httpcore.ConnectError):
        await guard.connect_tcp("localhost", 5000, timeout=5)
    # The resolved address, not the name: the operating system does not look the name up a second time.
    assert inner.asked == [("127.0.0.1", 5000)]
    assert await guard.vetted_addresses("localhost", 5000) == [ipaddress.ip_address("127.0.0.1")]
    # A decimal spelling of an address is resolved (by the system's own parser) before it is judged.
    assert await guard.vetted_addresses("2130706433", 5000) == [ipaddress.ip_address("127.0.0.1")]


async def test_names_are_judged_by_the_addresses_they_resolve_to() -> None:
    """With a network allowed, names are looked up and every address they resolve to is judged: ``localhost``
    resolves to loopback, which 10.0.0.0/8 does not cover."""
    inner = RecordingBackend()
    guard = GuardedBackend(AddressPolicy((ipaddress.ip_network("10.0.0.0/8"),)), inner)
    with pytest.raises(AddressRefused, match=r"127\.0\.0\.1: loopback address"):
        await guard.connect_tcp("localhost", 5000, timeout=5)
    assert inner.asked == []


async def test_a_name_that_does_not_resolve_is_no_connection_either() -> None:
    inner = RecordingBackend()
    guard = GuardedBackend(AddressPolicy(), inner)
    with pytest.raises(HostNotFound):
        await guard.connect_tcp("registry.nonexistent.invalid", 443, timeout=5)  # .invalid never resolves
    assert inner.asked == []
