/**
 * Everything the pages of one deployment share: its records (kept current by realtime), the live
 * Kubernetes objects of the deployment (one /ws/k8s/rollouts feed for all its pages), the status endpoint's
 * verdict, and the one way to change it: a new rollout with an edited manifest (see rollout.ts).
 */
import { getContext, setContext } from "svelte";
import { rolloutStatus } from "./api";
import { LiveList } from "./collections.svelte";
import { applyChange, noObjects, type MapObjects } from "./graph";
import { LiveSocket, type LiveState } from "./live";
import { canonicalJson, runningRollout, sameManifest } from "./manifest";
import { pb, userId } from "./pb";
import type { RolloutTarget, SpecForm } from "./rollout";
import { rolloutIndicator, type RolloutIndicator } from "./status";
import type {
  AutoUpdateRecord,
  DeploymentRecord,
  KubeObject,
  LiveChange,
  Manifest,
  ProjectRecord,
  RolloutRecord,
  RolloutStatus
} from "./types";

const KEY = Symbol("deployment");
const STATUS_INTERVAL = 5000;

const byStart = (a: RolloutRecord, b: RolloutRecord) =>
  String(b.startDate || b.created).localeCompare(String(a.startDate || a.created));

export class DeploymentView implements RolloutTarget {
  project: ProjectRecord;
  deployment: DeploymentRecord;
  readonly rollouts: LiveList<RolloutRecord>;
  readonly autoUpdates: LiveList<AutoUpdateRecord>;
  objects = $state.raw<MapObjects>(noObjects);
  liveState = $state<LiveState>("connecting");
  liveReason = $state("");
  status = $state<RolloutStatus | null>(null);
  running: RolloutRecord | undefined;
  /** The manifest changes start from: the running rollout's, or the newest one's when none runs. */
  baseManifest: Manifest | undefined;
  pods: KubeObject[];
  kubeDeployment: KubeObject | undefined;
  indicator: RolloutIndicator;
  private socket: LiveSocket | null = null;
  private timer: ReturnType<typeof setInterval> | null = null;

  constructor(project: ProjectRecord, deployment: DeploymentRecord) {
    this.project = $state(project);
    this.deployment = $state(deployment);
    const filter = `deployment="${deployment.id}"`;
    this.rollouts = new LiveList<RolloutRecord>("rollouts", { filter, sort: "-startDate" }, byStart);
    this.autoUpdates = new LiveList<AutoUpdateRecord>("autoUpdates", { filter });
    this.running = $derived(runningRollout(this.rollouts.items));
    this.baseManifest = $derived((this.running ?? this.rollouts.items[0])?.manifest);
    this.pods = $derived(
      this.objectsOf("pod").filter((p) => !p.metadata.ownerReferences?.some((o) => o.kind === "Job"))
    );
    this.kubeDeployment = $derived(this.objectsOf("deployment").find((d) => d.metadata.name === this.deployment.id));
    this.indicator = $derived(rolloutIndicator(this.running, this.kubeDeployment, this.pods, this.status));
  }

  objectsOf(kind: string): KubeObject[] {
    return [...this.objects.values()].filter((o) => o.kind === kind).map((o) => o.object);
  }

  start(): () => void {
    this.rollouts.start();
    this.autoUpdates.start();
    this.socket = new LiveSocket(
      "/ws/k8s/rollouts",
      { projectId: this.project.id, deploymentId: this.deployment.id },
      {
        // Each (re)connection starts with every existing object as ADDED: begin from nothing.
        onOpen: () => (this.objects = noObjects),
        onMessage: (data) => {
          const change = JSON.parse(data) as LiveChange;
          this.objects = applyChange(this.objects, change);
        },
        onState: (state, reason) => {
          this.liveState = state;
          this.liveReason = reason;
        }
      }
    );
    void this.refreshStatus();
    this.timer = setInterval(() => void this.refreshStatus(), STATUS_INTERVAL);
    return () => this.stop();
  }

  async refreshStatus(): Promise<void> {
    try {
      this.status = await rolloutStatus(this.project.id, this.deployment.id);
    } catch {
      this.status = null;
    }
  }

  stop(): void {
    this.rollouts.stop();
    this.autoUpdates.stop();
    this.socket?.close();
    if (this.timer) clearInterval(this.timer);
  }

  /**
   * Starts a rollout of `manifest` (creating it ends the running one). Returns false when it equals the
   * running manifest, so there is nothing to roll out; throws the API's error otherwise.
   */
  async deploy(manifest: Manifest): Promise<boolean> {
    if (this.running && sameManifest(manifest, this.running.manifest)) return false;
    await pb.collection("rollouts").create<RolloutRecord>({
      manifest,
      project: this.project.id,
      deployment: this.deployment.id,
      user: userId()
    });
    // Creating it ended the running rollout in the same transaction: read the list again (it has both
    // changes) rather than wait for that rollout's realtime event, so the table is right at once.
    await this.rollouts.reload();
    return true;
  }
}

export function provideDeployment(view: DeploymentView): void {
  setContext(KEY, view);
}

export function useDeployment(): DeploymentView {
  return getContext<DeploymentView>(KEY);
}

/** The error PocketBase gave for a spec path such as `image.tag` or `env.0.name`. */
export function specError(fields: Record<string, string>, path: string): string {
  return fields[`manifest.spec.${path}`] ?? "";
}

/**
 * A form's copy of one part of the manifest, saved with saveSpec. It follows the running rollout (an
 * auto-update, a rollback in another tab) until the user edits it; then it stays as edited until saved or reset.
 */
export class SpecDraft<T> implements SpecForm {
  value = $state() as T;
  origin = $state("");
  dirty = $derived(this.origin !== "" && canonicalJson(this.value) !== this.origin);
  busy = $state(false);
  fields = $state<Record<string, string>>({});

  constructor(private readonly pick: (manifest: Manifest) => T) {}

  follow(manifest: Manifest | undefined): void {
    if (!manifest) return;
    const fresh = this.pick(manifest);
    const json = canonicalJson(fresh);
    if (json !== this.origin && !this.dirty) this.load(fresh, json);
  }

  reset(manifest: Manifest | undefined): void {
    if (manifest) this.load(this.pick(manifest), "");
  }

  private load(fresh: T, json: string): void {
    this.value = JSON.parse(JSON.stringify(fresh)) as T;
    this.origin = json || canonicalJson(fresh);
  }
}
