"""The edge's settings: trusted proxies are addresses or networks, so a typo fails at start, not silently."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from oneclick_edge.settings import EdgeSettings


def test_trusted_proxies_take_addresses_networks_and_any() -> None:
    assert EdgeSettings().trusted_proxies == "127.0.0.1"
    assert EdgeSettings(trusted_proxies=" 10.0.0.0/8, ::1,192.0.2.7 ").trusted_proxies == "10.0.0.0/8,::1,192.0.2.7"
    assert EdgeSettings(trusted_proxies="*").trusted_proxies == "*"


@pytest.mark.parametrize("value", ["10.0.0.0/33", "ingress-nginx", "10.0.0.1;rm"])
def test_anything_else_is_refused(value: str) -> None:
    with pytest.raises(ValidationError, match="neither an IP address"):
        EdgeSettings(trusted_proxies=value)
