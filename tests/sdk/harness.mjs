// What the SDK flows share: numbered steps that stop at the first failure, and HTTP error expectations.
// Every flow ends with "N passed, M failed", which the pytest wrappers check.
import assert from "node:assert/strict";
import { ClientResponseError } from "pocketbase";

const results = [];

export function summary() {
  return `${results.filter((r) => r.ok).length} passed, ${results.filter((r) => !r.ok).length} failed`;
}

export async function step(name, body) {
  try {
    await body();
    results.push({ name, ok: true });
    console.log(`ok - ${name}`);
  } catch (error) {
    results.push({ name, ok: false });
    console.log(`not ok - ${name}\n${error?.stack ?? error}`);
    console.log(summary());
    process.exit(1);
  }
}

export async function rejects(promise, status) {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof ClientResponseError, `expected a ClientResponseError, got ${error}`);
    assert.equal(error.status, status, JSON.stringify(error.response));
    return error;
  }
  assert.fail(`expected HTTP ${status}`);
}
