/** Which blueprints a user sees where: their own, those shared with them, and the public community ones. */
import type { BlueprintRecord } from "./types";

export type BlueprintGroup = "mine" | "shared" | "community";

export function blueprintGroup(blueprint: BlueprintRecord, me: string): BlueprintGroup {
  if (blueprint.owner === me) return "mine";
  if ((blueprint.users ?? []).includes(me)) return "shared";
  return "community";
}

export function groupBlueprints(blueprints: BlueprintRecord[], me: string): Record<BlueprintGroup, BlueprintRecord[]> {
  const groups: Record<BlueprintGroup, BlueprintRecord[]> = { mine: [], shared: [], community: [] };
  for (const blueprint of blueprints) {
    const group = blueprintGroup(blueprint, me);
    // A private blueprint one merely found (a superuser's view) is not community.
    if (group === "community" && blueprint.private) continue;
    groups[group].push(blueprint);
  }
  return groups;
}

export const GROUP_TITLES: Record<BlueprintGroup, string> = {
  community: "Community",
  mine: "My blueprints",
  shared: "Shared with me"
};

export function shareLink(id: string): string {
  return `${location.origin}/app/blueprints/shared/${id}`;
}
