import { redirect } from "@sveltejs/kit";

// The original One-Click's address of this list.
export function load(): never {
  redirect(307, "/app/blueprints?tab=community");
}
