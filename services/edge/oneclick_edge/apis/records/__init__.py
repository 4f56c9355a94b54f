"""The routes the records service answers: the One-Click collections' records and files, the blueprint
endpoints, realtime (SSE) and the tenancy policy in force.

The generic ``/api/collections/{collection}/...`` routes here are included after :mod:`oneclick_edge.apis.auth`,
whose literal users-collection paths must win.
"""

from __future__ import annotations

from oneclick_edge.apis import router_of
from oneclick_edge.apis.records import (
    blueprint_leave,
    blueprint_share,
    blueprint_view,
    realtime,
    record_create,
    record_delete,
    record_files,
    record_update,
    record_view,
    records_list,
    tenancy_view,
)

router = router_of(
    records_list,
    record_view,
    record_create,
    record_update,
    record_delete,
    record_files,
    blueprint_view,
    blueprint_share,
    blueprint_leave,
    realtime,
    tenancy_view,
)
