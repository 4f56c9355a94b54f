// Drives the One-Click collections through the official PocketBase JS SDK (the frontend's version)
// against a running stack: lists with sort/expand/filters, create/update/delete, `users-`, the
// custom blueprint endpoints and realtime subscriptions. Exits non-zero on the first broken expectation.
//
//   ONECLICK_URL=http://127.0.0.1:8090 node records_flow.mjs
import assert from "node:assert/strict";
import { EventSource } from "eventsource";
import PocketBase from "pocketbase";
import { rejects, step, summary } from "./harness.mjs";

// Browsers have EventSource; Node needs the WHATWG implementation for the SDK's realtime service.
globalThis.EventSource = EventSource;

const url = process.env.ONECLICK_URL;
assert.ok(url, "ONECLICK_URL is required");
const suffix = Math.random().toString(36).slice(2, 10);
const password = "records password 1";

async function until(condition, what) {
  for (let i = 0; i < 200; i++) {
    if (condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  assert.fail(`timed out waiting for ${what}`);
}

async function signedIn(name) {
  const pb = new PocketBase(url);
  pb.autoCancellation(false);
  const email = `${name}-${suffix}@example.com`;
  await pb.collection("users").create({ email, password, passwordConfirm: password, name });
  await pb.collection("users").authWithPassword(email, password);
  return pb;
}

const alice = await signedIn("alice");
const bob = await signedIn("bob");
const manifest = {
  apiVersion: "one-click.dev/v1alpha1",
  kind: "Rollout",
  spec: {
    image: { registry: "docker.io", repository: "library/nginx", tag: "1.25", username: "", password: "" },
    horizontalScale: { minReplicas: 1, maxReplicas: 1, targetCPUUtilizationPercentage: 80 },
    resources: { requests: { cpu: "100m", memory: "128Mi" }, limits: { cpu: "500m", memory: "256Mi" } },
    env: [], secrets: [], volumes: [], interfaces: [{ name: "http", port: 80 }], serviceAccountName: "one-click",
  },
};
const live = [];
let project, deployment, rollout, blueprint;
// Second records of each kind, created later, so sort: '-created' has an order to prove.
let laterProject, laterDeployment, laterRollout, laterAutoUpdate, autoUpdate;

await step("realtime subscribe to projects", async () => {
  await alice.collection("projects").subscribe("*", (event) => live.push(event));
});

await step("create a project, a deployment from a blueprint, a rollout and an autoUpdate", async () => {
  project = await alice.collection("projects").create({ name: "sdk shop", description: "from the SDK" });
  assert.equal(project.user, alice.authStore.record.id);
  deployment = await alice.collection("deployments").create(
    { name: "web", project: project.id, blueprint: "bpnginx00000000" }, { expand: "project,blueprint" });
  assert.equal(deployment.expand.project.name, "sdk shop");
  assert.equal(deployment.expand.blueprint.name, "nginx");
  rollout = await alice.collection("rollouts").create({ project: project.id, deployment: deployment.id, manifest });
  assert.equal(rollout.endDate, "");
  autoUpdate = await alice.collection("autoUpdates").create(
    { project: project.id, deployment: deployment.id, interval: "5m", pattern: "^1\\.", policy: "semver" });
  laterProject = await alice.collection("projects").create({ name: "sdk blog" });
  // In the first project, so deleting it at the end still cascades everything.
  laterDeployment = await alice.collection("deployments").create({ name: "api", project: project.id });
  laterRollout = await alice.collection("rollouts").create(
    { project: project.id, deployment: laterDeployment.id, manifest });
  laterAutoUpdate = await alice.collection("autoUpdates").create(
    { project: project.id, deployment: laterDeployment.id, interval: "1h", pattern: "^1\\.", policy: "semver" });
});

await step("getFullList on every collection with sort -created and expand", async () => {
  const expands = { projects: "", deployments: "project,blueprint", rollouts: "project,deployment",
                    blueprints: "owner,users", autoUpdates: "project" };
  // Newest first: the later record of each kind leads.
  const expected = { projects: [laterProject.id, project.id], deployments: [laterDeployment.id, deployment.id],
                     rollouts: [laterRollout.id, rollout.id], autoUpdates: [laterAutoUpdate.id, autoUpdate.id] };
  for (const [collection, expand] of Object.entries(expands)) {
    const items = await alice.collection(collection).getFullList({ sort: "-created", expand });
    assert.ok(Array.isArray(items), collection);
    if (collection !== "blueprints") assert.deepEqual(items.map((i) => i.id), expected[collection], collection);
    const created = items.map((i) => i.created);
    assert.deepEqual(created, [...created].sort().reverse(), `${collection} not sorted by -created`);
  }
  const ascending = await alice.collection("projects").getFullList({ sort: "created" });
  assert.deepEqual(ascending.map((p) => p.id), [project.id, laterProject.id]);
  const rollouts = await alice.collection("rollouts").getFullList({ sort: "-created", expand: "project,deployment" });
  assert.equal(rollouts[0].expand.deployment.id, laterDeployment.id);
  assert.equal(rollouts[1].expand.deployment.id, deployment.id);
  assert.equal(rollouts[1].expand.project.name, "sdk shop");
});

await step("getList with filters, paging and fields", async () => {
  const page = await alice.collection("rollouts").getList(1, 10, {
    filter: alice.filter("deployment = {:d} && endDate = ''", { d: deployment.id }) });
  assert.equal(page.totalItems, 1);
  assert.equal(page.items[0].id, rollout.id);
  const community = await alice.collection("blueprints").getList(1, 50, { filter: "private = false", sort: "name" });
  assert.ok(community.items.some((b) => b.name === "nginx"));
  await rejects(alice.collection("projects").getList(1, 10, { filter: "nope = 1" }), 400);
});

await step("a second rollout ends the first; rollback re-activates it", async () => {
  const second = await alice.collection("rollouts").create(
    { project: project.id, deployment: deployment.id, manifest: { ...manifest, spec: { ...manifest.spec,
      image: { ...manifest.spec.image, tag: "1.26" } } } });
  const first = await alice.collection("rollouts").getOne(rollout.id);
  assert.notEqual(first.endDate, "");
  const back = await alice.collection("rollouts").update(rollout.id, { endDate: "" });
  assert.equal(back.endDate, "");
  assert.notEqual((await alice.collection("rollouts").getOne(second.id)).endDate, "");
});

await step("update a project and see it live", async () => {
  await alice.collection("projects").update(project.id, { name: "sdk shop 2" });
  await until(() => live.some((e) => e.action === "update" && e.record.name === "sdk shop 2"), "the update event");
  assert.ok(live.some((e) => e.action === "create" && e.record.id === project.id));
});

await step("share a private blueprint by link, unshare with users-, leave it", async () => {
  blueprint = await alice.collection("blueprints").create({ name: "private", manifest, private: true });
  await rejects(bob.collection("blueprints").getOne(blueprint.id), 404);
  const shared = await bob.send(`/pb/blueprints/shared/${blueprint.id}`, { method: "POST" });
  assert.deepEqual(shared.users, [bob.authStore.record.id]);
  assert.equal((await bob.send(`/pb/blueprints/${blueprint.id}`, {})).name, "private");
  const carol = await signedIn("carol");
  await carol.send(`/pb/blueprints/shared/${blueprint.id}`, { method: "POST" });
  // Only the owner sees whom it is shared with; users join by the link, never through users+.
  assert.deepEqual((await carol.collection("blueprints").getOne(blueprint.id)).users, [carol.authStore.record.id]);
  await rejects(alice.collection("blueprints").update(blueprint.id, { "users+": alice.authStore.record.id }), 400);
  const updated = await alice.collection("blueprints").update(blueprint.id, { "users-": bob.authStore.record.id });
  assert.deepEqual(updated.users, [carol.authStore.record.id]);
  const left = await carol.send(`/pb/blueprints/shared/${blueprint.id}`, { method: "DELETE" });
  assert.deepEqual(left.users, []);
  await rejects(carol.collection("blueprints").getOne(blueprint.id), 404);
});

await step("another user sees none of it", async () => {
  assert.equal((await bob.collection("projects").getFullList()).length, 0);
  await rejects(bob.collection("deployments").getOne(deployment.id), 404);
  await rejects(bob.collection("projects").update(project.id, { name: "mine" }), 404);
});

await step("delete the project: cascades and a live delete", async () => {
  await alice.collection("projects").delete(project.id);
  await rejects(alice.collection("deployments").getOne(deployment.id), 404);
  assert.equal((await alice.collection("rollouts").getFullList()).length, 0);
  await until(() => live.some((e) => e.action === "delete" && e.record.id === project.id), "the delete event");
  await alice.collection("projects").unsubscribe();
});

console.log(summary());
process.exit(0);
