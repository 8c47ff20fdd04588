import type { BrazeClient } from "../client/braze-client";
import type { TokenRow } from "../tokens/types";
import { DRIFT_EXPORT_FIELDS, heldTokens, type Holder } from "./holder";

/** external_ids per /users/export/ids request (post_users_identifier.md). */
export const EXPORT_IDS_PER_REQUEST = 50;

/** Where a read-back looks: the batch's app and how to resolve app names. */
export interface ReadBackContext {
  readonly client: BrazeClient;
  /** The batch's app_id. */
  readonly appId: string;
  /** The batch's app name, as exports name it. */
  readonly appName: string;
  /** app_id by app name, for the apps the declarations name. */
  readonly appIds: ReadonlyMap<string, string>;
  /** Requests in flight at once. */
  readonly concurrency: number;
}

/**
 * Identified rows: whether each row's token is on its external_id's profile, through
 * /users/export/ids with up to 50 distinct external_ids a request (the client's rate limiter
 * paces them). A holder is returned only when the declared profile holds the token; undefined
 * means "not there", not "nowhere".
 */
export async function holdersByExternalId(
  context: ReadBackContext,
  rows: readonly TokenRow[],
): Promise<(Holder | undefined)[]> {
  const ids = [...new Set(rows.map((row) => row.externalId ?? ""))].filter((id) => id !== "");
  const groups: string[][] = [];
  for (let start = 0; start < ids.length; start += EXPORT_IDS_PER_REQUEST) {
    groups.push(ids.slice(start, start + EXPORT_IDS_PER_REQUEST));
  }

  // holder of each (external_id, token) of this app, from the profiles the requests return
  const held = new Map<string, Holder>();
  await inPool(groups, context.concurrency, async (externalIds) => {
    const { users } = await context.client.exportIds({
      externalIds,
      fieldsToExport: [...DRIFT_EXPORT_FIELDS],
    });
    for (const user of users) {
      for (const token of heldTokens(user, context.appIds)) {
        if (token.appName !== context.appName || token.holder.externalId === null) continue;
        held.set(`${token.holder.externalId}\n${token.token}`, token.holder);
      }
    }
  });
  return rows.map((row) => held.get(`${row.externalId ?? ""}\n${row.token}`));
}

/**
 * Anonymous rows of a small batch: the profile holding each row's device_id, through
 * /users/export/ids with `device_id` (one request per row), and whether it holds the token.
 * Rows without a device_id are not looked up (`"no_device_id"`).
 */
export async function holdersByDeviceId(
  context: ReadBackContext,
  rows: readonly TokenRow[],
): Promise<(Holder | undefined | "no_device_id")[]> {
  const result: (Holder | undefined | "no_device_id")[] = rows.map((row) =>
    row.deviceId === undefined ? "no_device_id" : undefined,
  );
  const indexes = rows.map((_, i) => i).filter((i) => rows[i].deviceId !== undefined);
  await inPool(indexes, context.concurrency, async (i) => {
    const row = rows[i];
    const { users } = await context.client.exportIds({
      deviceId: row.deviceId,
      fieldsToExport: [...DRIFT_EXPORT_FIELDS],
    });
    for (const user of users) {
      const token = heldTokens(user, context.appIds).find(
        (t) => t.appName === context.appName && t.token === row.token,
      );
      if (token !== undefined) result[i] = token.holder;
    }
  });
  return result;
}

/** Runs `work` on every item with at most `limit` running at once; the first failure stops it. */
export async function inPool<T>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++];
      await work(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
