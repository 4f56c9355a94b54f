/**
 * Saving a deployment's edited spec, the same on each of its settings pages: the change becomes a new rollout
 * of the base manifest with that part replaced.
 */
import { submit, type FormState } from "./forms";
import { withSpec } from "./manifest";
import { toast } from "./toast";
import type { Manifest, ManifestSpec } from "./types";

/** The deployment a change is rolled out to (a DeploymentView). */
export interface RolloutTarget {
  /** The manifest changes start from; undefined until the rollouts are loaded. */
  readonly baseManifest: Manifest | undefined;
  /** Starts a rollout of `manifest` and reloads the rollouts; false when it equals the running manifest. */
  deploy(manifest: Manifest): Promise<boolean>;
}

/** The form being saved (a SpecDraft). */
export interface SpecForm extends FormState {
  /** Takes `manifest` as what is saved, so the form is no longer dirty. */
  reset(manifest: Manifest): void;
}

/**
 * Rolls out `patch` and says so in a toast. On success the form holds the rolled-out manifest; on failure
 * it keeps the user's edits and shows the fields PocketBase refused. `what` names the part ("Image").
 */
export async function saveSpec(
  target: RolloutTarget,
  form: SpecForm,
  patch: Partial<ManifestSpec>,
  what: string
): Promise<void> {
  if (!target.baseManifest || form.busy) return;
  const manifest = withSpec(target.baseManifest, patch);
  const saved = await submit(
    form,
    async () => {
      if (await target.deploy(manifest)) toast.success(`${what} saved: a new rollout started.`);
      else toast.info("Nothing changed, so nothing was rolled out.");
    },
    `Could not save ${what.toLowerCase()}`
  );
  if (saved) form.reset(manifest);
}
