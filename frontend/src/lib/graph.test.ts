import { describe, expect, it } from "vitest";
import { applyChange, buildGraph, edgePath, nodeId, type MapObject } from "./graph";
import type { KubeObject } from "./types";

const labels = { "one-click.dev/deploymentId": "dep", "one-click.dev/component": "deployment" };
function obj(kind: string, name: string, rest: Partial<KubeObject> = {}, meta: Record<string, unknown> = {}): MapObject {
  return { kind, object: { metadata: { name, uid: `${kind}-${name}`, ...meta }, ...rest } };
}

const objects: MapObject[] = [
  obj("deployment", "dep", { spec: { replicas: 1 }, status: { readyReplicas: 1, updatedReplicas: 1, replicas: 1 } }),
  obj("replicaset", "dep-abc", { spec: { replicas: 1 }, status: { readyReplicas: 1 } }, { ownerReferences: [{ kind: "Deployment", name: "dep" }] }),
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
  obj("ingress", "http-dep-ingress", { spec: { rules: [{ host: "a.io", http: { paths: [{ backend: { service: { name: "http-dep-svc" } } }] } }] } }),
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
      ["deployment/dep", "hpa/dep", "ingress/http-dep-ingress", "pod/dep-abc-1", "pvc/data-dep", "replicaset/dep-abc", "secret/dep-secrets", "service/http-dep-svc"].sort()
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
    const broken = buildGraph([obj("pod", "p", { status: { phase: "Pending", containerStatuses: [{ state: { waiting: { reason: "ErrImagePull" } } }] } })]);
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

describe("applyChange", () => {
  it("adds, replaces and removes objects by kind and name", () => {
    let map = new Map<string, MapObject>();
    map = applyChange(map, { kind: "pod", status: "ADDED", object: { metadata: { name: "a" }, status: { phase: "Pending" } } });
    map = applyChange(map, { kind: "pod", status: "MODIFIED", object: { metadata: { name: "a" }, status: { phase: "Running" } } });
    expect(map.get(nodeId("pod", "a"))?.object.status?.phase).toBe("Running");
    const before = map;
    map = applyChange(map, { kind: "pod", status: "DELETED", object: { metadata: { name: "a" } } });
    expect(map.size).toBe(0);
    expect(before.size).toBe(1); // a new map each time, so views re-render
  });
});
