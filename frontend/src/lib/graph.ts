/**
 * The live resource map as a graph: one node per Kubernetes object of the deployment, edges by ownership
 * (Deployment → ReplicaSet → Pod, CronJob → Job → Pod), by selectors (Service → Pods), by reference
 * (Ingress → Service, Pod → PVC / Secret / ConfigMap, HPA → Deployment), laid out in columns left to right.
 */
import { objectHealth, type Health } from "./status";
import type { KubeObject } from "./types";

export interface MapObject {
  kind: string; // One-Click's kind name: pod, service, ingress, deployment, replicaset, pvc, secret, ...
  object: KubeObject;
}

export interface GraphNode {
  id: string;
  kind: string;
  name: string;
  health: Health;
  label: string;
  x: number;
  y: number;
}

export type EdgeKind = "owns" | "selects" | "routes" | "mounts" | "uses" | "scales";

export interface GraphEdge {
  from: string;
  to: string;
  kind: EdgeKind;
}

export interface Graph {
  nodes: GraphNode[];
  edges: GraphEdge[];
  width: number;
  height: number;
}

export const KIND_TITLES: Record<string, string> = {
  ingress: "Ingress",
  hpa: "Autoscaler",
  service: "Service",
  deployment: "Deployment",
  cronjob: "CronJob",
  replicaset: "ReplicaSet",
  job: "Job",
  pod: "Pod",
  pvc: "Volume claim",
  secret: "Secret",
  configmap: "ConfigMap",
  sa: "ServiceAccount"
};

// Columns left to right, every edge spanning one column: what starts things (ingress, controllers) on the
// left, then what routes to or creates pods, the pods, and what pods use on the right.
const COLUMN: Record<string, number> = {
  ingress: 0,
  hpa: 0,
  deployment: 0,
  cronjob: 0,
  service: 1,
  replicaset: 1,
  job: 1,
  pod: 2,
  pvc: 3,
  secret: 3,
  configmap: 3,
  sa: 3
};
const KIND_ORDER = Object.keys(COLUMN);

export const NODE_WIDTH = 220;
export const NODE_HEIGHT = 64;
const COLUMN_GAP = 64;
const ROW_GAP = 18;
const PAD = 40;

export function nodeId(kind: string, name: string): string {
  return `${kind}/${name}`;
}

function matches(selector: Record<string, string> | undefined, labels: Record<string, string> | undefined): boolean {
  if (!selector || !Object.keys(selector).length) return false;
  return Object.entries(selector).every(([k, v]) => labels?.[k] === v);
}

const OWNER_KIND: Record<string, string> = {
  Deployment: "deployment",
  ReplicaSet: "replicaset",
  CronJob: "cronjob",
  Job: "job"
};

function podReferences(pod: KubeObject): { pvcs: string[]; secrets: string[]; configmaps: string[] } {
  const spec = pod.spec ?? {};
  const pvcs: string[] = [];
  const secrets: string[] = [];
  const configmaps: string[] = [];
  for (const v of spec.volumes ?? []) {
    if (v.persistentVolumeClaim?.claimName) pvcs.push(v.persistentVolumeClaim.claimName);
    if (v.secret?.secretName) secrets.push(v.secret.secretName);
    if (v.configMap?.name) configmaps.push(v.configMap.name);
  }
  for (const s of spec.imagePullSecrets ?? []) if (s.name) secrets.push(s.name);
  for (const c of [...(spec.initContainers ?? []), ...(spec.containers ?? [])]) {
    for (const from of c.envFrom ?? []) {
      if (from.secretRef?.name) secrets.push(from.secretRef.name);
      if (from.configMapRef?.name) configmaps.push(from.configMapRef.name);
    }
    for (const e of c.env ?? []) {
      if (e.valueFrom?.secretKeyRef?.name) secrets.push(e.valueFrom.secretKeyRef.name);
      if (e.valueFrom?.configMapKeyRef?.name) configmaps.push(e.valueFrom.configMapKeyRef.name);
    }
  }
  return { pvcs, secrets, configmaps };
}

function ingressServices(ingress: KubeObject): string[] {
  const spec = ingress.spec ?? {};
  const names: string[] = [];
  if (spec.defaultBackend?.service?.name) names.push(spec.defaultBackend.service.name);
  for (const rule of spec.rules ?? []) {
    for (const path of rule.http?.paths ?? []) {
      if (path.backend?.service?.name) names.push(path.backend.service.name);
    }
  }
  return names;
}

/** Nodes and edges of the given objects, with positions; pure, so the map re-renders from any state. */
export function buildGraph(objects: Iterable<MapObject>): Graph {
  const list = [...objects].filter((o) => o.kind in COLUMN);
  const byId = new Map<string, MapObject>();
  for (const o of list) byId.set(nodeId(o.kind, o.object.metadata.name), o);
  const edges: GraphEdge[] = [];
  const seen = new Set<string>();
  const link = (from: string, to: string, kind: EdgeKind) => {
    const key = `${from}>${to}`;
    if (from !== to && byId.has(from) && byId.has(to) && !seen.has(key)) {
      seen.add(key);
      edges.push({ from, to, kind });
    }
  };

  for (const o of list) {
    const id = nodeId(o.kind, o.object.metadata.name);
    for (const owner of o.object.metadata.ownerReferences ?? []) {
      const kind = OWNER_KIND[owner.kind];
      if (kind) link(nodeId(kind, owner.name), id, "owns");
    }
    if (o.kind === "pod") {
      const refs = podReferences(o.object);
      for (const name of refs.pvcs) link(id, nodeId("pvc", name), "mounts");
      for (const name of refs.secrets) link(id, nodeId("secret", name), "uses");
      for (const name of refs.configmaps) link(id, nodeId("configmap", name), "uses");
    }
    if (o.kind === "ingress") for (const name of ingressServices(o.object)) link(id, nodeId("service", name), "routes");
    if (o.kind === "hpa") {
      const target = o.object.spec?.scaleTargetRef;
      if (target?.kind && OWNER_KIND[target.kind]) link(id, nodeId(OWNER_KIND[target.kind], target.name), "scales");
    }
  }
  for (const service of list.filter((o) => o.kind === "service")) {
    for (const pod of list.filter((o) => o.kind === "pod")) {
      if (matches(service.object.spec?.selector, pod.object.metadata.labels)) {
        link(nodeId("service", service.object.metadata.name), nodeId("pod", pod.object.metadata.name), "selects");
      }
    }
  }

  const columns = new Map<number, MapObject[]>();
  for (const o of list) {
    const column = COLUMN[o.kind];
    columns.set(column, [...(columns.get(column) ?? []), o]);
  }
  const nodes: GraphNode[] = [];
  let height = 0;
  const used = [...columns.keys()].sort((a, b) => a - b);
  used.forEach((column, index) => {
    const members = (columns.get(column) ?? []).sort(
      (a, b) =>
        KIND_ORDER.indexOf(a.kind) - KIND_ORDER.indexOf(b.kind) ||
        (a.object.metadata.creationTimestamp ?? "").localeCompare(b.object.metadata.creationTimestamp ?? "") ||
        a.object.metadata.name.localeCompare(b.object.metadata.name)
    );
    members.forEach((o, row) => {
      const health = objectHealth(o.kind, o.object);
      nodes.push({
        id: nodeId(o.kind, o.object.metadata.name),
        kind: o.kind,
        name: o.object.metadata.name,
        health: health.health,
        label: health.label,
        x: PAD + index * (NODE_WIDTH + COLUMN_GAP),
        y: PAD + row * (NODE_HEIGHT + ROW_GAP)
      });
    });
    height = Math.max(height, PAD * 2 + members.length * (NODE_HEIGHT + ROW_GAP) - ROW_GAP);
  });
  const width = used.length ? PAD * 2 + used.length * (NODE_WIDTH + COLUMN_GAP) - COLUMN_GAP : 0;
  return { nodes, edges, width, height };
}

/** A smooth curve from the right side of one node to the left side of another. */
export function edgePath(from: GraphNode, to: GraphNode): string {
  if (from.x === to.x) {
    // Same column (an autoscaler and its deployment): a loop out of the left side.
    const x = from.x;
    const y1 = from.y + NODE_HEIGHT / 2;
    const y2 = to.y + NODE_HEIGHT / 2;
    return `M ${x} ${y1} C ${x - 36} ${y1}, ${x - 36} ${y2}, ${x} ${y2}`;
  }
  const forward = to.x >= from.x;
  const x1 = forward ? from.x + NODE_WIDTH : from.x;
  const x2 = forward ? to.x : to.x + NODE_WIDTH;
  const y1 = from.y + NODE_HEIGHT / 2;
  const y2 = to.y + NODE_HEIGHT / 2;
  const bend = Math.max(30, Math.abs(x2 - x1) / 2);
  const c1 = forward ? x1 + bend : x1 - bend;
  const c2 = forward ? x2 - bend : x2 + bend;
  return `M ${x1} ${y1} C ${c1} ${y1}, ${c2} ${y2}, ${x2} ${y2}`;
}

/** The objects of a deployment, keyed by kind/name: never changed in place, so a view re-renders on a new map. */
export type MapObjects = ReadonlyMap<string, MapObject>;

/** The map a live feed starts from (each (re)connection sends every object again). */
export const noObjects: MapObjects = new Map();

/**
 * The objects of a deployment as the live feed leaves them: applies one change to the map keyed by
 * kind/name (a DELETED change removes it), as a new map.
 */
export function applyChange(
  objects: MapObjects,
  change: { kind: string; status: string; object: KubeObject }
): MapObjects {
  const id = nodeId(change.kind, change.object.metadata.name);
  const next = new Map(objects);
  if (change.status === "DELETED") next.delete(id);
  else next.set(id, { kind: change.kind, object: change.object });
  return next;
}
