import { isHttpError } from "@sveltejs/kit";
import { describe, expect, it } from "vitest";
import { afterLeaving, blueprintGroup, groupBlueprints, sharedWith, visibleTo } from "./blueprints";
import { describeError, humanField, loadFailure, problemText } from "./errors";
import { formatBytes, formatCpu, parseDate, timeAgo } from "./format";
import { highlightParts, LogBuffer, logFileName, searchLines } from "./logs";
import { isQuantity, parseQuantity } from "./quantities";
import type { BlueprintRecord } from "./types";

describe("quantities", () => {
  it("reads Kubernetes quantities", () => {
    expect(parseQuantity("500m")).toBeCloseTo(0.5);
    expect(parseQuantity("2")).toBe(2);
    expect(parseQuantity("512Mi")).toBe(512 * 2 ** 20);
    expect(parseQuantity("1G")).toBe(1e9);
    expect(parseQuantity("1e3")).toBe(1000);
    expect(Number.isNaN(parseQuantity("12 apples"))).toBe(true);
    expect(isQuantity("-1")).toBe(false);
  });
});

describe("errors", () => {
  it("keeps PocketBase's message and per-field errors", () => {
    const problem = describeError({
      status: 400,
      response: {
        status: 400,
        message: "The manifest is invalid.",
        data: { "manifest.spec.image.tag": { code: "x", message: "Must be an image tag." } }
      }
    });
    expect(problem).toEqual({
      status: 400,
      message: "The manifest is invalid.",
      fields: { "manifest.spec.image.tag": "Must be an image tag." }
    });
    expect(problemText(problem, "Could not save")).toBe(
      "Could not save: The manifest is invalid. image tag: Must be an image tag."
    );
  });

  it("explains failures without a server answer", () => {
    expect(describeError({ status: 0, response: {} }).message).toMatch(/could not be reached/);
    expect(describeError({ status: 401, response: {} }).message).toMatch(/sign in again/);
    expect(describeError(new Error("boom")).message).toBe("boom");
  });

  it("ends a loader with the error page: its own words for a missing record, the API's otherwise", () => {
    const pageError = (cause: unknown) => {
      try {
        loadFailure(cause, "This project does not exist, or it is not yours.");
      } catch (thrown) {
        if (isHttpError(thrown)) return { status: thrown.status, message: thrown.body.message };
        throw thrown;
      }
      throw new Error("loadFailure returned");
    };
    expect(
      pageError({ status: 404, response: { status: 404, message: "The requested resource wasn't found." } })
    ).toEqual({
      status: 404,
      message: "This project does not exist, or it is not yours."
    });
    expect(pageError({ status: 403, response: { status: 403, message: "Only superusers can do that." } })).toEqual({
      status: 403,
      message: "Only superusers can do that."
    });
    expect(pageError({ status: 0, response: {} })).toEqual({
      status: 500,
      message: expect.stringMatching(/could not be reached/)
    });
    expect(pageError(new Error("boom"))).toEqual({ status: 500, message: "boom" });
  });

  it("turns field keys into words", () => {
    expect(humanField("manifest.spec.env.0.name")).toBe("env 0 name");
    expect(humanField("passwordConfirm")).toBe("password confirm");
  });
});

describe("logs", () => {
  it("joins lines split across frames and keeps the newest within the bound", () => {
    const buffer = new LogBuffer(3);
    buffer.push("a\nb");
    expect(buffer.lines).toEqual(["a"]);
    buffer.push("c\nd\ne\n");
    expect(buffer.lines).toEqual(["bc", "d", "e"]);
    buffer.push("f\n");
    expect(buffer.lines).toEqual(["d", "e", "f"]);
    expect(buffer.dropped).toBe(2);
    expect(buffer.text()).toBe("d\ne\nf\n");
  });

  it("searches case-insensitively and highlights matches", () => {
    expect(searchLines(["GET /a", "post /b", "GET /c"], "get").map((l) => l.number)).toEqual([1, 3]);
    expect(searchLines(["x"], "").length).toBe(1);
    expect(highlightParts("GET /get", "get")).toEqual([
      { text: "GET", match: true },
      { text: " /", match: false },
      { text: "get", match: true }
    ]);
  });

  it("names downloads after the pod and the time", () => {
    expect(logFileName("web-1", new Date("2026-01-02T03:04:05Z"))).toBe("web-1-20260102-030405.log");
  });
});

describe("format", () => {
  it("reads PocketBase dates and says how long ago", () => {
    const date = parseDate("2026-01-02 03:04:05.000Z");
    expect(date?.toISOString()).toBe("2026-01-02T03:04:05.000Z");
    expect(parseDate("")).toBeNull();
    expect(timeAgo("2026-01-02 03:04:05.000Z", Date.parse("2026-01-02T03:06:05Z"))).toBe("2 minutes ago");
    expect(formatBytes(512 * 2 ** 20)).toBe("512 MiB");
    expect(formatCpu(0.0137)).toBe("14m");
  });
});

describe("blueprints", () => {
  const b = (id: string, owner: string, users: string[], isPrivate: boolean) =>
    ({ id, owner, users, private: isPrivate }) as BlueprintRecord;

  it("groups into mine, shared with me and community", () => {
    const all = [b("1", "me", [], true), b("2", "x", ["me"], true), b("3", "x", [], false), b("4", "x", [], true)];
    const groups = groupBlueprints(all, "me");
    expect(groups.mine.map((x) => x.id)).toEqual(["1"]);
    expect(groups.shared.map((x) => x.id)).toEqual(["2"]);
    expect(groups.community.map((x) => x.id)).toEqual(["3"]);
    expect(blueprintGroup(all[1], "me")).toBe("shared");
  });

  it("shows the owner whom it shares with as ids, each once", () => {
    expect(sharedWith(b("1", "me", ["bob", "carol", "bob", ""], true))).toEqual(["bob", "carol"]);
    expect(sharedWith({ id: "2", owner: "me", private: true } as BlueprintRecord)).toEqual([]);
  });

  it("is visible to its owner, its users, and everyone when public", () => {
    expect(visibleTo(b("1", "me", [], true), "me")).toBe(true);
    expect(visibleTo(b("2", "x", ["me"], true), "me")).toBe(true);
    expect(visibleTo(b("3", "x", [], false), "me")).toBe(true);
    expect(visibleTo(b("4", "x", [], true), "me")).toBe(false);
  });

  it("drops a private blueprint one left and keeps a public one, then in Community", () => {
    expect(afterLeaving(b("1", "x", [], true), "me")).toBeNull();
    // Whatever the answer still says about oneself, one has left.
    expect(afterLeaving(b("2", "x", ["me"], true), "me")).toBeNull();
    const kept = afterLeaving(b("3", "x", ["me"], false), "me");
    expect(kept?.users).toEqual([]);
    expect(blueprintGroup(kept!, "me")).toBe("community");
    expect(groupBlueprints([kept!], "me").community.map((x) => x.id)).toEqual(["3"]);
  });
});
