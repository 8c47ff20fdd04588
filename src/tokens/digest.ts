/**
 * The content digest of a token batch: SHA-256 over the valid rows, normalised, in file order.
 * It depends on nothing but the rows (not the file's name, encoding, line endings, gzip or
 * column order), so two machines reading the same content agree, and any changed token,
 * external_id, device_id or attribute changes it.
 */
import { createHash, type Hash } from "node:crypto";
import type { ImportMode, Platform, TokenRow } from "./types";

/** Bumped when the normalised form changes, so old and new digests never look alike. */
const DIGEST_VERSION = "braze-push-migrate/tokens/v1";

/** The normalised form of a row: one JSON array, attributes with their keys sorted. */
export function normalisedRow(row: Omit<TokenRow, "line">): string {
  return JSON.stringify([
    row.token,
    row.externalId ?? null,
    row.deviceId ?? null,
    row.email ?? null,
    row.country ?? null,
    row.language ?? null,
    canonical(row.customAttributes),
  ]);
}

/** Accumulates the digest of a read. */
export class ContentDigest {
  private readonly hash: Hash = createHash("sha256");

  constructor(platform: Platform, mode: ImportMode) {
    // the same rows make a different batch for another platform or mode
    this.hash.update(`${DIGEST_VERSION} ${platform} ${mode}\n`);
  }

  /** Adds one normalised row (see {@link normalisedRow}). */
  add(normalised: string): void {
    this.hash.update(`${normalised}\n`);
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
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) {
    out[key] = canonical((value as Record<string, unknown>)[key]);
  }
  return out;
}
