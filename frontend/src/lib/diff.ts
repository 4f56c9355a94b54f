/** Manifests as YAML-like text and a line diff between two of them (rollout history). */
import { canonicalJson } from "./manifest";

const PLAIN = /^[A-Za-z_./][\w./:@-]*$/;
const RESERVED = /^(true|false|null|yes|no|on|off|~)$/i;

function scalar(value: unknown): string {
  if (value === null || value === undefined) return "null";
  if (typeof value === "string") {
    return PLAIN.test(value) && !RESERVED.test(value) ? value : JSON.stringify(value);
  }
  return String(value);
}

/** A stable, readable YAML rendering (keys sorted, so equal manifests print equally). */
export function toYaml(value: unknown, indent = ""): string {
  return lines(value, indent).join("\n");
}

function lines(value: unknown, indent: string): string[] {
  if (Array.isArray(value)) {
    if (!value.length) return [`${indent}[]`];
    const out: string[] = [];
    for (const item of value) {
      const inner = lines(item, indent + "  ");
      if (item && typeof item === "object" && (Array.isArray(item) ? item.length : Object.keys(item).length)) {
        out.push(`${indent}- ${inner[0].trimStart()}`, ...inner.slice(1));
      } else {
        out.push(`${indent}- ${inner[0].trimStart()}`);
      }
    }
    return out;
  }
  if (value && typeof value === "object") {
    const keys = Object.keys(value as Record<string, unknown>).sort();
    if (!keys.length) return [`${indent}{}`];
    const out: string[] = [];
    for (const key of keys) {
      const child = (value as Record<string, unknown>)[key];
      const name = PLAIN.test(key) ? key : JSON.stringify(key);
      const empty =
        child && typeof child === "object" && !(Array.isArray(child) ? child.length : Object.keys(child).length);
      if (child && typeof child === "object" && !empty) {
        out.push(`${indent}${name}:`, ...lines(child, indent + "  "));
      } else {
        out.push(`${indent}${name}: ${empty ? (Array.isArray(child) ? "[]" : "{}") : scalar(child)}`);
      }
    }
    return out;
  }
  return [`${indent}${scalar(value)}`];
}

export type DiffOp = "same" | "add" | "del";

export interface DiffLine {
  op: DiffOp;
  text: string;
  /** 1-based line numbers in the old and new text (0 when the line is not in that side). */
  old: number;
  new: number;
}

/** Longest-common-subsequence line diff; manifests are a few hundred lines at most. */
export function diffLines(before: string[], after: string[]): DiffLine[] {
  const n = before.length;
  const m = after.length;
  const lcs: Uint32Array[] = Array.from({ length: n + 1 }, () => new Uint32Array(m + 1));
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      lcs[i][j] = before[i] === after[j] ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
    }
  }
  const out: DiffLine[] = [];
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && before[i] === after[j]) {
      out.push({ op: "same", text: before[i], old: i + 1, new: j + 1 });
      i++;
      j++;
    } else if (j < m && (i === n || lcs[i][j + 1] >= lcs[i + 1][j])) {
      out.push({ op: "add", text: after[j], old: 0, new: j + 1 });
      j++;
    } else {
      out.push({ op: "del", text: before[i], old: i + 1, new: 0 });
      i++;
    }
  }
  return out;
}

/** Secret values shown as a fingerprint: a diff still says whether a secret changed, never what it is. */
export function maskSecrets<T>(manifest: T): T {
  const copy = JSON.parse(JSON.stringify(manifest ?? null));
  const spec = copy?.spec;
  if (spec) {
    for (const secret of spec.secrets ?? []) {
      if (secret && secret.value) secret.value = `•••• ${fingerprint(String(secret.value))}`;
    }
    if (spec.image?.password) spec.image.password = `•••• ${fingerprint(String(spec.image.password))}`;
  }
  return copy;
}

/** FNV-1a, 24 bits: enough to tell values apart at a glance, too short to recover anything. */
export function fingerprint(text: string): string {
  let hash = 0x811c9dc5;
  for (let k = 0; k < text.length; k++) {
    hash ^= text.charCodeAt(k);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return (hash & 0xffffff).toString(16).padStart(6, "0");
}

export function manifestDiff(before: unknown, after: unknown): DiffLine[] {
  return diffLines(toYaml(maskSecrets(before)).split("\n"), toYaml(maskSecrets(after)).split("\n"));
}

/** The top-level spec keys two manifests differ in ("image", "env"): a rollout's summary of what changed. */
export function changedSpecKeys(
  before: { spec?: Record<string, unknown> } | null,
  after: { spec?: Record<string, unknown> } | null
): string[] {
  const a = before?.spec ?? {};
  const b = after?.spec ?? {};
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
  return keys.filter((key) => canonicalJson(a[key] ?? null) !== canonicalJson(b[key] ?? null));
}
