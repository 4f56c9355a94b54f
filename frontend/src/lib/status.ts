/**
 * Health of Kubernetes objects as colours and words, and the deployment's rollout indicator
 * ("running", "rollout in progress", "failed: ImagePullBackOff") derived from the live objects.
 */
import type { KubeObject, RolloutRecord, RolloutStatus } from "./types";

export type Health = "ok" | "progress" | "error" | "idle";

export interface HealthView {
  health: Health;
  label: string;
}

// Waiting reasons after which a container will not start by itself (what kubelet reports).
const FAILING = new Set([
  "ErrImagePull",
  "ImagePullBackOff",
  "InvalidImageName",
  "ErrImageNeverPull",
  "RegistryUnavailable",
  "CrashLoopBackOff",
  "CreateContainerConfigError",
  "CreateContainerError",
  "RunContainerError",
  "PreStartHookError",
  "PostStartHookError",
  "ContainerCannotRun",
  "StartError",
  "OOMKilled"
]);

interface ContainerStatus {
  ready?: boolean;
  restartCount?: number;
  state?: { waiting?: { reason?: string }; terminated?: { reason?: string; exitCode?: number }; running?: unknown };
}

function containers(pod: KubeObject): ContainerStatus[] {
  const status = pod.status ?? {};
  return [...(status.initContainerStatuses ?? []), ...(status.containerStatuses ?? [])] as ContainerStatus[];
}

export function podHealth(pod: KubeObject): HealthView {
  if (pod.metadata.deletionTimestamp) return { health: "progress", label: "Terminating" };
  const phase: string = pod.status?.phase ?? "Pending";
  if (phase === "Failed") return { health: "error", label: pod.status?.reason || "Failed" };
  if (phase === "Succeeded") return { health: "ok", label: "Completed" };
  for (const c of containers(pod)) {
    const waiting = c.state?.waiting?.reason;
    if (waiting && FAILING.has(waiting)) return { health: "error", label: waiting };
    const terminated = c.state?.terminated;
    if (terminated && terminated.exitCode && !c.ready) return { health: "error", label: terminated.reason || "Error" };
  }
  if (phase === "Pending") {
    const waiting = containers(pod).find((c) => c.state?.waiting?.reason)?.state?.waiting?.reason;
    const unschedulable = (pod.status?.conditions ?? []).find(
      (c: { type: string; status: string; reason?: string }) => c.type === "PodScheduled" && c.status === "False"
    );
    return { health: "progress", label: unschedulable?.reason || waiting || "Pending" };
  }
  if (phase === "Running") {
    const all = (pod.status?.containerStatuses ?? []) as ContainerStatus[];
    if (all.length && all.every((c) => c.ready)) return { health: "ok", label: "Running" };
    const waiting = all.find((c) => c.state?.waiting?.reason)?.state?.waiting?.reason;
    return { health: "progress", label: waiting || "Not ready" };
  }
  return { health: "idle", label: phase };
}

export function podRestarts(pod: KubeObject): number {
  return ((pod.status?.containerStatuses ?? []) as ContainerStatus[]).reduce((n, c) => n + (c.restartCount ?? 0), 0);
}

interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
}

function conditions(object: KubeObject): Condition[] {
  return (object.status?.conditions ?? []) as Condition[];
}

/** The health of any object the resource map shows, by One-Click's kind name. */
export function objectHealth(kind: string, object: KubeObject): HealthView {
  const status = object.status ?? {};
  const spec = object.spec ?? {};
  switch (kind) {
    case "pod":
      return podHealth(object);
    case "deployment": {
      const failure = deploymentFailure(object);
      if (failure) return { health: "error", label: failure };
      const desired = spec.replicas ?? 1;
      const ready = status.readyReplicas ?? 0;
      const updated = status.updatedReplicas ?? 0;
      const total = status.replicas ?? 0;
      if (desired === 0 && total === 0) return { health: "idle", label: "Scaled to zero" };
      const done = ready >= desired && updated >= desired && total <= desired;
      return { health: done ? "ok" : "progress", label: `${ready}/${desired} ready` };
    }
    case "replicaset": {
      const desired = spec.replicas ?? 0;
      if (desired === 0) return { health: "idle", label: "Old (0 pods)" };
      const ready = status.readyReplicas ?? 0;
      return { health: ready >= desired ? "ok" : "progress", label: `${ready}/${desired} ready` };
    }
    case "pvc": {
      const phase = status.phase ?? "Pending";
      return { health: phase === "Bound" ? "ok" : phase === "Lost" ? "error" : "progress", label: phase };
    }
    case "job": {
      if (conditions(object).some((c) => c.type === "Failed" && c.status === "True"))
        return { health: "error", label: "Failed" };
      if (conditions(object).some((c) => c.type === "Complete" && c.status === "True") || status.succeeded)
        return { health: "ok", label: "Completed" };
      return { health: "progress", label: status.active ? "Running" : "Pending" };
    }
    case "cronjob":
      return spec.suspend
        ? { health: "idle", label: "Suspended" }
        : { health: "ok", label: spec.schedule ?? "Scheduled" };
    case "ingress": {
      const address = (status.loadBalancer?.ingress ?? []).length > 0;
      return { health: address ? "ok" : "progress", label: address ? "Operational" : "Waiting for address" };
    }
    case "hpa": {
      const current = status.currentReplicas ?? 0;
      return {
        health: "ok",
        label: `${current} replica${current === 1 ? "" : "s"} (${spec.minReplicas ?? 1}–${spec.maxReplicas})`
      };
    }
    case "service": {
      const ports = (spec.ports ?? []).map((p: { port: number }) => p.port).join(", ");
      return { health: "ok", label: ports ? `Port ${ports}` : "Service" };
    }
    default:
      return { health: "ok", label: "Present" };
  }
}

function deploymentFailure(deployment: KubeObject): string {
  for (const c of conditions(deployment)) {
    if (c.type === "ReplicaFailure" && c.status === "True") return c.reason || "ReplicaFailure";
    if (c.type === "Progressing" && c.status === "False" && c.reason === "ProgressDeadlineExceeded") return c.reason;
  }
  return "";
}

export type RolloutState = "running" | "progress" | "failed" | "stopped";

export interface RolloutIndicator {
  state: RolloutState;
  title: string;
  detail: string;
}

const ROLLOUT_LABEL = "one-click.dev/rolloutId";

/**
 * Where the deployment's running rollout stands, from the live Deployment and its pods (the map's feed),
 * with the status endpoint's verdict as a fallback while the feed has nothing yet.
 */
export function rolloutIndicator(
  running: RolloutRecord | undefined,
  deployment: KubeObject | undefined,
  pods: KubeObject[],
  status?: RolloutStatus | null
): RolloutIndicator {
  if (!running) return { state: "stopped", title: "Not running", detail: "No rollout is active." };
  const failing = pods.map(podHealth).find((h) => h.health === "error");
  if (failing)
    return { state: "failed", title: `Rollout failed: ${failing.label}`, detail: failureHint(failing.label) };
  if (deployment) {
    const failure = deploymentFailure(deployment);
    if (failure) return { state: "failed", title: `Rollout failed: ${failure}`, detail: failureHint(failure) };
    if (deployment.metadata.labels?.[ROLLOUT_LABEL] && deployment.metadata.labels[ROLLOUT_LABEL] !== running.id) {
      return { state: "progress", title: "Rollout in progress", detail: "Applying the new rollout to the cluster…" };
    }
    const health = objectHealth("deployment", deployment);
    const live = pods.filter((p) => !p.metadata.deletionTimestamp).length;
    if (health.health === "progress" || live > (deployment.spec?.replicas ?? live)) {
      return { state: "progress", title: "Rollout in progress", detail: `${health.label}; waiting for pods.` };
    }
    if (health.health === "idle") return { state: "running", title: "Scaled to zero", detail: "No pods are wanted." };
    return { state: "running", title: "Running", detail: health.label };
  }
  const verdict = status?.deployment;
  if (verdict?.status === "Error")
    return {
      state: "failed",
      title: `Rollout failed: ${verdict.reason ?? "Error"}`,
      detail: failureHint(verdict.reason ?? "")
    };
  if (verdict?.status === "OK") return { state: "running", title: "Running", detail: `${verdict.replicas} replica(s)` };
  if (verdict) return { state: "progress", title: "Rollout in progress", detail: verdict.reason ?? verdict.status };
  return { state: "progress", title: "Rollout in progress", detail: "Waiting for the cluster…" };
}

/** A sentence a person who has never seen Kubernetes can act on. */
export function failureHint(reason: string): string {
  if (/ImagePull|ErrImage|InvalidImageName|RegistryUnavailable/.test(reason))
    return "The image could not be pulled: check the registry, repository, tag and credentials on the Image page.";
  if (reason === "CrashLoopBackOff" || reason === "Error")
    return "The container keeps exiting: read its logs to see why.";
  if (reason === "OOMKilled") return "The container ran out of memory: raise the memory limit on the Scale page.";
  if (reason === "CreateContainerConfigError")
    return "The container's configuration is invalid: check variables and secrets.";
  if (reason === "Unschedulable") return "The cluster has no room for the pods: lower the CPU or memory requests.";
  if (reason === "ProgressDeadlineExceeded") return "The pods did not become ready in time.";
  return "See the events and logs for details.";
}

export const HEALTH_CLASSES: Record<Health, string> = {
  ok: "bg-emerald-100 text-emerald-800 dark:bg-emerald-900/50 dark:text-emerald-300",
  progress: "bg-amber-100 text-amber-800 dark:bg-amber-900/50 dark:text-amber-300",
  error: "bg-red-100 text-red-800 dark:bg-red-900/50 dark:text-red-300",
  idle: "bg-slate-200 text-slate-700 dark:bg-slate-800 dark:text-slate-300"
};

export const HEALTH_DOT: Record<Health, string> = {
  ok: "bg-emerald-500",
  progress: "bg-amber-500",
  error: "bg-red-500",
  idle: "bg-slate-400"
};

export const ROLLOUT_HEALTH: Record<RolloutState, Health> = {
  running: "ok",
  progress: "progress",
  failed: "error",
  stopped: "idle"
};
