"""The cluster reads and actions the k8s-executor answers (status, metrics, events, deleting a pod or a job,
cluster-info), each authorized per project by records first."""

from __future__ import annotations

from oneclick_edge.apis import router_of
from oneclick_edge.apis.cluster import cluster_info, object_delete, rollout_events, rollout_metrics, rollout_status

router = router_of(rollout_status, rollout_metrics, rollout_events, object_delete, cluster_info)
