import { redirect } from "@sveltejs/kit";
import { isSuperuser, pb } from "$lib/pb";
import type { LayoutLoad } from "./$types";

export const load: LayoutLoad = ({ url }) => {
  if (!pb.authStore.isValid) redirect(307, `/login?next=${encodeURIComponent(url.pathname + url.search)}`);
  // The app is for user accounts; superusers administer from the dashboard.
  if (isSuperuser()) redirect(307, "/_/");
};
