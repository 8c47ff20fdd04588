import { BrazeClient, type BrazeClientOptions } from "../../src/client";
import { admin, KEY } from "../helpers";

/** Retry settings small enough for tests: a few ms of backoff. */
export const FAST_RETRY = { baseDelayMs: 5, maxDelayMs: 20, maxAttempts: 6 } as const;

/** A client of an emulator with fast retries; closed by `closeClients`. */
export function clientFor(url: string, options: Partial<BrazeClientOptions> = {}): BrazeClient {
  const client = new BrazeClient({ endpoint: url, apiKey: KEY, retry: FAST_RETRY, ...options });
  open.push(client);
  return client;
}

const open: BrazeClient[] = [];

/** Closes every client made with `clientFor`; call in afterAll. */
export async function closeClients(): Promise<void> {
  await Promise.all(open.splice(0).map((client) => client.close()));
}

/** Adds a fault rule to the emulator. */
export async function fault(url: string, rule: Record<string, unknown>): Promise<void> {
  const res = await admin(url, "POST", "/faults", rule);
  if (res.status >= 300) throw new Error(`fault rule refused: ${JSON.stringify(res.body)}`);
}

/** Requests of the emulator's log, oldest first. */
export async function requestLog(
  url: string,
): Promise<Array<{ path: string; status: number; fault: string | null }>> {
  const res = await admin(url, "GET", "/requests?limit=10000");
  const rows = Array.isArray(res.body) ? res.body : res.body.requests;
  return [...rows].reverse();
}

/** Catches the rejection of a promise (fails the test when it resolves). */
export async function rejectionOf(promise: Promise<unknown>): Promise<any> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error("expected the call to fail, it succeeded");
}
