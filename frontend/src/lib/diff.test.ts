import { describe, expect, it } from "vitest";
import { changedSpecKeys, diffLines, fingerprint, manifestDiff, maskSecrets, toYaml } from "./diff";

describe("toYaml", () => {
  it("prints nested objects and lists with sorted keys", () => {
    expect(toYaml({ spec: { b: [1, "two"], a: { x: true } }, kind: "Rollout" })).toBe(
      ["kind: Rollout", "spec:", "  a:", "    x: true", "  b:", "    - 1", "    - two"].join("\n")
    );
  });

  it("quotes strings that YAML would read differently", () => {
    expect(toYaml({ a: "", b: "true", c: "1.0", d: "has space", e: "ok" })).toBe(
      'a: ""\nb: "true"\nc: "1.0"\nd: "has space"\ne: ok'
    );
  });

  it("prints lists of objects with the dash on the first key", () => {
    expect(toYaml({ env: [{ name: "A", value: "1" }], none: [], empty: {} })).toBe(
      ["empty: {}", "env:", "  - name: A", '    value: "1"', "none: []"].join("\n")
    );
  });
});

describe("diffLines", () => {
  it("keeps common lines and marks additions and removals", () => {
    const result = diffLines(["a", "b", "c"], ["a", "x", "c", "d"]);
    expect(result.map((l) => `${l.op}:${l.text}`)).toEqual(["same:a", "add:x", "del:b", "same:c", "add:d"]);
    expect(result.find((l) => l.text === "d")).toMatchObject({ old: 0, new: 4 });
    expect(result.find((l) => l.text === "b")).toMatchObject({ old: 2, new: 0 });
  });

  it("is empty of changes for equal input", () => {
    expect(diffLines(["a", "b"], ["a", "b"]).every((l) => l.op === "same")).toBe(true);
    expect(diffLines([], [])).toEqual([]);
  });
});

describe("rollout diffs", () => {
  const before = { spec: { image: { tag: "1.0", password: "pw1" }, secrets: [{ name: "T", value: "old" }] } };
  const after = { spec: { image: { tag: "1.1", password: "pw1" }, secrets: [{ name: "T", value: "new" }] } };

  it("never shows secret values, but shows that they changed", () => {
    const text = manifestDiff(before, after)
      .map((l) => l.text)
      .join("\n");
    expect(text).not.toMatch(/old|new|pw1/);
    const changed = manifestDiff(before, after)
      .filter((l) => l.op !== "same")
      .map((l) => l.text.trim());
    expect(changed).toContain('tag: "1.1"');
    expect(changed.some((t) => t.startsWith("value: ") && t.includes(fingerprint("new")))).toBe(true);
    expect(changed.some((t) => t.includes("password"))).toBe(false);
  });

  it("masks without changing the input", () => {
    const masked = maskSecrets(before);
    expect(masked.spec.secrets[0].value).toBe(`•••• ${fingerprint("old")}`);
    expect(before.spec.secrets[0].value).toBe("old");
  });

  it("names the parts of the spec that changed", () => {
    expect(changedSpecKeys(before, after)).toEqual(["image", "secrets"]);
    expect(changedSpecKeys(before, before)).toEqual([]);
    expect(changedSpecKeys(null, { spec: { env: [] } })).toEqual(["env"]);
  });
});
