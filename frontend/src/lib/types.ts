/** Records of the One-Click collections and the JSON shapes of the custom endpoints. */
import type { RecordModel } from "pocketbase";

export interface ProjectRecord extends RecordModel {
  name: string;
  description: string;
  tags: string;
  avatar: string;
  user: string;
}

export interface DeploymentRecord extends RecordModel {
  name: string;
  avatar: string;
  project: string;
  blueprint: string;
  user: string;
  expand?: { blueprint?: BlueprintRecord; project?: ProjectRecord };
}

export interface RolloutRecord extends RecordModel {
  manifest: Manifest;
  startDate: string;
  endDate: string;
  hide: boolean;
  project: string;
  deployment: string;
  user: string;
}

export interface BlueprintRecord extends RecordModel {
  name: string;
  description: string;
  avatar: string;
  manifest: Manifest;
  private: boolean;
  owner: string;
  /** Whom it is shared with: all ids for its owner, at most one's own id for anyone else. */
  users: string[];
  // No `expand` of `owner` or `users`: other users are private, so expanding them yields only oneself.
}

export interface AutoUpdateRecord extends RecordModel {
  interval: string;
  pattern: string;
  policy: string;
  project: string;
  deployment: string;
  user: string;
}

export interface UserRecord extends RecordModel {
  email?: string;
  username?: string;
  name?: string;
  avatar?: string;
  verified?: boolean;
}

// -- the Rollout manifest (one-click.dev/v1alpha1) --------------------------------------------------------

export interface Image {
  registry: string;
  repository: string;
  tag: string;
  username?: string;
  password?: string;
}

export interface HorizontalScale {
  minReplicas: number;
  maxReplicas: number;
  targetCPUUtilizationPercentage?: number;
}

export interface ResourceAmounts {
  cpu: string;
  memory: string;
}

export interface Resources {
  requests: ResourceAmounts;
  limits: ResourceAmounts;
}

export interface NameValue {
  name: string;
  value: string;
}

export interface Volume {
  name: string;
  mountPath: string;
  size: string;
  storageClass?: string;
}

export interface IngressRule {
  host: string;
  path: string;
  tls: boolean;
  tlsSecretName?: string;
}

export interface Ingress {
  ingressClass?: string;
  annotations?: Record<string, string>;
  rules?: IngressRule[];
}

export interface Interface {
  name: string;
  port: number;
  ingress?: Ingress | null;
}

export interface ManifestSpec {
  image: Image;
  horizontalScale: HorizontalScale;
  resources: Resources;
  env?: NameValue[] | null;
  secrets?: NameValue[] | null;
  volumes?: Volume[] | null;
  interfaces?: Interface[] | null;
  serviceAccountName?: string;
  cronjobs?: unknown[] | null;
  [key: string]: unknown;
}

export interface Manifest {
  apiVersion: string;
  kind: string;
  metadata?: Record<string, unknown>;
  spec: ManifestSpec;
}

// -- custom endpoints -----------------------------------------------------------------------------------

export type DeploymentHealth = "OK" | "Pending" | "NotReady" | "Error";

export interface RolloutStatus {
  deployment?: {
    replicas: number;
    podNames: string[] | null;
    resources: { requestSum: ResourceAmounts; limitSum: ResourceAmounts };
    status: DeploymentHealth;
    reason?: string;
  };
  services?: { name: string; ports: number[]; status: string }[];
  ingresses?: { name: string; hosts: string[]; status: string }[];
  volumes?: { name: string; status: string }[];
}

export interface PodMetrics {
  name: string;
  cpu: string;
  memory: string;
}

export interface KubeEvent {
  reason: string;
  message: string;
  typus: string;
}

export interface ClusterInfo {
  storageClasses: string[];
  ingressClasses: string[];
}

/** A project's tenancy policy (GET /api/tenancy): the platform's defaults, or with a project's limits. */
export interface TenancyPolicy {
  podSecurity: "privileged" | "baseline" | "restricted";
  maxReplicas: number;
  quota: Record<string, string>;
  limitDefaults: Record<string, string>;
  ingressClasses: string[];
  ingressDomains: string[];
  ingressNamespace: string;
  annotations: string[];
  reservedNodeKeys: string[];
  maxObjectBytes: number;
}

export interface TenancyView {
  policy: TenancyPolicy;
  registryAllowedNetworks: string[];
  maxConnectionsPerUser: number;
  projects: { id: string; name: string; limits: Record<string, unknown> }[];
}

/** A frame of /ws/k8s/rollouts: one Kubernetes object added, changed or deleted. */
export interface LiveChange {
  kind: string;
  labels: Record<string, string> | null;
  name: string;
  namespace: string;
  object: KubeObject;
  status: "ADDED" | "MODIFIED" | "DELETED";
}

export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata: {
    name: string;
    namespace?: string;
    uid?: string;
    labels?: Record<string, string>;
    ownerReferences?: { kind: string; name: string; uid?: string }[];
    deletionTimestamp?: string;
    creationTimestamp?: string;
    [key: string]: unknown;
  };
  spec?: Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  status?: Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  [key: string]: unknown;
}
