"""The registry address policy: which hosts and addresses the platform's own registry calls may reach.

A tenant chooses ``spec.image.registry``, so without a policy the updater would connect wherever a tenant
points it: the platform's loopback, the cloud metadata service (169.254.169.254), the cluster's API server
and services, the company network behind it. Every address a registry call would connect to must be a public
one, and a host must not be a cluster-internal or private-use name, unless the address lies inside the
networks the operator allowed (``ONECLICK_TENANCY_REGISTRY_ALLOWED_NETWORKS``, for in-house registries;
``*`` allows everything).

Pure: no I/O here (``oneclick_updater.egress`` resolves names and connects only to addresses this allowed).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
AllowedNetworks = Sequence[Network] | Literal["*"]

_SHARED = ipaddress.IPv4Network("100.64.0.0/10")  # RFC 6598, carrier-grade NAT
_UNIQUE_LOCAL = ipaddress.IPv6Network("fc00::/7")
# DNS64 synthesizes these for IPv4-only hosts in IPv6-only clusters; the IPv4 address inside is what is reached.
_NAT64 = (ipaddress.IPv6Network("64:ff9b::/96"), ipaddress.IPv6Network("64:ff9b:1::/48"))

# Suffixes of names that only mean something inside a cluster or a private network: Kubernetes services and
# the cluster domain, and the special-use / private-use names (RFC 6761 ``localhost``, mDNS ``local``,
# ICANN's ``internal``, ``home.arpa``).
_PRIVATE_SUFFIXES = (".svc", ".cluster.local", ".localhost", ".local", ".internal", ".home.arpa")


def embedded_ipv4(address: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address stands for (IPv4-mapped, 6to4, NAT64), if it is one of those forms."""
    if isinstance(address, ipaddress.IPv4Address):
        return None
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if any(address in prefix for prefix in _NAT64):
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def address_refusal(address: IPAddress) -> str | None:
    """Why ``address`` is not a public one (None: it is), in words for the service log."""
    inner = embedded_ipv4(address)
    if inner is not None:
        reason = address_refusal(inner)
        return f"{reason} ({inner} inside an IPv6 address)" if reason else None
    if address.is_unspecified:
        return "unspecified address"
    if address.is_loopback:
        return "loopback address"
    if address.is_link_local:
        return "link-local address"
    if address.is_multicast:
        return "multicast address"
    if isinstance(address, ipaddress.IPv4Address) and address in _SHARED:
        return "shared (carrier-grade NAT) address"
    if isinstance(address, ipaddress.IPv6Address) and (address in _UNIQUE_LOCAL or address.is_site_local):
        return "unique-local address"
    if address.is_reserved:
        return "reserved address"
    if address.is_private:
        return "private address"
    if not address.is_global:
        return "address that is not globally routable"
    return None


def is_public(address: IPAddress) -> bool:
    """Whether anybody on the internet could reach ``address`` too (it needs no exception of the operator's)."""
    return address_refusal(address) is None


def _is_ip_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


def name_refusal(host: str) -> str | None:
    """Why ``host`` is a cluster-internal or private-use name (None: it is not, or it is an IP literal)."""
    if _is_ip_literal(host):
        return None
    name = host.lower().rstrip(".")
    if "." not in name:
        # Single labels (``kubernetes``, ``registry``, ``localhost``) resolve through the search domains: in a
        # pod those are the cluster's own (``<name>.<namespace>.svc.cluster.local``).
        return "single-label name (resolved through the cluster's search domains)"
    if name == "kubernetes.default" or name.startswith("kubernetes.default."):
        return "the cluster's API server"
    labels = name.split(".")
    if name.endswith(_PRIVATE_SUFFIXES) or (len(labels) > 3 and labels[2] == "svc"):
        # ``<service>.<namespace>.svc.<cluster domain>`` whatever the cluster domain is called.
        return "cluster-internal or private-use name"
    return None


@dataclass(frozen=True)
class AddressPolicy:
    """Which (host, address) pairs the platform's registry calls may connect to."""

    allowed: AllowedNetworks = ()

    def allowed_explicitly(self, address: IPAddress) -> bool:
        """Whether ``address`` is inside the networks the operator allowed."""
        if self.allowed == "*":
            return True
        candidates: list[IPAddress] = [address]
        inner = embedded_ipv4(address)
        if inner is not None:
            candidates.append(inner)
        return any(
            candidate.version == network.version and candidate in network
            for candidate in candidates
            for network in self.allowed
        )

    def refusal_before_lookup(self, host: str) -> str | None:
        """A refusal that needs no DNS answer: a cluster-internal name while no network is allowed, whatever
        it resolves to (so such names are not even looked up)."""
        if self.allowed == "*" or self.allowed:
            return None
        return name_refusal(host)

    def refusal(self, host: str, address: IPAddress) -> str | None:
        """Why connecting to ``address`` (which ``host`` resolved to) is refused; None when it is allowed."""
        if self.allowed_explicitly(address):
            return None
        return address_refusal(address) or name_refusal(host)
