import { describe, expect, it } from "vitest";
import { offeredProviders } from "./providers";

const provider = (name: string, displayName = name) => ({ name, displayName, state: "s", authURL: "https://x/?" });

describe("offeredProviders", () => {
  it("offers no button when the server lists no provider", () => {
    expect(offeredProviders({ oauth2: { enabled: false, providers: [] } })).toEqual([]);
    expect(offeredProviders({ oauth2: null })).toEqual([]);
    expect(offeredProviders({})).toEqual([]);
    expect(offeredProviders(null)).toEqual([]);
  });

  it("offers GitHub alone when only GitHub is configured", () => {
    expect(offeredProviders({ oauth2: { enabled: true, providers: [provider("github", "GitHub")] } })).toEqual([
      { name: "github", title: "GitHub" }
    ]);
  });

  it("offers Microsoft alone when only Microsoft is configured", () => {
    expect(offeredProviders({ oauth2: { enabled: true, providers: [provider("microsoft", "Microsoft")] } })).toEqual([
      { name: "microsoft", title: "Microsoft" }
    ]);
  });

  it("offers both in the server's order", () => {
    const both = { oauth2: { enabled: true, providers: [provider("microsoft"), provider("github")] } };
    expect(offeredProviders(both).map((p) => p.title)).toEqual(["Microsoft", "GitHub"]);
  });

  it("leaves out providers the UI has no button for, duplicates, and a disabled list", () => {
    const odd = {
      oauth2: {
        enabled: true,
        providers: [provider("google"), provider("github"), provider("github"), provider("toString")]
      }
    };
    expect(offeredProviders(odd)).toEqual([{ name: "github", title: "GitHub" }]);
    expect(offeredProviders({ oauth2: { enabled: false, providers: [provider("github")] } })).toEqual([]);
  });
});
