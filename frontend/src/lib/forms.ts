/** What every form that sends a request does while it runs and with its outcome. */
import { describeError } from "./errors";
import { toast } from "./toast";

/** Pages keep one per form in `$state(idleForm())`, so the button and the fields follow it. */
export interface FormState {
  busy: boolean;
  /** PocketBase's per-field errors (keyed like `name` or `manifest.spec.image.tag`) from the last failure. */
  fields: Record<string, string>;
}

export function idleForm(): FormState {
  return { busy: false, fields: {} };
}

/**
 * Runs a form's request, busy meanwhile; a failure becomes a toast headed `failure` and the field errors it
 * named. Returns whether it worked.
 */
export async function submit(form: FormState, request: () => Promise<unknown>, failure: string): Promise<boolean> {
  form.busy = true;
  form.fields = {};
  try {
    await request();
    return true;
  } catch (error) {
    form.fields = describeError(error).fields;
    toast.failure(error, failure);
    return false;
  } finally {
    form.busy = false;
  }
}

/** The body of a form that names a record and may upload a new avatar (a file needs multipart). */
export function nameAndAvatar(name: string, avatar: File | null): FormData {
  const body = new FormData();
  body.append("name", name.trim());
  if (avatar) body.append("avatar", avatar);
  return body;
}
