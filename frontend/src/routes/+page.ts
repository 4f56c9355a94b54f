import { redirect } from "@sveltejs/kit";
import { isSuperuser, pb } from "$lib/pb";

export function load(): never {
  if (!pb.authStore.isValid) redirect(307, "/login");
  redirect(307, isSuperuser() ? "/_/" : "/app/projects");
}
