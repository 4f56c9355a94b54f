/**
 * Editing a Rollout manifest the way One-Click does: every change is a new rollout whose manifest is the
 * running one with one part replaced. These helpers never mutate their input.
 */
import type { HorizontalScale, Image, Interface, Manifest, ManifestSpec, NameValue, RolloutRecord } from "./types";

// Svelte's $state proxies cannot be structured-cloned; manifests are JSON, so a JSON round trip copies them.
function plain<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

export function cloneManifest(manifest: Manifest): Manifest {
  return plain(manifest);
}

/** The manifest with some of its spec replaced. */
export function withSpec(manifest: Manifest, patch: Partial<ManifestSpec>): Manifest {
  const copy = cloneManifest(manifest);
  copy.spec = { ...copy.spec, ...plain(patch) };
  return copy;
}

/** Key order does not matter (PostgreSQL's jsonb reorders keys); values do. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === "object") {
    return Object.fromEntries(
      Object.keys(value as Record<string, unknown>)
        .sort()
        .map((key) => [key, sortKeys((value as Record<string, unknown>)[key])])
    );
  }
  return value;
}

export function sameManifest(a: Manifest | null | undefined, b: Manifest | null | undefined): boolean {
  return canonicalJson(a ?? null) === canonicalJson(b ?? null);
}

export function imageRef(image: Image | undefined): string {
  if (!image) return "";
  const registry = image.registry ? `${image.registry}/` : "";
  return `${registry}${image.repository}:${image.tag}`;
}

/** The rollout without endDate: the one the cluster should run. */
export function runningRollout(rollouts: RolloutRecord[]): RolloutRecord | undefined {
  return rollouts.find((r) => !r.endDate);
}

/** The manifest a new deployment starts from: the blueprint's, without ingress hosts (they are per deployment). */
export function manifestFromBlueprint(manifest: Manifest): Manifest {
  const copy = cloneManifest(manifest);
  if (copy.spec.interfaces) {
    copy.spec.interfaces = copy.spec.interfaces.map((i) => {
      const { ingress, ...rest } = i;
      return rest as Interface;
    });
  }
  return copy;
}

/** A manifest to keep as a blueprint: secret values and registry passwords are not shared. */
export function manifestForBlueprint(manifest: Manifest): Manifest {
  const copy = cloneManifest(manifest);
  copy.spec.secrets = (copy.spec.secrets ?? []).map((s) => ({ name: s.name, value: "" }));
  copy.spec.image = { ...copy.spec.image, username: "", password: "" };
  delete copy.metadata;
  return copy;
}

/** Whether the pods scale between a minimum and a maximum (a HorizontalPodAutoscaler) rather than stay fixed. */
export function autoscaling(scale: HorizontalScale): boolean {
  return scale.maxReplicas > scale.minReplicas;
}

/** The URLs a deployment's ingress rules publish. */
export function ingressUrls(manifest: Manifest | undefined): string[] {
  const urls: string[] = [];
  for (const iface of manifest?.spec.interfaces ?? []) {
    for (const rule of iface.ingress?.rules ?? []) {
      if (!rule.host) continue;
      const path = rule.path && rule.path !== "/" ? rule.path : "";
      urls.push(`${rule.tls ? "https" : "http"}://${rule.host}${path}`);
    }
  }
  return urls;
}

// Kubernetes' rule for environment variable names (C identifiers plus '-' and '.').
const ENV_NAME = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;

/** Problems of a list of name/value pairs (env or secrets), by row: "" when the row is fine. */
export function nameValueProblems(rows: NameValue[]): string[] {
  const seen = new Map<string, number>();
  return rows.map((row, index) => {
    const name = row.name.trim();
    if (!name) return "A name is required.";
    if (!ENV_NAME.test(name)) return "Letters, digits, '_', '-' and '.' only, not starting with a digit.";
    const first = seen.get(name);
    seen.set(name, first ?? index);
    return first !== undefined && first !== index ? `"${name}" is already defined above.` : "";
  });
}

const DNS_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;

/** A Kubernetes-safe name for volumes and interfaces (DNS-1035 label). */
export function dnsLabelProblem(name: string, max: number): string {
  if (!name) return "A name is required.";
  if (name.length > max) return `At most ${max} characters.`;
  if (!DNS_LABEL.test(name)) return "Lowercase letters, digits and '-', starting with a letter.";
  return "";
}

/** "My tag, other" → ["my-tag", "other"]: One-Click keeps tags as a comma separated text field. */
export function parseTags(text: string | null | undefined): string[] {
  return (text ?? "")
    .split(",")
    .map(normalizeTag)
    .filter((tag, index, all) => tag && all.indexOf(tag) === index);
}

export function normalizeTag(tag: string): string {
  return tag.trim().toLowerCase().split(/\s+/).join("-");
}
