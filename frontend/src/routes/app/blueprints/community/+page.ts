import { redirect } from "@sveltejs/kit";
import type { PageLoad } from "./$types";

// The original One-Click's address of this list.
export const load: PageLoad = () => {
  redirect(307, "/app/blueprints?tab=community");
};
