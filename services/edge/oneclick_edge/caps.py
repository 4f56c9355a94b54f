"""Per-user caps on the long-lived connections of one edge replica (live WebSockets, realtime SSE).

Each open connection costs the replica a task, queues and subscriptions for as long as it lasts, so one user
(or one stolen token) opening them in a loop could starve everyone else. Each kind of connection is counted
per user and per replica (a replica cannot see the others' connections, and a load balancer spreads them
anyway); the next one past ``ONECLICK_TENANCY_MAX_CONNECTIONS_PER_USER`` is refused — HTTP 429 for realtime,
close code 4429 for a WebSocket — until one of them ends.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from oneclick_core.contracts.auth import Actor
from oneclick_core.errors import ApiError

TOO_MANY_CONNECTIONS = "Too many open connections for this account; close one and try again."


def too_many_connections() -> ApiError:
    """The refusal as an HTTP answer (the edge adds ``Retry-After`` to every 429)."""
    return ApiError(429, TOO_MANY_CONNECTIONS)


@dataclass(eq=False)
class Slot:
    """One connection's place under its user's cap, held until :meth:`release` (which may be called again)."""

    cap: ConnectionCap
    key: str
    released: bool = False

    def release(self) -> None:
        if not self.released:
            self.released = True
            self.cap.give_back(self.key)


@dataclass(eq=False)
class ConnectionCap:
    """How many connections of one kind each user holds on this replica, at most ``limit``."""

    limit: int
    _held: dict[str, int] = field(default_factory=dict)

    def take(self, actor: Actor) -> Slot | None:
        """A slot for one more connection of ``actor``, or None when it already holds ``limit`` of them."""
        key = f"{actor.collection}/{actor.id}"
        held = self._held.get(key, 0)
        if held >= self.limit:
            return None
        self._held[key] = held + 1
        return Slot(self, key)

    def held(self, actor: Actor) -> int:
        return self._held.get(f"{actor.collection}/{actor.id}", 0)

    def give_back(self, key: str) -> None:
        remaining = self._held.get(key, 0) - 1
        if remaining > 0:
            self._held[key] = remaining
        else:
            self._held.pop(key, None)
