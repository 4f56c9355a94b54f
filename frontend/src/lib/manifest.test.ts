import { describe, expect, it } from "vitest";
import {
  canonicalJson,
  dnsLabelProblem,
  imageRef,
  ingressUrls,
  manifestForBlueprint,
  manifestFromBlueprint,
  nameValueProblems,
  parseTags,
  runningRollout,
  sameManifest,
  withSpec
} from "./manifest";
import type { Manifest, RolloutRecord } from "./types";

const nginx: Manifest = {
  apiVersion: "one-click.dev/v1alpha1",
  kind: "Rollout",
  spec: {
    image: { registry: "docker.io", repository: "library/nginx", tag: "1.27", username: "bot", password: "s3cret" },
    horizontalScale: { minReplicas: 1, maxReplicas: 1, targetCPUUtilizationPercentage: 80 },
    resources: { requests: { cpu: "100m", memory: "256Mi" }, limits: { cpu: "500m", memory: "512Mi" } },
    env: [{ name: "MODE", value: "prod" }],
    secrets: [{ name: "TOKEN", value: "abc" }],
    interfaces: [
      {
        name: "http",
        port: 80,
        ingress: { ingressClass: "nginx", rules: [{ host: "a.example.com", path: "/", tls: true }] }
      }
    ]
  }
};

describe("editing manifests", () => {
  it("replaces part of the spec without touching the original", () => {
    const changed = withSpec(nginx, { image: { ...nginx.spec.image, tag: "1.28" } });
    expect(changed.spec.image.tag).toBe("1.28");
    expect(nginx.spec.image.tag).toBe("1.27");
    expect(changed.spec.env).toEqual(nginx.spec.env);
    expect(changed.spec.env).not.toBe(nginx.spec.env);
  });

  it("compares manifests regardless of key order", () => {
    const reordered = JSON.parse(JSON.stringify({ spec: nginx.spec, kind: nginx.kind, apiVersion: nginx.apiVersion }));
    expect(sameManifest(nginx, reordered)).toBe(true);
    expect(canonicalJson({ b: 1, a: [{ d: 1, c: 2 }] })).toBe('{"a":[{"c":2,"d":1}],"b":1}');
    expect(sameManifest(nginx, withSpec(nginx, { env: [] }))).toBe(false);
  });

  it("starts a deployment from a blueprint without its ingress hosts", () => {
    const fresh = manifestFromBlueprint(nginx);
    expect(fresh.spec.interfaces).toEqual([{ name: "http", port: 80 }]);
    expect(nginx.spec.interfaces?.[0].ingress).toBeTruthy();
  });

  it("keeps no secret values or registry credentials in a blueprint", () => {
    const blueprint = manifestForBlueprint(nginx);
    expect(blueprint.spec.secrets).toEqual([{ name: "TOKEN", value: "" }]);
    expect(blueprint.spec.image.password).toBe("");
    expect(blueprint.spec.image.username).toBe("");
    expect(blueprint.spec.image.tag).toBe("1.27");
  });

  it("names the image and the public URLs", () => {
    expect(imageRef(nginx.spec.image)).toBe("docker.io/library/nginx:1.27");
    expect(ingressUrls(nginx)).toEqual(["https://a.example.com"]);
    expect(
      ingressUrls(
        withSpec(nginx, {
          interfaces: [{ name: "h", port: 1, ingress: { rules: [{ host: "b.io", path: "/api", tls: false }] } }]
        })
      )
    ).toEqual(["http://b.io/api"]);
  });

  it("finds the running rollout", () => {
    const rollouts = [
      { id: "b", endDate: "2026-01-01 00:00:00.000Z" },
      { id: "a", endDate: "" }
    ] as RolloutRecord[];
    expect(runningRollout(rollouts)?.id).toBe("a");
    expect(runningRollout([rollouts[0]])).toBeUndefined();
  });
});

describe("validation helpers", () => {
  it("checks variable names like Kubernetes and flags duplicates", () => {
    expect(
      nameValueProblems([
        { name: "GOOD", value: "" },
        { name: "1BAD", value: "" },
        { name: "", value: "x" },
        { name: "GOOD", value: "again" }
      ])
    ).toEqual([
      "",
      expect.stringContaining("not starting with a digit"),
      "A name is required.",
      '"GOOD" is already defined above.'
    ]);
  });

  it("checks DNS labels for volume and interface names", () => {
    expect(dnsLabelProblem("data", 47)).toBe("");
    expect(dnsLabelProblem("Data", 47)).toMatch(/Lowercase/);
    expect(dnsLabelProblem("x".repeat(48), 47)).toBe("At most 47 characters.");
  });

  it("reads One-Click's comma separated tags", () => {
    expect(parseTags(" Web,  My Tag ,web,")).toEqual(["web", "my-tag"]);
    expect(parseTags("")).toEqual([]);
  });
});
