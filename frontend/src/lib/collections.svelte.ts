/**
 * A collection's records kept current: listed once, then changed by PocketBase realtime events (subscribed
 * before listing, so nothing that happens in between is missed; a record seen twice is simply replaced).
 */
import type { RecordModel, RecordSubscription, UnsubscribeFunc } from "pocketbase";
import { describeError } from "./errors";
import { pb } from "./pb";

export interface ListQuery {
  filter?: string;
  sort?: string;
  expand?: string;
}

type Compare<T> = (a: T, b: T) => number;

const UNSUBSCRIBE_DELAY = 1000;

// Unsubscribing happens one at a time. With auto-cancellation off (pb.ts), the SDK's disconnect after the
// last listener goes cannot abort the subscription update an earlier unsubscribe still has in flight; that
// update would reach the server after it dropped the client and fail with a 404 in the console.
let unsubscribing: Promise<unknown> = Promise.resolve();
function unsubscribeInTurn(unsubscribe: UnsubscribeFunc): void {
  unsubscribing = unsubscribing.then(() => unsubscribe()).catch(() => undefined);
}

/** The SDK sends `filter=undefined` for a key that is present but undefined: leave such keys out. */
export function definedOnly<T extends object>(options: T): Partial<T> {
  return Object.fromEntries(
    Object.entries(options).filter(([, value]) => value !== undefined && value !== "")
  ) as Partial<T>;
}

export const newestFirst: Compare<RecordModel> = (a, b) => String(b.created).localeCompare(String(a.created));
export const byName: Compare<RecordModel & { name?: string }> = (a, b) =>
  String(a.name ?? "").localeCompare(String(b.name ?? ""), undefined, { sensitivity: "base" });

export class LiveList<T extends RecordModel> {
  items = $state<T[]>([]);
  loading = $state(true);
  error = $state("");
  private unsubscribe: UnsubscribeFunc | null = null;
  private stopped = false;

  constructor(
    private readonly collection: string,
    private readonly query: ListQuery = {},
    private readonly compare: Compare<T> = newestFirst as Compare<T>
  ) {}

  async start(): Promise<void> {
    try {
      const unsubscribe = await pb
        .collection(this.collection)
        .subscribe<T>(
          "*",
          (event) => this.apply(event),
          definedOnly({ filter: this.query.filter, expand: this.query.expand })
        );
      if (this.stopped) unsubscribeInTurn(unsubscribe);
      else this.unsubscribe = unsubscribe;
    } catch {
      // Without realtime the list still loads; it just won't change by itself.
    }
    await this.reload();
  }

  async reload(): Promise<void> {
    try {
      const items = await pb.collection(this.collection).getFullList<T>(
        definedOnly({
          filter: this.query.filter,
          sort: this.query.sort ?? "-created",
          expand: this.query.expand,
          batch: 500
        })
      );
      if (!this.stopped) {
        this.items = items;
        this.error = "";
      }
    } catch (error) {
      if (!this.stopped) this.error = describeError(error).message;
    } finally {
      this.loading = false;
    }
  }

  private apply(event: RecordSubscription<T>): void {
    if (event.action === "delete") {
      this.items = this.items.filter((item) => item.id !== event.record.id);
      return;
    }
    // Realtime events may arrive after a newer read of the same record (a list reloaded after a write):
    // never go back in time. PocketBase's "2006-01-02 15:04:05.000Z" dates order as text.
    const known = this.items.find((item) => item.id === event.record.id);
    if (known && String(event.record.updated) < String(known.updated)) return;
    const others = this.items.filter((item) => item.id !== event.record.id);
    this.items = [...others, event.record].sort(this.compare);
  }

  /** Applies a record the caller just wrote, before its realtime event arrives. */
  upsert(record: T): void {
    this.apply({ action: "update", record });
  }

  remove(id: string): void {
    this.items = this.items.filter((item) => item.id !== id);
  }

  stop(): void {
    this.stopped = true;
    const unsubscribe = this.unsubscribe;
    this.unsubscribe = null;
    // Unsubscribing last on a page makes the SDK close its realtime connection, and the next page opens a
    // new one at once. Letting the next page subscribe first keeps one connection across navigations.
    if (unsubscribe) setTimeout(() => unsubscribeInTurn(unsubscribe), UNSUBSCRIBE_DELAY);
  }
}
