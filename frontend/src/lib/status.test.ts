import { describe, expect, it } from "vitest";
import { failureHint, objectHealth, podHealth, rolloutIndicator } from "./status";
import type { KubeObject, RolloutRecord } from "./types";

function pod(status: Record<string, unknown>, extra: Partial<KubeObject["metadata"]> = {}): KubeObject {
  return { metadata: { name: "p", ...extra }, status };
}

const running = pod({
  phase: "Running",
  containerStatuses: [{ ready: true, restartCount: 0, state: { running: {} } }]
});
const pulling = pod({
  phase: "Pending",
  containerStatuses: [{ ready: false, state: { waiting: { reason: "ContainerCreating" } } }]
});
const backoff = pod({
  phase: "Pending",
  containerStatuses: [{ ready: false, state: { waiting: { reason: "ImagePullBackOff" } } }]
});
const crashing = pod({
  phase: "Running",
  containerStatuses: [{ ready: false, state: { waiting: { reason: "CrashLoopBackOff" } } }]
});

describe("podHealth", () => {
  it("maps phases and container states to health", () => {
    expect(podHealth(running)).toEqual({ health: "ok", label: "Running" });
    expect(podHealth(pulling)).toEqual({ health: "progress", label: "ContainerCreating" });
    expect(podHealth(backoff)).toEqual({ health: "error", label: "ImagePullBackOff" });
    expect(podHealth(crashing)).toEqual({ health: "error", label: "CrashLoopBackOff" });
    expect(podHealth(pod({ phase: "Failed", reason: "Evicted" }))).toEqual({ health: "error", label: "Evicted" });
    expect(podHealth(pod({ phase: "Succeeded" }))).toEqual({ health: "ok", label: "Completed" });
    expect(podHealth({ ...running, metadata: { name: "p", deletionTimestamp: "now" } }).label).toBe("Terminating");
  });

  it("reports an unschedulable pod", () => {
    const unschedulable = pod({
      phase: "Pending",
      conditions: [{ type: "PodScheduled", status: "False", reason: "Unschedulable" }]
    });
    expect(podHealth(unschedulable)).toEqual({ health: "progress", label: "Unschedulable" });
  });
});

describe("objectHealth", () => {
  it("counts ready replicas of a deployment", () => {
    const d = (spec: number, ready: number, updated = ready, total = ready): KubeObject => ({
      metadata: { name: "d" },
      spec: { replicas: spec },
      status: { readyReplicas: ready, updatedReplicas: updated, replicas: total }
    });
    expect(objectHealth("deployment", d(2, 2))).toEqual({ health: "ok", label: "2/2 ready" });
    expect(objectHealth("deployment", d(2, 1))).toEqual({ health: "progress", label: "1/2 ready" });
    expect(objectHealth("deployment", d(1, 1, 1, 2)).health).toBe("progress"); // an old pod still terminating
    expect(objectHealth("deployment", d(0, 0, 0, 0))).toEqual({ health: "idle", label: "Scaled to zero" });
    const failed = {
      metadata: { name: "d" },
      spec: { replicas: 1 },
      status: { conditions: [{ type: "ReplicaFailure", status: "True", reason: "FailedCreate" }] }
    };
    expect(objectHealth("deployment", failed)).toEqual({ health: "error", label: "FailedCreate" });
  });

  it("knows claims, jobs, ingresses and old replica sets", () => {
    expect(objectHealth("pvc", { metadata: { name: "c" }, status: { phase: "Bound" } }).health).toBe("ok");
    expect(objectHealth("pvc", { metadata: { name: "c" }, status: { phase: "Pending" } }).health).toBe("progress");
    expect(
      objectHealth("job", { metadata: { name: "j" }, status: { conditions: [{ type: "Failed", status: "True" }] } })
        .health
    ).toBe("error");
    expect(
      objectHealth("ingress", { metadata: { name: "i" }, status: { loadBalancer: { ingress: [{ ip: "1.2.3.4" }] } } })
        .label
    ).toBe("Operational");
    expect(objectHealth("replicaset", { metadata: { name: "r" }, spec: { replicas: 0 } }).health).toBe("idle");
  });
});

describe("rolloutIndicator", () => {
  const rollout = { id: "r2", endDate: "" } as RolloutRecord;
  const deployment = (rolloutId: string, ready: number): KubeObject => ({
    metadata: { name: "dep", labels: { "one-click.dev/rolloutId": rolloutId } },
    spec: { replicas: 1 },
    status: { readyReplicas: ready, updatedReplicas: ready, replicas: 1 }
  });

  it("says running when the cluster runs the current rollout", () => {
    expect(rolloutIndicator(rollout, deployment("r2", 1), [running]).state).toBe("running");
  });

  it("says in progress while the cluster still runs the previous rollout or pods start", () => {
    expect(rolloutIndicator(rollout, deployment("r1", 1), [running])).toMatchObject({
      state: "progress",
      title: "Rollout in progress"
    });
    expect(rolloutIndicator(rollout, deployment("r2", 0), [pulling]).state).toBe("progress");
    expect(rolloutIndicator(rollout, undefined, []).state).toBe("progress");
  });

  it("says failed with the reason and what to do", () => {
    const failed = rolloutIndicator(rollout, deployment("r2", 0), [backoff]);
    expect(failed.state).toBe("failed");
    expect(failed.title).toBe("Rollout failed: ImagePullBackOff");
    expect(failed.detail).toMatch(/Image page/);
    const fromStatus = rolloutIndicator(rollout, undefined, [], {
      deployment: {
        replicas: 1,
        podNames: [],
        status: "Error",
        reason: "CrashLoopBackOff",
        resources: { requestSum: { cpu: "0", memory: "0" }, limitSum: { cpu: "0", memory: "0" } }
      }
    });
    expect(fromStatus.title).toBe("Rollout failed: CrashLoopBackOff");
  });

  it("says not running without a running rollout", () => {
    expect(rolloutIndicator(undefined, undefined, []).state).toBe("stopped");
  });

  it("explains common failures", () => {
    expect(failureHint("OOMKilled")).toMatch(/memory/);
    expect(failureHint("Whatever")).toMatch(/events and logs/);
  });
});
