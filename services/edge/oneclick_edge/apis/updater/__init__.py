"""The routes the updater answers: an autoUpdate's check triggered now (by its owner or a CI webhook) and the
webhook's secret."""

from __future__ import annotations

from oneclick_edge.apis import router_of
from oneclick_edge.apis.updater import auto_update_trigger, auto_update_webhook_secret

router = router_of(auto_update_trigger, auto_update_webhook_secret)
