"""The live views streaming feeds: the resource map, logs and events WebSockets and the chunked log stream
(the shared machinery behind them is :mod:`oneclick_edge.live`)."""

from __future__ import annotations

from oneclick_edge.apis import router_of
from oneclick_edge.apis.live import rollout_logs, ws_k8s_events, ws_k8s_logs, ws_k8s_rollouts

router = router_of(ws_k8s_rollouts, ws_k8s_logs, ws_k8s_events, rollout_logs)
