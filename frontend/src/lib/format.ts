/** Dates, sizes and CPU amounts as people read them. */

/** PocketBase's "2006-01-02 15:04:05.000Z" (or ISO) → Date; "" → null. */
export function parseDate(value: string | null | undefined): Date | null {
  if (!value) return null;
  const date = new Date(value.includes("T") ? value : value.replace(" ", "T"));
  return Number.isNaN(date.getTime()) ? null : date;
}

export function formatDate(value: string | null | undefined): string {
  const date = parseDate(value);
  if (!date) return "—";
  return date.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}

export function timeAgo(value: string | null | undefined, now: number = Date.now()): string {
  const date = parseDate(value);
  if (!date) return "—";
  const seconds = Math.round((now - date.getTime()) / 1000);
  if (seconds < 5) return "just now";
  const steps: [number, string][] = [
    [60, "second"],
    [60, "minute"],
    [24, "hour"],
    [30, "day"],
    [12, "month"]
  ];
  let amount = seconds;
  for (const [size, unit] of steps) {
    if (Math.abs(amount) < size) return `${amount} ${unit}${amount === 1 ? "" : "s"} ago`;
    amount = Math.round(amount / size);
  }
  return `${amount} year${amount === 1 ? "" : "s"} ago`;
}

export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes)) return "—";
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let value = bytes;
  let unit = 0;
  while (Math.abs(value) >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value >= 100 || unit === 0 ? Math.round(value) : value.toFixed(1)} ${units[unit]}`;
}

/** Cores as millicores below one core ("250m"), as cores above ("1.5 cores"). */
export function formatCpu(cores: number): string {
  if (!Number.isFinite(cores)) return "—";
  if (cores < 1) return `${Math.round(cores * 1000)}m`;
  return `${cores.toFixed(cores < 10 ? 2 : 1)} cores`;
}

export function shortId(id: string): string {
  return id.slice(0, 7);
}
