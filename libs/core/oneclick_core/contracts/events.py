"""Domain events (``oneclick.events.<aggregate>.<verb>``). Each later feature declares its events here.

Payloads never carry secret values; the catalog test checks that no field is named like one.
"""

from __future__ import annotations

from typing import Any

from oneclick_core.contracts.auth import USER_EVENTS
from oneclick_core.contracts.envelope import EventSpec
from oneclick_core.contracts.executor import EXECUTOR_EVENTS
from oneclick_core.contracts.records import RECORD_EVENTS
from oneclick_core.contracts.updater import UPDATER_EVENTS

# The registry the catalog and the consumers' filters are built from; append specs as features land.
EVENTS: tuple[EventSpec[Any], ...] = (*USER_EVENTS, *RECORD_EVENTS.values(), *EXECUTOR_EVENTS, *UPDATER_EVENTS)
