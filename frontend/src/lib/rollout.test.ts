import { get } from "svelte/store";
import { beforeEach, describe, expect, it } from "vitest";
import { saveSpec, type RolloutTarget, type SpecForm } from "./rollout";
import { toasts } from "./toast";
import type { Manifest } from "./types";

const running: Manifest = {
  apiVersion: "one-click.dev/v1alpha1",
  kind: "Rollout",
  spec: {
    image: { registry: "docker.io", repository: "library/nginx", tag: "1.27" },
    horizontalScale: { minReplicas: 1, maxReplicas: 1, targetCPUUtilizationPercentage: 80 },
    resources: { requests: { cpu: "100m", memory: "256Mi" }, limits: { cpu: "500m", memory: "512Mi" } },
    env: [{ name: "MODE", value: "prod" }]
  }
};

/** A deployment whose rollouts are a list: deploy answers as DeploymentView does, or fails with `failure`. */
function deploymentWith(baseManifest: Manifest | undefined, failure?: unknown) {
  const deployed: Manifest[] = [];
  const target: RolloutTarget = {
    baseManifest,
    async deploy(manifest) {
      if (failure) throw failure;
      if (JSON.stringify(manifest) === JSON.stringify(baseManifest)) return false;
      deployed.push(manifest);
      return true;
    }
  };
  return { target, deployed };
}

function form() {
  const resets: Manifest[] = [];
  const state: SpecForm = {
    busy: false,
    fields: { "manifest.spec.image.tag": "an earlier error" },
    reset: (manifest) => void resets.push(manifest)
  };
  return { state, resets };
}

const lastToast = () => get(toasts).at(-1);

describe("saving a spec change as a rollout", () => {
  beforeEach(() => toasts.set([]));

  it("rolls out the base manifest with the part replaced and takes it as saved", async () => {
    const { target, deployed } = deploymentWith(running);
    const { state, resets } = form();
    await saveSpec(target, state, { image: { ...running.spec.image, tag: "1.28" } }, "Image");
    expect(deployed).toHaveLength(1);
    expect(deployed[0].spec.image.tag).toBe("1.28");
    expect(deployed[0].spec.env).toEqual(running.spec.env);
    expect(running.spec.image.tag).toBe("1.27");
    expect(resets).toEqual(deployed);
    expect(state.fields).toEqual({});
    expect(state.busy).toBe(false);
    expect(lastToast()).toMatchObject({ kind: "success", text: "Image saved: a new rollout started." });
  });

  it("says so when nothing changed", async () => {
    const { target, deployed } = deploymentWith(running);
    const { state, resets } = form();
    await saveSpec(target, state, { env: [{ name: "MODE", value: "prod" }] }, "Variables");
    expect(deployed).toEqual([]);
    expect(resets).toHaveLength(1);
    expect(lastToast()).toMatchObject({ kind: "info", text: "Nothing changed, so nothing was rolled out." });
  });

  it("keeps the edits and shows the refused fields when the API says no", async () => {
    const refusal = {
      status: 400,
      response: {
        status: 400,
        message: "The manifest is invalid.",
        data: { "manifest.spec.image.tag": { code: "x", message: "Must be an image tag." } }
      }
    };
    const { target } = deploymentWith(running, refusal);
    const { state, resets } = form();
    await saveSpec(target, state, { image: { ...running.spec.image, tag: "not a tag" } }, "Image");
    expect(resets).toEqual([]);
    expect(state.fields).toEqual({ "manifest.spec.image.tag": "Must be an image tag." });
    expect(state.busy).toBe(false);
    expect(lastToast()).toMatchObject({
      kind: "error",
      text: "Could not save image: The manifest is invalid. image tag: Must be an image tag."
    });
  });

  it("keeps the edits when the failure names no field", async () => {
    const { target } = deploymentWith(running, { status: 0, response: {} });
    const { state, resets } = form();
    await saveSpec(target, state, { env: [] }, "Variables");
    expect(resets).toEqual([]);
    expect(state.fields).toEqual({});
    expect(lastToast()?.text).toMatch(/^Could not save variables: The server could not be reached/);
  });

  it("does nothing before the rollouts are loaded, or while a save is under way", async () => {
    const unloaded = deploymentWith(undefined);
    const idle = form();
    await saveSpec(unloaded.target, idle.state, { env: [] }, "Variables");
    const loaded = deploymentWith(running);
    const saving = form();
    saving.state.busy = true;
    await saveSpec(loaded.target, saving.state, { env: [] }, "Variables");
    expect([...unloaded.deployed, ...loaded.deployed, ...idle.resets, ...saving.resets]).toEqual([]);
    expect(get(toasts)).toEqual([]);
  });
});
