/** A bounded buffer of log lines fed by text frames, and search over it. */

export class LogBuffer {
  lines: string[] = [];
  /** Lines dropped from the front to stay within `max`. */
  dropped = 0;
  private partial = "";

  constructor(readonly max = 5000) {}

  /** Adds a frame; frames hold whole lines, but a line split across frames is joined. */
  push(chunk: string): void {
    const parts = (this.partial + chunk).split("\n");
    this.partial = parts.pop() ?? "";
    if (!parts.length) return;
    this.lines.push(...parts.map((line) => line.replace(/\r$/, "")));
    const excess = this.lines.length - this.max;
    if (excess > 0) {
      this.lines.splice(0, excess);
      this.dropped += excess;
    }
  }

  clear(): void {
    this.lines = [];
    this.partial = "";
    this.dropped = 0;
  }

  text(): string {
    return this.lines.join("\n") + (this.lines.length ? "\n" : "");
  }
}

/** Lines containing the query (case-insensitive), with their 1-based position in the buffer. */
export function searchLines(lines: string[], query: string): { line: string; number: number }[] {
  const needle = query.trim().toLowerCase();
  const all = lines.map((line, index) => ({ line, number: index + 1 }));
  return needle ? all.filter(({ line }) => line.toLowerCase().includes(needle)) : all;
}

/** Splits a line around the query's matches, for highlighting. */
export function highlightParts(line: string, query: string): { text: string; match: boolean }[] {
  const needle = query.trim().toLowerCase();
  if (!needle) return [{ text: line, match: false }];
  const parts: { text: string; match: boolean }[] = [];
  const lower = line.toLowerCase();
  let at = 0;
  for (let found = lower.indexOf(needle); found !== -1; found = lower.indexOf(needle, at)) {
    if (found > at) parts.push({ text: line.slice(at, found), match: false });
    parts.push({ text: line.slice(found, found + needle.length), match: true });
    at = found + needle.length;
  }
  if (at < line.length) parts.push({ text: line.slice(at), match: false });
  return parts;
}

/** Kubernetes-safe file name for a downloaded log: `<pod>-<yyyymmdd-hhmmss>.log`. */
export function logFileName(pod: string, when: Date = new Date()): string {
  const stamp = when.toISOString().replace(/[-:]/g, "").replace("T", "-").slice(0, 15);
  return `${pod}-${stamp}.log`;
}
