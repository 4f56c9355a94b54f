// Drives sign-up and sign-in through the official PocketBase JS SDK, at the version One-Click's
// frontend uses, against a running stack. Exits non-zero on the first broken expectation.
//
//   ONECLICK_URL=http://127.0.0.1:8090 SUPERUSER_EMAIL=... SUPERUSER_PASSWORD=... node auth_flow.mjs
import assert from "node:assert/strict";
import PocketBase from "pocketbase";
import { rejects, step, summary } from "./harness.mjs";

const url = process.env.ONECLICK_URL;
assert.ok(url, "ONECLICK_URL is required");
const suffix = Math.random().toString(36).slice(2, 10);
const email = `sdk-${suffix}@example.com`;
const password = "first password 1";
const newPassword = "second password 2";

// One token in the payload of an unsigned JWT: isValid only reads `exp`, it never checks signatures.
function unsignedToken(payload) {
  const part = (value) => Buffer.from(JSON.stringify(value)).toString("base64url");
  return `${part({ alg: "EdDSA", typ: "JWT" })}.${part(payload)}.c2ln`;
}

const pb = new PocketBase(url);
pb.autoCancellation(false);
let user;
let firstToken;

await step("sign-up validation errors arrive per field", async () => {
  const error = await rejects(
    pb.collection("users").create({ email: "nope", password: "x", passwordConfirm: "y" }), 400);
  assert.equal(error.response.data.email.code, "validation_is_email");
  assert.equal(error.response.data.password.code, "validation_length_out_of_range");
  assert.equal(error.response.data.passwordConfirm.code, "validation_values_mismatch");
});

await step("sign up", async () => {
  user = await pb.collection("users").create({ email, password, passwordConfirm: password, name: "SDK" });
  assert.equal(user.email, email);
  assert.equal(user.collectionName, "users");
  assert.equal(pb.authStore.isValid, false);
});

await step("authWithPassword", async () => {
  const auth = await pb.collection("users").authWithPassword(email, password);
  assert.equal(auth.record.id, user.id);
  assert.equal(pb.authStore.record.id, user.id);
  assert.equal(pb.authStore.token, auth.token);
  assert.equal(pb.authStore.isValid, true);
  assert.equal(pb.authStore.isSuperuser, false);
  firstToken = auth.token;
});

await step("authRefresh", async () => {
  const refreshed = await pb.collection("users").authRefresh();
  assert.equal(refreshed.record.id, user.id);
  assert.equal(pb.authStore.token, refreshed.token);
  assert.equal(pb.authStore.isValid, true);
});

await step("listAuthMethods", async () => {
  const methods = await pb.collection("users").listAuthMethods();
  assert.equal(methods.password.enabled, true);
  assert.deepEqual(methods.password.identityFields, ["email", "username"]);
  assert.ok(Array.isArray(methods.authProviders)); // what the One-Click frontend reads
  assert.equal(methods.oauth2.enabled, methods.authProviders.length > 0);
});

await step("update own name", async () => {
  const updated = await pb.collection("users").update(user.id, { name: "Renamed" });
  assert.equal(updated.name, "Renamed");
  assert.equal(pb.authStore.record.name, "Renamed"); // the SDK keeps its auth record in step
  const fetched = await pb.collection("users").getOne(user.id);
  assert.equal(fetched.name, "Renamed");
});

await step("change password: the old token is rejected on the next request", async () => {
  const oldToken = pb.authStore.token;
  await rejects(pb.collection("users").update(user.id, { password: newPassword, passwordConfirm: newPassword }), 400);
  await pb.collection("users").update(user.id, {
    oldPassword: password, password: newPassword, passwordConfirm: newPassword });
  assert.equal(pb.authStore.token, oldToken);
  assert.equal(pb.authStore.isValid, true); // isValid only looks at exp; the server is what revokes
  await rejects(pb.collection("users").getOne(user.id), 401);
  await rejects(pb.collection("users").authRefresh(), 401);
  const stale = new PocketBase(url);
  stale.authStore.save(firstToken, user);
  await rejects(stale.collection("users").getOne(user.id), 401);
});

await step("sign in with the new password only", async () => {
  await rejects(pb.collection("users").authWithPassword(email, password), 400);
  const auth = await pb.collection("users").authWithPassword(email, newPassword);
  assert.equal(auth.record.name, "Renamed");
  assert.equal((await pb.collection("users").getOne(user.id)).id, user.id);
});

await step("authStore.isValid follows the token's exp and clear()", async () => {
  const store = new PocketBase(url).authStore;
  assert.equal(store.isValid, false);
  const now = Math.floor(Date.now() / 1000);
  store.save(unsignedToken({ id: "x", type: "auth", exp: now + 60 }), null);
  assert.equal(store.isValid, true);
  store.save(unsignedToken({ id: "x", type: "auth", exp: now - 60 }), null);
  assert.equal(store.isValid, false);
  pb.authStore.clear();
  assert.equal(pb.authStore.isValid, false);
  assert.equal(pb.authStore.record, null);
  await rejects(pb.collection("users").getOne(user.id), 401);
});

if (process.env.SUPERUSER_EMAIL) {
  await step("superuser sign-in sets isSuperuser", async () => {
    const admin = new PocketBase(url);
    await admin.collection("_superusers").authWithPassword(process.env.SUPERUSER_EMAIL,
                                                           process.env.SUPERUSER_PASSWORD);
    assert.equal(admin.authStore.isSuperuser, true);
    assert.equal((await admin.collection("users").getOne(user.id)).id, user.id);
  });
}

await step("another user cannot read this one", async () => {
  const other = new PocketBase(url);
  const otherEmail = `sdk-other-${suffix}@example.com`;
  await other.collection("users").create({ email: otherEmail, password, passwordConfirm: password });
  await other.collection("users").authWithPassword(otherEmail, password);
  await rejects(other.collection("users").getOne(user.id), 404);
});

console.log(summary());
