/** The cluster's storage and ingress classes, fetched once per page load (they rarely change). */
import { clusterInfo } from "./api";
import type { ClusterInfo } from "./types";

let cached: Promise<ClusterInfo> | null = null;

export function loadClusterInfo(): Promise<ClusterInfo> {
  cached ??= clusterInfo().catch(() => {
    cached = null;
    return { storageClasses: [], ingressClasses: [] };
  });
  return cached;
}
