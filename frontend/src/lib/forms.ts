/** What every form that sends a request does with its outcome. */
import { describeError } from "./errors";
import { toast } from "./toast";

export interface Attempt {
  ok: boolean;
  /** PocketBase's per-field errors (keyed like `manifest.spec.image.tag`) for the form; empty when it worked. */
  fields: Record<string, string>;
}

/** Runs a form's request; a failure becomes a toast headed `failure` and the field errors it named. */
export async function attempt(request: () => Promise<unknown>, failure: string): Promise<Attempt> {
  try {
    await request();
    return { ok: true, fields: {} };
  } catch (error) {
    toast.failure(error, failure);
    return { ok: false, fields: describeError(error).fields };
  }
}
