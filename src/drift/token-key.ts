import { hashParts } from "../tokens/hash";

/**
 * The key of a token of an app in the drift index: a 64-bit hash of (app_id, token) split in a
 * 52-bit `key` (a plain number, indexed) and a 12-bit `check` compared after the lookup. Two
 * different tokens share both with a chance of about 1 in 2^64 per pair, so a million declared
 * tokens against a million held ones meet a false match with a chance near 1 in 10^7.
 */
export interface TokenKey {
  readonly key: number;
  readonly check: number;
}

/** The drift key of a token of an app. */
export function driftTokenKey(appId: string, token: string): TokenKey {
  const [hi, lo] = hashParts(`${appId}\u001f${token}`);
  return { key: hi * 0x100000 + (lo >>> 12), check: lo & 0xfff };
}
