import { redirect } from "@sveltejs/kit";
import { isSuperuser, pb } from "$lib/pb";
import type { PageLoad } from "./$types";

export const load: PageLoad = () => {
  if (!pb.authStore.isValid) redirect(307, "/login");
  redirect(307, isSuperuser() ? "/_/" : "/app/projects");
};
