/**
 * One-Click's custom endpoints (beside the collections, which go through `pb.collection`). All go through
 * `pb.send`, so they carry the token and fail with the SDK's ClientResponseError in PocketBase's shape.
 */
import { pb } from "./pb";
import type { BlueprintRecord, ClusterInfo, KubeEvent, PodMetrics, RolloutStatus, TenancyView } from "./types";

const seg = encodeURIComponent;

export function rolloutStatus(projectId: string, deploymentId: string): Promise<RolloutStatus> {
  return pb.send(`/pb/${seg(projectId)}/${seg(deploymentId)}/status`, { method: "GET" });
}

export function rolloutMetrics(projectId: string, deploymentId: string): Promise<{ metrics: PodMetrics[] | null }> {
  return pb.send(`/pb/${seg(projectId)}/${seg(deploymentId)}/metrics`, { method: "GET" });
}

export function rolloutEvents(projectId: string, deploymentId: string): Promise<{ events: KubeEvent[] | null }> {
  return pb.send(`/pb/${seg(projectId)}/${seg(deploymentId)}/events`, { method: "GET" });
}

export function clusterInfo(): Promise<ClusterInfo> {
  return pb.send("/pb/cluster-info", { method: "GET" });
}

/** The tenancy policy in force and the projects with limits of their own (superusers only). */
export function tenancy(): Promise<TenancyView> {
  return pb.send("/api/tenancy", { method: "GET" });
}

export function deletePod(projectId: string, podName: string): Promise<string> {
  return pb.send(`/pb/${seg(projectId)}/pod/${seg(podName)}`, { method: "DELETE" });
}

export function deleteJob(projectId: string, jobName: string): Promise<string> {
  return pb.send(`/pb/${seg(projectId)}/job/${seg(jobName)}`, { method: "DELETE" });
}

/** The log of a pod as a plain link (downloads follow it with the `pb_auth` cookie). */
export function podLogUrl(projectId: string, podName: string): string {
  return `/pb/${seg(projectId)}/${seg(podName)}/logs`;
}

/** Add the caller to a blueprint's users: the share link is the invitation. */
export function joinSharedBlueprint(id: string): Promise<BlueprintRecord> {
  return pb.send(`/pb/blueprints/shared/${seg(id)}`, { method: "POST" });
}

/**
 * Take the caller off a blueprint shared with it ("leave": the share link undone; idempotent). The answer is
 * the blueprint as the caller now reads it; a private one is no longer the caller's to see after this.
 */
export function leaveSharedBlueprint(id: string): Promise<BlueprintRecord> {
  return pb.send(`/pb/blueprints/shared/${seg(id)}`, { method: "DELETE" });
}

export interface CheckResult {
  check?: { outcome?: string; tag?: string; message?: string; [key: string]: unknown };
  [key: string]: unknown;
}

export function checkAutoUpdateNow(id: string): Promise<CheckResult> {
  return pb.send(`/pb/auto-update/${seg(id)}`, { method: "POST" });
}

export interface WebhookSecret {
  secret: string | null;
  [key: string]: unknown;
}

export function webhookSecret(id: string, rotate = false): Promise<WebhookSecret> {
  return pb.send(`/pb/auto-update/${seg(id)}/webhook-secret`, { method: rotate ? "POST" : "GET" });
}

export function webhookUrl(id: string): string {
  return `${location.origin}/pb/auto-update/${id}`;
}

export interface HealthReport {
  code?: number;
  status?: number;
  message: string;
  data: { services?: Record<string, { status: string; instance?: string; version?: string; message?: string }> };
}

/** `/api/health` answers 503 with the same report when a service is down; both are a report here. */
export async function health(): Promise<HealthReport> {
  const response = await fetch("/api/health", { headers: { Accept: "application/json" } });
  return (await response.json()) as HealthReport;
}
