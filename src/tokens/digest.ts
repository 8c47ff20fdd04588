/**
 * The content digest of a token batch: SHA-256 over every row that passed the rules, normalised,
 * in file order. Repeated rows are included: repeats are only known once the whole file has been
 * read, and the digest is computed as it streams by. It depends on nothing but the rows (not the
 * file's name, encoding, line endings, gzip or column order), so two machines reading the same
 * content agree, and any changed, added or removed row changes it.
 */
import { createHash, type Hash } from "node:crypto";
import type { ImportMode, Platform, TokenRow } from "./types";

/** Bumped when the normalised form changes, so old and new digests never look alike. */
const DIGEST_VERSION = "braze-push-migrate/tokens/v2";

/** The normalised form of a row: one JSON array, attributes with their keys sorted. */
export function normalisedRow(row: Omit<TokenRow, "line">): string {
  // the same text as JSON.stringify of the array, built by hand for speed: a token that passed
  // the rules is hex or FCM's [A-Za-z0-9_:-], which JSON writes as it is
  const token = SAFE_TOKEN.test(row.token) ? `"${row.token}"` : JSON.stringify(row.token);
  const attributes = row.customAttributes;
  let empty = true;
  for (const key in attributes) {
    if (Object.hasOwn(attributes, key)) {
      empty = false;
      break;
    }
  }
  return (
    `[${token},${json(row.externalId)},${json(row.deviceId)},${json(row.email)},` +
    `${json(row.country)},${json(row.language)},${empty ? "{}" : JSON.stringify(canonical(attributes))}]`
  );
}

const SAFE_TOKEN = /^[A-Za-z0-9_:-]*$/;

const json = (value: string | undefined) => (value === undefined ? "null" : JSON.stringify(value));

/** Accumulates the digest of a read. */
export class ContentDigest {
  private readonly hash: Hash = createHash("sha256");

  constructor(platform: Platform, mode: ImportMode) {
    // the same rows make a different batch for another platform or mode
    this.hash.update(`${DIGEST_VERSION} ${platform} ${mode}\n`);
  }

  /** Adds normalised rows (see {@link normalisedRow}), in file order. */
  add(normalised: readonly string[]): void {
    if (normalised.length > 0) this.hash.update(`${normalised.join("\n")}\n`);
  }

  /** `sha256:` and the hex digest. */
  finish(): string {
    return `sha256:${this.hash.digest("hex")}`;
  }
}

// objects with sorted keys, recursively, so key order in the source does not matter
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value === null || typeof value !== "object") return value;
  const keys = Object.keys(value);
  if (keys.length === 0) return value;
  const out: Record<string, unknown> = {};
  for (const key of keys.sort()) {
    out[key] = canonical((value as Record<string, unknown>)[key]);
  }
  return out;
}
