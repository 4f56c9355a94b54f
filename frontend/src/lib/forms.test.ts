import { get } from "svelte/store";
import { beforeEach, describe, expect, it } from "vitest";
import { idleForm, nameAndAvatar, submit } from "./forms";
import { toasts } from "./toast";

describe("submitting a form", () => {
  beforeEach(() => toasts.set([]));

  it("is busy while the request runs and clears the last errors", async () => {
    const form = { busy: false, fields: { name: "Cannot be blank." } };
    const seen: { busy: boolean; fields: Record<string, string> }[] = [];
    const worked = await submit(form, async () => void seen.push({ ...form }), "Could not save");
    expect(worked).toBe(true);
    expect(seen).toEqual([{ busy: true, fields: {} }]);
    expect(form).toEqual(idleForm());
    expect(get(toasts)).toEqual([]);
  });

  it("turns a refusal into a toast and the fields it named", async () => {
    const form = idleForm();
    const refusal = {
      status: 400,
      response: {
        status: 400,
        message: "Failed to update record.",
        data: { name: { code: "validation_required", message: "Cannot be blank." } }
      }
    };
    const worked = await submit(form, () => Promise.reject(refusal), "Could not save your profile");
    expect(worked).toBe(false);
    expect(form).toEqual({ busy: false, fields: { name: "Cannot be blank." } });
    expect(get(toasts).map((t) => [t.kind, t.text])).toEqual([
      ["error", "Could not save your profile: Failed to update record. name: Cannot be blank."]
    ]);
  });
});

describe("a name and avatar form body", () => {
  it("trims the name and uploads the avatar only when one was chosen", () => {
    const without = nameAndAvatar("  website ", null);
    expect([...without.keys()]).toEqual(["name"]);
    expect(without.get("name")).toBe("website");
    const picture = new File(["png"], "me.png", { type: "image/png" });
    const withAvatar = nameAndAvatar("website", picture);
    expect(withAvatar.get("avatar")).toBeInstanceOf(File);
    expect((withAvatar.get("avatar") as File).name).toBe("me.png");
  });
});
