"""NetworkPolicy (networking.k8s.io/v1): the API server's defaulting and validation. Policies are stored and
served; kubesim moves no packets, so they have no effect on anything."""

from __future__ import annotations

import ipaddress
import re
from typing import Any

from kubesim import validation
from kubesim.status import Cause

JSON = dict[str, Any]

PROTOCOLS = ("TCP", "UDP", "SCTP")
POLICY_TYPES = ("Ingress", "Egress")
_PORT_NAME_CHARSET = re.compile(r"^[-a-z0-9]+$")
_PORT_NAME_LETTER = re.compile(r"[a-z]")


def default_network_policy(obj: JSON) -> None:
    """A policy without policyTypes is an Ingress policy (and an Egress one when it has egress rules); ports
    without a protocol are TCP."""
    spec = obj.setdefault("spec", {})
    if not isinstance(spec, dict):
        return
    spec.setdefault("podSelector", {})
    if not spec.get("policyTypes"):
        spec["policyTypes"] = ["Ingress", "Egress"] if spec.get("egress") else ["Ingress"]
    for direction in ("ingress", "egress"):
        for rule in spec.get(direction) or []:
            for port in (rule or {}).get("ports") or []:
                if isinstance(port, dict):
                    port.setdefault("protocol", "TCP")


def _port_name_problems(name: str) -> list[str]:
    problems = []
    if len(name) > 15:
        problems.append("must be no more than 15 characters")
    if not _PORT_NAME_CHARSET.match(name):
        problems.append("must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)")
    if not _PORT_NAME_LETTER.search(name):
        problems.append("must contain at least one letter (a-z)")
    if "--" in name:
        problems.append("must not contain consecutive hyphens")
    if name and (name[0] == "-" or name[-1] == "-"):
        problems.append("must not begin or end with a hyphen")
    return problems


def _port_number_problems(number: Any) -> list[str]:
    if not isinstance(number, int) or isinstance(number, bool) or not 1 <= number <= 65535:
        return ["must be between 1 and 65535, inclusive"]
    return []


def _validate_port(port: Any, path: str) -> list[Cause]:
    port = port if isinstance(port, dict) else {}
    causes: list[Cause] = []
    protocol = port.get("protocol")
    if protocol is not None and protocol not in PROTOCOLS:
        causes.append(validation.not_supported(f"{path}.protocol", protocol, PROTOCOLS))
    number, end = port.get("port"), port.get("endPort")
    if number is not None:
        if isinstance(number, int) and not isinstance(number, bool):
            causes += [validation.invalid_value(f"{path}.port", number, p) for p in _port_number_problems(number)]
            if end is not None:
                if isinstance(end, int) and end < number:
                    causes.append(
                        validation.invalid_value(f"{path}.endPort", number, "must be greater than or equal to `port`")
                    )
                causes += [validation.invalid_value(f"{path}.endPort", end, p) for p in _port_number_problems(end)]
        else:
            if end is not None:
                causes.append(
                    validation.invalid_value(f"{path}.endPort", end, "may not be specified when `port` is non-numeric")
                )
            causes += [
                validation.invalid_value(f"{path}.port", str(number), p) for p in _port_name_problems(str(number))
            ]
    elif end is not None:
        causes.append(
            validation.invalid_value(f"{path}.endPort", end, "may not be specified when `port` is not specified")
        )
    return causes


def _network(text: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
    if "/" not in text:
        return None
    try:
        return ipaddress.ip_network(text, strict=False)
    except ValueError:
        return None


def _validate_ip_block(block: Any, path: str) -> list[Cause]:
    block = block if isinstance(block, dict) else {}
    cidr = str(block.get("cidr") or "")
    if not cidr:
        return [validation.required(f"{path}.cidr")]
    network = _network(cidr)
    if network is None:
        return [validation.invalid_value(f"{path}.cidr", cidr, "not a valid CIDR")]
    causes: list[Cause] = []
    for index, text in enumerate(block.get("except") or []):
        where = f"{path}.except[{index}]"
        excluded = _network(str(text))
        if excluded is None:
            causes.append(validation.invalid_value(where, str(text), "not a valid CIDR"))
            return causes
        if (
            excluded.version != network.version
            or excluded.network_address not in network
            or network.prefixlen >= excluded.prefixlen
        ):
            causes.append(validation.invalid_value(where, str(text), "must be a strict subset of `cidr`"))
    return causes


def _validate_peer(peer: Any, path: str) -> list[Cause]:
    peer = peer if isinstance(peer, dict) else {}
    causes: list[Cause] = []
    present = 0
    for key in ("podSelector", "namespaceSelector"):
        if peer.get(key) is not None:
            present += 1
            causes += validation.label_selector(peer[key], f"{path}.{key}")
    if peer.get("ipBlock") is not None:
        present += 1
        causes += _validate_ip_block(peer["ipBlock"], f"{path}.ipBlock")
    if present == 0:
        causes.append(validation.required(path, "must specify a peer"))
    elif present > 1 and peer.get("ipBlock") is not None:
        causes.append(validation.forbidden(path, "may not specify both ipBlock and another peer"))
    return causes


def validate_network_policy(obj: JSON) -> list[Cause]:
    spec = obj.get("spec")
    if not isinstance(spec, dict):
        return [validation.required("spec")]
    causes = validation.label_selector(spec.get("podSelector") or {}, "spec.podSelector")
    for direction, peers_key in (("ingress", "from"), ("egress", "to")):
        for index, rule in enumerate(spec.get(direction) or []):
            rule = rule if isinstance(rule, dict) else {}
            path = f"spec.{direction}[{index}]"
            for port_index, port in enumerate(rule.get("ports") or []):
                causes += _validate_port(port, f"{path}.ports[{port_index}]")
            for peer_index, peer in enumerate(rule.get(peers_key) or []):
                causes += _validate_peer(peer, f"{path}.{peers_key}[{peer_index}]")
    types = spec.get("policyTypes") or []
    if len(types) > len(POLICY_TYPES):
        listed = ", ".join(f'"{t}"' for t in types)
        causes.append(
            Cause(
                "FieldValueInvalid",
                f"Invalid value: []networking.PolicyType{{{listed}}}: may not specify more than two policyTypes",
                "spec.policyTypes",
            )
        )
        return causes
    for index, kind in enumerate(types):
        if kind not in POLICY_TYPES:
            causes.append(validation.not_supported(f"spec.policyTypes[{index}]", kind, POLICY_TYPES))
    return causes
