import { loadFailure } from "$lib/errors";
import { pb } from "$lib/pb";
import type { DeploymentRecord, ProjectRecord } from "$lib/types";

export async function load({
  params,
  parent,
  depends
}: {
  params: { projectId: string; deploymentId: string };
  parent: () => Promise<{ project: ProjectRecord }>;
  depends: (dep: string) => void;
}) {
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
}
