import { loadFailure } from "$lib/errors";
import { pb } from "$lib/pb";
import type { ProjectRecord } from "$lib/types";
import type { LayoutLoad } from "./$types";

export const load: LayoutLoad = async ({ params, depends }) => {
  depends("app:project");
  try {
    const project = await pb.collection("projects").getOne<ProjectRecord>(params.projectId);
    return { project };
  } catch (e) {
    loadFailure(e, "This project does not exist, or it is not yours.");
  }
};
