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

/**
 * Whom a blueprint is shared with, as its owner reads it: the ids in `users`, each once. Other users' names
 * are private (`expand=users` yields only oneself), so ids are all there is to show.
 */
export function sharedWith(blueprint: BlueprintRecord): string[] {
  return [...new Set((blueprint.users ?? []).filter(Boolean))];
}

/** Whether `me` may see a blueprint: the owner, a user it is shared with, or anyone when it is public. */
export function visibleTo(blueprint: BlueprintRecord, me: string): boolean {
  return blueprint.owner === me || (blueprint.users ?? []).includes(me) || !blueprint.private;
}

/**
 * What a list keeps of a blueprint `me` just left, given the leave endpoint's answer: the blueprint while `me`
 * may still see it (a public one moves to Community), otherwise nothing (a private one is gone).
 */
export function afterLeaving(answer: BlueprintRecord, me: string): BlueprintRecord | null {
  const left = { ...answer, users: (answer.users ?? []).filter((id) => id !== me) };
  return visibleTo(left, me) ? left : null;
}

export const GROUP_TITLES: Record<BlueprintGroup, string> = {
  community: "Community",
  mine: "My blueprints",
  shared: "Shared with me"
};

export function shareLink(id: string): string {
  return `${location.origin}/app/blueprints/shared/${id}`;
}
