/**
 * The PocketBase client every view uses. The API is same-origin (the edge serves this app), so the
 * client's base URL is "/". The auth state is mirrored into the `pb_auth` cookie because browsers
 * cannot set headers on WebSocket handshakes or plain links (log downloads); the edge only honours
 * that cookie from pages of its own origin.
 */
import PocketBase, { type AuthRecord } from "pocketbase";
import { writable } from "svelte/store";

export const pb = new PocketBase("/");
// Views fire overlapping requests on purpose (status polls, lists); none should cancel another.
pb.autoCancellation(false);

export const currentUser = writable<AuthRecord>(pb.authStore.record);

function syncCookie(): void {
  if (typeof document === "undefined") return;
  document.cookie = pb.authStore.exportToCookie({
    httpOnly: false,
    secure: location.protocol === "https:",
    sameSite: "Strict",
    path: "/"
  });
}

pb.authStore.onChange(() => {
  currentUser.set(pb.authStore.record);
  syncCookie();
}, true);

export function isSuperuser(): boolean {
  return pb.authStore.isValid && pb.authStore.record?.collectionName === "_superusers";
}

export function userId(): string {
  return pb.authStore.record?.id ?? "";
}

export function logout(): void {
  pb.realtime.unsubscribe().catch(() => undefined);
  pb.authStore.clear();
}

/** The URL of a record's file (avatars); the token travels in the `pb_auth` cookie. */
export function fileUrl(record: { collectionName?: string; collectionId?: string; id: string }, file: string): string {
  if (!file) return "";
  const collection = record.collectionName || record.collectionId || "";
  return `/api/files/${encodeURIComponent(collection)}/${encodeURIComponent(record.id)}/${encodeURIComponent(file)}`;
}
