/** Turning API failures into words a person can act on, with PocketBase's per-field errors kept apart. */
import { error } from "@sveltejs/kit";

export interface Problem {
  status: number;
  message: string;
  /** field (as PocketBase keys it, e.g. `manifest.spec.image.tag`) → message */
  fields: Record<string, string>;
}

interface ErrorLike {
  status?: unknown;
  message?: unknown;
  response?: unknown;
  isAbort?: unknown;
}

const STATUS_TEXT: Record<number, string> = {
  0: "The server could not be reached. Check your connection and try again.",
  401: "Your session has ended. Please sign in again.",
  403: "You are not allowed to do that.",
  404: "That no longer exists, or it is not yours.",
  429: "Too many requests. Please wait a moment and try again.",
  503: "A service is unavailable right now. Please try again shortly."
};

/** The problem behind an error thrown by the SDK (ClientResponseError), `fetch` or anything else. */
export function describeError(error: unknown): Problem {
  const e = (error ?? {}) as ErrorLike;
  const status = typeof e.status === "number" ? e.status : 0;
  const response = (e.response && typeof e.response === "object" ? e.response : {}) as Record<string, unknown>;
  const fields: Record<string, string> = {};
  const data = response.data;
  if (data && typeof data === "object") {
    for (const [key, value] of Object.entries(data as Record<string, unknown>)) {
      if (value && typeof value === "object" && typeof (value as { message?: unknown }).message === "string") {
        fields[key] = (value as { message: string }).message;
      }
    }
  }
  const fromSdk = e.response !== undefined;
  let message: string;
  if (typeof response.message === "string" && response.message) message = response.message;
  else if (fromSdk && STATUS_TEXT[status]) message = STATUS_TEXT[status];
  else if (typeof e.message === "string" && e.message) message = e.message;
  else message = STATUS_TEXT[status] ?? "Something went wrong. Please try again.";
  return { status, message, fields };
}

/** "Failed to create the project. name: Cannot be blank." — one line for a toast. */
export function problemText(problem: Problem, action?: string): string {
  const head = action ? `${action}: ${problem.message}` : problem.message;
  const details = Object.entries(problem.fields).map(([field, message]) => `${humanField(field)}: ${message}`);
  return details.length ? `${head} ${details.join("; ")}` : head;
}

/** `manifest.spec.image.tag` → `image tag`; `passwordConfirm` → `password confirm`. */
export function humanField(field: string): string {
  return field
    .replace(/^manifest\.spec\./, "")
    .replace(/\.(\d+)\./g, " $1 ")
    .replace(/\./g, " ")
    .replace(/([a-z])([A-Z])/g, "$1 $2")
    .toLowerCase();
}

/**
 * Ends a page loader whose record could not be read with SvelteKit's error page: `notFound` when the record
 * is missing (PocketBase says the same when it is someone else's), the API's own words otherwise.
 */
export function loadFailure(cause: unknown, notFound: string): never {
  const problem = describeError(cause);
  // Anything without an HTTP error status (the server unreachable, a thrown Error) is the app's failure.
  const status = problem.status >= 400 && problem.status <= 599 ? problem.status : 500;
  error(status, status === 404 ? notFound : problem.message);
}
