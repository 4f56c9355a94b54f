/** Toasts: short messages in an aria-live region; errors stay until dismissed or replaced. */
import { writable } from "svelte/store";
import { describeError, problemText } from "./errors";

export type ToastKind = "success" | "error" | "info";

export interface Toast {
  id: number;
  kind: ToastKind;
  text: string;
}

export const toasts = writable<Toast[]>([]);
let next = 1;

export function dismiss(id: number): void {
  toasts.update((all) => all.filter((t) => t.id !== id));
}

function push(kind: ToastKind, text: string, ms: number): number {
  const id = next++;
  toasts.update((all) => [...all.slice(-4), { id, kind, text }]);
  if (ms > 0 && typeof window !== "undefined") window.setTimeout(() => dismiss(id), ms);
  return id;
}

export const toast = {
  success: (text: string) => push("success", text, 4000),
  info: (text: string) => push("info", text, 5000),
  error: (text: string) => push("error", text, 12000),
  /** A failed request as a readable toast, with the fields PocketBase named. */
  failure: (error: unknown, action?: string) => push("error", problemText(describeError(error), action), 12000)
};
