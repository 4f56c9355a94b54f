import { loadFailure } from "$lib/errors";
import { pb } from "$lib/pb";
import type { DeploymentRecord } from "$lib/types";
import type { LayoutLoad } from "./$types";

export const load: LayoutLoad = async ({ params, parent, depends }) => {
  depends("app:deployment");
  const { project } = await parent();
  try {
    const deployment = await pb
      .collection("deployments")
      .getOne<DeploymentRecord>(params.deploymentId, { expand: "blueprint" });
    if (deployment.project !== project.id) throw Object.assign(new Error("not found"), { status: 404 });
    return { project, deployment };
  } catch (e) {
    loadFailure(e, "This deployment does not exist, or it is not yours.");
  }
};
