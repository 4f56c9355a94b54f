import { describe, expect, it } from "vitest";
import { applyChange, buildGraph, edgePath, noObjects, nodeId, type MapObject } from "./graph";
import type { KubeObject } from "./types";

const labels = { "one-click.dev/deploymentId": "dep", "one-click.dev/component": "deployment" };
function obj(
  kind: string,
  name: string,
  rest: Partial<KubeObject> = {},
  meta: Record<string, unknown> = {}
): MapObject {
  return { kind, object: { metadata: { name, uid: `${kind}-${name}`, ...meta }, ...rest } };
}

const objects: MapObject[] = [
  obj("deployment", "dep", { spec: { replicas: 1 }, status: { readyReplicas: 1, updatedReplicas: 1, replicas: 1 } }),
  obj(
    "replicaset",
    "dep-abc",
    { spec: { replicas: 1 }, status: { readyReplicas: 1 } },
    { ownerReferences: [{ kind: "Deployment", name: "dep" }] }
  ),
  obj(
    "pod",
    "dep-abc-1",
    {
      spec: {
        volumes: [{ name: "v", persistentVolumeClaim: { claimName: "data-dep" } }],
        containers: [{ name: "c", envFrom: [{ secretRef: { name: "dep-secrets" } }] }]
      },
      status: { phase: "Running", containerStatuses: [{ ready: true }] }
    },
    { ownerReferences: [{ kind: "ReplicaSet", name: "dep-abc" }], labels }
  ),
  obj("service", "http-dep-svc", { spec: { selector: labels, ports: [{ port: 80 }] } }),
  obj("ingress", "http-dep-ingress", {
    spec: { rules: [{ host: "a.io", http: { paths: [{ backend: { service: { name: "http-dep-svc" } } }] } }] }
  }),
  obj("pvc", "data-dep", { status: { phase: "Bound" } }),
  obj("secret", "dep-secrets"),
  obj("hpa", "dep", { spec: { scaleTargetRef: { kind: "Deployment", name: "dep" }, minReplicas: 1, maxReplicas: 3 } }),
  obj("event", "ignored")
];

describe("buildGraph", () => {
  const graph = buildGraph(objects);
  const edges = graph.edges.map((e) => `${e.from} -${e.kind}-> ${e.to}`).sort();

  it("has a node per shown object (events are not objects on the map)", () => {
    expect(graph.nodes.map((n) => n.id).sort()).toEqual(
      [
        "deployment/dep",
        "hpa/dep",
        "ingress/http-dep-ingress",
        "pod/dep-abc-1",
        "pvc/data-dep",
        "replicaset/dep-abc",
        "secret/dep-secrets",
        "service/http-dep-svc"
      ].sort()
    );
  });

  it("links by ownership, selectors and references", () => {
    expect(edges).toEqual(
      [
        "deployment/dep -owns-> replicaset/dep-abc",
        "hpa/dep -scales-> deployment/dep",
        "ingress/http-dep-ingress -routes-> service/http-dep-svc",
        "pod/dep-abc-1 -mounts-> pvc/data-dep",
        "pod/dep-abc-1 -uses-> secret/dep-secrets",
        "replicaset/dep-abc -owns-> pod/dep-abc-1",
        "service/http-dep-svc -selects-> pod/dep-abc-1"
      ].sort()
    );
  });

  it("lays objects out left to right in columns", () => {
    const x = (id: string) => graph.nodes.find((n) => n.id === id)!.x;
    expect(x("deployment/dep")).toBeLessThan(x("replicaset/dep-abc"));
    expect(x("replicaset/dep-abc")).toBeLessThan(x("pod/dep-abc-1"));
    expect(x("pod/dep-abc-1")).toBeLessThan(x("pvc/data-dep"));
    expect(x("service/http-dep-svc")).toBe(x("replicaset/dep-abc"));
    const ys = graph.nodes.filter((n) => n.x === x("deployment/dep")).map((n) => n.y);
    expect(new Set(ys).size).toBe(ys.length); // no overlaps in a column
    expect(graph.width).toBeGreaterThan(0);
    expect(graph.height).toBeGreaterThan(0);
  });

  it("colours by health", () => {
    const broken = buildGraph([
      obj("pod", "p", {
        status: { phase: "Pending", containerStatuses: [{ state: { waiting: { reason: "ErrImagePull" } } }] }
      })
    ]);
    expect(broken.nodes[0]).toMatchObject({ health: "error", label: "ErrImagePull" });
  });

  it("draws no edge to an object that is not there", () => {
    const lonely = buildGraph([objects[2]]);
    expect(lonely.edges).toEqual([]);
  });

  it("draws curves between nodes", () => {
    const [a, b] = graph.nodes;
    expect(edgePath(a, b)).toMatch(/^M [\d.]+ [\d.]+ C /);
  });
});

describe("buildGraph with jobs, ConfigMaps and Secrets", () => {
  const jobLabels = { "job-name": "backup-28801440" };
  const batch: MapObject[] = [
    obj("cronjob", "backup", { spec: { schedule: "0 3 * * *" } }),
    obj(
      "job",
      "backup-28801440",
      { status: { succeeded: 1, conditions: [{ type: "Complete", status: "True" }] } },
      { ownerReferences: [{ kind: "CronJob", name: "backup" }] }
    ),
    obj(
      "pod",
      "backup-28801440-x7k2p",
      {
        spec: {
          volumes: [
            { name: "config", configMap: { name: "backup-config" } },
            { name: "keys", secret: { secretName: "backup-keys" } }
          ],
          imagePullSecrets: [{ name: "registry-login" }],
          initContainers: [{ name: "init", envFrom: [{ configMapRef: { name: "init-env" } }] }],
          containers: [
            {
              name: "c",
              env: [
                { name: "TARGET", valueFrom: { configMapKeyRef: { name: "backup-config", key: "target" } } },
                { name: "TOKEN", valueFrom: { secretKeyRef: { name: "backup-token", key: "token" } } }
              ]
            }
          ]
        },
        status: { phase: "Succeeded" }
      },
      { ownerReferences: [{ kind: "Job", name: "backup-28801440" }], labels: jobLabels }
    ),
    obj("configmap", "backup-config", { data: { target: "s3://bucket" } }),
    obj("configmap", "init-env"),
    obj("secret", "backup-keys"),
    obj("secret", "backup-token"),
    obj("secret", "registry-login")
  ];
  const graph = buildGraph(batch);
  const edges = graph.edges.map((e) => `${e.from} -${e.kind}-> ${e.to}`).sort();

  it("draws ConfigMaps as nodes of their own, coloured as present", () => {
    const configmaps = graph.nodes.filter((n) => n.kind === "configmap");
    expect(configmaps.map((n) => n.id).sort()).toEqual(["configmap/backup-config", "configmap/init-env"]);
    expect(configmaps.every((n) => n.health === "ok" && n.label === "Present")).toBe(true);
  });

  it("links CronJob → Job → Pod by ownership", () => {
    expect(edges).toContain("cronjob/backup -owns-> job/backup-28801440");
    expect(edges).toContain("job/backup-28801440 -owns-> pod/backup-28801440-x7k2p");
    const node = (id: string) => graph.nodes.find((n) => n.id === id)!;
    expect(node("cronjob/backup")).toMatchObject({ health: "ok", label: "0 3 * * *" });
    expect(node("job/backup-28801440")).toMatchObject({ health: "ok", label: "Completed" });
  });

  it("links a pod to every Secret and ConfigMap it references, once each", () => {
    const pod = "pod/backup-28801440-x7k2p";
    expect(edges.filter((e) => e.startsWith(`${pod} -uses->`))).toEqual(
      [
        // volume, and configMapKeyRef of the same ConfigMap: one edge
        `${pod} -uses-> configmap/backup-config`,
        // envFrom of an init container
        `${pod} -uses-> configmap/init-env`,
        // secret volume, secretKeyRef, imagePullSecrets
        `${pod} -uses-> secret/backup-keys`,
        `${pod} -uses-> secret/backup-token`,
        `${pod} -uses-> secret/registry-login`
      ].sort()
    );
    expect(edges).toHaveLength(7); // two ownerships + five references, nothing else
  });

  it("puts the CronJob left of its Job, the Job left of its Pod, and what the pod uses right of it", () => {
    const x = (id: string) => graph.nodes.find((n) => n.id === id)!.x;
    expect(x("cronjob/backup")).toBeLessThan(x("job/backup-28801440"));
    expect(x("job/backup-28801440")).toBeLessThan(x("pod/backup-28801440-x7k2p"));
    expect(x("configmap/backup-config")).toBeGreaterThan(x("pod/backup-28801440-x7k2p"));
    expect(x("configmap/backup-config")).toBe(x("secret/backup-keys"));
  });

  it("reports a failed Job and a suspended CronJob", () => {
    const failed = buildGraph([
      obj("cronjob", "nightly", { spec: { schedule: "@daily", suspend: true } }),
      obj(
        "job",
        "nightly-1",
        { status: { conditions: [{ type: "Failed", status: "True" }] } },
        { ownerReferences: [{ kind: "CronJob", name: "nightly" }] }
      )
    ]);
    expect(failed.nodes.find((n) => n.kind === "cronjob")).toMatchObject({ health: "idle", label: "Suspended" });
    expect(failed.nodes.find((n) => n.kind === "job")).toMatchObject({ health: "error", label: "Failed" });
    expect(failed.edges).toEqual([{ from: "cronjob/nightly", to: "job/nightly-1", kind: "owns" }]);
  });

  it("draws no reference edge to a Secret or ConfigMap that is not in the map", () => {
    const withoutRefs = buildGraph(batch.filter((o) => o.kind !== "secret" && o.kind !== "configmap"));
    expect(withoutRefs.edges.map((e) => e.kind)).toEqual(["owns", "owns"]);
  });
});

describe("applyChange", () => {
  it("adds, replaces and removes objects by kind and name", () => {
    let map = noObjects;
    map = applyChange(map, {
      kind: "pod",
      status: "ADDED",
      object: { metadata: { name: "a" }, status: { phase: "Pending" } }
    });
    map = applyChange(map, {
      kind: "pod",
      status: "MODIFIED",
      object: { metadata: { name: "a" }, status: { phase: "Running" } }
    });
    expect(map.get(nodeId("pod", "a"))?.object.status?.phase).toBe("Running");
    const before = map;
    map = applyChange(map, { kind: "pod", status: "DELETED", object: { metadata: { name: "a" } } });
    expect(map.size).toBe(0);
    expect(before.size).toBe(1); // a new map each time, so views re-render
  });
});
